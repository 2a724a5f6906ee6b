// MintDevice: node0's /dev/mint, one method per ioctl of <linux/mint.h>.
// The real implementation (OpenMintDevice) issues the ioctls; the
// RecordingMintDevice executes nothing: it records every call in order and
// keeps a model of the kernel's partition table; it is the seam of
// `mintctl plan` and boot's dry run (a dry run is the same code path with
// this device). Test-only controls (failure at call N, the channel rings,
// node states) live in tests/unit/support/fake_mint_device.h, which
// derives from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"

namespace mint::sys {

// MINT_GET_INFO.
struct MintInfo {
  uint32_t abi_version = 0;
  uint32_t max_nodes = 0;
  uint32_t low_slots = 0;
  ByteSize pool_total;
  ByteSize pool_free;
  std::vector<PhysRange> pool;
};

// MINT_NODE_CREATE, what goes in.
struct CreateNodeRequest {
  uint32_t id = 0;
  std::string name;
  std::vector<CpuId> cpus;
  int numa_node = -1;
  ByteSize memory;
  // MINT_CREATE_NO_IOMMU: the node's PCI functions are not fenced by
  // node0's IOMMU (ABI 4).
  bool no_iommu = false;
};

// MINT_NODE_CREATE, what comes back.
struct CreatedNode {
  std::vector<ApicId> apic_ids;  // apic_ids[i] is the APIC id of cpus[i]
  std::vector<PhysRange> ram;
  PhysRange low;
  PhysRange shared;
  uint32_t tsc_khz = 0;
  uint32_t lapic_khz = 0;
  // host_flags & MINT_HOST_F_X2APIC: node0 runs its APICs in x2APIC mode,
  // so the node's CPUs arrive in it (ABI 5).
  bool host_x2apic = false;
};

// MINT_NODE_GET: a node exactly as NODE_CREATE made it (what `mintctl
// restart` rebuilds the boot image from).
struct NodeInfo {
  uint32_t id = 0;
  std::string name;
  std::vector<CpuId> cpus;
  int numa_node = -1;
  ByteSize memory;
  bool no_iommu = false;  // flags & MINT_CREATE_NO_IOMMU
  CreatedNode created;
};

// MINT_NODE_CHAN: one record's worth of the message channel.
inline constexpr size_t kChanMsgMax = 4096;  // MINT_CHAN_MSG_MAX
struct ChanResult {
  bool sent = false;    // the record was queued (false: no room now, or nothing to send)
  size_t received = 0;  // bytes of the one record read into rx (0: none waiting)
};

// One piece of MINT_NODE_LOAD: bytes copied to phys, zeroed up to memsz.
struct LoadSegment {
  std::span<const uint8_t> bytes;
  PhysAddr phys;
  uint64_t memsz = 0;
};

class MintDevice {
 public:
  virtual ~MintDevice() = default;
  virtual Result<MintInfo> GetInfo() = 0;
  // All or nothing (the kernel's promise): on error no CPU is offline and
  // no pool memory is held.
  virtual Result<CreatedNode> CreateNode(const CreateNodeRequest& request) = 0;
  // Records the function as the node's; it may still be bound to a node0
  // driver (apply hands it to pci-stub next; NODE_START refuses otherwise).
  virtual Result<void> AssignPci(uint32_t id, const PciBdf& bdf) = 0;
  virtual Result<void> Load(uint32_t id, std::span<const LoadSegment> segments) = 0;
  virtual Result<void> Start(uint32_t id, PhysAddr entry, PhysAddr boot_params) = 0;
  virtual Result<void> Stop(uint32_t id, bool force, uint32_t timeout_ms) = 0;
  // Stopped (or never started) nodes: devices reset, memory scrubbed and
  // returned, CPUs back online in node0.
  virtual Result<void> Destroy(uint32_t id) = 0;
  // MINT_NODE_GET. kNotFound (ENOENT) when there is no such node. The two
  // ABI 2 calls have a default (kUnsupported) so a test double that only
  // models the boot path need not implement them.
  virtual Result<NodeInfo> GetNode(uint32_t id);
  // MINT_NODE_CHAN, never blocks: queues `tx` (if not empty) as one record
  // for the node, all or nothing, and reads at most one record from the
  // node into `rx` (size >= kChanMsgMax, or empty: read nothing). Errors
  // keep the kernel's errno: ENOTCONN when the node is not booting, running
  // or hung (kConflict), ENOENT no such node (kNotFound), EMSGSIZE tx too
  // long (kInvalidArgument), EIO a corrupt record from the node (kIo).
  virtual Result<ChanResult> Chan(uint32_t id, std::span<const uint8_t> tx, std::span<uint8_t> rx);
};

// The path of the device under a host root: "/dev/mint" for "/".
std::string MintDevicePath(const std::string& root);

// Opens `path` and checks the kernel's ABI version against the one this
// mintctl was built with. A missing file is kUnsupported with context
// "/dev/mint" ("this kernel has no mint support ..."); another open failure
// is kIo; an ABI mismatch is kUnsupported.
Result<std::unique_ptr<MintDevice>> OpenMintDevice(const std::string& path);

// ---- The recording device ------------------------------------------------

// Executes nothing. Models the kernel side closely enough to show what a
// real run would do, and to refuse what the kernel would refuse (the dry
// run boot rehearses before it touches the host): CreateNode checks the
// CPU count, name and memory granule, hands out memory first-fit from the
// pool (at most MINT_MAX_RANGES pieces) and APIC ids from the map it was
// given, and keeps the no_iommu flag for GetNode; AssignPci keeps to
// MINT_MAX_PCI; Load takes 1..MINT_MAX_SEGMENTS
// segments, each inside the node's RAM and outside its shared region;
// Start wants entry and boot_params in the node's RAM; Destroy gives
// everything back. Chan keeps MintDevice's default (kUnsupported): a dry
// run never talks to a node.
class RecordingMintDevice : public MintDevice {
 public:
  struct Node {
    CreateNodeRequest request;
    CreatedNode created;
    std::vector<PciBdf> devices;
    NodeState state = NodeState::kCreated;
  };

