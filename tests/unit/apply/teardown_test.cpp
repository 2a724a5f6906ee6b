// Teardown and GiveBack (mintctl destroy, mintctl recover) against the
// recording fakes joined by KernelModel: NODE_DESTROY strictly before any
// function goes back to node0, nothing given back when NODE_DESTROY fails,
// every function tried even when one fails, exact error text; only what
// the ledger lists is given back, each to the driver it had; and the
// leftovers of a killed mintctl (functions still on their driver, on
// pci-stub).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

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
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  std::map<PciBdf, std::string> drivers_before = seams.pci->drivers();
  ByteSize pool_before = seams.device->pool_free();
  TempLedger ledger;
  MintNode node;
  Strings log;

  explicit Booted(bool start = true) {
    NodeSpec spec = Spec(2, 256ull << 20);
    AddDevice(spec, DeviceKind::kDisk, "sdb");
    AddDevice(spec, DeviceKind::kDisk, "sdc");
    apply::BootFiles files{MakeBzImage(), std::vector<uint8_t>(8192, 0x42), {}, {}, 0};
    Plan plan = plan::MakePlan(host, spec, plan::KernelImage{"/k", files.kernel, ""}).value();
    if (!start) files = apply::BootFiles{};  // stops after the stubs and ASSIGN_PCI
    Strings apply_log;
    EXPECT_TRUE(
        apply::Apply(plan, files, *seams.device, *seams.pci, &ledger.ledger, apply_log).ok());
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
  ASSERT_TRUE(apply::Teardown(b.node, kernel.device(), kernel.pci(), b.ledger.ledger, b.log).ok());
  EXPECT_EQ(kernel.order(), (Strings{"DESTROY", "RESTORE 0000:00:03.0", "RESTORE 0000:00:04.0"}));
  EXPECT_EQ(kernel.violations(), Strings{});
  EXPECT_TRUE(b.seams.device->nodes().empty());
  EXPECT_EQ(b.seams.device->pool_free(), b.pool_before);
  EXPECT_EQ(b.seams.pci->drivers(), b.drivers_before);
  EXPECT_EQ(b.log, (Strings{"NODE_DESTROY node1 (id 1)",
                            "give 0000:00:03.0 back to node0: driver_override cleared, bound to "
                            "virtio-pci, SCSI hosts scanned",
                            "give 0000:00:04.0 back to node0: driver_override cleared, bound to "
                            "virtio-pci, SCSI hosts scanned"}));
  EXPECT_EQ(b.seams.pci->calls().back(), "restore 0000:00:04.0: pci-stub -> virtio-pci");
  EXPECT_FALSE(b.ledger.Entry("node1"));  // everything given back: the entry is gone
}

TEST(Teardown, FailedDestroyGivesNothingBack) {
  Booted b(false);
  b.seams.device->FailAtCall(
      b.seams.device->calls().size() + 1,
      MakeError(ErrorCode::kConflict, "node1",
                "MINT_NODE_DESTROY: the node is running; stop it first", 16));
  KernelModel kernel(*b.seams.device, *b.seams.pci);
  auto done = apply::Teardown(b.node, kernel.device(), kernel.pci(), b.ledger.ledger, b.log);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kConflict);
  auto entry = b.ledger.Entry("node1");  // nothing undone, nothing forgotten
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->cpus.size(), 2u);
  EXPECT_EQ(entry->functions.size(), 2u);
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
  b.seams.pci->FailAtCall(first_give_back,
                          MakeError(ErrorCode::kIo, "/sys/bus/pci/drivers/virtio-pci/bind",
                                    "writing 0000:00:03.0 failed", 19));
  KernelModel kernel(*b.seams.device, *b.seams.pci);
  auto done = apply::Teardown(b.node, kernel.device(), kernel.pci(), b.ledger.ledger, b.log);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kIo);
  EXPECT_EQ(done.error().sys_errno, 19);
  EXPECT_EQ(done.error().ToString(),
            "node1: 1 of 2 function(s) did not come back to node0: 0000:00:03.0: "
            "/sys/bus/pci/drivers/virtio-pci/bind: writing 0000:00:03.0 failed (No such device); "
            "finish by hand: echo > /sys/bus/pci/devices/0000:00:03.0/driver_override; echo "
            "0000:00:03.0 > /sys/bus/pci/drivers/pci-stub/unbind; echo 0000:00:03.0 > "
            "/sys/bus/pci/drivers/virtio-pci/bind (No such device)");
  // The one that did not come back stays in the ledger, for recovery.
  auto entry = b.ledger.Entry("node1");
  ASSERT_TRUE(entry);
  EXPECT_TRUE(entry->cpus.empty());
  ASSERT_EQ(entry->functions.size(), 1u);
  EXPECT_EQ(entry->functions[0].bdf, Bdf("0000:00:03.0"));
  // The second function came back although the first did not.
  EXPECT_EQ(kernel.order(), (Strings{"DESTROY", "RESTORE 0000:00:03.0", "RESTORE 0000:00:04.0"}));
  EXPECT_EQ(b.seams.pci->drivers().at(Bdf("0000:00:04.0")), "virtio-pci");
  EXPECT_TRUE(b.seams.device->nodes().empty());
}

