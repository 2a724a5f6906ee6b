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
