// Decide (agent/decide.h): mint-agent's rule for every record node0 sends,
// without forking anything.
#include "decide.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "mint/channel/frame.h"

namespace mint::agent {
namespace {

using channel::FrameType;
using Kind = Decision::Kind;

SessionState None(uint32_t) { return SessionState::kNone; }

std::vector<uint8_t> Exec(uint32_t session, const std::vector<std::string>& argv) {
  return channel::EncodeFrame(FrameType::kExec, session, *channel::EncodeArgv(argv, "t"));
}

TEST(Decide, AnExecOfANewSessionStartsItsCommand) {
  Decision d = Decide(Exec(7, {"uname", "-a"}), 0, None);
  EXPECT_EQ(d.kind, Kind::kStart);
  EXPECT_EQ(d.session, 7u);
  EXPECT_EQ(d.argv, (std::vector<std::string>{"uname", "-a"}));
}

TEST(Decide, AnExecIsRefusedForARunningSessionAtTheLimitOrWithBadArguments) {
  auto running = [](uint32_t) { return SessionState::kRunning; };
  Decision busy = Decide(Exec(7, {"true"}), 1, running);
  EXPECT_EQ(busy.kind, Kind::kRefuse);
  EXPECT_EQ(busy.sys_errno, EBUSY);
  EXPECT_EQ(busy.message, "session 7 is already running a command");
  Decision full = Decide(Exec(8, {"true"}), kMaxSessions, None);
  EXPECT_EQ(full.sys_errno, EAGAIN);
  EXPECT_EQ(full.message, "mint-agent runs 32 commands already; try again when one ends");
  uint8_t no_nul[] = {'l', 's'};
  Decision bad = Decide(channel::EncodeFrame(FrameType::kExec, 9, no_nul), 0, None);
  EXPECT_EQ(bad.kind, Kind::kRefuse);
  EXPECT_EQ(bad.sys_errno, EINVAL);
  EXPECT_EQ(bad.message, "EXEC payload is not NUL-terminated arguments");
}

TEST(Decide, AnExecOfSessionZeroIsIgnored) {
  Decision d = Decide(Exec(0, {"true"}), 0, None);
  EXPECT_EQ(d.kind, Kind::kIgnore);
  EXPECT_EQ(d.log, "ignored an EXEC with session 0");
}

TEST(Decide, AnExecInputStartsItsCommandWithInput) {
  Decision d = Decide(
      channel::EncodeFrame(FrameType::kExecInput, 7, *channel::EncodeArgv({"sh"}, "t")), 0, None);
  EXPECT_EQ(d.kind, Kind::kStart);
  EXPECT_TRUE(d.input);
  EXPECT_FALSE(Decide(Exec(7, {"sh"}), 0, None).input);
  Decision zero = Decide(
      channel::EncodeFrame(FrameType::kExecInput, 0, *channel::EncodeArgv({"sh"}, "t")), 0, None);
  EXPECT_EQ(zero.log, "ignored an EXEC_INPUT with session 0");
}

TEST(Decide, AnExecPtyStartsItsCommandOnATerminal) {
  auto payload = *channel::EncodePty({{30, 100}, "xterm", {"sh", "-l"}}, "t");
  Decision d = Decide(channel::EncodeFrame(FrameType::kExecPty, 7, payload), 0, None);
  EXPECT_EQ(d.kind, Kind::kStart);
  EXPECT_TRUE(d.pty);
  EXPECT_TRUE(d.input);
  EXPECT_EQ(d.size, (channel::Winsize{30, 100}));
  EXPECT_EQ(d.term, "xterm");
  EXPECT_EQ(d.argv, (std::vector<std::string>{"sh", "-l"}));
  payload[0] = 0;  // 0 rows
  Decision bad = Decide(channel::EncodeFrame(FrameType::kExecPty, 7, payload), 0, None);
  EXPECT_EQ(bad.kind, Kind::kRefuse);
  EXPECT_EQ(bad.sys_errno, EINVAL);
  EXPECT_EQ(bad.message, "window size 0x100 outside 1..9999");
}

TEST(Decide, AWinsizeResizesARunningSessionOnly) {
  auto running = [](uint32_t) { return SessionState::kRunning; };
  auto frame = channel::EncodeFrame(FrameType::kWinsize, 7, channel::EncodeWinsize({40, 120}));
  Decision d = Decide(frame, 1, running);
  EXPECT_EQ(d.kind, Kind::kWinsize);
  EXPECT_EQ(d.size, (channel::Winsize{40, 120}));
  EXPECT_EQ(Decide(frame, 1, [](uint32_t) { return SessionState::kExited; }).kind, Kind::kIgnore);
  Decision bad = Decide(channel::EncodeFrame(FrameType::kWinsize, 7, channel::EncodeWinsize({0, 1})),
                        1, running);
  EXPECT_EQ(bad.kind, Kind::kIgnore);
  EXPECT_EQ(bad.log, "ignored a WINSIZE: window size 0x1 outside 1..9999");
}

TEST(Decide, InputGoesToASessionThatIsThereAndIsDroppedOtherwise) {
  uint8_t bytes[] = {'h', 'i'};
  auto frame = channel::EncodeFrame(FrameType::kInput, 7, bytes);
  Decision d = Decide(frame, 1, [](uint32_t) { return SessionState::kRunning; });
  EXPECT_EQ(d.kind, Kind::kInput);
  EXPECT_EQ(d.session, 7u);
  EXPECT_EQ(d.bytes, (std::vector<uint8_t>{'h', 'i'}));
  // Exited: the agent still acknowledges it (Agent::Input); gone: dropped.
  EXPECT_EQ(Decide(frame, 1, [](uint32_t) { return SessionState::kExited; }).kind, Kind::kInput);
  Decision gone = Decide(frame, 0, None);
  EXPECT_EQ(gone.kind, Kind::kIgnore);
  EXPECT_EQ(gone.log, "");
  Decision end = Decide(channel::EncodeFrame(FrameType::kInput, 7), 1,
                        [](uint32_t) { return SessionState::kRunning; });
  EXPECT_EQ(end.kind, Kind::kInput);
  EXPECT_TRUE(end.bytes.empty());
}

TEST(Decide, KillOnlyARunningSession) {
  auto frame = channel::EncodeFrame(FrameType::kKill, 7);
  EXPECT_EQ(Decide(frame, 1, [](uint32_t) { return SessionState::kRunning; }).kind, Kind::kKill);
  EXPECT_EQ(Decide(frame, 1, [](uint32_t) { return SessionState::kExited; }).kind, Kind::kIgnore);
  EXPECT_EQ(Decide(frame, 0, None).kind, Kind::kIgnore);
}

TEST(Decide, APingIsAnsweredWithItsPayloadWhateverTheSessions) {
  uint8_t payload[] = {1, 2, 3, 4, 5, 6, 7, 8};
  auto frame = channel::EncodeFrame(FrameType::kPing, 7, payload);
  for (size_t open : {size_t{0}, kMaxSessions}) {
    Decision d = Decide(frame, open, [](uint32_t) { return SessionState::kRunning; });
    EXPECT_EQ(d.kind, Kind::kPong);
    EXPECT_EQ(d.session, 7u);
    EXPECT_EQ(d.echo, std::vector<uint8_t>(payload, payload + 8));
    EXPECT_EQ(d.log, "");
  }
  Decision zero = Decide(channel::EncodeFrame(FrameType::kPing, 0, payload), 0, None);
  EXPECT_EQ(zero.kind, Kind::kIgnore);
  EXPECT_EQ(zero.log, "ignored a PING with session 0");
}

TEST(Decide, APongFromNode0IsIgnored) {
  Decision d = Decide(channel::EncodeFrame(FrameType::kPong, 7), 0, None);
  EXPECT_EQ(d.kind, Kind::kIgnore);
  EXPECT_EQ(d.log, "ignored a PONG frame from node0");
}

TEST(Decide, AnUnreadableFrameThatNamesANewSessionIsAnswered) {
  auto record = Exec(7, {"true"});
  record[4] = 2;  // version 2
  Decision d = Decide(record, 0, None);
  EXPECT_EQ(d.kind, Kind::kRefuse);
  EXPECT_EQ(d.sys_errno, EPROTO);
  EXPECT_EQ(d.session, 7u);
  EXPECT_EQ(d.log.rfind("ignored a record from node0: frame version 2", 0), 0u) << d.log;
  record[0] = 0;  // not even a mint frame: nobody to answer
  EXPECT_EQ(Decide(record, 0, None).kind, Kind::kIgnore);
  EXPECT_EQ(Decide(std::vector<uint8_t>{1, 2, 3}, 0, None).kind, Kind::kIgnore);
}

TEST(Decide, FramesOnlyANodeSendsAreIgnoredAndLogged) {
  Decision d = Decide(channel::EncodeFrame(FrameType::kStdout, 7), 0, None);
  EXPECT_EQ(d.kind, Kind::kIgnore);
  EXPECT_EQ(d.log, "ignored a STDOUT frame from node0");
}

}  // namespace
}  // namespace mint::agent
