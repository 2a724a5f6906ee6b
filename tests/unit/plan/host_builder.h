// HostBuilder: HostTopology values for tests, built in code. The default
// host is the lab's shape: 6 CPUs without SMT on one NUMA node, a 4 GiB
// mint pool, ECAM, and these PCI functions:
//   0000:00:00.0 host bridge
//   0000:00:1f.2 SATA controller (MSI)   sda, sda1 mounted at /, sda2 swap
//   0000:00:02.0 virtio-net (MSI-X)      eth0, carries 10.0.2.15/24
//   0000:00:03.0 virtio-blk (MSI-X)      sdb
//   0000:00:04.0 virtio-blk (MSI-X)      sdc
//   0000:00:05.0 virtio-net (MSI-X)      eth1, no address
//   0000:00:06.0 old device (no MSI)
// node0's IOMMU is on (intel_iommu=on): each function Pci() adds is alone
// in its own IOMMU group, numbered in order from 0 (the host bridge's),
// of type DMA-FQ; IommuGroup() regroups, NoIommu() turns it off.
// Device numbers as a real host has them: disks 8:0, 8:16, ... with their
// partitions after them (sda1 8:1), stacked devices 253:0, 253:1, ...
#pragma once

#include <string>
#include <vector>

#include "mint/model.h"

namespace mint::testing {

inline PciBdf Bdf(const char* text) { return PciBdf::Parse(text).value(); }

class HostBuilder {
 public:
  HostBuilder() {
    Cpus(6, 1, 1);
    host_.mint.present = true;
    host_.mint.abi_version = 1;
    host_.mint.pool = {PhysRange{PhysAddr{0x100000000}, ByteSize{4ull << 30}}};
    host_.mint.pool_total = ByteSize{4ull << 30};
    host_.mint.pool_free = ByteSize{4ull << 30};
    host_.ecam = Ecam{PhysAddr{0xb0000000}, 0, 0, 255};
    Pci("0000:00:00.0", 0x060000, "", false, false, "Host bridge");
    Pci("0000:00:1f.2", 0x010601, "ahci", true, false, "SATA controller");
    Pci("0000:00:02.0", 0x020000, "virtio-pci", false, true, "Virtio network device");
    Pci("0000:00:03.0", 0x010000, "virtio-pci", false, true, "Virtio block device");
    Pci("0000:00:04.0", 0x010000, "virtio-pci", false, true, "Virtio block device");
    Pci("0000:00:05.0", 0x020000, "virtio-pci", false, true, "Virtio network device");
    Pci("0000:00:06.0", 0x078000, "", false, false, "Old device");
    Disk("sda", "0000:00:1f.2", {"sda1", "sda2"});
    Disk("sdb", "0000:00:03.0");
    Disk("sdc", "0000:00:04.0");
    Nic("eth0", "0000:00:02.0", {"10.0.2.15/24"});
    Nic("eth1", "0000:00:05.0");
    Mount("/dev/sda1", "/");
    Swap("/dev/sda2");
  }

