// Node-level decisions of mint::plan: name, id, kernel image, defaults.
#include <gtest/gtest.h>

#include "fake_bzimage.h"
#include "mint/boot.h"
#include "plan_test_util.h"

namespace mint::testing {
namespace {

TEST(PlanNode, FirstNodeGetsId1AndTheDefaults) {
  Plan plan = MustPlan(HostBuilder().Build(), Spec());
  EXPECT_EQ(plan.node_id, 1u);
  EXPECT_EQ(plan.name, "node1");
  EXPECT_EQ(plan.kernel, "/boot/mint/bzImage");
  EXPECT_EQ(plan.initrd, "/boot/mint/node-initrd.img");
  EXPECT_TRUE(HasNote(plan,
                      "kernel /boot/mint/bzImage (the default) was not read here (No such "
                      "file or directory), so it was not checked; mintctl boot reads and "
                      "checks it"));
  EXPECT_TRUE(HasNote(plan, "initrd /boot/mint/node-initrd.img (the default)"));
  EXPECT_EQ(plan.cmdline,
            "console=mint mint_node_name=node1 dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0");
}

TEST(PlanNode, TheNodeNameIsOnTheCommandLine) {
  NodeSpec spec = Spec();
  spec.name = "web";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "console=mint mint_node_name=web dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0");
}

TEST(PlanNode, AUserNodeNameIsNotDoubled) {
  NodeSpec spec = Spec();
  spec.cmdline = "loglevel=8 mint_node_name=other";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "console=mint dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0 loglevel=8 "
            "mint_node_name=other");
}

TEST(PlanNode, ANameKeyInsideAnotherWordDoesNotCount) {
  NodeSpec spec = Spec();
  spec.cmdline = "x.mint_node_name=foo";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "console=mint mint_node_name=node1 dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0 x.mint_node_name=foo");
}

TEST(PlanNode, AUserConsoleMintIsNotDoubled) {
  NodeSpec spec = Spec();
  spec.cmdline = "console=mint,115200 loglevel=8";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "mint_node_name=node1 dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0 console=mint,115200 loglevel=8");
}

TEST(PlanNode, AUserMachineParamIsKept) {
  NodeSpec spec = Spec();
  spec.cmdline = "io_delay=udelay split_lock_detect=warn";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "console=mint mint_node_name=node1 dis_ucode_ldr kvm.enable_virt_at_load=0 "
            "io_delay=udelay "
            "split_lock_detect=warn");
}

TEST(PlanNode, AUserKvmVirtAtLoadIsKept) {
  NodeSpec spec = Spec();
  spec.cmdline = "kvm.enable_virt_at_load=1";
  EXPECT_EQ(MustPlan(HostBuilder().Build(), spec).cmdline,
            "console=mint mint_node_name=node1 dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=1");
}

TEST(PlanNode, LowestFreeIdIsTaken) {
  Plan plan = MustPlan(HostBuilder().Node(1, "a", "5").Node(3, "b", "4").Build(), Spec(2));
  EXPECT_EQ(plan.node_id, 2u);
}

TEST(PlanNode, NoFreeIdIsRefused) {
  HostBuilder b;
  b.Cpus(16, 1, 1);
  for (uint32_t id = 1; id <= 7; ++id)
    b.Node(id, "n" + std::to_string(id), std::to_string(id + 8).c_str());
  Error e = Refusal(b.Build(), Spec(1));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "node id: all 7 node ids are in use (mint runs at most 7 nodes beside node0); "
            "destroy a node first");
}

// The uapi header's limits are refused by the plan, not half-way through
// boot by the image builder or the kernel.
TEST(PlanNode, MoreCpusThanANodeCanHaveAreRefused) {
  Error e = Refusal(HostBuilder().Cpus(128, 1, 1).Build(), Spec(65));
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--cores: 65 CPUs are more than a node can have (64, MINT_MAX_CPUS of this mint ABI); "
            "give it at most 64 CPUs, or split the work over two nodes");
  MustPlan(HostBuilder().Cpus(128, 1, 1).Build(), Spec(64));
}

