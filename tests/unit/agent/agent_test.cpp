// mint-agent's serving loop over a SOCK_SEQPACKET socketpair (one record
// per read and per write, as /dev/mint-channel gives), running real
// commands: HELLO first; output, exit status and signals; a program that
// does not exist; KILL; sessions side by side; 1 MB of output intact;
// stdin /dev/null and a PATH-only environment; bad input answered and
// survived; a background child keeping the pipes open; input (EXEC_INPUT,
// INPUT, INPUT_ACK) through a shell, 1 MiB of it through its window, and a
// command that does not read it.
#include "agent.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace mint::agent {
namespace {

using channel::DecodeFrame;
using channel::EncodeFrame;
using channel::Frame;
using channel::FrameType;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // as mint-agent's main: a closed stdin pipe is EPIPE
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    node0_ = sv[0];
    int agent_fd = sv[1];
    int flags = ::fcntl(agent_fd, F_GETFL);
    ::fcntl(agent_fd, F_SETFL, flags | O_NONBLOCK);
    thread_ = std::thread([this, agent_fd] {
      Agent agent(agent_fd, -1);
      result_ = agent.Run();
      ::close(agent_fd);
    });
    auto hello = Next(std::chrono::seconds(5));
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->type, FrameType::kHello);
    EXPECT_EQ(hello->session, 0u);
    EXPECT_EQ(Text(hello->payload).rfind("mint-agent 1 pid ", 0), 0u);
  }
  void TearDown() override {
    ::shutdown(node0_, SHUT_RDWR);
    ::close(node0_);
    thread_.join();
    EXPECT_EQ(result_, 0);
  }

  void SendRecord(const std::vector<uint8_t>& record) {
    ASSERT_EQ(::write(node0_, record.data(), record.size()), static_cast<ssize_t>(record.size()));
  }
  void Exec(uint32_t session, const std::vector<std::string>& argv) {
    SendRecord(EncodeFrame(FrameType::kExec, session, *channel::EncodeArgv(argv, "test")));
  }
  void ExecInput(uint32_t session, const std::vector<std::string>& argv) {
    SendRecord(EncodeFrame(FrameType::kExecInput, session, *channel::EncodeArgv(argv, "test")));
  }
  void Input(uint32_t session, const std::vector<uint8_t>& bytes) {
    SendRecord(EncodeFrame(FrameType::kInput, session, bytes));
  }
  // What node0 does with output it has taken: OUTPUT_ACK.
  void Ack(const Frame& f) {
    if ((f.type == FrameType::kStdout || f.type == FrameType::kStderr) && !f.payload.empty())
      SendRecord(EncodeFrame(FrameType::kOutputAck, f.session,
                             channel::EncodeAck(static_cast<uint32_t>(f.payload.size()))));
  }
  void ExecPty(uint32_t session, channel::Winsize size, const std::string& term,
               const std::vector<std::string>& argv) {
    SendRecord(
        EncodeFrame(FrameType::kExecPty, session, *channel::EncodePty({size, term, argv}, "test")));
  }
  // Reads session s's output into `out` until it contains `want`; false
  // after 10 s (or at its EXIT).
  bool Until(uint32_t s, const std::string& want, std::string& out) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.find(want) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) return false;
      auto f = Next(std::chrono::milliseconds(200));
      if (!f) continue;
      if (f->session != s) continue;
      Ack(*f);
      if (f->type == FrameType::kStdout) out += Text(f->payload);
      if (f->type == FrameType::kExit) return out.find(want) != std::string::npos;
    }
    return true;
  }
  std::optional<Frame> Next(std::chrono::milliseconds timeout) {
    pollfd p{node0_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::vector<uint8_t> buf(channel::kMaxRecord);
    ssize_t n = ::read(node0_, buf.data(), buf.size());
    if (n <= 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    auto f = DecodeFrame(buf);
    EXPECT_TRUE(f.ok()) << f.error().ToString();
    if (!f.ok()) return std::nullopt;
    return *f;
  }

  struct Outcome {
    std::string out, err;
    std::optional<channel::ExitStatus> exit;
    std::optional<channel::RunError> error;
    uint64_t acked = 0;  // INPUT_ACK bytes
  };
  // Collects session `s` until its EXIT or ERROR, acknowledging its output
  // (other sessions' frames go to `others`, not acknowledged).
  Outcome Collect(uint32_t s, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    Outcome o;
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto f = Next(std::chrono::milliseconds(200));
      if (!f) continue;
      if (f->session != s) {
        others_.push_back(*f);
        continue;
      }
      Ack(*f);
      if (f->type == FrameType::kStdout) o.out += Text(f->payload);
      if (f->type == FrameType::kStderr) o.err += Text(f->payload);
      if (f->type == FrameType::kInputAck) o.acked += *channel::DecodeAck(FrameType::kInputAck, f->payload);
      if (f->type == FrameType::kExit) {
        o.exit = *channel::DecodeExit(f->payload);
        return o;
      }
      if (f->type == FrameType::kError) {
        o.error = *channel::DecodeError(f->payload);
        return o;
      }
    }
    ADD_FAILURE() << "session " << s << " did not end";
    return o;
  }

  int node0_ = -1;
  std::thread thread_;
  int result_ = -1;
  std::vector<Frame> others_;
};

