// mint::topology: what this host has — CPUs with their SMT siblings, NUMA
// nodes and APIC ids, memory and the physical address map, PCI functions
// (via libpci), disks and NICs mapped to the PCI function that serves them,
// mounts, swap, and mint's own state under /sys/kernel/mint. Everything is
// read through a sys::HostFs (libpci is pointed at the same root), so a tree
// captured by tools/collect-host replays exactly like the live machine.
// Reads only; unexpected content is an Error naming the file, never a crash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"
#include "mint/sys/host_fs.h"

namespace mint::topology {

struct DiscoverOptions {
  // On the live host (fs.root() == "/") ask libnuma for each CPU's node and
  // each node's memory; a captured tree is always read from its sysfs files
  // (libnuma can only look at the machine it runs on).
  bool use_libnuma = true;
};

Result<HostTopology> Discover(sys::HostFs& fs);
Result<HostTopology> Discover(sys::HostFs& fs, const DiscoverOptions& options);
// /sys/kernel/mint (docs/abi.md) as Discover reads it into HostTopology::mint:
// present == false when there is no /sys/kernel/mint/abi_version. Every
// byte of it is the kernel's (names, reasons the node wrote): an unexpected
// file is an Error naming it, never a crash.
Result<MintState> ReadMintState(sys::HostFs& fs);

// The exact list of host paths/globs Discover may read; tools/collect-host
// captures this list. Generated from loader/lib/topology/host-files.list.
const std::vector<std::string>& HostFiles();

// True if path is matched by a HostFiles() pattern, or is a directory on the
// way to one (Discover lists those directories).
bool IsHostFile(std::string_view path);

}  // namespace mint::topology
