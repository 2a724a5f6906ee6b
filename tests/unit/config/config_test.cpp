// Tests for mint::config: the nodeconf examples parse to the values they
// say, every malformed input gets its exact message and file:line:col, and
// flags give the same NodeSpec as the equivalent file.
#include "mint/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mint::config {
namespace {

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(MINT_NODECONF_EXAMPLES) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The error as mintctl would print it: "context: message".
std::string ErrorOf(std::string_view yaml) {
  auto spec = ParseNodeConf(yaml, "n.yaml");
  if (spec.ok()) return "(parsed)";
  return spec.error().context + ": " + spec.error().message;
}

std::string FlagErrorOf(const NodeFlags& flags, NodeSpec base = {}) {
  auto spec = ApplyFlags(std::move(base), flags);
  if (spec.ok()) return "(applied)";
  return spec.error().context + ": " + spec.error().message;
}

// Every value field of NodeSpec (not where the values came from).
void ExpectSameSpec(const NodeSpec& a, const NodeSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.core_count, b.core_count);
  EXPECT_EQ(a.cpu_list, b.cpu_list);
  EXPECT_EQ(a.numa_node, b.numa_node);
  EXPECT_EQ(a.memory, b.memory);
  ASSERT_EQ(a.devices.size(), b.devices.size());
  for (size_t i = 0; i < a.devices.size(); ++i) {
    EXPECT_EQ(a.devices[i].kind, b.devices[i].kind) << i;
    EXPECT_EQ(a.devices[i].name, b.devices[i].name) << i;
  }
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.initrd, b.initrd);
  EXPECT_EQ(a.cmdline, b.cmdline);
  EXPECT_EQ(a.on_crash, b.on_crash);
  EXPECT_EQ(a.restart_budget, b.restart_budget);
  EXPECT_EQ(a.no_iommu, b.no_iommu);
}

