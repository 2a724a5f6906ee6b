// The frame protocol of mint's message channel, the one definition both
// ends compile: mint-agent inside a node and mintctl on node0. One channel
// record (<linux/mint.h>: at most MINT_CHAN_MSG_MAX bytes, written and read
// whole) carries exactly one frame: a 16-byte FrameHeader, then `length`
// payload bytes. docs/agent.md describes the conversation; this file owns
// the bytes. Encoding never fails for valid inputs (preconditions below);
// decoding checks everything and returns an Error naming what is wrong, so
// neither end ever trusts a record it did not check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mint/result.h"

namespace mint::channel {

inline constexpr size_t kMaxRecord = 4096;            // MINT_CHAN_MSG_MAX
inline constexpr uint32_t kFrameMagic = 0x4654'4e4d;  // "MNTF" in memory
inline constexpr uint16_t kFrameVersion = 1;

enum class FrameType : uint16_t {
  kHello = 1,   // agent -> node0, session 0: the agent opened the channel; payload: text
  kExec = 2,    // node0 -> agent: run argv (payload: EncodeArgv) as `session`
  kStdout = 3,  // agent -> node0: bytes the command wrote to stdout
  kStderr = 4,  // agent -> node0: bytes the command wrote to stderr
  kExit = 5,    // agent -> node0: the command ended (payload: EncodeExit); last frame
  kError = 6,   // agent -> node0: the command could not run (payload: EncodeError); last frame
  kKill = 7,    // node0 -> agent: SIGKILL the session's process group; EXIT follows
  kPing = 8,    // node0 -> agent: answer PONG at once (payload: any bytes, echoed)
  kPong = 9,    // agent -> node0: the PING's session and payload, unchanged
  // Input (`mintctl exec -i`): EXEC_INPUT is EXEC whose command reads a
  // pipe the session's INPUT frames fill (EXEC's reads /dev/null).
  kExecInput = 10,  // node0 -> agent: run argv (payload: EncodeArgv), stdin from INPUT
  kInput = 11,      // node0 -> agent: bytes for the command's stdin; empty: end of input
  kInputAck = 12,   // agent -> node0: EncodeAck, input bytes that left the agent
  // A terminal (`mintctl exec -t`): EXEC_PTY runs the command on a new
  // pseudo-terminal in the node (stdin, stdout and stderr; its output comes
  // as STDOUT, its input as INPUT); WINSIZE resizes it.
  kExecPty = 13,  // node0 -> agent: EncodePty
  kWinsize = 14,  // node0 -> agent: EncodeWinsize
  // Output flow control: node0 acknowledges the STDOUT and STDERR bytes it
  // has handed on (see kOutputWindow).
  kOutputAck = 15,  // node0 -> agent: EncodeAck, output bytes node0 has taken
};
inline constexpr FrameType kLastFrameType = FrameType::kOutputAck;
std::string_view FrameTypeName(FrameType type);  // "HELLO", "EXEC", ...

// Both ends are x86-64: fields are little-endian, naturally aligned.
struct FrameHeader {
  uint32_t magic;    // 0x00 kFrameMagic
  uint16_t version;  // 0x04 kFrameVersion
  uint16_t type;     // 0x06 FrameType
  uint32_t session;  // 0x08 chosen by mintctl per exec, never 0; 0 for HELLO
  uint32_t length;   // 0x0c payload bytes after the header == record length - 16
};
static_assert(sizeof(FrameHeader) == 16);
inline constexpr size_t kMaxPayload = kMaxRecord - sizeof(FrameHeader);  // 4080

struct Frame {
  FrameType type = FrameType::kHello;
  uint32_t session = 0;
  std::vector<uint8_t> payload;
};

// One record. Precondition: payload.size() <= kMaxPayload.
std::vector<uint8_t> EncodeFrame(FrameType type, uint32_t session,
                                 std::span<const uint8_t> payload = {});
// Checks length, magic, version, type and that `length` matches the record.
Result<Frame> DecodeFrame(std::span<const uint8_t> record);

// EXEC payload: each argument followed by a NUL. Refuses an empty argv, an
// empty program name, an argument containing NUL, and more than
// kMaxPayload bytes, with the context `what` (e.g. "node1").
Result<std::vector<uint8_t>> EncodeArgv(const std::vector<std::string>& argv,
                                        const std::string& what);
Result<std::vector<std::string>> DecodeArgv(std::span<const uint8_t> payload);

// EXIT payload: {int32 code, int32 signal}; signal != 0: killed by it.
struct ExitStatus {
  int32_t code = 0;
  int32_t signal = 0;
  // The shell's convention: code, or 128 + signal.
  int ShellStatus() const { return signal != 0 ? 128 + signal : code; }
};
std::vector<uint8_t> EncodeExit(ExitStatus status);
Result<ExitStatus> DecodeExit(std::span<const uint8_t> payload);

// Flow control, one window per session and direction, so that one
// session's reader or writer never stalls the others.
// Input: node0 keeps at most kInputWindow bytes of a session's INPUT sent
// and not yet acknowledged; the agent holds at most that much per session,
// so a command that does not read its stdin never fills the ring to the
// node (other sessions' KILLs and EXECs still get through). INPUT_ACK:
// bytes written to the command's stdin, or dropped because it closed it.
// Output: the agent keeps at most kOutputWindow bytes of a session's
// STDOUT and STDERR sent and not yet acknowledged by OUTPUT_ACK (plus, once
// the command has exited, what its pipes still hold), so a mintctl that
// stops reading holds up only its own command, whose pipe then fills.
inline constexpr uint32_t kInputWindow = 64 * 1024;
inline constexpr uint32_t kOutputWindow = 64 * 1024;
// INPUT_ACK and OUTPUT_ACK payload: {uint32 bytes}, 1..the window of
// `type`'s direction.
std::vector<uint8_t> EncodeAck(uint32_t bytes);
Result<uint32_t> DecodeAck(FrameType type, std::span<const uint8_t> payload);

// WINSIZE payload, and the start of EXEC_PTY's: {uint16 rows, uint16 cols},
// each 1..9999.
struct Winsize {
  uint16_t rows = 24;
  uint16_t cols = 80;
  bool operator==(const Winsize&) const = default;
};
std::vector<uint8_t> EncodeWinsize(Winsize size);
Result<Winsize> DecodeWinsize(std::span<const uint8_t> payload);

// EXEC_PTY payload: Winsize, then TERM (at most 64 bytes of [A-Za-z0-9._+-],
// may be empty: the node's default) and a NUL, then argv as EncodeArgv.
struct PtyExec {
  Winsize size;
  std::string term;
  std::vector<std::string> argv;
};
Result<std::vector<uint8_t>> EncodePty(const PtyExec& exec, const std::string& what);
Result<PtyExec> DecodePty(std::span<const uint8_t> payload);

// ERROR payload: {int32 errno} then text (no NUL), at most kMaxPayload.
struct RunError {
  int32_t sys_errno = 0;
  std::string message;
};
std::vector<uint8_t> EncodeError(const RunError& error);
Result<RunError> DecodeError(std::span<const uint8_t> payload);

}  // namespace mint::channel
