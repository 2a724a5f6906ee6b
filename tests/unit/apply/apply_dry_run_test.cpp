// The dry run: apply against MakeDryRun's seams executes nothing real but
// walks the same steps; without the image files it lists the last steps
// without running them.
#include <gtest/gtest.h>

#include "host_builder.h"
#include "mint/apply.h"
#include "mint/plan.h"

namespace mint::testing {
namespace {

TEST(ApplyDryRun, SeamsFollowTheHost) {
  HostTopology host = HostBuilder().Build();
  auto seams = apply::MakeDryRun(host, 64ull << 30);
  EXPECT_EQ(seams.device->pool_free(), ByteSize{4ull << 30});
  EXPECT_EQ(seams.pci->drivers().at(Bdf("0000:00:1f.2")), "ahci");
}

TEST(ApplyDryRun, MemoryOtherNodesHoldIsNotHandedOutAgain) {
  HostTopology host = HostBuilder().Node(2, "node2", "5").Build();
  // node2 holds the pool's first 1 GiB.
  host.mint.nodes[0].memory = {PhysRange{PhysAddr{0x100000000}, ByteSize{1ull << 30}}};
  auto seams = apply::MakeDryRun(host, 64ull << 30);
  EXPECT_EQ(seams.device->pool_free(), ByteSize{3ull << 30});
  auto created = seams.device->CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{512ull << 20}});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->ram,
            (std::vector<PhysRange>{PhysRange{PhysAddr{0x140000000}, ByteSize{512ull << 20}}}));
}

TEST(ApplyDryRun, WithoutMintAnIllustrativePoolIsUsed) {
  auto seams = apply::MakeDryRun(HostBuilder().NoMint().Build(), 1ull << 30);
  EXPECT_EQ(seams.device->pool_free(), ByteSize{1ull << 30});
}

TEST(ApplyDryRun, UnreadImageListsLoadAndStartWithoutRunningThem) {
  HostTopology host = HostBuilder().Build();
  Plan plan = plan::MakePlan(host, Spec(2, 512ull << 20),
                             plan::KernelImage{"/boot/mint/bzImage", std::nullopt, "gone"})
                  .value();
  auto seams = apply::MakeDryRun(host, 64ull << 30);
  std::vector<std::string> log;
  auto applied = apply::Apply(plan, apply::BootFiles{}, *seams.device, *seams.pci, nullptr, log);
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  EXPECT_EQ(
      seams.device->calls(),
      (std::vector<std::string>{"MINT_NODE_CREATE id=1 name=node1 cpus=4-5 numa=0 mem=512 MiB"}));
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(
      log[2],
      "2. build the boot image: /boot/mint/bzImage, /boot/mint/node-initrd.img, cmdline "
      "\"console=mint mint_node_name=node1 dis_ucode_ldr split_lock_detect=off "
      "io_delay=none kvm.enable_virt_at_load=0\": not built here, /boot/mint/bzImage was not read");
  EXPECT_EQ(log[3], "3. NODE_LOAD node1 (id 1): the boot image");
  EXPECT_EQ(log[4], "4. NODE_START node1 (id 1)");
}

}  // namespace
}  // namespace mint::testing
