// The CLI's words for /sys/kernel/mint (docs/abi.md): the "no mint" error
// and a node's directory by id (a node's console tail is
// lifecycle::ConsoleTail). Nodes are listed and found by name by
// lifecycle::ListNodes/FindNode, read in full by topology::Discover.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mint/result.h"
#include "mint/sys/host_fs.h"

namespace mint::cli {

inline constexpr const char* kMintSysfs = "/sys/kernel/mint";

// The "no mint support" error (exit code 4).
Error NoMintError();

// "/sys/kernel/mint/nodes/<id>": the one place the CLI spells a node's
// directory (topology::Discover reads the same layout for the full state).
std::string NodeDir(uint32_t id);

}  // namespace mint::cli