TEST(NodeConf, MinimalExample) {
  auto spec = ParseNodeConf(ReadExample("minimal.yaml"), "minimal.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "node1");
  EXPECT_EQ(spec->name_where.ToString(), "minimal.yaml:3:7");
  EXPECT_EQ(spec->core_count, 2u);
  EXPECT_TRUE(spec->cpu_list.empty());
  EXPECT_EQ(spec->memory, ByteSize{512ull << 20});
  EXPECT_EQ(spec->memory_where.ToString(), "minimal.yaml:5:9");
  EXPECT_TRUE(spec->devices.empty());
  EXPECT_EQ(spec->on_crash, OnCrash::kStop);
  EXPECT_EQ(spec->restart_budget, 3u);
}

TEST(NodeConf, DiskNicExample) {
  auto spec = ParseNodeConf(ReadExample("disk-nic.yaml"), "disk-nic.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "node2");
  EXPECT_EQ(spec->memory, ByteSize{1ull << 30});
  ASSERT_EQ(spec->devices.size(), 2u);
  EXPECT_EQ(spec->devices[0].kind, DeviceKind::kDisk);
  EXPECT_EQ(spec->devices[0].name, "sdb");
  EXPECT_EQ(spec->devices[0].where.ToString(), "disk-nic.yaml:8:11");
  EXPECT_EQ(spec->devices[1].kind, DeviceKind::kNic);
  EXPECT_EQ(spec->devices[1].name, "eth1");
}

TEST(NodeConf, FullExample) {
  auto spec = ParseNodeConf(ReadExample("full.yaml"), "full.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "node3");
  EXPECT_FALSE(spec->core_count.has_value());
  EXPECT_EQ(spec->cpu_list, (std::vector<CpuId>{{2}, {3}}));
  EXPECT_EQ(spec->numa_node, 0);
  EXPECT_EQ(spec->memory, ByteSize{2ull << 30});
  ASSERT_EQ(spec->devices.size(), 2u);
  EXPECT_EQ(spec->devices[0].kind, DeviceKind::kDisk);
  EXPECT_EQ(spec->devices[0].name, "sdc");  // "/dev/" stripped
  EXPECT_EQ(spec->devices[1].kind, DeviceKind::kPci);
  EXPECT_EQ(spec->devices[1].name, "0000:03:00.0");
  EXPECT_EQ(spec->kernel, "/boot/mint/bzImage");
  EXPECT_EQ(spec->initrd, "/boot/mint/node-initrd.img");
  EXPECT_EQ(spec->cmdline, "console=mint loglevel=7");
  EXPECT_EQ(spec->on_crash, OnCrash::kRestart);
  EXPECT_EQ(spec->restart_budget, 5u);
}

TEST(NodeConf, ShortBdfIsDomainZero) {
  auto spec = ParseNodeConf("devices:\n  - pci: 03:00.0\n", "n.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->devices[0].name, "0000:03:00.0");
}

TEST(NodeConf, NameIsOptionalInTheFile) {
  auto spec = ParseNodeConf("cores: 1\n", "n.yaml");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->name, "");
}

TEST(NodeConf, SyntaxError) {
  EXPECT_EQ(ErrorOf("name: node1\ncores: [1, 2\n"),
            "n.yaml:3:1: not valid YAML: end of sequence flow not found");
}

TEST(NodeConf, EmptyFile) {
  EXPECT_EQ(ErrorOf(""),
            "n.yaml:1:1: the file is empty; a nodeconf holds at least one key, "
            "e.g. cores: 2");
}

TEST(NodeConf, NotAMapping) {
  EXPECT_EQ(ErrorOf("- name: node1\n"),
            "n.yaml:1:1: a nodeconf is a mapping of keys (name, cores, memory, devices, ...); "
            "see nodeconf/README.md");
}

TEST(NodeConf, UnknownKey) {
  EXPECT_EQ(ErrorOf("name: node1\ncore: 2\n"),
            "n.yaml:2:1: unknown key \"core\"; the keys are name, cores, numa-node, memory, "
            "devices, iommu, kernel, initrd, cmdline, on-crash, restart-budget, kvm, guests");
}

// iommu: false is --no-iommu; either door says where it came from.
TEST(NodeConf, IommuFalseIsNoIommu) {
  auto spec = ParseNodeConf("cores: 2\niommu: false\n", "n.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_TRUE(spec->no_iommu);
  EXPECT_EQ(spec->no_iommu_where.ToString(), "n.yaml:2:8");
  spec = ParseNodeConf("iommu: true\n", "n.yaml");
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->no_iommu);
  EXPECT_FALSE(ParseNodeConf("cores: 2\n", "n.yaml")->no_iommu);
  EXPECT_EQ(ErrorOf("iommu: off\n"), "n.yaml:1:8: iommu must be true or false, not \"off\"");
  EXPECT_EQ(ErrorOf("iommu: [false]\n"), "n.yaml:1:8: iommu must be true or false");

  NodeFlags flags;
  flags.no_iommu = true;
  auto flagged = ApplyFlags(*ParseNodeConf("iommu: true\n", "n.yaml"), flags);
  ASSERT_TRUE(flagged.ok());
  EXPECT_TRUE(flagged->no_iommu);
  EXPECT_EQ(flagged->no_iommu_where.ToString(), "--no-iommu");
  // Without the flag the file's value stays.
  auto kept = ApplyFlags(*ParseNodeConf("iommu: false\n", "n.yaml"), NodeFlags{});
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->no_iommu);
}

TEST(NodeConf, DuplicateKey) {
  EXPECT_EQ(ErrorOf("cores: 2\nmemory: 1G\ncores: 3\n"),
            "n.yaml:3:1: key cores is given twice (first at n.yaml:1:1)");
}

TEST(NodeConf, WrongTypes) {
  EXPECT_EQ(ErrorOf("name: [node1]\n"), "n.yaml:1:7: name must be a string like node1");
  EXPECT_EQ(ErrorOf("cores: {a: 1}\n"),
            "n.yaml:1:8: cores must be a count like 2 or a list like [2, 3]");
  EXPECT_EQ(ErrorOf("memory:\n"), "n.yaml:1:1: memory must be a size like 512M");
  EXPECT_EQ(ErrorOf("devices: sdb\n"),
            "n.yaml:1:10: devices must be a list like [{disk: sdb}, {nic: eth1}]");
  EXPECT_EQ(ErrorOf("kernel: [a]\n"), "n.yaml:1:9: kernel must be a file path");
  EXPECT_EQ(ErrorOf("on-crash: [stop]\n"), "n.yaml:1:11: on-crash must be stop or restart");
}

TEST(NodeConf, BadName) {
  EXPECT_EQ(ErrorOf("name: \"\"\n"),
            "n.yaml:1:7: the node name is empty; use 1 to 31 lower-case letters, digits or "
            "'-', starting with a letter (e.g. node1)");
  EXPECT_EQ(ErrorOf("name: Node_1\n"),
            "n.yaml:1:7: \"Node_1\" is not a node name; use 1 to 31 lower-case letters, "
            "digits or '-', starting with a letter (e.g. node1)");
  EXPECT_EQ(ErrorOf("name: 1node\n"),
            "n.yaml:1:7: \"1node\" is not a node name; use 1 to 31 lower-case letters, "
            "digits or '-', starting with a letter (e.g. node1)");
  // 31 characters fit MINT_NAME_LEN (32 with the NUL); 32 do not.
  EXPECT_EQ(ErrorOf("name: a" + std::string(30, 'b') + "\n"), "(parsed)");
  EXPECT_NE(ErrorOf("name: a" + std::string(31, 'b') + "\n"), "(parsed)");
}

TEST(NodeConf, BadCores) {
  EXPECT_EQ(ErrorOf("cores: 0\n"),
            "n.yaml:1:8: cores must be at least 1; give a count like 2 or a list like [2, 3]");
  EXPECT_EQ(ErrorOf("cores: two\n"),
            "n.yaml:1:8: cores \"two\" is not a count or a CPU list; give a count like 2 or a "
            "list like 2-3,6");
  EXPECT_EQ(ErrorOf("cores: []\n"),
            "n.yaml:1:8: the core list is empty; give a count like 2 or a list like [2, 3]");
  EXPECT_EQ(ErrorOf("cores: [2, x]\n"), "n.yaml:1:12: a core list holds CPU numbers, e.g. [2, 3]");
  EXPECT_EQ(ErrorOf("cores: [2, -1]\n"), "n.yaml:1:12: a core list holds CPU numbers, e.g. [2, 3]");
  EXPECT_EQ(ErrorOf("cores: [3, 2, 3]\n"), "n.yaml:1:8: CPU 3 is listed twice");
}

TEST(NodeConf, BadSizes) {
  EXPECT_EQ(ErrorOf("memory: 12Q\n"),
            "n.yaml:1:9: memory \"12Q\" is not a size; write a whole number with an optional "
            "unit B, K, M, G or T (also KB or KiB, MB or MiB, ...; binary: 1G = 1024M), e.g. 512M");
  EXPECT_EQ(ErrorOf("memory: 1IB\n").find("n.yaml:1:9: memory \"1IB\" is not a size;"), 0u);
  EXPECT_EQ(ErrorOf("memory: 3BB\n").find("n.yaml:1:9: memory \"3BB\" is not a size;"), 0u);
  EXPECT_EQ(ErrorOf("memory: 0\n"), "n.yaml:1:9: memory must be more than 0, e.g. 512M");
  EXPECT_EQ(ErrorOf("numa-node: -1\n"),
            "n.yaml:1:12: numa-node \"-1\" is not a NUMA node number; write 0, 1, ... as "
            "numactl --hardware lists them");
  EXPECT_EQ(ErrorOf("restart-budget: lots\n"),
            "n.yaml:1:17: restart-budget \"lots\" is not a count; write a whole number of "
            "restarts, 0 or more");
  EXPECT_EQ(ErrorOf("on-crash: reboot\n"),
            "n.yaml:1:11: on-crash \"reboot\" is not a policy; write stop or restart");
  EXPECT_EQ(ErrorOf("kernel: \"\"\n"),
            "n.yaml:1:9: kernel is an empty path; give a file or leave kernel out for the "
            "default");
}

TEST(NodeConf, BadDevices) {
  EXPECT_EQ(ErrorOf("devices:\n  - pci: 0000:zz:00.0\n"),
            "n.yaml:2:10: pci \"0000:zz:00.0\" is not a PCI address; write "
            "DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. 0000:03:00.0 (as lspci -D prints it)");
  EXPECT_EQ(ErrorOf("devices:\n  - pci: 0000:00:20.0\n").substr(0, 43),
            "n.yaml:2:10: pci \"0000:00:20.0\" is not a PC");
  EXPECT_EQ(ErrorOf("devices:\n  - usb: 1-2\n"),
            "n.yaml:2:5: unknown device kind \"usb\"; use disk, nic or pci");
  EXPECT_EQ(ErrorOf("devices:\n  - sdb\n"),
            "n.yaml:2:5: each device is a one-key mapping: {disk: sdb}, {nic: eth1} or "
            "{pci: 0000:03:00.0}");
  EXPECT_EQ(ErrorOf("devices:\n  - {disk: sdb, nic: eth1}\n"),
            "n.yaml:2:5: each device is a one-key mapping: {disk: sdb}, {nic: eth1} or "
            "{pci: 0000:03:00.0}");
  EXPECT_EQ(ErrorOf("devices:\n  - disk: ../sda\n"),
            "n.yaml:2:11: disk \"../sda\" is not a block device name; write its name in "
            "/sys/block, e.g. sdb or /dev/sdb");
  EXPECT_EQ(ErrorOf("devices:\n  - nic: a-very-long-interface\n"),
            "n.yaml:2:10: nic \"a-very-long-interface\" is not a network interface name; "
            "write its name in /sys/class/net, e.g. eth1");
  EXPECT_EQ(ErrorOf("devices:\n  - disk: sdb\n  - disk: /dev/sdb\n"),
            "n.yaml:3:11: disk sdb is given twice (also at n.yaml:2:11); list each device once");
}

// The acceptance check of the issue: flags and file give the same NodeSpec.
TEST(Flags, SameSpecAsTheFile) {
  auto file = ParseNodeConf(ReadExample("full.yaml"), "full.yaml");
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  NodeFlags flags;
  flags.name = "node3";
  flags.cores = "2-3";
  flags.numa_node = "0";
  flags.memory = "2G";
  flags.pcis = {"0000:03:00.0"};
  flags.disks = {"/dev/sdc"};
  flags.kernel = "/boot/mint/bzImage";
  flags.initrd = "/boot/mint/node-initrd.img";
  flags.cmdline = "console=mint loglevel=7";
  flags.on_crash = "restart";
  NodeSpec base;
  base.restart_budget = 5;  // restart-budget has no flag
  auto from_flags = ApplyFlags(base, flags);
  ASSERT_TRUE(from_flags.ok()) << from_flags.error().ToString();
  ExpectSameSpec(*file, *from_flags);
  EXPECT_EQ(from_flags->memory_where.ToString(), "--mem");
  EXPECT_EQ(from_flags->devices[0].where.ToString(), "--disk");
  EXPECT_EQ(from_flags->devices[1].where.ToString(), "--pci");

  auto disk_nic = ParseNodeConf(ReadExample("disk-nic.yaml"), "disk-nic.yaml");
  ASSERT_TRUE(disk_nic.ok());
  NodeFlags short_flags;
  short_flags.name = "node2";
  short_flags.cores = "2";
  short_flags.memory = "1G";
  short_flags.disks = {"sdb"};
  short_flags.nics = {"eth1"};
  auto from_short = ApplyFlags({}, short_flags);
  ASSERT_TRUE(from_short.ok()) << from_short.error().ToString();
  ExpectSameSpec(*disk_nic, *from_short);
}

TEST(Flags, FlagsReplaceFileValuesAndAddDevices) {
  auto file = ParseNodeConf(ReadExample("disk-nic.yaml"), "disk-nic.yaml");
  ASSERT_TRUE(file.ok());
  NodeFlags flags;
  flags.cores = "4,5";
  flags.memory = "2G";
  flags.pcis = {"03:00.0"};
  auto spec = ApplyFlags(*file, flags);
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "node2");
  EXPECT_FALSE(spec->core_count.has_value());
  EXPECT_EQ(spec->cpu_list, (std::vector<CpuId>{{4}, {5}}));
  EXPECT_EQ(spec->cores_where.ToString(), "--cores");
  EXPECT_EQ(spec->memory, ByteSize{2ull << 30});
  ASSERT_EQ(spec->devices.size(), 3u);
  EXPECT_EQ(spec->devices[2].name, "0000:03:00.0");
  EXPECT_EQ(spec->devices[0].where.ToString(), "disk-nic.yaml:8:11");
}

TEST(Flags, Contradictions) {
  auto file = ParseNodeConf(ReadExample("disk-nic.yaml"), "disk-nic.yaml");
  ASSERT_TRUE(file.ok());
  NodeFlags other_name;
  other_name.name = "node9";
  EXPECT_EQ(FlagErrorOf(other_name, *file),
            "disk-nic.yaml:4:7: the file names this node node2 but the command line says "
            "node9; drop one of the two or make them agree");
  NodeFlags same_disk;
  same_disk.disks = {"/dev/sdb"};
  EXPECT_EQ(FlagErrorOf(same_disk, *file),
            "--disk: disk sdb is given twice (also at disk-nic.yaml:8:11); list each device "
            "once");
}

TEST(Flags, BadValues) {
  NodeFlags flags;
  flags.cores = "0";
  EXPECT_EQ(FlagErrorOf(flags),
            "--cores: cores must be at least 1; give a count like 2 or a list like [2, 3]");
  flags = {};
  flags.cores = "2-";
  EXPECT_EQ(FlagErrorOf(flags),
            "--cores: cores \"2-\" is not a count or a CPU list; give a count like 2 or a list "
            "like 2-3,6");
  flags = {};
  flags.memory = "lots";
  EXPECT_EQ(FlagErrorOf(flags),
            "--mem: memory \"lots\" is not a size; write a whole number with an optional unit B, "
            "K, M, G or T (also KB or KiB, MB or MiB, ...; binary: 1G = 1024M), e.g. 512M");
  flags = {};
  flags.memory = "18446744073709551615";
  EXPECT_EQ(FlagErrorOf(flags),
            "--mem: memory \"18446744073709551615\" is more than 4096T (4 PiB, all that x86-64 "
            "can address); write a size up to 4096T");
  flags = {};
  flags.memory = "1IB";
  EXPECT_EQ(FlagErrorOf(flags).find("--mem: memory \"1IB\" is not a size; "), 0u);
  flags = {};
  flags.name = "Node1";
  EXPECT_EQ(FlagErrorOf(flags),
            "NODE: \"Node1\" is not a node name; use 1 to 31 lower-case letters, digits or "
            "'-', starting with a letter (e.g. node1)");
  flags = {};
  flags.on_crash = "panic";
  EXPECT_EQ(FlagErrorOf(flags),
            "--on-crash: on-crash \"panic\" is not a policy; write stop or restart");
  flags = {};
  flags.pcis = {"3:0.0.0"};
  EXPECT_EQ(FlagErrorOf(flags).substr(0, 36), "--pci: pci \"3:0.0.0\" is not a PCI ad");
}

TEST(Flags, SingleCpuList) {
  NodeFlags flags;
  flags.cores = "5-5";
  auto spec = ApplyFlags({}, flags);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->cpu_list, (std::vector<CpuId>{{5}}));
  EXPECT_FALSE(spec->core_count.has_value());
}

}  // namespace
}  // namespace mint::config
