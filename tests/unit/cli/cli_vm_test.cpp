// mintctl vm as a user meets it without a live node: the guest's own
// values are checked before any node is asked, unknown or not-running
// nodes are refused with the words of exec, and node0's record of a node's
// guests turns them "lost" (with the node's reason) once the node went down,
// in vm list and in status's GUESTS column. The paths with a running node
// and real guests are tests/e2e/test_node_guests.py and
// test_guest_refusals.py; mint::vm's own checks are tests/unit/vm.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_mintctl.h"

namespace mint::testing {
namespace {

constexpr const char* kPanic = "Kernel panic - not syncing: sysrq triggered crash";

class Vm : public ::testing::Test {
 protected:
  void Make(const std::string& state, const std::string& reason = "") {
    MintNodeFiles node;
    node.state = state;
    node.reason = reason;
    node.agent = state == "running" ? "ready" : "absent";
    root_ = MakeMintHost(dir_.path(), node);
  }
  void Record(const std::string& guests_json) {
    WriteFile(root_ + "/run/mint/guests/node2.json", guests_json);
  }
  std::string root_;

 private:
  TempDir dir_;
};

std::string Guest(const std::string& name, const std::string& state,
                  const std::string& reason = "") {
  return nlohmann::json{{"name", name},
                        {"state", state},
                        {"vcpus", 1},
                        {"memory", 268435456},
                        {"uptime_s", 12.0},
                        {"reason", reason},
                        {"pid", state == "running" ? 321 : 0},
                        {"disk", ""},
                        {"ports", nlohmann::json::array()},
                        {"console", ""}}
      .dump();
}

TEST_F(Vm, ABadGuestIsRefusedBeforeAnyNodeIsAsked) {
  Make("running");
  RunResult r = Mintctl({"--root", root_, "vm", "start", "node7", "Bad"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "mintctl: GUEST: \"Bad\" is not a guest name; a guest name is 1 to 32 characters of "
            "a-z, 0-9, '-' and '_', starting with a letter or digit, e.g. guest1\n");
  r = Mintctl({"--root", root_, "vm", "start", "node2", "g1", "--mem", "8M"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "mintctl: GUEST: guest g1's memory 8 MiB is too small or not whole MiB; give at least "
            "16M in MiB (--mem), e.g. 256M\n");
}

TEST_F(Vm, AnUnknownNodeIsRefused) {
  Make("running");
  RunResult r = Mintctl({"--root", root_, "vm", "start", "node7", "g1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "mintctl: node7: no node with this name; mintctl status lists the nodes\n");
  r = Mintctl({"--root", root_, "vm", "list", "node7"});
  EXPECT_EQ(r.code, 2);
  r = Mintctl({"--root", root_, "vm", "exec", "node7", "g1", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err, "mintctl: node7: no node with this name; mintctl status lists the nodes\n");
}

TEST_F(Vm, ANodeThatIsNotRunningIsRefusedAndNothingStarts) {
  Make("crashed", kPanic);
  RunResult r = Mintctl({"--root", root_, "vm", "start", "node2", "g1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: node2: the node is crashed (Kernel panic - not syncing: sysrq triggered "
            "crash); mintctl exec needs a running node; mintctl restart node2 boots it again\n");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/run/mint/guests/node2.json"));
}

TEST_F(Vm, TheGuestsOfACrashedNodeAreLostWithItsReason) {
  Make("crashed", kPanic);
  Record("[" + Guest("g1", "running") + "," +
         Guest("g2", "crashed", "QEMU killed by signal 11 (SIGSEGV)") + "]");
  RunResult r = Mintctl({"--root", root_, "vm", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NODE   GUEST  STATE    VCPUS  MEMORY   UPTIME  REASON\n"
            "node2  g1     lost     1      256 MiB  -       node2 is crashed: Kernel panic - not "
            "syncing: sysrq triggered crash\n"
            "node2  g2     crashed  1      256 MiB  -       QEMU killed by signal 11 (SIGSEGV)\n");
  r = Mintctl({"--root", root_, "--json", "vm", "list", "node2"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["state"], "lost");
  EXPECT_EQ(j[0]["node"], "node2");
  EXPECT_EQ(j[0]["live"], false);
  r = Mintctl({"--root", root_, "status"});
  EXPECT_NE(r.out.find("absent  0 (1 lost)  Kernel panic"), std::string::npos) << r.out;
}

// The node's reason reaches the operator in an error and in vm list's
// table: shown, its escape sequences not obeyed.
TEST_F(Vm, ANodesReasonIsShownWithoutTerminalControls) {
  Make("crashed", "Kernel panic\x1b]0;owned\x07 - not syncing\x1b[2J");
  Record("[" + Guest("g1", "running") + "]");
  RunResult r = Mintctl({"--root", root_, "vm", "start", "node2", "g1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: node2: the node is crashed (Kernel panic - not syncing); mintctl exec needs "
            "a running node; mintctl restart node2 boots it again\n");
  r = Mintctl({"--root", root_, "vm", "exec", "node2", "g1", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  r = Mintctl({"--root", root_, "vm", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NODE   GUEST  STATE  VCPUS  MEMORY   UPTIME  REASON\n"
            "node2  g1     lost   1      256 MiB  -       node2 is crashed: Kernel panic - not "
            "syncing\n");
}

TEST_F(Vm, AHostileRecordIsIgnored) {
  Make("crashed", kPanic);
  Record("[{\"name\": \"../../etc\", \"state\": \"running\"}]");
  RunResult r = Mintctl({"--root", root_, "vm", "list", "node2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "no guests\nnode2: no guests known (node2 is crashed: Kernel panic - not "
            "syncing: sysrq triggered crash)\n");
}

TEST_F(Vm, ExecInAGuestOfANodeThatIsDownIs255) {
  Make("crashed", kPanic);
  RunResult r = Mintctl({"--root", root_, "vm", "exec", "node2", "g1", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace mint::testing