// A mintctl killed after the first stub, before NODE_ASSIGN_PCI: the node
// is `created` and owns nothing, 0000:00:03.0 is on pci-stub (in the
// ledger), 0000:00:04.0 still on virtio-pci (not in it). Teardown gives
// back the first, leaves the second where it is, and frees the node.
TEST(Teardown, RecoversANodeKilledBetweenItsStubs) {
  HostTopology host = HostBuilder().Build();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  auto drivers_before = seams.pci->drivers();
  TempLedger ledger;
  ASSERT_TRUE(ledger.ledger.TakeCpus("node1", 1, {CpuId{4}}).ok());
  ASSERT_TRUE(seams.device->CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{64 << 20}}).ok());
  ASSERT_TRUE(ledger.ledger.AddFunction("node1", Bdf("0000:00:03.0"), "virtio-pci").ok());
  ASSERT_TRUE(seams.pci->Stub(Bdf("0000:00:03.0"), "virtio-pci").ok());  // killed after this
  MintNode node{1, "node1", NodeState::kCreated, {CpuId{4}}, {}, {}, {}, 0, "", "", {}, {}};
  KernelModel kernel(*seams.device, *seams.pci);
  Strings log;
  ASSERT_TRUE(apply::Teardown(node, kernel.device(), kernel.pci(), ledger.ledger, log).ok());
  EXPECT_EQ(kernel.order(), (Strings{"DESTROY", "RESTORE 0000:00:03.0"}));
  EXPECT_EQ(kernel.violations(), Strings{});
  EXPECT_EQ(seams.pci->drivers(), drivers_before);
  EXPECT_TRUE(seams.device->nodes().empty());
  EXPECT_FALSE(ledger.Entry("node1"));
}

// A node whose function the ledger does not list (booted by a mintctl
// without the ledger): the function is not mint's to move, so it stays on
// pci-stub and the log says how to give it back by hand.
TEST(Teardown, LeavesAFunctionTheLedgerDoesNotListAsItIs) {
  HostTopology host = HostBuilder().Build();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  TempLedger ledger;
  ASSERT_TRUE(seams.device->CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{64 << 20}}).ok());
  ASSERT_TRUE(seams.device->AssignPci(1, Bdf("0000:00:03.0")).ok());
  ASSERT_TRUE(seams.pci->Stub(Bdf("0000:00:03.0"), "virtio-pci").ok());
  MintNode node{1,  "node1", NodeState::kCreated, {CpuId{4}}, {}, {}, {Bdf("0000:00:03.0")}, 0, "",
                "", {}, {}};
  Strings log;
  ASSERT_TRUE(apply::Teardown(node, *seams.device, *seams.pci, ledger.ledger, log).ok());
  EXPECT_EQ(log, (Strings{"NODE_DESTROY node1 (id 1)",
                          "0000:00:03.0: mint's ledger has no record of moving it off a node0 "
                          "driver, so it is left as it is (if it is on pci-stub and node0 should "
                          "have it: echo > /sys/bus/pci/devices/0000:00:03.0/driver_override; "
                          "echo 0000:00:03.0 > /sys/bus/pci/drivers/pci-stub/unbind; echo "
                          "0000:00:03.0 > /sys/bus/pci/drivers_probe)"}));
  EXPECT_EQ(seams.pci->drivers().at(Bdf("0000:00:03.0")), "pci-stub");
  EXPECT_EQ(seams.pci->calls().size(), 1u);  // the stub above, nothing after
}

// A ledger that cannot be read stops teardown before NODE_DESTROY.
TEST(Teardown, UnreadableLedgerDestroysNothing) {
  HostTopology host = HostBuilder().Build();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  ASSERT_TRUE(seams.device->CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{64 << 20}}).ok());
  TempLedger ledger;
  std::filesystem::create_directories(ledger.dir + "/ledger");
  std::ofstream(ledger.dir + "/ledger/node1.json") << "{\"version\": 9}";
  MintNode node{1, "node1", NodeState::kCreated, {CpuId{4}}, {}, {}, {}, 0, "", "", {}, {}};
  Strings log;
  auto done = apply::Teardown(node, *seams.device, *seams.pci, ledger.ledger, log);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().ToString(),
            ledger.dir +
                "/ledger/node1.json: not a mint ledger (version 9, expected 1); it records what "
                "mint changed on node0: see docs/mintctl.md (Locking and recovery) before "
                "removing it");
  EXPECT_EQ(seams.device->nodes().count(1), 1u);
  EXPECT_EQ(log, Strings{});
}

TEST(Teardown, ANodeWithoutFunctionsIsJustDestroyed) {
  HostTopology host = HostBuilder().Build();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  ASSERT_TRUE(seams.device->CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64 << 20}}).ok());
  MintNode node;
  node.id = 2;
  node.name = "node2";
  Strings log;
  TempLedger ledger;
  ASSERT_TRUE(apply::Teardown(node, *seams.device, *seams.pci, ledger.ledger, log).ok());
  EXPECT_EQ(log, Strings{"NODE_DESTROY node2 (id 2)"});
  EXPECT_EQ(seams.pci->calls(), Strings{});
}

TEST(GiveBack, NothingToGiveBackIsFine) {
  HostTopology host = HostBuilder().Build();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  Strings log;
  TempLedger ledger;
  EXPECT_TRUE(apply::GiveBack("node1", {}, *seams.pci, ledger.ledger, log).ok());
  EXPECT_EQ(log, Strings{});
}

}  // namespace
}  // namespace mint::testing
