// The real implementations behind apply's seams, on what a test can give
// them: OpenMintDevice on a root without /dev/mint and on a file that is
// not the device; the sysfs PciDriverControl on a fake sysfs tree in a temp
// directory (the test plays the kernel by pointing the `driver` link).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mint/apply.h"
#include "mint/sys/host_fs.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::testing {
namespace {

namespace fs = std::filesystem;

class TempRoot {
 public:
  TempRoot() {
    std::string tmpl = (fs::temp_directory_path() / "mintsys.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempRoot() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(path_ + rel).parent_path());
    std::ofstream(path_ + rel) << text;
  }
  std::string Read(const std::string& rel) const {
    std::ifstream in(path_ + rel);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

TEST(MintDevice, PathIsUnderTheRoot) {
  EXPECT_EQ(sys::MintDevicePath("/"), "/dev/mint");
  EXPECT_EQ(sys::MintDevicePath("/tmp/host/"), "/tmp/host/dev/mint");
  EXPECT_EQ(sys::MintDevicePath("/tmp/host"), "/tmp/host/dev/mint");
}

TEST(MintDevice, MissingDeviceMeansNoMintSupport) {
  TempRoot root;
  auto device = sys::OpenMintDevice(sys::MintDevicePath(root.path()));
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(device.error().ToString(),
            "/dev/mint: this kernel has no mint support: /dev/mint is missing; boot node0 with "
            "the mint kernel (see README)");
}

TEST(MintDevice, AFileThatIsNotTheDeviceFailsAtGetInfo) {
  TempRoot root;
  root.Write("/dev/mint", "");
  auto device = sys::OpenMintDevice(root.path() + "/dev/mint");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().code, ErrorCode::kIo);
  EXPECT_EQ(device.error().sys_errno, ENOTTY);
  EXPECT_EQ(device.error().message, "MINT_GET_INFO failed");
}

// A sysfs tree with 0000:00:03.0 bound to `driver`.
void MakeSysfs(const TempRoot& root, const std::string& driver) {
  for (const char* d : {"virtio-pci", "pci-stub"}) {
    root.Write(std::string("/sys/bus/pci/drivers/") + d + "/bind", "");
    root.Write(std::string("/sys/bus/pci/drivers/") + d + "/unbind", "");
  }
  root.Write("/sys/bus/pci/drivers_probe", "");
  root.Write("/sys/bus/pci/devices/0000:00:03.0/driver_override", "(null)\n");
  fs::create_directory_symlink("../../drivers/" + driver,
                               root.path() + "/sys/bus/pci/devices/0000:00:03.0/driver");
}

const PciBdf kBdf{0, 0, 3, 0};

TEST(PciDriver, StubWritesOverrideUnbindsAndProbes) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");  // the kernel bound it to pci-stub at probe time
  auto host = sys::OpenHostFs(root.path());
  auto pci = sys::MakePciDriverControl(*host);
  ASSERT_TRUE(pci->Stub(kBdf, "virtio-pci").ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/devices/0000:00:03.0/driver_override"), "pci-stub");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "0000:00:03.0");  // via driver/
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers_probe"), "0000:00:03.0");
}

TEST(PciDriver, StubThatDoesNotTakePutsTheFunctionBack) {
  TempRoot root;
  MakeSysfs(root, "virtio-pci");  // probing left it on virtio-pci
  auto host = sys::OpenHostFs(root.path());
  auto pci = sys::MakePciDriverControl(*host);
  auto stubbed = pci->Stub(kBdf, "virtio-pci");
  ASSERT_FALSE(stubbed.ok());
  EXPECT_EQ(stubbed.error().ToString(),
            "0000:00:03.0: did not bind to pci-stub; load it (modprobe pci-stub) or build the "
            "kernel with CONFIG_PCI_STUB=y");
  EXPECT_EQ(root.Read("/sys/bus/pci/devices/0000:00:03.0/driver_override"), "\n");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/unbind"), "0000:00:03.0");
  // Probing bound virtio-pci again: binding it once more would fail (EBUSY).
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "");
}

TEST(PciDriver, RestoreClearsOverrideUnbindsStubAndBindsTheOriginal) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  auto host = sys::OpenHostFs(root.path());
  auto pci = sys::MakePciDriverControl(*host);
  ASSERT_TRUE(pci->Restore(kBdf, "virtio-pci").ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/devices/0000:00:03.0/driver_override"), "\n");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "0000:00:03.0");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "0000:00:03.0");
}

TEST(PciDriver, RestoreRescansTheScsiHostsTheFunctionBringsBack) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  // virtio-scsi: <device>/virtio1/host3/scsi_host/host3
  fs::create_directories(root.path() +
                         "/sys/bus/pci/devices/0000:00:03.0/virtio1/host3/scsi_host/host3");
  root.Write("/sys/class/scsi_host/host3/scan", "");
  root.Write("/sys/bus/pci/devices/0000:00:03.0/class", "0x010000\n");
  auto host = sys::OpenHostFs(root.path());
  ASSERT_TRUE(sys::MakePciDriverControl(*host)->Restore(kBdf, "virtio-pci").ok());
  EXPECT_EQ(root.Read("/sys/class/scsi_host/host3/scan"), "- - -");
}

TEST(PciDriver, AFailedRescanSaysHowToDoItByHand) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  fs::create_directories(root.path() + "/sys/bus/pci/devices/0000:00:03.0/host4/scsi_host/host4");
  root.Write("/sys/bus/pci/devices/0000:00:03.0/class", "0x010601\n");
  auto host = sys::OpenHostFs(root.path());
  auto restored = sys::MakePciDriverControl(*host)->Restore(kBdf, "virtio-pci");
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().ToString(),
            "/sys/class/scsi_host/host4/scan: cannot open it to write - - -; 0000:00:03.0 is back "
            "on its driver but its disks were not rescanned: echo '- - -' > "
            "/sys/class/scsi_host/host4/scan (No such file or directory)");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "0000:00:03.0");
}

