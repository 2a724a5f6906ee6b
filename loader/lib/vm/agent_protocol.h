// The guest agent protocol's bytes (docs/vm.md; the guest end is
// kvm-per-node/guest-init), without I/O: the request line, and a parser fed
// whatever the agent port gives until the answer is complete.
//   host -> guest  <token> <base64 of a shell script>\n
//   guest -> host  @@B<token>\n<base64 of the output, lines allowed>\n@@E<token>:<status>\n
// Bytes before @@B<token> (answers to earlier requests, console noise) are
// skipped: the token names the answer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mint::vm::internal {

inline constexpr size_t kMaxToken = 32;

// 16 random hex digits (getrandom).
std::string RandomToken();
// argv as one sh command line, each argument single-quoted.
std::string ShellQuote(const std::vector<std::string>& argv);
// Precondition: token is 1..kMaxToken characters of [0-9a-f].
std::string AgentRequest(std::string_view token, std::string_view script);

class AgentReply {
 public:
  enum class State { kMore, kDone, kFailed };
  AgentReply(std::string token, size_t max_output);

  // Takes the next bytes; kDone: output() and status() are the answer;
  // kFailed: error() says why (too much output, not base64, a bad status).
  State Feed(std::string_view bytes);

  State state() const { return state_; }
  const std::string& output() const { return output_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }

 private:
  State Fail(std::string why);

  std::string begin_, end_;  // "@@B<token>\n", "\n@@E<token>:"
  size_t max_output_, max_encoded_;
  bool in_body_ = false;
  std::string buf_;
  size_t scanned_ = 0;  // buf_ before this holds no end marker start
  State state_ = State::kMore;
  std::string output_;
  int status_ = -1;
  std::string error_;
};

}  // namespace mint::vm::internal
