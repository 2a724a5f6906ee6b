// The channel's frame encoding and its checks (mint/channel/frame.h).
#include "mint/channel/frame.h"

#include <algorithm>
#include <cstring>

namespace mint::channel {
namespace {

constexpr const char* kCtx = "channel record";

Error Bad(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, kCtx, message);
}

}  // namespace

std::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kHello:
      return "HELLO";
    case FrameType::kExec:
      return "EXEC";
    case FrameType::kStdout:
      return "STDOUT";
    case FrameType::kStderr:
      return "STDERR";
    case FrameType::kExit:
      return "EXIT";
    case FrameType::kError:
      return "ERROR";
    case FrameType::kKill:
      return "KILL";
    case FrameType::kPing:
      return "PING";
    case FrameType::kPong:
      return "PONG";
    case FrameType::kExecInput:
      return "EXEC_INPUT";
    case FrameType::kInput:
      return "INPUT";
    case FrameType::kInputAck:
      return "INPUT_ACK";
    case FrameType::kExecPty:
      return "EXEC_PTY";
    case FrameType::kWinsize:
      return "WINSIZE";
    case FrameType::kOutputAck:
      return "OUTPUT_ACK";
  }
  return "UNKNOWN";
}

std::vector<uint8_t> EncodeFrame(FrameType type, uint32_t session,
                                 std::span<const uint8_t> payload) {
  FrameHeader h{kFrameMagic, kFrameVersion, static_cast<uint16_t>(type), session,
                static_cast<uint32_t>(payload.size())};
  std::vector<uint8_t> out(sizeof h + payload.size());
  std::memcpy(out.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(out.data() + sizeof h, payload.data(), payload.size());
  return out;
}

Result<Frame> DecodeFrame(std::span<const uint8_t> record) {
  if (record.size() < sizeof(FrameHeader))
    return Bad(std::to_string(record.size()) + " bytes, shorter than a frame header (16)");
  if (record.size() > kMaxRecord)
    return Bad(std::to_string(record.size()) + " bytes, longer than a record (4096)");
  FrameHeader h;
  std::memcpy(&h, record.data(), sizeof h);
  if (h.magic != kFrameMagic) return Bad("not a mint frame (bad magic)");
  if (h.version != kFrameVersion)
    return Bad("frame version " + std::to_string(h.version) + ", this end speaks " +
               std::to_string(kFrameVersion) + "; use the mintctl and mint-agent of one build");
  if (h.type < static_cast<uint16_t>(FrameType::kHello) ||
      h.type > static_cast<uint16_t>(kLastFrameType))
    return Bad("unknown frame type " + std::to_string(h.type));
  if (h.length != record.size() - sizeof h)
    return Bad("header says " + std::to_string(h.length) + " payload bytes, the record has " +
               std::to_string(record.size() - sizeof h));
  Frame f;
  f.type = static_cast<FrameType>(h.type);
  f.session = h.session;
  f.payload.assign(record.begin() + sizeof h, record.end());
  return f;
}

Result<std::vector<uint8_t>> EncodeArgv(const std::vector<std::string>& argv,
                                        const std::string& what) {
  if (argv.empty() || argv[0].empty())
    return MakeError(
        ErrorCode::kInvalidArgument, what,
        "no command to run; give it after --, e.g. mintctl exec " + what + " -- uname -a");
  std::vector<uint8_t> out;
  for (const auto& arg : argv) {
    if (arg.find('\0') != std::string::npos)
      return MakeError(ErrorCode::kInvalidArgument, what, "an argument contains a NUL byte");
    out.insert(out.end(), arg.begin(), arg.end());
    out.push_back(0);
  }
  if (out.size() > kMaxPayload)
    return MakeError(ErrorCode::kInvalidArgument, what,
                     "the command line is " + std::to_string(out.size()) +
                         " bytes; the channel takes at most " + std::to_string(kMaxPayload) +
                         " (put long input in a file in the node)");
  return out;
}

Result<std::vector<std::string>> DecodeArgv(std::span<const uint8_t> payload) {
  if (payload.empty() || payload.back() != 0)
    return Bad("EXEC payload is not NUL-terminated arguments");
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != 0) continue;
    argv.emplace_back(reinterpret_cast<const char*>(payload.data()) + start, i - start);
    start = i + 1;
  }
  if (argv[0].empty()) return Bad("EXEC payload has an empty program name");
  return argv;
}

std::vector<uint8_t> EncodeExit(ExitStatus status) {
  std::vector<uint8_t> out(8);
  std::memcpy(out.data(), &status.code, 4);
  std::memcpy(out.data() + 4, &status.signal, 4);
  return out;
}

