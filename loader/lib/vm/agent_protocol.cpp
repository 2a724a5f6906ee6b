// The guest agent protocol's request and answer (agent_protocol.h).
#include "agent_protocol.h"

#include <sys/random.h>

#include <chrono>
#include <cstdint>

#include "base64.h"
#include "mint/model.h"

namespace mint::vm::internal {

std::string RandomToken() {
  uint64_t value = 0;
  if (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value))
    value = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 16; ++i) token += kHex[(value >> (4 * i)) & 15];
  return token;
}

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    line += '\'';
    for (char c : arg) {
      if (c == '\'')
        line += "'\\''";
      else
        line += c;
    }
    line += '\'';
  }
  return line;
}

std::string AgentRequest(std::string_view token, std::string_view script) {
  return std::string(token) + " " + Base64Encode(script) + "\n";
}

AgentReply::AgentReply(std::string token, size_t max_output)
    : begin_("@@B" + token + "\n"),
      end_("\n@@E" + token + ":"),
      max_output_(max_output),
      // 4 characters per 3 bytes, plus line breaks every 76 or fewer.
      max_encoded_((max_output + 2) / 3 * 4 * 2 + 64) {}

AgentReply::State AgentReply::Fail(std::string why) {
  error_ = std::move(why);
  buf_.clear();
  return state_ = State::kFailed;
}

AgentReply::State AgentReply::Feed(std::string_view bytes) {
  if (state_ != State::kMore) return state_;
  buf_.append(bytes);
  if (!in_body_) {
    size_t at = buf_.find(begin_);
    if (at == std::string::npos) {
      // Keep only what could be the start of the marker.
      if (buf_.size() >= begin_.size()) buf_.erase(0, buf_.size() - (begin_.size() - 1));
      return state_;
    }
    // Keep the marker's newline: an empty answer's end marker follows it.
    buf_.erase(0, at + begin_.size() - 1);
    in_body_ = true;
    scanned_ = 0;
  }
  size_t at = buf_.find(end_, scanned_);
  if (at == std::string::npos) {
    if (buf_.size() > max_encoded_)
      return Fail("the output is larger than " + ByteSize{max_output_}.ToString() +
                  "; write it to a file in the guest and read it in pieces");
    scanned_ = buf_.size() >= end_.size() ? buf_.size() - (end_.size() - 1) : 0;
    return state_;
  }
  size_t digits = at + end_.size();
  size_t nl = buf_.find('\n', digits);
  if (nl == std::string::npos) {
    if (buf_.size() - digits > 3) return Fail("the agent's exit status is not a number");
    scanned_ = at;
    return state_;
  }
  std::string number = buf_.substr(digits, nl - digits);
  int status = 0;
  if (number.empty() || number.size() > 3) return Fail("the agent's exit status is not a number");
  for (char c : number) {
    if (c < '0' || c > '9') return Fail("the agent's exit status is not a number");
    status = status * 10 + (c - '0');
  }
  if (status > 255) return Fail("the agent's exit status " + number + " is not 0-255");
  auto decoded = Base64Decode(std::string_view(buf_).substr(0, at));
  if (!decoded) return Fail("the agent's answer is not base64");
  if (decoded->size() > max_output_)
    return Fail("the output is larger than " + ByteSize{max_output_}.ToString() +
                "; write it to a file in the guest and read it in pieces");
  output_ = std::move(*decoded);
  status_ = status;
  buf_.clear();
  return state_ = State::kDone;
}

}  // namespace mint::vm::internal
