// The frame protocol's bytes and every refusal of its decoders, with the
// exact error text (mint-agent logs it; mintctl shows it).
#include "mint/channel/frame.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mint::channel {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Frame, HeaderLayout) {
  auto r = EncodeFrame(FrameType::kStdout, 0x01020304, Bytes("hi"));
  ASSERT_EQ(r.size(), 18u);
  EXPECT_EQ(std::string(r.begin(), r.begin() + 4), "MNTF");  // 0x00 magic
  EXPECT_EQ(r[4], 1);                                        // 0x04 version
  EXPECT_EQ(r[6], 3);                                        // 0x06 type STDOUT
  EXPECT_EQ(r[8], 0x04);                                     // 0x08 session, little-endian
  EXPECT_EQ(r[11], 0x01);
  EXPECT_EQ(r[12], 2);  // 0x0c length
  EXPECT_EQ(std::string(r.begin() + 16, r.end()), "hi");
}

TEST(Frame, RoundTrip) {
  for (auto type : {FrameType::kHello, FrameType::kExec, FrameType::kStdout, FrameType::kStderr,
                    FrameType::kExit, FrameType::kError, FrameType::kKill, FrameType::kPing,
                    FrameType::kPong, FrameType::kExecInput, FrameType::kInput,
                    FrameType::kInputAck, FrameType::kExecPty, FrameType::kWinsize,
                    FrameType::kOutputAck}) {
    std::vector<uint8_t> payload(kMaxPayload, 0xab);
    auto f = DecodeFrame(EncodeFrame(type, 7, payload));
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ(f->type, type);
    EXPECT_EQ(f->session, 7u);
    EXPECT_EQ(f->payload, payload);
  }
  EXPECT_EQ(FrameTypeName(FrameType::kKill), "KILL");
  EXPECT_EQ(FrameTypeName(FrameType::kPing), "PING");
  EXPECT_EQ(FrameTypeName(FrameType::kPong), "PONG");
  EXPECT_EQ(FrameTypeName(FrameType::kExecInput), "EXEC_INPUT");
  EXPECT_EQ(FrameTypeName(FrameType::kInput), "INPUT");
  EXPECT_EQ(FrameTypeName(FrameType::kInputAck), "INPUT_ACK");
  EXPECT_EQ(FrameTypeName(FrameType::kOutputAck), "OUTPUT_ACK");
}

TEST(Frame, WinsizeAndPty) {
  EXPECT_EQ(*DecodeWinsize(EncodeWinsize({50, 132})), (Winsize{50, 132}));
  EXPECT_EQ(DecodeWinsize(EncodeWinsize({0, 80})).error().ToString(),
            "channel record: window size 0x80 outside 1..9999");
  EXPECT_EQ(DecodeWinsize(EncodeWinsize({24, 10000})).error().ToString(),
            "channel record: window size 24x10000 outside 1..9999");
  EXPECT_EQ(DecodeWinsize(Bytes("xyz")).error().ToString(),
            "channel record: WINSIZE payload is 3 bytes, not 4");
  auto p = EncodePty({{30, 100}, "xterm-256color", {"sh", "-l"}}, "node1");
  ASSERT_TRUE(p.ok());
  auto back = DecodePty(*p);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->size, (Winsize{30, 100}));
  EXPECT_EQ(back->term, "xterm-256color");
  EXPECT_EQ(back->argv, (std::vector<std::string>{"sh", "-l"}));
  // A TERM the node could not take is not sent: the node's default.
  EXPECT_EQ(DecodePty(*EncodePty({{24, 80}, "x;rm -rf", {"sh"}}, "node1"))->term, "");
  EXPECT_EQ(EncodePty({{24, 80}, "", {}}, "node1").error().ToString(),
            "node1: no command to run; give it after --, e.g. mintctl exec node1 -- uname -a");
  std::vector<uint8_t> bad = *p;
  bad[6] = '\n';  // inside TERM
  EXPECT_EQ(DecodePty(bad).error().ToString(),
            "channel record: EXEC_PTY's TERM is not 0..64 of [A-Za-z0-9._+-]");
  std::vector<uint8_t> no_nul = EncodeWinsize({24, 80});
  no_nul.push_back('x');
  EXPECT_EQ(DecodePty(no_nul).error().ToString(),
            "channel record: EXEC_PTY payload has no NUL after TERM");
  EXPECT_EQ(DecodePty(Bytes("ab")).error().ToString(),
            "channel record: EXEC_PTY payload is shorter than its window size");
}

TEST(Frame, OutputAck) {
  EXPECT_EQ(*DecodeAck(FrameType::kOutputAck, EncodeAck(kOutputWindow)), kOutputWindow);
  EXPECT_EQ(DecodeAck(FrameType::kOutputAck, EncodeAck(kOutputWindow + 1)).error().ToString(),
            "channel record: OUTPUT_ACK of 65537 bytes, outside 1..65536");
  EXPECT_EQ(DecodeAck(FrameType::kOutputAck, Bytes("xxxxx")).error().ToString(),
            "channel record: OUTPUT_ACK payload is 5 bytes, not 4");
}

