// plan against captured hosts: topology::Discover on tests/fixtures/hosts/
// <machine>, then MakePlan, as mintctl --root does.
#include <gtest/gtest.h>
#include <linux/mint.h>

#include "mint/sys/host_fs.h"
#include "mint/topology.h"
#include "plan_test_util.h"

namespace mint::testing {
namespace {

HostTopology Captured(const std::string& machine) {
  auto fs = sys::OpenHostFs(std::string(MINT_FIXTURES_DIR) + "/" + machine);
  auto host = topology::Discover(*fs);
  EXPECT_TRUE(host.ok()) << host.error().ToString();
  return host.ok() ? *host : HostTopology{};
}

// `mintctl plan --cores N --mem 1G --no-iommu`: the captured hosts but
// iommu-noacs and iommu-pt have no IOMMU, so a node is given their devices
// only unfenced (PlanOnLabQ35.WithoutAnIommuDevicesNeedNoIommu).
NodeSpec FlagSpec(uint32_t cores) {
  NodeSpec spec = Spec(cores, 1ull << 30);
  spec.no_iommu = true;
  spec.no_iommu_where = SourceLoc{"", 0, 0, "--no-iommu"};
  return spec;
}

// The same without --no-iommu: the node's devices fenced.
NodeSpec FencedSpec(uint32_t cores) {
  NodeSpec spec = Spec(cores, 1ull << 30);
  return spec;
}

// build-vm: 2 CPUs (no SMT), vda on 0000:00:02.0 mounted at /, eth0 on
// 0000:00:03.0 with addresses, a virtio RNG on 0000:00:05.0, no mint.
TEST(PlanOnBuildVm, OneCpuIsAllNode0CanGive) {
  HostTopology host = Captured("build-vm");
  Plan plan = MustPlan(host, FlagSpec(1));
  EXPECT_EQ(plan.cpus, std::vector<CpuId>{CpuId{1}});
  EXPECT_TRUE(HasNote(plan,
                      "picked CPU 1: whole cores on NUMA node 0, highest-numbered first "
                      "(node0 keeps the low CPUs)"));
  EXPECT_EQ(Refusal(host, FlagSpec(2)).ToString(),
            "--cores: asked for 2 CPUs but node0 can give 1 (1): cpu0's core stays with node0; "
            "ask for fewer CPUs");
}

TEST(PlanOnBuildVm, NoMintMeansANoteNotARefusal) {
  Plan plan = MustPlan(Captured("build-vm"), FlagSpec(1));
  EXPECT_TRUE(HasNote(plan,
                      "this kernel has no mint support (/sys/kernel/mint is missing): the "
                      "mint pool is unknown, so 1 GiB was not checked against it; boot "
                      "node0 with the mint kernel and mint_pool= to boot nodes"));
}

TEST(PlanOnBuildVm, TheRootDiskAndTheNetworkAreRefused) {
  HostTopology host = Captured("build-vm");
  NodeSpec disk = FlagSpec(1);
  AddDevice(disk, DeviceKind::kDisk, "vda");
  EXPECT_EQ(Refusal(host, disk).ToString(),
            "--disk: vda is mounted at / in node0; give the node another disk");
  NodeSpec nic = FlagSpec(1);
  AddDevice(nic, DeviceKind::kNic, "eth0");
  EXPECT_EQ(Refusal(host, nic).code, ErrorCode::kConflict);
  NodeSpec bridge = FlagSpec(1);
  AddDevice(bridge, DeviceKind::kPci, "0000:00:00.0");
  EXPECT_EQ(Refusal(host, bridge).ToString(),
            "--pci: 0000:00:00.0 is a host bridge; bridges stay with node0: give the node an "
            "endpoint device");
}

TEST(PlanOnBuildVm, AFreeFunctionWithMsixIsPlanned) {
  NodeSpec spec = FlagSpec(1);
  AddDevice(spec, DeviceKind::kPci, "0000:00:05.0");
  Plan plan = MustPlan(Captured("build-vm"), spec);
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].node0_driver, "virtio-pci");
  ASSERT_TRUE(plan.ecam.has_value());
}

}  // namespace
}  // namespace mint::testing

