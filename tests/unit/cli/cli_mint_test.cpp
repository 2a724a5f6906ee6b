// mintctl on a host whose kernel has mint: the build VM's captured tree
// plus a /sys/kernel/mint written here the way docs/abi.md lays it out,
// with one node (node2, id 1) holding cpu1 and 256 MiB of a 2 GiB pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_mintctl.h"

namespace mint::testing {
namespace {

namespace fs = std::filesystem;

class MintHost : public ::testing::Test {
 protected:
  void SetUp() override {
    MintNodeFiles node;
    node.abi_version = "1";
    node.state = "crashed";
    node.devices = "0000:00:05.0\n";
    node.reason = "Kernel panic - not syncing: sysrq triggered crash";
    node.console = "Linux version 6.12\nmint: node 1 up\n";
    node.agent = "absent";
    node.iommu = "0000:00:05.0 unfenced\n";  // the build VM has no IOMMU: --no-iommu
    root_ = MakeMintHost(dir_.path(), node);
  }
  std::string root() const { return root_; }

 private:
  TempDir dir_;
  std::string root_;
};

TEST_F(MintHost, StatusShowsTheNode) {
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "mint pool: 2 GiB, 1792 MiB free\n"
      "NODE   ID  STATE    CPUS  MEMORY   DEVICES       IOMMU                  HEARTBEAT  UPTIME  "
      "AGENT   GUESTS  REASON\n"
      "node2  1   crashed  1     256 MiB  0000:00:05.0  unfenced (--no-iommu)  4242       -       "
      "absent  0       Kernel panic - not syncing: sysrq triggered crash\n"
      "\n"
      "node2 crashed; the last lines of its console (mintctl console node2 has all of it):\n"
      "  Linux version 6.12\n"
      "  mint: node 1 up\n");
}

TEST_F(MintHost, StatusShowsOnlyTheLastTwelveConsoleLinesOfACrashedNode) {
  std::string console;
  for (int i = 1; i <= 16; i++) console += "line " + std::to_string(i) + "\r\n\n";
  WriteFile(root() + "/sys/kernel/mint/nodes/1/console", console);
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("has all of it):\n  line 5\n  line 6\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  line 16\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("line 4\n"), std::string::npos) << r.out;
  r = Mintctl({"--root", root(), "--json", "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["nodes"][0]["console_tail"].size(), 12u);
  EXPECT_EQ(j["nodes"][0]["console_tail"][0], "line 5");
}

TEST_F(MintHost, StatusShowsNoConsoleTailForARunningNode) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "running\n");
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("last lines of its console"), std::string::npos) << r.out;
}

TEST_F(MintHost, StatusSaysWhenARunningNodesHeartbeatIsSilent) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "running\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/reason", "\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/uptime", "12.5\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/agent", "ready\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/heartbeat_age_ms", "2500\n");
  auto started = std::chrono::steady_clock::now();
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("node2  1   running  1     256 MiB  0000:00:05.0  unfenced (--no-iommu)  "
                       "4242 (silent 2.5 s)  12.5 s  ready  ?       -\n"),
            std::string::npos)
      << r.out;
  // The kernel's age is read, not a second sample half a second later.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(400));
  r = Mintctl({"--root", root(), "status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"][0]["heartbeat_age_ms"], 2500);
  EXPECT_EQ(j["nodes"][0]["heartbeat_alive"], false);
}

TEST_F(MintHost, StatusSaysARunningNodesHeartbeatIsAlive) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "running\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/reason", "\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/heartbeat_age_ms", "0\n");
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(" 4242 (alive) "), std::string::npos) << r.out;
  r = Mintctl({"--root", root(), "status", "--json"});
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"][0]["heartbeat_age_ms"], 0);
  EXPECT_EQ(j["nodes"][0]["heartbeat_alive"], true);
  // Not running or hung (or an older kernel): the count alone, liveness unknown.
  WriteFile(root() + "/sys/kernel/mint/nodes/1/heartbeat_age_ms", "\n");
  r = Mintctl({"--root", root(), "status"});
  EXPECT_NE(r.out.find(" 4242  "), std::string::npos) << r.out;
  j = nlohmann::json::parse(Mintctl({"--root", root(), "status", "--json"}).out);
  EXPECT_TRUE(j["nodes"][0]["heartbeat_age_ms"].is_null());
  EXPECT_TRUE(j["nodes"][0]["heartbeat_alive"].is_null());
}

