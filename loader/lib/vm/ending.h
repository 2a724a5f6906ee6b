// How a guest's QEMU ended, in the words GuestStatus::reason uses. Pure:
// the supervisor gathers the facts (wait status, markers, the last line of
// qemu.log, the end of console.log) and this names the end.
#pragma once

#include <string>
#include <string_view>

namespace mint::vm::internal {

struct End {
  std::string state;   // "stopped" or "crashed"
  std::string reason;  // at most kMaxString bytes, printable ASCII
};

// `wait_status` as waitpid gives it. killed/stopped: the kill-requested and
// stop-requested markers. qemu_last_line: the last non-empty line of
// qemu.log; console_tail: the last lines of console.log.
End DescribeEnd(int wait_status, bool killed, bool stopped, std::string_view qemu_last_line,
                std::string_view console_tail);

// "SIGSEGV" for 11.
std::string SignalName(int signal);

}  // namespace mint::vm::internal
