// DMA fencing by node0's IOMMU (kernel patch 0037, docs/devices.md "DMA
// fencing"). At NODE_ASSIGN_PCI the kernel claims each function's IOMMU
// group for the node and attaches it to a DMA domain that maps only the
// node's memory; it refuses a function with no group, or whose group a
// node0 driver or another node uses. With --no-iommu (MINT_CREATE_NO_IOMMU)
// nothing is fenced and the kernel refuses a function whose DMA node0's
// IOMMU translates. Both are decided here first, from the topology, so a
// refusal comes before anything is touched and names every function of
// the group and the way out.
#include <algorithm>

#include "internal.h"

namespace mint::plan::internal {
namespace {

// How the refusal names the setting: the flag, or the nodeconf key.
std::string NoIommuSetting(const NodeSpec& spec) {
  if (spec.no_iommu_where.file.empty()) return "--no-iommu";
  return "iommu: false (" + spec.no_iommu_where.ToString() + ")";
}

// A member of a function's IOMMU group that does not keep the group from
// being claimed for a node, so it stays with node0: a PCI-to-PCI bridge (a
// root or switch port above the function, grouped with it where there is
// no ACS; node0's port driver manages its own DMA), or another bridge no
// node0 driver is bound to.
bool StaysWithNode0(const PciFunction& f) {
  return (f.class_code >> 16) == 0x06 && ((f.class_code >> 8) == 0x0604 || f.driver.empty());
}

bool IsBridge(const PciFunction& f) { return (f.class_code >> 16) == 0x06; }

const PlannedDevice* Planned(const std::vector<PlannedDevice>& devices, const PciBdf& bdf) {
  for (const auto& d : devices)
    if (d.bdf == bdf) return &d;
  return nullptr;
}

// No function of the group may be left behind: every member but those that
// stay with node0 is given to this node too.
Result<void> CheckWholeGroup(const HostTopology& host, const PlannedDevice& device, int group,
                             const std::vector<PlannedDevice>& devices, const std::string& ctx) {
  std::vector<std::string> named;   // every other member, with what it is
  std::vector<std::string> wanted;  // members this node would have to be given too
  std::vector<std::string> owners;  // other nodes that own some of them
  bool blocking_bridge = false;
  for (const PciFunction* m : host.IommuGroupMembers(group)) {
    if (m->bdf == device.bdf) continue;
    std::string what = !m->description.empty() ? m->description
                       : IsBridge(*m)           ? BridgeKind(m->class_code)
                                                : "PCI function";
    std::string state;
    if (StaysWithNode0(*m)) {
      state = "stays with node0";
    } else if (Planned(devices, m->bdf) != nullptr) {
      state = "given to this node too";
    } else if (IsBridge(*m)) {
      state = "driven by " + m->driver + " in node0; bridges stay with node0";
      blocking_bridge = true;
    } else if (const MintNode* owner = host.OwnerOf(m->bdf)) {
      state = "owned by " + owner->name;
      if (std::find(owners.begin(), owners.end(), owner->name) == owners.end())
        owners.push_back(owner->name);
      wanted.push_back(m->bdf.ToString());
    } else {
      state = m->driver.empty() ? "no driver in node0" : "driven by " + m->driver + " in node0";
      wanted.push_back(m->bdf.ToString());
    }
    named.push_back(m->bdf.ToString() + " (" + what + ", " + state + ")");
  }
  if (wanted.empty() && !blocking_bridge) return Ok();

  std::string text = device.bdf.ToString() + " is in IOMMU group " + std::to_string(group) +
                     " with " + JoinWords(named) +
                     "; node0's IOMMU fences a group as a whole, so its functions go to one "
                     "node together or not at all: ";
  if (blocking_bridge)
    return MakeError(ErrorCode::kConflict, ctx,
                     text +
                         "this group cannot be given to a node; give the node a device in "
                         "another IOMMU group, or boot it with --no-iommu (unfenced, with "
                         "node0 on iommu=pt)");
  std::vector<std::string> flags, destroys;
  for (const auto& bdf : wanted) flags.push_back("--pci " + bdf);
  for (const auto& owner : owners) destroys.push_back("mintctl destroy " + owner);
  std::string first = owners.empty() ? "give the node "
                                     : "destroy " + JoinWords(owners) + " first (" +
                                           JoinWords(destroys) + ") and give this node ";
  return MakeError(ErrorCode::kConflict, ctx,
                   text + first + JoinWords(wanted) + " as well (" + JoinWords(flags) +
                       "), or none of the group");
}

}  // namespace

Result<void> PlanFences(const HostTopology& host, const NodeSpec& spec,
                        std::vector<PlannedDevice>& devices, std::vector<std::string>& notes) {
  for (PlannedDevice& d : devices) {
    const PciFunction* f = host.FindPci(d.bdf);
    if (f == nullptr) continue;  // ResolveDevices found it
    std::string ctx = Where(d.request.where, DescribeRequest(d.request));
    if (spec.no_iommu) {
      // The node's DMA carries its own physical addresses: node0's
      // default domain must pass them through.
      const IommuGroup* g = f->iommu_group ? host.FindIommuGroup(*f->iommu_group) : nullptr;
      if (g != nullptr && !g->type.empty() && !g->Identity())
        return MakeError(
            ErrorCode::kUnsupported, ctx,
            NoIommuSetting(spec) + " leaves " + FunctionName(*f) +
                " unfenced, but node0's IOMMU translates its DMA (IOMMU group " +
                std::to_string(g->id) + " is of type " + g->type +
                "), so the node's DMA to its own physical addresses would fault; drop " +
                NoIommuSetting(spec) + " to have the function fenced, or boot node0 with "
                "iommu=pt (identity domains)");
      continue;
    }
    if (!f->iommu_group)
      return MakeError(ErrorCode::kUnsupported, ctx,
                       FunctionName(*f) +
                           " has no IOMMU group: node0 has no IOMMU for it, so its DMA cannot "
                           "be fenced to the node's memory; turn node0's IOMMU on "
                           "(intel_iommu=on on its command line, VT-d or AMD-Vi enabled in the "
                           "firmware), or boot the node with --no-iommu to give it unfenced "
                           "(its DMA then reaches all of memory)");
    MINT_CHECK(CheckWholeGroup(host, d, *f->iommu_group, devices, ctx));
    d.iommu_group = f->iommu_group;
  }
  if (spec.no_iommu && !devices.empty())
    notes.push_back("devices unfenced (" + NoIommuSetting(spec) +
                    "): their DMA reaches all of memory, node0's included");
  return Ok();
}

}  // namespace mint::plan::internal
