// Guests a node declares: the VMM layer goes onto its initramfs, and the
// guests must fit the node's memory and CPUs before anything boots.
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace mint::testing {
namespace {

GuestSpec Guest(const std::string& name, uint64_t mib = 256) {
  GuestSpec g;
  g.name = name;
  g.memory = ByteSize{mib << 20};
  g.where = SourceLoc{"n.yaml", 5, 5, ""};
  return g;
}

NodeSpec WithGuests(std::vector<GuestSpec> guests, uint64_t node_mib = 1024) {
  NodeSpec spec = Spec();
  spec.memory = ByteSize{node_mib << 20};
  spec.memory_where = SourceLoc{"n.yaml", 2, 9, ""};
  spec.guests = std::move(guests);
  return spec;
}

TEST(PlanGuests, APlainNodeGetsNoLayer) {
  Plan plan = MustPlan(HostBuilder().Build(), Spec());
  EXPECT_TRUE(plan.initrd_layers.empty());
  EXPECT_TRUE(plan.guests.empty());
}

TEST(PlanGuests, GuestsBringTheVmmLayer) {
  Plan plan = MustPlan(HostBuilder().Build(), WithGuests({Guest("g1"), Guest("g2")}));
  EXPECT_EQ(plan.initrd_layers, std::vector<std::string>{"/boot/mint/vmm-initrd.img"});
  EXPECT_TRUE(HasNote(plan,
                      "VMM layer /boot/mint/vmm-initrd.img appended to the initrd (the node "
                      "hosts guests)"));
  ASSERT_EQ(plan.guests.size(), 2u);
  EXPECT_EQ(plan.guests[1].name, "g2");
}

TEST(PlanGuests, KvmAloneBringsTheLayer) {
  NodeSpec spec = Spec();
  spec.kvm = true;
  Plan plan = MustPlan(HostBuilder().Build(), spec);
  EXPECT_EQ(plan.initrd_layers.size(), 1u);
  EXPECT_TRUE(plan.guests.empty());
}

TEST(PlanGuests, GuestsMustFitTheNodesMemory) {
  // 256 for the node + 2 x (256 + 64) = 896 MiB > 768 MiB.
  Error e = Refusal(HostBuilder().Build(), WithGuests({Guest("g1"), Guest("g2")}, 768));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "n.yaml:2:9: node1's guests do not fit: 256 MiB for the node itself + 256 MiB for g1 "
            "+ 256 MiB for g2 + 64 MiB per guest for its VMM = 896 MiB, but the node gets 768 "
            "MiB; give the node more memory (--mem 896M) or its guests less");
  MustPlan(HostBuilder().Build(), WithGuests({Guest("g1"), Guest("g2")}, 896));
}

TEST(PlanGuests, NoMoreVcpusThanTheNodesCpus) {
  GuestSpec g = Guest("g1", 128);
  g.vcpus = 8;
  Error e = Refusal(HostBuilder().Build(), WithGuests({g}));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.message,
            "guest g1 wants 8 vCPUs but node1 gets 2 CPUs; give the guest fewer vcpus or the "
            "node more cores");
}

TEST(PlanGuests, NodePortsAreUnique) {
  GuestSpec a = Guest("a", 64), b = Guest("b", 64);
  a.ports = {{8080, 80}};
  b.ports = {{8080, 8080}};
  Error e = Refusal(HostBuilder().Build(), WithGuests({a, b}));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.message,
            "guests a and b both forward node1's port 8080; give each guest its own node port");
}

}  // namespace
}  // namespace mint::testing
