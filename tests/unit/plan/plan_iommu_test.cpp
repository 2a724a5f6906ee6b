// DMA fencing of mint::plan (plan/iommu.cpp): without --no-iommu every
// function needs an IOMMU group that goes to the node whole; with it, no
// function's DMA may be translated by node0's IOMMU. On the default test
// host every function is alone in its group, of type DMA-FQ
// (host_builder.h); the captured iommu-noacs and iommu-pt trees are in
// plan_fixture_test.cpp.
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace mint::testing {
namespace {

NodeSpec With(std::vector<std::pair<DeviceKind, std::string>> devices, bool no_iommu = false) {
  NodeSpec spec = Spec();
  for (auto& [kind, name] : devices) AddDevice(spec, kind, name);
  if (no_iommu) {
    spec.no_iommu = true;
    spec.no_iommu_where.flag = "--no-iommu";
  }
  return spec;
}

// Two functions of one device without ACS, behind a root port: one group.
HostBuilder DualPortNic() {
  HostBuilder b;
  b.Pci("0000:00:1c.0", 0x060400, "pcieport", false, false, "PCIe Root Port")
      .Pci("0000:01:00.0", 0x020000, "igb", false, true, "82576 Gigabit Network Connection")
      .Pci("0000:01:00.1", 0x020000, "igb", false, true, "82576 Gigabit Network Connection")
      .Nic("eth2", "0000:01:00.0")
      .Nic("eth3", "0000:01:00.1")
      .IommuGroup("0000:00:1c.0", 20)
      .IommuGroup("0000:01:00.0", 20)
      .IommuGroup("0000:01:00.1", 20);
  return b;
}

TEST(PlanIommu, EachFunctionIsFencedInItsGroup) {
  Plan plan = MustPlan(HostBuilder().Build(),
                       With({{DeviceKind::kDisk, "sdb"}, {DeviceKind::kNic, "eth1"}}));
  ASSERT_EQ(plan.devices.size(), 2u);
  EXPECT_FALSE(plan.no_iommu);
  EXPECT_EQ(plan.devices[0].iommu_group, 3);
  EXPECT_EQ(plan.devices[1].iommu_group, 5);
}

TEST(PlanIommu, AFunctionWithoutAGroupIsRefused) {
  Error e = Refusal(HostBuilder().NoIommu().Build(), With({{DeviceKind::kDisk, "sdb"}}));
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--disk: 0000:00:03.0 (Virtio block device) has no IOMMU group: node0 has no IOMMU "
            "for it, so its DMA cannot be fenced to the node's memory; turn node0's IOMMU on "
            "(intel_iommu=on on its command line, VT-d or AMD-Vi enabled in the firmware), or "
            "boot the node with --no-iommu to give it unfenced (its DMA then reaches all of "
            "memory)");
  // The second of two devices is named by its own flag.
  NodeSpec two = With({{DeviceKind::kDisk, "sdb"}, {DeviceKind::kPci, "0000:00:04.0"}});
  HostTopology host = HostBuilder().Build();
  host.pci[4].iommu_group.reset();  // 0000:00:04.0
  EXPECT_EQ(Refusal(host, two).ToString().substr(0, 66),
            "--pci: 0000:00:04.0 (Virtio block device) has no IOMMU group: node");
}

TEST(PlanIommu, WithoutAnIommuNoIommuGivesTheFunctionUnfenced) {
  Plan plan =
      MustPlan(HostBuilder().NoIommu().Build(), With({{DeviceKind::kDisk, "sdb"}}, true));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_TRUE(plan.no_iommu);
  EXPECT_FALSE(plan.devices[0].iommu_group.has_value());
  EXPECT_TRUE(HasNote(plan,
                      "devices unfenced (--no-iommu): their DMA reaches all of memory, node0's "
                      "included"));
  // No devices: nothing to fence, nothing noted.
  Plan none = MustPlan(HostBuilder().Build(), With({}, true));
  EXPECT_TRUE(none.no_iommu);
  EXPECT_TRUE(none.notes.end() ==
              std::find_if(none.notes.begin(), none.notes.end(),
                           [](const std::string& n) { return n.starts_with("devices unfenced"); }));
}

TEST(PlanIommu, NoIommuIsRefusedWhereNode0sIommuTranslates) {
  Error e = Refusal(HostBuilder().Build(), With({{DeviceKind::kNic, "eth1"}}, true));
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--nic: --no-iommu leaves 0000:00:05.0 (Virtio network device) unfenced, but node0's "
            "IOMMU translates its DMA (IOMMU group 5 is of type DMA-FQ), so the node's DMA to its "
            "own physical addresses would fault; drop --no-iommu to have the function fenced, or "
            "boot node0 with iommu=pt (identity domains)");
  // From a nodeconf, the key is named where it was written.
  NodeSpec file = With({{DeviceKind::kNic, "eth1"}}, true);
  file.no_iommu_where = SourceLoc{"node1.yaml", 4, 8, ""};
  EXPECT_EQ(Refusal(HostBuilder().IommuType("DMA").Build(), file).ToString(),
            "--nic: iommu: false (node1.yaml:4:8) leaves 0000:00:05.0 (Virtio network device) "
            "unfenced, but node0's IOMMU translates its DMA (IOMMU group 5 is of type DMA), so "
            "the node's DMA to its own physical addresses would fault; drop iommu: false "
            "(node1.yaml:4:8) to have the function fenced, or boot node0 with iommu=pt "
            "(identity domains)");
}

