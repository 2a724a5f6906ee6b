// Tests for mint::topology. Two kinds of host trees:
//  - captured: tests/fixtures/hosts/build-vm (this project's build VM) and
//    tests/fixtures/hosts/lab-q35 (the lab's node0), both captured as root
//    by tools/collect-host; every value asserted here was checked by hand
//    against that machine (lspci, /proc, /sys).
//  - synthetic: small trees written into a temp dir by the test, to reach
//    the cases a real host rarely shows (offline CPUs, SMT, partitions,
//    holders, a mint pool, MSI capabilities) and garbage content.
#include "mint/topology.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "net.h"
#include "parse.h"

namespace mint::topology {
namespace {

const std::string kFixtures = MINT_FIXTURES_DIR;
const std::string kBuildVm = kFixtures + "/hosts/build-vm";
constexpr std::string_view kDamaged =
    "the file is damaged or not from a Linux host; capture the host again with "
    "tools/collect-host";

// A HostFs that remembers every path asked for.
class RecordingFs final : public sys::HostFs {
 public:
  explicit RecordingFs(std::unique_ptr<sys::HostFs> inner) : inner_(std::move(inner)) {}
  Result<std::string> ReadFile(std::string_view path) override {
    paths_.insert(std::string(path));
    return inner_->ReadFile(path);
  }
  Result<std::vector<std::string>> ListDir(std::string_view path) override {
    paths_.insert(std::string(path));
    return inner_->ListDir(path);
  }
  Result<std::string> ReadLink(std::string_view path) override {
    paths_.insert(std::string(path));
    return inner_->ReadLink(path);
  }
  bool Exists(std::string_view path) override {
    paths_.insert(std::string(path));
    return inner_->Exists(path);
  }
  const std::string& root() const override { return inner_->root(); }
  const std::set<std::string>& paths() const { return paths_; }

 private:
  std::unique_ptr<sys::HostFs> inner_;
  std::set<std::string> paths_;
};

std::vector<std::string> Texts(const std::vector<NetRoute>& routes) {
  std::vector<std::string> texts;
  for (const NetRoute& r : routes) texts.push_back(r.ToString());
  return texts;
}

// Everything Discover found, one fact per line, to compare whole topologies.
std::string Describe(const HostTopology& host) {
  std::ostringstream out;
  for (const Cpu& c : host.cpus) {
    out << "cpu " << c.id.value << " online=" << c.online << " pkg=" << c.package
        << " core=" << c.core << " node=" << c.numa_node
        << " siblings=" << FormatCpuList(c.siblings)
        << " apic=" << (c.apic ? std::to_string(c.apic->value) : "-") << "\n";
  }
  for (const NumaNode& n : host.numa_nodes) {
    out << "node " << n.id << " cpus=" << FormatCpuList(n.cpus) << " total=" << n.mem_total.bytes
        << " free=" << n.mem_free.bytes << "\n";
  }
  out << "mem " << host.mem_total.bytes << "\n";
  for (const IomemRange& r : host.iomem) {
    out << "iomem " << std::hex << r.start.value << "-" << r.last.value << std::dec << " "
        << r.depth << " " << r.name << "\n";
  }
  if (host.ecam) {
    out << "ecam " << std::hex << host.ecam->base.value << std::dec << " " << host.ecam->segment
        << " " << int{host.ecam->bus_start} << "-" << int{host.ecam->bus_end} << "\n";
  }
  for (const PciFunction& p : host.pci) {
    out << "pci " << p.bdf.ToString() << std::hex << " class=" << p.class_code << " " << p.vendor
        << ":" << p.device << std::dec << " driver=" << p.driver << " msi=" << p.msi
        << " msix=" << p.msix << " group=" << (p.iommu_group ? *p.iommu_group : -1)
        << " node=" << p.numa_node << " " << p.description << "\n";
  }
  for (const IommuGroup& g : host.iommu_groups) out << "iommu_group " << g.id << " " << g.type << "\n";
  for (const BlockDevice& d : host.disks) {
    out << "disk " << d.name << " " << d.dev.ToString() << " " << (d.pci ? d.pci->ToString() : "-")
        << " " << d.size.bytes;
    for (const Partition& p : d.partitions) out << " " << p.name << "=" << p.dev.ToString();
    for (const StackedDevice& st : d.stacked) {
      out << " " << st.name << "=" << st.dev.ToString() << "(" << st.label << ")<";
      for (const std::string& on : st.on) out << on << ",";
    }
    out << "\n";
  }
  for (const Nic& n : host.nics) {
    out << "nic " << n.name << " " << (n.pci ? n.pci->ToString() : "-");
    for (const std::string& a : n.addresses) out << " " << a;
    for (const NetRoute& r : n.routes) out << " route " << r.ToString();
    for (const NetUpper& u : n.uppers) {
      out << " upper " << u.name << " " << u.kind << " on " << u.lower << (u.port ? " port" : "");
      for (const std::string& a : u.addresses) out << " " << a;
      for (const NetRoute& r : u.routes) out << " route " << r.ToString();
    }
    out << "\n";
  }
  for (const Mount& m : host.mounts)
    out << "mount " << m.source << " " << m.target << " " << m.dev.ToString() << "\n";
  for (const Swap& s : host.swaps)
    out << "swap " << s.source << " " << s.file << " " << s.dev.ToString() << "\n";
  out << "mint " << host.mint.present << " " << host.mint.abi_version << "\n";
  out << "cmdline " << host.cmdline << "\n";
  return out.str();
}

// ---- The captured build VM ----------------------------------------------

class BuildVm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto fs = sys::OpenHostFs(kBuildVm);
    auto host = Discover(*fs);
    ASSERT_TRUE(host.ok()) << host.error().ToString();
    host_ = new HostTopology(std::move(host).value());
  }
  static void TearDownTestSuite() { delete host_; }
  static HostTopology* host_;
};
HostTopology* BuildVm::host_ = nullptr;

TEST_F(BuildVm, Cpus) {
  ASSERT_EQ(host_->cpus.size(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    const Cpu& cpu = host_->cpus[i];
    EXPECT_EQ(cpu.id, CpuId{i});
    EXPECT_TRUE(cpu.online);
    EXPECT_EQ(cpu.package, 0u);
    EXPECT_EQ(cpu.core, i);
    EXPECT_EQ(cpu.siblings, std::vector<CpuId>{CpuId{i}});  // no SMT
    EXPECT_EQ(cpu.apic, ApicId{i});
    EXPECT_EQ(cpu.numa_node, 0);
  }
}

TEST_F(BuildVm, NumaAndMemory) {
  ASSERT_EQ(host_->numa_nodes.size(), 1u);
  EXPECT_EQ(host_->numa_nodes[0].id, 0);
  EXPECT_EQ(host_->numa_nodes[0].cpus, (std::vector<CpuId>{{0}, {1}}));
  EXPECT_EQ(host_->numa_nodes[0].mem_total, ByteSize{9398048ull << 10});
  EXPECT_EQ(host_->mem_total, ByteSize{24683656ull << 10});
}

TEST_F(BuildVm, IomemAndEcam) {
  ASSERT_EQ(host_->iomem.size(), 27u);
  EXPECT_EQ(host_->iomem[1].name, "System RAM");
  EXPECT_EQ(host_->iomem[1].start, PhysAddr{0x1000});
  EXPECT_EQ(host_->iomem[1].last, PhysAddr{0x9fbff});
  EXPECT_EQ(host_->iomem[6].name, "Kernel code");
  EXPECT_EQ(host_->iomem[6].depth, 1);
  EXPECT_EQ(host_->iomem[13].name, "PCI Bus 0000:00");
  EXPECT_EQ(host_->iomem[13].depth, 2);
  // Captured as root: real addresses, not the zeros non-root sees.
  EXPECT_EQ(host_->iomem[15].name, "System RAM");
  EXPECT_EQ(host_->iomem[15].start, PhysAddr{0x100000000});
  EXPECT_EQ(host_->iomem[15].last, PhysAddr{0x63fffffff});
  // This kernel calls the MCFG window "PCI ECAM 0000 [bus 00-00]".
  ASSERT_TRUE(host_->ecam.has_value());
  EXPECT_EQ(host_->ecam->base, PhysAddr{0xeec00000});
  EXPECT_EQ(host_->ecam->segment, 0);
  EXPECT_EQ(host_->ecam->bus_start, 0);
  EXPECT_EQ(host_->ecam->bus_end, 0);
}

TEST_F(BuildVm, PciFunctions) {
  ASSERT_EQ(host_->pci.size(), 6u);
  const PciFunction* bridge = host_->FindPci(PciBdf{0, 0, 0, 0});
  ASSERT_NE(bridge, nullptr);
  EXPECT_EQ(bridge->class_code, 0x060000u);
  EXPECT_EQ(bridge->vendor, 0x8086);
  EXPECT_EQ(bridge->device, 0x0d57);
  EXPECT_EQ(bridge->driver, "");
  EXPECT_FALSE(bridge->msi);
  EXPECT_FALSE(bridge->msix);
  // lspci -vv: every virtio function has "Capabilities: [98] MSI-X", no MSI.
  for (uint8_t dev = 1; dev <= 5; ++dev) {
    const PciFunction* f = host_->FindPci(PciBdf{0, 0, dev, 0});
    ASSERT_NE(f, nullptr) << int{dev};
    EXPECT_EQ(f->vendor, 0x1af4);
    EXPECT_EQ(f->driver, "virtio-pci");
    EXPECT_TRUE(f->msix) << int{dev};
    EXPECT_FALSE(f->msi) << int{dev};
    EXPECT_FALSE(f->iommu_group.has_value());  // no IOMMU in this VM
    EXPECT_EQ(f->numa_node, -1);
  }
  const PciFunction* blk = host_->FindPci(PciBdf{0, 0, 2, 0});
  EXPECT_EQ(blk->class_code, 0x018000u);
  EXPECT_EQ(blk->device, 0x1042);
  EXPECT_EQ(blk->description, "Virtio 1.0 block device");
  EXPECT_EQ(host_->FindPci(PciBdf{0, 0, 3, 0})->class_code, 0x020000u);
}

TEST_F(BuildVm, DisksAndNics) {
  const BlockDevice* vda = host_->FindDisk("vda");
  ASSERT_NE(vda, nullptr);
  EXPECT_EQ(vda->pci, (PciBdf{0, 0, 2, 0}));
  EXPECT_EQ(vda->size, ByteSize{256ull << 30});
  EXPECT_EQ(vda->dev, (DevNum{254, 0}));
  EXPECT_TRUE(vda->partitions.empty());  // ext4 straight on the disk
  EXPECT_TRUE(vda->stacked.empty());
  const BlockDevice* loop0 = host_->FindDisk("loop0");
  ASSERT_NE(loop0, nullptr);
  EXPECT_FALSE(loop0->pci.has_value());
  EXPECT_EQ(host_->disks.size(), 10u);  // loop0-7, vda, zram0

  ASSERT_EQ(host_->nics.size(), 1u);  // lo and ifb0/1 have no device
  EXPECT_EQ(host_->nics[0].name, "eth0");
  EXPECT_EQ(host_->nics[0].pci, (PciBdf{0, 0, 3, 0}));
  // fe80::fc:ff:fe00:1 (link-local) is on eth0 too, but is not node0's use.
  EXPECT_EQ(host_->nics[0].addresses, (std::vector<std::string>{"192.0.2.2/24", "fd00::2/64"}));
  EXPECT_EQ(Texts(host_->nics[0].routes),
            (std::vector<std::string>{"default via 192.0.2.1", "192.0.2.0/24", "fd00::/64",
                                      "default via fd00::1"}));
  EXPECT_TRUE(host_->nics[0].uppers.empty());
}

TEST_F(BuildVm, MountsSwapMintCmdline) {
  ASSERT_GE(host_->mounts.size(), 6u);
  EXPECT_EQ(host_->mounts[5].source, "/dev/vda");
  EXPECT_EQ(host_->mounts[5].target, "/");
  EXPECT_EQ(host_->mounts[5].fstype, "ext4");
  EXPECT_EQ(host_->mounts[5].dev, (DevNum{254, 0}));  // mountinfo "254:0", vda's dev
  EXPECT_EQ(host_->mounts[0].dev, (DevNum{0, 21}));   // proc
  EXPECT_TRUE(host_->swaps.empty());
  EXPECT_FALSE(host_->mint.present);
  EXPECT_TRUE(host_->cmdline.starts_with(
      "mitigations=auto,no_guest_host,no_guest_guest console=ttyS0 quiet"))
      << host_->cmdline;
}

// Every path Discover asked HostFs for is declared in host-files.list, so
// tools/collect-host captures everything a replay needs.
TEST_F(BuildVm, ReadsOnlyDeclaredHostFiles) {
  RecordingFs fs(sys::OpenHostFs(kBuildVm));
  ASSERT_TRUE(Discover(fs).ok());
  EXPECT_GT(fs.paths().size(), 20u);
  for (const std::string& path : fs.paths()) EXPECT_TRUE(IsHostFile(path)) << path;
}

// ---- The captured lab q35 machine (node0 of lab/mint-lab) ---------------
// Checked by hand in the lab: lspci -k, ls -l /sys/block, /proc/iomem, and
// the capability lists decoded from each captured config file.

class LabQ35 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto fs = sys::OpenHostFs(kFixtures + "/hosts/lab-q35");
    auto host = Discover(*fs);
    ASSERT_TRUE(host.ok()) << host.error().ToString();
    lab_ = new HostTopology(std::move(host).value());
  }
  static void TearDownTestSuite() { delete lab_; }
  static HostTopology* lab_;
};
HostTopology* LabQ35::lab_ = nullptr;

