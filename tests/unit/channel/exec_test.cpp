// node0's exec client against the FakeMintDevice's channel model (a
// scripted agent answers through the chan hook), a sysfs tree in a temp dir
// and a clock that only moves when the client sleeps (channel_fixture.h). Every way exec can
// end is here, with its exact error text.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "channel_fixture.h"

namespace mint::channel {
namespace {

namespace fs = std::filesystem;

class Sink : public OutputSink {
 public:
  void Stdout(std::span<const uint8_t> b) override { out.append(b.begin(), b.end()); }
  void Stderr(std::span<const uint8_t> b) override { err.append(b.begin(), b.end()); }
  std::string out, err;
};

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

ExecRequest Req(std::vector<std::string> argv) {
  ExecRequest r;
  r.argv = std::move(argv);
  return r;
}

class ExecTest : public ChannelTest {
 protected:
  Result<ExecResult> Run(ExecRequest req) {
    if (req.session == 0) req.session = 42;
    return Exec(port_, *host_, node_, req, sink_, clock_, timing_);
  }

  ExecTiming timing_;
  Sink sink_;
};

TEST_F(ExecTest, RunsTheCommandAndStreamsItsOutput) {
  agent_ = [&](const Frame& f) {
    ASSERT_EQ(f.type, FrameType::kExec);
    EXPECT_EQ(*DecodeArgv(f.payload), (std::vector<std::string>{"uname", "-a"}));
    Reply(FrameType::kStdout, f.session, Bytes("Linux node1\n"));
    Reply(FrameType::kStderr, f.session, Bytes("warning\n"));
    Reply(FrameType::kStdout, f.session, Bytes("more\n"));
    Reply(FrameType::kExit, f.session, EncodeExit({3, 0}));
  };
  auto r = Run(Req({"uname", "-a"}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->ran);
  EXPECT_EQ(r->ExitCode(), 3);
  EXPECT_EQ(sink_.out, "Linux node1\nmore\n");
  EXPECT_EQ(sink_.err, "warning\n");
  EXPECT_EQ(dev_.calls().back(), "MINT_NODE_CHAN id=1 tx=25");  // 16 + "uname\0-a\0"
}

TEST_F(ExecTest, IgnoresFramesOfOtherSessions) {
  Reply(FrameType::kHello, 0, Bytes("mint-agent 1"));
  Reply(FrameType::kStdout, 7, Bytes("left over from a killed mintctl\n"));
  Reply(FrameType::kExit, 7, EncodeExit({0, 0}));
  agent_ = [&](const Frame& f) {
    Reply(FrameType::kStdout, 99, Bytes("another session\n"));
    Reply(FrameType::kStdout, f.session, Bytes("mine\n"));
    Reply(FrameType::kExit, f.session, EncodeExit({0, 0}));
  };
  auto r = Run(Req({"true"}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->ExitCode(), 0);
  EXPECT_EQ(sink_.out, "mine\n");
  EXPECT_EQ(r->stale_frames, 4u);
}

TEST_F(ExecTest, KilledCommandIs128PlusSignal) {
  agent_ = [&](const Frame& f) { Reply(FrameType::kExit, f.session, EncodeExit({0, 9})); };
  auto r = Run(Req({"sleep", "9"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ExitCode(), 137);
}

TEST_F(ExecTest, CommandThatCannotRun) {
  agent_ = [&](const Frame& f) {
    Reply(FrameType::kError, f.session,
          EncodeError({ENOENT, "cannot run nope: No such file or directory"}));
  };
  auto r = Run(Req({"nope"}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ran);
  EXPECT_EQ(r->run_error.message, "cannot run nope: No such file or directory");
  EXPECT_EQ(r->ExitCode(), 127);
  r->run_error.sys_errno = EACCES;
  EXPECT_EQ(r->ExitCode(), 126);
}

TEST_F(ExecTest, RefusesANodeThatIsNotRunning) {
  Attr("state", "crashed\n");
  Attr("reason", "Kernel panic - not syncing: sysrq triggered crash\n");
  auto r = Run(Req({"true"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node is crashed (Kernel panic - not syncing: sysrq triggered crash); "
            "mintctl exec needs a running node; mintctl restart node1 boots it again");
  Attr("state", "loaded\n");
  Attr("reason", "\n");
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node1: the node is loaded; mintctl exec needs a running node");
  EXPECT_TRUE(received_.empty());
}

TEST_F(ExecTest, RefusesANodeWithoutAgent) {
  Attr("agent", "absent\n");
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node1: the node has no mint-agent running (/sys/kernel/mint/nodes/1/agent says "
            "absent); its initramfs starts /usr/sbin/mint-agent, mintctl console node1 shows "
            "what happened");
  fs::remove(root_ + node_.dir + "/agent");
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node1: this kernel has no message channel (no /sys/kernel/mint/nodes/1/agent); "
            "boot node0 with a mint kernel of ABI 2 or later");
}

TEST_F(ExecTest, NodeCrashesMidCommand) {
  agent_ = [&](const Frame& f) {
    Reply(FrameType::kStdout, f.session, Bytes("partial"));
    // The node panics: the kernel refuses the channel from now on.
    dev_.SetState(1, NodeState::kCrashed);
    Attr("state", "crashed\n");
    Attr("reason", "Kernel panic - not syncing: sysrq triggered crash\n");
  };
  auto r = Run(Req({"sh", "-c", "echo c > /proc/sysrq-trigger"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node is now crashed (Kernel panic - not syncing: sysrq triggered crash); "
            "the command's outcome is unknown; mintctl restart node1 boots it again");
  EXPECT_EQ(sink_.out, "partial");
}

TEST_F(ExecTest, NodeHangsMidCommandWithinOneStateCheck) {
  agent_ = [&](const Frame&) {
    // Hung nodes still take channel ioctls: only sysfs tells.
    Attr("state", "hung\n");
    Attr("reason", "heartbeat stopped on CPU 2 (APIC 2)\n");
  };
  auto r = Run(Req({"sleep", "100"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node is now hung (heartbeat stopped on CPU 2 (APIC 2)); the command's "
            "outcome is unknown; mintctl kill node1 stops it, mintctl restart node1 boots it "
            "again");
  EXPECT_LE(clock_.elapsed(), timing_.state_check + timing_.idle_poll);
}

TEST_F(ExecTest, NodeDestroyedMidCommand) {
  agent_ = [&](const Frame&) { fs::remove_all(root_ + node_.dir); };
  EXPECT_EQ(
      Run(Req({"sleep", "100"})).error().ToString(),
      "node1: the node was destroyed while the command ran; the command's outcome is unknown");
}

TEST_F(ExecTest, AgentGoesAwayMidCommand) {
  agent_ = [&](const Frame&) { Attr("agent", "absent\n"); };
  EXPECT_EQ(Run(Req({"sleep", "100"})).error().ToString(),
            "node1: the node's mint-agent went away while the command ran "
            "(/sys/kernel/mint/nodes/1/agent says absent); the command's outcome is unknown");
}

TEST_F(ExecTest, TimeoutSendsKillAndSaysSo) {
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kKill) Reply(FrameType::kExit, f.session, EncodeExit({0, 9}));
  };
  ExecRequest req = Req({"sleep", "100"});
  req.timeout = std::chrono::milliseconds(1500);
  auto r = Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the command ran longer than --timeout 1500 ms and was killed");
  EXPECT_EQ(received_, (std::vector<FrameType>{FrameType::kExec, FrameType::kKill}));
  EXPECT_GE(clock_.elapsed(), std::chrono::milliseconds(1500));
  EXPECT_LT(clock_.elapsed(), std::chrono::milliseconds(1600));
}

// Output is acknowledged once the sink has it, in quarters of the window:
// never more than came, never a quarter window behind.
TEST_F(ExecTest, OutputIsAcknowledgedAsTheSinkTakesIt) {
  uint64_t acked = 0;
  const std::vector<uint8_t> piece(kMaxPayload, 'y');
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kOutputAck) {
      acked += *DecodeAck(f.type, f.payload);
      EXPECT_LE(acked, sink_.out.size());
    }
    if (f.type != FrameType::kExec) return;
    for (int i = 0; i < 30; ++i) Reply(FrameType::kStdout, f.session, piece);
    Reply(FrameType::kExit, f.session, EncodeExit({0, 0}));
  };
  auto r = Run(Req({"yes"}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(sink_.out.size(), 30 * kMaxPayload);
  EXPECT_GT(acked + kOutputWindow / 4, sink_.out.size());
}

// After a KILL every byte taken is acknowledged at once: the agent's EXIT
// waits for a window with room.
TEST_F(ExecTest, AfterAKillEveryByteTakenIsAcknowledged) {
  uint64_t acked = 0;
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kExec) Reply(FrameType::kStdout, f.session, Bytes("a little\n"));
    if (f.type == FrameType::kOutputAck) {
      acked += *DecodeAck(f.type, f.payload);
      Reply(FrameType::kExit, f.session, EncodeExit({0, 9}));
    }
  };
  ExecRequest req = Req({"sleep", "100"});
  req.timeout = std::chrono::milliseconds(500);
  auto r = Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the command ran longer than --timeout 500 ms and was killed");
  EXPECT_EQ(acked, 9u);
  EXPECT_EQ(received_,
            (std::vector<FrameType>{FrameType::kExec, FrameType::kKill, FrameType::kOutputAck}));
}

TEST_F(ExecTest, KillThatIsNeverConfirmedEndsTheWait) {
  ExecRequest req = Req({"sleep", "100"});
  req.timeout = std::chrono::seconds(2);
  auto r = Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the command ran longer than --timeout; mintctl sent KILL but the node's "
            "mint-agent did not confirm it within 3 s");
  EXPECT_LT(clock_.elapsed(), std::chrono::milliseconds(5100));
}

TEST_F(ExecTest, CancelSendsKill) {
  std::atomic<bool> cancel{false};
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kExec) cancel = true;
    if (f.type == FrameType::kKill) Reply(FrameType::kExit, f.session, EncodeExit({0, 9}));
  };
  ExecRequest req = Req({"sleep", "100"});
  req.cancel = &cancel;
  EXPECT_EQ(Run(req).error().ToString(), "node1: interrupted; the command was killed in the node");
}

TEST_F(ExecTest, AgentThatTakesNoMessages) {
  dev_.set_to_node_room(0);
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node1: the node's mint-agent takes no messages: the ring to the node stayed full for "
            "5 s");
}

TEST_F(ExecTest, UnreadableRecordFromTheAgent) {
  agent_ = [&](const Frame&) { dev_.QueueFromNode(1, Bytes("garbage that is long enough")); };
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node1: the node's mint-agent sent a record this mintctl cannot read (not a mint "
            "frame (bad magic)); use the mintctl and mint-agent of one build");
}

// A node that writes a record longer than the channel allows broke its
// ring: exec ends with the device's error, having read nothing of it.
TEST_F(ExecTest, ARecordLongerThanTheChannelAllowsEndsExec) {
  agent_ = [&](const Frame&) { dev_.QueueFromNode(1, std::vector<uint8_t>(kMaxRecord + 1, 'x')); };
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "node id 1: MINT_NODE_CHAN: the node wrote a corrupt record (Input/output error)");
}

TEST_F(ExecTest, BadExitPayloadOfOurSession) {
  agent_ = [&](const Frame& f) { Reply(FrameType::kExit, f.session, Bytes("xx")); };
  EXPECT_EQ(Run(Req({"true"})).error().ToString(),
            "channel record: EXIT payload is 2 bytes, not 8");
}

TEST_F(ExecTest, EmptyCommandIsRefusedBeforeSending) {
  EXPECT_EQ(Run(Req({})).error().ToString(),
            "node1: no command to run; give it after --, e.g. mintctl exec node1 -- uname -a");
  EXPECT_TRUE(received_.empty());
}

// An input of `total` bytes handed out in pieces of at most `piece`, with
// "nothing now" between them, then its end.
class PiecesInput : public InputSource {
 public:
  PiecesInput(size_t total, size_t piece) : total_(total), piece_(piece) {}
  Chunk Read(std::span<uint8_t> into) override {
    ++reads;
    if (reads % 3 == 0) return {};  // nothing now
    if (given_ == total_) return {0, true};
    size_t n = std::min({piece_, into.size(), total_ - given_});
    for (size_t i = 0; i < n; ++i) into[i] = static_cast<uint8_t>((given_ + i) % 251);
    given_ += n;
    return {n, false};
  }
  int reads = 0;

