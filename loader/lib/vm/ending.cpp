// DescribeEnd (ending.h). The markers win: a guest ended on purpose is
// "stopped" however QEMU went. Otherwise a signal is a crash; exit status
// 0 is the guest's own doing (a poweroff, or a reset, which -no-reboot
// turns into an exit) unless its console shows a kernel panic (panic=-1
// resets at once) or QEMU says it was terminated by a signal; any other
// status is QEMU's failure, worded with its last log line. Which of
// poweroff and reset it was, QEMU's status does not say: a Linux guest's
// kernel says it last on the console ("reboot: Power down", "reboot:
// Restarting system"); a reset without either line (a triple fault, a
// firmware reset) is told as such with the console's last line, still
// "stopped" since a guest that is not Linux may power off without a word.
#include "ending.h"

#include <string.h>
#include <sys/wait.h>

#include "state_dir.h"

namespace mint::vm::internal {

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

End DescribeEnd(int wait_status, bool killed, bool stopped, std::string_view qemu_last_line,
                std::string_view console_tail) {
  if (killed) return {"stopped", "killed by mintctl vm kill"};
  if (stopped) return {"stopped", "stopped by mintctl vm stop"};
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    return {"crashed",
            "QEMU killed by signal " + std::to_string(sig) + " (" + SignalName(sig) + ")"};
  }
  int code = WEXITSTATUS(wait_status);
  if (code == 0) {
    size_t panic = console_tail.rfind("Kernel panic - not syncing");
    if (panic != std::string_view::npos) {
      std::string_view line = console_tail.substr(panic);
      line = line.substr(0, line.find('\n'));
      constexpr std::string_view kPrefix = "Kernel panic - not syncing: ";
      if (line.substr(0, kPrefix.size()) == kPrefix) line.remove_prefix(kPrefix.size());
      return {"crashed", Printable("the guest kernel panicked: " + std::string(line))};
    }
    // QEMU's own words on SIGTERM/SIGINT/SIGHUP: "qemu-system-x86_64:
    // terminating on signal 15 from pid 1 (init)".
    size_t term = qemu_last_line.find("terminating on signal");
    if (term != std::string_view::npos)
      return {"stopped", Printable("QEMU " + std::string(qemu_last_line.substr(term)))};
    if (console_tail.rfind("reboot: Power down") != std::string_view::npos)
      return {"stopped", "powered off by itself"};
    if (console_tail.rfind("reboot: Restarting system") != std::string_view::npos)
      return {"stopped", "rebooted itself (-no-reboot ends QEMU)"};
    // Where the guest was when it went: its console's last line, so that
    // a reset during boot says how far the boot had come.
    std::string_view tail = console_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.remove_suffix(1);
    std::string_view last = tail.substr(tail.rfind('\n') == std::string_view::npos
                                            ? 0
                                            : tail.rfind('\n') + 1);
    return {"stopped",
            Printable("ended by itself without a poweroff or reboot line (a reset such as a "
                      "triple fault, or a silent poweroff); " +
                      (last.empty() ? std::string("its console is empty")
                                    : "its console's last line: " + std::string(last)))};
  }
  std::string reason = "QEMU exited with status " + std::to_string(code);
  reason += qemu_last_line.empty() ? " (its log is empty)" : ": " + std::string(qemu_last_line);
  return {"crashed", Printable(reason)};
}

}  // namespace mint::vm::internal
