// The host lock (flock, the holder's note, waiting and giving up), boot
// recipes (round trip, every refusal) and the sysfs node readers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include "fake_host.h"

namespace mint::testing {
namespace {

TEST(Paths, AreUnderTheRoot) {
  EXPECT_EQ(lifecycle::HostLockPath("/"), "/run/mint/lock");
  EXPECT_EQ(lifecycle::HostLockPath("/tmp/h/"), "/tmp/h/run/mint/lock");
  EXPECT_EQ(lifecycle::ChannelLockPath("/", "node1"), "/run/mint/node1.channel.lock");
  EXPECT_EQ(lifecycle::RecipePath("/", "node1"), "/run/mint/nodes/node1.json");
}

TEST(Lock, TakesAndNotesTheHolder) {
  FakeRoot root;
  FakeClock clock;
  std::string path = lifecycle::HostLockPath(root.root());
  {
    auto lock = lifecycle::AcquireLock(path, "boot node1", std::chrono::seconds(1), clock);
    ASSERT_TRUE(lock.ok()) << lock.error().ToString();
    EXPECT_TRUE(lock->held());
    EXPECT_EQ(root.Read("/run/mint/lock"), "pid " + std::to_string(::getpid()) + ": boot node1\n");
  }
  // Released by the destructor: a second taker gets it at once.
  auto again = lifecycle::AcquireLock(path, "stop node1", std::chrono::seconds(0), clock);
  EXPECT_TRUE(again.ok());
}

TEST(Lock, WaitsThenGivesUpNamingTheHolder) {
  FakeRoot root;
  FakeClock clock;
  std::string path = lifecycle::HostLockPath(root.root());
  auto first = lifecycle::AcquireLock(path, "boot node2", std::chrono::seconds(1), clock);
  ASSERT_TRUE(first.ok());
  std::vector<std::string> waits;
  auto start = clock.Now();
  auto second = lifecycle::AcquireLock(path, "boot node3", std::chrono::seconds(2), clock,
                                       [&](const std::string& h) { waits.push_back(h); });
  ASSERT_FALSE(second.ok());
  std::string holder = "pid " + std::to_string(::getpid()) + ": boot node2";
  EXPECT_EQ(second.error().ToString(),
            path + ": another mintctl holds it (" + holder + "); wait for it to finish, or end it");
  EXPECT_EQ(waits, std::vector<std::string>{holder});
  EXPECT_GE(clock.Now() - start, std::chrono::seconds(2));
  first->Release();
  EXPECT_TRUE(lifecycle::AcquireLock(path, "boot node3", std::chrono::seconds(0), clock).ok());
}

TEST(Lock, UnwritableDirectory) {
  FakeClock clock;
  auto lock = lifecycle::AcquireLock("/proc/mint-test/lock", "x", std::chrono::seconds(0), clock);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, ErrorCode::kIo);
  EXPECT_EQ(lock.error().context, "/proc/mint-test/lock");
}

lifecycle::Recipe SampleRecipe() {
  lifecycle::Recipe r;
  r.name = "node1";
  r.kernel = "/boot/mint/bzImage";
  r.initrd = "/boot/mint/node-initrd.img";
  r.cmdline = "console=mint mint_node_name=node1";
  r.on_crash = OnCrash::kRestart;
  r.restart_budget = 2;
  r.ecam = Ecam{PhysAddr{0xb0000000}, 0, 0, 255};
  PlannedDevice d;
  d.bdf = *PciBdf::Parse("0000:00:03.0");
  d.request.name = "sdb";
  d.node0_driver = "virtio-pci";
  r.devices.push_back(d);
  return r;
}

TEST(Recipe, RoundTrip) {
  FakeRoot root;
  ASSERT_TRUE(lifecycle::WriteRecipe(root.root(), SampleRecipe()).ok());
  auto r = lifecycle::ReadRecipe(root.root(), "node1");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->kernel, "/boot/mint/bzImage");
  EXPECT_EQ(r->initrd, "/boot/mint/node-initrd.img");
  EXPECT_EQ(r->cmdline, "console=mint mint_node_name=node1");
  EXPECT_EQ(r->on_crash, OnCrash::kRestart);
  EXPECT_EQ(r->restart_budget, 2u);
  ASSERT_TRUE(r->ecam);
  EXPECT_EQ(r->ecam->base.value, 0xb0000000u);
  EXPECT_EQ(r->ecam->bus_end, 255);
  ASSERT_EQ(r->devices.size(), 1u);
  EXPECT_EQ(r->devices[0].bdf.ToString(), "0000:00:03.0");
  EXPECT_EQ(r->devices[0].node0_driver, "virtio-pci");
  EXPECT_EQ(lifecycle::ListRecipes(root.root()), std::vector<std::string>{"node1"});
  ASSERT_TRUE(lifecycle::RemoveRecipe(root.root(), "node1").ok());
  EXPECT_TRUE(lifecycle::ListRecipes(root.root()).empty());
  EXPECT_TRUE(lifecycle::RemoveRecipe(root.root(), "node1").ok());  // already gone: fine
}