namespace mint::testing {
namespace {

// lab-q35: the lab's node0 (6 CPUs, no SMT, no NUMA info; sda+sdd on the
// virtio-scsi 0000:00:02.0, sdb on 0000:00:03.0, sdc on 0000:00:04.0;
// eth0/eth1 on 0000:00:05.0/06.0; ICH9 LPC, AHCI and SMBus; ECAM).
TEST(PlanOnLabQ35, TheIssuesDoneWhenPlan) {
  NodeSpec spec = FlagSpec(2);
  AddDevice(spec, DeviceKind::kDisk, "sdb");
  Plan plan = MustPlan(Captured("lab-q35"), spec);
  EXPECT_EQ(plan.cpus, (std::vector<CpuId>{CpuId{4}, CpuId{5}}));
  EXPECT_EQ(plan.memory, ByteSize{1ull << 30});
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:00:03.0");
  EXPECT_EQ(plan.devices[0].node0_driver, "virtio-pci");
  EXPECT_TRUE(HasNote(plan,
                      "picked CPUs 4-5: whole cores, highest-numbered first (node0 keeps "
                      "the low CPUs)"));
}

TEST(PlanOnLabQ35, WithoutAnIommuDevicesNeedNoIommu) {
  NodeSpec spec = FencedSpec(2);
  AddDevice(spec, DeviceKind::kDisk, "sdb");
  EXPECT_EQ(Refusal(Captured("lab-q35"), spec).ToString(),
            "--disk: 0000:00:03.0 (Virtio SCSI) has no IOMMU group: node0 has no IOMMU for it, "
            "so its DMA cannot be fenced to the node's memory; turn node0's IOMMU on "
            "(intel_iommu=on on its command line, VT-d or AMD-Vi enabled in the firmware), or "
            "boot the node with --no-iommu to give it unfenced (its DMA then reaches all of "
            "memory)");
  // --no-iommu: no IOMMU translates its DMA, so it is given unfenced.
  NodeSpec unfenced = FlagSpec(2);
  AddDevice(unfenced, DeviceKind::kDisk, "sdb");
  Plan plan = MustPlan(Captured("lab-q35"), unfenced);
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_TRUE(plan.no_iommu);
  EXPECT_FALSE(plan.devices[0].iommu_group.has_value());
}

TEST(PlanOnLabQ35, ASecondNodeGetsTheNextCoresAndId) {
  HostTopology host = Captured("lab-q35");
  host.mint.present = true;
  host.mint.pool = {PhysRange{PhysAddr{0x100000000}, ByteSize{4ull << 30}}};
  host.mint.pool_total = ByteSize{4ull << 30};
  host.mint.pool_free = ByteSize{3ull << 30};
  MintNode node1;
  node1.id = 1;
  node1.name = "node1";
  node1.state = NodeState::kRunning;
  node1.cpus = {CpuId{4}, CpuId{5}};
  node1.devices = {PciBdf::Parse("0000:00:03.0").value()};
  host.mint.nodes.push_back(node1);
  for (auto& cpu : host.cpus)
    if (cpu.id.value >= 4) cpu.online = false;
  NodeSpec spec = FlagSpec(2);
  spec.name = "node2";
  AddDevice(spec, DeviceKind::kDisk, "sdc");
  Plan plan = MustPlan(host, spec);
  EXPECT_EQ(plan.node_id, 2u);
  EXPECT_EQ(plan.cpus, (std::vector<CpuId>{CpuId{2}, CpuId{3}}));
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:00:04.0");
  // node1's disk is node1's.
  NodeSpec again = FlagSpec(1);
  again.name = "node3";
  AddDevice(again, DeviceKind::kDisk, "sdb");
  EXPECT_EQ(Refusal(host, again).ToString(),
            "--disk: 0000:00:03.0 belongs to node1; give the node another device or destroy "
            "node1 first");
  // With node1 holding 4-5, node0 can give only 1-3.
  NodeSpec big = FlagSpec(4);
  big.name = "node4";
  EXPECT_EQ(Refusal(host, big).ToString(),
            "--cores: asked for 4 CPUs but node0 can give 3 (1-3): cpu0's core stays with node0, "
            "node1 holds 4-5; ask for fewer CPUs");
}

TEST(PlanOnLabQ35, DisksSharingAControllerAndUnfitFunctionsAreRefused) {
  HostTopology host = Captured("lab-q35");
  NodeSpec sda = FlagSpec(2);
  AddDevice(sda, DeviceKind::kDisk, "sda");
  EXPECT_EQ(Refusal(host, sda).ToString(),
            "--disk: sda is on controller 0000:00:02.0, which also serves sdd; give the node a "
            "disk on its own controller");
  NodeSpec lpc = FlagSpec(2);
  AddDevice(lpc, DeviceKind::kPci, "0000:00:1f.0");
  EXPECT_EQ(Refusal(host, lpc).ToString(),
            "--pci: 0000:00:1f.0 is an ISA bridge; bridges stay with node0: give the node an "
            "endpoint device");
  NodeSpec smbus = FlagSpec(2);
  AddDevice(smbus, DeviceKind::kPci, "0000:00:1f.3");
  EXPECT_EQ(Refusal(host, smbus).ToString(),
            "--pci: 0000:00:1f.3 (82801I (ICH9 Family) SMBus Controller) has neither MSI nor "
            "MSI-X; a node takes device interrupts only as MSI, so give it a device that has "
            "them");
}

}  // namespace
}  // namespace mint::testing

