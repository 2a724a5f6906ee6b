// mintctl against the captured build VM (tests/fixtures/hosts/build-vm: 2
// CPUs, vda on 0000:00:02.0 mounted at /, eth0 on 0000:00:03.0 with
// addresses, a virtio RNG on 0000:00:05.0, no mint in its kernel).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "fake_bzimage.h"
#include "run_mintctl.h"

namespace mint::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Cli, HelpListsTheExitCodes) {
  RunResult r = Mintctl({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(Contains(r.out, "  2  refused: the plan refused")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  4  no mint: this kernel has no mint support")) << r.out;
}

TEST(Cli, TopologyJsonMapsDisksAndNicsToPciFunctions) {
  RunResult r = Mintctl({"--root", kBuildVm, "topology", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto j = nlohmann::json::parse(r.out);
  bool found_vda = false;
  for (const auto& d : j["disks"]) {
    if (d["name"] != "vda") continue;
    found_vda = true;
    EXPECT_EQ(d["pci"], "0000:00:02.0");
    EXPECT_EQ(d["in_use"], nlohmann::json::array({"vda on /"}));
  }
  EXPECT_TRUE(found_vda) << r.out;
  EXPECT_EQ(j["nics"][0]["name"], "eth0");
  EXPECT_EQ(j["nics"][0]["pci"], "0000:00:03.0");
  EXPECT_EQ(j["cpus"].size(), 2u);
  EXPECT_EQ(j["cpus"][0]["owner"], "node0");
  EXPECT_EQ(j["mint"]["present"], false);
  for (const char* key :
       {"cpus", "numa_nodes", "memory", "mint", "ecam", "pci", "disks", "nics", "mounts", "swaps"})
    EXPECT_TRUE(j.contains(key)) << key;
}

TEST(Cli, TopologyTableShowsOwnersAndWhatFunctionsServe) {
  RunResult r = Mintctl({"--root", kBuildVm, "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "mint pool: none (this kernel has no mint support)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "vda    256 GiB  0000:00:02.0  vda on /")) << r.out;
  // IOMMU "-": the build VM has none.
  EXPECT_TRUE(Contains(r.out, "0000:00:02.0  0180   virtio-pci  no   yes    -      node0  vda"))
      << r.out;
}

// bridge-br0: node0's address on br0, whose port is eth1.
TEST(Cli, TopologyShowsWhatIsStackedOnANic) {
  const std::string root = std::string(MINT_FIXTURES_DIR) + "/bridge-br0";
  RunResult r = Mintctl({"--root", root, "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out,
                       "br0 (bridge; eth1 is its port): 192.168.1.5/24, default via 192.168.1.1, "
                       "192.168.1.0/24"))
      << r.out;
  RunResult j = Mintctl({"--root", root, "topology", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto json = nlohmann::json::parse(j.out);
  ASSERT_EQ(json["nics"].size(), 2u);
  EXPECT_EQ(json["nics"][0]["uppers"], nlohmann::json::array());
  EXPECT_EQ(json["nics"][1]["name"], "eth1");
  EXPECT_EQ(json["nics"][1]["uppers"],
            nlohmann::json::parse(R"([{"name":"br0","kind":"bridge","lower":"eth1","port":true,)"
                                  R"("addresses":["192.168.1.5/24"],)"
                                  R"("routes":["default via 192.168.1.1","192.168.1.0/24"]}])"));
}

TEST(Cli, PlanNamesTheCoresMemoryAndSteps) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--mem", "1G"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(Contains(r.out, "Plan for node1 (node id 1):")) << r.out;
  EXPECT_TRUE(Contains(r.out, "cpus      1 (NUMA node 0)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "memory    1 GiB")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  - picked CPU 1: whole cores on NUMA node 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  1. NODE_CREATE node1 (id 1): CPUs 1, 1 GiB, NUMA node 0"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  4. NODE_START node1 (id 1)")) << r.out;
}

TEST(Cli, PlanWithAKernelBuildsTheImageInTheDryRun) {
  TempDir dir;
  auto image = MakeBzImage();
  WriteFile(dir.path() + "/bzImage", std::string(image.begin(), image.end()));
  WriteFile(dir.path() + "/initrd", std::string(4096, 'i'));
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--kernel",
                         dir.path() + "/bzImage", "--initrd", dir.path() + "/initrd", "--pci",
                         "0000:00:05.0", "--no-iommu", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["cpu_list"], "1");
  EXPECT_EQ(j["memory"], 512ull << 20);
  EXPECT_EQ(j["devices"][0]["pci"], "0000:00:05.0");
  EXPECT_EQ(j["devices"][0]["node0_driver"], "virtio-pci");
  EXPECT_EQ(j["devices"][0]["fenced"], false);
  EXPECT_TRUE(j["devices"][0]["iommu_group"].is_null());
  EXPECT_EQ(j["no_iommu"], true);
  std::vector<std::string> heads;
  for (const auto& s : j["steps"]) {
    std::string line = s;
    if (line[0] != ' ') heads.push_back(line.substr(0, line.find(':')));
  }
  EXPECT_EQ(heads, (std::vector<std::string>{"1. NODE_CREATE node1 (id 1)",
                                             "2. stub 0000", "3. NODE_ASSIGN_PCI node1 (id 1)",
                                             "4. build the boot image", "5. NODE_LOAD node1 (id 1)",
                                             "6. NODE_START node1 (id 1)"}))
      << r.out;
}

// A step that fails in the dry run is marked in the steps; why is said
// once, on stderr (it was printed in the steps and again by main).
TEST(Cli, AStepThatFailsIsExplainedOnce) {
  TempDir dir;
  auto image = MakeBzImage();
  const uint32_t init_size = 0x7fffffff;  // 0x260 init_size: 2 GiB, more than the node has
  std::memcpy(&image[0x260], &init_size, sizeof init_size);
  WriteFile(dir.path() + "/bzImage", std::string(image.begin(), image.end()));
  WriteFile(dir.path() + "/initrd", std::string(4096, 'i'));
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--kernel",
                         dir.path() + "/bzImage", "--initrd", dir.path() + "/initrd"});
  EXPECT_EQ(r.code, 2);
  const std::string why =
      "node1: the kernel needs 2 GiB of contiguous RAM (init_size) at a 2 MiB boundary at or "
      "above 0x1000000 (pref_address); the largest free node RAM range is 510 MiB: give the "
      "node more memory";
  EXPECT_EQ(r.err, "mintctl: " + why + "\n");
  EXPECT_TRUE(Contains(r.out, "cmdline \"console=mint mint_node_name=node1")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\n     failed\n  undo 1: NODE_DESTROY node1 (id 1)\n")) << r.out;
  EXPECT_FALSE(Contains(r.out, "init_size")) << r.out;
}

// A command line that is not printable ASCII is refused by the plan (it
// went on to abort boot: the boot recipe's JSON dump threw type_error.316).
TEST(Cli, ACmdlineThatIsNotPrintableAsciiIsRefused) {
  for (const char* bad : {"quiet \xff", "quiet\x1b[2J", "a\tb"}) {
    RunResult r =
        Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--json", "--cmdline", bad});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(Contains(r.err,
                         "which is not printable ASCII; a kernel command line is plain ASCII "
                         "text: remove it\n"))
        << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(Cli, RefusalIsOneLineOnStderrWithExitCode2) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--disk", "vda"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mintctl: --disk: vda is mounted at / in node0; give the node another disk\n");
}

TEST(Cli, TooManyCoresIsRefused) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --cores: asked for 2 CPUs but node0 can give 1 (1): cpu0's core stays "
            "with node0; ask for fewer CPUs\n");
}

TEST(Cli, UnknownDiskListsTheDisks) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--disk", "sdb"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Contains(r.err, "mintctl: --disk: no disk named sdb; this host has ")) << r.err;
  EXPECT_TRUE(Contains(r.err, " vda ")) << r.err;
}

TEST(Cli, MalformedFlagIsUsageError) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("mintctl: --cores: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, UnknownOptionAndMissingSubcommandAreUsageErrors) {
  EXPECT_EQ(Mintctl({"plan", "--frobnicate"}).code, 1);
  RunResult r = Mintctl({});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("mintctl: ", 0), 0u) << r.err;
}

