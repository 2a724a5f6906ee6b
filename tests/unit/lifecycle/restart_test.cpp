// Restart (same resources from MINT_NODE_GET, image from the recipe),
// Kill, WaitForAgent and Recover, against FakeKernel and a sysfs tree.
#include <gtest/gtest.h>

#include <cerrno>

#include "fake_bzimage.h"
#include "fake_host.h"

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
  ASSERT_EQ(log_.size(), 4u);
  EXPECT_EQ(log_[0], "NODE_STOP node1 (id 1): asked to shut down (up to 10000 ms)");
  EXPECT_EQ(log_[1],
            "build the boot image: /boot/mint/bzImage, /boot/mint/node-initrd.img, cmdline "
            "\"console=mint mint_node_name=node1\"");
  EXPECT_TRUE(StartsWith(log_[2], "NODE_LOAD node1 (id 1): kernel at 0x10")) << log_[2];
  EXPECT_TRUE(StartsWith(log_[3], "NODE_START node1 (id 1): entry 0x10")) << log_[3];
  EXPECT_EQ(root_.Read("/sys/kernel/mint/nodes/1/state"), "booting\n");
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

TEST(Recover, TearsDownHalfMadeNodesStrandedFunctionsAndOrphanRecipes) {
  FakeRoot root;
  FakeKernel kernel(root);
  ASSERT_TRUE(kernel.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  ASSERT_TRUE(kernel.CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64ull << 20}}).ok());
  kernel.SetState(2, NodeState::kRunning);
  PciBdf owned = *PciBdf::Parse("0000:00:03.0");
  PciBdf stranded = *PciBdf::Parse("0000:00:04.0");
  HostTopology host;
  host.mint.present = true;
  MintNode n1;
  n1.id = 1;
  n1.name = "node1";
  n1.state = NodeState::kCreated;
  n1.devices = {owned};
  MintNode n2;
  n2.id = 2;
  n2.name = "node2";
  n2.state = NodeState::kRunning;
  host.mint.nodes = {n1, n2};
  PciFunction f1, f2;
  f1.bdf = owned;
  f1.driver = "pci-stub";
  f2.bdf = stranded;
  f2.driver = "pci-stub";
  host.pci = {f1, f2};
  sys::RecordingPciDriver pci({{owned, "pci-stub"}, {stranded, "pci-stub"}});
  for (const char* name : {"node1", "node2", "node3"}) {
    lifecycle::Recipe r;
    r.name = name;
    ASSERT_TRUE(lifecycle::WriteRecipe(root.root(), r).ok());
  }
  std::vector<std::string> log;
  auto r = lifecycle::Recover(root.root(), host, kernel, pci, log);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_GE(log.size(), 5u);
  EXPECT_EQ(log.front(),
            "node1 (id 1) was left created by a mintctl that did not finish; tearing it down");
  EXPECT_NE(std::find(log.begin(), log.end(),
                      "0000:00:04.0 is on pci-stub but no node owns it (a mintctl stopped between "
                      "NODE_DESTROY and giving it back); giving it back to node0"),
            log.end());
  EXPECT_EQ(log.back(), "removed the boot recipe of node3, which no longer exists");
  EXPECT_EQ(kernel.calls().back(), "MINT_NODE_DESTROY id=1");
  EXPECT_EQ(kernel.nodes().count(1), 0u);
  EXPECT_EQ(kernel.nodes().count(2), 1u);
  EXPECT_EQ(pci.calls().size(), 2u);
  EXPECT_EQ(lifecycle::ListRecipes(root.root()), std::vector<std::string>{"node2"});
}

TEST(Recover, NothingToDo) {
  FakeRoot root;
  FakeKernel kernel(root);
  HostTopology host;
  host.mint.present = true;
  sys::RecordingPciDriver pci({});
  std::vector<std::string> log;
  ASSERT_TRUE(lifecycle::Recover(root.root(), host, kernel, pci, log).ok());
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(kernel.calls().empty());
}

TEST(Recover, AFailedDestroyIsReportedAndTheRestStillDone) {
  FakeRoot root;
  FakeKernel kernel(root);
  HostTopology host;
  host.mint.present = true;
  MintNode n1;
  n1.id = 1;
  n1.name = "node1";
  n1.state = NodeState::kLoaded;
  host.mint.nodes = {n1};
  lifecycle::Recipe orphan;
  orphan.name = "node4";
  ASSERT_TRUE(lifecycle::WriteRecipe(root.root(), orphan).ok());
  sys::RecordingPciDriver pci({});
  std::vector<std::string> log;
  auto r = lifecycle::Recover(root.root(), host, kernel, pci, log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "node id 1: MINT_NODE_DESTROY: no such node (No such file or directory)");
  EXPECT_EQ(log.back(), "removed the boot recipe of node4, which no longer exists");
}

}  // namespace
}  // namespace mint::testing