namespace mint::testing {
namespace {

// The server disk layouts of tests/fixtures/hosts/make-disk-hosts: the
// disk node0 runs from is refused, through every layer, and the free one is
// planned.
std::string Refused(const std::string& machine, DeviceKind kind, const std::string& name) {
  NodeSpec spec = FlagSpec(2);
  AddDevice(spec, kind, name);
  return Refusal(Captured(machine), spec).ToString();
}

std::string PlannedFunction(const std::string& machine, const std::string& disk) {
  NodeSpec spec = FlagSpec(2);
  AddDevice(spec, DeviceKind::kDisk, disk);
  Plan plan = MustPlan(Captured(machine), spec);
  return plan.devices.size() == 1 ? plan.devices[0].bdf.ToString() : "(no device)";
}

TEST(PlanOnServerLayouts, RootOnLvmOnAPartition) {
  EXPECT_EQ(Refused("lvm-root", DeviceKind::kDisk, "sda"),
            "--disk: sda2 (on sda) holds dm-0 (vg0-root), which is mounted at / in node0; give "
            "the node another disk");
  EXPECT_EQ(Refused("lvm-root", DeviceKind::kPci, "0000:00:02.0"),
            "--pci: 0000:00:02.0 serves sda, whose sda2 holds dm-0 (vg0-root), which is mounted "
            "at / in node0; give the node another disk");
  EXPECT_EQ(Refused("lvm-root", DeviceKind::kDisk, "dm-0"),
            "--disk: dm-0 is not on a PCI function (mintctl topology shows none for it); only a "
            "disk on its own PCI controller can be given to a node");
  EXPECT_EQ(PlannedFunction("lvm-root", "sdb"), "0000:00:03.0");
  EXPECT_EQ(PlannedFunction("lvm-root", "sdc"), "0000:00:04.0");
}

TEST(PlanOnServerLayouts, RootMountedAsDevRoot) {
  EXPECT_EQ(Refused("dev-root", DeviceKind::kDisk, "sda"),
            "--disk: sda1 (on sda) is mounted at / in node0; give the node another disk");
  EXPECT_EQ(Refused("dev-root", DeviceKind::kPci, "0000:00:02.0"),
            "--pci: 0000:00:02.0 serves sda, whose sda1 is mounted at / in node0; give the node "
            "another disk");
  EXPECT_EQ(PlannedFunction("dev-root", "sdb"), "0000:00:03.0");
}

TEST(PlanOnServerLayouts, MdRaid1AcrossTwoDisks) {
  EXPECT_EQ(Refused("md-raid1", DeviceKind::kDisk, "sda"),
            "--disk: sda1 (on sda) holds md0 (raid1), which is mounted at / in node0; give the "
            "node another disk");
  EXPECT_EQ(Refused("md-raid1", DeviceKind::kDisk, "sdb"),
            "--disk: sdb1 (on sdb) holds md0 (raid1), which is mounted at / in node0; give the "
            "node another disk");
  EXPECT_EQ(Refused("md-raid1", DeviceKind::kPci, "0000:00:03.0"),
            "--pci: 0000:00:03.0 serves sdb, whose sdb1 holds md0 (raid1), which is mounted at / "
            "in node0; give the node another disk");
  EXPECT_EQ(PlannedFunction("md-raid1", "sdc"), "0000:00:04.0");
}

TEST(PlanOnServerLayouts, NvmeDisksEachTheirOwnFunction) {
  EXPECT_EQ(Refused("nvme-root", DeviceKind::kDisk, "nvme0n1"),
            "--disk: nvme0n1p2 (on nvme0n1) is mounted at / in node0; give the node another disk");
  EXPECT_EQ(Refused("nvme-root", DeviceKind::kPci, "0000:01:00.0"),
            "--pci: 0000:01:00.0 serves nvme0n1, whose nvme0n1p2 is mounted at / in node0; give "
            "the node another disk");
  EXPECT_EQ(Refused("nvme-root", DeviceKind::kPci, "0000:00:1c.0"),
            "--pci: 0000:00:1c.0 is a PCI bridge; bridges stay with node0: give the node an "
            "endpoint device");
  NodeSpec spec = FlagSpec(2);
  AddDevice(spec, DeviceKind::kDisk, "nvme1n1");
  Plan plan = MustPlan(Captured("nvme-root"), spec);
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:02:00.0");
  EXPECT_EQ(plan.devices[0].node0_driver, "nvme");
  EXPECT_EQ(plan.devices[0].description, "QEMU NVM Express Controller (nvme1n1)");
}

NodeSpec NicSpec(DeviceKind kind, const std::string& name) {
  NodeSpec spec = FlagSpec(1);
  AddDevice(spec, kind, name);
  return spec;
}

const std::string kLose = "; node0 would lose it: give the node a NIC node0 does not use, or ";

// bridge-br0: node0's address and default route on br0, whose only port is
// eth1 (0000:00:06.0); eth0 (0000:00:05.0) is up with only its link-local
// address.
TEST(PlanOnBridgeBr0, ThePortOfNode0sBridgeIsRefused) {
  HostTopology host = Captured("bridge-br0");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "eth1")).ToString(),
            "--nic: eth1 is a port of br0, which carries node0's address 192.168.1.5/24" + kLose +
                "take eth1 out of br0 first (ip link set eth1 nomaster)");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kPci, "0000:00:06.0")).ToString(),
            "--pci: 0000:00:06.0 serves eth1, which is a port of br0, which carries node0's "
            "address 192.168.1.5/24" +
                kLose + "take eth1 out of br0 first (ip link set eth1 nomaster)");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "br0")).ToString(),
            "--nic: br0 is a bridge on eth1, not a NIC; a node takes a whole PCI NIC: give it "
            "one node0 does not use (mintctl topology lists them)");
}

