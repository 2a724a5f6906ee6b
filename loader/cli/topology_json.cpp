// TopologyJson: every field of HostTopology, with PCI addresses and CPU
// lists in the text forms people and lspci use.
#include "topology_json.h"

#include <cstdio>

namespace mint::cli {

std::string HumanSize(ByteSize size) {
  std::string exact = size.ToString();
  if (exact.size() <= 8) return exact;  // "512 MiB", "24 GiB"
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double n = static_cast<double>(size.bytes);
  int unit = 0;
  while (n >= 1024 && unit < 4) n /= 1024, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", n, kUnits[unit]);
  return buf;
}

std::string OwnerName(const HostTopology& host, CpuId cpu) {
  const MintNode* node = host.OwnerOf(cpu);
  return node ? node->name : "node0";
}

std::string OwnerName(const HostTopology& host, const PciBdf& bdf) {
  const MintNode* node = host.OwnerOf(bdf);
  return node ? node->name : "node0";
}

std::vector<std::string> DiskUses(const HostTopology& host, const BlockDevice& disk) {
  std::vector<std::string> out;
  for (const DiskUse& use : host.DiskUses(disk)) {
    const std::string& device = use.chain.back();
    switch (use.kind) {
      case DiskUse::Kind::kMounted:
        out.push_back(device + " on " + use.where);
        break;
      case DiskUse::Kind::kSwap:
        out.push_back("swap " + device);
        break;
      case DiskUse::Kind::kSwapFile:
        out.push_back("swap file " + use.where + " on " + device);
        break;
      case DiskUse::Kind::kAssembled:
        out.push_back(device + " assembled");
        break;
    }
  }
  return out;
}

namespace {

nlohmann::json Range(const PhysRange& r) {
  return {{"start", Hex(r.start.value)}, {"size", r.size.bytes}};
}

nlohmann::json Ranges(const std::vector<PhysRange>& ranges) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : ranges) out.push_back(Range(r));
  return out;
}

nlohmann::json OptionalBdf(const std::optional<PciBdf>& bdf) {
  return bdf ? nlohmann::json(bdf->ToString()) : nlohmann::json(nullptr);
}

nlohmann::json Partitions(const BlockDevice& disk) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : disk.partitions)
    out.push_back({{"name", p.name}, {"dev", p.dev.ToString()}});
  return out;
}

nlohmann::json Stacked(const BlockDevice& disk) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : disk.stacked)
    out.push_back({{"name", s.name}, {"dev", s.dev.ToString()}, {"label", s.label}, {"on", s.on}});
  return out;
}

}  // namespace

nlohmann::json MintJson(const MintState& state) {
  nlohmann::json mint = {{"present", state.present}};
  if (!state.present) return mint;
  mint["abi_version"] = state.abi_version;
  mint["pool"] = Ranges(state.pool);
  mint["pool_total"] = state.pool_total.bytes;
  mint["pool_free"] = state.pool_free.bytes;
  mint["nodes"] = nlohmann::json::array();
  for (const auto& n : state.nodes) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : n.devices) devices.push_back(d.ToString());
    nlohmann::json iommu;  // null: a kernel before ABI 4 does not say
    if (n.iommu) {
      iommu = nlohmann::json::array();
      for (const auto& f : *n.iommu)
        iommu.push_back({{"pci", f.bdf.ToString()},
                         {"fenced", f.group.has_value()},
                         {"group", f.group ? nlohmann::json(*f.group) : nlohmann::json()}});
    }
    mint["nodes"].push_back(
        {{"id", n.id},
         {"name", n.name},
         {"state", NodeStateName(n.state)},
         {"cpus", FormatCpuList(n.cpus)},
         {"memory", Ranges(n.memory)},
         {"devices", devices},
         {"iommu", iommu},
         {"heartbeat", n.heartbeat},
         {"heartbeat_age_ms",
          n.heartbeat_age_ms ? nlohmann::json(*n.heartbeat_age_ms) : nlohmann::json(nullptr)},
         {"reason", n.reason},
         {"uptime", n.uptime}});
  }
  return mint;
}

