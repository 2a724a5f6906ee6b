// The relay between real clients (channel::Exec and Ping over RelayPort)
// and a real mint-agent on the other end of a SOCK_SEQPACKET socketpair
// (the ring, as /dev/mint-channel gives it: one record per read and write),
// running real commands: several execs side by side, a stalled reader that
// holds up only its own command, a client that goes away and has its
// command killed, a session id of another client refused, ping, the ring's
// end reaching every client, and what a node writes that is not a frame.
#include "mint/channel/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "agent.h"
#include "channel_fixture.h"

namespace mint::channel {
namespace {

class Collect : public OutputSink {
 public:
  void Stdout(std::span<const uint8_t> b) override { out.append(b.begin(), b.end()); }
  void Stderr(std::span<const uint8_t> b) override { err.append(b.begin(), b.end()); }
  std::string out, err;
};

// A sink that blocks on its first write until released: a mintctl whose
// stdout nobody reads.
class Stalled : public OutputSink {
 public:
  void Stdout(std::span<const uint8_t> b) override {
    std::unique_lock<std::mutex> l(m_);
    stalled_ = true;
    cv_.notify_all();
    cv_.wait(l, [this] { return released_; });
    bytes += b.size();
  }
  void Stderr(std::span<const uint8_t>) override {}
  bool WaitStalled() {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, std::chrono::seconds(10), [this] { return stalled_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(m_);
    released_ = true;
    cv_.notify_all();
  }
  size_t bytes = 0;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stalled_ = false, released_ = false;
};

bool ProcessRuns(const std::string& cmdline) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (c == cmdline) return true;
  }
  return false;
}

template <typename F>
bool Eventually(F f, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!f()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class RelayTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    ::signal(SIGPIPE, SIG_IGN);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    node_end_ = sv[0];
    ring_ = std::make_unique<RelayPort>(sv[1], "the ring");
    path_ = root_ + "/node1.channel.sock";
    auto listening = ListenRelay(path_);
    ASSERT_TRUE(listening.ok()) << listening.error().ToString();
    listen_fd_ = *listening;
  }
  void StartAgent() {
    ::fcntl(node_end_, F_SETFL, ::fcntl(node_end_, F_GETFL) | O_NONBLOCK);
    agent_ = std::thread([this] {
      agent::Agent a(node_end_, -1);
      a.Run();
    });
  }
  void StartRelay() {
    relay_ = std::make_unique<Relay>(*ring_, listen_fd_, -1);
    relay_thread_ = std::thread([this] { end_ = relay_->Run(stop_); });
  }
  void StopRelay() {
    stop_ = true;
    if (relay_thread_.joinable()) relay_thread_.join();
  }
  void TearDown() override {
    StopRelay();
    ::shutdown(node_end_, SHUT_RDWR);
    if (agent_.joinable()) agent_.join();
    ::close(node_end_);
    ::close(listen_fd_);
    ChannelTest::TearDown();
  }
  std::unique_ptr<RelayPort> Client() {
    int fd = ConnectRelay(path_);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    return std::make_unique<RelayPort>(fd, "node1's channel relay");
  }
  Result<ExecResult> Run(Port& port, std::vector<std::string> argv, OutputSink& sink) {
    ExecRequest r;
    r.argv = std::move(argv);
    r.timeout = std::chrono::seconds(30);
    return Exec(port, *host_, node_, r, sink);
  }

  int node_end_ = -1, listen_fd_ = -1;
  std::string path_;
  std::unique_ptr<RelayPort> ring_;
  std::unique_ptr<Relay> relay_;
  std::thread agent_, relay_thread_;
  std::atomic<bool> stop_{false};
  Result<void> end_ = Ok();
};

