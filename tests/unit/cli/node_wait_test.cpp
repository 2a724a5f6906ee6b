// mintctl boot's wait for a node to come up, on a /sys/kernel/mint node
// directory written by the test; the step line it draws on a terminal.
#include "node_wait.h"

#include <gtest/gtest.h>

#include <sstream>

#include "run_mintctl.h"

namespace mint::testing {
namespace {

class NodeWait : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + kNode + "/state", "booting\n");
    WriteFile(dir_.path() + kNode + "/reason", "\n");
    WriteFile(dir_.path() + kNode + "/console", "");
    fs_ = sys::OpenHostFs(dir_.path());
  }
  void Set(const std::string& file, const std::string& text) {
    WriteFile(dir_.path() + kNode + "/" + file, text);
  }
  Result<void> Wait(int seconds, cli::Progress* progress = nullptr) {
    return cli::WaitUntilRunning(*fs_, "node1", kNode, std::chrono::seconds(seconds), progress);
  }
  static constexpr const char* kNode = "/sys/kernel/mint/nodes/1";

 private:
  TempDir dir_;
  std::unique_ptr<sys::HostFs> fs_;
};

TEST_F(NodeWait, RunningIsDone) {
  Set("state", "running\n");
  EXPECT_TRUE(Wait(5).ok());
}

TEST_F(NodeWait, AFailedNodeIsReportedWithItsLastConsoleLines) {
  Set("state", "crashed\n");
  Set("reason", "Kernel panic - not syncing: VFS: Unable to mount root fs\n");
  std::string console;
  for (int i = 1; i <= 12; ++i) console += "line " + std::to_string(i) + "\n";
  Set("console", console);
  auto waited = Wait(5);
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().ToString(),
            "node1: failed to boot: the node is crashed (Kernel panic - not syncing: VFS: Unable "
            "to mount root fs); mintctl destroy node1 frees it. Last console lines:\n"
            "  | line 3\n  | line 4\n  | line 5\n  | line 6\n  | line 7\n  | line 8\n"
            "  | line 9\n  | line 10\n  | line 11\n  | line 12");
}

TEST_F(NodeWait, ANodeThatNeverComesUpTimesOut) {
  auto waited = Wait(0);
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().ToString(),
            "node1: failed to boot: still booting after 0 s; mintctl stop --force node1 and "
            "mintctl destroy node1 free it. Last console lines:\n  (the console is empty)");
}

// On a terminal the wait is one line, redrawn in place and erased before
// the outcome; elsewhere (a pipe, --json) nothing at all.
TEST_F(NodeWait, TheWaitIsAStepLineErasedAtItsEnd) {
  std::ostringstream terminal, pipe;
  cli::Progress on(terminal, true), off(pipe, false);
  EXPECT_FALSE(Wait(0, &on).ok());
  EXPECT_FALSE(Wait(0, &off).ok());
  EXPECT_EQ(terminal.str(),
            "\r| node1: waiting until the node says it runs (0.0 s)\033[K\r\033[K");
  EXPECT_EQ(pipe.str(), "");
}

TEST(Progress, TheLineTurnsItsSpinnerAndCountsTenths) {
  using std::chrono::milliseconds;
  EXPECT_EQ(cli::Progress::Line("node1: waiting for its mint-agent", milliseconds(0)),
            "| node1: waiting for its mint-agent (0.0 s)");
  EXPECT_EQ(cli::Progress::Line("x", milliseconds(150)), "/ x (0.1 s)");
  EXPECT_EQ(cli::Progress::Line("x", milliseconds(299)), "- x (0.2 s)");
  EXPECT_EQ(cli::Progress::Line("x", milliseconds(12345)), "\\ x (12.3 s)");
}

TEST(Progress, TicksRedrawAtMostEvery100Ms) {
  std::ostringstream out;
  cli::Progress p(out, true);
  p.Step("s");
  for (int i = 0; i < 50; ++i) p.Tick();  // well within 100 ms
  EXPECT_EQ(out.str(), "\r| s (0.0 s)\033[K");
  p.Done();
  p.Done();
  EXPECT_EQ(out.str(), "\r| s (0.0 s)\033[K\r\033[K");
  p.Tick();  // no step: nothing
  EXPECT_EQ(out.str(), "\r| s (0.0 s)\033[K\r\033[K");
}

}  // namespace
}  // namespace mint::testing