TEST(Cli, MissingNameIsUsageError) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "--cores", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "mintctl: name: the node has no name; give one (mintctl plan node1 ...) or set "
            "name: in the nodeconf file\n");
}

TEST(Cli, NodeconfFileGivesTheName) {
  TempDir dir;
  WriteFile(dir.path() + "/node7.yaml", "name: node7\ncores: 1\nmemory: 256M\n");
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "-f", dir.path() + "/node7.yaml"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "Plan for node7 (node id 1):")) << r.out;
  EXPECT_TRUE(Contains(r.out, "memory    256 MiB")) << r.out;
}

TEST(Cli, MissingNodeconfFileIsUsageError) {
  RunResult r = Mintctl({"--root", kBuildVm, "plan", "-f", "/nonexistent/node1.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "mintctl: /nonexistent/node1.yaml: cannot read this nodeconf file; check the path "
            "given to -f (No such file or directory)\n");
}

// --kernel /dev/zero read forever and died of std::bad_alloc (exit 134).
// A path that is no image file is refused by plan (and so by boot) with
// exit 2; a file that is missing here stays a note of plan's.
TEST(Cli, AnImagePathThatIsNoFileIsRefused) {
  TempDir dir;
  auto image = MakeBzImage();
  WriteFile(dir.path() + "/bzImage", std::string(image.begin(), image.end()));
  const std::string refusal =
      ": a character device, not a regular file; give the file itself (a kernel image, an "
      "initramfs or a nodeconf file)\n";
  for (const char* verb : {"plan", "boot"}) {
    RunResult r =
        Mintctl({"--root", kBuildVm, verb, "node1", "--cores", "1", "--kernel", "/dev/zero"});
    EXPECT_EQ(r.code, 2) << verb;
    EXPECT_EQ(r.err, "mintctl: /dev/zero" + refusal) << verb;
    r = Mintctl({"--root", kBuildVm, verb, "node1", "--cores", "1", "--kernel",
                 dir.path() + "/bzImage", "--initrd", "/dev/zero"});
    EXPECT_EQ(r.code, 2) << verb;
    EXPECT_EQ(r.err, "mintctl: /dev/zero" + refusal) << verb;
  }
  RunResult r =
      Mintctl({"--root", kBuildVm, "plan", "node1", "--cores", "1", "--initrd", dir.path()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("mintctl: " + dir.path() + ": a directory, not a regular file", 0), 0u)
      << r.err;
  r = Mintctl({"--root", kBuildVm, "plan", "-f", "/dev/zero"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "mintctl: /dev/zero" + refusal);
}

TEST(Cli, BootWithoutMintStopsAfterThePlanWithExitCode4) {
  RunResult r = Mintctl({"--root", kBuildVm, "boot", "node1", "--cores", "1"});
  EXPECT_EQ(r.code, 4);
  EXPECT_TRUE(Contains(r.out, "Plan for node1 (node id 1):")) << r.out;
  EXPECT_EQ(r.err,
            "mintctl: /dev/mint: this kernel has no mint support: /dev/mint is missing; boot "
            "node0 with the mint kernel (see README)\n");
}

// Not root: the kernel hides /proc/iomem addresses and most of PCI config
// space. mintctl says so instead of answering "no MSI" or "ECAM at 0".
const std::string kBuildVmNonRoot = std::string(MINT_FIXTURES_DIR) + "/build-vm-nonroot";

TEST(Cli, PlanAsNonRootRefusesADeviceItCannotSee) {
  RunResult r = Mintctl(
      {"--root", kBuildVmNonRoot, "plan", "node1", "--cores", "1", "--pci", "0000:00:04.0"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err,
            "mintctl: --pci: the kernel shows mintctl only the first 64 bytes of "
            "0000:00:04.0's config space (mintctl is not running as root), so whether it has MSI "
            "or MSI-X cannot be seen; run mintctl as root\n");
}

TEST(Cli, TopologyAsNonRootSaysWhatItCannotSee) {
  RunResult r = Mintctl({"--root", kBuildVmNonRoot, "topology"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out,
                       "Not root: /proc/iomem shows no addresses, so the ECAM window is unknown\n"
                       "Not root: PCI config space shows only 64 bytes, so MSI/MSI-X are unknown "
                       "(?)\nRun mintctl as root to see them.\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "(ECAM unknown: not root)")) << r.out;
  RunResult j = Mintctl({"--root", kBuildVmNonRoot, "--json", "topology"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto json = nlohmann::json::parse(j.out);
  EXPECT_TRUE(json["iomem_hidden"].get<bool>());
  EXPECT_TRUE(json["ecam"].is_null());
  EXPECT_TRUE(json["pci"][0]["msi"].is_null());
}

TEST(Cli, StatusWithoutMintSaysSo) {
  RunResult r = Mintctl({"--root", kBuildVm, "status"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err,
            "mintctl: /sys/kernel/mint: this kernel has no mint support: /sys/kernel/mint is "
            "missing; boot node0 with the mint kernel (see README)\n");
}

}  // namespace
}  // namespace mint::testing

namespace mint::testing {
namespace {

const std::string kLabQ35 = std::string(MINT_FIXTURES_DIR) + "/lab-q35";

// Issue 2's done-when, on the lab's captured node0 (captured without an
// IOMMU: the disk is given unfenced).
TEST(CliOnLabQ35, PlanNamesTheCoresMemoryAndPciFunction) {
  RunResult r = Mintctl({"--root", kLabQ35, "plan", "node1", "--cores", "2", "--mem", "1G",
                         "--disk", "sdb", "--no-iommu"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "cpus      4-5\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "memory    1 GiB\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "disk      0000:00:03.0  Virtio SCSI (sdb), taken from virtio-pci\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "iommu     unfenced (--no-iommu): their DMA reaches all of memory\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "  1. NODE_CREATE node1 (id 1): CPUs 4-5, 1 GiB, devices unfenced "
                       "(MINT_CREATE_NO_IOMMU)\n"))
      << r.out;
  EXPECT_TRUE(
      Contains(r.out, "  2. stub 0000:00:03.0 (Virtio SCSI (sdb)): virtio-pci -> pci-stub\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  3. NODE_ASSIGN_PCI node1 (id 1): 0000:00:03.0\n")) << r.out;
}

const std::string kIommuNoAcs = std::string(MINT_FIXTURES_DIR) + "/iommu-noacs";

// iommu-noacs: eth2 and eth3 are the two functions of one 82576 in IOMMU
// group 7, with the root port above them.
TEST(CliOnIommuNoAcs, PlanShowsTheFenceOrTheWholeGroup) {
  RunResult r = Mintctl({"--root", kIommuNoAcs, "plan", "node1", "--cores", "1", "--nic", "eth2",
                         "--nic", "eth3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out,
                       "iommu     fenced (IOMMU group 7: 0000:01:00.0, 0000:01:00.1): their DMA "
                       "reaches only the node's memory\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  1. NODE_CREATE node1 (id 1): CPUs 5, 512 MiB\n")) << r.out;
  r = Mintctl({"--root", kIommuNoAcs, "--json", "plan", "node1", "--cores", "1", "--nic", "eth2",
               "--nic", "eth3"});
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["no_iommu"], false);
  EXPECT_EQ(j["devices"][1]["fenced"], true);
  EXPECT_EQ(j["devices"][1]["iommu_group"], 7);

  r = Mintctl({"--root", kIommuNoAcs, "boot", "node1", "--cores", "1", "--nic", "eth2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --nic: 0000:01:00.0 is in IOMMU group 7 with 0000:00:1c.0 (QEMU PCIe Root "
            "port, stays with node0) and 0000:01:00.1 (82576 Gigabit Network Connection, driven "
            "by igb in node0); node0's IOMMU fences a group as a whole, so its functions go to "
            "one node together or not at all: give the node 0000:01:00.1 as well (--pci "
            "0000:01:00.1), or none of the group\n");
}

TEST(CliOnIommuNoAcs, TopologyShowsEachFunctionsGroupAndItsType) {
  RunResult r = Mintctl({"--root", kIommuNoAcs, "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "0000:01:00.1  0200   igb         no   yes    7 (DMA-FQ)  node0  eth3"))
      << r.out;
  r = Mintctl({"--root", std::string(MINT_FIXTURES_DIR) + "/iommu-pt", "--json", "topology"});
  auto j = nlohmann::json::parse(r.out);
  for (const auto& f : j["pci"]) {
    EXPECT_EQ(f["iommu_type"], "identity") << f["bdf"];
    EXPECT_TRUE(f["iommu_group"].is_number()) << f["bdf"];
  }
  j = nlohmann::json::parse(Mintctl({"--root", kLabQ35, "--json", "topology"}).out);
  EXPECT_TRUE(j["pci"][0]["iommu_type"].is_null());
}

TEST(CliOnLabQ35, TopologyJsonHasTheLabsDisks) {
  RunResult r = Mintctl({"--root", kLabQ35, "--json", "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::map<std::string, std::string> pci;
  for (const auto& d : j["disks"]) pci[d["name"]] = d["pci"];
  EXPECT_EQ(pci, (std::map<std::string, std::string>{{"sda", "0000:00:02.0"},
                                                     {"sdb", "0000:00:03.0"},
                                                     {"sdc", "0000:00:04.0"},
                                                     {"sdd", "0000:00:02.0"}}));
}

TEST(CliOnLabQ35, SharedControllerIsRefusedWithExitCode2) {
  RunResult r = Mintctl({"--root", kLabQ35, "plan", "node1", "--cores", "2", "--disk", "sdd"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "mintctl: --disk: sdd is on controller 0000:00:02.0, which also serves sda; give the "
            "node a disk on its own controller\n");
}

}  // namespace
}  // namespace mint::testing

namespace mint::testing {
namespace {

// tests/fixtures/hosts/lvm-root: root on LVM on sda2, /boot on sda1, swap
// on LVM. topology shows every use through the layers, as plan sees them.
TEST(CliOnLvmRoot, TopologyShowsTheUsesThroughTheLayers) {
  const std::string root = std::string(MINT_FIXTURES_DIR) + "/lvm-root";
  RunResult r = Mintctl({"--root", root, "topology"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "sda   16 GiB  0000:00:02.0  dm-0 on /, sda1 on /boot, swap dm-1\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "sdb   8 GiB   0000:00:03.0  -\n")) << r.out;
  RunResult j = Mintctl({"--root", root, "--json", "topology"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto disks = nlohmann::json::parse(j.out)["disks"];
  int seen = 0;
  for (const auto& d : disks) {
    if (d["name"] != "sda") continue;
    ++seen;
    EXPECT_EQ(d["dev"], "8:0");
    EXPECT_EQ(d["partitions"][1], (nlohmann::json{{"name", "sda2"}, {"dev", "8:2"}}));
    EXPECT_EQ(d["stacked"][0],
              (nlohmann::json{
                  {"name", "dm-0"}, {"dev", "253:0"}, {"label", "vg0-root"}, {"on", {"sda2"}}}));
  }
  EXPECT_EQ(seen, 1) << j.out;
}

}  // namespace
}  // namespace mint::testing