// nodes/<id>/iommu: fenced groups, unfenced, an older kernel without the
// file, and a file that is not the kernel's.
TEST_F(MintHost, StatusShowsWhetherTheNodesDevicesAreFenced) {
  const std::string iommu = root() + "/sys/kernel/mint/nodes/1/iommu";
  auto column = [&] {
    RunResult r = Mintctl({"--root", root(), "status"});
    EXPECT_EQ(r.code, 0) << r.err;
    size_t line = r.out.find("\nnode2 ");
    size_t at = r.out.find("0000:00:05.0  ", line);
    if (line == std::string::npos || at == std::string::npos) return std::string("?");
    at += 14;
    return r.out.substr(at, r.out.find("  ", at) - at);
  };
  auto json = [&] {
    return nlohmann::json::parse(Mintctl({"--root", root(), "--json", "status"}).out)["nodes"][0]
        ["iommu"];
  };
  EXPECT_EQ(column(), "unfenced (--no-iommu)");
  EXPECT_EQ(json(), nlohmann::json::parse(R"([{"pci":"0000:00:05.0","fenced":false,"group":null}])"));

  WriteFile(root() + "/sys/kernel/mint/nodes/1/devices", "0000:00:05.0\n0000:00:04.0\n");
  WriteFile(iommu, "0000:00:05.0 fenced 5\n0000:00:04.0 fenced 4\n");
  RunResult r = Mintctl({"--root", root(), "status"});
  EXPECT_NE(r.out.find("0000:00:05.0,0000:00:04.0  fenced (groups 4, 5)  4242"), std::string::npos)
      << r.out;
  EXPECT_EQ(json(), nlohmann::json::parse(R"([{"pci":"0000:00:05.0","fenced":true,"group":5},
                                              {"pci":"0000:00:04.0","fenced":true,"group":4}])"));
  // A function that lost its fence (removed from node0, not back) is named.
  WriteFile(iommu, "0000:00:05.0 fenced 5\n0000:00:04.0 unfenced\n");
  r = Mintctl({"--root", root(), "status"});
  EXPECT_NE(r.out.find("  fenced (group 5); 0000:00:04.0 unfenced  4242"), std::string::npos)
      << r.out;

  // A kernel before ABI 4 has no iommu file, and fences nothing.
  WriteFile(root() + "/sys/kernel/mint/nodes/1/devices", "0000:00:05.0\n");
  fs::remove(iommu);
  EXPECT_EQ(column(), "unfenced (kernel before ABI 4)");
  EXPECT_TRUE(json().is_null());

  // Parsed strictly: anything but the kernel's two line shapes is refused,
  // naming the file and the line.
  for (const std::string bad : {"0000:00:05.0 fenced\n", "0000:00:05.0 fenced -1\n",
                                "0000:00:05.0 fenced 99999999999\n", "0000:00:05.0 on\n",
                                "05.0x unfenced\n", "0000:00:05.0 unfenced 3\n"}) {
    WriteFile(iommu, bad);
    r = Mintctl({"--root", root(), "status"});
    EXPECT_NE(r.code, 0) << bad;
    EXPECT_EQ(r.err, "mintctl: /sys/kernel/mint/nodes/1/iommu: line 1 (\"" +
                         bad.substr(0, bad.size() - 1) +
                         "\") is not DDDD:BB:DD.F fenced GROUP or DDDD:BB:DD.F unfenced; the file "
                         "is damaged or not from a Linux host; capture the host again with "
                         "tools/collect-host\n");
  }
  // At most MINT_MAX_PCI lines.
  std::string many;
  for (int i = 0; i < 9; ++i) many += "0000:00:0" + std::to_string(i) + ".0 fenced 1\n";
  WriteFile(iommu, many);
  r = Mintctl({"--root", root(), "status"});
  EXPECT_NE(r.err.find("line 9 (\"0000:00:08.0 fenced 1\") is not within the 8 functions a node "
                       "can own (MINT_MAX_PCI)"),
            std::string::npos)
      << r.err;
}

TEST_F(MintHost, StatusJsonHasTheNodes) {
  RunResult r = Mintctl({"--root", root(), "status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pool_free"], 1879048192u);
  ASSERT_EQ(j["nodes"].size(), 1u);
  EXPECT_EQ(j["nodes"][0]["name"], "node2");
  EXPECT_EQ(j["nodes"][0]["state"], "crashed");
  EXPECT_EQ(j["nodes"][0]["cpus"], "1");
  EXPECT_EQ(j["nodes"][0]["devices"], nlohmann::json::array({"0000:00:05.0"}));
  EXPECT_EQ(j["nodes"][0]["reason"], "Kernel panic - not syncing: sysrq triggered crash");
  EXPECT_EQ(j["nodes"][0]["uptime"], "");
}

