// Restart (same resources from MINT_NODE_GET, image from the recipe),
// Kill, WaitForAgent and Recover, against FakeKernel and a sysfs tree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "fake_bzimage.h"
#include "fake_host.h"
#include "fake_vmlinux.h"

namespace mint::testing {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        kernel_.CreateNode({1, "node1", {CpuId{2}, CpuId{3}}, -1, ByteSize{256ull << 20}}).ok());
    kernel_.SetState(1, NodeState::kRunning);
    root_.Node(1, "node1", "running", "", "", "ready");
    lifecycle::Recipe r;
    r.name = "node1";
    r.kernel = "/boot/mint/bzImage";
    r.initrd = "/boot/mint/node-initrd.img";
    r.cmdline = "console=mint mint_node_name=node1";
    ASSERT_TRUE(lifecycle::WriteRecipe(root_.root(), r).ok());
    files_["/boot/mint/bzImage"] = MakeBzImage();
    files_["/boot/mint/node-initrd.img"] = std::vector<uint8_t>(4096, 0x42);
  }
  lifecycle::ReadFileFn Reader() {
    return [this](const std::string& path) -> Result<std::vector<uint8_t>> {
      auto it = files_.find(path);
      if (it == files_.end())
        return MakeError(ErrorCode::kNotFound, path, "cannot read it", ENOENT);
      return it->second;
    };
  }
  Result<void> Restart() {
    return lifecycle::Restart(root_.root(), root_.fs(), kernel_, "node1", Reader(), {}, log_);
  }
  // The calls after CreateNode.
  std::vector<std::string> Calls() { return {kernel_.calls().begin() + 1, kernel_.calls().end()}; }

  FakeRoot root_;
  FakeKernel kernel_{root_};
  std::map<std::string, std::vector<uint8_t>> files_;
  std::vector<std::string> log_;
};

TEST_F(RestartTest, RunningNodeIsStoppedThenLoadedAndStartedOnItsOwnResources) {
  ASSERT_TRUE(Restart().ok());
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], "MINT_NODE_STOP id=1 timeout_ms=10000");
  EXPECT_EQ(calls[1], "MINT_NODE_GET id=1");
  EXPECT_TRUE(StartsWith(calls[2], "MINT_NODE_LOAD id=1 [0x10")) << calls[2];
  EXPECT_TRUE(StartsWith(calls[3], "MINT_NODE_START id=1 entry=0x10")) << calls[3];
  ASSERT_EQ(log_.size(), 5u);
  EXPECT_EQ(log_[0], "NODE_STOP node1 (id 1): asked to shut down (up to 10000 ms)");
  EXPECT_EQ(log_[1],
            "build the boot image: /boot/mint/bzImage, /boot/mint/node-initrd.img, cmdline "
            "\"console=mint mint_node_name=node1\"");
  // The fake image has no compressed kernel: it boots as it is.
  EXPECT_EQ(log_[2],
            "   kernel boots compressed: its header gives the compressed kernel 0 "
            "bytes (payload_length), too few to hold one; the file is damaged; "
            "text placed by its decompressor")
      << log_[2];
  EXPECT_TRUE(StartsWith(log_[3], "NODE_LOAD node1 (id 1): kernel at 0x10")) << log_[3];
  EXPECT_TRUE(StartsWith(log_[4], "NODE_START node1 (id 1): entry 0x10")) << log_[4];
  EXPECT_EQ(root_.Read("/sys/kernel/mint/nodes/1/state"), "booting\n");
}

TEST_F(RestartTest, AnExpandableKernelIsLoadedExpandedFromTheCacheTheSecondTime) {
  using boot::testing::CompressForKernel;
  using boot::testing::FakeCompression;
  files_["/boot/mint/bzImage"] = boot::testing::MakeBzImageWithPayload(
      CompressForKernel(boot::testing::MakeFakeVmlinux(), FakeCompression::kXz));
  for (const char* how : {"   kernel expanded (xz, ", "   kernel expanded, from the cache ("}) {
    log_.clear();
    ASSERT_TRUE(Restart().ok());
    ASSERT_EQ(log_.size(), 5u);
    EXPECT_TRUE(StartsWith(log_[2], how)) << log_[2];
    EXPECT_NE(log_[3].find(", kernel.1 at 0x"), std::string::npos) << log_[3];
    kernel_.SetState(1, NodeState::kRunning);
  }
  // startup_64 of the fake vmlinux is 0x10 past the 2 MiB aligned load address.
  EXPECT_NE(kernel_.calls().back().find("0010 boot_params="), std::string::npos)
      << kernel_.calls().back();
}