 private:
  size_t total_, piece_, given_ = 0;
};

// The agent acknowledges only once a whole window waits, so exec must stop
// at the window; the bytes, their order and the end all arrive.
TEST_F(ExecTest, InputIsForwardedWithinTheWindowThenItsEnd) {
  std::vector<uint8_t> got;
  size_t unacked = 0, most_unacked = 0;
  bool ended = false;
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kExecInput) {
      EXPECT_EQ(*DecodeArgv(f.payload), (std::vector<std::string>{"tar", "x"}));
      return;
    }
    ASSERT_EQ(f.type, FrameType::kInput);
    if (f.payload.empty()) {
      ended = true;
      Reply(FrameType::kExit, f.session, EncodeExit({0, 0}));
      return;
    }
    got.insert(got.end(), f.payload.begin(), f.payload.end());
    unacked += f.payload.size();
    most_unacked = std::max(most_unacked, unacked);
    if (unacked == kInputWindow) {
      Reply(FrameType::kInputAck, f.session, EncodeAck(kInputWindow));
      unacked = 0;
    }
  };
  PiecesInput input(300 * 1000, 10000);
  ExecRequest req = Req({"tar", "x"});
  req.input = &input;
  auto r = Run(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(ended);
  EXPECT_EQ(r->input_bytes, 300u * 1000);
  ASSERT_EQ(got.size(), 300u * 1000);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i % 251) << "byte " << i;
  EXPECT_EQ(most_unacked, kInputWindow);
  EXPECT_EQ(received_.front(), FrameType::kExecInput);
}

