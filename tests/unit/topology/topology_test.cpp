// Tests for mint::topology. Two kinds of host trees:
//  - captured: tests/fixtures/hosts/build-vm (this project's build VM) and
//    tests/fixtures/hosts/lab-q35 (the lab's node0), both captured as root
//    by tools/collect-host; every value asserted here was checked by hand
//    against that machine (lspci, /proc, /sys).
//  - synthetic: small trees written into a temp dir by the test, to reach
//    the cases a real host rarely shows (offline CPUs, SMT, partitions,
//    holders, a mint pool, MSI capabilities) and garbage content.
#include "mint/topology.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

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
  for (const BlockDevice& d : host.disks) {
    out << "disk " << d.name << " " << (d.pci ? d.pci->ToString() : "-") << " " << d.size.bytes;
    for (const std::string& h : d.holders) out << " " << h;
    out << "\n";
  }
  for (const Nic& n : host.nics) {
    out << "nic " << n.name << " " << (n.pci ? n.pci->ToString() : "-");
    for (const std::string& a : n.addresses) out << " " << a;
    out << "\n";
  }
  for (const Mount& m : host.mounts) out << "mount " << m.source << " " << m.target << "\n";
  for (const Swap& s : host.swaps) out << "swap " << s.source << "\n";
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
  EXPECT_TRUE(vda->holders.empty());  // ext4 straight on the disk
  const BlockDevice* loop0 = host_->FindDisk("loop0");
  ASSERT_NE(loop0, nullptr);
  EXPECT_FALSE(loop0->pci.has_value());
  EXPECT_EQ(host_->disks.size(), 10u);  // loop0-7, vda, zram0

  ASSERT_EQ(host_->nics.size(), 1u);  // lo and ifb0/1 have no device
  EXPECT_EQ(host_->nics[0].name, "eth0");
  EXPECT_EQ(host_->nics[0].pci, (PciBdf{0, 0, 3, 0}));
  EXPECT_EQ(host_->nics[0].addresses,
            (std::vector<std::string>{"192.0.2.2", "fd00::2", "fe80::fc:ff:fe00:1"}));
}

