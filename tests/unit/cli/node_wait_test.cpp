// mintctl boot's wait for a node to come up, on a /sys/kernel/mint node
// directory written by the test.
#include "node_wait.h"

#include <gtest/gtest.h>

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
  Result<void> Wait(int seconds) {
    return cli::WaitUntilRunning(*fs_, "node1", kNode, std::chrono::seconds(seconds));
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

}  // namespace
}  // namespace mint::testing