TEST_F(RestartTest, RunningNodeThatDoesNotStopIsForced) {
  kernel_.FailAtCall(2, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_STOP failed", ETIMEDOUT));
  ASSERT_TRUE(Restart().ok());
  auto calls = Calls();
  EXPECT_EQ(calls[0], "MINT_NODE_STOP id=1 timeout_ms=10000");
  EXPECT_EQ(calls[1], "MINT_NODE_STOP id=1 force");
  EXPECT_EQ(log_[1], "   node id 1: MINT_NODE_STOP failed (Connection timed out); forcing it");
  EXPECT_EQ(log_[2], "NODE_STOP node1 (id 1): forced");
}

TEST_F(RestartTest, CrashedNodeIsForcedAndAlreadyParkedIsFine) {
  root_.State(1, "crashed", "Kernel panic - not syncing: sysrq triggered crash");
  kernel_.FailAtCall(2, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_STOP failed", EALREADY));
  ASSERT_TRUE(Restart().ok());
  auto calls = Calls();
  EXPECT_EQ(calls[0], "MINT_NODE_STOP id=1 force");
  EXPECT_EQ(calls[1], "MINT_NODE_GET id=1");
  EXPECT_EQ(log_[0],
            "NODE_STOP node1 (id 1): forced (it is crashed), so its CPUs wait for a new start");
}

TEST_F(RestartTest, MissingKernelChangesNothing) {
  files_.erase("/boot/mint/bzImage");
  auto r = Restart();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "/boot/mint/bzImage: cannot read the kernel of node1's boot recipe (cannot read it); "
            "nothing was changed (No such file or directory)");
  EXPECT_TRUE(Calls().empty());
  files_["/boot/mint/bzImage"] = MakeBzImage();
  files_.erase("/boot/mint/node-initrd.img");
  EXPECT_EQ(Restart().error().ToString(),
            "/boot/mint/node-initrd.img: cannot read the initramfs of node1's boot recipe (cannot "
            "read it); nothing was changed (No such file or directory)");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(RestartTest, NoRecipeOrNoNode) {
  ASSERT_TRUE(lifecycle::RemoveRecipe(root_.root(), "node1").ok());
  EXPECT_EQ(Restart().error().ToString(),
            root_.root() +
                "/run/mint/nodes/node1.json: no boot recipe for node1: mintctl restart and watch "
                "know only nodes booted by mintctl since node0 booted; destroy the node and boot "
                "it again");
  EXPECT_EQ(lifecycle::Restart(root_.root(), root_.fs(), kernel_, "node5", Reader(), {}, log_)
                .error()
                .ToString(),
            "node5: no node with this name; mintctl status lists the nodes");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(RestartTest, NodeWithDevicesNeedsTheRecipesEcam) {
  root_.Node(1, "node1", "crashed", "", "0000:00:03.0\n");
  EXPECT_EQ(Restart().error().ToString(),
            root_.root() +
                "/run/mint/nodes/node1.json: the node owns PCI functions but its boot recipe has "
                "no ECAM window; destroy the node and boot it again");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(RestartTest, FailedStartLeavesTheNodeStoppedAndSaysSo) {
  kernel_.FailAtCall(5, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_START failed", EBUSY));
  EXPECT_EQ(Restart().error().ToString(),
            "node id 1: MINT_NODE_START failed; node1 is left stopped: mintctl restart node1 tries "
            "again, mintctl destroy node1 frees it (Device or resource busy)");
}

TEST_F(RestartTest, KillTreatsAlreadyParkedAsDone) {
  auto node = *lifecycle::FindNode(root_.fs(), "node1");
  kernel_.FailAtCall(2, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_STOP failed", EALREADY));
  EXPECT_TRUE(lifecycle::Kill(kernel_, node).ok());
  kernel_.FailAtCall(3, MakeError(ErrorCode::kIo, "node id 1", "MINT_NODE_STOP failed", EIO));
  EXPECT_EQ(lifecycle::Kill(kernel_, node).error().ToString(),
            "node id 1: MINT_NODE_STOP failed (Input/output error)");
}

TEST_F(RestartTest, WaitForAgent) {
  FakeClock clock;
  auto node = *lifecycle::FindNode(root_.fs(), "node1");
  EXPECT_TRUE(lifecycle::WaitForAgent(root_.fs(), node, std::chrono::seconds(1), clock).ok());
  root_.Write("/sys/kernel/mint/nodes/1/agent", "absent\n");
  auto start = clock.Now();
  EXPECT_EQ(
      lifecycle::WaitForAgent(root_.fs(), node, std::chrono::seconds(2), clock).error().ToString(),
      "node1: the node is running but its mint-agent did not report ready within 2 s "
      "(/sys/kernel/mint/nodes/1/agent says absent); mintctl console node1 shows why");
  EXPECT_GE(clock.Now() - start, std::chrono::seconds(2));
  root_.State(1, "crashed", "Kernel panic - not syncing: Attempted to kill init!");
  EXPECT_EQ(
      lifecycle::WaitForAgent(root_.fs(), node, std::chrono::seconds(2), clock).error().ToString(),
      "node1: the node is crashed (Kernel panic - not syncing: Attempted to kill init!) "
      "instead of running; its mint-agent never reported ready");
  root_.State(1, "running");
  std::filesystem::remove(root_.root() + "/sys/kernel/mint/nodes/1/agent");
  EXPECT_TRUE(lifecycle::WaitForAgent(root_.fs(), node, std::chrono::seconds(2), clock).ok());
}

TEST_F(RestartTest, MarksTheNodeRestartingInItsLedgerBetweenLoadAndStart) {
  apply::Ledger ledger(lifecycle::LedgerDir(root_.root()));
  std::vector<bool> marked;
  kernel_.set_before_start([&] { marked.push_back(ledger.Read("node1").value()->restarting); });
  ASSERT_TRUE(Restart().ok());
  EXPECT_EQ(marked, std::vector<bool>{true});
  auto entry = ledger.Read("node1").value();
  ASSERT_TRUE(entry);  // a node booted before the ledger gets an entry with its CPUs
  EXPECT_FALSE(entry->restarting);
  EXPECT_EQ(entry->id, 1u);
  EXPECT_EQ(entry->cpus, (std::vector<CpuId>{CpuId{2}, CpuId{3}}));
}

TEST_F(RestartTest, UnwritableLedgerStopsBeforeNodeLoad) {
  root_.Write("/run/mint/ledger", "a file where the directory should be");
  auto r = Restart();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().context, root_.root() + "/run/mint/ledger");
  EXPECT_NE(r.error().message.find("; node1 is left stopped: mintctl restart node1 tries again"),
            std::string::npos)
      << r.error().ToString();
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);  // stopped and read, never loaded
  EXPECT_EQ(calls[1], "MINT_NODE_GET id=1");
}

// The host as recovery sees it: the fake kernel's nodes with their state,
// and PCI functions on the drivers given.
HostTopology HostOf(const sys::RecordingMintDevice& kernel,
                    const std::map<uint32_t, NodeState>& states,
                    const std::map<PciBdf, std::string>& drivers) {
  HostTopology host;
  host.mint.present = true;
  for (const auto& [id, n] : kernel.nodes()) {
    MintNode m;
    m.id = id;
    m.name = n.request.name;
    m.state = states.count(id) ? states.at(id) : n.state;
    m.cpus = n.request.cpus;
    m.devices = n.devices;
    host.mint.nodes.push_back(m);
  }
  for (const auto& [bdf, driver] : drivers) {
    PciFunction f;
    f.bdf = bdf;
    f.driver = driver;
    host.pci.push_back(f);
  }
  return host;
}

const PciBdf kOwned = *PciBdf::Parse("0000:00:03.0");
const PciBdf kStranded = *PciBdf::Parse("0000:00:04.0");
const PciBdf kAdmins = *PciBdf::Parse("0000:00:06.0");
const PciBdf kBack = *PciBdf::Parse("0000:00:07.0");

class RecoverTest : public ::testing::Test {
 protected:
  apply::Ledger& ledger() { return ledger_; }
  Result<void> Recover(const HostTopology& host, sys::RecordingPciDriver& pci) {
    return lifecycle::Recover(root_.root(), host, kernel_, pci, out_);
  }
  bool Logged(const std::string& line) {
    return std::find(out_.log.begin(), out_.log.end(), line) != out_.log.end();
  }
  void WriteRecipe(const std::string& name) {
    lifecycle::Recipe r;
    r.name = name;
    ASSERT_TRUE(lifecycle::WriteRecipe(root_.root(), r).ok());
  }

  FakeRoot root_;
  FakeKernel kernel_{root_};
  apply::Ledger ledger_{lifecycle::LedgerDir(root_.root())};
  lifecycle::Recovery out_;
};

TEST_F(RecoverTest, TearsDownHalfMadeNodesGivesBackWhatTheLedgerListsAndDropsOrphanRecipes) {
  // node1: a boot killed after its stub; node2 running; node5 destroyed by
  // a mintctl killed before it gave 0000:00:04.0 back.
  ASSERT_TRUE(ledger().TakeCpus("node1", 1, {CpuId{2}}).ok());
  ASSERT_TRUE(kernel_.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  ASSERT_TRUE(kernel_.AssignPci(1, kOwned).ok());
  ASSERT_TRUE(ledger().AddFunction("node1", kOwned, "virtio-pci").ok());
  ASSERT_TRUE(kernel_.CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64ull << 20}}).ok());
  kernel_.SetState(2, NodeState::kRunning);
  ASSERT_TRUE(ledger().AddFunction("node5", kStranded, "virtio-pci").ok());
  sys::RecordingPciDriver pci({{kOwned, "pci-stub"}, {kStranded, "pci-stub"}});
  for (const char* name : {"node1", "node2", "node3"}) WriteRecipe(name);
  ASSERT_TRUE(lifecycle::WriteRestartCount(root_.root(), "node1", 1, 2).ok());
  auto r = Recover(HostOf(kernel_, {}, pci.drivers()), pci);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out_.log.front(),
            "node1 (id 1) was left created by a mintctl that did not finish; tearing it down");
  EXPECT_TRUE(
      Logged("0000:00:04.0 is on pci-stub, where mint put it for node5, which no longer exists (a "
             "mintctl stopped between NODE_DESTROY and giving it back); giving it back to node0 "
             "(virtio-pci)"));
  EXPECT_EQ(out_.log.back(), "removed the boot recipe of node3, which no longer exists");
  EXPECT_EQ(kernel_.calls().back(), "MINT_NODE_DESTROY id=1");
  EXPECT_EQ(kernel_.nodes().count(1), 0u);
  EXPECT_EQ(kernel_.nodes().count(2), 1u);
  EXPECT_EQ(pci.calls(),
            (std::vector<std::string>{"restore 0000:00:03.0: pci-stub -> virtio-pci",
                                      "restore 0000:00:04.0: pci-stub -> virtio-pci"}));
  EXPECT_EQ(lifecycle::ListRecipes(root_.root()), std::vector<std::string>{"node2"});
  EXPECT_EQ(out_.torn_down, std::set<std::string>{"node1"});
  std::vector<Error> errors;
  EXPECT_TRUE(ledger().ReadAll(errors).empty());  // everything it listed is back
  EXPECT_FALSE(std::filesystem::exists(lifecycle::RestartCountPath(root_.root(), "node1")));
}

// NODE_DESTROY let go of 0000:00:04.0 (the kernel leaves it unbound) and
// the mintctl was killed before it bound virtio-pci again: given back.
TEST_F(RecoverTest, GivesBackAFunctionNodeDestroyLeftUnbound) {
  ASSERT_TRUE(ledger().AddFunction("node5", kStranded, "virtio-pci").ok());
  sys::RecordingPciDriver pci({{kStranded, ""}});
  auto r = Recover(HostOf(kernel_, {}, pci.drivers()), pci);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out_.log, (std::vector<std::string>{
                          "0000:00:04.0 is unbound, where mint put it for node5, which no longer "
                          "exists (a mintctl stopped between NODE_DESTROY and giving it back); "
                          "giving it back to node0 (virtio-pci)",
                          "give 0000:00:04.0 back to node0: driver_override cleared, bound to "
                          "virtio-pci, SCSI hosts scanned"}));
  EXPECT_EQ(pci.drivers().at(kStranded), "virtio-pci");
  std::vector<Error> errors;
  EXPECT_TRUE(ledger().ReadAll(errors).empty());
}

