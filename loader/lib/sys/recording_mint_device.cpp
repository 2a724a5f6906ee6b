// RecordingMintDevice: a /dev/mint that executes nothing. It records each
// call as one line, keeps the partition table the kernel would keep (nodes,
// their memory from the pool, their functions, their state) so a dry run
// shows what a real one would do and tests can see that an undo left
// nothing behind. `mintctl plan` runs apply against it: the dry run is the
// real code path. The test controls are in tests/unit/support.
#include <linux/mint.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "mint/sys/mint_device.h"

namespace mint::sys {
namespace {

constexpr uint64_t kGranule = 2ull << 20;

bool Overlaps(const PhysRange& a, const PhysRange& b) {
  return a.start.value < b.end() && b.start.value < a.end();
}

// [at, at + size) inside one of `ram`.
bool Inside(const std::vector<PhysRange>& ram, uint64_t at, uint64_t size) {
  return std::any_of(ram.begin(), ram.end(), [&](const PhysRange& r) {
    return at >= r.start.value && size <= r.end() - at && at < r.end();
  });
}

}  // namespace

RecordingMintDevice::RecordingMintDevice(std::vector<PhysRange> pool,
                                         std::map<uint32_t, uint32_t> apic_of, uint32_t tsc_khz,
                                         uint32_t lapic_khz)
    : pool_(std::move(pool)),
      apic_of_(std::move(apic_of)),
      tsc_khz_(tsc_khz),
      lapic_khz_(lapic_khz) {}

std::optional<Error> RecordingMintDevice::Record(std::string line) {
  calls_.push_back(std::move(line));
  return std::nullopt;
}

Result<RecordingMintDevice::Node*> RecordingMintDevice::Find(uint32_t id, const char* what) {
  auto it = nodes_.find(id);
  if (it == nodes_.end())
    return MakeError(ErrorCode::kNotFound, "node id " + std::to_string(id),
                     std::string(what) + ": no such node", ENOENT);
  return &it->second;
}

ByteSize RecordingMintDevice::pool_free() const {
  uint64_t total = 0;
  for (const auto& r : pool_) total += r.size.bytes;
  for (const auto& [id, node] : nodes_)
    for (const auto& r : node.created.ram) total -= r.size.bytes;
  return ByteSize{total};
}

Result<MintInfo> RecordingMintDevice::GetInfo() {
  if (auto e = Record("MINT_GET_INFO")) return *e;
  MintInfo info;
  info.abi_version = MINT_ABI_VERSION;
  info.max_nodes = MINT_MAX_NODES;
  info.low_slots = MINT_MAX_NODES - 1;
  info.pool = pool_;
  for (const auto& r : pool_) info.pool_total.bytes += r.size.bytes;
  info.pool_free = pool_free();
  return info;
}

Result<CreatedNode> RecordingMintDevice::CreateNode(const CreateNodeRequest& request) {
  if (auto e = Record("MINT_NODE_CREATE id=" + std::to_string(request.id) +
                      " name=" + request.name + " cpus=" + FormatCpuList(request.cpus) + " numa=" +
                      std::to_string(request.numa_node) + " mem=" + request.memory.ToString() +
                      (request.no_iommu ? " flags=NO_IOMMU" : "")))
    return *e;
  if (nodes_.count(request.id) != 0)
    return MakeError(ErrorCode::kConflict, request.name, "MINT_NODE_CREATE: id in use", EEXIST);
  // The kernel's own limits (mint_ioctl_create, mint_check_cpus), checked
  // before it takes anything.
  if (request.cpus.empty() || request.cpus.size() > MINT_MAX_CPUS)
    return MakeError(ErrorCode::kUnsupported, request.name,
                     "MINT_NODE_CREATE: " + std::to_string(request.cpus.size()) +
                         " CPUs; the kernel takes 1 to " + std::to_string(MINT_MAX_CPUS) +
                         " per node",
                     EINVAL);
  if (request.name.empty() || request.name.size() >= MINT_NAME_LEN)
    return MakeError(ErrorCode::kUnsupported, request.name,
                     "MINT_NODE_CREATE: the kernel takes names of 1 to " +
                         std::to_string(MINT_NAME_LEN - 1) + " bytes",
                     EINVAL);
  if (request.memory.bytes == 0 || request.memory.bytes % kGranule != 0)
    return MakeError(ErrorCode::kUnsupported, request.name,
                     "MINT_NODE_CREATE: memory must be a non-zero multiple of 2 MiB", EINVAL);
  // First fit, in 2 MiB steps, around the ranges other nodes hold.
  std::vector<PhysRange> used;
  for (const auto& [id, node] : nodes_)
    used.insert(used.end(), node.created.ram.begin(), node.created.ram.end());
  CreatedNode out;
  uint64_t want = request.memory.bytes;
  for (const auto& range : pool_) {
    for (uint64_t at = range.start.value; at + kGranule <= range.end() && want > 0;
         at += kGranule) {
      PhysRange piece{PhysAddr{at}, ByteSize{kGranule}};
      if (std::any_of(used.begin(), used.end(), [&](auto& u) { return Overlaps(u, piece); }))
        continue;
      if (!out.ram.empty() && out.ram.back().end() == at)
        out.ram.back().size.bytes += kGranule;
      else
        out.ram.push_back(piece);
      want -= kGranule;
    }
  }
  if (want > 0)
    return MakeError(ErrorCode::kInsufficient, request.name,
                     "MINT_NODE_CREATE: not enough free memory in the pool", ENOMEM);
  if (out.ram.size() > MINT_MAX_RANGES)
    return MakeError(ErrorCode::kInsufficient, request.name,
                     "MINT_NODE_CREATE: " + request.memory.ToString() +
                         " is free in the pool only in " + std::to_string(out.ram.size()) +
                         " pieces and the kernel gives a node at most " +
                         std::to_string(MINT_MAX_RANGES) +
                         "; ask for less memory or destroy a node to join the free space",
                     ENOMEM);
  for (CpuId cpu : request.cpus) {
    auto it = apic_of_.find(cpu.value);
    out.apic_ids.push_back(ApicId{it == apic_of_.end() ? cpu.value : it->second});
  }
  out.low = PhysRange{PhysAddr{0x10000ull * request.id}, ByteSize{0x10000}};
  out.shared = PhysRange{out.ram.front().start, ByteSize{kGranule}};
  out.tsc_khz = tsc_khz_;
  out.lapic_khz = lapic_khz_;
  out.host_x2apic = host_x2apic_;
  nodes_[request.id] = Node{request, out, {}, NodeState::kCreated};
  return out;
}

Result<void> RecordingMintDevice::AssignPci(uint32_t id, const PciBdf& bdf) {
  if (auto e = Record("MINT_NODE_ASSIGN_PCI id=" + std::to_string(id) + " pci=" + bdf.ToString()))
    return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_ASSIGN_PCI"));
  if (node->devices.size() >= MINT_MAX_PCI)
    return MakeError(ErrorCode::kUnsupported, bdf.ToString(),
                     "MINT_NODE_ASSIGN_PCI: the node already owns " + std::to_string(MINT_MAX_PCI) +
                         " functions, the kernel's limit",
                     ENOSPC);
  node->devices.push_back(bdf);
  return Ok();
}

Result<void> RecordingMintDevice::Load(uint32_t id, std::span<const LoadSegment> segments) {
  std::string line = "MINT_NODE_LOAD id=" + std::to_string(id);
  for (const auto& s : segments)
    line += " [" + Hex(s.phys.value) + " " + ByteSize{s.bytes.size()}.ToString() + "/" +
            ByteSize{s.memsz}.ToString() + "]";
  if (auto e = Record(line)) return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_LOAD"));
  // mint_ioctl_load checks every segment before it writes any.
  if (segments.empty() || segments.size() > MINT_MAX_SEGMENTS)
    return MakeError(ErrorCode::kUnsupported, "node id " + std::to_string(id),
                     "MINT_NODE_LOAD: " + std::to_string(segments.size()) +
                         " segments; the kernel takes 1 to " + std::to_string(MINT_MAX_SEGMENTS),
                     EINVAL);
  for (const auto& s : segments) {
    if (s.bytes.size() > s.memsz || !Inside(node->created.ram, s.phys.value, s.memsz) ||
        Overlaps(PhysRange{s.phys, ByteSize{s.memsz}}, node->created.shared))
      return MakeError(ErrorCode::kUnsupported, "node id " + std::to_string(id),
                       "MINT_NODE_LOAD: segment at " + Hex(s.phys.value) + " (" +
                           ByteSize{s.memsz}.ToString() +
                           ") is not inside the node's RAM outside its shared region",
                       EINVAL);
  }
  node->state = NodeState::kLoaded;
  return Ok();
}

Result<void> RecordingMintDevice::Start(uint32_t id, PhysAddr entry, PhysAddr boot_params) {
  if (auto e = Record("MINT_NODE_START id=" + std::to_string(id) + " entry=" + Hex(entry.value) +
                      " boot_params=" + Hex(boot_params.value)))
    return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_START"));
  if (!Inside(node->created.ram, entry.value, 1) ||
      !Inside(node->created.ram, boot_params.value, 4096))
    return MakeError(ErrorCode::kUnsupported, "node id " + std::to_string(id),
                     "MINT_NODE_START: entry " + Hex(entry.value) + " or boot_params " +
                         Hex(boot_params.value) + " is outside the node's RAM",
                     EINVAL);
  node->state = NodeState::kRunning;
  return Ok();
}

Result<void> RecordingMintDevice::Stop(uint32_t id, bool force, uint32_t timeout_ms) {
  if (auto e = Record("MINT_NODE_STOP id=" + std::to_string(id) +
                      (force ? " force" : " timeout_ms=" + std::to_string(timeout_ms))))
    return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_STOP"));
  node->state = NodeState::kStopped;
  return Ok();
}

Result<void> RecordingMintDevice::Destroy(uint32_t id) {
  if (auto e = Record("MINT_NODE_DESTROY id=" + std::to_string(id))) return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_DESTROY"));
  if (node->state == NodeState::kRunning)
    return MakeError(ErrorCode::kConflict, "node id " + std::to_string(id),
                     "MINT_NODE_DESTROY: the node is running; stop it first", EBUSY);
  nodes_.erase(id);
  return Ok();
}

Result<NodeInfo> RecordingMintDevice::GetNode(uint32_t id) {
  if (auto e = Record("MINT_NODE_GET id=" + std::to_string(id))) return *e;
  MINT_TRY(Node * node, Find(id, "MINT_NODE_GET"));
  NodeInfo out;
  out.id = id;
  out.name = node->request.name;
  out.cpus = node->request.cpus;
  out.numa_node = node->request.numa_node;
  out.memory = node->request.memory;
  out.no_iommu = node->request.no_iommu;
  out.created = node->created;
  return out;
}

}  // namespace mint::sys
