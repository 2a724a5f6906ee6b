// Device resolution and checks. Every request (--disk, --nic, --pci) comes
// down to one PCI function the node will own whole. Refused: unknown names
// and addresses, bridges, functions another node owns or asked for twice,
// functions that serve something node0 uses (a mounted filesystem, swap, a
// network address or route, another disk), and functions without MSI or MSI-X (a
// node takes device interrupts only as MSI aimed at its own CPUs).
#include <algorithm>

#include "internal.h"

namespace mint::plan::internal {
namespace {

std::string Describe(const DeviceRequest& r) {
  return "--" + std::string(DeviceKindName(r.kind)) + " " + r.name;
}

// The mount point of `dev` ("/dev/sdb1") in node0, or nullptr.
const Mount* MountOf(const HostTopology& host, const std::string& dev) {
  for (const auto& m : host.mounts)
    if (m.source == "/dev/" + dev) return &m;
  return nullptr;
}

bool IsSwap(const HostTopology& host, const std::string& dev) {
  return std::any_of(host.swaps.begin(), host.swaps.end(),
                     [&](const Swap& s) { return s.source == "/dev/" + dev; });
}

// The disk and its partitions/holders, the disk first.
std::vector<std::string> Parts(const BlockDevice& disk) {
  std::vector<std::string> parts{disk.name};
  parts.insert(parts.end(), disk.holders.begin(), disk.holders.end());
  return parts;
}

std::string PartName(const BlockDevice& disk, const std::string& part) {
  return part == disk.name ? part : part + " (on " + disk.name + ")";
}

// Refuses if node0 uses `disk`: a mounted filesystem or swap on it or on
// one of its partitions. `via` prefixes the message ("0000:00:1f.2 serves ").
Result<void> CheckDiskUnused(const HostTopology& host, const BlockDevice& disk,
                             const std::string& ctx, const std::string& via) {
  for (const auto& part : Parts(disk)) {
    std::string subject = via.empty()         ? PartName(disk, part)
                          : part == disk.name ? via + disk.name + ", which"
                                              : via + disk.name + ", whose " + part;
    if (const Mount* m = MountOf(host, part))
      return MakeError(ErrorCode::kConflict, ctx,
                       subject + " is mounted at " + m->target + " in node0; unmount it (umount " +
                           m->target + ") or give the node another disk");
    if (IsSwap(host, part))
      return MakeError(ErrorCode::kConflict, ctx,
                       subject +
                           " is swap space of node0; turn it off "
                           "(swapoff /dev/" +
                           part + ") or give the node another disk");
  }
  return Ok();
}

// "sda (mounted at /)" or "sda".
std::string DiskUse(const HostTopology& host, const BlockDevice& disk) {
  for (const auto& part : Parts(disk))
    if (const Mount* m = MountOf(host, part)) return disk.name + " (mounted at " + m->target + ")";
  for (const auto& part : Parts(disk))
    if (IsSwap(host, part)) return disk.name + " (swap on /dev/" + part + ")";
  return disk.name;
}

std::vector<std::string> DiskNames(const HostTopology& host) {
  std::vector<std::string> names;
  for (const auto& d : host.disks) names.push_back(d.name);
  return names;
}

std::vector<std::string> NicNames(const HostTopology& host) {
  std::vector<std::string> names;
  for (const auto& n : host.nics) names.push_back(n.name);
  return names;
}

std::string Have(const std::vector<std::string>& names, const std::string& what) {
  return names.empty() ? "this host has no " + what : "this host has " + JoinWords(names);
}

// "; node1 owns 0000:00:03.0 (Virtio SCSI), whose disks node0 no longer
// sees" for every function of PCI base class `base` a node owns: a disk or
// NIC a node took is missing from node0's /sys, so a name that is not found
// may be one of these. Empty when no node owns such a function.
std::string OwnedElsewhere(const HostTopology& host, uint32_t base, const std::string& what) {
  std::string out;
  for (const auto& node : host.mint.nodes)
    for (const auto& bdf : node.devices) {
      const PciFunction* f = host.FindPci(bdf);
      if (f == nullptr || (f->class_code >> 16) != base) continue;
      out +=
          "; " + node.name + " owns " +
          (f->description.empty() ? bdf.ToString() : bdf.ToString() + " (" + f->description + ")") +
          ", whose " + what + " node0 no longer sees";
    }
  return out;
}

Result<PciBdf> ResolveDisk(const HostTopology& host, const DeviceRequest& r,
                           const std::string& ctx) {
  const BlockDevice* disk = host.FindDisk(r.name);
  if (disk == nullptr)
    return MakeError(ErrorCode::kNotFound, ctx,
                     "no disk named " + r.name + "; " + Have(DiskNames(host), "disks") +
                         " (mintctl topology lists them)" + OwnedElsewhere(host, 0x01, "disks"));
  if (!disk->pci)
    return MakeError(ErrorCode::kUnsupported, ctx,
                     r.name +
                         " is not on a PCI function (mintctl topology shows none for it); "
                         "only a disk on its own PCI controller can be given to a node");
  MINT_CHECK(CheckDiskUnused(host, *disk, ctx, ""));
  for (const auto& other : host.disks) {
    if (other.name == disk->name || other.pci != disk->pci) continue;
    return MakeError(ErrorCode::kConflict, ctx,
                     r.name + " is on controller " + disk->pci->ToString() +
                         ", which also serves " + DiskUse(host, other) +
                         "; give the node a disk on its own controller");
  }
  return *disk->pci;
}

Result<PciBdf> ResolveNic(const HostTopology& host, const DeviceRequest& r,
                          const std::string& ctx) {
  const Nic* nic = host.FindNic(r.name);
  if (nic == nullptr)
    return MakeError(
        ErrorCode::kNotFound, ctx,
        "no network interface named " + r.name + "; " + Have(NicNames(host), "network interfaces") +
            " (mintctl topology lists them)" + OwnedElsewhere(host, 0x02, "interface"));
  if (!nic->pci)
    return MakeError(ErrorCode::kUnsupported, ctx,
                     r.name +
                         " is not on a PCI function (a virtual interface?); only a NIC "
                         "that is a PCI function can be given to a node");
  return *nic->pci;
}

// Refuses a function that carries something node0 uses.
// Names the request's own disk or NIC plainly, others through the function.
Result<void> CheckFunctionUnused(const HostTopology& host, const PciBdf& bdf,
                                 const DeviceRequest& r, const std::string& ctx) {
  auto via = [&](const std::string& name) -> std::string {
    return r.kind != DeviceKind::kPci && name == r.name ? "" : bdf.ToString() + " serves ";
  };
  for (const auto& disk : host.disks)
    if (disk.pci == bdf) MINT_CHECK(CheckDiskUnused(host, disk, ctx, via(disk.name)));
  for (const auto& nic : host.nics) {
    if (nic.pci != bdf) continue;
    std::string who = via(nic.name).empty() ? nic.name : via(nic.name) + nic.name + ", which";
    if (!nic.addresses.empty())
      return MakeError(ErrorCode::kConflict, ctx,
                       who + " carries node0's address " + nic.addresses.front() +
                           "; node0 would lose it: give the node a NIC "
                           "node0 does not use, or remove the address first (ip addr flush dev " +
                           nic.name + ")");
    if (!nic.routes.empty())
      return MakeError(ErrorCode::kConflict, ctx,
                       who + " carries node0's route " + nic.routes.front() +
                           "; node0 would lose it: give the node a NIC node0 does not use, or "
                           "remove its routes first (ip route flush dev " +
                           nic.name + ")");
  }
  return Ok();
}

std::string BridgeKind(uint32_t class_code) {
  switch (class_code >> 8) {
    case 0x0600:
      return "a host bridge";
    case 0x0601:
      return "an ISA bridge";
    case 0x0604:
      return "a PCI bridge";
    default:
      return "a bridge";
  }
}

std::string FunctionName(const PciFunction& f) {
  return f.description.empty() ? f.bdf.ToString() : f.bdf.ToString() + " (" + f.description + ")";
}

}  // namespace

Result<std::vector<PlannedDevice>> ResolveDevices(const HostTopology& host, const NodeSpec& spec) {
  std::vector<PlannedDevice> out;
  for (const auto& r : spec.devices) {
    std::string ctx = Where(r.where, Describe(r));
    PciBdf bdf;
    switch (r.kind) {
      case DeviceKind::kDisk: {
        MINT_TRY(bdf, ResolveDisk(host, r, ctx));
        break;
      }
      case DeviceKind::kNic: {
        MINT_TRY(bdf, ResolveNic(host, r, ctx));
        break;
      }
      case DeviceKind::kPci: {
        auto parsed = PciBdf::Parse(r.name);
        if (!parsed.ok())
          return MakeError(ErrorCode::kInvalidArgument, ctx, parsed.error().message);
        bdf = *parsed;
        break;
      }
    }
    const PciFunction* f = host.FindPci(bdf);
    if (f == nullptr)
      return MakeError(ErrorCode::kNotFound, ctx,
                       "no PCI function " + bdf.ToString() +
                           " on this host; lspci -D (or "
                           "mintctl topology) lists them");
    for (const auto& earlier : out)
      if (earlier.bdf == bdf)
        return MakeError(ErrorCode::kInvalidArgument, ctx,
                         bdf.ToString() + " is asked for twice (" + Describe(earlier.request) +
                             " and " + Describe(r) + "); name each PCI function once");
    if ((f->class_code >> 16) == 0x06)
      return MakeError(ErrorCode::kUnsupported, ctx,
                       bdf.ToString() + " is " + BridgeKind(f->class_code) +
                           "; bridges stay with node0: give the node an endpoint device");
    if (const MintNode* owner = host.OwnerOf(bdf))
      return MakeError(ErrorCode::kConflict, ctx,
                       bdf.ToString() + " belongs to " + owner->name +
                           "; give the node another device or destroy " + owner->name + " first");
    MINT_CHECK(CheckFunctionUnused(host, bdf, r, ctx));
    if (f->caps_hidden)
      return MakeError(ErrorCode::kUnsupported, ctx,
                       "the kernel shows mintctl only the first 64 bytes of " + bdf.ToString() +
                           "'s config space (mintctl is not running as root), so whether it has "
                           "MSI or MSI-X cannot be seen; run mintctl as root");
    if (!f->msi && !f->msix)
      return MakeError(ErrorCode::kUnsupported, ctx,
                       FunctionName(*f) +
                           " has neither MSI nor MSI-X; a node takes device "
                           "interrupts only as MSI, so give it a device that has them");
    std::string description = f->description.empty() ? "PCI function" : f->description;
    if (r.kind != DeviceKind::kPci) description += " (" + r.name + ")";
    out.push_back(PlannedDevice{r, bdf, f->driver, description});
  }
  return out;
}

}  // namespace mint::plan::internal
