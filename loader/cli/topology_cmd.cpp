// mintctl topology: what this host has and who owns it, as tables (CPUs,
// memory and the mint pool, PCI functions, disks, NICs) or as JSON.
#include <algorithm>
#include <map>

#include "commands.h"
#include "table.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

std::string YesNo(bool b) { return b ? "yes" : "no"; }

// What the kernel hid because mintctl is not root, said before the tables
// (the columns that depend on it show "?").
void PrintHidden(const HostTopology& host, std::ostream& out) {
  bool caps = std::any_of(host.pci.begin(), host.pci.end(),
                          [](const PciFunction& f) { return f.caps_hidden; });
  if (host.iomem_hidden)
    out << "Not root: /proc/iomem shows no addresses, so the ECAM window is unknown\n";
  if (caps) out << "Not root: PCI config space shows only 64 bytes, so MSI/MSI-X are unknown (?)\n";
  if (host.iomem_hidden || caps) out << "Run mintctl as root to see them.\n\n";
}

std::string Join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

void PrintCpus(const HostTopology& host, std::ostream& out) {
  size_t online = 0;
  for (const auto& c : host.cpus) online += c.online ? 1 : 0;
  out << "CPUs: " << host.cpus.size() << ", " << online << " online in node0\n";
  Table t({"CPU", "CORE", "SMT", "NUMA", "APIC", "ONLINE", "OWNER"});
  for (const auto& c : host.cpus)
    t.Add({std::to_string(c.id.value), std::to_string(c.package) + ":" + std::to_string(c.core),
           FormatCpuList(c.siblings), c.numa_node < 0 ? "-" : std::to_string(c.numa_node),
           c.apic ? std::to_string(c.apic->value) : "-", YesNo(c.online), OwnerName(host, c.id)});
  t.Print(out);
}

void PrintMemory(const HostTopology& host, std::ostream& out) {
  out << "\nMemory: " << HumanSize(host.mem_total) << " in node0";
  if (!host.mint.present) {
    out << "; mint pool: none (this kernel has no mint support)\n";
  } else {
    out << "; mint pool: " << HumanSize(host.mint.pool_total) << ", "
        << HumanSize(host.mint.pool_free) << " free";
    std::vector<std::string> ranges;
    for (const auto& r : host.mint.pool)
      ranges.push_back(Hex(r.start.value) + " (" + r.size.ToString() + ")");
    if (!ranges.empty()) out << ", at " << Join(ranges);
    out << "\n";
  }
  if (host.numa_nodes.size() > 1) {
    Table t({"NUMA", "CPUS", "MEMORY", "FREE"});
    for (const auto& n : host.numa_nodes)
      t.Add({std::to_string(n.id), FormatCpuList(n.cpus), HumanSize(n.mem_total),
             HumanSize(n.mem_free)});
    t.Print(out);
  }
}

void PrintPci(const HostTopology& host, std::ostream& out) {
  out << "\nPCI functions: " << host.pci.size();
  if (host.iomem_hidden)
    out << " (ECAM unknown: not root)";
  else if (host.ecam)
    out << " (ECAM at " << Hex(host.ecam->base.value) << ", buses " << int{host.ecam->bus_start}
        << "-" << int{host.ecam->bus_end} << ")";
  out << "\n";
  // What each function serves, in node0's words.
  std::map<PciBdf, std::vector<std::string>> serves;
  for (const auto& d : host.disks)
    if (d.pci) serves[*d.pci].push_back(d.name);
  for (const auto& n : host.nics)
    if (n.pci) serves[*n.pci].push_back(n.name);
  // IOMMU: the function's group and its default domain's type, "8
  // (DMA-FQ)"; "-" when node0 has no IOMMU for it.
  auto iommu = [&](const PciFunction& f) -> std::string {
    if (!f.iommu_group) return "-";
    const IommuGroup* g = host.FindIommuGroup(*f.iommu_group);
    std::string text = std::to_string(*f.iommu_group);
    return g == nullptr || g->type.empty() ? text : text + " (" + g->type + ")";
  };
  Table t(
      {"PCI", "CLASS", "DRIVER", "MSI", "MSI-X", "IOMMU", "OWNER", "SERVES", "DESCRIPTION"});
  for (const auto& f : host.pci) {
    char cls[8];
    std::snprintf(cls, sizeof cls, "%04x", f.class_code >> 8);
    t.Add({f.bdf.ToString(), cls, f.driver.empty() ? "-" : f.driver,
           f.caps_hidden ? "?" : YesNo(f.msi), f.caps_hidden ? "?" : YesNo(f.msix), iommu(f),
           OwnerName(host, f.bdf), serves.count(f.bdf) ? Join(serves[f.bdf], ",") : "-",
           f.description});
  }
  t.Print(out);
}

std::vector<std::string> RouteTexts(const std::vector<NetRoute>& routes) {
  std::vector<std::string> texts;
  for (const auto& r : routes) texts.push_back(r.ToString());
  return texts;
}

// "br0 (bridge; eth1 is its port): 192.168.1.5/24, default via
// 192.168.1.1; br0.7 (vlan on br0): -" — what is stacked on the NIC and
// what node0 has there.
std::string Stacked(const Nic& nic) {
  std::vector<std::string> items;
  for (const auto& u : nic.uppers) {
    std::string kind = u.kind.empty() ? "interface" : u.kind;
    std::string label = u.port ? kind + "; " + u.lower + " is its port" : kind + " on " + u.lower;
    std::vector<std::string> uses = u.addresses;
    for (const auto& r : RouteTexts(u.routes)) uses.push_back(r);
    items.push_back(u.name + " (" + label + "): " + (uses.empty() ? "-" : Join(uses)));
  }
  return items.empty() ? "-" : Join(items, "; ");
}

void PrintDisksAndNics(const HostTopology& host, std::ostream& out) {
  out << "\nDisks:\n";
  Table disks({"DISK", "SIZE", "PCI", "IN USE BY NODE0"});
  for (const auto& d : host.disks) {
    auto uses = DiskUses(host, d);
    disks.Add({d.name, HumanSize(d.size), d.pci ? d.pci->ToString() : "-",
               uses.empty() ? "-" : Join(uses)});
  }
  disks.Print(out);
  out << "\nNICs:\n";
  Table nics({"NIC", "PCI", "ADDRESSES", "ROUTES", "STACKED ON IT"});
  for (const auto& n : host.nics)
    nics.Add({n.name, n.pci ? n.pci->ToString() : "-",
              n.addresses.empty() ? "-" : Join(n.addresses),
              n.routes.empty() ? "-" : Join(RouteTexts(n.routes)), Stacked(n)});
  nics.Print(out);
}

}  // namespace

Result<void> RunTopology(const Globals& globals, std::ostream& out) {
  MINT_TRY(Host host, LoadHost(globals));
  if (globals.json) {
    out << JsonText(TopologyJson(host.topology)) << "\n";
    return Ok();
  }
  PrintHidden(host.topology, out);
  PrintCpus(host.topology, out);
  PrintMemory(host.topology, out);
  PrintPci(host.topology, out);
  PrintDisksAndNics(host.topology, out);
  return Ok();
}

}  // namespace mint::cli
