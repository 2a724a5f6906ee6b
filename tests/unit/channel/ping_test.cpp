// node0's ping client (channel::Ping) against the scripted agent of
// channel_fixture.h: every way a ping can end, with its exact error text.
#include <cstring>

#include "channel_fixture.h"

namespace mint::channel {
namespace {

std::vector<uint8_t> Seq(uint64_t seq) {
  std::vector<uint8_t> b(sizeof seq);
  std::memcpy(b.data(), &seq, sizeof seq);
  return b;
}

class PingTest : public ChannelTest {
 protected:
  Result<std::chrono::nanoseconds> Run(uint64_t seq) {
    return Ping(port_, *host_, node_, 42, seq, clock_, timing_);
  }
  // An agent that answers each PING at once.
  void Echo() {
    agent_ = [&](const Frame& f) {
      ASSERT_EQ(f.type, FrameType::kPing);
      Reply(FrameType::kPong, f.session, f.payload);
    };
  }

  PingTiming timing_;
};

TEST_F(PingTest, ThePongOfThisPingEndsItAndItsRoundTripIsTimed) {
  agent_ = [&](const Frame& f) {
    ASSERT_EQ(f.type, FrameType::kPing);
    EXPECT_EQ(f.session, 42u);
    EXPECT_EQ(f.payload, Seq(7));
    // The node takes 300 us to answer.
    clock_.Sleep(std::chrono::microseconds(300));
    Reply(FrameType::kPong, f.session, f.payload);
  };
  auto r = Run(7);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, std::chrono::microseconds(300));
  EXPECT_EQ(received_, (std::vector<FrameType>{FrameType::kPing}));
  EXPECT_EQ(dev_.calls().back(), "MINT_NODE_CHAN id=1 tx=24");  // 16 + the sequence number
}

TEST_F(PingTest, PongsOfOtherPingsAndSessionsAndOtherFramesAreSkipped) {
  Reply(FrameType::kHello, 0, {});
  Reply(FrameType::kPong, 42, Seq(1));    // an earlier ping of this session
  Reply(FrameType::kPong, 99, Seq(2));    // another session's
  Reply(FrameType::kStdout, 42, Seq(2));  // not a PONG
  Echo();
  auto r = Run(2);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
}

TEST_F(PingTest, NoAnswerWithinTheDeadlineIsAnErrorThatNamesAnOlderAgent) {
  agent_ = [](const Frame&) {};  // an agent that ignores PING
  auto r = Run(3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node's mint-agent did not answer PING 3 within 5 s; an older mint-agent "
            "does not know PING: use the mintctl and mint-agent of one build");
  EXPECT_GE(clock_.elapsed(), std::chrono::seconds(5));
  EXPECT_LT(clock_.elapsed(), std::chrono::milliseconds(5100));
}

TEST_F(PingTest, ANodeThatCrashesWhileItWaitsEndsThePingWithItsState) {
  agent_ = [&](const Frame&) {
    Attr("state", "crashed\n");
    Attr("reason", "Kernel panic - not syncing: sysrq triggered crash\n");
  };
  auto r = Run(4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node is now crashed (Kernel panic - not syncing: sysrq triggered crash); "
            "mintctl restart node1 boots it again");
  EXPECT_LE(clock_.elapsed(), std::chrono::milliseconds(101));
}

TEST_F(PingTest, AnAgentThatGoesAwayEndsThePing) {
  agent_ = [&](const Frame&) { Attr("agent", "absent\n"); };
  auto r = Run(5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node's mint-agent went away while mintctl ping waited for PING 5 "
            "(/sys/kernel/mint/nodes/1/agent says absent)");
}

TEST_F(PingTest, APongOfTheWrongSizeIsAnError) {
  agent_ = [&](const Frame& f) { Reply(FrameType::kPong, f.session, {1, 2, 3}); };
  auto r = Run(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node1: the node's mint-agent answered PING 6 with a PONG of 3 bytes, not the 8 it "
            "was sent");
}

TEST_F(PingTest, ARecordThatIsNoFrameIsAnError) {
  agent_ = [&](const Frame&) { dev_.QueueFromNode(1, {1, 2, 3, 4}); };
  auto r = Run(8);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("node1: the node's mint-agent sent a record this mintctl "
                                      "cannot read (4 bytes, shorter than a frame header"),
            std::string::npos)
      << r.error().ToString();
}

TEST_F(PingTest, ChannelErrorsOtherThanNotConnectedArePassedOn) {
  // The next call logged: the Chan call that sends the PING.
  dev_.FailAtCall(dev_.calls().size() + 1,
                  MakeError(ErrorCode::kIo, "MINT_NODE_CHAN", "injected", EIO));
  auto r = Run(9);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EIO);
}

}  // namespace
}  // namespace mint::channel