  // `apic_of` maps node0 CPUs to APIC ids; CPUs missing from it get their
  // own number. `pool` is where memory is carved from.
  RecordingMintDevice(std::vector<PhysRange> pool, std::map<uint32_t, uint32_t> apic_of,
                      uint32_t tsc_khz = 2000000, uint32_t lapic_khz = 1000000);

  Result<MintInfo> GetInfo() override;
  Result<CreatedNode> CreateNode(const CreateNodeRequest& request) override;
  Result<void> AssignPci(uint32_t id, const PciBdf& bdf) override;
  Result<void> Load(uint32_t id, std::span<const LoadSegment> segments) override;
  Result<void> Start(uint32_t id, PhysAddr entry, PhysAddr boot_params) override;
  Result<void> Stop(uint32_t id, bool force, uint32_t timeout_ms) override;
  Result<void> Destroy(uint32_t id) override;
  Result<NodeInfo> GetNode(uint32_t id) override;
  // Every call, in order, as one line: "NODE_CREATE id=1 name=node1 ...".
  const std::vector<std::string>& calls() const { return calls_; }
  const std::map<uint32_t, Node>& nodes() const { return nodes_; }
  ByteSize pool_free() const;
  // What NODE_CREATE says about node0's APIC mode from now on.
  void set_host_x2apic(bool on) { host_x2apic_ = on; }

 protected:
  // Logs the call's line; every method calls it first and returns the
  // error it gives, if any, before touching the model (here: never; a test
  // fake overrides it to fail a chosen call).
  virtual std::optional<Error> Record(std::string line);
  Result<Node*> Find(uint32_t id, const char* what);
  std::map<uint32_t, Node> nodes_;

 private:
  std::vector<PhysRange> pool_;
  std::map<uint32_t, uint32_t> apic_of_;
  uint32_t tsc_khz_;
  uint32_t lapic_khz_;
  bool host_x2apic_ = false;
  std::vector<std::string> calls_;
};

}  // namespace mint::sys