// An administrator parked 0000:00:06.0 on pci-stub for node0's own VFIO:
// no node owns it, but mint's ledger never listed it, so recovery leaves it.
TEST_F(RecoverTest, LeavesAnAdministratorsPciStubFunctionAlone) {
  sys::RecordingPciDriver pci({{kAdmins, "pci-stub"}});
  WriteRecipe("node3");  // something for recovery to do
  auto r = Recover(HostOf(kernel_, {}, pci.drivers()), pci);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out_.log,
            std::vector<std::string>{"removed the boot recipe of node3, which no longer exists"});
  EXPECT_EQ(pci.calls(), std::vector<std::string>{});
  EXPECT_EQ(pci.drivers().at(kAdmins), "pci-stub");
}

// A function the ledger lists that is no longer on pci-stub (back on its
// driver after an undo whose entry could not be forgotten, or moved by
// someone since): only forgotten.
TEST_F(RecoverTest, ForgetsWhatIsAlreadyUndone) {
  ASSERT_TRUE(ledger().TakeCpus("node5", 5, {CpuId{4}}).ok());
  ASSERT_TRUE(ledger().AddFunction("node5", kBack, "virtio-pci").ok());
  ASSERT_TRUE(ledger().AddFunction("node5", kAdmins, "").ok());
  sys::RecordingPciDriver pci({{kBack, "virtio-pci"}, {kAdmins, "vfio-pci"}});
  auto r = Recover(HostOf(kernel_, {}, pci.drivers()), pci);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out_.log,
            (std::vector<std::string>{
                "the ledger of node5 lists CPUs 4, but no node node5 exists (NODE_DESTROY gave "
                "them back, or NODE_CREATE never took them); forgotten",
                "the ledger of node5 lists 0000:00:07.0 (node0 had it on virtio-pci); it is on "
                "virtio-pci now, so it is left there; forgotten",
                "the ledger of node5 lists 0000:00:06.0 (node0 had it on no driver); it is on "
                "vfio-pci now, so it is left there; forgotten"}));
  EXPECT_EQ(pci.calls(), std::vector<std::string>{});
  EXPECT_FALSE(ledger().Read("node5").value());
}

