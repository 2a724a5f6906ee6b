// PrintPlan / PlanJson: what the node gets, what plan chose on the user's
// behalf, and the steps apply runs (or, for a dry run, would run).
#include "plan_render.h"

#include <algorithm>
#include <utility>

#include "mint/vm.h"
#include "table.h"

namespace mint::cli {
namespace {

// "fenced (IOMMU group 7: 0000:01:00.0, 0000:01:00.1; group 2:
// 0000:00:03.0)", or "unfenced (--no-iommu)"; empty without devices.
std::string FenceText(const Plan& plan) {
  if (plan.devices.empty()) return "";
  if (plan.no_iommu) return "unfenced (--no-iommu): their DMA reaches all of memory";
  std::vector<std::pair<int, std::string>> groups;  // in the order devices name them
  for (const auto& d : plan.devices) {
    if (!d.iommu_group) continue;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == *d.iommu_group; });
    if (it == groups.end())
      groups.push_back({*d.iommu_group, d.bdf.ToString()});
    else
      it->second += ", " + d.bdf.ToString();
  }
  std::string text;
  for (const auto& [group, bdfs] : groups)
    text += (text.empty() ? "IOMMU group " : "; group ") + std::to_string(group) + ": " + bdfs;
  return "fenced (" + text + "): their DMA reaches only the node's memory";
}

}  // namespace

void PrintPlan(const Plan& plan, std::ostream& out) {
  out << "Plan for " << plan.name << " (node id " << plan.node_id << "):\n";
  Table t({"WHAT", "VALUE"});
  std::string numa =
      plan.numa_node >= 0 ? " (NUMA node " + std::to_string(plan.numa_node) + ")" : "";
  t.Add({"cpus", FormatCpuList(plan.cpus) + numa});
  t.Add({"memory", plan.memory.ToString()});
  if (plan.devices.empty()) t.Add({"devices", "none"});
  for (const auto& d : plan.devices) {
    std::string driver = d.node0_driver.empty() ? "no driver" : d.node0_driver;
    t.Add({std::string(DeviceKindName(d.request.kind)),
           d.bdf.ToString() + "  " + d.description + ", taken from " + driver});
  }
  if (std::string fence = FenceText(plan); !fence.empty()) t.Add({"iommu", fence});
  t.Add({"kernel", plan.kernel});
  std::string initrd = plan.initrd;
  for (const auto& layer : plan.initrd_layers) initrd += " + " + layer;
  t.Add({"initrd", initrd});
  t.Add({"cmdline", plan.cmdline});
  for (const auto& g : plan.guests) {
    std::string text = g.name + "  " + std::to_string(g.vcpus) + " vCPU, " + g.memory.ToString();
    if (!g.image.empty()) text += ", image " + g.image;
    if (!g.kernel.empty()) text += ", kernel " + g.kernel;
    if (!g.disk.empty()) text += ", disk " + g.disk;
    if (g.net) text += ", net";
    for (const auto& p : g.ports)
      text += ", port " + std::to_string(p.host) + ":" + std::to_string(p.guest);
    text += g.autostart ? ", started with the node" : ", not autostarted";
    t.Add({"guest", text});
  }
  t.Add({"on crash", std::string(OnCrashName(plan.on_crash))});
  t.Print(out);
  if (!plan.notes.empty()) {
    out << "\nNotes:\n";
    for (const auto& n : plan.notes) out << "  - " << n << "\n";
  }
}

void PrintSteps(const std::string& title, const std::vector<std::string>& steps,
                std::ostream& out) {
  out << "\n" << title << "\n";
  for (const auto& s : steps) out << "  " << s << "\n";
}

nlohmann::json PlanJson(const Plan& plan, const std::vector<std::string>& steps) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : plan.devices)
    devices.push_back({{"kind", std::string(DeviceKindName(d.request.kind))},
                       {"name", d.request.name},
                       {"pci", d.bdf.ToString()},
                       {"node0_driver", d.node0_driver},
                       {"description", d.description},
                       {"fenced", d.iommu_group.has_value()},
                       {"iommu_group",
                        d.iommu_group ? nlohmann::json(*d.iommu_group) : nlohmann::json()}});
  nlohmann::json guests = nlohmann::json::array();
  for (const auto& g : plan.guests) guests.push_back(nlohmann::json::parse(vm::GuestSpecToJson(g)));
  nlohmann::json cpus = nlohmann::json::array();
  for (const auto& c : plan.cpus) cpus.push_back(c.value);
  return {{"name", plan.name},
          {"node_id", plan.node_id},
          {"cpus", cpus},
          {"cpu_list", FormatCpuList(plan.cpus)},
          {"numa_node", plan.numa_node},
          {"memory", plan.memory.bytes},
          {"devices", devices},
          {"no_iommu", plan.no_iommu},
          {"kernel", plan.kernel},
          {"initrd", plan.initrd},
          {"initrd_layers", plan.initrd_layers},
          {"guests", guests},
          {"cmdline", plan.cmdline},
          {"on_crash", std::string(OnCrashName(plan.on_crash))},
          {"restart_budget", plan.restart_budget},
          {"notes", plan.notes},
          {"steps", steps}};
}

}  // namespace mint::cli
