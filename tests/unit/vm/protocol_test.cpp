// Base64 both ways, the agent request line, the answer parser (the
// guest-init's one-line answers, wrapped ones, empty output, noise and
// other tokens' answers before ours, byte-by-byte delivery, binary output,
// bad statuses, oversize), and how a QEMU's end is worded.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "agent_protocol.h"
#include "base64.h"
#include "ending.h"
#include "mint/vm.h"

namespace mint::vm::internal {
namespace {

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::optional<std::string>(plain));
  }
}

TEST(Base64, BinaryRoundTripAndWrappedInput) {
  std::string bytes = AllBytes() + AllBytes().substr(0, 100);
  std::string encoded = Base64Encode(bytes);
  EXPECT_EQ(Base64Decode(encoded), bytes);
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) wrapped += encoded.substr(i, 76) + "\r\n";
  EXPECT_EQ(Base64Decode(wrapped), bytes);
}

TEST(Base64, RefusesWhatIsNotBase64) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm9vY"})
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
}

TEST(AgentRequest, QuotesEachArgumentForSh) {
  EXPECT_EQ(ShellQuote({"printf", "%s|", "a b", "it's", ""}), "'printf' '%s|' 'a b' 'it'\\''s' ''");
  EXPECT_EQ(AgentRequest("0a1b", "true\n"), "0a1b dHJ1ZQo=\n");
}

TEST(AgentRequest, RandomTokens) {
  std::string a = RandomToken(), b = RandomToken();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

std::string Answer(const std::string& token, const std::string& output, int status,
                   size_t wrap = 0) {
  std::string encoded = Base64Encode(output);
  std::string body;
  if (wrap == 0)
    body = encoded + "\n";
  else
    for (size_t i = 0; i < encoded.size(); i += wrap) body += encoded.substr(i, wrap) + "\n";
  return "@@B" + token + "\n" + body + "@@E" + token + ":" + std::to_string(status) + "\n";
}

TEST(AgentReply, GuestInitsOneLineAnswer) {
  AgentReply r("c0ffee", kMaxExecOutput);
  EXPECT_EQ(r.Feed(Answer("c0ffee", "hello\n", 3)), AgentReply::State::kDone);
  EXPECT_EQ(r.output(), "hello\n");
  EXPECT_EQ(r.status(), 3);
}

TEST(AgentReply, EmptyOutput) {
  AgentReply r("ab", kMaxExecOutput);
  EXPECT_EQ(r.Feed("@@Bab\n\n@@Eab:0\n"), AgentReply::State::kDone);
  EXPECT_EQ(r.output(), "");
  AgentReply tight("ab", kMaxExecOutput);
  EXPECT_EQ(tight.Feed("@@Bab\n@@Eab:0\n"), AgentReply::State::kDone);
  EXPECT_EQ(tight.output(), "");
}

TEST(AgentReply, SkipsNoiseAndOtherAnswersAndTakesBytesOneByOne) {
  std::string bytes = AllBytes();
  std::string stream = "console noise @@B\n" + Answer("0ld", "stale", 1) + "@@Bab" +
                       Answer("abc", bytes, 42, 76) + "trailing";
  AgentReply r("abc", kMaxExecOutput);
  AgentReply::State s = AgentReply::State::kMore;
  for (char c : stream) {
    s = r.Feed(std::string_view(&c, 1));
    if (s != AgentReply::State::kMore) break;
  }
  ASSERT_EQ(s, AgentReply::State::kDone) << r.error();
  EXPECT_EQ(r.output(), bytes);
  EXPECT_EQ(r.status(), 42);
}

TEST(AgentReply, Refusals) {
  struct Case {
    std::string stream, error;
  };
  const Case cases[] = {
      {"@@Bt\nZm9v\n@@Et:256\n", "the agent's exit status 256 is not 0-255"},
      {"@@Bt\nZm9v\n@@Et:x\n", "the agent's exit status is not a number"},
      {"@@Bt\nZm9v\n@@Et:12345", "the agent's exit status is not a number"},
      {"@@Bt\nnot*base64\n@@Et:0\n", "the agent's answer is not base64"},
      {Answer("t", std::string(17, 'x'), 0),
       "the output is larger than 16 B; write it to a file in the guest and read it in pieces"},
      {"@@Bt\n" + std::string(200, 'A'),
       "the output is larger than 16 B; write it to a file in the guest and read it in pieces"},
  };
  for (const Case& c : cases) {
    AgentReply r("t", 16);
    EXPECT_EQ(r.Feed(c.stream), AgentReply::State::kFailed) << c.stream;
    EXPECT_EQ(r.error(), c.error);
  }
}

int Exited(int code) { return code << 8; }  // a waitpid status
int Signalled(int sig) { return sig; }

TEST(DescribeEnd, Words) {
  auto words = [](int ws, bool killed, bool stopped, std::string_view qemu = "",
                  std::string_view console = "") {
    End e = DescribeEnd(ws, killed, stopped, qemu, console);
    return e.state + ": " + e.reason;
  };
  ASSERT_TRUE(WIFSIGNALED(Signalled(9)) && WEXITSTATUS(Exited(1)) == 1);
  EXPECT_EQ(words(Signalled(9), true, false), "stopped: killed by mintctl vm kill");
  EXPECT_EQ(words(Signalled(9), true, true), "stopped: killed by mintctl vm kill");
  EXPECT_EQ(words(Exited(0), false, true), "stopped: stopped by mintctl vm stop");
  EXPECT_EQ(words(Signalled(15), false, true), "stopped: stopped by mintctl vm stop");
  EXPECT_EQ(words(Signalled(11), false, false), "crashed: QEMU killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(words(Signalled(6), false, false), "crashed: QEMU killed by signal 6 (SIGABRT)");
  EXPECT_EQ(words(Exited(0), false, false, "", "[ 9.1] reboot: Power down\n"),
            "stopped: powered off by itself");
  EXPECT_EQ(words(Exited(0), false, false, "", "[ 9.1] reboot: Restarting system\n"),
            "stopped: rebooted itself (-no-reboot ends QEMU)");
  EXPECT_EQ(words(Exited(0), false, false, "", "[ 0.1] early\nmint-guest: g0 up\r\n\n"),
            "stopped: ended by itself without a poweroff or reboot line (a reset such as a "
            "triple fault, or a silent poweroff); its console's last line: mint-guest: g0 up");
  EXPECT_EQ(words(Exited(0), false, false, "", ""),
            "stopped: ended by itself without a poweroff or reboot line (a reset such as a "
            "triple fault, or a silent poweroff); its console is empty");
  EXPECT_EQ(words(Exited(1), false, false, "qemu-system-x86_64: -accel kvm: failed"),
            "crashed: QEMU exited with status 1: qemu-system-x86_64: -accel kvm: failed");
  EXPECT_EQ(words(Exited(1), false, false),
            "crashed: QEMU exited with status 1 (its log is empty)");
  EXPECT_EQ(words(Exited(0), false, false,
                  "qemu-system-x86_64: terminating on signal 15 from pid 1 (init)"),
            "stopped: QEMU terminating on signal 15 from pid 1 (init)");
  EXPECT_EQ(words(Exited(0), false, false, "",
                  "[    2.0] Kernel panic - not syncing: Attempted to kill init!\n[    2.1] end"),
            "crashed: the guest kernel panicked: Attempted to kill init!");
  End e = DescribeEnd(Exited(2), false, false, std::string(400, '\x01'), "");
  EXPECT_EQ(e.reason.size(), 256u);
  EXPECT_EQ(e.reason.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace mint::vm::internal