  // `count` CPUs, `threads` SMT threads per core (siblings are adjacent
  // numbers), cores split evenly over `numa` NUMA nodes. APIC id = CPU.
  HostBuilder& Cpus(uint32_t count, uint32_t threads, int numa) {
    host_.cpus.clear();
    host_.numa_nodes.clear();
    uint32_t per_numa = count / static_cast<uint32_t>(numa);
    for (int n = 0; n < numa; ++n) host_.numa_nodes.push_back(NumaNode{n, {}, {}, {}});
    for (uint32_t i = 0; i < count; ++i) {
      Cpu cpu;
      cpu.id = CpuId{i};
      cpu.online = true;
      cpu.core = i / threads;
      cpu.numa_node = static_cast<int>(i / per_numa);
      for (uint32_t t = 0; t < threads; ++t)
        cpu.siblings.push_back(CpuId{i / threads * threads + t});
      cpu.apic = ApicId{i};
      host_.numa_nodes[static_cast<size_t>(cpu.numa_node)].cpus.push_back(cpu.id);
      host_.cpus.push_back(cpu);
    }
    return *this;
  }
  HostBuilder& Offline(uint32_t cpu) {
    for (auto& c : host_.cpus)
      if (c.id.value == cpu) c.online = false, c.apic.reset();
    return *this;
  }
  HostBuilder& Pool(uint64_t total, uint64_t free) {
    host_.mint.pool = {PhysRange{PhysAddr{0x100000000}, ByteSize{total}}};
    host_.mint.pool_total = ByteSize{total};
    host_.mint.pool_free = ByteSize{free};
    return *this;
  }
  HostBuilder& NoMint() {
    host_.mint = MintState{};
    return *this;
  }
  HostBuilder& NoEcam() {
    host_.ecam.reset();
    return *this;
  }
  // A node that holds `cpus` (a kernel cpulist) and `devices`; its CPUs
  // are offline in node0, as NODE_CREATE leaves them.
  HostBuilder& Node(uint32_t id, std::string name, const char* cpus,
                    std::vector<std::string> devices = {}, std::string state = "running") {
    MintNode node;
    node.id = id;
    node.name = std::move(name);
    node.state = ParseNodeState(state, "HostBuilder::Node").value();
    node.cpus = ParseCpuList(cpus).value();
    for (const auto& d : devices) node.devices.push_back(Bdf(d.c_str()));
    for (CpuId c : node.cpus) Offline(c.value);
    host_.mint.nodes.push_back(node);
    return *this;
  }
  HostBuilder& Pci(const char* bdf, uint32_t class_code, std::string driver, bool msi, bool msix,
                   std::string description) {
    PciFunction f;
    f.bdf = Bdf(bdf);
    f.class_code = class_code;
    f.vendor = 0x1af4;
    f.driver = std::move(driver);
    f.msi = msi;
    f.msix = msix;
    f.description = std::move(description);
    if (iommu_on_) {
      f.iommu_group = next_group_;
      host_.iommu_groups.push_back(mint::IommuGroup{next_group_++, "DMA-FQ"});
    }
    host_.pci.push_back(f);
    return *this;
  }
  // Puts `bdf` in IOMMU group `group` (made, of type DMA-FQ, if new).
  HostBuilder& IommuGroup(const char* bdf, int group) {
    for (auto& f : host_.pci)
      if (f.bdf == Bdf(bdf)) f.iommu_group = group;
    if (host_.FindIommuGroup(group) == nullptr)
      host_.iommu_groups.push_back(mint::IommuGroup{group, "DMA-FQ"});
    return *this;
  }
  // Every group's default domain type: "identity" is node0 on iommu=pt.
  HostBuilder& IommuType(std::string type) {
    for (auto& g : host_.iommu_groups) g.type = type;
    return *this;
  }
  // node0 without an IOMMU: no function has a group, now or later.
  HostBuilder& NoIommu() {
    for (auto& f : host_.pci) f.iommu_group.reset();
    host_.iommu_groups.clear();
    iommu_on_ = false;
    return *this;
  }
  HostBuilder& Disk(std::string name, const char* bdf, std::vector<std::string> partitions = {}) {
    BlockDevice d;
    d.name = std::move(name);
    if (bdf != nullptr) d.pci = Bdf(bdf);
    d.dev = DevNum{8, 16 * disk_count_++};
    for (uint32_t i = 0; i < partitions.size(); ++i)
      d.partitions.push_back(Partition{partitions[i], DevNum{8, d.dev.minor + i + 1}});
    d.size = ByteSize{8ull << 30};
    host_.disks.push_back(d);
    return *this;
  }
  // A device stacked on `on` (disks, partitions or stacked devices added
  // before it), as Discover gives it: its own /sys/block entry, and an
  // entry in `stacked` of every disk below it. Numbered 253:N.
  HostBuilder& Stack(std::string name, StackKind kind, std::string label,
                     std::vector<std::string> on) {
    DevNum dev{253, stack_count_++};
    for (auto& d : host_.disks) {
      StackedDevice s{name, dev, kind, label, {}};
      for (const auto& below : on)
        if (d.Contains(below)) s.on.push_back(below);
      if (!s.on.empty()) d.stacked.push_back(s);
    }
    BlockDevice whole;
    whole.name = std::move(name);
    whole.dev = dev;
    whole.size = ByteSize{4ull << 30};
    host_.disks.push_back(whole);
    return *this;
  }
  HostBuilder& Nic(std::string name, const char* bdf, std::vector<std::string> addresses = {},
                   std::vector<NetRoute> routes = {}) {
    mint::Nic n;
    n.name = std::move(name);
    if (bdf != nullptr) n.pci = Bdf(bdf);
    n.addresses = std::move(addresses);
    n.routes = std::move(routes);
    host_.nics.push_back(n);
    return *this;
  }
  // `name` (of `kind`) stacked on `lower` (the NIC `nic` or an interface
  // already stacked on it); port: lower is a port of it.
  HostBuilder& Upper(const std::string& nic, std::string name, std::string kind, std::string lower,
                     bool port, std::vector<std::string> addresses = {},
                     std::vector<NetRoute> routes = {}) {
    for (auto& n : host_.nics)
      if (n.name == nic)
        n.uppers.push_back(NetUpper{std::move(name), std::move(kind), std::move(lower), port,
                                    std::move(addresses), std::move(routes)});
    return *this;
  }
  // A mount of /dev/NAME (a disk, partition or stacked device by name), or
  // of something on no block device (tmpfs: an anonymous 0:N).
  HostBuilder& Mount(std::string source, std::string target) {
    std::string device = source.starts_with("/dev/") ? source.substr(5) : "";
    return MountOf(std::move(source), std::move(target), device);
  }
  // A mount whose source says another name than the device it is on:
  // ("/dev/root", "/", "sda1").
  HostBuilder& MountOf(std::string source, std::string target, const std::string& device) {
    host_.mounts.push_back(
        mint::Mount{std::move(source), std::move(target), "ext4", DevOf(device)});
    return *this;
  }
  HostBuilder& Swap(std::string source) {
    DevNum dev = DevOf(source.substr(5));
    host_.swaps.push_back(mint::Swap{std::move(source), false, dev});
    return *this;
  }
  // A swap file on the filesystem of `device`.
  HostBuilder& SwapFile(std::string path, const std::string& device) {
    host_.swaps.push_back(mint::Swap{std::move(path), true, DevOf(device)});
    return *this;
  }
  HostTopology Build() const { return host_; }

