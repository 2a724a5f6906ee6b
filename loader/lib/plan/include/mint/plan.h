// mint::plan decides, without touching the host, exactly what a node gets:
// which CPUs (whole cores), how much memory, which PCI functions (and the
// node0 driver each is taken from), which node id, and which kernel, initrd
// and command line. All validation lives here; every refusal is a
// mint::Error whose context is where the setting came from ("--disk",
// "node1.yaml:4:9") and whose message names the thing and the way out.
// What plan chose on the user's behalf is written into Plan::notes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"

namespace mint::plan {

// Defaults from docs/abi.md ("Default files on node0").
inline constexpr const char* kDefaultKernel = "/boot/mint/bzImage";
inline constexpr const char* kDefaultInitrd = "/boot/mint/node-initrd.img";
inline constexpr uint64_t kDefaultMemory = 512ull << 20;
// Appended to the node's initramfs when it hosts guests (nodeconf guests:
// or --kvm): QEMU, its libraries and firmware, the default guest.
inline constexpr const char* kDefaultVmmLayer = "/boot/mint/vmm-initrd.img";
// What a node that hosts guests keeps for itself (kernel, initramfs with
// the VMM layer, agent) before its guests' memory is counted.
inline constexpr uint64_t kGuestHostMemory = 256ull << 20;
// Always on a node's command line: its console is the shared-region ring.
inline constexpr const char* kNodeConsole = "console=mint";
// Smallest node worth booting: a kernel, its initramfs and some room.
inline constexpr uint64_t kMinMemory = 64ull << 20;
// NODE_CREATE carves memory in 2 MiB steps (<linux/mint.h>).
inline constexpr uint64_t kMemoryGranule = 2ull << 20;

// The kernel the node will boot, as the CLI read it. `bytes` is nullopt
// when the file could not be read (then `unreadable` says why): plan still
// plans, for a dry run, and notes that the image was not checked.
struct KernelImage {
  std::string path;
  std::optional<std::vector<uint8_t>> bytes;
  std::string unreadable;  // "No such file or directory"
};

// The kernel path the plan will use for `spec` (its own or the default),
// so the CLI knows which file to read before calling MakePlan.
std::string KernelPathFor(const NodeSpec& spec);

// Validates `spec` against `host` and decides everything. Changes nothing.
// When host.mint.present is false the plan is still made (for mintctl
// plan), with a note that the pool is unknown and memory was not checked.
Result<Plan> MakePlan(const HostTopology& host, const NodeSpec& spec, const KernelImage& kernel);

}  // namespace mint::plan
