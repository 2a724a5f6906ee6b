// The watcher: one line per event as it happens, on_crash restart within the budget,
// on_crash stop (a hung node killed), nodes without a recipe left alone,
// appearing and disappearing nodes; the node read again under the host
// lock (someone else's restart between watch's look and its action), and
// the budget kept on file across watchers.
#include <gtest/gtest.h>

#include <algorithm>

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
    actions_.lock = [this](const std::string& what, bool parks_only) -> Result<lifecycle::Lock> {
      acted_.push_back("lock (" + what + (parks_only ? ", parks only" : "") + ")");
      if (while_locking_) while_locking_();
      return lifecycle::Lock();
    };
    actions_.restart = [this](const lifecycle::NodeStatus& n, lifecycle::Lock&) -> Result<void> {
      acted_.push_back("restart " + n.name);
      root_.State(n.id, "booting");
      return Ok();
    };
    actions_.kill = [this](const lifecycle::NodeStatus& n, lifecycle::Lock&) -> Result<void> {
      acted_.push_back("kill " + n.name);
      root_.State(n.id, "stopped", "stopped by node0 (forced)");
      return Ok();
    };
  }

  FakeRoot root_;
  FakeClock clock_;
  lifecycle::Watcher::Actions actions_;
  std::vector<std::string> acted_;
  std::function<void()> while_locking_;  // what others do while watch waits for the lock
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
  EXPECT_EQ(acted_, (Lines{"lock (watch: restart node1)", "restart node1",
                           "lock (watch: restart node1)", "restart node1"}));
}

// A restart takes seconds (the CLI's waits until the node runs and its
// agent answers): the crash's line is out before the restart begins, not
// with its result, and "N s after the restart" counts from its start.
TEST_F(WatchTest, EachLineIsHandedOutAsItHappens) {
  auto restart = actions_.restart;
  actions_.restart = [&](const lifecycle::NodeStatus& n, lifecycle::Lock& lock) -> Result<void> {
    auto r = restart(n, lock);
    clock_.Sleep(std::chrono::milliseconds(4200));
    root_.State(n.id, "running");
    return r;
  };
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(1, "crashed", "oops");
  w.Poll([&](const std::string& line) { acted_.push_back(line); });
  EXPECT_EQ(acted_, (Lines{"node1: running -> crashed (oops)", "lock (watch: restart node1)",
                           "restart node1", "node1: on_crash restart: restarted (1 of 2)"}));
  clock_.Sleep(std::chrono::milliseconds(100));
  EXPECT_EQ(w.Poll(), (Lines{"node1: crashed -> running (4.3 s after the restart)"}));
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
  EXPECT_EQ(acted_, (Lines{"lock (watch: kill node2, parks only)", "kill node2"}));
}

TEST_F(WatchTest, FailedActionIsSaid) {
  actions_.restart = [](const lifecycle::NodeStatus&, lifecycle::Lock&) -> Result<void> {
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

// The operator runs `mintctl restart node1` while watch waits for the host
// lock: by the time watch holds it, node1 is booting, so watch leaves it.
TEST_F(WatchTest, AnOperatorsRestartWhileWatchWaitsForTheLockIsLeftAlone) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(1, "crashed", "Kernel panic");
  while_locking_ = [this] { root_.State(1, "booting"); };
  EXPECT_EQ(w.Poll(), (Lines{"node1: running -> crashed (Kernel panic)",
                             "node1 is booting by the time watch holds the host lock (someone "
                             "else acted on it); watch leaves it"}));
  EXPECT_EQ(acted_, Lines{"lock (watch: restart node1)"});
  while_locking_ = {};
  EXPECT_EQ(w.Poll(), Lines{"node1: crashed -> booting"});
  // The budget was not spent: a real crash later is restarted as "1 of 2".
  root_.State(1, "crashed", "Kernel panic");
  EXPECT_EQ(w.Poll(), (Lines{"node1: booting -> crashed (Kernel panic)",
                             "node1: on_crash restart: restarted (1 of 2)"}));
}

// node2 hangs; while watch waits for the lock someone destroys it and boots
// a new node2 (another id) that hangs too: watch must not kill what now
// holds the name; it sees the new node on its next poll.
TEST_F(WatchTest, AStaleNodeIsNotKilled) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(2, "hung", "heartbeat stopped");
  while_locking_ = [this] {
    root_.Remove(2);
    root_.Node(3, "node2", "hung", "heartbeat stopped");
  };
  EXPECT_EQ(w.Poll(), (Lines{"node2: running -> hung (heartbeat stopped)",
                             "node2 is a new node (id 3) by the time watch holds the host lock "
                             "(someone else acted on it); watch leaves it"}));
  EXPECT_EQ(acted_, Lines{"lock (watch: kill node2, parks only)"});
  // The next poll takes the new node2 as it is: hung, so on_crash stop kills it.
  while_locking_ = {};
  EXPECT_EQ(w.Poll(), (Lines{"node2: on_crash stop: killed (its CPUs are parked); mintctl destroy "
                             "node2 frees it"}));
  EXPECT_EQ(acted_.back(), "kill node2");
  // Gone as well, between the look and the lock.
  root_.State(1, "crashed", "oops");
  while_locking_ = [this] { root_.Remove(1); };
  auto lines = w.Poll();
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "node1 is gone by the time watch holds the host lock (someone else acted "
                      "on it); watch leaves it"),
            lines.end());
  EXPECT_EQ(std::count(acted_.begin(), acted_.end(), "restart node1"), 0);
}