TEST(Recipe, FromPlan) {
  Plan plan;
  plan.name = "node2";
  plan.kernel = "/k";
  plan.initrd = "/i";
  plan.cmdline = "console=mint";
  plan.on_crash = OnCrash::kRestart;
  plan.restart_budget = 5;
  auto r = lifecycle::RecipeFromPlan(plan);
  EXPECT_EQ(r.name, "node2");
  EXPECT_EQ(r.cmdline, "console=mint");
  EXPECT_EQ(r.restart_budget, 5u);
  EXPECT_FALSE(r.ecam);
}

TEST(Recipe, Refusals) {
  FakeRoot root;
  std::string path = root.root() + "/run/mint/nodes/node1.json";
  EXPECT_EQ(lifecycle::ReadRecipe(root.root(), "node1").error().ToString(),
            path +
                ": no boot recipe for node1: mintctl restart and watch know only nodes booted by "
                "mintctl since node0 booted; destroy the node and boot it again");
  root.Write("/run/mint/nodes/node1.json", "{\"version\": 7}");
  EXPECT_EQ(lifecycle::ReadRecipe(root.root(), "node1").error().ToString(),
            path +
                ": not a boot recipe (version 7, expected 1); mintctl destroy node1 removes it "
                "with the node");
  root.Write("/run/mint/nodes/node1.json",
             "{\"version\": 1, \"name\": \"node9\", \"kernel\": \"k\", \"initrd\": \"i\", "
             "\"cmdline\": \"\", \"on_crash\": \"stop\", \"restart_budget\": 3, \"ecam\": null, "
             "\"devices\": []}");
  EXPECT_EQ(lifecycle::ReadRecipe(root.root(), "node1").error().ToString(),
            path +
                ": not a boot recipe (it names node9); mintctl destroy node1 removes it with "
                "the node");
  root.Write("/run/mint/nodes/node1.json",
             "{\"version\": 1, \"name\": \"node1\", \"kernel\": \"k\", \"initrd\": \"i\", "
             "\"cmdline\": \"\", \"on_crash\": \"reboot\", \"restart_budget\": 3, \"ecam\": null, "
             "\"devices\": []}");
  EXPECT_EQ(lifecycle::ReadRecipe(root.root(), "node1").error().ToString(),
            path +
                ": not a boot recipe (on_crash reboot); mintctl destroy node1 removes it with "
                "the node");
  root.Write("/run/mint/nodes/node1.json", "{\"version\": 1}");
  auto r = lifecycle::ReadRecipe(root.root(), "node1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Nodes, ListAndFind) {
  FakeRoot root;
  root.Node(2, "node2", "running", "", "", "ready");
  root.Node(1, "node1", "crashed", "Kernel panic - not syncing: sysrq triggered crash",
            "0000:00:03.0\n0000:00:05.0\n");
  auto nodes = lifecycle::ListNodes(root.fs());
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].name, "node1");
  EXPECT_EQ((*nodes)[0].reason, "Kernel panic - not syncing: sysrq triggered crash");
  ASSERT_EQ((*nodes)[0].devices.size(), 2u);
  EXPECT_EQ((*nodes)[0].devices[1].ToString(), "0000:00:05.0");
  EXPECT_EQ((*nodes)[0].dir, "/sys/kernel/mint/nodes/1");
  EXPECT_EQ((*nodes)[1].agent, "ready");
  EXPECT_EQ(lifecycle::FindNode(root.fs(), "node2")->id, 2u);
  EXPECT_EQ(lifecycle::FindNode(root.fs(), "node7").error().ToString(),
            "node7: no node with this name; mintctl status lists the nodes");
  auto none = sys::OpenHostFs("/nonexistent-mint-root");
  EXPECT_EQ(lifecycle::ListNodes(*none).error().ToString(),
            "/sys/kernel/mint: this kernel has no mint support: /sys/kernel/mint is missing; boot "
            "node0 with the mint kernel (see README)");
}

// One odd entry (a state this mintctl does not know, a directory that is
// not a node id) never hides the other nodes from watch, stop and kill.
TEST(Nodes, AnOddEntryDoesNotHideTheOthers) {
  FakeRoot root;
  root.Node(1, "node1", "hung", "heartbeat stopped on CPU 2 (APIC 2)");
  root.Node(2, "node2", "sleeping");
  root.Write("/sys/kernel/mint/nodes/123456789012345678901/name", "junk\n");
  root.Write("/sys/kernel/mint/nodes/01/name", "node1-again\n");
  root.Write("/sys/kernel/mint/nodes/01/state", "running\n");
  auto nodes = lifecycle::ListNodes(root.fs());
  ASSERT_TRUE(nodes.ok()) << nodes.error().ToString();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].name, "node1");
  EXPECT_EQ((*nodes)[0].state, NodeState::kHung);
  EXPECT_TRUE(lifecycle::FindNode(root.fs(), "node1").ok());
}

}  // namespace
}  // namespace mint::testing
