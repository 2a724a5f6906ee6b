// What mint-agent does about one record node0 wrote to the channel,
// decided without any I/O: the record is decoded and checked
// (mint/channel/frame.h) against what the agent knows of its sessions, and
// the answer is one Decision that Agent::Handle carries out (start a
// command, kill one, answer ERROR, or nothing). Kept apart from the serving
// loop so every byte node0 can send is tested (and fuzzed,
// tests/fuzz/agent_frame) without forking a command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mint/channel/frame.h"

namespace mint::agent {

inline constexpr size_t kMaxSessions = 32;

enum class SessionState { kNone, kRunning, kExited };

struct Decision {
  enum class Kind {
    kIgnore,  // nothing to do (log says why, if anything)
    kStart,   // run argv as `session` (stdin: a pipe INPUT fills when `input`)
    kKill,    // SIGKILL the running `session`'s process group
    kRefuse,  // answer `session` with an ERROR frame {sys_errno, message}
    kPong,    // answer `session` with a PONG frame carrying `echo`
    kInput,    // `bytes` for the session's stdin (empty: its end)
    kWinsize,  // resize the running session's terminal to `size`
    kOutputAck,  // node0 took `acked` more bytes of the session's output
  };
  Kind kind = Kind::kIgnore;
  uint32_t session = 0;
  std::vector<std::string> argv;  // kStart: never empty, argv[0] never empty
  bool input = false;             // kStart: EXEC_INPUT or EXEC_PTY (input from INPUT)
  bool pty = false;               // kStart: EXEC_PTY (on a terminal of `size`, TERM=`term`)
  channel::Winsize size;          // kStart with pty, kWinsize
  std::string term;               // kStart with pty
  int sys_errno = 0;              // kRefuse
  std::string message;            // kRefuse
  std::vector<uint8_t> echo;      // kPong: the PING's payload
  std::vector<uint8_t> bytes;     // kInput
  uint32_t acked = 0;             // kOutputAck: 1..kOutputWindow
  std::string log;                // a line for the agent's log; empty: none
};

// `record` is one record as read from the channel (any bytes, any length).
// `sessions_open` is how many sessions the agent holds; `state_of` tells a
// session's state. Never throws for any input.
Decision Decide(std::span<const uint8_t> record, size_t sessions_open,
                const std::function<SessionState(uint32_t)>& state_of);

}  // namespace mint::agent
