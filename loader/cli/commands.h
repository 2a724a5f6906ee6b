// One function per mintctl subcommand. Each writes its normal output to
// `out` and returns an Error instead of printing one; main() reports it.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "exit_codes.h"
#include "host.h"
#include "node_spec.h"

namespace mint::cli {

Result<void> RunTopology(const Globals& globals, std::ostream& out);
Result<void> RunPlan(const Globals& globals, const NodeArgs& args, std::ostream& out);
Result<void> RunStatus(const Globals& globals, std::ostream& out);
Result<void> RunStop(const Globals& globals, const std::string& name, bool force,
                     uint32_t timeout_ms, std::ostream& out);
Result<void> RunDestroy(const Globals& globals, const std::string& name, std::ostream& out);
// Plans, rehearses (refusing with nothing changed), then under the host
// lock boots the node, waits up to `wait_s` seconds for it to report
// "running" (0: no wait) and for its agent, and starts its guests.
// `timings`: the phases and their times after the rest (--json has them
// always).
Result<void> RunBootNode(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                         bool timings, std::ostream& out);
Result<void> RunRestart(const Globals& globals, const std::string& name, uint32_t wait_s,
                        uint32_t timeout_ms, bool timings, std::ostream& out);
Result<void> RunRecover(const Globals& globals, std::ostream& out);
Result<void> RunWatch(const Globals& globals, uint32_t interval_ms, std::ostream& out);
// Returns the exit code itself (the command's status, or kExecFailed).
// exec -i: our stdin forwarded to the command; -t: on a terminal in the node.
struct ExecStdin {
  bool input = false;
  bool tty = false;
};
int RunExec(const Globals& globals, const std::string& name, std::optional<double> timeout_s,
            ExecStdin how, std::vector<std::string> argv);
// count >= 1 PINGs, interval_s apart; an unanswered one is an Error.
Result<void> RunPing(const Globals& globals, const std::string& name, uint32_t count,
                     double interval_s, std::ostream& out);
// Serves the node's channel until it ends (relay_cmd.cpp); `log` gets a
// line at its start and end.
Result<void> RunRelay(const Globals& globals, const std::string& name, std::ostream& log);
Result<void> RunConsole(const Globals& globals, const std::string& node, bool follow,
                        std::ostream& out);

// mintctl vm (vm_cmd.cpp). NODE "node0" is node0's own KVM.
Result<void> RunVmStart(const Globals& globals, const std::string& node,
                        const config::GuestFlags& flags, std::ostream& out);
Result<void> RunVmList(const Globals& globals, const std::optional<std::string>& node,
                       std::ostream& out);
// kill: SIGKILL its VMM at once; otherwise ask the guest, forced after timeout_s.
Result<void> RunVmStop(const Globals& globals, const std::string& node, const std::string& guest,
                       bool kill, uint32_t timeout_s, std::ostream& out);
Result<void> RunVmRemove(const Globals& globals, const std::string& node, const std::string& guest,
                         std::ostream& out);
Result<void> RunVmConsole(const Globals& globals, const std::string& node, const std::string& guest,
                          bool follow);
// Returns the guest command's status, or kExecFailed.
int RunVmExec(const Globals& globals, const std::string& node, const std::string& guest,
              double timeout_s, const std::vector<std::string>& argv);

}  // namespace mint::cli