TEST_F(BuildVm, MountsSwapMintCmdline) {
  ASSERT_GE(host_->mounts.size(), 6u);
  EXPECT_EQ(host_->mounts[5].source, "/dev/vda");
  EXPECT_EQ(host_->mounts[5].target, "/");
  EXPECT_EQ(host_->mounts[5].fstype, "ext4");
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

TEST(HostFiles, MatchesFilesAndTheDirectoriesOnTheirWay) {
  EXPECT_TRUE(IsHostFile("/proc/iomem"));
  EXPECT_TRUE(IsHostFile("/sys/devices/system/cpu/cpu12/topology/core_id"));
  EXPECT_TRUE(IsHostFile("/sys/devices/system/cpu/cpu12"));
  EXPECT_TRUE(IsHostFile("/sys/block"));
  EXPECT_FALSE(IsHostFile("/etc/shadow"));
  EXPECT_FALSE(IsHostFile("/sys/devices/system/cpu/cpu1/cache/index0/size"));
  EXPECT_FALSE(IsHostFile("/proc/iomem/x"));
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
    Write("/proc/self/mounts",
          "/dev/sda1 / ext4 rw,relatime 0 0\n"
          "/dev/sdb1 /mnt/my\\040data ext4 rw 0 0\n");
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
    Write(sda + "/block/sda/sda1/partition", "1\n");
    Link(sda + "/block/sda/device", "../../../0:0:0:0");
    Write(sdb + "/block/sdb/size", "4194304\n");
    Write(sdb + "/block/sdb/sdb1/partition", "1\n");
    Write(sdb + "/block/sdb/sdb2/partition", "2\n");
    Link(sdb + "/block/sdb/device", "../../../1:0:0:0");
    Link("/sys/block/vdb", "../devices/pci0000:00/0000:00:05.0/virtio3/block/vdb");
    const std::string vdb = "/sys/devices/pci0000:00/0000:00:05.0/virtio3/block/vdb";
    Write(vdb + "/size", "8388608\n");
    Link(vdb + "/device", "../../../virtio3");
    Link(vdb + "/holders/dm-0", "../../dm-0");
    Link("/sys/block/loop0", "../devices/virtual/block/loop0");
    Write("/sys/devices/virtual/block/loop0/size", "0\n");

    // NICs.
    Link("/sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0");
    Link("/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/device", "../../../virtio0");
    Link("/sys/class/net/lo", "../../devices/virtual/net/lo");
    Dir("/sys/devices/virtual/net/lo");
    Write("/proc/net/fib_trie",
          "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
          "Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.0.2.15\n        /32 host LOCAL\n"
          "     |-- 10.0.2.255\n        /32 link BROADCAST\n"
          "     |-- 127.0.0.1\n        /32 host LOCAL\n");
    Write("/proc/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
          "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
    Write("/proc/net/if_inet6",
          "00000000000000000000000000000001 01 80 10 80       lo\n"
          "fe800000000000005054fffe123456ab 02 40 20 80     eth0\n");

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
  EXPECT_EQ(Describe(*host).find("disk loop0 - 0\n") != std::string::npos, true);
  const BlockDevice* sda = host->FindDisk("sda");
  const BlockDevice* sdb = host->FindDisk("sdb");
  const BlockDevice* vdb = host->FindDisk("vdb");
  ASSERT_TRUE(sda && sdb && vdb);
  EXPECT_EQ(sda->pci, (PciBdf{0, 0, 0x1f, 2}));
  EXPECT_EQ(sdb->pci, (PciBdf{0, 0, 0x1f, 2}));  // the same controller
  EXPECT_EQ(sda->size, ByteSize{1ull << 30});
  EXPECT_EQ(sda->holders, std::vector<std::string>{"sda1"});
  EXPECT_EQ(sdb->holders, (std::vector<std::string>{"sdb1", "sdb2"}));
  EXPECT_EQ(vdb->pci, (PciBdf{0, 0, 5, 0}));
  EXPECT_EQ(vdb->holders, std::vector<std::string>{"dm-0"});
  ASSERT_EQ(host->nics.size(), 1u);
  EXPECT_EQ(host->nics[0].name, "eth0");
  EXPECT_EQ(host->nics[0].pci, (PciBdf{0, 0, 3, 0}));
  EXPECT_EQ(host->nics[0].addresses,
            (std::vector<std::string>{"10.0.2.15", "fe80::5054:fffe:1234:56ab"}));
  EXPECT_EQ(host->nics[0].routes,
            (std::vector<std::string>{"default via 10.0.2.2", "10.0.2.0/24"}));
  ASSERT_EQ(host->mounts.size(), 2u);
  EXPECT_EQ(host->mounts[1].target, "/mnt/my data");
  ASSERT_EQ(host->swaps.size(), 1u);
  EXPECT_EQ(host->swaps[0].source, "/dev/sdb2");
  EXPECT_EQ(host->cmdline, "root=/dev/sda1 mint_pool=1G");
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

TEST_F(Tree, GarbageMeminfoMountsSwapsRoutes) {
  Write("/proc/meminfo", std::string("\0\x7f\xfe binary", 10));
  EXPECT_EQ(ErrorText(), "/proc/meminfo: has no \"MemTotal:\" line; " + std::string(kDamaged));
  Write("/proc/meminfo", "MemTotal: 12 MB\n");
  EXPECT_EQ(ErrorText(),
            "/proc/meminfo: line 1 (\"MemTotal: 12 MB\") is not \"MemTotal: NUMBER "
            "kB\"; " +
                std::string(kDamaged));
  Write("/proc/meminfo", "MemTotal: 4194304 kB\n");
  Write("/proc/self/mounts", "/dev/sda1 /\n");
  EXPECT_EQ(ErrorText(),
            "/proc/self/mounts: line 1 (\"/dev/sda1 /\") is not \"SOURCE TARGET "
            "FSTYPE OPTIONS ...\"; " +
                std::string(kDamaged));
  Write("/proc/self/mounts", "/dev/sda1 / ext4 rw 0 0\n");
  Write("/proc/swaps", "not a swaps file\n");
  EXPECT_EQ(ErrorText(),
            "/proc/swaps: line 1 (\"not a swaps file\") is not the \"Filename Type "
            "...\" header; " +
                std::string(kDamaged));
  Write("/proc/swaps", "Filename Type Size Used Priority\n");
  Write("/proc/net/fib_trie", "Local:\n     |-- 10.0.2.999\n");
  EXPECT_EQ(ErrorText(),
            "/proc/net/fib_trie: line 2 (\"     |-- 10.0.2.999\") is not \"|-- "
            "A.B.C.D\"; " +
                std::string(kDamaged));
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

// ---- Parsers on their own ------------------------------------------------

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