nlohmann::json TopologyJson(const HostTopology& host) {
  nlohmann::json j;
  j["cpus"] = nlohmann::json::array();
  for (const auto& c : host.cpus) {
    j["cpus"].push_back({{"id", c.id.value},
                         {"online", c.online},
                         {"package", c.package},
                         {"core", c.core},
                         {"numa_node", c.numa_node},
                         {"siblings", FormatCpuList(c.siblings)},
                         {"apic_id", c.apic ? nlohmann::json(c.apic->value) : nlohmann::json()},
                         {"owner", OwnerName(host, c.id)}});
  }
  j["numa_nodes"] = nlohmann::json::array();
  for (const auto& n : host.numa_nodes)
    j["numa_nodes"].push_back({{"id", n.id},
                               {"cpus", FormatCpuList(n.cpus)},
                               {"mem_total", n.mem_total.bytes},
                               {"mem_free", n.mem_free.bytes}});
  j["memory"] = {{"total", host.mem_total.bytes}};
  j["mint"] = MintJson(host.mint);
  j["iomem_hidden"] = host.iomem_hidden;
  j["ecam"] = host.ecam ? nlohmann::json{{"base", Hex(host.ecam->base.value)},
                                         {"segment", host.ecam->segment},
                                         {"bus_start", host.ecam->bus_start},
                                         {"bus_end", host.ecam->bus_end}}
                        : nlohmann::json();
  j["pci"] = nlohmann::json::array();
  for (const auto& f : host.pci) {
    const IommuGroup* group = f.iommu_group ? host.FindIommuGroup(*f.iommu_group) : nullptr;
    char cls[16], ids[16];
    std::snprintf(cls, sizeof cls, "0x%06x", f.class_code);
    std::snprintf(ids, sizeof ids, "%04x:%04x", f.vendor, f.device);
    j["pci"].push_back(
        {{"bdf", f.bdf.ToString()},
         {"class", cls},
         {"id", ids},
         {"driver", f.driver},
         {"msi", f.caps_hidden ? nlohmann::json() : nlohmann::json(f.msi)},
         {"msix", f.caps_hidden ? nlohmann::json() : nlohmann::json(f.msix)},
         {"iommu_group", f.iommu_group ? nlohmann::json(*f.iommu_group) : nlohmann::json()},
         {"iommu_type",
          group && !group->type.empty() ? nlohmann::json(group->type) : nlohmann::json()},
         {"numa_node", f.numa_node},
         {"description", f.description},
         {"owner", OwnerName(host, f.bdf)}});
  }
  j["disks"] = nlohmann::json::array();
  for (const auto& d : host.disks)
    j["disks"].push_back({{"name", d.name},
                          {"pci", OptionalBdf(d.pci)},
                          {"size", d.size.bytes},
                          {"dev", d.dev.ToString()},
                          {"partitions", Partitions(d)},
                          {"stacked", Stacked(d)},
                          {"in_use", DiskUses(host, d)}});
  j["nics"] = nlohmann::json::array();
  for (const auto& n : host.nics) {
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& r : n.routes) routes.push_back(r.ToString());
    nlohmann::json uppers = nlohmann::json::array();
    for (const auto& u : n.uppers) {
      nlohmann::json upper_routes = nlohmann::json::array();
      for (const auto& r : u.routes) upper_routes.push_back(r.ToString());
      uppers.push_back({{"name", u.name},
                        {"kind", u.kind},
                        {"lower", u.lower},
                        {"port", u.port},
                        {"addresses", u.addresses},
                        {"routes", upper_routes}});
    }
    j["nics"].push_back({{"name", n.name},
                         {"pci", OptionalBdf(n.pci)},
                         {"addresses", n.addresses},
                         {"routes", routes},
                         {"uppers", uppers}});
  }
  j["mounts"] = nlohmann::json::array();
  for (const auto& m : host.mounts)
    j["mounts"].push_back({{"source", m.source},
                           {"target", m.target},
                           {"fstype", m.fstype},
                           {"dev", m.dev.ToString()}});
  j["swaps"] = nlohmann::json::array();
  for (const auto& s : host.swaps) j["swaps"].push_back(s.source);
  return j;
}

}  // namespace mint::cli