TEST(PciDriver, OnlyMassStorageFunctionsAreRescanned) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  fs::create_directories(root.path() + "/sys/bus/pci/devices/0000:00:03.0/host5/scsi_host/host5");
  root.Write("/sys/class/scsi_host/host5/scan", "");
  root.Write("/sys/bus/pci/devices/0000:00:03.0/class", "0x020000\n");  // a NIC
  auto host = sys::OpenHostFs(root.path());
  ASSERT_TRUE(sys::MakePciDriverControl(*host)->Restore(kBdf, "virtio-pci").ok());
  EXPECT_EQ(root.Read("/sys/class/scsi_host/host5/scan"), "");
}

// A function that had no driver before mint took it: pci-stub lets go of
// it and nothing else is bound (drivers_probe would bind whatever matches).
TEST(PciDriver, RestoreOfAFunctionThatHadNoDriverBindsNothing) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  auto host = sys::OpenHostFs(root.path());
  ASSERT_TRUE(sys::MakePciDriverControl(*host)->Restore(kBdf, "").ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/devices/0000:00:03.0/driver_override"), "\n");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "0000:00:03.0");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers_probe"), "");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "");
}

// A failed stub of a function with no driver puts it back on no driver.
TEST(PciDriver, FailedStubOfAFunctionWithoutADriverBindsNothing) {
  TempRoot root;
  MakeSysfs(root, "virtio-pci");  // the probe bound virtio-pci, not pci-stub
  auto host = sys::OpenHostFs(root.path());
  ASSERT_FALSE(sys::MakePciDriverControl(*host)->Stub(kBdf, "").ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers_probe"), "0000:00:03.0");  // the stub's own probe
}

// GiveBack on the real sysfs seam (what mintctl destroy runs after
// NODE_DESTROY): override cleared, pci-stub unbound, the driver it had
// bound, SCSI rescan; the ledger forgets it.
TEST(PciDriver, GiveBackBindsTheDriverItHadAndRescansTheDisks) {
  TempRoot root;
  MakeSysfs(root, "pci-stub");
  fs::create_directories(root.path() +
                         "/sys/bus/pci/devices/0000:00:03.0/virtio1/host1/scsi_host/host1");
  root.Write("/sys/class/scsi_host/host1/scan", "");
  root.Write("/sys/bus/pci/devices/0000:00:03.0/class", "0x010000\n");
  auto host = sys::OpenHostFs(root.path());
  auto pci = sys::MakePciDriverControl(*host);
  apply::Ledger ledger(root.path() + "/run/mint/ledger");
  ASSERT_TRUE(ledger.TakeCpus("node1", 1, {CpuId{2}}).ok());
  ASSERT_TRUE(ledger.AddFunction("node1", kBdf, "virtio-pci").ok());
  std::vector<std::string> log;
  ASSERT_TRUE(apply::GiveBack("node1", {{kBdf, "virtio-pci"}}, *pci, ledger, log).ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/devices/0000:00:03.0/driver_override"), "\n");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "0000:00:03.0");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "0000:00:03.0");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers_probe"), "");
  EXPECT_EQ(root.Read("/sys/class/scsi_host/host1/scan"), "- - -");
  EXPECT_TRUE(ledger.Read("node1").value()->functions.empty());
}