TEST(PlanOnBridgeBr0, TheFreeNicIsPlanned) {
  Plan plan = MustPlan(Captured("bridge-br0"), NicSpec(DeviceKind::kNic, "eth0"));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:00:05.0");
  EXPECT_EQ(plan.devices[0].node0_driver, "virtio-pci");
}

// bond-bond0: bond0 of eth1 (0000:00:06.0) and eth2 (0000:00:07.0) holds
// node0's IPv4 and IPv6 addresses and default route; eth0 is free.
TEST(PlanOnBondBond0, EveryMemberOfNode0sBondIsRefused) {
  HostTopology host = Captured("bond-bond0");
  for (const std::string nic : {"eth1", "eth2"}) {
    EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, nic)).ToString(),
              "--nic: " + nic + " is a port of bond0, which carries node0's address 10.1.0.5/24" +
                  kLose + "take " + nic + " out of bond0 first (ip link set " + nic + " nomaster)");
  }
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "bond0")).ToString(),
            "--nic: bond0 is a bond on eth1 and eth2, not a NIC; a node takes a whole PCI NIC: "
            "give it one node0 does not use (mintctl topology lists them)");
}

TEST(PlanOnBondBond0, TheFreeNicIsPlanned) {
  Plan plan = MustPlan(Captured("bond-bond0"), NicSpec(DeviceKind::kNic, "eth0"));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:00:05.0");
}

