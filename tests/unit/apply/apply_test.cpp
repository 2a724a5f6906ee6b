// apply against recording fakes joined by KernelModel (one ordered log of
// both seams, the kernel's rules enforced): the full sequence in order
// (NODE_CREATE, pci-stub each, NODE_ASSIGN_PCI each, NODE_LOAD, NODE_START),
// and for EVERY step a failure injected there, after which the host must be
// exactly as before: no node, the whole pool free, every function on its own
// driver, no function rebound by node0 while a node still owned it, and
// the ledger (written before each change) empty again.
#include "mint/apply.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fake_bzimage.h"
#include "host_builder.h"
#include "kernel_model.h"
#include "mint/plan.h"

namespace mint::testing {
namespace {

using Strings = std::vector<std::string>;

struct Fixture {
  HostTopology host = HostBuilder().Build();
  Plan plan;
  apply::BootFiles files{MakeBzImage(), std::vector<uint8_t>(8192, 0x42), {}, {}, 0};
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  KernelModel kernel{*seams.device, *seams.pci};
  std::map<PciBdf, std::string> drivers_before = seams.pci->drivers();
  ByteSize pool_before = seams.device->pool_free();
  TempLedger ledger;
  Strings log;

  Fixture() {
    NodeSpec spec = Spec(2, 256ull << 20);
    AddDevice(spec, DeviceKind::kDisk, "sdb");
    AddDevice(spec, DeviceKind::kDisk, "sdc");
    plan = plan::MakePlan(host, spec, plan::KernelImage{"/k", files.kernel, ""}).value();
  }
  Result<apply::Applied> Run() {
    return apply::Apply(plan, files, kernel.device(), kernel.pci(), &ledger.ledger, log);
  }
  void ExpectHostAsBefore() {
    EXPECT_TRUE(seams.device->nodes().empty());
    EXPECT_EQ(seams.device->pool_free(), pool_before);
    EXPECT_EQ(seams.pci->drivers(), drivers_before);
    EXPECT_EQ(kernel.violations(), Strings{});
  }
  void ExpectLedgerEmpty() {
    EXPECT_FALSE(ledger.Entry("node1")) << "the ledger still lists node1";
  }
};

Error Injected(const char* what) { return MakeError(ErrorCode::kIo, "node id 1", what, 5); }

TEST(Apply, RunsEveryStepInTheKernelsOrder) {
  Fixture f;
  auto applied = f.Run();
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  EXPECT_EQ(applied->node_id, 1u);
  EXPECT_EQ(f.kernel.order(), (Strings{"CREATE", "STUB 0000:00:03.0", "STUB 0000:00:04.0",
                                       "ASSIGN 0000:00:03.0", "ASSIGN 0000:00:04.0", "LOAD", "START"}));
  EXPECT_EQ(f.seams.pci->calls(), (Strings{"stub 0000:00:03.0: virtio-pci -> pci-stub",
                                           "stub 0000:00:04.0: virtio-pci -> pci-stub"}));
  const auto& calls = f.seams.device->calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0], "MINT_NODE_CREATE id=1 name=node1 cpus=4-5 numa=0 mem=256 MiB");
  EXPECT_EQ(calls[1], "MINT_NODE_ASSIGN_PCI id=1 pci=0000:00:03.0");
  EXPECT_EQ(calls[2], "MINT_NODE_ASSIGN_PCI id=1 pci=0000:00:04.0");
  EXPECT_EQ(calls[3].rfind("MINT_NODE_LOAD id=1 [0x", 0), 0u) << calls[3];
  EXPECT_EQ(calls[4].rfind("MINT_NODE_START id=1 entry=0x", 0), 0u) << calls[4];
  const auto& node = f.seams.device->nodes().at(1);
  EXPECT_EQ(node.state, NodeState::kRunning);
  EXPECT_EQ(node.devices, (std::vector<PciBdf>{Bdf("0000:00:03.0"), Bdf("0000:00:04.0")}));
  EXPECT_EQ(f.seams.device->pool_free(), ByteSize{(4ull << 30) - (256ull << 20)});
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "mint-owned");
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:04.0")), "mint-owned");
  // The entry point lies inside the node's RAM.
  ASSERT_EQ(applied->ram.size(), 1u);
  EXPECT_GE(applied->entry.value, applied->ram[0].start.value);
  EXPECT_LT(applied->entry.value, applied->ram[0].end());
}