// recover: a function assigned but never stubbed is still on its driver;
// giving it back must not unbind it.
TEST(PciDriver, GiveBackLeavesAFunctionOnItsDriver) {
  TempRoot root;
  MakeSysfs(root, "virtio-pci");
  auto host = sys::OpenHostFs(root.path());
  auto pci = sys::MakePciDriverControl(*host);
  apply::Ledger ledger(root.path() + "/run/mint/ledger");
  std::vector<std::string> log;
  ASSERT_TRUE(apply::GiveBack("node1", {{kBdf, "virtio-pci"}}, *pci, ledger, log).ok());
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/unbind"), "");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/pci-stub/unbind"), "");
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers/virtio-pci/bind"), "");  // bound already
  EXPECT_EQ(root.Read("/sys/bus/pci/drivers_probe"), "");
}

TEST(PciDriver, MissingSysfsAttributeIsAnIoErrorNamingIt) {
  TempRoot root;
  auto host = sys::OpenHostFs(root.path());
  auto stubbed = sys::MakePciDriverControl(*host)->Stub(kBdf, "virtio-pci");
  ASSERT_FALSE(stubbed.ok());
  EXPECT_EQ(stubbed.error().code, ErrorCode::kIo);
  EXPECT_EQ(stubbed.error().ToString(),
            "/sys/bus/pci/devices/0000:00:03.0/driver_override: cannot open it to write "
            "pci-stub (No such file or directory)");
}