TEST_F(LabQ35, CpusMemoryEcam) {
  ASSERT_EQ(lab_->cpus.size(), 6u);  // -smp 6
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(lab_->cpus[i].online);
    EXPECT_EQ(lab_->cpus[i].apic, ApicId{i});
    EXPECT_EQ(lab_->cpus[i].core, i);
    EXPECT_EQ(lab_->cpus[i].siblings, std::vector<CpuId>{CpuId{i}});
    EXPECT_EQ(lab_->cpus[i].numa_node, -1);  // the lab kernel has no NUMA
  }
  EXPECT_TRUE(lab_->numa_nodes.empty());
  EXPECT_EQ(lab_->mem_total, ByteSize{6098788ull << 10});
  ASSERT_TRUE(lab_->ecam.has_value());
  EXPECT_EQ(lab_->ecam->base, PhysAddr{0xb0000000});
  EXPECT_EQ(lab_->ecam->bus_start, 0x00);
  EXPECT_EQ(lab_->ecam->bus_end, 0xff);
  EXPECT_EQ(lab_->cmdline, "console=ttyS0 mint_pool=4G scsi_mod.scan=manual panic=-1");
}

TEST_F(LabQ35, PciDisksNics) {
  ASSERT_EQ(lab_->pci.size(), 9u);
  for (uint8_t dev : {uint8_t{2}, uint8_t{3}, uint8_t{4}}) {  // virtio-scsi: MSI-X, no MSI
    const PciFunction* f = lab_->FindPci(PciBdf{0, 0, dev, 0});
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->device, 0x1004);
    EXPECT_EQ(f->class_code, 0x010000u);
    EXPECT_EQ(f->driver, "virtio-pci");
    EXPECT_TRUE(f->msix);
    EXPECT_FALSE(f->msi);
  }
  for (uint8_t dev : {uint8_t{5}, uint8_t{6}}) {  // virtio-net
    const PciFunction* f = lab_->FindPci(PciBdf{0, 0, dev, 0});
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->class_code, 0x020000u);
    EXPECT_TRUE(f->msix);
  }
  const PciFunction* ahci = lab_->FindPci(PciBdf{0, 0, 0x1f, 2});
  ASSERT_NE(ahci, nullptr);
  EXPECT_EQ(ahci->class_code, 0x010601u);
  EXPECT_TRUE(ahci->msi);  // caps: MSI (0x05), SATA (0x12)
  EXPECT_FALSE(ahci->msix);
  EXPECT_EQ(ahci->driver, "");  // no AHCI driver in the lab kernel

  // sda and sdd share virtio-scsi 00:02.0; sdb and sdc have their own.
  ASSERT_EQ(lab_->disks.size(), 4u);
  EXPECT_EQ(lab_->FindDisk("sda")->pci, (PciBdf{0, 0, 2, 0}));
  EXPECT_EQ(lab_->FindDisk("sdd")->pci, (PciBdf{0, 0, 2, 0}));
  EXPECT_EQ(lab_->FindDisk("sdb")->pci, (PciBdf{0, 0, 3, 0}));
  EXPECT_EQ(lab_->FindDisk("sdc")->pci, (PciBdf{0, 0, 4, 0}));
  EXPECT_EQ(lab_->FindDisk("sdb")->size, ByteSize{64ull << 20});
  ASSERT_EQ(lab_->nics.size(), 2u);
  EXPECT_EQ(lab_->FindNic("eth0")->pci, (PciBdf{0, 0, 5, 0}));
  EXPECT_EQ(lab_->FindNic("eth1")->pci, (PciBdf{0, 0, 6, 0}));
  EXPECT_TRUE(lab_->FindNic("eth1")->addresses.empty());
  EXPECT_TRUE(lab_->FindNic("eth1")->routes.empty());
}

TEST_F(LabQ35, MountsAndNoMintYet) {
  ASSERT_FALSE(lab_->mounts.empty());
  EXPECT_EQ(lab_->mounts[0].target, "/");
  EXPECT_EQ(lab_->mounts[0].fstype, "rootfs");
  EXPECT_TRUE(lab_->swaps.empty());
  // Captured before the kernel side exported /sys/kernel/mint.
  EXPECT_FALSE(lab_->mint.present);
}

TEST_F(LabQ35, ReadsOnlyDeclaredHostFiles) {
  RecordingFs fs(sys::OpenHostFs(kFixtures + "/hosts/lab-q35"));
  ASSERT_TRUE(Discover(fs).ok());
  for (const std::string& path : fs.paths()) EXPECT_TRUE(IsHostFile(path)) << path;
}

// ---- Constructed hosts (tests/fixtures/hosts/construct) ------------------

HostTopology Constructed(const std::string& name) {
  auto fs = sys::OpenHostFs(kFixtures + "/hosts/" + name);
  auto host = Discover(*fs);
  EXPECT_TRUE(host.ok()) << name << ": " << host.error().ToString();
  return host.ok() ? *host : HostTopology{};
}

TEST(Constructed, ReadOnlyDeclaredHostFilesAndReplayThroughCollectHost) {
  for (const std::string name :
       {"bridge-br0", "bond-bond0", "slash32", "numa2-smt128", "iommu-noacs", "iommu-pt"}) {
    const std::string tree = kFixtures + "/hosts/" + name;
    RecordingFs fs(sys::OpenHostFs(tree));
    ASSERT_TRUE(Discover(fs).ok()) << name;
    for (const std::string& path : fs.paths()) EXPECT_TRUE(IsHostFile(path)) << name << path;
    // collect-host --from copies what Discover needs, upper_* links and
    // the ip -j files included.
    char copy[] = "/tmp/mint-topo-copy-XXXXXX";
    ASSERT_NE(mkdtemp(copy), nullptr);
    std::string command = "sh " + std::string(MINT_SOURCE_DIR) + "/tools/collect-host --from " +
                          tree + " " + copy + "/t >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    auto copy_fs = sys::OpenHostFs(std::string(copy) + "/t");
    auto replayed = Discover(*copy_fs);
    std::filesystem::remove_all(copy);
    ASSERT_TRUE(replayed.ok()) << name << ": " << replayed.error().ToString();
    EXPECT_EQ(Describe(Constructed(name)), Describe(*replayed)) << name;
  }
}

TEST(Constructed, BridgeBr0) {
  HostTopology host = Constructed("bridge-br0");
  ASSERT_EQ(host.nics.size(), 2u);
  const Nic* eth0 = host.FindNic("eth0");
  const Nic* eth1 = host.FindNic("eth1");
  ASSERT_TRUE(eth0 && eth1);
  // Up, with its link-local address and fe80::/64 route only: not in use.
  EXPECT_TRUE(eth0->addresses.empty());
  EXPECT_TRUE(eth0->routes.empty());
  EXPECT_TRUE(eth0->uppers.empty());
  EXPECT_TRUE(eth1->addresses.empty());
  ASSERT_EQ(eth1->uppers.size(), 1u);
  const NetUpper& br0 = eth1->uppers[0];
  EXPECT_EQ(br0.name, "br0");
  EXPECT_EQ(br0.kind, "bridge");
  EXPECT_EQ(br0.lower, "eth1");
  EXPECT_TRUE(br0.port);
  EXPECT_EQ(br0.addresses, std::vector<std::string>{"192.168.1.5/24"});
  EXPECT_EQ(Texts(br0.routes),
            (std::vector<std::string>{"default via 192.168.1.1", "192.168.1.0/24"}));
}

TEST(Constructed, BondBond0) {
  HostTopology host = Constructed("bond-bond0");
  ASSERT_EQ(host.nics.size(), 3u);
  EXPECT_EQ(host.FindNic("eth2")->pci, (PciBdf{0, 0, 7, 0}));
  ASSERT_NE(host.FindPci(PciBdf{0, 0, 7, 0}), nullptr);
  for (const char* name : {"eth1", "eth2"}) {
    const Nic* nic = host.FindNic(name);
    ASSERT_EQ(nic->uppers.size(), 1u) << name;
    EXPECT_EQ(nic->uppers[0].name, "bond0");
    EXPECT_EQ(nic->uppers[0].kind, "bond");
    EXPECT_TRUE(nic->uppers[0].port);
    EXPECT_EQ(nic->uppers[0].addresses,
              (std::vector<std::string>{"10.1.0.5/24", "2001:db8:1::5/64"}));
  }
  EXPECT_TRUE(host.FindNic("eth0")->uppers.empty());
}

// iommu-noacs: intel_iommu=on, every group DMA-FQ; a root port and the two
// functions of a dual-port 82576 behind it in one group (no ACS), the
// ICH9's three functions in another. iommu-pt: the same, identity.
TEST(Constructed, IommuGroupsAndTheirTypes) {
  HostTopology host = Constructed("iommu-noacs");
  ASSERT_EQ(host.pci.size(), 12u);
  auto members = [&](int group) {
    std::vector<std::string> out;
    for (const PciFunction* f : host.IommuGroupMembers(group)) out.push_back(f->bdf.ToString());
    return out;
  };
  EXPECT_EQ(members(7), (std::vector<std::string>{"0000:00:1c.0", "0000:01:00.0", "0000:01:00.1"}));
  EXPECT_EQ(members(6), (std::vector<std::string>{"0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"}));
  EXPECT_EQ(members(2), std::vector<std::string>{"0000:00:03.0"});
  ASSERT_EQ(host.iommu_groups.size(), 8u);
  for (const IommuGroup& g : host.iommu_groups) {
    EXPECT_EQ(g.type, "DMA-FQ") << g.id;
    EXPECT_FALSE(g.Identity());
  }
  const PciFunction* port = host.FindPci(PciBdf{0, 0, 0x1c, 0});
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->class_code, 0x060400u);
  EXPECT_EQ(port->driver, "pcieport");
  EXPECT_EQ(host.FindNic("eth2")->pci, (PciBdf{0, 1, 0, 0}));
  EXPECT_EQ(host.FindNic("eth3")->pci, (PciBdf{0, 1, 0, 1}));
  EXPECT_TRUE(host.FindPci(PciBdf{0, 1, 0, 1})->msix);
  EXPECT_EQ(host.FindPci(PciBdf{0, 1, 0, 1})->driver, "igb");

  HostTopology pt = Constructed("iommu-pt");
  ASSERT_EQ(pt.iommu_groups.size(), 8u);
  for (const IommuGroup& g : pt.iommu_groups) EXPECT_TRUE(g.Identity()) << g.id;
  EXPECT_EQ(pt.cmdline, "console=ttyS0 mint_pool=4G scsi_mod.scan=manual panic=-1 "
                        "intel_iommu=on iommu=pt");
}

TEST(Constructed, Slash32) {
  HostTopology host = Constructed("slash32");
  const Nic* eth1 = host.FindNic("eth1");
  EXPECT_EQ(eth1->addresses, std::vector<std::string>{"203.0.113.7/32"});
  EXPECT_EQ(Texts(eth1->routes), std::vector<std::string>{"default via 203.0.113.1 table 100"});
  const Nic* eth2 = host.FindNic("eth2");
  EXPECT_TRUE(eth2->addresses.empty());
  EXPECT_EQ(Texts(eth2->routes), std::vector<std::string>{"198.51.100.0/24 table 200"});
}