// The model itself: the kernel takes no function node0's driver still has,
// and holds the one it takes until NODE_DESTROY, which leaves it unbound.
TEST(Apply, KernelModelRefusesAssignWhileNode0sDriverHasTheFunction) {
  Fixture f;
  ASSERT_TRUE(f.kernel.device().CreateNode({1, "node1", {CpuId{4}}, -1, ByteSize{64 << 20}}).ok());
  auto assigned = f.kernel.device().AssignPci(1, Bdf("0000:00:03.0"));
  ASSERT_FALSE(assigned.ok());
  EXPECT_EQ(assigned.error().ToString(),
            "node id 1: MINT_NODE_ASSIGN_PCI: 0000:00:03.0 is driven by virtio-pci (Device or "
            "resource busy)");
  ASSERT_TRUE(f.kernel.pci().Stub(Bdf("0000:00:03.0"), "virtio-pci").ok());
  ASSERT_TRUE(f.kernel.device().AssignPci(1, Bdf("0000:00:03.0")).ok());
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "mint-owned");
  ASSERT_TRUE(f.kernel.device().Destroy(1).ok());
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "");
}

// --no-iommu: NODE_CREATE carries MINT_CREATE_NO_IOMMU, the recording fake
// shows it and keeps it for NODE_GET (what restart reads back).
TEST(Apply, NoIommuIsCreatedWithTheFlag) {
  Fixture f;
  f.host = HostBuilder().IommuType("identity").Build();
  NodeSpec spec = Spec(2, 256ull << 20);
  AddDevice(spec, DeviceKind::kDisk, "sdb");
  spec.no_iommu = true;
  f.plan = plan::MakePlan(f.host, spec, plan::KernelImage{"/k", f.files.kernel, ""}).value();
  auto applied = f.Run();
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  EXPECT_EQ(f.kernel.order(), (Strings{"CREATE NO_IOMMU", "STUB 0000:00:03.0",
                                       "ASSIGN 0000:00:03.0", "LOAD", "START"}));
  EXPECT_EQ(f.seams.device->calls()[0],
            "MINT_NODE_CREATE id=1 name=node1 cpus=4-5 numa=0 mem=256 MiB flags=NO_IOMMU");
  EXPECT_EQ(f.log[0],
            "1. NODE_CREATE node1 (id 1): CPUs 4-5, 256 MiB, NUMA node 0, devices unfenced "
            "(MINT_CREATE_NO_IOMMU)");
  auto info = f.kernel.device().GetNode(1);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->no_iommu);
  // Without the flag, NODE_GET says so too.
  Fixture fenced;
  ASSERT_TRUE(fenced.Run().ok());
  EXPECT_FALSE(fenced.kernel.device().GetNode(1)->no_iommu);
}

// The kernel refuses to give a fenced node a function its IOMMU has no
// group for (the model: set_no_iommu_group): apply undoes everything.
TEST(Apply, AFunctionTheKernelCannotFenceIsUndone) {
  Fixture f;
  f.kernel.set_no_iommu_group(Bdf("0000:00:04.0"));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().ToString(),
            "0000:00:04.0: MINT_NODE_ASSIGN_PCI: no IOMMU group, so it cannot be fenced (No such "
            "device)");
  f.ExpectHostAsBefore();
  f.ExpectLedgerEmpty();
}

TEST(Apply, LogNamesEachStepInOrder) {
  Fixture f;
  ASSERT_TRUE(f.Run().ok());
  Strings steps;
  for (const auto& line : f.log)
    if (line[0] != ' ') steps.push_back(line.substr(0, line.find(':')));
  EXPECT_EQ(steps, (Strings{"1. NODE_CREATE node1 (id 1)", "2. stub 0000", "3. stub 0000",
                            "4. NODE_ASSIGN_PCI node1 (id 1)", "5. NODE_ASSIGN_PCI node1 (id 1)",
                            "6. build the boot image", "7. NODE_LOAD node1 (id 1)",
                            "8. NODE_START node1 (id 1)"}));
  EXPECT_EQ(f.log[0], "1. NODE_CREATE node1 (id 1): CPUs 4-5, 256 MiB, NUMA node 0");
  EXPECT_EQ(f.log[1],
            "   got RAM 0x100000000 (256 MiB), APIC ids 4,5, low 0x10000 (64 KiB), shared "
            "0x100000000 (2 MiB), TSC 2000000 kHz, LAPIC 1000000 kHz");
  EXPECT_EQ(f.log[2], "2. stub 0000:00:03.0 (Virtio block device (sdb)): virtio-pci -> pci-stub");
  EXPECT_EQ(f.log[4], "4. NODE_ASSIGN_PCI node1 (id 1): 0000:00:03.0");
}

// Device calls: 1 CREATE, 2-3 ASSIGN_PCI, 4 LOAD, 5 START. Driver calls
// 1-2 are the stubs, which come before both ASSIGN_PCI.
class ApplyDeviceFailure : public ::testing::TestWithParam<size_t> {};

