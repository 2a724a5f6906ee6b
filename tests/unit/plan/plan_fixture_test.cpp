// plan against captured hosts: topology::Discover on tests/fixtures/hosts/
// <machine>, then MakePlan, as mintctl --root does.
#include <gtest/gtest.h>

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

NodeSpec FlagSpec(uint32_t cores) {
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
            "--disk: vda is mounted at / in node0; unmount it (umount /) or give the node "
            "another disk");
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