TEST(Constructed, Numa2Smt128) {
  HostTopology host = Constructed("numa2-smt128");
  ASSERT_EQ(host.cpus.size(), 128u);
  for (uint32_t i = 0; i < 128; ++i) {
    const Cpu& cpu = host.cpus[i];
    uint32_t thread = i / 64, socket = (i % 64) / 32, core = i % 32;
    EXPECT_TRUE(cpu.online);
    EXPECT_EQ(cpu.package, socket) << i;
    EXPECT_EQ(cpu.core, core) << i;
    EXPECT_EQ(cpu.numa_node, static_cast<int>(socket)) << i;
    EXPECT_EQ(cpu.siblings, (std::vector<CpuId>{CpuId{i % 64}, CpuId{i % 64 + 64}})) << i;
    EXPECT_EQ(cpu.apic, ApicId{(socket << 7) | (core << 1) | thread}) << i;
  }
  EXPECT_EQ(host.cpus[64].apic, ApicId{1});
  EXPECT_EQ(host.cpus[32].apic, ApicId{128});
  EXPECT_EQ(host.cpus[127].apic, ApicId{191});
  ASSERT_EQ(host.numa_nodes.size(), 2u);
  EXPECT_EQ(FormatCpuList(host.numa_nodes[0].cpus), "0-31,64-95");
  EXPECT_EQ(FormatCpuList(host.numa_nodes[1].cpus), "32-63,96-127");
  EXPECT_EQ(host.numa_nodes[0].mem_total, ByteSize{65584012ull << 10});
  EXPECT_EQ(host.numa_nodes[1].mem_total, ByteSize{66058240ull << 10});
  EXPECT_EQ(host.mem_total, ByteSize{(65584012ull + 66058240ull) << 10});
  // System RAM runs from 4 GiB to 130 GiB: both nodes' memory.
  bool high_ram = false;
  for (const IomemRange& r : host.iomem) {
    high_ram = high_ram || (r.name == "System RAM" && r.start == PhysAddr{0x100000000} &&
                            r.last == PhysAddr{0x207fffffff});
  }
  EXPECT_TRUE(high_ram);
  for (const PciFunction& f : host.pci) EXPECT_EQ(f.numa_node, 0) << f.bdf.ToString();
}

// ---- The build VM captured without root ---------------------------------
// tools/collect-host run as nobody (setpriv --reuid 65534): the kernel's own
// non-root view, zeros in /proc/iomem and 64 bytes of config space.

TEST(BuildVmNonRoot, SaysWhatItCannotSee) {
  auto fs = sys::OpenHostFs(kFixtures + "/hosts/build-vm-nonroot");
  auto host = Discover(*fs);
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_TRUE(host->iomem_hidden);
  EXPECT_FALSE(host->ecam.has_value());  // not "ECAM at 0"
  ASSERT_EQ(host->pci.size(), 6u);
  for (const PciFunction& f : host->pci) EXPECT_TRUE(f.caps_hidden) << f.bdf.ToString();
  // The root capture of the same machine sees everything.
  auto root_fs = sys::OpenHostFs(kBuildVm);
  auto root_host = Discover(*root_fs);
  ASSERT_TRUE(root_host.ok()) << root_host.error().ToString();
  EXPECT_FALSE(root_host->iomem_hidden);
  for (const PciFunction& f : root_host->pci) EXPECT_FALSE(f.caps_hidden) << f.bdf.ToString();
}

// ---- Server disk layouts (tests/fixtures/hosts/make-disk-hosts) ----------
// lab-q35 with a server's disks: constructed in the kernel's shapes (the
// README there says how), so the device numbers asserted here are the ones
// the generator wrote.

HostTopology Layout(const std::string& name) {
  auto fs = sys::OpenHostFs(kFixtures + "/hosts/" + name);
  auto host = Discover(*fs);
  EXPECT_TRUE(host.ok()) << name << ": " << host.error().ToString();
  return host.ok() ? std::move(host).value() : HostTopology{};
}

// "mounted sda2>dm-0 /", one use per line.
std::string Uses(const HostTopology& host, const std::string& disk) {
  const BlockDevice* d = host.FindDisk(disk);
  if (d == nullptr) return "(no disk " + disk + ")";
  std::string out;
  for (const DiskUse& use : host.DiskUses(*d)) {
    const char* kinds[] = {"mounted", "swap", "swapfile", "assembled"};
    out += kinds[static_cast<int>(use.kind)];
    out += " ";
    for (size_t i = 0; i < use.chain.size(); ++i) out += (i ? ">" : "") + use.chain[i];
    out += use.where.empty() ? "\n" : " " + use.where + "\n";
  }
  return out;
}

TEST(Layouts, ReadOnlyDeclaredHostFiles) {
  for (const char* name : {"lvm-root", "dev-root", "md-raid1", "nvme-root"}) {
    RecordingFs fs(sys::OpenHostFs(kFixtures + "/hosts/" + name));
    auto host = Discover(fs);
    ASSERT_TRUE(host.ok()) << name << ": " << host.error().ToString();
    for (const std::string& path : fs.paths()) EXPECT_TRUE(IsHostFile(path)) << name << path;
  }
}

// Each tree is what tools/collect-host would capture of it: a copy made by
// collect-host --from describes the same host (no file is missing).
TEST(Layouts, CollectHostCopiesReplayTheSame) {
  for (const char* name : {"lvm-root", "dev-root", "md-raid1", "nvme-root"}) {
    std::string copy = "/tmp/mint-layout-copy-" + std::to_string(getpid());
    std::string command = "sh " + std::string(MINT_SOURCE_DIR) + "/tools/collect-host --from " +
                          kFixtures + "/hosts/" + name + " " + copy + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    auto fs = sys::OpenHostFs(copy);
    auto replayed = Discover(*fs);
    std::filesystem::remove_all(copy);
    ASSERT_TRUE(replayed.ok()) << name << ": " << replayed.error().ToString();
    EXPECT_EQ(Describe(Layout(name)), Describe(*replayed)) << name;
  }
}

TEST(Layouts, LvmRootOnAPartition) {
  HostTopology host = Layout("lvm-root");
  const BlockDevice* sda = host.FindDisk("sda");
  ASSERT_NE(sda, nullptr);
  EXPECT_EQ(sda->dev, (DevNum{8, 0}));
  ASSERT_EQ(sda->partitions.size(), 2u);
  EXPECT_EQ(sda->partitions[1].dev, (DevNum{8, 2}));
  ASSERT_EQ(sda->stacked.size(), 2u);
  EXPECT_EQ(sda->stacked[0].name, "dm-0");
  EXPECT_EQ(sda->stacked[0].dev, (DevNum{253, 0}));
  EXPECT_EQ(sda->stacked[0].kind, StackKind::kDeviceMapper);
  EXPECT_EQ(sda->stacked[0].label, "vg0-root");
  EXPECT_EQ(sda->stacked[0].on, std::vector<std::string>{"sda2"});
  EXPECT_EQ(sda->stacked[1].label, "vg0-swap");
  EXPECT_EQ(host.mounts[0].source, "/dev/mapper/vg0-root");
  EXPECT_EQ(host.mounts[0].dev, (DevNum{253, 0}));
  ASSERT_EQ(host.swaps.size(), 1u);
  EXPECT_EQ(host.swaps[0].dev, (DevNum{253, 1}));  // "/dev/dm-1", by its name
  EXPECT_EQ(Uses(host, "sda"),
            "mounted sda2>dm-0 /\nmounted sda1 /boot\nswap sda2>dm-1 /dev/dm-1\n");
  EXPECT_EQ(Uses(host, "sdb"), "");
  EXPECT_EQ(Uses(host, "dm-0"), "mounted dm-0 /\n");  // its own /sys/block entry
}

TEST(Layouts, DevRootIsFoundByItsDeviceNumber) {
  HostTopology host = Layout("dev-root");
  EXPECT_EQ(host.mounts[0].source, "/dev/root");
  EXPECT_EQ(host.mounts[0].dev, (DevNum{8, 1}));
  EXPECT_EQ(Uses(host, "sda"), "mounted sda1 /\n");
  EXPECT_EQ(Uses(host, "sdb"), "");
}

TEST(Layouts, MdRaid1AcrossTwoDisks) {
  HostTopology host = Layout("md-raid1");
  for (const char* disk : {"sda", "sdb"}) {
    const BlockDevice* d = host.FindDisk(disk);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->stacked.size(), 1u) << disk;
    EXPECT_EQ(d->stacked[0].name, "md0");
    EXPECT_EQ(d->stacked[0].kind, StackKind::kMd);
    EXPECT_EQ(d->stacked[0].label, "raid1");
    EXPECT_EQ(d->stacked[0].dev, (DevNum{9, 0}));
  }
  EXPECT_EQ(Uses(host, "sda"), "mounted sda1>md0 /\n");
  EXPECT_EQ(Uses(host, "sdb"), "mounted sdb1>md0 /\n");
  EXPECT_EQ(Uses(host, "sdc"), "");
}

TEST(Layouts, NvmeDisksEachOnTheirOwnFunction) {
  HostTopology host = Layout("nvme-root");
  const BlockDevice* nvme0 = host.FindDisk("nvme0n1");
  const BlockDevice* nvme1 = host.FindDisk("nvme1n1");
  ASSERT_TRUE(nvme0 && nvme1);
  // /sys/block/nvme0n1 -> .../0000:01:00.0/nvme/nvme0/nvme0n1, device -> nvme0.
  EXPECT_EQ(nvme0->pci, (PciBdf{0, 1, 0, 0}));
  EXPECT_EQ(nvme1->pci, (PciBdf{0, 2, 0, 0}));
  EXPECT_EQ(nvme0->dev, (DevNum{259, 0}));
  ASSERT_EQ(nvme0->partitions.size(), 2u);
  EXPECT_EQ(nvme0->partitions[1].name, "nvme0n1p2");
  EXPECT_EQ(nvme0->partitions[1].dev, (DevNum{259, 2}));
  ASSERT_EQ(host.swaps.size(), 1u);
  EXPECT_TRUE(host.swaps[0].file);
  EXPECT_EQ(host.swaps[0].dev, (DevNum{259, 2}));  // /swapfile is on the / mount
  EXPECT_EQ(Uses(host, "nvme0n1"),
            "mounted nvme0n1p2 /\nmounted nvme0n1p1 /boot/efi\nswapfile nvme0n1p2 /swapfile\n");
  EXPECT_EQ(Uses(host, "nvme1n1"), "");
  EXPECT_EQ(host.FindPci(PciBdf{0, 1, 0, 0})->class_code, 0x010802u);
}

TEST(HostFiles, MatchesFilesAndTheDirectoriesOnTheirWay) {
  EXPECT_TRUE(IsHostFile("/proc/iomem"));
  EXPECT_TRUE(IsHostFile("/sys/devices/system/cpu/cpu12/topology/core_id"));
  EXPECT_TRUE(IsHostFile("/sys/devices/system/cpu/cpu12"));
  EXPECT_TRUE(IsHostFile("/sys/block"));
  EXPECT_FALSE(IsHostFile("/etc/shadow"));
  EXPECT_FALSE(IsHostFile("/sys/devices/system/cpu/cpu1/cache/index0/size"));
  EXPECT_FALSE(IsHostFile("/proc/iomem/x"));
  // The command after a path in host-files.list is not part of the path.
  EXPECT_TRUE(IsHostFile("/rtnetlink/route6.json"));
  EXPECT_TRUE(IsHostFile("/sys/class/net/eth1/upper_br0"));
  EXPECT_TRUE(IsHostFile("/sys/class/net/eth1/master"));
  EXPECT_FALSE(IsHostFile("/proc/net/fib_trie"));  // read by no one since rtnetlink
}

// ---- Synthetic trees -----------------------------------------------------

class Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mint-topo-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    BuildHost();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + path).parent_path());
    std::ofstream(root_ + path, std::ios::binary) << text;
  }
  void Link(const std::string& path, const std::string& target) {
    std::filesystem::create_directories(std::filesystem::path(root_ + path).parent_path());
    ASSERT_EQ(symlink(target.c_str(), (root_ + path).c_str()), 0) << path;
  }
  void Dir(const std::string& path) { std::filesystem::create_directories(root_ + path); }
  void Remove(const std::string& path) { std::filesystem::remove_all(root_ + path); }

  Result<HostTopology> Run() {
    auto fs = sys::OpenHostFs(root_);
    return Discover(*fs);
  }
  // "context: message" of the failure.
  std::string ErrorText() {
    auto host = Run();
    if (host.ok()) return "(no error)";
    return host.error().context + ": " + host.error().message;
  }

  // A PCI function: sysfs attributes, config space, links like the kernel's.
  void PciDevice(const std::string& bdf, const std::string& vendor, const std::string& device,
                 const std::string& class_code, const std::string& config,
                 const std::string& driver, int group) {
    std::string dir = "/sys/devices/pci0000:00/" + bdf;
    Write(dir + "/vendor", vendor + "\n");
    Write(dir + "/device", device + "\n");
    Write(dir + "/class", class_code + "\n");
    Write(dir + "/revision", "0x01\n");
    Write(dir + "/irq", "11\n");
    Write(dir + "/numa_node", "-1\n");
    Write(dir + "/config", config);
    if (!driver.empty()) {
      Dir("/sys/bus/pci/drivers/" + driver);
      Link(dir + "/driver", "../../../bus/pci/drivers/" + driver);
    }
    if (group >= 0) {
      Dir("/sys/kernel/iommu_groups/" + std::to_string(group));
      Link(dir + "/iommu_group", "../../../kernel/iommu_groups/" + std::to_string(group));
    }
    Link("/sys/bus/pci/devices/" + bdf, "../../../devices/pci0000:00/" + bdf);
  }

  // 256 bytes of type-0 config space; caps: (offset, id) chained in order.
  static std::string Config(uint16_t vendor, uint16_t device,
                            const std::vector<std::pair<uint8_t, uint8_t>>& caps) {
    std::string c(256, '\0');
    c[0x00] = static_cast<char>(vendor & 0xff);  // vendor id
    c[0x01] = static_cast<char>(vendor >> 8);
    c[0x02] = static_cast<char>(device & 0xff);  // device id
    c[0x03] = static_cast<char>(device >> 8);
    if (!caps.empty()) {
      c[0x06] = 0x10;                              // status: capabilities list present
      c[0x34] = static_cast<char>(caps[0].first);  // capabilities pointer
    }
    for (size_t i = 0; i < caps.size(); ++i) {
      c[caps[i].first] = static_cast<char>(caps[i].second);  // cap id
      c[caps[i].first + 1u] = static_cast<char>(i + 1 < caps.size() ? caps[i + 1].first : 0);
    }
    return c;
  }

  // Four CPUs (0-1 SMT siblings of one core, 2 alone, 3 offline), one NUMA
  // node, two SATA disks on one AHCI function, a virtio disk with a holder,
  // a loop device, a virtio NIC and lo, a mint pool with one running node.
  void BuildHost() {
    const std::string cpu = "/sys/devices/system/cpu";
    Write(cpu + "/present", "0-3\n");
    Write(cpu + "/online", "0-2\n");
    const char* siblings[] = {"0-1", "0-1", "2"};
    const char* cores[] = {"0", "0", "1"};
    for (int i = 0; i < 3; ++i) {
      std::string topo = cpu + "/cpu" + std::to_string(i) + "/topology";
      Write(topo + "/core_id", std::string(cores[i]) + "\n");
      Write(topo + "/physical_package_id", "0\n");
      Write(topo + "/thread_siblings_list", std::string(siblings[i]) + "\n");
    }
    Write("/sys/devices/system/node/node0/cpulist", "0-3\n");
    Write("/sys/devices/system/node/node0/meminfo",
          "Node 0 MemTotal:        4194304 kB\nNode 0 MemFree:         1048576 kB\n");
    for (int i = 0; i < 4; ++i) {
      Link(cpu + "/cpu" + std::to_string(i) + "/node0", "../../node/node0");
    }
    Write("/proc/cpuinfo",
          "processor\t: 0\nvendor_id\t: AuthenticAMD\napicid\t\t: 0\n\n"
          "processor\t: 1\napicid\t\t: 1\n\nprocessor\t: 2\napicid\t\t: 4\n\n");
    Write("/proc/meminfo", "MemTotal:        4194304 kB\nMemFree:         1048576 kB\n");
    Write("/proc/iomem",
          "00000000-00000fff : Reserved\n"
          "00001000-0009fbff : System RAM\n"
          "00100000-bfffffff : System RAM\n"
          "  01000000-01ffffff : Kernel code\n"
          "  40000000-7fffffff : mint pool\n"
          "e0000000-efffffff : Reserved\n"
          "  e0000000-efffffff : PCI MMCONFIG 0000 [bus 00-ff]\n");
    Write("/proc/self/mountinfo",
          "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
          "30 21 8:17 / /mnt/my\\040data rw - ext4 /dev/sdb1 rw\n");
    Write("/proc/swaps",
          "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
          "/dev/sdb2                               partition\t1048572\t\t0\t\t-2\n");
    Write("/proc/cmdline", "root=/dev/sda1 mint_pool=1G\n");

    // Disks.
    const std::string ahci = "../devices/pci0000:00/0000:00:1f.2";
    Link("/sys/block/sda", ahci + "/ata1/host0/target0:0:0/0:0:0:0/block/sda");
    Link("/sys/block/sdb", ahci + "/ata2/host1/target1:0:0/1:0:0:0/block/sdb");
    const std::string sda = "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0";
    const std::string sdb = "/sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0";
    Write(sda + "/block/sda/size", "2097152\n");
    Write(sda + "/block/sda/dev", "8:0\n");
    Write(sda + "/block/sda/sda1/partition", "1\n");
    Write(sda + "/block/sda/sda1/dev", "8:1\n");
    Link(sda + "/block/sda/device", "../../../0:0:0:0");
    Write(sdb + "/block/sdb/size", "4194304\n");
    Write(sdb + "/block/sdb/dev", "8:16\n");
    Write(sdb + "/block/sdb/sdb1/partition", "1\n");
    Write(sdb + "/block/sdb/sdb1/dev", "8:17\n");
    Write(sdb + "/block/sdb/sdb2/partition", "2\n");
    Write(sdb + "/block/sdb/sdb2/dev", "8:18\n");
    Link(sdb + "/block/sdb/device", "../../../1:0:0:0");
    Link("/sys/block/vdb", "../devices/pci0000:00/0000:00:05.0/virtio3/block/vdb");
    const std::string vdb = "/sys/devices/pci0000:00/0000:00:05.0/virtio3/block/vdb";
    Write(vdb + "/size", "8388608\n");
    Write(vdb + "/dev", "254:0\n");
    Link(vdb + "/device", "../../../virtio3");
    // The kernel's holder links point at the holder's own directory.
    Link(vdb + "/holders/dm-0", "../../../../../../virtual/block/dm-0");
    Link("/sys/block/dm-0", "../devices/virtual/block/dm-0");
    Write("/sys/devices/virtual/block/dm-0/size", "8388608\n");
    Write("/sys/devices/virtual/block/dm-0/dev", "253:0\n");
    Write("/sys/devices/virtual/block/dm-0/dm/name", "vg1-data\n");
    Link("/sys/block/loop0", "../devices/virtual/block/loop0");
    Write("/sys/devices/virtual/block/loop0/size", "0\n");
    Write("/sys/devices/virtual/block/loop0/dev", "7:0\n");

    // NICs: eth0 carries node0's address; eth1 is a port of br0, which
    // carries addresses and has a VLAN br0.7 with a route in table 100 (the
    // links as the kernel makes them; ip -j output as iproute2 6.1 prints it).
    const std::string eth0 = "/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0";
    const std::string eth1 = "/sys/devices/pci0000:00/0000:00:04.0/virtio1/net/eth1";
    Link("/sys/class/net/eth0", "../.." + eth0.substr(4));
    Link(eth0 + "/device", "../../../virtio0");
    Link("/sys/class/net/eth1", "../.." + eth1.substr(4));
    Link(eth1 + "/device", "../../../virtio1");
    Link(eth1 + "/master", "../../../../virtual/net/br0");
    Link(eth1 + "/upper_br0", "../../../../virtual/net/br0");
    Link("/sys/class/net/br0", "../../devices/virtual/net/br0");
    Link("/sys/devices/virtual/net/br0/lower_eth1",
         "../../../pci0000:00/0000:00:04.0/virtio1/net/eth1");
    Link("/sys/devices/virtual/net/br0/upper_br0.7", "../br0.7");
    Link("/sys/class/net/br0.7", "../../devices/virtual/net/br0.7");
    Link("/sys/devices/virtual/net/br0.7/lower_br0", "../br0");
    Link("/sys/class/net/lo", "../../devices/virtual/net/lo");
    Dir("/sys/devices/virtual/net/lo");
    Write("/rtnetlink/link.json",
          R"([{"ifindex":1,"ifname":"lo","link_type":"loopback"},)"
          R"({"ifindex":2,"ifname":"eth0","link_type":"ether"},)"
          R"({"ifindex":3,"ifname":"eth1","master":"br0","linkinfo":{"info_slave_kind":"bridge"}},)"
          R"({"ifindex":4,"ifname":"br0","linkinfo":{"info_kind":"bridge"}},)"
          R"({"ifindex":5,"link":"br0","ifname":"br0.7","linkinfo":{"info_kind":"vlan"}}])");
    Write(
        "/rtnetlink/addr.json",
        R"([{"ifindex":1,"ifname":"lo","addr_info":[)"
        R"({"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"},)"
        R"({"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},)"
        R"({"ifindex":2,"ifname":"eth0","addr_info":[)"
        R"({"family":"inet","local":"10.0.2.15","prefixlen":24,"scope":"global"},)"
        R"({"family":"inet6","local":"fe80::5054:ff:fe12:34ab","prefixlen":64,"scope":"link"}]},)"
        R"({"ifindex":3,"ifname":"eth1","master":"br0","addr_info":[)"
        R"({"family":"inet6","local":"fe80::8a8:b3ff:fe2c:7738","prefixlen":64,"scope":"link"}]},)"
        R"({"ifindex":4,"ifname":"br0","addr_info":[)"
        R"({"family":"inet","local":"192.168.1.5","prefixlen":24,"scope":"global"},)"
        R"({"family":"inet6","local":"fd00::5","prefixlen":64,"scope":"global"}]},)"
        R"({"ifindex":5,"ifname":"br0.7","addr_info":[]}])");
    Write(
        "/rtnetlink/route4.json",
        R"([{"dst":"default","gateway":"10.0.2.2","dev":"eth0","flags":[]},)"
        R"({"dst":"10.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link"},)"
        R"({"dst":"192.168.1.0/24","dev":"br0","protocol":"kernel","scope":"link"},)"
        R"({"dst":"10.70.0.0/16","nexthops":[{"gateway":"10.0.2.3","dev":"eth0","weight":1},)"
        R"({"gateway":"192.168.1.1","dev":"br0","weight":1}]},)"
        R"({"dst":"10.50.0.0/16","dev":"br0.7","table":"100","scope":"link"},)"
        R"({"type":"unreachable","dst":"10.66.0.0/16","table":"100"},)"
        R"({"type":"local","dst":"10.0.2.15","dev":"eth0","table":"local","scope":"host"},)"
        R"({"type":"broadcast","dst":"10.0.2.255","dev":"eth0","table":"local","scope":"link"}])");
    Write("/rtnetlink/route6.json",
          R"([{"dst":"fd00::/64","dev":"br0","protocol":"kernel","metric":256},)"
          R"({"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256},)"
          R"({"dst":"fe80::/64","dev":"eth1","protocol":"kernel","metric":256},)"
          R"({"type":"local","dst":"fe80::8a8:b3ff:fe2c:7738","dev":"eth1","table":"local"},)"
          R"({"type":"multicast","dst":"ff00::/8","dev":"eth1","table":"local"}])");

    // PCI: AHCI without MSI, virtio-blk with MSI-X (then MSI), virtio-net.
    PciDevice("0000:00:1f.2", "0x8086", "0x2922", "0x010601", Config(0x8086, 0x2922, {}), "ahci",
              3);
    PciDevice("0000:00:05.0", "0x1af4", "0x1001", "0x010000",
              Config(0x1af4, 0x1001, {{0x40, 0x11}, {0x50, 0x05}}), "virtio-pci", 7);
    PciDevice("0000:00:03.0", "0x1af4", "0x1000", "0x020000",
              Config(0x1af4, 0x1000, {{0x98, 0x11}}), "", -1);

    // mint (docs/abi.md).
    Write("/sys/kernel/mint/abi_version", "1\n");
    Write("/sys/kernel/mint/pool", "0x40000000 0x40000000\n");
    Write("/sys/kernel/mint/pool_total", "1073741824\n");
    Write("/sys/kernel/mint/pool_free", "805306368\n");
    const std::string node = "/sys/kernel/mint/nodes/1";
    Write(node + "/name", "node1\n");
    Write(node + "/state", "running\n");
    Write(node + "/cpus", "2\n");
    Write(node + "/apic_ids", "4\n");
    Write(node + "/memory", "0x40000000 0x10000000\n");
    Write(node + "/devices", "0000:00:05.0\n");
    Write(node + "/heartbeat", "1234\n");
    Write(node + "/reason", "\n");
    Write(node + "/uptime", "42.5\n");
  }

  std::string root_;
};