TEST_P(ApplyDeviceFailure, UndoesEverythingAndReturnsTheError) {
  const size_t at = GetParam();
  Fixture f;
  f.seams.device->FailAtCall(at, Injected("injected"));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().ToString(), "node id 1: injected (Input/output error)");
  f.ExpectHostAsBefore();
  f.ExpectLedgerEmpty();
  if (at == 1) {  // NODE_CREATE failed: nothing to undo
    EXPECT_EQ(f.kernel.order(), Strings{"CREATE"});
    return;
  }
  // The node is destroyed first, then what was stubbed goes back, newest first.
  Strings expected{"CREATE", "STUB 0000:00:03.0", "STUB 0000:00:04.0", "ASSIGN 0000:00:03.0"};
  if (at >= 3) expected.push_back("ASSIGN 0000:00:04.0");
  if (at >= 4) expected.push_back("LOAD");
  if (at >= 5) expected.push_back("START");
  expected.insert(expected.end(), {"DESTROY", "RESTORE 0000:00:04.0", "RESTORE 0000:00:03.0"});
  EXPECT_EQ(f.kernel.order(), expected);
  EXPECT_EQ(f.seams.pci->calls(), (Strings{"stub 0000:00:03.0: virtio-pci -> pci-stub",
                                           "stub 0000:00:04.0: virtio-pci -> pci-stub",
                                           "restore 0000:00:04.0: pci-stub -> virtio-pci",
                                           "restore 0000:00:03.0: pci-stub -> virtio-pci"}));
  EXPECT_EQ(f.kernel.violations(), Strings{});
}

INSTANTIATE_TEST_SUITE_P(EveryDeviceStep, ApplyDeviceFailure, ::testing::Values(1, 2, 3, 4, 5));

class ApplyStubFailure : public ::testing::TestWithParam<size_t> {};

TEST_P(ApplyStubFailure, DestroysTheNodeThenRestoresEarlierStubs) {
  Fixture f;
  f.seams.pci->FailAtCall(GetParam(), Injected("stub failed"));
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().message, "stub failed");
  f.ExpectHostAsBefore();
  Strings expected{"CREATE", "STUB 0000:00:03.0"};
  if (GetParam() == 2) expected.push_back("STUB 0000:00:04.0");
  expected.push_back("DESTROY");
  // The failed stub put its own function back; only the earlier one is restored.
  if (GetParam() == 2) expected.push_back("RESTORE 0000:00:03.0");
  EXPECT_EQ(f.kernel.order(), expected);
  // Only the function whose stub failed is still listed (recorded before
  // the stub; the stub put it back itself): recovery finds it on its
  // driver and forgets it.
  auto left = f.ledger.Entry("node1");
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->cpus.empty());
  ASSERT_EQ(left->functions.size(), 1u);
  EXPECT_EQ(left->functions[0].bdf, Bdf(GetParam() == 1 ? "0000:00:03.0" : "0000:00:04.0"));
  EXPECT_EQ(left->functions[0].driver, "virtio-pci");
}

INSTANTIATE_TEST_SUITE_P(EveryStubStep, ApplyStubFailure, ::testing::Values(1, 2));

// Each change is in the ledger before it is made, and stays there while
// the node has it.
TEST(Apply, LedgerRecordsEachChangeBeforeItIsMade) {
  Fixture f;
  Strings seen;
  f.kernel.set_before([&](const std::string& call) {
    auto e = f.ledger.Entry("node1");
    std::string s = call + ":";
    if (e) {
      s += " cpus " + FormatCpuList(e->cpus);
      for (const auto& fn : e->functions) s += " " + fn.bdf.ToString() + "=" + fn.driver;
    }
    seen.push_back(s);
  });
  ASSERT_TRUE(f.Run().ok());
  EXPECT_EQ(seen, (Strings{"CREATE: cpus 4-5", "STUB 0000:00:03.0: cpus 4-5 0000:00:03.0=virtio-pci",
                           "STUB 0000:00:04.0: cpus 4-5 0000:00:03.0=virtio-pci "
                           "0000:00:04.0=virtio-pci",
                           "ASSIGN 0000:00:03.0: cpus 4-5 0000:00:03.0=virtio-pci "
                           "0000:00:04.0=virtio-pci",
                           "ASSIGN 0000:00:04.0: cpus 4-5 0000:00:03.0=virtio-pci "
                           "0000:00:04.0=virtio-pci",
                           "LOAD: cpus 4-5 0000:00:03.0=virtio-pci 0000:00:04.0=virtio-pci",
                           "START: cpus 4-5 0000:00:03.0=virtio-pci 0000:00:04.0=virtio-pci"}));
  auto entry = f.ledger.Entry("node1");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->id, 1u);
  EXPECT_FALSE(entry->restarting);
}