TEST_F(AgentTest, RunsACommand) {
  Exec(1, {"sh", "-c", "echo out; echo err >&2; exit 3"});
  auto o = Collect(1);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.exit->code, 3);
  EXPECT_EQ(o.exit->signal, 0);
  EXPECT_EQ(o.out, "out\n");
  EXPECT_EQ(o.err, "err\n");
}

TEST_F(AgentTest, ProgramThatDoesNotExist) {
  Exec(2, {"no-such-program-mint"});
  auto o = Collect(2);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->sys_errno, ENOENT);
  EXPECT_EQ(o.error->message, "cannot run no-such-program-mint: No such file or directory");
}

TEST_F(AgentTest, KillEndsTheSessionWithSignal9) {
  Exec(3, {"sh", "-c", "sleep 100; echo never"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  SendRecord(EncodeFrame(FrameType::kKill, 3));
  auto o = Collect(3);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.exit->signal, 9);
  EXPECT_EQ(o.exit->ShellStatus(), 137);
  EXPECT_EQ(o.out, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(AgentTest, APingIsAnsweredByAPongWhileACommandRuns) {
  Exec(5, {"sleep", "1"});
  uint8_t seq[] = {9, 0, 0, 0, 0, 0, 0, 0};
  SendRecord(EncodeFrame(FrameType::kPing, 77, seq));
  std::optional<Frame> pong;
  for (int i = 0; i < 50 && !pong; ++i) {
    auto f = Next(std::chrono::milliseconds(100));
    if (f && f->type == FrameType::kPong) pong = f;
  }
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->session, 77u);
  EXPECT_EQ(pong->payload, std::vector<uint8_t>(seq, seq + 8));
  EXPECT_TRUE(Collect(5).exit);
}

TEST_F(AgentTest, SessionsRunSideBySide) {
  Exec(10, {"sh", "-c", "sleep 1; echo slow"});
  Exec(11, {"echo", "fast"});
  auto fast = Collect(11);
  ASSERT_TRUE(fast.exit);
  EXPECT_EQ(fast.out, "fast\n");
  auto slow = Collect(10);
  ASSERT_TRUE(slow.exit);
  EXPECT_EQ(slow.out, "slow\n");
}

TEST_F(AgentTest, SameSessionTwiceIsRefused) {
  Exec(12, {"sleep", "1"});
  Exec(12, {"echo", "again"});
  auto f = Next(std::chrono::seconds(5));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kError);
  EXPECT_EQ(channel::DecodeError(f->payload)->message, "session 12 is already running a command");
  auto o = Collect(12);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.exit->code, 0);
}

TEST_F(AgentTest, OneMegabyteIntact) {
  // 1 MiB of numbered lines, far more than the socket and the queue hold.
  Exec(4, {"sh", "-c", "i=0; while [ $i -lt 65536 ]; do printf '%015d\\n' $i; i=$((i+1)); done"});
  auto o = Collect(4, std::chrono::seconds(60));
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.exit->code, 0);
  ASSERT_EQ(o.out.size(), 1048576u);
  char line[17];
  for (int i = 0; i < 65536; i += 4097) {
    std::snprintf(line, sizeof line, "%015d\n", i);
    ASSERT_EQ(o.out.substr(static_cast<size_t>(i) * 16, 16), line);
  }
}