// Without -i the command's stdin is /dev/null: a plain EXEC, no INPUT.
TEST_F(ExecTest, WithoutInputThereIsNoInputFrame) {
  agent_ = [&](const Frame& f) { Reply(FrameType::kExit, f.session, EncodeExit({0, 0})); };
  ASSERT_TRUE(Run(Req({"true"})).ok());
  EXPECT_EQ(received_, (std::vector<FrameType>{FrameType::kExec}));
}

// A command that never reads: exec holds at one window, and its timeout's
// KILL still goes out (no input after it).
TEST_F(ExecTest, InputStopsAtTheWindowAndTheKillStillGoes) {
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kKill) Reply(FrameType::kExit, f.session, EncodeExit({0, 9}));
  };
  PiecesInput input(1 << 20, kMaxPayload);
  ExecRequest req = Req({"sleep", "100"});
  req.input = &input;
  req.timeout = std::chrono::seconds(1);
  auto r = Run(req);
  EXPECT_EQ(r.error().ToString(),
            "node1: the command ran longer than --timeout 1 s and was killed");
  EXPECT_EQ(received_.back(), FrameType::kKill);
  size_t inputs = std::count(received_.begin(), received_.end(), FrameType::kInput);
  EXPECT_EQ(inputs, (kInputWindow + kMaxPayload - 1) / kMaxPayload);
}