TEST_F(Tree, CpusSmtOfflineApicNuma) {
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  ASSERT_EQ(host->cpus.size(), 4u);
  EXPECT_EQ(host->cpus[0].siblings, (std::vector<CpuId>{{0}, {1}}));
  EXPECT_EQ(host->cpus[1].core, 0u);
  EXPECT_EQ(host->cpus[2].core, 1u);
  EXPECT_EQ(host->cpus[2].apic, ApicId{4});
  EXPECT_FALSE(host->cpus[3].online);
  EXPECT_FALSE(host->cpus[3].apic.has_value());
  EXPECT_TRUE(host->cpus[3].siblings.empty());
  EXPECT_EQ(host->cpus[3].numa_node, 0);
  ASSERT_EQ(host->numa_nodes.size(), 1u);
  EXPECT_EQ(host->numa_nodes[0].mem_total, ByteSize{4ull << 30});
  EXPECT_EQ(host->numa_nodes[0].mem_free, ByteSize{1ull << 30});
}

TEST_F(Tree, MemoryMapEcamAndMint) {
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->mem_total, ByteSize{4ull << 30});
  ASSERT_EQ(host->iomem.size(), 7u);
  EXPECT_EQ(host->iomem[4].name, "mint pool");
  EXPECT_EQ(host->iomem[4].depth, 1);
  ASSERT_TRUE(host->ecam.has_value());
  EXPECT_EQ(host->ecam->base, PhysAddr{0xe0000000});
  EXPECT_EQ(host->ecam->bus_end, 0xff);
  const MintState& mint = host->mint;
  EXPECT_TRUE(mint.present);
  EXPECT_EQ(mint.abi_version, 1u);
  EXPECT_EQ(mint.pool, (std::vector<PhysRange>{{PhysAddr{0x40000000}, ByteSize{0x40000000}}}));
  EXPECT_EQ(mint.pool_free, ByteSize{768ull << 20});
  ASSERT_EQ(mint.nodes.size(), 1u);
  EXPECT_EQ(mint.nodes[0].id, 1u);
  EXPECT_EQ(mint.nodes[0].name, "node1");
  EXPECT_EQ(mint.nodes[0].state, NodeState::kRunning);
  EXPECT_EQ(mint.nodes[0].uptime, "42.5");
  EXPECT_EQ(mint.nodes[0].cpus, std::vector<CpuId>{CpuId{2}});
  EXPECT_EQ(mint.nodes[0].apic_ids, std::vector<ApicId>{ApicId{4}});
  EXPECT_EQ(mint.nodes[0].devices, (std::vector<PciBdf>{{0, 0, 5, 0}}));
  EXPECT_EQ(mint.nodes[0].heartbeat, 1234u);
  EXPECT_EQ(mint.nodes[0].reason, "");
  EXPECT_EQ(host->OwnerOf(CpuId{2}), &mint.nodes[0]);
  EXPECT_EQ(host->OwnerOf(CpuId{1}), nullptr);
}

TEST_F(Tree, PciThroughLibpci) {
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  ASSERT_EQ(host->pci.size(), 3u);
  const PciFunction* ahci = host->FindPci(PciBdf{0, 0, 0x1f, 2});
  ASSERT_NE(ahci, nullptr);
  EXPECT_EQ(ahci->class_code, 0x010601u);
  EXPECT_EQ(ahci->driver, "ahci");
  EXPECT_FALSE(ahci->msi);
  EXPECT_FALSE(ahci->msix);
  EXPECT_EQ(ahci->iommu_group, 3);
  const PciFunction* blk = host->FindPci(PciBdf{0, 0, 5, 0});
  ASSERT_NE(blk, nullptr);
  EXPECT_TRUE(blk->msix);
  EXPECT_TRUE(blk->msi);
  EXPECT_EQ(blk->iommu_group, 7);
  EXPECT_EQ(blk->driver, "virtio-pci");
  EXPECT_EQ(blk->description, "Virtio block device");
  const PciFunction* net = host->FindPci(PciBdf{0, 0, 3, 0});
  ASSERT_NE(net, nullptr);
  EXPECT_TRUE(net->msix);
  EXPECT_FALSE(net->msi);
  EXPECT_EQ(net->driver, "");
  EXPECT_FALSE(net->iommu_group.has_value());
}

// A clone of a captured tree has the "driver" links but not the empty
// driver directories they point to (git keeps no empty directories): the
// driver's name must come from the link itself.
TEST_F(Tree, PciDriverFromADanglingLink) {
  Remove("/sys/bus/pci/drivers");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->FindPci(PciBdf{0, 0, 0x1f, 2})->driver, "ahci");
  EXPECT_EQ(host->FindPci(PciBdf{0, 0, 5, 0})->driver, "virtio-pci");
  EXPECT_EQ(host->FindPci(PciBdf{0, 0, 3, 0})->driver, "");
}

TEST_F(Tree, DisksNicsMountsSwaps) {
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_NE(Describe(*host).find("disk loop0 7:0 - 0\n"), std::string::npos);
  const BlockDevice* sda = host->FindDisk("sda");
  const BlockDevice* sdb = host->FindDisk("sdb");
  const BlockDevice* vdb = host->FindDisk("vdb");
  ASSERT_TRUE(sda && sdb && vdb);
  EXPECT_EQ(sda->pci, (PciBdf{0, 0, 0x1f, 2}));
  EXPECT_EQ(sdb->pci, (PciBdf{0, 0, 0x1f, 2}));  // the same controller
  EXPECT_EQ(sda->size, ByteSize{1ull << 30});
  EXPECT_EQ(sda->dev, (DevNum{8, 0}));
  ASSERT_EQ(sda->partitions.size(), 1u);
  EXPECT_EQ(sda->partitions[0].name, "sda1");
  EXPECT_EQ(sda->partitions[0].dev, (DevNum{8, 1}));
  ASSERT_EQ(sdb->partitions.size(), 2u);
  EXPECT_EQ(sdb->partitions[1].name, "sdb2");
  EXPECT_EQ(sdb->partitions[1].dev, (DevNum{8, 18}));
  EXPECT_TRUE(sdb->stacked.empty());
  EXPECT_EQ(vdb->pci, (PciBdf{0, 0, 5, 0}));
  ASSERT_EQ(vdb->stacked.size(), 1u);
  EXPECT_EQ(vdb->stacked[0].name, "dm-0");
  EXPECT_EQ(vdb->stacked[0].dev, (DevNum{253, 0}));
  EXPECT_EQ(vdb->stacked[0].kind, StackKind::kDeviceMapper);
  EXPECT_EQ(vdb->stacked[0].label, "vg1-data");
  EXPECT_EQ(vdb->stacked[0].on, std::vector<std::string>{"vdb"});
  // Only hardware is a NIC; link-local addresses and routes, and the
  // kernel's local/broadcast/multicast routes, are not node0's use.
  ASSERT_EQ(host->nics.size(), 2u);
  const Nic& e0 = host->nics[0];
  EXPECT_EQ(e0.name, "eth0");
  EXPECT_EQ(e0.pci, (PciBdf{0, 0, 3, 0}));
  EXPECT_EQ(e0.addresses, std::vector<std::string>{"10.0.2.15/24"});
  EXPECT_EQ(Texts(e0.routes), (std::vector<std::string>{"default via 10.0.2.2", "10.0.2.0/24",
                                                        "10.70.0.0/16 via 10.0.2.3"}));
  EXPECT_TRUE(e0.uppers.empty());
  const Nic& e1 = host->nics[1];
  EXPECT_EQ(e1.name, "eth1");
  EXPECT_EQ(e1.pci, (PciBdf{0, 0, 4, 0}));
  EXPECT_TRUE(e1.addresses.empty());
  EXPECT_TRUE(e1.routes.empty());
  ASSERT_EQ(e1.uppers.size(), 2u);
  EXPECT_EQ(e1.uppers[0].name, "br0");
  EXPECT_EQ(e1.uppers[0].kind, "bridge");
  EXPECT_EQ(e1.uppers[0].lower, "eth1");
  EXPECT_TRUE(e1.uppers[0].port);
  EXPECT_EQ(e1.uppers[0].addresses, (std::vector<std::string>{"192.168.1.5/24", "fd00::5/64"}));
  EXPECT_EQ(
      Texts(e1.uppers[0].routes),
      (std::vector<std::string>{"192.168.1.0/24", "10.70.0.0/16 via 192.168.1.1", "fd00::/64"}));
  EXPECT_EQ(e1.uppers[1].name, "br0.7");
  EXPECT_EQ(e1.uppers[1].kind, "vlan");
  EXPECT_EQ(e1.uppers[1].lower, "br0");
  EXPECT_FALSE(e1.uppers[1].port);
  EXPECT_TRUE(e1.uppers[1].addresses.empty());
  EXPECT_EQ(Texts(e1.uppers[1].routes), std::vector<std::string>{"10.50.0.0/16 table 100"});
  ASSERT_EQ(host->mounts.size(), 2u);
  EXPECT_EQ(host->mounts[1].target, "/mnt/my data");
  EXPECT_EQ(host->mounts[1].dev, (DevNum{8, 17}));
  ASSERT_EQ(host->swaps.size(), 1u);
  EXPECT_EQ(host->swaps[0].source, "/dev/sdb2");
  EXPECT_FALSE(host->swaps[0].file);
  EXPECT_EQ(host->swaps[0].dev, (DevNum{8, 18}));
  EXPECT_EQ(host->cmdline, "root=/dev/sda1 mint_pool=1G");
}

// ---- The disk-in-use rule on built trees ---------------------------------

constexpr const char* kSdb1 =
    "/sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sdb/sdb1";
constexpr const char* kSdb2 =
    "/sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sdb/sdb2";
constexpr const char* kMountsBase =
    "21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 21 8:17 / /mnt/my\\040data rw - ext4 /dev/sdb1 rw\n";
constexpr const char* kSwapsHeader = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

class Stacks : public Tree {
 protected:
  // A virtual block device (dm-N, mdN) with `attr` ("dm/name") = value.
  void Virtual(const std::string& name, const std::string& dev, const std::string& attr,
               const std::string& value) {
    const std::string dir = "/sys/devices/virtual/block/" + name;
    Link("/sys/block/" + name, "../devices/virtual/block/" + name);
    Write(dir + "/size", "1024\n");
    Write(dir + "/dev", dev + "\n");
    Write(dir + "/" + attr, value + "\n");
  }
  // `holder` holds the device whose sysfs directory is `below` (absolute).
  void Holds(const std::string& below, const std::string& holder) {
    std::string up;
    for (char c : below.substr(std::string("/sys/devices/").size()))
      if (c == '/') up += "../";
    Link(below + "/holders/" + holder, "../../" + up + "virtual/block/" + holder);
  }
  void Loop(const std::string& backing) {
    Write("/sys/devices/virtual/block/loop0/loop/backing_file", backing + "\n");
  }
  std::string UsesOf(const std::string& disk) {
    auto host = Run();
    if (!host.ok()) return host.error().ToString();
    return Uses(*host, disk);
  }
};

// vdb holds dm-0 (vg1-data), which nothing mounts: node0 still has it.
TEST_F(Stacks, AHolderNothingMountsIsStillInUse) {
  EXPECT_EQ(UsesOf("vdb"), "assembled vdb>dm-0\n");
  EXPECT_EQ(UsesOf("sda"), "mounted sda1 /\n");
}

