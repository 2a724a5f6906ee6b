// Small readers of /sys/kernel/mint (docs/abi.md) that status and console
// need beyond topology::Discover: one node's directory by name, and one
// attribute re-read for liveness.
#pragma once

#include <cstdint>
#include <string>

#include "mint/result.h"
#include "mint/sys/host_fs.h"

namespace mint::cli {

inline constexpr const char* kMintSysfs = "/sys/kernel/mint";

// The "no mint support" error (exit code 4).
Error NoMintError();

// "/sys/kernel/mint/nodes/<id>": the one place the CLI spells a node's
// directory (topology::Discover reads the same layout for the full state).
std::string NodeDir(uint32_t id);

// "/sys/kernel/mint/nodes/<id>" of the node called `name`.
Result<std::string> NodeDir(sys::HostFs& fs, const std::string& name);

}  // namespace mint::cli