TEST_F(WatchTest, ALockThatCannotBeTakenIsSaidAndTriedAgain) {
  int refusals = 1;
  actions_.lock = [&](const std::string&, bool) -> Result<lifecycle::Lock> {
    if (refusals-- > 0)
      return MakeError(ErrorCode::kConflict, "/run/mint/lock", "another mintctl holds it");
    return lifecycle::Lock();
  };
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(1, "crashed", "oops");
  EXPECT_EQ(w.Poll(), (Lines{"node1: running -> crashed (oops)",
                             "node1: restart node1 not done: /run/mint/lock: another mintctl "
                             "holds it"}));
  EXPECT_EQ(w.Poll(), Lines{"node1: on_crash restart: restarted (1 of 2)"});
}

// The budget is on file: a second watch (watch itself restarted) goes on
// counting where the first stopped; a new node of the same name (another
// id) starts afresh.
TEST_F(WatchTest, TheRestartBudgetSurvivesARestartOfWatch) {
  {
    lifecycle::Watcher first(root_.root(), root_.fs(), actions_, clock_);
    first.Poll();
    root_.State(1, "crashed", "Kernel panic");
    EXPECT_EQ(first.Poll(), (Lines{"node1: running -> crashed (Kernel panic)",
                                   "node1: on_crash restart: restarted (1 of 2)"}));
  }
  root_.State(1, "running");
  lifecycle::Watcher second(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(second.Poll(), (Lines{"node1 is running; on_crash restart, restart budget 2 (1 used)",
                                  "node2 is running; on_crash stop"}));
  root_.State(1, "crashed", "Kernel panic");
  EXPECT_EQ(second.Poll(), (Lines{"node1: running -> crashed (Kernel panic)",
                                  "node1: on_crash restart: restarted (2 of 2)"}));
  root_.State(1, "crashed", "Kernel panic");
  lifecycle::Watcher third(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(third.Poll(),
            (Lines{"node1 is crashed (Kernel panic); on_crash restart, restart budget 2 (2 used)",
                   "node1: restart budget used up (2 of 2); left crashed; mintctl restart node1 "
                   "or mintctl destroy node1",
                   "node2 is running; on_crash stop"}));
  // node1 destroyed and booted again (id 4): a fresh budget.
  root_.Remove(1);
  root_.Node(4, "node1", "crashed", "Kernel panic");
  lifecycle::Watcher fourth(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(fourth.Poll(), (Lines{"node2 is running; on_crash stop",
                                  "node1 is crashed (Kernel panic); on_crash restart, restart "
                                  "budget 2",
                                  "node1: on_crash restart: restarted (1 of 2)"}));
}

// The operator's `mintctl restart` removes the count: a running watch then
// has the whole budget again.
TEST_F(WatchTest, AnOperatorsRestartGivesAFreshBudget) {
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  for (const char* n : {"1", "2"}) {
    root_.State(1, "crashed", "Kernel panic");
    EXPECT_EQ(w.Poll().back(), std::string("node1: on_crash restart: restarted (") + n + " of 2)");
    root_.State(1, "running");
    w.Poll();
  }
  ASSERT_TRUE(lifecycle::RemoveRestartCount(root_.root(), "node1").ok());  // mintctl restart
  root_.State(1, "crashed", "Kernel panic");
  EXPECT_EQ(w.Poll().back(), "node1: on_crash restart: restarted (1 of 2)");
}

TEST_F(WatchTest, ARestartCountThatCannotBeWrittenIsSaidAndTheRestartStillDone) {
  root_.Write("/run/mint/watch", "a file where the directory should be");
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  w.Poll();
  root_.State(1, "crashed", "oops");
  auto lines = w.Poll();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].rfind("node1: the restart count is not kept: " + root_.root() +
                               "/run/mint/watch/node1.json: cannot create its directory",
                           0),
            0u)
      << lines[1];
  EXPECT_EQ(lines[2], "node1: on_crash restart: restarted (1 of 2)");
}

TEST_F(WatchTest, ARestartCountThatIsNotOneIsSaid) {
  root_.Write("/run/mint/watch/node1.json", "{");
  lifecycle::Watcher w(root_.root(), root_.fs(), actions_, clock_);
  EXPECT_EQ(w.Poll(),
            (Lines{root_.root() + "/run/mint/watch/node1.json: not a watch restart count; remove "
                                  "it (the node's restart budget starts afresh)",
                   "node1 is running; on_crash restart, restart budget 2",
                   "node2 is running; on_crash stop"}));
  EXPECT_EQ(lifecycle::ReadRestartCount(root_.root(), "node1", 1).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(lifecycle::RemoveRestartCount(root_.root(), "node1").ok());
  EXPECT_EQ(*lifecycle::ReadRestartCount(root_.root(), "node1", 1), 0u);
}

}  // namespace
}  // namespace mint::testing