// A function that had no driver goes back to none.
TEST_F(RecoverTest, AFunctionThatHadNoDriverStaysDriverless) {
  ASSERT_TRUE(ledger().AddFunction("node5", kBack, "").ok());
  sys::RecordingPciDriver pci({{kBack, "pci-stub"}});
  ASSERT_TRUE(Recover(HostOf(kernel_, {}, pci.drivers()), pci).ok());
  EXPECT_EQ(pci.calls(), std::vector<std::string>{"restore 0000:00:07.0: pci-stub -> no driver"});
  EXPECT_EQ(pci.drivers().at(kBack), "");
}

// mintctl restart killed between NODE_LOAD and NODE_START: node1 is
// `loaded`, its ledger says restarting. Recovery keeps it as node1 (its
// resources, recipe and ledger), and a restart then boots it; a plain boot
// leftover (node2, `loaded` without the mark) is still torn down.
TEST_F(RecoverTest, AKilledRestartIsKeptAsTheNodeAndRestartsAgain) {
  ASSERT_TRUE(ledger().TakeCpus("node1", 1, {CpuId{2}, CpuId{3}}).ok());
  ASSERT_TRUE(
      kernel_.CreateNode({1, "node1", {CpuId{2}, CpuId{3}}, -1, ByteSize{256ull << 20}}).ok());
  kernel_.SetState(1, NodeState::kRunning);
  root_.Node(1, "node1", "crashed", "Kernel panic");
  lifecycle::Recipe recipe;
  recipe.name = "node1";
  recipe.kernel = "/k";
  recipe.initrd = "/i";
  ASSERT_TRUE(lifecycle::WriteRecipe(root_.root(), recipe).ok());
  std::map<std::string, std::vector<uint8_t>> files{{"/k", MakeBzImage()},
                                                    {"/i", std::vector<uint8_t>(4096, 1)}};
  auto read = [&](const std::string& path) -> Result<std::vector<uint8_t>> {
    return files.at(path);
  };
  // The restart "is killed" right before NODE_START: here START fails.
  kernel_.FailAtCall(kernel_.calls().size() + 4, MakeError(ErrorCode::kIo, "node id 1", "killed"));
  std::vector<std::string> log;
  ASSERT_FALSE(lifecycle::Restart(root_.root(), root_.fs(), kernel_, "node1", read, {}, log).ok());
  ASSERT_EQ(root_.Read("/sys/kernel/mint/nodes/1/state"), "loaded\n");
  ASSERT_TRUE(ledger().Read("node1").value()->restarting);

  ASSERT_TRUE(ledger().TakeCpus("node2", 2, {CpuId{4}}).ok());
  ASSERT_TRUE(kernel_.CreateNode({2, "node2", {CpuId{4}}, -1, ByteSize{64ull << 20}}).ok());
  kernel_.SetState(2, NodeState::kLoaded);
  WriteRecipe("node2");
  sys::RecordingPciDriver pci({});
  auto r = Recover(HostOf(kernel_, {{1, NodeState::kLoaded}}, {}), pci);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(out_.log.front(),
            "node1 (id 1) was left loaded by a mintctl restart that did not finish; kept with "
            "its CPUs, memory, functions and boot recipe: mintctl restart node1 starts it, "
            "mintctl destroy node1 frees it");
  EXPECT_EQ(out_.log[1],
            "node2 (id 2) was left loaded by a mintctl that did not finish; tearing it down");
  EXPECT_EQ(out_.torn_down, std::set<std::string>{"node2"});
  EXPECT_EQ(kernel_.nodes().count(1), 1u);
  EXPECT_EQ(kernel_.nodes().count(2), 0u);
  EXPECT_EQ(lifecycle::ListRecipes(root_.root()), std::vector<std::string>{"node1"});
  ASSERT_TRUE(lifecycle::Restart(root_.root(), root_.fs(), kernel_, "node1", read, {}, log).ok());
  EXPECT_EQ(root_.Read("/sys/kernel/mint/nodes/1/state"), "booting\n");
  EXPECT_FALSE(ledger().Read("node1").value()->restarting);
}

