// One function per mintctl subcommand. Each writes its normal output to
// `out` and returns an Error instead of printing one; main() reports it.
#pragma once

#include <ostream>
#include <string>

#include "host.h"
#include "node_spec.h"

namespace mint::cli {

Result<void> RunTopology(const Globals& globals, std::ostream& out);
Result<void> RunPlan(const Globals& globals, const NodeArgs& args, std::ostream& out);
// Waits up to `wait_s` seconds for the node to report "running" (0: no wait).
Result<void> RunBoot(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                     std::ostream& out);
Result<void> RunStatus(const Globals& globals, std::ostream& out);
Result<void> RunStop(const Globals& globals, const std::string& name, bool force,
                     uint32_t timeout_ms, std::ostream& out);
Result<void> RunDestroy(const Globals& globals, const std::string& name, std::ostream& out);
Result<void> RunConsole(const Globals& globals, const std::string& node, bool follow,
                        std::ostream& out);

}  // namespace mint::cli