TEST(PlanIommu, IommuPtAllowsBothFencedAndUnfenced) {
  HostTopology pt = HostBuilder().IommuType("identity").Build();
  Plan unfenced = MustPlan(pt, With({{DeviceKind::kDisk, "sdb"}}, true));
  EXPECT_FALSE(unfenced.devices[0].iommu_group.has_value());
  Plan fenced = MustPlan(pt, With({{DeviceKind::kDisk, "sdb"}}));
  EXPECT_EQ(fenced.devices[0].iommu_group, 3);
  // A kernel that does not say the type (before 5.11): the kernel decides.
  Plan unknown = MustPlan(HostBuilder().IommuType("").Build(), With({{DeviceKind::kDisk, "sdb"}}, true));
  EXPECT_TRUE(unknown.no_iommu);
}

TEST(PlanIommu, AGroupGoesToTheNodeWhole) {
  Plan plan = MustPlan(DualPortNic().Build(),
                       With({{DeviceKind::kNic, "eth2"}, {DeviceKind::kNic, "eth3"}}));
  ASSERT_EQ(plan.devices.size(), 2u);
  // The root port in the group stays with node0 and does not stop it.
  EXPECT_EQ(plan.devices[0].iommu_group, 20);
  EXPECT_EQ(plan.devices[1].iommu_group, 20);

  Error e = Refusal(DualPortNic().Build(), With({{DeviceKind::kNic, "eth2"}}));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--nic: 0000:01:00.0 is in IOMMU group 20 with 0000:00:1c.0 (PCIe Root Port, stays "
            "with node0) and 0000:01:00.1 (82576 Gigabit Network Connection, driven by igb in "
            "node0); node0's IOMMU fences a group as a whole, so its functions go to one node "
            "together or not at all: give the node 0000:01:00.1 as well (--pci 0000:01:00.1), "
            "or none of the group");
  // --no-iommu fences nothing, so a group may be split (iommu=pt).
  Plan split = MustPlan(DualPortNic().IommuType("identity").Build(),
                        With({{DeviceKind::kNic, "eth3"}}, true));
  EXPECT_EQ(split.devices[0].bdf, Bdf("0000:01:00.1"));
}

TEST(PlanIommu, AGroupMemberAnotherNodeOwnsIsNamed) {
  HostBuilder b = DualPortNic();
  b.Node(1, "node2", "4-5", {"0000:01:00.1"});
  Error e = Refusal(b.Build(), With({{DeviceKind::kNic, "eth2"}}));
  EXPECT_EQ(e.ToString(),
            "--nic: 0000:01:00.0 is in IOMMU group 20 with 0000:00:1c.0 (PCIe Root Port, stays "
            "with node0) and 0000:01:00.1 (82576 Gigabit Network Connection, owned by node2); "
            "node0's IOMMU fences a group as a whole, so its functions go to one node together "
            "or not at all: destroy node2 first (mintctl destroy node2) and give this node "
            "0000:01:00.1 as well (--pci 0000:01:00.1), or none of the group");
}

TEST(PlanIommu, AGroupWithADrivenBridgeCannotBeGiven) {
  // An ICH's functions without ACS: its LPC bridge (lpc_ich bound) is in
  // the group, and bridges are never given to a node.
  HostBuilder b;
  b.Pci("0000:00:1f.0", 0x060100, "lpc_ich", false, false, "LPC Interface Controller")
      .Pci("0000:00:1f.6", 0x020000, "", true, false, "Ethernet Connection")
      .IommuGroup("0000:00:1f.0", 30)
      .IommuGroup("0000:00:1f.6", 30)
      .IommuGroup("0000:00:1f.2", 30);
  Error e = Refusal(b.Build(), With({{DeviceKind::kPci, "0000:00:1f.6"}}));
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:1f.6 is in IOMMU group 30 with 0000:00:1f.0 (LPC Interface "
            "Controller, driven by lpc_ich in node0; bridges stay with node0) and 0000:00:1f.2 "
            "(SATA controller, driven by ahci in node0); node0's IOMMU fences a group as a "
            "whole, so its functions go to one node together or not at all: this group cannot "
            "be given to a node; give the node a device in another IOMMU group, or boot it with "
            "--no-iommu (unfenced, with node0 on iommu=pt)");
}

TEST(PlanIommu, AGroupWithAFunctionWithoutADriverNamesIt) {
  HostBuilder b = DualPortNic();
  HostTopology host = b.Build();
  host.pci.back().driver = "";  // 0000:01:00.1 unbound
  host.nics.pop_back();
  Error e = Refusal(host, With({{DeviceKind::kNic, "eth2"}}));
  EXPECT_NE(e.message.find("0000:01:00.1 (82576 Gigabit Network Connection, no driver in node0)"),
            std::string::npos)
      << e.message;
}

}  // namespace
}  // namespace mint::testing
