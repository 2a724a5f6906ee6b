// The CLI's words for /sys/kernel/mint (docs/abi.md): the "no mint" error
// and a node's directory by id. Nodes are listed and found by name by
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

// <node_dir>/console: the node's console ring, oldest byte first, as the
// node wrote it (any bytes). The one reader of it: console, the tails
// below and the node's boot timings all read it here.
Result<std::string> ReadConsole(sys::HostFs& fs, const std::string& node_dir);

// The last `lines` non-empty lines of <node_dir>/console (trailing spaces
// and CRs cut), oldest first; none when it cannot be read. The one console
// tail: status shows it for a node that went down, boot's error for a node
// that did not come up.
std::vector<std::string> ConsoleTail(sys::HostFs& fs, const std::string& node_dir, size_t lines);

}  // namespace mint::cli