TEST_F(Stacks, LoopOverAFileOnTheDisk) {
  Loop("/mnt/my data/disk.img");
  Write("/proc/self/mountinfo",
        std::string(kMountsBase) + "40 21 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  const StackedDevice* loop = host->FindDisk("sdb")->FindStacked("loop0");
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(loop->kind, StackKind::kLoop);
  EXPECT_EQ(loop->label, "/mnt/my data/disk.img");
  EXPECT_EQ(loop->on, std::vector<std::string>{"sdb1"});
  EXPECT_EQ(Uses(*host, "sdb"),
            "mounted sdb1 /mnt/my data\nmounted sdb1>loop0 /mnt/img\nswap sdb2 /dev/sdb2\n");
}

// losetup /dev/loop0 /dev/vdb: no holders link, only the backing file.
TEST_F(Stacks, LoopOverTheDiskItself) {
  Loop("/dev/vdb");
  EXPECT_EQ(UsesOf("vdb"), "assembled vdb>dm-0\nassembled vdb>loop0\n");
}

// LUKS on sdb2: /sys/block/sdb/sdb2/holders/dm-1, mounted through its
// /dev/mapper name.
TEST_F(Stacks, CryptOnAPartition) {
  Virtual("dm-1", "253:1", "dm/name", "luks-home");
  Holds(kSdb2, "dm-1");
  Write("/proc/swaps", kSwapsHeader);
  Write("/proc/self/mountinfo",
        std::string(kMountsBase) + "41 21 253:1 / /home rw - ext4 /dev/mapper/luks-home rw\n");
  EXPECT_EQ(UsesOf("sdb"), "mounted sdb1 /mnt/my data\nmounted sdb2>dm-1 /home\n");
}

// LVM on md on a partition: sdb2 -> md0 -> dm-1, two levels of holders.
TEST_F(Stacks, HoldersAreFollowedThroughEveryLevel) {
  Virtual("md0", "9:0", "md/level", "raid1");
  Virtual("dm-1", "253:1", "dm/name", "vg2-root");
  Holds(kSdb2, "md0");
  Holds("/sys/devices/virtual/block/md0", "dm-1");
  Write("/proc/swaps", kSwapsHeader + std::string("/dev/dm-1 partition\t1024\t0\t-2\n"));
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  const BlockDevice* sdb = host->FindDisk("sdb");
  ASSERT_EQ(sdb->stacked.size(), 2u);
  EXPECT_EQ(sdb->stacked[0].name, "md0");
  EXPECT_EQ(sdb->stacked[1].name, "dm-1");
  EXPECT_EQ(sdb->stacked[1].on, std::vector<std::string>{"md0"});
  EXPECT_EQ(Uses(*host, "sdb"), "mounted sdb1 /mnt/my data\nswap sdb2>md0>dm-1 /dev/dm-1\n");
  EXPECT_EQ(Uses(*host, "md0"), "swap md0>dm-1 /dev/dm-1\n");
}

TEST_F(Stacks, SwapFileIsOnTheDeviceOfItsMount) {
  Write("/proc/swaps", kSwapsHeader + std::string("/mnt/my\\040data/swapfile file\t1024\t0\t-2\n"
                                                  "/swapfile file\t1024\t0\t-3\n"));
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->swaps[0].dev, (DevNum{8, 17}));
  EXPECT_EQ(host->swaps[1].dev, (DevNum{8, 1}));
  EXPECT_EQ(Uses(*host, "sdb"), "mounted sdb1 /mnt/my data\nswapfile sdb1 /mnt/my data/swapfile\n");
  EXPECT_EQ(Uses(*host, "sda"), "mounted sda1 /\nswapfile sda1 /swapfile\n");
}

// btrfs shows an anonymous device number (0:N): its source names the device.
TEST_F(Stacks, AnonymousDeviceNumberFallsBackToTheSource) {
  Write("/proc/self/mountinfo",
        "21 1 0:45 / / rw,relatime - btrfs /dev/sda1 rw,subvol=/@\n"
        "22 21 0:46 / /tmp rw - tmpfs tmpfs rw\n");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->mounts[0].dev, (DevNum{8, 1}));
  EXPECT_EQ(host->mounts[1].dev, (DevNum{0, 46}));
  EXPECT_EQ(Uses(*host, "sda"), "mounted sda1 /\n");
}

TEST_F(Stacks, DamagedBlockFilesAreNamed) {
  Write("/proc/swaps", kSwapsHeader + std::string("/dev/sdz9 partition\t1024\t0\t-2\n"));
  EXPECT_EQ(ErrorText(),
            "/proc/swaps: swaps on /dev/sdz9, which is no block device of /sys/block; the tree is "
            "damaged or incomplete (capture the host again with tools/collect-host)");
  Write("/proc/swaps", kSwapsHeader);
  Holds(kSdb1, "dm-7");
  EXPECT_EQ(ErrorText(),
            "/sys/block/sdb/sdb1/holders/dm-7: names a holder that /sys/block does not have; the "
            "tree is damaged or incomplete (capture the host again with tools/collect-host)");
  Remove(std::string(kSdb1) + "/holders");
  Write(std::string(kSdb1) + "/dev", "8-17\n");
  EXPECT_EQ(ErrorText(), "/sys/block/sdb/sdb1/dev: \"8-17\" is not a device number MAJOR:MINOR; " +
                             std::string(kDamaged));
}

TEST_F(Tree, ReadsOnlyDeclaredHostFiles) {
  RecordingFs fs(sys::OpenHostFs(root_));
  auto host = Discover(fs);
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  for (const std::string& path : fs.paths()) EXPECT_TRUE(IsHostFile(path)) << path;
}

// tools/collect-host --from copies exactly what Discover needs: the copy
// describes the same host as the original tree.
TEST_F(Tree, CollectHostCopyReplaysTheSame) {
  std::string copy = root_ + "-copy";
  std::string command = "sh " + std::string(MINT_SOURCE_DIR) + "/tools/collect-host --from " +
                        root_ + " " + copy + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto original = Run();
  auto fs = sys::OpenHostFs(copy);
  auto replayed = Discover(*fs);
  std::filesystem::remove_all(copy);
  ASSERT_TRUE(original.ok()) << original.error().ToString();
  ASSERT_TRUE(replayed.ok()) << replayed.error().ToString();
  EXPECT_EQ(Describe(*original), Describe(*replayed));
}

TEST_F(Tree, NoNumaNoMintNoPciNoNet) {
  Remove("/sys/devices/system/node");
  for (int i = 0; i < 4; ++i) Remove("/sys/devices/system/cpu/cpu" + std::to_string(i) + "/node0");
  Remove("/sys/kernel/mint");
  Remove("/sys/bus/pci");
  Remove("/sys/class/net");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_TRUE(host->numa_nodes.empty());
  EXPECT_EQ(host->cpus[0].numa_node, -1);
  EXPECT_FALSE(host->mint.present);
  EXPECT_TRUE(host->pci.empty());
  EXPECT_TRUE(host->nics.empty());
}

TEST_F(Tree, MissingFileNamesIt) {
  Remove("/proc/iomem");
  auto host = Run();
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ErrorText(), "/proc/iomem: cannot open (host tree under " + root_ + ")");
}

TEST_F(Tree, GarbageIomem) {
  Write("/proc/iomem", "00000000-00000fff : Reserved\ngarbage\n");
  EXPECT_EQ(ErrorText(),
            "/proc/iomem: line 2 (\"garbage\") is not \"START-END : NAME\" (hex, two "
            "spaces per level); " +
                std::string(kDamaged));
  Write("/proc/iomem", "00000000-00000fff : Reserved\n      00001000-00001fff : Deep\n");
  EXPECT_EQ(ErrorText(),
            "/proc/iomem: line 2 (\"      00001000-00001fff : Deep\") is not nested "
            "one level below the line before it; " +
                std::string(kDamaged));
  Write("/proc/iomem", "00002000-00001fff : Backwards\n");
  EXPECT_EQ(ErrorText().substr(0, 50), "/proc/iomem: line 1 (\"00002000-00001fff : Backward");
}

TEST_F(Tree, BadEcamName) {
  Write("/proc/iomem", "e0000000-efffffff : PCI MMCONFIG 0000 [bus zz-ff]\n");
  EXPECT_EQ(ErrorText(),
            "/proc/iomem: \"PCI MMCONFIG 0000 [bus zz-ff]\" is not \"PCI ECAM SEGMENT "
            "[bus START-END]\"; " +
                std::string(kDamaged));
}

TEST_F(Tree, EcamBaseIsBusZeroEvenWhenTheWindowStartsLater) {
  // The window of buses 0x10-0x1f starts 16 MiB above the MCFG base.
  Write("/proc/iomem", "e1000000-e1ffffff : PCI ECAM 0000 [bus 10-1f]\n");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  ASSERT_TRUE(host->ecam.has_value());
  EXPECT_EQ(host->ecam->base, PhysAddr{0xe0000000});
  EXPECT_EQ(host->ecam->bus_start, 0x10);
  EXPECT_EQ(host->ecam->bus_end, 0x1f);
  // A window that would put bus 0 below address 0 is damaged.
  Write("/proc/iomem", "00000000-00ffffff : PCI ECAM 0000 [bus 10-1f]\n");
  EXPECT_EQ(ErrorText(),
            "/proc/iomem: \"PCI ECAM 0000 [bus 10-1f]\" is not \"PCI ECAM SEGMENT "
            "[bus START-END]\"; " +
                std::string(kDamaged));
}