TEST_F(ExecTest, AnAckOfMoreThanWasSentIsAnError) {
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kInput && !f.payload.empty())
      Reply(FrameType::kInputAck, f.session, EncodeAck(static_cast<uint32_t>(f.payload.size() + 1)));
  };
  PiecesInput input(100, 100);
  ExecRequest req = Req({"cat"});
  req.input = &input;
  EXPECT_EQ(Run(req).error().ToString(),
            "node1: the node's mint-agent acknowledged 101 input bytes, more than the 100 sent; "
            "use the mintctl and mint-agent of one build");
}

// -t: EXEC_PTY with the terminal's size and TERM, then a WINSIZE each time
// the terminal changes, between pieces of input.
TEST_F(ExecTest, APtyExecSendsItsSizeAndEachResize) {
  std::vector<Winsize> sizes;
  agent_ = [&](const Frame& f) {
    if (f.type == FrameType::kExecPty) {
      auto p = DecodePty(f.payload);
      ASSERT_TRUE(p.ok()) << p.error().ToString();
      EXPECT_EQ(p->size, (Winsize{30, 90}));
      EXPECT_EQ(p->term, "xterm");
      EXPECT_EQ(p->argv, (std::vector<std::string>{"sh", "-l"}));
    }
    if (f.type == FrameType::kWinsize) sizes.push_back(*DecodeWinsize(f.payload));
    if (f.type == FrameType::kInput && f.payload.empty())
      Reply(FrameType::kExit, f.session, EncodeExit({0, 0}));
    if (f.type == FrameType::kInput && !f.payload.empty())
      Reply(FrameType::kInputAck, f.session,
            EncodeAck(static_cast<uint32_t>(f.payload.size())));
  };
  PiecesInput input(20000, 1000);
  int turns = 0;
  ExecRequest req = Req({"sh", "-l"});
  req.input = &input;
  req.pty = Winsize{30, 90};
  req.term = "xterm";
  req.resized = [&]() -> std::optional<Winsize> {
    ++turns;
    if (turns == 5) return Winsize{40, 100};
    if (turns == 9) return Winsize{50, 110};
    return std::nullopt;
  };
  auto r = Run(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(received_.front(), FrameType::kExecPty);
  EXPECT_EQ(sizes, (std::vector<Winsize>{{40, 100}, {50, 110}}));
}

TEST(Session, NeverZero) {
  for (int i = 0; i < 100; ++i) EXPECT_NE(NewSession(), 0u);
}

}  // namespace
}  // namespace mint::channel
