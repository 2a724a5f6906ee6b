// How a mintctl command reaches a node's channel: through the node's relay
// (mint/channel/relay.h, `mintctl relay NODE`), started here when none
// serves the node yet. exec, ping and the vm verbs use it, so any number of
// them run side by side.
#pragma once

#include <memory>

#include "host.h"
#include "mint/channel.h"

namespace mint::cli {

// A Port to `node`'s agent: connects to /run/mint/<node>.channel.sock, or
// starts `mintctl relay NODE` (detached: its own session, output in
// /run/mint/<node>.relay.log) and connects once it listens. Errors name the
// relay's last log line when it did not come up.
Result<std::unique_ptr<channel::Port>> OpenChannel(const Globals& globals,
                                                   const channel::NodeRef& node);

}  // namespace mint::cli