TEST_F(RecoverTest, AFailedDestroyIsReportedAndTheRestStillDone) {
  MintNode n1;
  n1.id = 1;
  n1.name = "node1";
  n1.state = NodeState::kLoaded;
  HostTopology host;
  host.mint.present = true;
  host.mint.nodes = {n1};
  WriteRecipe("node4");
  sys::RecordingPciDriver pci({});
  auto r = Recover(host, pci);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node id 1: MINT_NODE_DESTROY: no such node (No such file or directory)");
  EXPECT_EQ(out_.log.back(), "removed the boot recipe of node4, which no longer exists");
  EXPECT_TRUE(out_.torn_down.empty());
}

// A ledger that cannot be read: its node is left to the operator, the
// error names the file, and the rest is still done.
TEST_F(RecoverTest, AnUnreadableLedgerLeavesItsNodeAndSaysWhy) {
  ASSERT_TRUE(kernel_.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  root_.Write("/run/mint/ledger/node1.json", "{");
  root_.Write("/run/mint/ledger/node7.json", "{");
  WriteRecipe("node4");
  sys::RecordingPciDriver pci({});
  auto r = Recover(HostOf(kernel_, {}, {}), pci);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().context, root_.root() + "/run/mint/ledger/node1.json");
  EXPECT_EQ(out_.log.front(), "node1 (id 1) is left created; its ledger cannot be read");
  EXPECT_EQ(out_.log.back(), "removed the boot recipe of node4, which no longer exists");
  EXPECT_EQ(kernel_.nodes().count(1), 1u);
}

TEST_F(RecoverTest, NothingToDo) {
  sys::RecordingPciDriver pci({});
  ASSERT_TRUE(Recover(HostOf(kernel_, {}, {}), pci).ok());
  EXPECT_TRUE(out_.log.empty());
  EXPECT_TRUE(kernel_.calls().empty());
}

}  // namespace
}  // namespace mint::testing
