// apply against recording fakes: the full sequence in order, and for EVERY
// step a failure injected there, after which the host must be exactly as
// before: no node, the whole pool free, every function on its own driver.
#include "mint/apply.h"

#include <gtest/gtest.h>

#include "fake_bzimage.h"
#include "host_builder.h"
#include "mint/plan.h"

namespace mint::testing {
namespace {

struct Fixture {
  HostTopology host = HostBuilder().Build();
  Plan plan;
  apply::BootFiles files{MakeBzImage(), std::vector<uint8_t>(8192, 0x42)};
  apply::DryRun seams = apply::MakeDryRun(host);
  std::map<PciBdf, std::string> drivers_before = seams.pci->drivers();
  ByteSize pool_before = seams.device->pool_free();
  std::vector<std::string> log;

  Fixture() {
    NodeSpec spec = Spec(2, 256ull << 20);
    AddDevice(spec, DeviceKind::kDisk, "sdb");
    AddDevice(spec, DeviceKind::kDisk, "sdc");
    plan = plan::MakePlan(host, spec, plan::KernelImage{"/k", files.kernel, ""}).value();
  }
  Result<apply::Applied> Run() { return apply::Apply(plan, files, *seams.device, *seams.pci, log); }
  void ExpectHostAsBefore() {
    EXPECT_TRUE(seams.device->nodes().empty());
    EXPECT_EQ(seams.device->pool_free(), pool_before);
    EXPECT_EQ(seams.pci->drivers(), drivers_before);
  }
};

Error Injected(const char* what) { return MakeError(ErrorCode::kIo, "node id 1", what, 5); }

TEST(Apply, RunsEveryStepInOrder) {
  Fixture f;
  auto applied = f.Run();
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  EXPECT_EQ(applied->node_id, 1u);
  EXPECT_EQ(f.seams.pci->calls(),
            (std::vector<std::string>{"stub 0000:00:03.0: virtio-pci -> pci-stub",
                                      "stub 0000:00:04.0: virtio-pci -> pci-stub"}));
  const auto& calls = f.seams.device->calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0], "MINT_NODE_CREATE id=1 name=node1 cpus=4-5 numa=0 mem=256 MiB");
  EXPECT_EQ(calls[1], "MINT_NODE_ASSIGN_PCI id=1 pci=0000:00:03.0");
  EXPECT_EQ(calls[2], "MINT_NODE_ASSIGN_PCI id=1 pci=0000:00:04.0");
  EXPECT_EQ(calls[3].rfind("MINT_NODE_LOAD id=1 [0x", 0), 0u) << calls[3];
  EXPECT_EQ(calls[4].rfind("MINT_NODE_START id=1 entry=0x", 0), 0u) << calls[4];
  const auto& node = f.seams.device->nodes().at(1);
  EXPECT_EQ(node.state, "running");
  EXPECT_EQ(node.devices, (std::vector<PciBdf>{Bdf("0000:00:03.0"), Bdf("0000:00:04.0")}));
  EXPECT_EQ(f.seams.device->pool_free(), ByteSize{(4ull << 30) - (256ull << 20)});
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "pci-stub");
  // The entry point lies inside the node's RAM.
  ASSERT_EQ(applied->ram.size(), 1u);
  EXPECT_GE(applied->entry.value, applied->ram[0].start.value);
  EXPECT_LT(applied->entry.value, applied->ram[0].end());
}