// slash32: eth0 10.0.2.15/24 with the main default route; eth1 a /32
// noprefixroute address (no connected route) whose default route is in
// table 100; eth2 no address, a route in table 200.
TEST(PlanOnSlash32, AnAddressWithoutARouteIsStillNode0s) {
  HostTopology host = Captured("slash32");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "eth1")).ToString(),
            "--nic: eth1 carries node0's address 203.0.113.7/32" + kLose +
                "remove the address first (ip addr flush dev eth1)");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "eth0")).ToString(),
            "--nic: eth0 carries node0's address 10.0.2.15/24" + kLose +
                "remove the address first (ip addr flush dev eth0)");
}

TEST(PlanOnSlash32, ARouteInAPolicyTableIsNode0s) {
  HostTopology host = Captured("slash32");
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "eth2")).ToString(),
            "--nic: eth2 carries node0's route 198.51.100.0/24 table 200" + kLose +
                "remove its routes first (ip route flush dev eth2 table 200)");
  // With eth1's address flushed, its table-100 route still holds it.
  for (auto& nic : host.nics)
    if (nic.name == "eth1") nic.addresses.clear();
  EXPECT_EQ(Refusal(host, NicSpec(DeviceKind::kNic, "eth1")).ToString(),
            "--nic: eth1 carries node0's route default via 203.0.113.1 table 100" + kLose +
                "remove its routes first (ip route flush dev eth1 table 100)");
}

// numa2-smt128: 2 sockets x 32 cores x 2 threads; CPU N and N+64 are one
// core; NUMA node 0 = CPUs 0-31,64-95, node 1 = 32-63,96-127.
static_assert(MINT_MAX_CPUS < 126, "the tests below ask for more than a node may have");

NodeSpec NumaSpec(uint32_t cores, std::optional<int> numa = std::nullopt) {
  NodeSpec spec = FlagSpec(cores);
  spec.numa_node = numa;
  return spec;
}

TEST(PlanOnNuma2Smt128, CountsTakeWholeCoresOnOneNumaNode) {
  HostTopology host = Captured("numa2-smt128");
  Plan two = MustPlan(host, NumaSpec(2));
  EXPECT_EQ(two.cpus, ParseCpuList("63,127").value());  // one core: both threads
  EXPECT_EQ(two.numa_node, 1);
  EXPECT_TRUE(HasNote(two,
                      "picked CPUs 63,127: whole cores on NUMA node 1, highest-numbered first "
                      "(node0 keeps the low CPUs)"));
  Plan eight = MustPlan(host, NumaSpec(8));
  EXPECT_EQ(eight.cpus, ParseCpuList("60-63,124-127").value());
  EXPECT_EQ(eight.numa_node, 1);
  Plan node0 = MustPlan(host, NumaSpec(8, 0));
  EXPECT_EQ(node0.cpus, ParseCpuList("28-31,92-95").value());
  EXPECT_EQ(node0.numa_node, 0);
  // All of NUMA node 1 is as many CPUs as a node may have.
  Plan whole = MustPlan(host, NumaSpec(MINT_MAX_CPUS));
  EXPECT_EQ(whole.cpus, ParseCpuList("32-63,96-127").value());
  EXPECT_EQ(whole.numa_node, 1);
}