TEST(RecordingMintDevice, ModelsTheKernelsRules) {
  sys::RecordingMintDevice dev({PhysRange{PhysAddr{1ull << 32}, ByteSize{64ull << 20}}}, {{2, 7}});
  auto a = dev.CreateNode({1, "a", {CpuId{2}}, -1, ByteSize{32ull << 20}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->apic_ids, (std::vector<ApicId>{ApicId{7}}));
  auto b = dev.CreateNode({2, "b", {CpuId{3}}, -1, ByteSize{32ull << 20}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ram.front().start, PhysAddr{(1ull << 32) + (32ull << 20)});
  EXPECT_EQ(dev.pool_free(), ByteSize{0});
  EXPECT_FALSE(dev.CreateNode({3, "c", {}, -1, ByteSize{2ull << 20}}).ok());
  EXPECT_EQ(dev.Start(1, PhysAddr{0}, PhysAddr{0}).error().message,
            "MINT_NODE_START: entry 0x0 or boot_params 0x0 is outside the node's RAM");
  const PhysAddr in_ram{(1ull << 32) + (4ull << 20)};
  ASSERT_TRUE(dev.Start(1, in_ram, in_ram).ok());
  EXPECT_EQ(dev.Destroy(1).error().message,
            "MINT_NODE_DESTROY: the node is running; stop it first");
  ASSERT_TRUE(dev.Stop(1, true, 0).ok());
  ASSERT_TRUE(dev.Destroy(1).ok());
  EXPECT_EQ(dev.pool_free(), ByteSize{32ull << 20});
}

// The limits the kernel checks before it changes anything, so a dry run
// refuses what NODE_CREATE/ASSIGN_PCI/LOAD would refuse.
TEST(RecordingMintDevice, RefusesWhatTheKernelRefuses) {
  const uint64_t mib = 1ull << 20;
  sys::RecordingMintDevice dev({PhysRange{PhysAddr{1ull << 32}, ByteSize{64 * mib}}}, {});
  std::vector<CpuId> many;
  for (uint32_t i = 1; i <= 65; ++i) many.push_back(CpuId{i});
  EXPECT_EQ(dev.CreateNode({1, "a", many, -1, ByteSize{4 * mib}}).error().message,
            "MINT_NODE_CREATE: 65 CPUs; the kernel takes 1 to 64 per node");
  EXPECT_EQ(
      dev.CreateNode({1, std::string(32, 'n'), {CpuId{1}}, -1, ByteSize{4 * mib}}).error().message,
      "MINT_NODE_CREATE: the kernel takes names of 1 to 31 bytes");
  EXPECT_EQ(dev.CreateNode({1, "a", {CpuId{1}}, -1, ByteSize{3 * mib}}).error().message,
            "MINT_NODE_CREATE: memory must be a non-zero multiple of 2 MiB");

  // Nine 2 MiB holes: 18 MiB is there, but in more pieces than a node takes.
  for (uint32_t id = 1; id <= 9; ++id) {
    ASSERT_TRUE(
        dev.CreateNode({id, "h" + std::to_string(id), {CpuId{id}}, -1, ByteSize{2 * mib}}).ok());
    ASSERT_TRUE(
        dev.CreateNode({id + 10, "f" + std::to_string(id), {CpuId{id + 10}}, -1, ByteSize{2 * mib}})
            .ok());
  }
  for (uint32_t id = 1; id <= 9; ++id) ASSERT_TRUE(dev.Destroy(id).ok());
  auto split = dev.CreateNode({30, "s", {CpuId{30}}, -1, ByteSize{18 * mib}});
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().message,
            "MINT_NODE_CREATE: 18 MiB is free in the pool only in 9 pieces and the kernel gives a "
            "node at most 8; ask for less memory or destroy a node to join the free space");

  auto node = dev.CreateNode({31, "l", {CpuId{31}}, -1, ByteSize{16 * mib}});
  ASSERT_TRUE(node.ok());
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(dev.AssignPci(31, PciBdf{0, 1, static_cast<uint8_t>(i), 0}).ok());
  EXPECT_EQ(dev.AssignPci(31, PciBdf{0, 2, 0, 0}).error().message,
            "MINT_NODE_ASSIGN_PCI: the node already owns 8 functions, the kernel's limit");

  const PhysAddr shared = node->shared.start;
  const std::vector<uint8_t> page(4096, 0);
  std::vector<sys::LoadSegment> into_shared{{page, shared, 4096}};
  EXPECT_EQ(dev.Load(31, into_shared).error().message,
            "MINT_NODE_LOAD: segment at " + Hex(shared.value) +
                " (4 KiB) is not inside the node's RAM outside its shared region");
  std::vector<sys::LoadSegment> outside{{page, PhysAddr{0x1000}, 4096}};
  EXPECT_FALSE(dev.Load(31, outside).ok());
  std::vector<sys::LoadSegment> too_many(
      17, sys::LoadSegment{page, PhysAddr{node->shared.end()}, 4096});
  EXPECT_EQ(dev.Load(31, too_many).error().message,
            "MINT_NODE_LOAD: 17 segments; the kernel takes 1 to 16");
}

}  // namespace
}  // namespace mint::testing
