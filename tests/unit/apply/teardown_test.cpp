// Teardown and GiveBack (mintctl destroy, mintctl recover) against the
// recording fakes joined by KernelModel: NODE_DESTROY strictly before any
// function goes back to node0, nothing given back when NODE_DESTROY fails,
// every function tried even when one fails, exact error text; and the
// leftovers of a killed mintctl (functions still on their driver, on
// pci-stub, or stranded on pci-stub without a node).
#include <gtest/gtest.h>

#include "fake_bzimage.h"
#include "host_builder.h"
#include "kernel_model.h"
#include "mint/apply.h"
#include "mint/plan.h"

namespace mint::testing {
namespace {

using Strings = std::vector<std::string>;

// node1 booted by Apply with sdb and sdc, then stopped (as mintctl destroy
// finds it): `node` is what /sys/kernel/mint/nodes/1/ would show.
struct Booted {
  HostTopology host = HostBuilder().Build();
  apply::DryRun seams = apply::MakeDryRun(host, 64ull << 30);
  std::map<PciBdf, std::string> drivers_before = seams.pci->drivers();
  ByteSize pool_before = seams.device->pool_free();
  MintNode node;
  Strings log;

  explicit Booted(bool start = true) {
    NodeSpec spec = Spec(2, 256ull << 20);
    AddDevice(spec, DeviceKind::kDisk, "sdb");
    AddDevice(spec, DeviceKind::kDisk, "sdc");
    apply::BootFiles files{MakeBzImage(), std::vector<uint8_t>(8192, 0x42)};
    Plan plan = plan::MakePlan(host, spec, plan::KernelImage{"/k", files.kernel, ""}).value();
    if (!start) files = apply::BootFiles{};  // stops after ASSIGN_PCI and the stubs
    Strings apply_log;
    EXPECT_TRUE(apply::Apply(plan, files, *seams.device, *seams.pci, apply_log).ok());
    if (start) {
      EXPECT_TRUE(seams.device->Stop(1, false, 1000).ok());
    }
    node.id = 1;
    node.name = "node1";
    node.devices = seams.device->nodes().at(1).devices;
  }
};

TEST(Teardown, DestroysThenGivesEveryFunctionBack) {
  Booted b;
  KernelModel kernel(*b.seams.device, *b.seams.pci);
  ASSERT_TRUE(apply::Teardown(b.node, kernel.device(), kernel.pci(), b.log).ok());
  EXPECT_EQ(kernel.order(), (Strings{"DESTROY", "RESTORE 0000:00:03.0", "RESTORE 0000:00:04.0"}));
  EXPECT_EQ(kernel.violations(), Strings{});
  EXPECT_TRUE(b.seams.device->nodes().empty());
  EXPECT_EQ(b.seams.device->pool_free(), b.pool_before);
  EXPECT_EQ(b.seams.pci->drivers(), b.drivers_before);
  EXPECT_EQ(b.log, (Strings{"NODE_DESTROY node1 (id 1)",
                            "give 0000:00:03.0 back to node0: driver_override cleared, "
                            "drivers_probe, SCSI hosts scanned",
                            "give 0000:00:04.0 back to node0: driver_override cleared, "
                            "drivers_probe, SCSI hosts scanned"}));
  EXPECT_EQ(b.seams.pci->calls().back(), "give back 0000:00:04.0: probe");
}

TEST(Teardown, FailedDestroyGivesNothingBack) {
  Booted b(false);
  b.seams.device->FailAtCall(
      b.seams.device->calls().size() + 1,
      MakeError(ErrorCode::kConflict, "node1",
                "MINT_NODE_DESTROY: the node is running; stop it first", 16));
  KernelModel kernel(*b.seams.device, *b.seams.pci);
  auto done = apply::Teardown(b.node, kernel.device(), kernel.pci(), b.log);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kConflict);
  EXPECT_EQ(done.error().ToString(),
            "node1: MINT_NODE_DESTROY: the node is running; stop it first; nothing was given "
            "back to node0 (Device or resource busy)");
  EXPECT_EQ(kernel.order(), Strings{"DESTROY"});
  EXPECT_EQ(b.seams.pci->drivers().at(Bdf("0000:00:03.0")), "pci-stub");
  EXPECT_EQ(b.log.back(),
            "   failed: node1: MINT_NODE_DESTROY: the node is running; stop it first (Device or "
            "resource busy)");
}

TEST(Teardown, EveryFunctionIsTriedAndEachFailureNamed) {
  Booted b;
  size_t first_give_back = b.seams.pci->calls().size() + 1;
  b.seams.pci->FailAtCall(first_give_back, MakeError(ErrorCode::kIo, "/sys/bus/pci/drivers_probe",
                                                     "writing 0000:00:03.0 failed", 19));
  KernelModel kernel(*b.seams.device, *b.seams.pci);
  auto done = apply::Teardown(b.node, kernel.device(), kernel.pci(), b.log);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kIo);
  EXPECT_EQ(done.error().sys_errno, 19);
  EXPECT_EQ(done.error().ToString(),
            "node1: 1 of 2 function(s) did not come back to node0: 0000:00:03.0: "
            "/sys/bus/pci/drivers_probe: writing 0000:00:03.0 failed (No such device); finish "
            "by hand: echo > /sys/bus/pci/devices/0000:00:03.0/driver_override; echo "
            "0000:00:03.0 > /sys/bus/pci/drivers/pci-stub/unbind; echo 0000:00:03.0 > "
            "/sys/bus/pci/drivers_probe (No such device)");
  // The second function came back although the first did not.
  EXPECT_EQ(kernel.order(), (Strings{"DESTROY", "RESTORE 0000:00:03.0", "RESTORE 0000:00:04.0"}));
  EXPECT_EQ(b.seams.pci->drivers().at(Bdf("0000:00:04.0")), "virtio-pci");
  EXPECT_TRUE(b.seams.device->nodes().empty());
}