 private:
  // The device number of a disk, partition or stacked device by name; an
  // anonymous 0:N for anything else.
  DevNum DevOf(const std::string& device) {
    for (const auto& d : host_.disks) {
      if (d.name == device) return d.dev;
      for (const auto& p : d.partitions)
        if (p.name == device) return p.dev;
      if (const StackedDevice* st = d.FindStacked(device)) return st->dev;
    }
    return DevNum{0, 100 + anonymous_count_++};
  }

  HostTopology host_;
  uint32_t disk_count_ = 0;
  uint32_t stack_count_ = 0;
  uint32_t anonymous_count_ = 0;
  bool iommu_on_ = true;
  int next_group_ = 0;
};

// A spec as `mintctl plan node1 --cores N --mem SIZE` gives it.
inline NodeSpec Spec(uint32_t cores = 2, uint64_t memory = 1ull << 30) {
  NodeSpec spec;
  spec.name = "node1";
  spec.core_count = cores;
  spec.cores_where.flag = "--cores";
  spec.memory = ByteSize{memory};
  spec.memory_where.flag = "--mem";
  spec.numa_where.flag = "--numa";
  spec.kernel_where.flag = "--kernel";
  return spec;
}

inline NodeSpec& AddDevice(NodeSpec& spec, DeviceKind kind, std::string name) {
  DeviceRequest r;
  r.kind = kind;
  r.name = std::move(name);
  r.where.flag = "--" + std::string(DeviceKindName(kind));
  spec.devices.push_back(r);
  return spec;
}

}  // namespace mint::testing
