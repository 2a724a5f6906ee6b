// Device resolution and checks. Every request (--disk, --nic, --pci) comes
// down to one PCI function the node will own whole. Refused: unknown names
// and addresses, bridges, functions another node owns or asked for twice,
// functions that serve something node0 uses (a disk in use by the rule of
// HostTopology::DiskUses: a mount, swap or assembled dm/md/loop device on
// it, by device number; a network address or route on the NIC or on a
// bridge, bond or VLAN above it; another disk), and functions without MSI
// or MSI-X (a node takes device interrupts only as MSI aimed at its own
// CPUs).
#include <algorithm>

#include "internal.h"

namespace mint::plan::internal {
namespace {

// "dm-0 (vg0-root)", "md0 (raid1)", "md0p1": a stacked device as the
// refusal names it.
std::string Named(const BlockDevice& disk, const std::string& device) {
  const StackedDevice* s = disk.FindStacked(device);
  return s == nullptr || s->label.empty() ? device : device + " (" + s->label + ")";
}

// How node0 lets go of a stacked device it has assembled.
std::string TakeApart(const BlockDevice& disk, const std::string& device) {
  const StackedDevice* s = disk.FindStacked(device);
  switch (s == nullptr ? StackKind::kOther : s->kind) {
    case StackKind::kDeviceMapper:
      return "remove it (dmsetup remove " + (s->label.empty() ? device : s->label) + ") or ";
    case StackKind::kMd:
      return "stop it (mdadm --stop /dev/" + device + ") or ";
    case StackKind::kLoop:
      return "detach it (losetup -d /dev/" + device + ") or ";
    case StackKind::kPartition:
    case StackKind::kOther:
      break;
  }
  return "";
}

// Refuses if node0 uses `disk` (HostTopology::DiskUses, the one rule),
// naming the first use from the disk up to what node0 uses and the way out.
// `via` prefixes the message ("0000:00:1f.2 serves ").
Result<void> CheckDiskUnused(const HostTopology& host, const BlockDevice& disk,
                             const std::string& ctx, const std::string& via) {
  std::vector<DiskUse> uses = host.DiskUses(disk);
  if (uses.empty()) return Ok();
  const DiskUse& use = uses.front();
  const std::string& base = use.chain.front();
  std::string s = via.empty() ? (base == disk.name ? base : base + " (on " + disk.name + ")")
                  : base == disk.name ? via + disk.name + ", which"
                                      : via + disk.name + ", whose " + base;
  for (size_t i = 1; i < use.chain.size(); ++i)
    s += " holds " + Named(disk, use.chain[i]) + ", which";
  switch (use.kind) {
    case DiskUse::Kind::kMounted:
      // node0 cannot unmount its root filesystem: no way out but another disk.
      s += " is mounted at " + use.where + " in node0; " +
           (use.where == "/" ? "" : "unmount it (umount " + use.where + ") or ");
      break;
    case DiskUse::Kind::kSwap:
      s += " is swap space of node0; turn it off (swapoff " + use.where + ") or ";
      break;
    case DiskUse::Kind::kSwapFile:
      s +=
          " holds node0's swap file " + use.where + "; turn it off (swapoff " + use.where + ") or ";
      break;
    case DiskUse::Kind::kAssembled:
      s += " node0 has assembled; " + TakeApart(disk, use.chain.back());
      break;
  }
  return MakeError(ErrorCode::kConflict, ctx, s + "give the node another disk");
}

// "sda (mounted at /)", "sda (swap on /dev/sda2)", "sdb (md0 assembled)" or "sda".
std::string DiskAndUse(const HostTopology& host, const BlockDevice& disk) {
  std::vector<DiskUse> uses = host.DiskUses(disk);
  if (uses.empty()) return disk.name;
  const DiskUse& use = uses.front();
  switch (use.kind) {
    case DiskUse::Kind::kMounted:
      return disk.name + " (mounted at " + use.where + ")";
    case DiskUse::Kind::kSwap:
    case DiskUse::Kind::kSwapFile:
      return disk.name + " (swap on " + use.where + ")";
    case DiskUse::Kind::kAssembled:
      break;
  }
  return disk.name + " (" + use.chain.back() + " assembled)";
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
                         ", which also serves " + DiskAndUse(host, other) +
                         "; give the node a disk on its own controller");
  }
  return *disk->pci;
}

// The NICs `name` is stacked on, when it is a bridge, bond, VLAN... of
// this host rather than a NIC; and its kind ("bridge"), empty if unknown.
std::vector<std::string> StackedOn(const HostTopology& host, const std::string& name,
                                   std::string& kind) {
  std::vector<std::string> lowers;
  for (const auto& nic : host.nics)
    for (const auto& upper : nic.uppers)
      if (upper.name == name) {
        lowers.push_back(nic.name);
        kind = upper.kind;
      }
  return lowers;
}