TEST(PlanOnNuma2Smt128, HalfACoreIsRefused) {
  HostTopology host = Captured("numa2-smt128");
  NodeSpec spec = FlagSpec(1);
  spec.core_count.reset();
  spec.cpu_list = ParseCpuList("62-63").value();
  EXPECT_EQ(Refusal(host, spec).ToString(),
            "--cores: cpu62 shares a core with cpu126; a core's threads go together: give the "
            "node all of 62,126 or none of them");
  spec.cpu_list = ParseCpuList("62-63,126-127").value();
  Plan plan = MustPlan(host, spec);
  EXPECT_EQ(plan.numa_node, 1);
}

// plan's ABI check (CheckAbiLimits) on a host that has more CPUs than a
// node may take: a count and a list of whole cores alike.
TEST(PlanOnNuma2Smt128, MoreCpusThanTheAbiCarriesAreRefused) {
  HostTopology host = Captured("numa2-smt128");
  const std::string most = std::to_string(MINT_MAX_CPUS);
  const std::string way_out = ", MINT_MAX_CPUS of this mint ABI); give it at most " + most +
                              " CPUs, or split the work over two nodes";
  EXPECT_EQ(Refusal(host, NumaSpec(MINT_MAX_CPUS + 2)).ToString(),
            "--cores: " + std::to_string(MINT_MAX_CPUS + 2) +
                " CPUs are more than a node can have (" + most + way_out);
  NodeSpec list = FlagSpec(1);
  list.core_count.reset();
  list.cpu_list = ParseCpuList("1-63,65-127").value();
  EXPECT_EQ(Refusal(host, list).ToString(),
            "--cores: 126 CPUs are more than a node can have (" + most + way_out);
}

// A second node gets NUMA node 0's cores when node1 holds NUMA node 1.
TEST(PlanOnNuma2Smt128, ASecondNodeTakesTheOtherNumaNode) {
  HostTopology host = Captured("numa2-smt128");
  MintNode node1;
  node1.id = 1;
  node1.name = "node1";
  node1.state = NodeState::kRunning;
  node1.cpus = ParseCpuList("32-63,96-127").value();
  host.mint.present = true;
  host.mint.nodes.push_back(node1);
  for (auto& cpu : host.cpus)
    if (host.OwnerOf(cpu.id) != nullptr) cpu.online = false;
  host.mint.pool = {PhysRange{PhysAddr{0x1000000000}, ByteSize{32ull << 30}}};
  host.mint.pool_total = ByteSize{32ull << 30};
  host.mint.pool_free = ByteSize{16ull << 30};
  NodeSpec spec = NumaSpec(4);
  spec.name = "node2";
  Plan plan = MustPlan(host, spec);
  EXPECT_EQ(plan.cpus, ParseCpuList("30-31,94-95").value());
  EXPECT_EQ(plan.numa_node, 0);
}

}  // namespace
}  // namespace mint::testing

