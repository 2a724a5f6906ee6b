// After NODE_START: wait until the node says it is up (state "running"),
// or report that it failed to boot, with the last lines of its console.
#pragma once

#include <chrono>
#include <string>

#include "mint/lifecycle.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"
#include "progress.h"

namespace mint::cli {

// Polls <node_dir>/state until "running" (Ok), a state the node does not
// boot out of (failed, crashed, stopped, hung), or `deadline` passes.
// `progress`, if given, shows the wait as a step line.
Result<void> WaitUntilRunning(sys::HostFs& fs, const std::string& name, const std::string& node_dir,
                              std::chrono::seconds deadline, Progress* progress = nullptr);

// Then until its mint-agent is ready (lifecycle::WaitForAgent), for what
// `wait` has left after `spent`, and at least 5 s.
Result<void> WaitForAgentWithin(sys::HostFs& fs, const lifecycle::NodeStatus& node,
                                std::chrono::seconds wait, std::chrono::nanoseconds spent,
                                Progress* progress = nullptr);

}  // namespace mint::cli
