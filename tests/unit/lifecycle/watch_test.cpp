// The watcher: one line per event, on_crash restart within the budget,
// on_crash stop (a hung node killed), nodes without a recipe left alone,
// appearing and disappearing nodes.
#include <gtest/gtest.h>

#include "fake_host.h"

namespace mint::testing {
namespace {

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lifecycle::Recipe r1;
    r1.name = "node1";
    r1.on_crash = OnCrash::kRestart;
    r1.restart_budget = 2;
    ASSERT_TRUE(lifecycle::WriteRecipe(root_.root(), r1).ok());
    lifecycle::Recipe r2;
    r2.name = "node2";
    ASSERT_TRUE(lifecycle::WriteRecipe(root_.root(), r2).ok());
    root_.Node(1, "node1", "running");
    root_.Node(2, "node2", "running");
    actions_.restart = [this](const lifecycle::NodeStatus& n) -> Result<void> {
      acted_.push_back("restart " + n.name);
      root_.State(n.id, "booting");
      return Ok();
    };
    actions_.kill = [this](const lifecycle::NodeStatus& n) -> Result<void> {
      acted_.push_back("kill " + n.name);
      root_.State(n.id, "stopped", "stopped by node0 (forced)");
      return Ok();
    };
  }

  FakeRoot root_;
  FakeClock clock_;
  lifecycle::Watcher::Actions actions_;
  std::vector<std::string> acted_;
};

using Lines = std::vector<std::string>;

TEST_F(WatchTest, RestartsWithinTheBudgetThenGivesUp) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(w.Poll(), (Lines{"node1 is running; on_crash restart, restart budget 2",
                             "node2 is running; on_crash stop"}));
  EXPECT_EQ(w.Poll(), Lines{});
  root_.State(1, "crashed", "Kernel panic - not syncing: sysrq triggered crash");
  EXPECT_EQ(w.Poll(),
            (Lines{"node1: running -> crashed (Kernel panic - not syncing: sysrq triggered crash)",
                   "node1: on_crash restart: restarted (1 of 2)"}));
  clock_.Sleep(std::chrono::milliseconds(2500));
  root_.State(1, "running");
  EXPECT_EQ(w.Poll(), (Lines{"node1: crashed -> running (2.5 s after the restart)"}));
  root_.State(1, "hung", "heartbeat stopped on CPU 2 (APIC 2)");
  EXPECT_EQ(w.Poll(), (Lines{"node1: running -> hung (heartbeat stopped on CPU 2 (APIC 2))",
                             "node1: on_crash restart: restarted (2 of 2)"}));
  EXPECT_EQ(w.Poll(), (Lines{"node1: hung -> booting"}));
  root_.State(1, "failed", "no console output within the boot timeout");
  EXPECT_EQ(w.Poll(),
            (Lines{"node1: booting -> failed (no console output within the boot timeout)",
                   "node1: restart budget used up (2 of 2); left failed; mintctl restart node1 or "
                   "mintctl destroy node1"}));
  EXPECT_EQ(w.Poll(), Lines{});  // acted once per failure
  EXPECT_EQ(acted_, (Lines{"restart node1", "restart node1"}));
}

TEST_F(WatchTest, OnCrashStopKillsAHungNodeAndLeavesACrashedOne) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(2, "hung", "heartbeat stopped on CPU 4 (APIC 4)");
  EXPECT_EQ(w.Poll(), (Lines{"node2: running -> hung (heartbeat stopped on CPU 4 (APIC 4))",
                             "node2: on_crash stop: killed (its CPUs are parked); mintctl destroy "
                             "node2 frees it"}));
  EXPECT_EQ(w.Poll(), (Lines{"node2: hung -> stopped (stopped by node0 (forced))"}));
  root_.State(2, "crashed", "Kernel panic");
  EXPECT_EQ(w.Poll(),
            (Lines{"node2: stopped -> crashed (Kernel panic)",
                   "node2: on_crash stop: left crashed; mintctl destroy node2 frees it"}));
  EXPECT_EQ(acted_, (Lines{"kill node2"}));
}

TEST_F(WatchTest, FailedActionIsSaid) {
  actions_.restart = [](const lifecycle::NodeStatus&) -> Result<void> {
    return MakeError(ErrorCode::kIo, "/boot/mint/bzImage", "cannot read it");
  };
  root_.State(1, "crashed", "oops");
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(w.Poll(), (Lines{"node1 is crashed (oops); on_crash restart, restart budget 2",
                             "node1: on_crash restart failed: /boot/mint/bzImage: cannot read it",
                             "node2 is running; on_crash stop"}));
}

TEST_F(WatchTest, NodesWithoutRecipeAppearingAndGone) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.Node(3, "node3", "crashed", "Kernel panic");
  EXPECT_EQ(w.Poll(), (Lines{"node3 appeared: crashed (Kernel panic); no boot recipe: watched only",
                             "node3: no boot recipe, so watch leaves it crashed"}));
  root_.Remove(3);
  root_.Remove(2);
  EXPECT_EQ(w.Poll(), (Lines{"node2 is gone (destroyed)", "node3 is gone (destroyed)"}));
  EXPECT_TRUE(acted_.empty());
}

}  // namespace
}  // namespace mint::testing