// A long command writes its progress to a file; other execs read it
// meanwhile, each its own mintctl.
TEST_F(RelayTest, ExecsRunSideBySide) {
  StartAgent();
  StartRelay();
  const std::string counter = root_ + "/counter";
  Collect long_out;
  Result<ExecResult> long_run = ExecResult{};
  std::thread loop([&] {
    auto port = Client();
    long_run = Run(*port,
                   {"sh", "-c",
                    "i=0; while [ $i -lt 40 ]; do echo $i > " + counter +
                        "; i=$((i+1)); sleep 0.05; done; echo done"},
                   long_out);
  });
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(counter); }));
  std::vector<int> seen;
  for (int i = 0; i < 3; ++i) {
    auto port = Client();
    Collect c;
    auto r = Run(*port, {"cat", counter}, c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->ExitCode(), 0);
    seen.push_back(std::atoi(c.out.c_str()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  loop.join();
  ASSERT_TRUE(long_run.ok()) << long_run.error().ToString();
  EXPECT_EQ(long_out.out, "done\n");
  EXPECT_LT(seen.front(), 39) << "read while the loop ran";
  EXPECT_GT(seen.back(), seen.front()) << "progress seen";
  StopRelay();
  EXPECT_EQ(relay_->stats().clients, 4u);
  EXPECT_EQ(relay_->stats().dropped_clients, 0u);
}

// A mintctl that stops reading holds up only its own command; released,
// it gets all of its output.
TEST_F(RelayTest, AStalledReaderHoldsUpOnlyItsCommand) {
  StartAgent();
  StartRelay();
  Stalled stalled;
  Result<ExecResult> big = ExecResult{};
  std::thread t([&] {
    auto port = Client();
    big = Run(*port, {"head", "-c", "1000000", "/dev/zero"}, stalled);
  });
  ASSERT_TRUE(stalled.WaitStalled());
  for (int i = 0; i < 2; ++i) {
    auto port = Client();
    Collect c;
    auto r = Run(*port, {"echo", "other"}, c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(c.out, "other\n");
  }
  stalled.Release();
  t.join();
  ASSERT_TRUE(big.ok()) << big.error().ToString();
  EXPECT_EQ(big->ExitCode(), 0);
  EXPECT_EQ(stalled.bytes, 1000000u);
  StopRelay();
  EXPECT_EQ(relay_->stats().dropped_clients, 0u);
}

// mintctl killed mid-command: its command in the node is killed, and the
// relay takes the rest of the session (its output, its EXIT).
TEST_F(RelayTest, AClientThatGoesAwayHasItsCommandKilled) {
  StartAgent();
  StartRelay();
  {
    auto port = Client();
    auto exec = EncodeFrame(FrameType::kExec, 77,
                            *EncodeArgv({"sh", "-c", "yes & exec sleep 987"}, "test"));
    ASSERT_TRUE(port->Transfer(exec, {})->sent);
    ASSERT_TRUE(Eventually([] { return ProcessRuns(std::string("sleep\0" "987\0", 10)); }));
  }
  EXPECT_TRUE(Eventually([] { return !ProcessRuns(std::string("sleep\0" "987\0", 10)); }));
  // The agent is free: another command runs.
  auto port = Client();
  Collect c;
  auto r = Run(*port, {"echo", "after"}, c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(c.out, "after\n");
  StopRelay();
  EXPECT_EQ(relay_->stats().orphan_kills, 1u);
}

TEST_F(RelayTest, ASessionOfAnotherClientIsRefused) {
  StartAgent();
  StartRelay();
  auto x = Client();
  auto y = Client();
  auto exec = EncodeFrame(FrameType::kExec, 5, *EncodeArgv({"sleep", "0.5"}, "test"));
  ASSERT_TRUE(x->Transfer(exec, {})->sent);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // x's EXEC is in first
  ASSERT_TRUE(y->Transfer(exec, {})->sent);
  std::vector<uint8_t> rx(kMaxRecord);
  std::optional<Frame> answer;
  ASSERT_TRUE(Eventually([&] {
    auto r = y->Transfer({}, rx);
    if (!r.ok() || r->received == 0) return false;
    answer = *DecodeFrame(std::span<const uint8_t>(rx.data(), r->received));
    return true;
  }));
  EXPECT_EQ(answer->type, FrameType::kError);
  EXPECT_EQ(DecodeError(answer->payload)->message, "session 5 is another mintctl's; try again");
  ASSERT_TRUE(Eventually([&] {
    auto r = x->Transfer({}, rx);
    return r.ok() && r->received > 0 &&
           DecodeFrame(std::span<const uint8_t>(rx.data(), r->received))->type ==
               FrameType::kExit;
  }));
}

TEST_F(RelayTest, PingsGoThrough) {
  StartAgent();
  StartRelay();
  auto a = Client();
  auto b = Client();
  auto ra = Ping(*a, *host_, node_, 3, 1);
  auto rb = Ping(*b, *host_, node_, 4, 1);
  EXPECT_TRUE(ra.ok()) << ra.error().ToString();
  EXPECT_TRUE(rb.ok()) << rb.error().ToString();
}

// The node's end gone (it stopped or crashed): the relay ends with the
// ring's error and every client sees its end.
TEST_F(RelayTest, TheRingsEndEndsTheRelayAndReachesItsClients) {
  StartRelay();
  auto c = Client();
  ASSERT_TRUE(Eventually([&] { return relay_->stats().clients == 1; }));
  ::shutdown(node_end_, SHUT_RDWR);
  relay_thread_.join();
  ASSERT_FALSE(end_.ok());
  EXPECT_EQ(end_.error().sys_errno, ENOTCONN);
  std::vector<uint8_t> rx(kMaxRecord);
  Result<sys::ChanResult> r = sys::ChanResult{};
  ASSERT_TRUE(Eventually([&] {
    r = c->Transfer({}, rx);
    return !r.ok();
  }));
  EXPECT_EQ(r.error().sys_errno, ENOTCONN);
  EXPECT_EQ(r.error().ToString(), "node1's channel relay: ended (Transport endpoint is not connected)");
}

// What the node writes is untrusted: records that are not frames, and
// frames of no client's session, are dropped; a client's own still
// arrive.
TEST_F(RelayTest, WhatTheNodeWritesThatIsNoClientsIsDropped) {
  StartRelay();
  auto c = Client();
  auto ping = EncodeFrame(FrameType::kPing, 9, {});
  ASSERT_TRUE(c->Transfer(ping, {})->sent);
  std::vector<uint8_t> got(kMaxRecord);
  ASSERT_EQ(::read(node_end_, got.data(), got.size()), static_cast<ssize_t>(ping.size()));
  const std::vector<uint8_t> garbage(100, 0xee);
  ASSERT_EQ(::write(node_end_, garbage.data(), garbage.size()), 100);
  auto stray = EncodeFrame(FrameType::kStdout, 1234, {});
  ASSERT_EQ(::write(node_end_, stray.data(), stray.size()), static_cast<ssize_t>(stray.size()));
  auto pong = EncodeFrame(FrameType::kPong, 9, {});
  ASSERT_EQ(::write(node_end_, pong.data(), pong.size()), static_cast<ssize_t>(pong.size()));
  std::vector<uint8_t> rx(kMaxRecord);
  size_t n = 0;
  ASSERT_TRUE(Eventually([&] {
    auto r = c->Transfer({}, rx);
    n = r.ok() ? r->received : 0;
    return n > 0;
  }));
  EXPECT_EQ(std::vector<uint8_t>(rx.begin(), rx.begin() + static_cast<long>(n)), pong);
  StopRelay();
  EXPECT_EQ(relay_->stats().undecodable, 1u);
  EXPECT_EQ(relay_->stats().unrouted, 1u);
}

// A client's record that only a node sends, or of session 0, never
// reaches the node.
TEST_F(RelayTest, AClientsBadRecordsAreRefused) {
  StartRelay();
  auto c = Client();
  ASSERT_TRUE(c->Transfer(EncodeFrame(FrameType::kExit, 3, EncodeExit({0, 0})), {})->sent);
  ASSERT_TRUE(c->Transfer(EncodeFrame(FrameType::kPing, 0, {}), {})->sent);
  ASSERT_TRUE(c->Transfer(std::vector<uint8_t>(20, 1), {})->sent);
  auto ping = EncodeFrame(FrameType::kPing, 3, {});
  ASSERT_TRUE(c->Transfer(ping, {})->sent);
  std::vector<uint8_t> got(kMaxRecord);
  pollfd p{node_end_, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_EQ(::read(node_end_, got.data(), got.size()), static_cast<ssize_t>(ping.size()));
  StopRelay();
  EXPECT_EQ(relay_->stats().refused, 3u);
  EXPECT_EQ(relay_->stats().to_node, 1u);
}

}  // namespace
}  // namespace mint::channel