// A session whose output node0 does not acknowledge gets at most its
// window out, and its command waits (its pipe fills), also after it exits;
// another session runs meanwhile; acknowledgements let the rest come, the
// EXIT last.
TEST_F(AgentTest, UnacknowledgedOutputPausesOnlyItsSession) {
  Exec(20, {"head", "-c", "300000", "/dev/zero"});
  uint64_t got = 0;
  std::vector<Frame> held;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    auto f = Next(std::chrono::milliseconds(100));
    if (!f) continue;
    ASSERT_EQ(f->session, 20u);
    ASSERT_EQ(f->type, FrameType::kStdout) << "no EXIT while output waits";
    got += f->payload.size();
    held.push_back(*f);
  }
  EXPECT_EQ(got, channel::kOutputWindow);
  Exec(21, {"echo", "other"});
  auto other = Collect(21);
  ASSERT_TRUE(other.exit);
  EXPECT_EQ(other.out, "other\n");
  for (const auto& f : others_) got += f.payload.size();
  EXPECT_EQ(got, channel::kOutputWindow) << "session 20 stayed paused";
  for (const auto& f : held) Ack(f);
  for (const auto& f : others_) Ack(f);
  auto rest = Collect(20);
  ASSERT_TRUE(rest.exit);
  EXPECT_EQ(rest.exit->code, 0);
  EXPECT_EQ(got + rest.out.size(), 300000u);
}

TEST_F(AgentTest, StdinIsDevNullAndTheEnvironmentIsPathOnly) {
  Exec(5, {"sh", "-c", "cat; env | grep -v '^PWD=\\|^SHLVL=\\|^_=' | sort"});
  auto o = Collect(5);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.out, std::string("HOME=/\nPATH=") + kCommandPath + "\n");
}

// A command gets stdin, stdout and stderr and nothing else: not the agent's
// /dev/null (it leaked into every command), not its channel, not a
// descriptor the agent inherited, not another session's pipes. (`ls` opens
// /proc/self/fd itself: that is 3.)
TEST_F(AgentTest, ACommandSeesOnlyDescriptors0To2) {
  int inherited = ::open("/dev/null", O_RDONLY);  // without O_CLOEXEC, as a careless parent's
  ASSERT_GE(inherited, 0);
  Exec(11, {"sleep", "5"});
  Exec(12, {"ls", "/proc/self/fd"});
  auto o = Collect(12);
  ::close(inherited);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.exit->code, 0) << o.err;
  EXPECT_EQ(o.out, "0\n1\n2\n3\n");
  SendRecord(EncodeFrame(FrameType::kKill, 11));
  Collect(11);
}

TEST_F(AgentTest, BadInputIsAnsweredAndSurvived) {
  SendRecord(Bytes("this is not a frame at all"));
  auto bad = EncodeFrame(FrameType::kExec, 6, Bytes("no-nul"));
  SendRecord(bad);
  auto f = Next(std::chrono::seconds(5));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kError);
  EXPECT_EQ(f->session, 6u);
  EXPECT_EQ(channel::DecodeError(f->payload)->message,
            "EXEC payload is not NUL-terminated arguments");
  auto wrong_version = EncodeFrame(FrameType::kExec, 8, Bytes("x"));
  wrong_version[4] = 2;
  SendRecord(wrong_version);
  f = Next(std::chrono::seconds(5));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->session, 8u);
  EXPECT_EQ(channel::DecodeError(f->payload)->sys_errno, EPROTO);
  SendRecord(EncodeFrame(FrameType::kKill, 999));  // no such session: ignored
  SendRecord(EncodeFrame(FrameType::kStdout, 7, Bytes("node0 never sends this")));
  Exec(7, {"echo", "still here"});
  auto o = Collect(7);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.out, "still here\n");
}

TEST_F(AgentTest, BackgroundChildHoldingThePipesDoesNotHoldTheExit) {
  auto start = std::chrono::steady_clock::now();
  Exec(9, {"sh", "-c", "sleep 5 & echo started"});
  auto o = Collect(9);
  ASSERT_TRUE(o.exit);
  EXPECT_EQ(o.out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(AgentTest, InputReachesTheCommandsStdin) {
  ExecInput(5, {"sh"});
  Input(5, Bytes("echo hi; exit 3\n"));
  Input(5, {});
  auto o = Collect(5);
  ASSERT_TRUE(o.exit.has_value());
  EXPECT_EQ(o.out, "hi\n");
  EXPECT_EQ(o.exit->code, 3);
  EXPECT_EQ(o.acked, 16u);
}

// node0's side as mintctl plays it: never more than a window unacknowledged,
// its output acknowledged as it comes.
TEST_F(AgentTest, OneMebibyteOfInputThroughTheWindowIntact) {
  std::vector<uint8_t> input(1 << 20);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 7 % 253);
  ExecInput(6, {"cat"});
  size_t sent = 0, acked = 0;
  bool ended = false;
  std::vector<uint8_t> out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    while (sent < input.size() && sent - acked + channel::kMaxPayload <= channel::kInputWindow) {
      size_t n = std::min(channel::kMaxPayload, input.size() - sent);
      Input(6, std::vector<uint8_t>(input.begin() + static_cast<long>(sent),
                                    input.begin() + static_cast<long>(sent + n)));
      sent += n;
    }
    if (sent == input.size() && !ended) {
      Input(6, {});
      ended = true;
    }
    auto f = Next(std::chrono::milliseconds(200));
    if (!f) continue;
    ASSERT_EQ(f->session, 6u);
    Ack(*f);
    if (f->type == FrameType::kInputAck) acked += *channel::DecodeAck(FrameType::kInputAck, f->payload);
    if (f->type == FrameType::kStdout) out.insert(out.end(), f->payload.begin(), f->payload.end());
    if (f->type == FrameType::kExit) break;
  }
  EXPECT_EQ(acked, input.size());
  EXPECT_TRUE(out == input) << out.size() << " bytes out";
}