Result<ExitStatus> DecodeExit(std::span<const uint8_t> payload) {
  if (payload.size() != 8)
    return Bad("EXIT payload is " + std::to_string(payload.size()) + " bytes, not 8");
  ExitStatus s;
  std::memcpy(&s.code, payload.data(), 4);
  std::memcpy(&s.signal, payload.data() + 4, 4);
  if (s.code < 0 || s.code > 255 || s.signal < 0 || s.signal > 127)
    return Bad("EXIT payload out of range (code " + std::to_string(s.code) + ", signal " +
               std::to_string(s.signal) + ")");
  return s;
}

std::vector<uint8_t> EncodeAck(uint32_t bytes) {
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &bytes, 4);
  return out;
}

Result<uint32_t> DecodeAck(FrameType type, std::span<const uint8_t> payload) {
  const std::string name(FrameTypeName(type));
  const uint32_t window = type == FrameType::kOutputAck ? kOutputWindow : kInputWindow;
  if (payload.size() != 4)
    return Bad(name + " payload is " + std::to_string(payload.size()) + " bytes, not 4");
  uint32_t bytes;
  std::memcpy(&bytes, payload.data(), 4);
  if (bytes == 0 || bytes > window)
    return Bad(name + " of " + std::to_string(bytes) + " bytes, outside 1.." +
               std::to_string(window));
  return bytes;
}

std::vector<uint8_t> EncodeWinsize(Winsize size) {
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &size.rows, 2);
  std::memcpy(out.data() + 2, &size.cols, 2);
  return out;
}

namespace {

constexpr uint16_t kMaxWinsize = 9999;
constexpr size_t kMaxTerm = 64;

bool TermChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '+' || c == '-';
}

}  // namespace

Result<Winsize> DecodeWinsize(std::span<const uint8_t> payload) {
  if (payload.size() != 4)
    return Bad("WINSIZE payload is " + std::to_string(payload.size()) + " bytes, not 4");
  Winsize s;
  std::memcpy(&s.rows, payload.data(), 2);
  std::memcpy(&s.cols, payload.data() + 2, 2);
  if (s.rows == 0 || s.cols == 0 || s.rows > kMaxWinsize || s.cols > kMaxWinsize)
    return Bad("window size " + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
               " outside 1..9999");
  return s;
}

Result<std::vector<uint8_t>> EncodePty(const PtyExec& exec, const std::string& what) {
  MINT_TRY(std::vector<uint8_t> argv, EncodeArgv(exec.argv, what));
  std::string term = exec.term;
  // A TERM the node could not take is left to the node's default.
  if (term.size() > kMaxTerm || !std::all_of(term.begin(), term.end(), TermChar)) term.clear();
  std::vector<uint8_t> out = EncodeWinsize(exec.size);
  out.insert(out.end(), term.begin(), term.end());
  out.push_back(0);
  out.insert(out.end(), argv.begin(), argv.end());
  if (out.size() > kMaxPayload)
    return MakeError(ErrorCode::kInvalidArgument, what,
                     "the command line is " + std::to_string(argv.size()) +
                         " bytes; with a terminal the channel takes at most " +
                         std::to_string(kMaxPayload - 4 - term.size() - 1));
  return out;
}

Result<PtyExec> DecodePty(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return Bad("EXEC_PTY payload is shorter than its window size");
  PtyExec e;
  MINT_TRY(e.size, DecodeWinsize(payload.subspan(0, 4)));
  auto rest = payload.subspan(4);
  auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
  if (nul == rest.end()) return Bad("EXEC_PTY payload has no NUL after TERM");
  e.term.assign(rest.begin(), nul);
  if (e.term.size() > kMaxTerm || !std::all_of(e.term.begin(), e.term.end(), TermChar))
    return Bad("EXEC_PTY's TERM is not 0..64 of [A-Za-z0-9._+-]");
  MINT_TRY(e.argv, DecodeArgv(rest.subspan(static_cast<size_t>(nul - rest.begin()) + 1)));
  return e;
}

std::vector<uint8_t> EncodeError(const RunError& error) {
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &error.sys_errno, 4);
  size_t n = std::min(error.message.size(), kMaxPayload - 4);
  out.insert(out.end(), error.message.begin(), error.message.begin() + static_cast<long>(n));
  return out;
}

Result<RunError> DecodeError(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return Bad("ERROR payload is shorter than 4 bytes");
  RunError e;
  std::memcpy(&e.sys_errno, payload.data(), 4);
  e.message.assign(reinterpret_cast<const char*>(payload.data()) + 4, payload.size() - 4);
  return e;
}

}  // namespace mint::channel