TEST(Frame, InputAck) {
  EXPECT_EQ(*DecodeAck(FrameType::kInputAck, EncodeAck(4080)), 4080u);
  EXPECT_EQ(*DecodeAck(FrameType::kInputAck, EncodeAck(kInputWindow)), kInputWindow);
  EXPECT_EQ(DecodeAck(FrameType::kInputAck, EncodeAck(0)).error().ToString(),
            "channel record: INPUT_ACK of 0 bytes, outside 1..65536");
  EXPECT_EQ(DecodeAck(FrameType::kInputAck, EncodeAck(kInputWindow + 1)).error().ToString(),
            "channel record: INPUT_ACK of 65537 bytes, outside 1..65536");
  EXPECT_EQ(DecodeAck(FrameType::kInputAck, Bytes("xx")).error().ToString(),
            "channel record: INPUT_ACK payload is 2 bytes, not 4");
}

std::string DecodeErr(std::vector<uint8_t> record) {
  auto f = DecodeFrame(record);
  return f.ok() ? "ok" : f.error().ToString();
}

TEST(Frame, DecodeRefusals) {
  EXPECT_EQ(DecodeErr(Bytes("short")), "channel record: 5 bytes, shorter than a frame header (16)");
  EXPECT_EQ(DecodeErr(std::vector<uint8_t>(4097)),
            "channel record: 4097 bytes, longer than a record (4096)");
  EXPECT_EQ(DecodeErr(std::vector<uint8_t>(16)), "channel record: not a mint frame (bad magic)");
  auto r = EncodeFrame(FrameType::kKill, 1);
  r[4] = 9;
  EXPECT_EQ(DecodeErr(r),
            "channel record: frame version 9, this end speaks 1; use the mintctl and mint-agent "
            "of one build");
  r = EncodeFrame(FrameType::kKill, 1);
  r[6] = 16;
  EXPECT_EQ(DecodeErr(r), "channel record: unknown frame type 16");
  r[6] = 0;
  EXPECT_EQ(DecodeErr(r), "channel record: unknown frame type 0");
  r = EncodeFrame(FrameType::kStdout, 1, Bytes("abc"));
  r.pop_back();
  EXPECT_EQ(DecodeErr(r), "channel record: header says 3 payload bytes, the record has 2");
}

TEST(Frame, ArgvRoundTrip) {
  auto p = EncodeArgv({"sh", "-c", "echo 'a b'", ""}, "node1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::string(p->begin(), p->end()), std::string("sh\0-c\0echo 'a b'\0\0", 18));
  auto argv = DecodeArgv(*p);
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (std::vector<std::string>{"sh", "-c", "echo 'a b'", ""}));
}

TEST(Frame, ArgvRefusals) {
  EXPECT_EQ(EncodeArgv({}, "node1").error().ToString(),
            "node1: no command to run; give it after --, e.g. mintctl exec node1 -- uname -a");
  EXPECT_EQ(EncodeArgv({""}, "node1").error().ToString(),
            "node1: no command to run; give it after --, e.g. mintctl exec node1 -- uname -a");
  EXPECT_EQ(EncodeArgv({"echo", std::string("a\0b", 3)}, "node1").error().ToString(),
            "node1: an argument contains a NUL byte");
  EXPECT_EQ(EncodeArgv({"echo", std::string(4076, 'x')}, "node1").error().ToString(),
            "node1: the command line is 4082 bytes; the channel takes at most 4080 (put long "
            "input in a file in the node)");
  EXPECT_TRUE(EncodeArgv({"echo", std::string(4074, 'x')}, "node1").ok());
  EXPECT_EQ(DecodeArgv(Bytes("sh")).error().ToString(),
            "channel record: EXEC payload is not NUL-terminated arguments");
  EXPECT_EQ(DecodeArgv({}).error().ToString(),
            "channel record: EXEC payload is not NUL-terminated arguments");
  EXPECT_EQ(DecodeArgv(std::vector<uint8_t>{0, 'a', 0}).error().ToString(),
            "channel record: EXEC payload has an empty program name");
}

TEST(Frame, ExitAndErrorPayloads) {
  auto e = DecodeExit(EncodeExit({3, 0}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ShellStatus(), 3);
  e = DecodeExit(EncodeExit({0, 9}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ShellStatus(), 137);
  EXPECT_EQ(DecodeExit(Bytes("abc")).error().ToString(),
            "channel record: EXIT payload is 3 bytes, not 8");
  EXPECT_EQ(DecodeExit(EncodeExit({256, 0})).error().ToString(),
            "channel record: EXIT payload out of range (code 256, signal 0)");
  auto r = DecodeError(EncodeError({2, "cannot run x: No such file or directory"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sys_errno, 2);
  EXPECT_EQ(r->message, "cannot run x: No such file or directory");
  EXPECT_EQ(DecodeError(Bytes("ab")).error().ToString(),
            "channel record: ERROR payload is shorter than 4 bytes");
  EXPECT_EQ(EncodeError({1, std::string(5000, 'x')}).size(), kMaxPayload);
}

}  // namespace
}  // namespace mint::channel