TEST_F(Tree, GarbageCpuFiles) {
  Write("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "zz\n");
  EXPECT_EQ(ErrorText(),
            "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list: \"zz\" is "
            "not a CPU list; " +
                std::string(kDamaged));
  Write("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "0-1\n");
  Write("/sys/devices/system/cpu/cpu2/topology/core_id", "\x01\xff\n");
  EXPECT_EQ(ErrorText(), "/sys/devices/system/cpu/cpu2/topology/core_id: \"??\" is not a number; " +
                             std::string(kDamaged));
  Write("/sys/devices/system/cpu/cpu2/topology/core_id", "1\n");
  Write("/proc/cpuinfo", "processor\t: 0\napicid\t\t: lots\n");
  EXPECT_EQ(ErrorText(),
            "/proc/cpuinfo: line 2 (\"apicid??: lots\") is not \"apicid : NUMBER\" "
            "inside a processor block; " +
                std::string(kDamaged));
  Write("/proc/cpuinfo", "processor\t: 0\napicid\t\t: 0\n");
  Remove("/sys/devices/system/cpu/cpu2/topology/core_id");
  EXPECT_EQ(ErrorText(),
            "/sys/devices/system/cpu/cpu2/topology/core_id: cannot open (host tree "
            "under " +
                root_ + ")");
}

TEST_F(Tree, GarbageMeminfoMountsSwaps) {
  Write("/proc/meminfo", std::string("\0\x7f\xfe binary", 10));
  EXPECT_EQ(ErrorText(), "/proc/meminfo: has no \"MemTotal:\" line; " + std::string(kDamaged));
  Write("/proc/meminfo", "MemTotal: 12 MB\n");
  EXPECT_EQ(ErrorText(),
            "/proc/meminfo: line 1 (\"MemTotal: 12 MB\") is not \"MemTotal: NUMBER "
            "kB\"; " +
                std::string(kDamaged));
  Write("/proc/meminfo", "MemTotal: 4194304 kB\n");
  Write("/proc/self/mountinfo", "/dev/sda1 / ext4 rw 0 0\n");
  EXPECT_EQ(ErrorText(),
            "/proc/self/mountinfo: line 1 (\"/dev/sda1 / ext4 rw 0 0\") is not \"ID PARENT "
            "MAJOR:MINOR ROOT TARGET OPTIONS ... - FSTYPE SOURCE OPTIONS\"; " +
                std::string(kDamaged));
  Write("/proc/self/mountinfo", "21 1 8:x / / rw - ext4 /dev/sda1 rw\n");
  EXPECT_EQ(ErrorText(),
            "/proc/self/mountinfo: line 1 (\"21 1 8:x / / rw - ext4 /dev/sda1 rw\") is not \"ID "
            "PARENT MAJOR:MINOR ROOT TARGET OPTIONS ... - FSTYPE SOURCE OPTIONS\"; " +
                std::string(kDamaged));
  Write("/proc/self/mountinfo", "21 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  Write("/proc/swaps", "not a swaps file\n");
  EXPECT_EQ(ErrorText(),
            "/proc/swaps: line 1 (\"not a swaps file\") is not the \"Filename Type "
            "...\" header; " +
                std::string(kDamaged));
}

constexpr std::string_view kNotIpJson =
    "; it is not iproute2's `ip -j` output, or it is damaged: capture the host again with "
    "tools/collect-host (it needs iproute2's ip, not busybox's)";

TEST_F(Tree, GarbageIpJson) {
  auto expect = [&](const std::string& file, const std::string& text, const std::string& what) {
    std::ifstream in(root_ + file);
    std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Write(file, text);
    EXPECT_EQ(ErrorText(), file + ": " + what + std::string(kNotIpJson)) << text;
    Write(file, saved);
  };
  expect("/rtnetlink/link.json", "Usage: ip [ OPTIONS ] OBJECT",
         "is not JSON (ip -j -d link show)");
  expect("/rtnetlink/link.json", R"({"ifname":"eth0"})", "is not a JSON array");
  expect("/rtnetlink/link.json", R"([1])", "has an entry that is not an object");
  expect("/rtnetlink/link.json", R"([{"ifindex":1}])", "has an entry without \"ifname\"");
  expect("/rtnetlink/link.json", R"([{"ifname":7}])", "has a \"ifname\" that is not a string");
  expect("/rtnetlink/link.json", R"([{"ifname":"x","linkinfo":[]}])",
         "has a \"linkinfo\" that is not an object");
  expect("/rtnetlink/addr.json", R"([{"ifname":"eth0","addr_info":{}}])",
         "has an \"addr_info\" that is not an array");
  expect("/rtnetlink/addr.json", R"([{"ifname":"eth0","addr_info":[5]}])",
         "has an address that is not an object");
  expect(
      "/rtnetlink/addr.json",
      R"([{"ifname":"eth0","addr_info":[{"family":"inet","local":"10.0.2.15","prefixlen":33}]}])",
      "has an address of eth0 without a valid \"prefixlen\"");
  expect("/rtnetlink/addr.json",
         R"([{"ifname":"eth0","addr_info":[{"family":"inet6","local":"fd00::1","prefixlen":64,)"
         R"("scope":"galaxy"}]}])",
         "has a \"scope\" that is neither a name ip prints nor 0-255");
  expect("/rtnetlink/route4.json", R"([{"dev":"eth0"}])", "has an entry without \"dst\"");
  expect("/rtnetlink/route4.json", R"([{"dst":"default","type":"999","dev":"eth0"}])",
         "has a \"type\" that is neither a name ip prints nor 0-255");
  expect("/rtnetlink/route6.json", R"([{"dst":"default","nexthops":{}}])",
         "has \"nexthops\" that are not an array");
  expect("/rtnetlink/route6.json", R"([{"dst":"default","nexthops":[1]}])",
         "has a next hop that is not an object");
  expect("/rtnetlink/route6.json", R"([{"dst":"default","gateway":1,"dev":"eth0"}])",
         "has a \"gateway\" that is not a string");
  EXPECT_EQ(ErrorText(), "(no error)");
}

// A capture without the ip -j files (busybox's ip has no -j) is refused:
// it cannot say which NICs node0 uses, and must not answer "none".
TEST_F(Tree, CaptureWithoutNetworkStateIsRefused) {
  Remove("/rtnetlink/route6.json");
  auto host = Run();
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ErrorText(),
            "/rtnetlink/route6.json: is missing: the capture has no record of node0's addresses "
            "and routes, so no NIC can be checked; capture the host again with tools/collect-host "
            "where iproute2's ip (ip -j) is installed");
}

// Numbers where ip prints names (ip -N, or a kernel newer than iproute2's
// tables) are the kernel's numbers all the same.
TEST_F(Tree, IpJsonNumbersForNames) {
  Write("/rtnetlink/route4.json", R"([{"type":"2","dst":"10.0.2.15","dev":"eth0","table":"255"},)"
                                  R"({"type":1,"dst":"10.9.0.0/16","dev":"eth0","table":"7"}])");
  Write("/rtnetlink/route6.json", "[]");
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(Texts(host->nics[0].routes), std::vector<std::string>{"10.9.0.0/16 table 7"});
}

// heartbeat_age_ms (kernel patch 0035): optional, empty unless the node is
// running or hung, and a decimal number by Discover's rules otherwise.
TEST_F(Tree, HeartbeatAge) {
  auto fs = sys::OpenHostFs(root_);
  auto mint = topology::ReadMintState(*fs);
  ASSERT_TRUE(mint.ok()) << mint.error().ToString();
  EXPECT_EQ(mint->nodes[0].heartbeat_age_ms, std::nullopt);  // an older kernel: no file
  Write("/sys/kernel/mint/nodes/1/heartbeat_age_ms", "\n");
  EXPECT_EQ(topology::ReadMintState(*fs)->nodes[0].heartbeat_age_ms, std::nullopt);
  Write("/sys/kernel/mint/nodes/1/heartbeat_age_ms", "2500\n");
  EXPECT_EQ(topology::ReadMintState(*fs)->nodes[0].heartbeat_age_ms, 2500u);
  Write("/sys/kernel/mint/nodes/1/heartbeat_age_ms", "-1\n");
  auto bad = topology::ReadMintState(*fs);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "/sys/kernel/mint/nodes/1/heartbeat_age_ms");
}

// Two directories for one id ("1" and "01", or an id past 2^32 that would
// wrap to 1) would give status a node that stop and kill never find
// (lifecycle::ListNodes takes the same rule, model's NodeIdOfEntry).
TEST_F(Tree, NodeDirectoryThatIsNotANodeId) {
  auto fs = sys::OpenHostFs(root_);
  for (const char* odd : {"01", "4294967297", "0"}) {
    Dir(std::string("/sys/kernel/mint/nodes/") + odd);
    auto mint = topology::ReadMintState(*fs);
    ASSERT_FALSE(mint.ok()) << odd;
    EXPECT_EQ(mint.error().ToString(),
              std::string("/sys/kernel/mint/nodes/") + odd +
                  ": not a node directory: the kernel names them by node id in decimal (1 to 3 "
                  "digits); this tree is not the mint kernel's own");
    Remove(std::string("/sys/kernel/mint/nodes/") + odd);
  }
  EXPECT_TRUE(topology::ReadMintState(*fs).ok());
}

TEST_F(Tree, GarbageMintState) {
  Write("/sys/kernel/mint/pool", "0x40000000\n");
  EXPECT_EQ(ErrorText(),
            "/sys/kernel/mint/pool: line 1 (\"0x40000000\") is not \"0xSTART "
            "0xSIZE\"; " +
                std::string(kDamaged));
  Write("/sys/kernel/mint/pool", "0x40000000 0x40000000\n");
  Write("/sys/kernel/mint/nodes/1/apic_ids", "4,x\n");
  EXPECT_EQ(ErrorText(),
            "/sys/kernel/mint/nodes/1/apic_ids: \"4,x\" is not a comma-separated "
            "list of APIC ids; " +
                std::string(kDamaged));
  Write("/sys/kernel/mint/nodes/1/apic_ids", "4\n");
  Write("/sys/kernel/mint/nodes/1/devices", "0000:00:05.0\nbogus\n");
  EXPECT_EQ(ErrorText(),
            "/sys/kernel/mint/nodes/1/devices: line 2 (\"bogus\") is not a PCI "
            "address DDDD:BB:DD.F; " +
                std::string(kDamaged));
}

TEST_F(Tree, IommuGroupTypes) {
  // No type file (a kernel before 5.11): the type is unknown.
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  ASSERT_EQ(host->iommu_groups.size(), 2u);
  EXPECT_EQ(host->iommu_groups[0].id, 3);
  EXPECT_EQ(host->iommu_groups[0].type, "");
  Write("/sys/kernel/iommu_groups/7/type", "DMA-FQ\n");
  host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->FindIommuGroup(7)->type, "DMA-FQ");
  Write("/sys/kernel/iommu_groups/7/type", "DMA FQ\n");
  EXPECT_EQ(ErrorText(),
            "/sys/kernel/iommu_groups/7/type: line 1 (\"DMA FQ\") is not an IOMMU domain type "
            "like DMA, DMA-FQ or identity; " +
                std::string(kDamaged));
}

TEST_F(Tree, NodeIommuFences) {
  // No iommu file: a kernel before ABI 4.
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_FALSE(host->mint.nodes[0].iommu.has_value());
  Write("/sys/kernel/mint/nodes/1/iommu", "0000:00:05.0 fenced 7\n");
  host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_EQ(host->mint.nodes[0].iommu,
            (std::vector<PciFence>{{PciBdf{0, 0, 5, 0}, 7}}));
  Write("/sys/kernel/mint/nodes/1/iommu", "");
  host = Run();
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->mint.nodes[0].iommu, std::vector<PciFence>{});
  Write("/sys/kernel/mint/nodes/1/iommu", "0000:00:05.0 fenced seven\n");
  EXPECT_EQ(ErrorText(),
            "/sys/kernel/mint/nodes/1/iommu: line 1 (\"0000:00:05.0 fenced seven\") is not "
            "DDDD:BB:DD.F fenced GROUP or DDDD:BB:DD.F unfenced; " +
                std::string(kDamaged));
}

TEST_F(Tree, LibpciErrorBecomesAnError) {
  Remove("/sys/devices/pci0000:00/0000:00:05.0/vendor");
  EXPECT_EQ(ErrorText(), "/sys/bus/pci: libpci: Cannot open " + root_ +
                             "/sys/bus/pci/devices/0000:00:05.0/vendor: No such file or "
                             "directory; the PCI tree is damaged or incomplete (capture the host "
                             "again with tools/collect-host)");
  // And the next discovery (libpci state is per call) works again.
  Write("/sys/devices/pci0000:00/0000:00:05.0/vendor", "0x1af4\n");
  EXPECT_EQ(ErrorText(), "(no error)");
}

// Garbage in any one file (PCI left out: libpci's own test is above) gives
// a result or an Error naming a host path; never a crash or a hang.
TEST_F(Tree, GarbageInEveryFileIsHandled) {
  Remove("/sys/bus/pci");
  Remove("/sys/devices/pci0000:00/0000:00:1f.2/config");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root_)) {
    if (entry.is_regular_file() && !entry.is_symlink()) {
      files.push_back(entry.path().string().substr(root_.size()));
    }
  }
  ASSERT_GT(files.size(), 40u);
  const std::string garbage[] = {std::string("\xff\x00\x01 -- : [bus]\n\n", 18), "",
                                 std::string(5000, '9')};
  for (const std::string& file : files) {
    std::ifstream in(root_ + file, std::ios::binary);
    std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& text : garbage) {
      Write(file, text);
      auto host = Run();
      if (!host.ok()) {
        EXPECT_TRUE(host.error().context.starts_with("/")) << file << ": " << host.error().context;
        EXPECT_FALSE(host.error().message.empty()) << file;
      }
    }
    Write(file, saved);
  }
  EXPECT_TRUE(Run().ok());
}

TEST_F(Tree, TruncatedConfigSpaceMeansNoCapabilities) {
  // What a capture taken without root looks like: 64 bytes of config.
  Write("/sys/devices/pci0000:00/0000:00:05.0/config",
        Config(0x1af4, 0x1001, {{0x40, 0x11}}).substr(0, 64));
  auto host = Run();
  ASSERT_TRUE(host.ok()) << host.error().ToString();
  EXPECT_FALSE(host->FindPci(PciBdf{0, 0, 5, 0})->msix);
  // ... and that is known: "no MSI-X" is not an answer mintctl gives.
  EXPECT_TRUE(host->FindPci(PciBdf{0, 0, 5, 0})->caps_hidden);
}

// ---- rtnetlink replies, built by hand with libmnl --------------------------

// One datagram of a dump reply: messages appended in turn.
class Reply {
 public:
  static constexpr uint32_t kSeq = 7;
  // A message of `type` with a zeroed header of `size` bytes, returned for
  // the caller to fill, attributes added with mnl_attr_put* on message().
  template <typename Header>
  Header* Add(uint16_t type, size_t size = sizeof(Header), uint32_t seq = kSeq) {
    Close();
    current_ = mnl_nlmsg_put_header(buffer_ + used_);
    current_->nlmsg_type = type;
    current_->nlmsg_flags = NLM_F_MULTI;
    current_->nlmsg_seq = seq;
    return static_cast<Header*>(mnl_nlmsg_put_extra_header(current_, size));
  }
  nlmsghdr* message() { return current_; }
  void Done() { Add<int>(NLMSG_DONE); }
  void Error(int err) { Add<nlmsgerr>(NLMSG_ERROR)->error = -err; }
  Result<bool> FeedTo(internal::NetlinkDump& dump, internal::NetlinkDump::Kind kind) {
    Close();
    return dump.Feed(kind, buffer_, used_, kSeq, 0, "links");
  }

 private:
  void Close() {
    if (current_ != nullptr) used_ += MNL_ALIGN(current_->nlmsg_len);
    current_ = nullptr;
  }
  alignas(nlmsghdr) char buffer_[16384] = {};
  size_t used_ = 0;
  nlmsghdr* current_ = nullptr;
};

void PutAddress(nlmsghdr* nlh, uint16_t type, int family, const char* text) {
  unsigned char raw[16] = {};
  ASSERT_EQ(inet_pton(family, text, raw), 1) << text;
  mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, raw);
}