TEST(PlanNode, MoreFunctionsThanANodeCanOwnAreRefused) {
  HostBuilder b;
  NodeSpec spec = Spec(1);
  for (int i = 0; i < 9; ++i) {
    std::string bdf = "0000:01:0" + std::to_string(i) + ".0";
    b.Pci(bdf.c_str(), 0x020000, "virtio-pci", false, true, "Virtio network device");
    AddDevice(spec, DeviceKind::kPci, bdf);
  }
  Error e = Refusal(b.Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--pci: 9 PCI functions are more than a node can own (8, MINT_MAX_PCI "
            "of this mint ABI); give it at most 8 devices");
  spec.devices.pop_back();
  MustPlan(b.Build(), spec);
}

TEST(PlanNode, NameInUseIsRefused) {
  Error e = Refusal(HostBuilder().Node(1, "node1", "5").Build(), Spec(2));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "name: a node named node1 already exists (id 1, running); pick another name or "
            "destroy it first (mintctl destroy node1)");
}

TEST(PlanNode, MissingAndReservedNamesAreRefused) {
  NodeSpec spec = Spec();
  spec.name = "";
  EXPECT_EQ(Refusal(HostBuilder().Build(), spec).ToString(),
            "name: the node has no name; give one (mintctl plan node1 ...) or set name: in the "
            "nodeconf file");
  spec.name = "node0";
  EXPECT_EQ(Refusal(HostBuilder().Build(), spec).ToString(),
            "name: node0 is the host itself; call the node something else, e.g. node1");
  spec.name = std::string(32, 'n');
  EXPECT_EQ(Refusal(HostBuilder().Build(), spec).ToString(),
            "name: the name " + spec.name + " is longer than 31 characters; pick a shorter one");
}

TEST(PlanNode, ABzImageIsAcceptedAndItsProtocolNoted) {
  NodeSpec spec = Spec();
  spec.kernel = "/tmp/bzImage";
  auto plan = plan::MakePlan(HostBuilder().Build(), spec,
                             plan::KernelImage{"/tmp/bzImage", MakeBzImage(0x020f), ""});
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->kernel, "/tmp/bzImage");
  EXPECT_TRUE(HasNote(*plan, "kernel /tmp/bzImage: a bzImage, boot protocol 2.15"));
}

TEST(PlanNode, NotABzImageIsRefusedWithTheProbesWords) {
  std::vector<uint8_t> junk(4096, 0x5a);
  auto plan = plan::MakePlan(HostBuilder().Build(), Spec(),
                             plan::KernelImage{"/boot/mint/bzImage", junk, ""});
  ASSERT_FALSE(plan.ok());
  auto probe = boot::ProbeBzImage(junk, "/boot/mint/bzImage");
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(plan.error().ToString(), probe.error().ToString());
  EXPECT_NE(plan.error().ToString().find("/boot/mint/bzImage"), std::string::npos);
}

TEST(PlanNode, TooOldABootProtocolIsRefused) {
  auto old_image = MakeBzImage(0x020a);
  auto plan = plan::MakePlan(HostBuilder().Build(), Spec(),
                             plan::KernelImage{"/boot/mint/bzImage", old_image, ""});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().ToString(),
            boot::ProbeBzImage(old_image, "/boot/mint/bzImage").error().ToString());
}

TEST(PlanNode, CmdlineAndCrashPolicyAreCarried) {
  NodeSpec spec = Spec();
  spec.cmdline = "quiet";
  spec.on_crash = OnCrash::kRestart;
  spec.restart_budget = 5;
  Plan plan = MustPlan(HostBuilder().Build(), spec);
  EXPECT_EQ(plan.cmdline,
            "console=mint mint_node_name=node1 dis_ucode_ldr split_lock_detect=off io_delay=none "
            "kvm.enable_virt_at_load=0 quiet");
  EXPECT_EQ(plan.on_crash, OnCrash::kRestart);
  EXPECT_EQ(plan.restart_budget, 5u);
}

}  // namespace
}  // namespace mint::testing