// A node that crashed mid-write leaves any bytes in its console ring and
// reason: status --json must still print JSON (nlohmann's dump threw
// type_error.316 on the first byte that is not UTF-8: exit 134).
TEST_F(MintHost, StatusJsonSurvivesBytesThatAreNotUtf8) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/console", "ok\npanic at \xff\xfe\xc3\n");
  WriteFile(root() + "/sys/kernel/mint/nodes/1/reason", "Oops \xe2\x82\n");
  RunResult r = Mintctl({"--root", root(), "status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"][0]["console_tail"],
            nlohmann::json::array({"ok", "panic at \uFFFD\uFFFD\uFFFD"}));
  EXPECT_EQ(j["nodes"][0]["reason"], "Oops \uFFFD");
  r = Mintctl({"--root", root(), "topology", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["mint"]["nodes"][0]["reason"], "Oops \uFFFD");
}

// What the node wrote is shown, never obeyed: no escape sequence (window
// title, clear screen, colours) and no other control reaches the terminal
// through status; `console` stays the node's bytes as they are.
TEST_F(MintHost, StatusShowsNodeTextWithoutTerminalControls) {
  const std::string console =
      "\x1b]0;owned\x07Kernel panic\x1b[2J - not syncing\r\n\x1b[31mred\x1b[0m\x7f\x08!\n";
  WriteFile(root() + "/sys/kernel/mint/nodes/1/console", console);
  WriteFile(root() + "/sys/kernel/mint/nodes/1/reason", "bad\x1b[1;1H\x9b thing\n");
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  Kernel panic - not syncing\n  red!\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad\uFFFD thing\n"), std::string::npos) << r.out;
  EXPECT_EQ(std::count_if(r.out.begin(), r.out.end(),
                          [](char c) { return c != '\n' && static_cast<unsigned char>(c) < 0x20; }),
            0)
      << r.out;
  r = Mintctl({"--root", root(), "console", "node2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, console);
}

TEST_F(MintHost, StatusWithoutNodesSaysSo) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  RunResult r = Mintctl({"--root", root(), "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "mint pool: 2 GiB, 1792 MiB free\nno nodes\n");
}

TEST_F(MintHost, DestroyOfARunningNodeIsRefused) {
  WriteFile(root() + "/sys/kernel/mint/nodes/1/state", "running\n");
  RunResult r = Mintctl({"--root", root(), "destroy", "node2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: node2: the node is running; stop it first (mintctl stop node2, or mintctl "
            "kill node2)\n");
}

TEST_F(MintHost, DestroyWithoutDevMintIsNoMint) {
  RunResult r = Mintctl({"--root", root(), "destroy", "node2"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err.rfind("mintctl: /dev/mint: this kernel has no mint support", 0), 0u) << r.err;
}

TEST_F(MintHost, StopOfAnUnknownNodeIsRefused) {
  RunResult r = Mintctl({"--root", root(), "stop", "--force", "node9"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "mintctl: node9: no node with this name; mintctl status lists the nodes\n");
}

TEST_F(MintHost, ConsolePrintsTheRing) {
  RunResult r = Mintctl({"--root", root(), "console", "node2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Linux version 6.12\nmint: node 1 up\n");
}

TEST_F(MintHost, ConsoleOfAnUnknownNodeIsRefused) {
  RunResult r = Mintctl({"--root", root(), "console", "node9"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "mintctl: node9: no node with this name; mintctl status lists the nodes\n");
}

TEST_F(MintHost, PlanRefusesANameInUse) {
  RunResult r = Mintctl({"--root", root(), "plan", "node2", "--cores", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: NODE: a node named node2 already exists (id 1, crashed); pick another "
            "name or destroy it first (mintctl destroy node2)\n");
}

TEST_F(MintHost, PlanRefusesCpusAnotherNodeHolds) {
  RunResult r = Mintctl({"--root", root(), "plan", "node3", "--cores", "1-1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --cores: cpu1 belongs to node2; pick CPUs no node holds (mintctl topology "
            "shows the owners) or destroy node2 first\n");
}

TEST_F(MintHost, PlanRefusesMoreMemoryThanIsFree) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  WriteFile(root() + "/sys/kernel/mint/pool_free", "268435456\n");
  RunResult r = Mintctl({"--root", root(), "plan", "node3", "--cores", "1", "--mem", "1G"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --mem: only 256 MiB of the 2 GiB mint pool is free (other nodes hold the "
            "rest); ask for 256 MiB or less, or destroy a node\n");
}

TEST_F(MintHost, CpusOfAnotherNodeLeaveNoneToGive) {
  RunResult r = Mintctl({"--root", root(), "plan", "node3", "--cores", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --cores: asked for 1 CPU but node0 can give none: cpu0's core stays with "
            "node0, node2 holds 1; ask for fewer CPUs\n");
}

std::vector<std::string> Args(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_F(MintHost, BootWithAnUnusableDevMintIsAHostError) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  WriteFile(root() + "/dev/mint", "");  // a regular file: MINT_GET_INFO fails with ENOTTY
  RunResult r = Mintctl(Args({"--root", root(), "boot", "node3", "--cores", "1"},
                             WriteBootImages(root() + "/images")));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.err, "mintctl: " + root() +
                       "/dev/mint: MINT_GET_INFO failed (Inappropriate ioctl for device)\n");
}

// --timings: the phases boot went through, in order, each once, also when
// it failed (here: at /dev/mint, after the rehearsal); the rest never ran.
TEST_F(MintHost, BootTimingsListThePhasesItWentThrough) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  WriteFile(root() + "/dev/mint", "");
  RunResult r = Mintctl(Args({"--root", root(), "boot", "node3", "--cores", "1", "--timings"},
                             WriteBootImages(root() + "/images")));
  EXPECT_EQ(r.code, 3) << r.err;
  const size_t at = r.out.find("\nTimings (mintctl's monotonic clock):\n");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::vector<std::string> names;
  std::istringstream lines(r.out.substr(at));
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("  ") && line.find(" ms   total ") != std::string::npos)
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
  EXPECT_EQ(names,
            (std::vector<std::string>{"lock", "topology", "read_images", "plan", "rehearse"}))
      << r.out;
  EXPECT_NE(r.out.find("\ntotal "), std::string::npos) << r.out;
  // --json: apply never ran, so there is no boot object to print.
  r = Mintctl(Args({"--root", root(), "--json", "boot", "node3", "--cores", "1", "--timings"},
                   WriteBootImages(root() + "/images")));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out, "");
}

// What the kernel or the image builder would refuse half-way is refused by
// the rehearsal, before /dev/mint is opened: here /dev/mint is a regular
// file, so any ioctl would fail with ENOTTY (exit 3) instead.
TEST_F(MintHost, BootRefusesWhatTheImageBuilderWouldRefuseBeforeTouchingTheHost) {
  fs::remove_all(root() + "/sys/kernel/mint/nodes/1");
  WriteFile(root() + "/dev/mint", "");
  RunResult r = Mintctl(
      Args({"--root", root(), "boot", "node3", "--cores", "1", "--cmdline", std::string(3000, 'x')},
           WriteBootImages(root() + "/images")));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(r.err.starts_with("mintctl: node3: the kernel command line is ")) << r.err;
  EXPECT_TRUE(r.err.ends_with("; nothing on the host was changed\n")) << r.err;
  EXPECT_FALSE(fs::exists(root() + "/run/mint/nodes/node3.json"));
}

TEST_F(MintHost, PlanRefusesMoreMemoryThanTheHostHasOnlyAgainstARealPool) {
  // Without mint the pool is unknown: the plan says so and the dry run
  // does not invent one to refuse against.
  fs::remove_all(root() + "/sys/kernel/mint");
  RunResult r = Mintctl({"--root", root(), "plan", "node3", "--cores", "1", "--mem", "100G"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("was not checked"), std::string::npos) << r.out;
}

TEST_F(MintHost, TopologyShowsThePoolAndOwners) {
  RunResult r = Mintctl({"--root", root(), "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("mint pool: 2 GiB, 1792 MiB free, at 0x100000000 (2 GiB)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1    0:1   1    0     1     yes     node2"), std::string::npos) << r.out;
}

// A function the kernel holds for a node (NODE_ASSIGN_PCI binds it to
// mint-owned): topology names its driver and its owner.
TEST_F(MintHost, TopologyShowsAHeldFunctionAsTheNodes) {
  std::string link = root() + "/sys/bus/pci/devices/0000:00:05.0/driver";
  fs::remove(link);
  fs::create_symlink("../../../bus/pci/drivers/mint-owned", link);
  RunResult r = Mintctl({"--root", root(), "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto line = r.out.find("0000:00:05.0");
  ASSERT_NE(line, std::string::npos) << r.out;
  std::string row = r.out.substr(line, r.out.find('\n', line) - line);
  EXPECT_NE(row.find(" mint-owned "), std::string::npos) << row;
  EXPECT_NE(row.find(" node2"), std::string::npos) << row;
  RunResult j = Mintctl({"--root", root(), "--json", "topology"});
  ASSERT_EQ(j.code, 0) << j.err;
  bool seen = false;
  auto topology = nlohmann::json::parse(j.out);
  for (const auto& f : topology["pci"])
    if (f["bdf"] == "0000:00:05.0") {
      seen = true;
      EXPECT_EQ(f["driver"], "mint-owned");
      EXPECT_EQ(f["owner"], "node2");
    }
  EXPECT_TRUE(seen) << j.out;
}

}  // namespace
}  // namespace mint::testing