TEST(Netlink, ADumpReplyBecomesLinksAddressesAndRoutes) {
  using Kind = internal::NetlinkDump::Kind;
  internal::NetlinkDump dump;
  Reply links;
  for (auto [index, name, kind] : {std::tuple{3, "eth1", ""}, {4, "br0", "bridge"}}) {
    links.Add<ifinfomsg>(RTM_NEWLINK)->ifi_index = index;
    mnl_attr_put_strz(links.message(), IFLA_IFNAME, name);
    if (*kind != '\0') {
      nlattr* info = mnl_attr_nest_start(links.message(), IFLA_LINKINFO);
      mnl_attr_put_strz(links.message(), IFLA_INFO_KIND, kind);
      mnl_attr_nest_end(links.message(), info);
    }
  }
  links.Add<ifinfomsg>(RTM_NEWLINK)->ifi_index = 9;  // no name: left out
  auto more = links.FeedTo(dump, Kind::kLinks);
  ASSERT_TRUE(more.ok()) << more.error().ToString();
  EXPECT_FALSE(*more);  // no NLMSG_DONE yet
  Reply done;
  done.Done();
  EXPECT_TRUE(*done.FeedTo(dump, Kind::kLinks));
  EXPECT_EQ(dump.state.links, (std::vector<internal::NetLink>{{"eth1", ""}, {"br0", "bridge"}}));

  Reply addresses;
  ifaddrmsg* a = addresses.Add<ifaddrmsg>(RTM_NEWADDR);
  *a = ifaddrmsg{AF_INET, 24, 0, 0, 4};
  PutAddress(addresses.message(), IFA_ADDRESS, AF_INET, "192.168.1.5");
  PutAddress(addresses.message(), IFA_LOCAL, AF_INET, "192.168.1.5");
  a = addresses.Add<ifaddrmsg>(RTM_NEWADDR);
  *a = ifaddrmsg{AF_INET6, 64, 0, 253, 3};
  PutAddress(addresses.message(), IFA_ADDRESS, AF_INET6, "fe80::1");
  a = addresses.Add<ifaddrmsg>(RTM_NEWADDR);
  *a = ifaddrmsg{AF_INET, 8, 0, 0, 3};
  mnl_attr_put_u16(addresses.message(), IFA_LOCAL, 7);  // too short: left out
  addresses.Done();
  EXPECT_TRUE(*addresses.FeedTo(dump, Kind::kAddresses));
  EXPECT_EQ(dump.state.addresses,
            (std::vector<internal::NetAddress>{{"br0", false, "192.168.1.5", 24, 0},
                                               {"eth1", true, "fe80::1", 64, 253}}));

  Reply routes;
  rtmsg* r = routes.Add<rtmsg>(RTM_NEWROUTE);  // default via 10.0.2.2, main
  *r = rtmsg{AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0};
  mnl_attr_put_u32(routes.message(), RTA_OIF, 3);
  PutAddress(routes.message(), RTA_GATEWAY, AF_INET, "10.0.2.2");
  r = routes.Add<rtmsg>(RTM_NEWROUTE);  // table 100 in RTA_TABLE (rtm_table says 252)
  *r = rtmsg{AF_INET, 16, 0, 0, 252, RTPROT_BOOT, RT_SCOPE_LINK, RTN_UNICAST, 0};
  mnl_attr_put_u32(routes.message(), RTA_TABLE, 100);
  PutAddress(routes.message(), RTA_DST, AF_INET, "10.50.0.0");
  mnl_attr_put_u32(routes.message(), RTA_OIF, 4);
  r = routes.Add<rtmsg>(RTM_NEWROUTE);  // local 192.168.1.5, a host route
  *r = rtmsg{AF_INET, 32, 0, 0, RT_TABLE_LOCAL, RTPROT_KERNEL, RT_SCOPE_HOST, RTN_LOCAL, 0};
  PutAddress(routes.message(), RTA_DST, AF_INET, "192.168.1.5");
  mnl_attr_put_u32(routes.message(), RTA_OIF, 4);
  r = routes.Add<rtmsg>(RTM_NEWROUTE);  // a cached clone: left out
  *r = rtmsg{AF_INET, 32, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST, RTM_F_CLONED};
  PutAddress(routes.message(), RTA_DST, AF_INET, "10.9.9.9");
  mnl_attr_put_u32(routes.message(), RTA_OIF, 4);
  r = routes.Add<rtmsg>(RTM_NEWROUTE);  // blackhole: no interface, left out
  *r = rtmsg{AF_INET, 16, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_BLACKHOLE, 0};
  PutAddress(routes.message(), RTA_DST, AF_INET, "10.66.0.0");
  r = routes.Add<rtmsg>(RTM_NEWROUTE);  // IPv6 multipath: one entry per hop
  *r = rtmsg{AF_INET6, 48, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST, 0};
  PutAddress(routes.message(), RTA_DST, AF_INET6, "2001:db8:77::");
  nlattr* multipath = mnl_attr_nest_start(routes.message(), RTA_MULTIPATH);
  for (auto [index, gateway] : {std::pair{3, "fe80::2"}, {4, "fe80::3"}}) {
    auto* hop = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(routes.message()));
    routes.message()->nlmsg_len += MNL_ALIGN(sizeof(rtnexthop));
    *hop = rtnexthop{0, 0, 0, index};
    PutAddress(routes.message(), RTA_GATEWAY, AF_INET6, gateway);
    hop->rtnh_len = static_cast<unsigned short>(
        static_cast<char*>(mnl_nlmsg_get_payload_tail(routes.message())) -
        reinterpret_cast<char*>(hop));
  }
  mnl_attr_nest_end(routes.message(), multipath);
  routes.Done();
  auto ended = routes.FeedTo(dump, Kind::kRoutes);
  ASSERT_TRUE(ended.ok()) << ended.error().ToString();
  EXPECT_TRUE(*ended);
  std::vector<std::string> got;
  for (const auto& hop : dump.state.routes) {
    got.push_back(hop.iface + " " + std::to_string(hop.type) + " " + hop.route.ToString() +
                  (hop.route.ipv6 ? " v6" : ""));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "eth1 1 default via 10.0.2.2", "br0 1 10.50.0.0/16 table 100",
                     "br0 2 192.168.1.5 table local", "eth1 1 2001:db8:77::/48 via fe80::2 v6",
                     "br0 1 2001:db8:77::/48 via fe80::3 v6"}));
}

TEST(Netlink, KernelErrorsAndMalformedRepliesAreErrors) {
  using Kind = internal::NetlinkDump::Kind;
  auto text = [](Reply& reply) {
    internal::NetlinkDump dump;
    auto fed = reply.FeedTo(dump, Kind::kLinks);
    return fed.ok() ? std::string("(no error)") : fed.error().ToString();
  };
  const std::string tail =
      "; node0's addresses and routes cannot be read, so no NIC can be checked: run mintctl "
      "where it may use a NETLINK_ROUTE socket";
  Reply refused;
  refused.Error(EPERM);
  EXPECT_EQ(text(refused), "rtnetlink: the kernel refused the dump of links" + tail +
                               " (Operation not permitted)");
  Reply short_header;
  short_header.Add<uint32_t>(RTM_NEWLINK);  // 4 bytes, not an ifinfomsg
  EXPECT_EQ(text(short_header),
            "rtnetlink: a reply to the dump of links is malformed" + tail + " (Bad message)");
  Reply other_sequence;
  other_sequence.Add<ifinfomsg>(RTM_NEWLINK, sizeof(ifinfomsg), Reply::kSeq + 1);
  EXPECT_EQ(text(other_sequence),
            "rtnetlink: a reply to the dump of links is malformed" + tail + " (Protocol error)");
  Reply interrupted;
  interrupted.Add<ifinfomsg>(RTM_NEWLINK);
  interrupted.message()->nlmsg_flags |= NLM_F_DUMP_INTR;
  internal::NetlinkDump dump;
  auto fed = interrupted.FeedTo(dump, Kind::kLinks);
  ASSERT_FALSE(fed.ok());
  EXPECT_EQ(fed.error().sys_errno, EINTR);  // ReadNetlink reads again
  EXPECT_EQ(fed.error().ToString(),
            "rtnetlink: the dump of links was interrupted" + tail + " (Interrupted system call)");
}

// ---- Parsers on their own ------------------------------------------------

// proc(5)'s example line (optional fields before "-"), an empty source
// (two blanks), an escaped mount point.
TEST(Parse, Mountinfo) {
  auto mounts = internal::ParseMountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
      "40 21 0:44 / /run/user/1000 rw - tmpfs  rw,size=1k\n"
      "41 21 8:17 / /mnt/my\\040data rw - ext4 /dev/sdb1 rw\n",
      "/proc/self/mountinfo");
  ASSERT_TRUE(mounts.ok()) << mounts.error().ToString();
  ASSERT_EQ(mounts->size(), 3u);
  EXPECT_EQ((*mounts)[0].dev, (DevNum{98, 0}));
  EXPECT_EQ((*mounts)[0].target, "/mnt2");
  EXPECT_EQ((*mounts)[0].fstype, "ext3");
  EXPECT_EQ((*mounts)[0].source, "/dev/root");
  EXPECT_EQ((*mounts)[1].source, "");
  EXPECT_EQ((*mounts)[1].fstype, "tmpfs");
  EXPECT_EQ((*mounts)[2].target, "/mnt/my data");
  auto swaps = internal::ParseSwaps(
      "Filename Type Size Used Priority\n/dev/dm-1 partition 8 0 -2\n/swap\\040file file 8 0 -3\n",
      "/proc/swaps");
  ASSERT_TRUE(swaps.ok()) << swaps.error().ToString();
  EXPECT_FALSE((*swaps)[0].file);
  EXPECT_TRUE((*swaps)[1].file);
  EXPECT_EQ((*swaps)[1].source, "/swap file");
}

TEST(Parse, IommuLines) {
  using internal::ParseIommuLines;
  auto fences = ParseIommuLines("0000:01:00.0 fenced 7\n0000:01:00.1 fenced 7\n\n"
                                "0000:02:00.0 unfenced\n",
                                "iommu");
  ASSERT_TRUE(fences.ok()) << fences.error().ToString();
  EXPECT_EQ(*fences, (std::vector<PciFence>{{PciBdf{0, 1, 0, 0}, 7},
                                            {PciBdf{0, 1, 0, 1}, 7},
                                            {PciBdf{0, 2, 0, 0}, std::nullopt}}));
  EXPECT_TRUE(ParseIommuLines("", "iommu")->empty());
  EXPECT_TRUE(ParseIommuLines("0000:01:00.0 fenced 2147483647\n", "iommu").ok());
  for (const char* bad :
       {"0000:01:00.0\n", "0000:01:00.0 fenced\n", "0000:01:00.0 fenced 7 8\n",
        "0000:01:00.0 fenced 2147483648\n", "0000:01:00.0 fenced +7\n", "0000:01:00.0 Fenced 7\n",
        "0000:01:00.0 unfenced 7\n", "01:00 unfenced\n", "0000:01:00.0 fenced 0x7\n"})
    EXPECT_FALSE(ParseIommuLines(bad, "iommu").ok()) << bad;
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "0000:00:0" + std::to_string(i) + ".0 unfenced\n";
  EXPECT_EQ(ParseIommuLines(nine, "iommu").error().message,
            "line 9 (\"0000:00:08.0 unfenced\") is not within the 8 functions a node can own "
            "(MINT_MAX_PCI); " + std::string(kDamaged));
}

TEST(Parse, IommuGroupType) {
  using internal::ParseIommuGroupType;
  for (const char* good : {"DMA\n", "DMA-FQ\n", "identity\n", "unmanaged\n", "blocked"})
    EXPECT_TRUE(ParseIommuGroupType(good, "type").ok()) << good;
  EXPECT_EQ(*ParseIommuGroupType("identity\n", "type"), "identity");
  for (const char* bad : {"", "\n", "DMA\nDMA\n", "DMA_FQ\n", "averyveryverylongtype\n", "d m a\n"})
    EXPECT_FALSE(ParseIommuGroupType(bad, "type").ok()) << bad;
}

TEST(Parse, JoinLinkAndBdf) {
  using internal::JoinLink;
  using internal::LastBdfComponent;
  EXPECT_EQ(JoinLink("/sys/block/vda", "../devices/pci0000:00/0000:00:02.0/virtio1/block/vda"),
            "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
  EXPECT_EQ(JoinLink("/sys/devices/a/virtio1/block/vda/device", "../../../virtio1"),
            "/sys/devices/a/virtio1");
  EXPECT_EQ(JoinLink("/x/y", "/abs/path"), "/abs/path");
  EXPECT_EQ(JoinLink("/a", "../../../.."), "/");
  EXPECT_EQ(LastBdfComponent("/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/nvme/nvme0"),
            (PciBdf{0, 3, 0, 0}));
  EXPECT_EQ(LastBdfComponent("/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/0:0:0:0"),
            (PciBdf{0, 0, 0x1f, 2}));
  EXPECT_FALSE(LastBdfComponent("/sys/devices/virtual/block/loop0").has_value());
}

}  // namespace
}  // namespace mint::topology