TEST(Apply, LogNamesEachStepInOrder) {
  Fixture f;
  ASSERT_TRUE(f.Run().ok());
  std::vector<std::string> steps;
  for (const auto& line : f.log)
    if (line[0] != ' ') steps.push_back(line.substr(0, line.find(':')));
  EXPECT_EQ(steps,
            (std::vector<std::string>{"1. stub 0000", "2. stub 0000", "3. NODE_CREATE node1 (id 1)",
                                      "4. NODE_ASSIGN_PCI node1 (id 1)",
                                      "5. NODE_ASSIGN_PCI node1 (id 1)", "6. build the boot image",
                                      "7. NODE_LOAD node1 (id 1)", "8. NODE_START node1 (id 1)"}));
  EXPECT_EQ(f.log[0], "1. stub 0000:00:03.0 (Virtio block device (sdb)): virtio-pci -> pci-stub");
  EXPECT_EQ(f.log[2], "3. NODE_CREATE node1 (id 1): CPUs 4-5, 256 MiB, NUMA node 0");
  EXPECT_EQ(f.log[3],
            "   got RAM 0x100000000 (256 MiB), APIC ids 4,5, low 0x10000 (64 KiB), shared "
            "0x100000000 (2 MiB), TSC 2000000 kHz, LAPIC 1000000 kHz");
}

// Device calls: 1 CREATE, 2-3 ASSIGN_PCI, 4 LOAD, 5 START.
class ApplyDeviceFailure : public ::testing::TestWithParam<size_t> {};

TEST_P(ApplyDeviceFailure, UndoesEverythingAndReturnsTheError) {
  Fixture f;
  f.seams.device->FailAtCall(GetParam(), Injected("injected"));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().ToString(), "node id 1: injected (Input/output error)");
  f.ExpectHostAsBefore();
  // Everything stubbed was restored, newest first.
  EXPECT_EQ(f.seams.pci->calls(),
            (std::vector<std::string>{"stub 0000:00:03.0: virtio-pci -> pci-stub",
                                      "stub 0000:00:04.0: virtio-pci -> pci-stub",
                                      "restore 0000:00:04.0: pci-stub -> virtio-pci",
                                      "restore 0000:00:03.0: pci-stub -> virtio-pci"}));
  // A created node was destroyed, as the last device call.
  if (GetParam() > 1)
    EXPECT_EQ(f.seams.device->calls().back(), "MINT_NODE_DESTROY id=1");
  else
    EXPECT_EQ(f.seams.device->calls().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(EveryDeviceStep, ApplyDeviceFailure, ::testing::Values(1, 2, 3, 4, 5));

// Driver calls: 1-2 the stubs.
class ApplyStubFailure : public ::testing::TestWithParam<size_t> {};

TEST_P(ApplyStubFailure, UndoesEarlierStubsAndTouchesNoNode) {
  Fixture f;
  f.seams.pci->FailAtCall(GetParam(), Injected("stub failed"));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().message, "stub failed");
  f.ExpectHostAsBefore();
  EXPECT_TRUE(f.seams.device->calls().empty());
}

INSTANTIATE_TEST_SUITE_P(EveryStubStep, ApplyStubFailure, ::testing::Values(1, 2));

TEST(Apply, BootImageFailureIsUndone) {
  Fixture f;
  f.plan.cmdline = std::string(4096, 'x');  // longer than the image's cmdline_size
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message.find("cmdline_size"), std::string::npos)
      << applied.error().ToString();
  f.ExpectHostAsBefore();
  EXPECT_EQ(f.seams.device->calls().back(), "MINT_NODE_DESTROY id=1");
}

TEST(Apply, UndoFailureIsReportedWithTheOriginalError) {
  Fixture f;
  f.seams.device->FailAtCall(4, Injected("MINT_NODE_LOAD failed"));  // LOAD
  f.seams.pci->FailAtCall(3, MakeError(ErrorCode::kIo, "/sys/bus/pci/drivers/virtio-pci/bind",
                                       "writing 0000:00:04.0 failed", 19));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kIo);
  EXPECT_EQ(applied.error().ToString(),
            "node id 1: MINT_NODE_LOAD failed; undoing it did not fully work, fix by hand: "
            "restore 0000:00:04.0: pci-stub -> virtio-pci failed: "
            "/sys/bus/pci/drivers/virtio-pci/bind: writing 0000:00:04.0 failed (No such device) "
            "(Input/output error)");
  // The other undos still ran: node destroyed, the other function restored.
  EXPECT_TRUE(f.seams.device->nodes().empty());
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "virtio-pci");
}

}  // namespace
}  // namespace mint::testing