// A mintctl killed after NODE_ASSIGN_PCI but before the stubs: the node is
// `created`, its functions still on virtio-pci. recover's Teardown leaves
// them there (drivers_probe keeps a bound driver) and frees the node.
TEST(Teardown, RecoversANodeWhoseFunctionsWereNeverStubbed) {
  HostTopology host = HostBuilder().Build();
  apply::DryRun seams = apply::MakeDryRun(host, 64ull << 30);
  auto drivers_before = seams.pci->drivers();
  ASSERT_TRUE(seams.device->CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{64 << 20}}).ok());
  ASSERT_TRUE(seams.device->AssignPci(1, Bdf("0000:00:03.0")).ok());
  ASSERT_TRUE(seams.device->AssignPci(1, Bdf("0000:00:04.0")).ok());
  ASSERT_TRUE(seams.pci->Stub(Bdf("0000:00:04.0"), "virtio-pci").ok());  // killed after this
  MintNode node{1, "node1", NodeState::kCreated, {CpuId{4}}, {}, {}, {}, 0, "", ""};
  node.devices = {Bdf("0000:00:03.0"), Bdf("0000:00:04.0")};
  KernelModel kernel(*seams.device, *seams.pci);
  Strings log;
  ASSERT_TRUE(apply::Teardown(node, kernel.device(), kernel.pci(), log).ok());
  EXPECT_EQ(kernel.violations(), Strings{});
  EXPECT_EQ(seams.pci->drivers(), drivers_before);
  EXPECT_TRUE(seams.device->nodes().empty());
}

TEST(Teardown, ANodeWithoutFunctionsIsJustDestroyed) {
  HostTopology host = HostBuilder().Build();
  apply::DryRun seams = apply::MakeDryRun(host, 64ull << 30);
  ASSERT_TRUE(seams.device->CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64 << 20}}).ok());
  MintNode node;
  node.id = 2;
  node.name = "node2";
  Strings log;
  ASSERT_TRUE(apply::Teardown(node, *seams.device, *seams.pci, log).ok());
  EXPECT_EQ(log, Strings{"NODE_DESTROY node2 (id 2)"});
  EXPECT_EQ(seams.pci->calls(), Strings{});
}

TEST(GiveBack, NothingToGiveBackIsFine) {
  HostTopology host = HostBuilder().Build();
  apply::DryRun seams = apply::MakeDryRun(host, 64ull << 30);
  Strings log;
  EXPECT_TRUE(apply::GiveBack("node1", {}, *seams.pci, log).ok());
  EXPECT_EQ(log, Strings{});
}

TEST(StrandedFunctions, AreOnPciStubAndOwnedByNoNode) {
  HostTopology host = HostBuilder()
                          .Pci("0000:00:07.0", 0x010000, "pci-stub", false, true, "Virtio")
                          .Pci("0000:00:08.0", 0x010000, "pci-stub", false, true, "Virtio")
                          .Node(2, "node2", "5", {"0000:00:08.0"})
                          .Build();
  EXPECT_EQ(apply::StrandedFunctions(host), std::vector<PciBdf>{Bdf("0000:00:07.0")});
  EXPECT_EQ(apply::StrandedFunctions(HostBuilder().Build()), std::vector<PciBdf>{});
}

}  // namespace
}  // namespace mint::testing