// A ledger that cannot be written stops apply before NODE_CREATE.
TEST(Apply, UnwritableLedgerChangesNothing) {
  Fixture f;
  std::ofstream(f.ledger.dir + "/ledger") << "a file where the directory should be";
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().context, f.ledger.dir + "/ledger");
  EXPECT_NE(applied.error().message.find("mint records there what it changes on node0, before "
                                         "changing it"),
            std::string::npos)
      << applied.error().ToString();
  EXPECT_EQ(f.kernel.order(), Strings{});
}

// A function node0 had no driver for goes back to no driver: the undo must
// not bind one (drivers_probe would bind whatever matches it).
TEST(Apply, UndoLeavesAFunctionThatHadNoDriverWithoutOne) {
  HostTopology host =
      HostBuilder().Pci("0000:00:07.0", 0x020000, "", false, true, "Unbound NIC").Build();
  NodeSpec spec = Spec(2, 256ull << 20);
  AddDevice(spec, DeviceKind::kPci, "0000:00:07.0");
  apply::BootFiles files{MakeBzImage(), std::vector<uint8_t>(8192, 0x42), {}, {}, 0};
  Plan plan = plan::MakePlan(host, spec, plan::KernelImage{"/k", files.kernel, ""}).value();
  FakeSeams seams = MakeFakeSeams(host, 64ull << 30);
  seams.device->FailAtCall(4, Injected("MINT_NODE_START failed"));  // CREATE ASSIGN LOAD START
  TempLedger ledger;
  Strings log;
  auto applied = apply::Apply(plan, files, *seams.device, *seams.pci, &ledger.ledger, log);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(seams.pci->calls(), (Strings{"stub 0000:00:07.0: no driver -> pci-stub",
                                         "restore 0000:00:07.0: pci-stub -> no driver"}));
  EXPECT_EQ(seams.pci->drivers().at(Bdf("0000:00:07.0")), "");
  EXPECT_FALSE(ledger.Entry("node1"));
}

TEST(Apply, BootImageFailureIsUndone) {
  Fixture f;
  f.plan.cmdline = std::string(4096, 'x');  // longer than the image's cmdline_size
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message.find("cmdline_size"), std::string::npos)
      << applied.error().ToString();
  f.ExpectHostAsBefore();
  EXPECT_EQ(f.seams.device->calls().back(), "MINT_NODE_DESTROY id=1");
  EXPECT_EQ(f.kernel.order().back(), "RESTORE 0000:00:03.0");
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

// If NODE_DESTROY fails during the undo, the node still owns its functions:
// node0 must not take them back, and the error says what is left and how.
TEST(Apply, FailedDestroyLeavesTheFunctionsHeldAndSaysSo) {
  Fixture f;
  f.seams.device->FailAtCall(4, Injected("MINT_NODE_LOAD failed"));  // LOAD
  f.seams.device->FailAtCall(
      5, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_DESTROY failed", 16));  // the undo
  auto applied = f.Run();
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().ToString(),
            "node id 1: MINT_NODE_LOAD failed; undoing it did not fully work, fix by hand: "
            "NODE_DESTROY node1 (id 1) failed: node id 1: MINT_NODE_DESTROY failed (Device or "
            "resource busy); restore 0000:00:04.0: pci-stub -> virtio-pci skipped: 0000:00:04.0 "
            "stays off node0's drivers while node1 exists; mintctl destroy node1 gives it back "
            "to node0; restore 0000:00:03.0: pci-stub -> virtio-pci skipped: 0000:00:03.0 stays "
            "off node0's drivers while node1 exists; mintctl destroy node1 gives it back to "
            "node0 (Input/output error)");
  EXPECT_EQ(f.kernel.order(),
            (Strings{"CREATE", "STUB 0000:00:03.0", "STUB 0000:00:04.0", "ASSIGN 0000:00:03.0",
                     "ASSIGN 0000:00:04.0", "LOAD", "DESTROY"}));
  EXPECT_EQ(f.kernel.violations(), Strings{});
  EXPECT_EQ(f.seams.pci->drivers().at(Bdf("0000:00:03.0")), "mint-owned");
  EXPECT_EQ(f.log.back(),
            "   skipped: 0000:00:03.0 stays off node0's drivers while node1 exists; mintctl "
            "destroy node1 gives it back to node0");
}

}  // namespace
}  // namespace mint::testing
