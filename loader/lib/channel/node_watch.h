// What node0's channel clients (exec.cpp, ping.cpp) read about a node while
// they talk to it, and the words they use when it went away. Internal to
// mint_channel.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mint/channel.h"

namespace mint::channel {

// nodes/<id>/<attr>, trimmed; "" when it cannot be read.
std::string ReadAttr(sys::HostFs& fs, const NodeRef& node, const char* attr);
// "crashed (Kernel panic ...)".
std::string StateText(NodeState state, const std::string& reason);
// What brings a node in `state` back: "; mintctl restart NODE boots it again".
std::string WayOut(NodeState state, const std::string& name);
// "5 s" or "250 ms".
std::string Duration(std::chrono::milliseconds d);

// The node left "running" (or lost its agent) while the client waited: the
// error names the new state and reason, `during` what the client was doing
// ("the command ran") and `unknown` what is now unknown ("; the command's
// outcome is unknown", or ""). nullopt if it still looks fine.
std::optional<Error> NodeGone(sys::HostFs& fs, const NodeRef& node, const std::string& during,
                              const std::string& unknown);

}  // namespace mint::channel