namespace mint::testing {
namespace {

// iommu-noacs: node0 on intel_iommu=on, every group DMA-FQ; root port
// 0000:00:1c.0 and the 82576's two functions (eth2 0000:01:00.0, eth3
// 0000:01:00.1) are group 7, the ICH9's 00:1f.0/.2/.3 group 6.
TEST(PlanOnIommuNoAcs, BothFunctionsOfTheNicGoTogether) {
  NodeSpec both = FencedSpec(1);
  AddDevice(both, DeviceKind::kNic, "eth2");
  AddDevice(both, DeviceKind::kNic, "eth3");
  Plan plan = MustPlan(Captured("iommu-noacs"), both);
  ASSERT_EQ(plan.devices.size(), 2u);
  EXPECT_EQ(plan.devices[0].iommu_group, 7);
  EXPECT_EQ(plan.devices[1].iommu_group, 7);
  EXPECT_EQ(plan.devices[0].node0_driver, "igb");

  NodeSpec one = FencedSpec(1);
  AddDevice(one, DeviceKind::kNic, "eth3");
  EXPECT_EQ(Refusal(Captured("iommu-noacs"), one).ToString(),
            "--nic: 0000:01:00.1 is in IOMMU group 7 with 0000:00:1c.0 (QEMU PCIe Root port, "
            "stays with node0) and 0000:01:00.0 (82576 Gigabit Network Connection, driven by igb "
            "in node0); node0's IOMMU fences a group as a whole, so its functions go to one node "
            "together or not at all: give the node 0000:01:00.0 as well (--pci 0000:01:00.0), or "
            "none of the group");
}

TEST(PlanOnIommuNoAcs, AFunctionAloneInItsGroupIsFenced) {
  NodeSpec spec = FencedSpec(2);
  AddDevice(spec, DeviceKind::kDisk, "sdb");
  Plan plan = MustPlan(Captured("iommu-noacs"), spec);
  EXPECT_EQ(plan.devices[0].iommu_group, 2);
  // The ICH9's AHCI shares group 6 with the LPC bridge (no driver: it stays)
  // and the SMBus function.
  NodeSpec ahci = FencedSpec(2);
  AddDevice(ahci, DeviceKind::kPci, "0000:00:1f.2");
  EXPECT_EQ(Refusal(Captured("iommu-noacs"), ahci).ToString(),
            "--pci: 0000:00:1f.2 is in IOMMU group 6 with 0000:00:1f.0 (82801IB (ICH9) LPC "
            "Interface Controller, stays with node0) and 0000:00:1f.3 (82801I (ICH9 Family) "
            "SMBus Controller, no driver in node0); node0's IOMMU fences a group as a whole, so "
            "its functions go to one node together or not at all: give the node 0000:00:1f.3 as "
            "well (--pci 0000:00:1f.3), or none of the group");
}

TEST(PlanOnIommuNoAcs, NoIommuIsRefusedWhileTheIommuTranslates) {
  NodeSpec spec = FlagSpec(2);
  AddDevice(spec, DeviceKind::kDisk, "sdb");
  EXPECT_EQ(Refusal(Captured("iommu-noacs"), spec).ToString(),
            "--disk: --no-iommu leaves 0000:00:03.0 (Virtio SCSI) unfenced, but node0's IOMMU "
            "translates its DMA (IOMMU group 2 is of type DMA-FQ), so the node's DMA to its own "
            "physical addresses would fault; drop --no-iommu to have the function fenced, or "
            "boot node0 with iommu=pt (identity domains)");
}

// iommu-pt: the same machine on intel_iommu=on iommu=pt: identity groups.
TEST(PlanOnIommuPt, DevicesGoFencedOrUnfenced) {
  NodeSpec unfenced = FlagSpec(1);
  AddDevice(unfenced, DeviceKind::kNic, "eth3");  // a group may be split when nothing is fenced
  Plan plan = MustPlan(Captured("iommu-pt"), unfenced);
  EXPECT_TRUE(plan.no_iommu);
  EXPECT_FALSE(plan.devices[0].iommu_group.has_value());
  NodeSpec fenced = FencedSpec(1);
  AddDevice(fenced, DeviceKind::kNic, "eth2");
  AddDevice(fenced, DeviceKind::kNic, "eth3");
  Plan both = MustPlan(Captured("iommu-pt"), fenced);
  EXPECT_EQ(both.devices[1].iommu_group, 7);
  EXPECT_EQ(PlannedFunction("iommu-pt", "sdb"), "0000:00:03.0");  // --no-iommu
}

}  // namespace
}  // namespace mint::testing