Result<PciBdf> ResolveNic(const HostTopology& host, const DeviceRequest& r,
                          const std::string& ctx) {
  const Nic* nic = host.FindNic(r.name);
  std::string kind;
  std::vector<std::string> lowers =
      nic == nullptr ? StackedOn(host, r.name, kind) : std::vector<std::string>{};
  if (!lowers.empty())
    return MakeError(ErrorCode::kUnsupported, ctx,
                     r.name + " is " + (kind.empty() ? "a virtual interface" : "a " + kind) +
                         " on " + JoinWords(lowers) +
                         ", not a NIC; a node takes a whole PCI NIC: give it one node0 does not "
                         "use (mintctl topology lists them)");
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

// "ip route flush dev eth1", "ip -6 route flush dev br0 table 100": what
// removes `route` and its like from `dev`.
std::string FlushRoutes(const std::string& dev, const NetRoute& route) {
  return std::string("ip ") + (route.ipv6 ? "-6 " : "") + "route flush dev " + dev +
         (route.table == "main" ? "" : " table " + route.table);
}

// What node0 has on one interface that it would lose, first found: an
// address, else a route. Empty if nothing.
std::string Use(const std::vector<std::string>& addresses, const std::vector<NetRoute>& routes) {
  if (!addresses.empty()) return "address " + addresses.front();
  if (!routes.empty()) return "route " + routes.front().ToString();
  return "";
}

// Refuses `nic` if node0 uses it: an address or a route on it, or on an
// interface stacked above it (a bridge or bond it is a port of, a VLAN or
// macvlan on it, and so on up), named with the chain that leads there.
// `who` is how the message names the NIC ("eth1" or "0000:00:06.0 serves
// eth1, which").
Result<void> CheckNicUnused(const Nic& nic, const std::string& who, const std::string& ctx) {
  const std::string lose = "; node0 would lose it: give the node a NIC node0 does not use, or ";
  if (!nic.addresses.empty())
    return MakeError(ErrorCode::kConflict, ctx,
                     who + " carries node0's address " + nic.addresses.front() + lose +
                         "remove the address first (ip addr flush dev " + nic.name + ")");
  if (!nic.routes.empty())
    return MakeError(ErrorCode::kConflict, ctx,
                     who + " carries node0's route " + nic.routes.front().ToString() + lose +
                         "remove its routes first (" + FlushRoutes(nic.name, nic.routes.front()) +
                         ")");
  for (const auto& holder : nic.uppers) {
    std::string use = Use(holder.addresses, holder.routes);
    if (use.empty()) continue;
    // The chain from the NIC up to the holder: each upper's lower comes
    // before it in nic.uppers, so walk down from the holder.
    std::vector<const NetUpper*> chain{&holder};
    while (chain.back()->lower != nic.name) {
      const NetUpper* below = nullptr;
      for (const auto& u : nic.uppers)
        if (u.name == chain.back()->lower) below = &u;
      if (below == nullptr) break;  // not stacked on this NIC after all
      chain.push_back(below);
    }
    std::reverse(chain.begin(), chain.end());
    std::string text = who;
    for (size_t i = 0; i < chain.size(); ++i) {
      const NetUpper& u = *chain[i];
      text += i == 0 ? " is " : ", which is ";
      text += u.port
                  ? "a port of " + u.name
                  : "the lower device of " + u.name + (u.kind.empty() ? "" : " (" + u.kind + ")");
    }
    const NetUpper& first = *chain.front();
    std::string undo = first.port
                           ? "take " + nic.name + " out of " + first.name + " first (ip link set " +
                                 nic.name + " nomaster)"
                           : "delete " + first.name + " first (ip link del " + first.name + ")";
    return MakeError(ErrorCode::kConflict, ctx,
                     text + ", which carries node0's " + use + lose + undo);
  }
  return Ok();
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
    MINT_CHECK(CheckNicUnused(nic, who, ctx));
  }
  return Ok();
}

}  // namespace

Result<std::vector<PlannedDevice>> ResolveDevices(const HostTopology& host, const NodeSpec& spec) {
  std::vector<PlannedDevice> out;
  for (const auto& r : spec.devices) {
    std::string ctx = Where(r.where, DescribeRequest(r));
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
                         bdf.ToString() + " is asked for twice (" + DescribeRequest(earlier.request) +
                             " and " + DescribeRequest(r) + "); name each PCI function once");
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
    out.push_back(PlannedDevice{r, bdf, f->driver, description, std::nullopt});
  }
  return out;
}

}  // namespace mint::plan::internal