// A command that does not read its stdin holds one pipe and one window of
// input; more than the window is dropped (and acknowledged); other sessions
// run meanwhile; when it ends, what it never read is acknowledged too.
TEST_F(AgentTest, ACommandThatDoesNotReadItsInputHoldsOnlyItsWindow) {
  ExecInput(7, {"sleep", "1"});
  std::vector<uint8_t> piece(channel::kMaxPayload, 'x');
  uint64_t sent = 0;
  for (int i = 0; i < 64; ++i) {  // 255 KiB: the pipe's 64 KiB, a window, and more
    Input(7, piece);
    sent += piece.size();
  }
  Exec(8, {"echo", "other"});
  auto other = Collect(8);
  ASSERT_TRUE(other.exit.has_value());
  EXPECT_EQ(other.out, "other\n");
  uint64_t acked = 0;
  for (const auto& f : others_)
    if (f.type == FrameType::kInputAck) acked += *channel::DecodeAck(FrameType::kInputAck, f.payload);
  // What the agent keeps (not acknowledged) while sleep runs: a window.
  EXPECT_LE(sent - acked, channel::kInputWindow);
  EXPECT_GT(sent - acked, 0u);
  auto o = Collect(7);
  ASSERT_TRUE(o.exit.has_value());
  EXPECT_EQ(acked + o.acked, sent);
}

TEST_F(AgentTest, InputToAPlainExecIsAcknowledgedAndDropped) {
  Exec(9, {"sh", "-c", "sleep 0.3; cat"});
  Input(9, Bytes("nobody reads this"));
  auto o = Collect(9);
  ASSERT_TRUE(o.exit.has_value());
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.acked, 17u);
}

// A terminal's command sees a terminal of the size and TERM node0 gave,
// on 0-2, as its controlling terminal.
TEST_F(AgentTest, APtyCommandRunsOnATerminalOfTheGivenSize) {
  ExecPty(20, {33, 101}, "xterm-256color",
          {"sh", "-c", "tty; stty size; echo \"$TERM\"; [ -t 2 ] && echo err-tty; "
                       "sh -c 'echo ctty > /dev/tty'"});
  auto o = Collect(20);
  ASSERT_TRUE(o.exit.has_value());
  EXPECT_EQ(o.exit->code, 0);
  EXPECT_NE(o.out.find("/dev/pts/"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("33 101\r\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("xterm-256color\r\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("err-tty\r\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("ctty\r\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
}

// The keys a user types: Ctrl-C (0x03) reaches the foreground command
// through the node's terminal, not the shell; WINSIZE resizes it; the
// shell's exit status is the session's.
TEST_F(AgentTest, CtrlCAndWinsizeReachTheTerminalsCommand) {
  ExecPty(21, {24, 80}, "", {"sh"});
  std::string out;
  Input(21, Bytes("stty size\n"));
  ASSERT_TRUE(Until(21, "24 80\r\n", out)) << out;
  SendRecord(EncodeFrame(FrameType::kWinsize, 21, channel::EncodeWinsize({40, 120})));
  Input(21, Bytes("stty size\n"));
  ASSERT_TRUE(Until(21, "40 120\r\n", out)) << out;
  Input(21, Bytes("sleep 100\n"));
  ASSERT_TRUE(Until(21, "sleep 100\r\n", out)) << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // sleep runs
  auto t0 = std::chrono::steady_clock::now();
  Input(21, Bytes("\x03"));
  Input(21, Bytes("echo rc=$?\n"));
  ASSERT_TRUE(Until(21, "rc=130\r\n", out)) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  Input(21, Bytes("exit 4\n"));
  auto o = Collect(21);
  ASSERT_TRUE(o.exit.has_value());
  EXPECT_EQ(o.exit->code, 4);
}

}  // namespace
}  // namespace mint::agent
