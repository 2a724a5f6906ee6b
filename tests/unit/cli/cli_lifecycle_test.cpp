// mintctl's lifecycle verbs as a user meets them without a live kernel:
// exec, kill, restart, watch and recover refusals with exact text and exit
// codes, the AGENT column, the host lock (--lock-wait) and the boot
// recipe's life around a boot that fails. The paths that need a running
// node are in tests/unit/lifecycle and tests/unit/channel (library) and
// tests/e2e/test_node_{exec,lifecycle}.py (the lab).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_mintctl.h"

namespace mint::testing {
namespace {

namespace fs = std::filesystem;

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override { root_ = MakeMintHost(dir_.path(), MintNodeFiles{}); }
  std::string root() const { return root_; }
  std::string dir_path() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::string root_;
};

TEST_F(Lifecycle, StatusJsonHasTheAgent) {
  RunResult r = Mintctl({"--root", root(), "status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"][0]["agent"], "ready");
  fs::remove(root() + "/sys/kernel/mint/nodes/1/agent");
  r = Mintctl({"--root", root(), "status", "--json"});
  EXPECT_TRUE(nlohmann::json::parse(r.out)["nodes"][0]["agent"].is_null());
  r = Mintctl({"--root", root(), "status"});
  EXPECT_NE(r.out.find("AGENT  GUESTS  REASON\n"), std::string::npos) << r.out;
}

TEST_F(Lifecycle, ExecOfAnUnknownNodeIs255) {
  RunResult r = Mintctl({"--root", root(), "exec", "node7", "--", "uname", "-a"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err, "mintctl: node7: no node with this name; mintctl status lists the nodes\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(Lifecycle, ExecWithoutMintIs255) {
  RunResult r = Mintctl({"--root", dir_path() + "/nothing", "exec", "node2", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err,
            "mintctl: /sys/kernel/mint: this kernel has no mint support: /sys/kernel/mint is "
            "missing; boot node0 with the mint kernel (see README)\n");
  r = Mintctl({"--root", root(), "exec", "node2", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err,
            "mintctl: /dev/mint: this kernel has no mint support: /dev/mint is missing; boot "
            "node0 with the mint kernel (see README)\n");
}

TEST_F(Lifecycle, ExecUsageErrorsAre255) {
  RunResult r = Mintctl({"--root", root(), "exec", "node2"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err,
            "mintctl: node2: no command to run; give it after --, e.g. mintctl exec node2 -- "
            "uname -a (or -t for a shell)\n");
  r = Mintctl({"--root", root(), "exec", "-t", "node2"});  // the test's stdin is no terminal
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err,
            "mintctl: node2: -t needs a terminal on mintctl's stdin; use -i to stream stdin to "
            "the command instead\n");
  r = Mintctl({"--root", root(), "exec", "node2", "--timeout", "x", "--", "true"});
  EXPECT_EQ(r.code, 255);
}

// A negative, zero or NaN timeout is refused before anything is asked
// (it was taken, and the command killed at once or never).
TEST_F(Lifecycle, ExecRefusesATimeoutThatIsNotAboveZero) {
  for (const char* bad : {"-5", "0", "nan", "inf", "1e10"}) {
    RunResult r = Mintctl({"--root", root(), "exec", "node2", "--timeout", bad, "--", "true"});
    EXPECT_EQ(r.code, 255) << bad;
    EXPECT_EQ(r.err, "mintctl: --timeout: " + std::string(bad) +
                         " is not a number of seconds above 0 (at most 1000000000), e.g. "
                         "30\nRun mintctl --help for usage.\n");
    r = Mintctl({"--root", root(), "vm", "exec", "node2", "g1", "--timeout", bad, "--", "true"});
    EXPECT_EQ(r.code, 255) << bad;
    EXPECT_EQ(r.err.rfind("mintctl: --timeout: " + std::string(bad) + " is not a number", 0), 0u)
        << r.err;
  }
}

// --interval 0 made watch spin a CPU of node0 reading sysfs.
TEST_F(Lifecycle, WatchRefusesAnIntervalBelow10Ms) {
  for (const char* bad : {"0", "9", "1.5", "3600001"}) {
    RunResult r = Mintctl({"--root", dir_path() + "/nothing", "watch", "--interval", bad});
    EXPECT_EQ(r.code, 1) << bad;
    EXPECT_EQ(r.err, "mintctl: --interval: " + std::string(bad) +
                         " is not a whole number of milliseconds from 10 to 3600000\nRun mintctl "
                         "--help for usage.\n");
  }
  RunResult r = Mintctl({"--root", dir_path() + "/nothing", "watch", "--interval", "10"});
  EXPECT_EQ(r.code, 4);  // taken: then there is no mint here
}

TEST_F(Lifecycle, ExecWithAnUnusableDevMintIs255) {
  WriteFile(root() + "/dev/mint", "");
  RunResult r = Mintctl({"--root", root(), "exec", "node2", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err, "mintctl: " + root() +
                       "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)\n");
}

TEST_F(Lifecycle, KillRestartRecoverWithoutDevMint) {
  RunResult r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err,
            "mintctl: /dev/mint: this kernel has no mint support: /dev/mint is missing; boot "
            "node0 with the mint kernel (see README)\n");
  r = Mintctl({"--root", root(), "restart", "node2"});
  EXPECT_EQ(r.code, 4);
  r = Mintctl({"--root", root(), "recover"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err,
            "mintctl: /dev/mint: this kernel has no mint support: /dev/mint is missing; boot "
            "node0 with the mint kernel (see README)\n");
  // Nothing may be created under a --root without /dev/mint (captured trees stay clean).
  EXPECT_FALSE(fs::exists(root() + "/run/mint"));
}

TEST_F(Lifecycle, RestartAndKillOfAnUnknownNode) {
  RunResult r = Mintctl({"--root", root(), "restart", "node9"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "mintctl: node9: no node with this name; mintctl status lists the nodes\n");
  r = Mintctl({"--root", root(), "kill", "node9"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "mintctl: node9: no node with this name; mintctl status lists the nodes\n");
}

TEST_F(Lifecycle, DestroyOfAHungNodeSaysKill) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "hung\n");
  RunResult r = Mintctl({"--root", root(), "destroy", "node2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: node2: the node is hung; stop it first (mintctl stop node2, or mintctl "
            "kill node2)\n");
}

TEST_F(Lifecycle, MutatingCommandsWaitForTheHostLockThenGiveUp) {
  WriteFile(root() + "/dev/mint", "");
  std::string lock = root() + "/run/mint/lock";
  WriteFile(lock, "pid 1: boot node5\n");
  int fd = ::open(lock.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  RunResult r = Mintctl({"--root", root(), "--lock-wait", "1", "stop", "node2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: waiting for another mintctl (pid 1: boot node5) to finish\n"
            "mintctl: " +
                lock +
                ": another mintctl holds it (pid 1: boot node5); wait for it to finish, or end "
                "it\n");
  ::close(fd);
  // Free again: the same command gets past the lock (and fails at the fake /dev/mint).
  r = Mintctl({"--root", root(), "--lock-wait", "1", "stop", "node2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "mintctl: " + root() +
                       "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)\n");
}

// Recovery of leftovers (a ledger entry and a recipe of a node that is
// gone; recovery cannot even open this fake /dev/mint) fails: kill says so
// as a warning and goes on to its own step (which then meets the same fake
// device); destroy, which takes resources back, refuses.
TEST_F(Lifecycle, KillGoesOnWhenRecoveryFails) {
  WriteFile(root() + "/dev/mint", "");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "hung\n");
  WriteFile(root() + "/run/mint/ledger/node5.json",
            "{\"version\": 1, \"node\": \"node5\", \"id\": 5, \"cpus\": [3], \"functions\": "
            "[], \"restarting\": false}\n");
  WriteFile(root() + "/run/mint/nodes/node5.json", "{}\n");
  const std::string device_error =
      "mintctl: " + root() + "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)";
  RunResult r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "mintctl: warning: recovering what a killed mintctl left failed: " + root() +
                       "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device); going "
                       "on with kill node2 (mintctl recover tries again)\n" +
                       device_error + "\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "stopped\n");
  r = Mintctl({"--root", root(), "destroy", "node2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, device_error + "\n");
}

// The lock's look for leftovers reads mint's state only, and recovery runs
// (here: fails on the fake device, which kill reports as a warning) exactly
// when there is something Recover acts on: a recipe or a ledger entry of a
// node that is gone. The live node's own recipe and ledger entry are not.
TEST_F(Lifecycle, RecoveryRunsOnlyForLeftoversOfNodesThatAreGone) {
  WriteFile(root() + "/dev/mint", "");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "hung\n");
  const std::string device_error =
      "mintctl: " + root() + "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)";
  const std::string warning =
      "mintctl: warning: recovering what a killed mintctl left failed: " + root() +
      "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device); "
      "going on with kill node2 (mintctl recover tries again)\n";
  WriteFile(root() + "/run/mint/ledger/node2.json",
            "{\"version\": 1, \"node\": \"node2\", \"id\": 1, \"cpus\": [3], \"functions\": "
            "[], \"restarting\": false}\n");
  WriteFile(root() + "/run/mint/nodes/node2.json", "{}\n");
  RunResult r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, device_error + "\n");  // no recovery: nothing is left over

  WriteFile(root() + "/run/mint/nodes/node7.json", "{}\n");
  r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.err, warning + device_error + "\n");  // node7's recipe
  std::filesystem::remove(root() + "/run/mint/nodes/node7.json");

  WriteFile(root() + "/run/mint/ledger/node7.json",
            "{\"version\": 1, \"node\": \"node7\", \"id\": 7, \"cpus\": [5], \"functions\": "
            "[], \"restarting\": false}\n");
  r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.err, warning + device_error + "\n");  // node7's ledger entry
  std::filesystem::remove(root() + "/run/mint/ledger/node7.json");

  WriteFile(root() + "/run/mint/ledger/node2.json", "not json\n");
  r = Mintctl({"--root", root(), "kill", "node2"});
  EXPECT_EQ(r.err, warning + device_error + "\n");  // an unreadable ledger file
}

TEST_F(Lifecycle, ExecChecksTheDeviceBeforeTakingTheChannelLock) {
  WriteFile(root() + "/dev/mint", "");
  std::string lock = root() + "/run/mint/node2.channel.lock";
  WriteFile(lock, "pid 1: exec node2\n");
  int fd = ::open(lock.c_str(), O_RDWR);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  // The device is checked first; a usable one would then meet the lock. With
  // this fake device exec stops at MINT_GET_INFO, before the lock.
  RunResult r = Mintctl({"--root", root(), "--lock-wait", "1", "exec", "node2", "--", "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_EQ(r.err, "mintctl: " + root() +
                       "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)\n");
  ::close(fd);
}

TEST_F(Lifecycle, AFailedBootLeavesNoRecipe) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  WriteFile(root() + "/dev/mint", "");
  std::vector<std::string> args = {"--root", root(), "boot", "node3", "--cores", "1"};
  for (const auto& a : WriteBootImages(root() + "/images")) args.push_back(a);
  RunResult r = Mintctl(args);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(fs::exists(root() + "/run/mint/lock"));
  EXPECT_FALSE(fs::exists(root() + "/run/mint/nodes/node3.json"));
}

// watch's lines carry the node's reason: shown, its escapes not obeyed.
// (watch runs until SIGINT: `timeout -s INT` ends it after a second.)
TEST_F(Lifecycle, WatchShowsTheReasonWithoutTerminalControls) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "crashed\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/reason",
            "Kernel panic\x1b]0;owned\x07 - not syncing\x1b[2J\n");
  std::string out = dir_path() + "/watch.out";
  std::string cmd = "timeout -s INT 1 " + Quote(MINTCTL) + " --root " + Quote(root()) + " watch >" +
                    Quote(out) + " 2>&1";
  ASSERT_NE(std::system(cmd.c_str()), -1);
  std::string text = Slurp(out);
  EXPECT_NE(text.find(" node2 is crashed (Kernel panic - not syncing); no boot recipe"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST_F(Lifecycle, WatchWithoutMint) {
  RunResult r = Mintctl({"--root", dir_path() + "/nothing", "watch"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err,
            "mintctl: /sys/kernel/mint: this kernel has no mint support: /sys/kernel/mint is "
            "missing; boot node0 with the mint kernel (see README)\n");
}

}  // namespace
}  // namespace mint::testing
