// ParseNodeConsole: the node kernel's phases from the printk timestamps of
// its console, on made-up consoles (every marker, truncated, a restart's
// two boots, wrapped, garbage) and on consoles captured from the lab.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "mint/timing.h"

namespace mint::timing {
namespace {

using std::chrono::microseconds;

const std::string kBoot =
    "[    0.000000] Linux version 6.12.57 (mint@lab) #1 SMP PREEMPT_DYNAMIC\n"
    "[    0.000000] Command line: console=mint mint_node_name=node1\n"
    "[    0.012000] Hypervisor detected: mint node\n"
    "[    0.210000] smp: Bringing up secondary CPUs ...\n"
    "[    0.250500] smp: Brought up 1 node, 2 CPUs\n"
    "[    0.700000] mint: node 1 running\n"
    "[    0.800000] Freeing unused kernel image (initmem) memory: 2048K\n"
    "[    0.810000] Run /init as init process\n"
    "mint-agent: listening\n"
    "[    1.500000] mint-node: node1 up: 2 CPUs, 496328 kB, disks: sda\n"
    "node1:/# \n";

std::vector<std::pair<Phase, microseconds::rep>> Us(const NodeBoot& b) {
  std::vector<std::pair<Phase, microseconds::rep>> out;
  for (const auto& [p, d] : b.phases)
    out.emplace_back(p, std::chrono::duration_cast<microseconds>(d).count());
  return out;
}

using Expect = std::vector<std::pair<Phase, microseconds::rep>>;

TEST(NodeConsole, EveryPhaseOfACompleteBoot) {
  NodeBoot b = ParseNodeConsole(kBoot, "node1");
  EXPECT_EQ(Us(b), (Expect{{Phase::kEarlySetup, 210000},
                           {Phase::kSmp, 40500},
                           {Phase::kInitcalls, 559500},
                           {Phase::kInit, 690000}}));
  EXPECT_EQ(b.last_stamp, microseconds(1500000));
}

TEST(NodeConsole, TheMarkerOfAnotherNodeIsNotThisOnes) {
  NodeBoot b = ParseNodeConsole(kBoot, "node12");
  EXPECT_EQ(b.phases.size(), 3u);  // no kInit: "mint-node: node1 up" is not node12's
}

TEST(NodeConsole, ATruncatedConsoleGivesThePhasesItReached) {
  std::string cut = kBoot.substr(0, kBoot.find("[    0.700000]"));
  NodeBoot b = ParseNodeConsole(cut, "node1");
  EXPECT_EQ(Us(b), (Expect{{Phase::kEarlySetup, 210000}, {Phase::kSmp, 40500}}));
  EXPECT_EQ(b.last_stamp, microseconds(250500));
  // Cut in the middle of a line: that line does not count.
  std::string mid = kBoot.substr(0, kBoot.find("Run /init") + 5);
  EXPECT_EQ(ParseNodeConsole(mid, "node1").phases.size(), 2u);
}

TEST(NodeConsole, OnlyTheLastBootCountsAfterARestart) {
  std::string second =
      "[    0.000000] Linux version 6.12.57 (mint@lab) #1 SMP PREEMPT_DYNAMIC\n"
      "[    0.300000] smp: Bringing up secondary CPUs ...\n"
      "[    0.330000] smp: Brought up 1 node, 2 CPUs\n";
  NodeBoot b =
      ParseNodeConsole(kBoot + "[    9.100000] Kernel panic - not syncing\n" + second, "node1");
  EXPECT_EQ(Us(b), (Expect{{Phase::kEarlySetup, 300000}, {Phase::kSmp, 30000}}));
  EXPECT_EQ(b.last_stamp, microseconds(330000));
}

TEST(NodeConsole, AWrappedRingStillGivesThePhasesFromTheClocksZero) {
  // The ring kept only the end: the "Linux version" line and the start of
  // the line after it are gone.
  std::string wrapped = kBoot.substr(kBoot.find("ected: mint node"));
  NodeBoot b = ParseNodeConsole(wrapped, "node1");
  EXPECT_EQ(b.phases.size(), 4u);
  EXPECT_EQ(Us(b)[0], (std::pair<Phase, microseconds::rep>{Phase::kEarlySetup, 210000}));
  // Lost beyond the first marker: nothing can be said from 0 on.
  std::string later = kBoot.substr(kBoot.find("[    0.250500]"));
  EXPECT_TRUE(ParseNodeConsole(later, "node1").phases.empty());
  EXPECT_EQ(ParseNodeConsole(later, "node1").last_stamp, microseconds(1500000));
}

TEST(NodeConsole, AMarkerEarlierThanTheOneBeforeEndsTheList) {
  std::string odd =
      "[    0.500000] smp: Bringing up secondary CPUs ...\n"
      "[    0.100000] smp: Brought up 1 node, 2 CPUs\n"
      "[    0.900000] Run /init as init process\n";
  NodeBoot b = ParseNodeConsole(odd, "node1");
  EXPECT_EQ(Us(b), (Expect{{Phase::kEarlySetup, 500000}}));
  EXPECT_EQ(b.last_stamp, microseconds(900000));
}

TEST(NodeConsole, MalformedStampsAreNotStamps) {
  for (const char* line :
       {"[0.210000 smp: Bringing up secondary CPUs\n", "[ -1.000000] smp: Bringing up secondary\n",
        "[    .210000] smp: Bringing up secondary CPUs\n",
        "[    0.] smp: Bringing up secondary CPUs\n",
        "[ 12345678901.000000] smp: Bringing up secondary CPUs\n",
        "[ 1.1234567890] smp: Bringing up secondary CPUs\n",
        " [    0.210000] smp: Bringing up secondary CPUs\n", "[\n", "", "]]]]\n"}) {
    NodeBoot b = ParseNodeConsole(line, "node1");
    EXPECT_TRUE(b.phases.empty()) << line;
    EXPECT_EQ(b.last_stamp, std::nullopt) << line;
  }
  // The largest one that is: 9 digits either side.
  NodeBoot b = ParseNodeConsole("[999999999.999999999] x\n", "node1");
  EXPECT_EQ(b.last_stamp, std::chrono::nanoseconds(999999999999999999));
}

TEST(NodeConsole, CarriageReturnsNulsAndInvalidUtf8AreHarmless) {
  std::string text = kBoot;
  for (size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos; pos += 2)
    text.insert(pos, "\r");
  text.insert(0, std::string("\0\xff\xfe\x80garbage\n", 12));
  NodeBoot b = ParseNodeConsole(text, "node1");
  EXPECT_EQ(b.phases.size(), 4u);
}

TEST(NodeConsole, RandomBytesNeverCrash) {
  std::mt19937 rng(16);
  const std::string alphabet("[] .0123456789\n\r\0smp:Brought up Linux version mint-node", 55);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    size_t n = rng() % 600;
    for (size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    if (round % 3 == 0) text = kBoot.substr(0, rng() % kBoot.size()) + text;
    NodeBoot b = ParseNodeConsole(text, "node1");
    Duration sum{0};
    for (const auto& [p, d] : b.phases) {
      EXPECT_GE(d.count(), 0);
      sum += d;
    }
    if (!b.phases.empty()) {
      ASSERT_TRUE(b.last_stamp);
      EXPECT_LE(sum, *b.last_stamp);
    }
  }
}

TEST(NodeConsole, OnlyTheLastBoundedBytesAndLinesAreRead) {
  // A huge console: only its end is looked at, and a line cut by the bound
  // is skipped.
  std::string filler(kMaxConsoleBytes, 'x');
  NodeBoot b = ParseNodeConsole(filler + "\n" + kBoot, "node1");
  EXPECT_EQ(b.phases.size(), 4u);
  NodeBoot only_filler = ParseNodeConsole(kBoot + filler, "node1");
  EXPECT_TRUE(only_filler.phases.empty());
  // An over-long line is not a marker, even with a stamp.
  std::string long_line =
      "[    0.210000] smp: Bringing up secondary CPUs" + std::string(kMaxLineBytes, ' ') + "\n";
  EXPECT_TRUE(ParseNodeConsole(long_line, "node1").phases.empty());
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream f(std::string(MINT_TIMING_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Captured in the lab (QEMU TCG, loaded host): node1's console after
// `mintctl boot node1 --cores 2 --mem 512M --disk sdb`, after a panic
// (sysrq c), and after `mintctl restart node1` (the ring starts afresh at
// NODE_START). Expected: the stamps of the marker lines in the files.
TEST(NodeConsoleCaptured, FirstBoot) {
  NodeBoot b = ParseNodeConsole(ReadTestdata("node1-boot.console"), "node1");
  EXPECT_EQ(Us(b), (Expect{{Phase::kEarlySetup, 227328},           // 0.227328
                           {Phase::kSmp, 606590 - 227328},         // 0.606590
                           {Phase::kInitcalls, 3712773 - 606590},  // 3.712773
                           {Phase::kInit, 6580516 - 3712773}}));   // 6.580516
  EXPECT_EQ(b.last_stamp, microseconds(6580516));
}

TEST(NodeConsoleCaptured, APanickedBootKeepsItsPhasesAndItsLastStamp) {
  NodeBoot b = ParseNodeConsole(ReadTestdata("node1-crashed.console"), "node1");
  EXPECT_EQ(b.phases.size(), 4u);
  EXPECT_EQ(b.last_stamp, microseconds(11223359));  // "mint: emergency restart: CPUs parked"
}

TEST(NodeConsoleCaptured, RestartAfterAPanic) {
  const std::string restart = ReadTestdata("node1-restart-after-panic.console");
  const Expect want{{Phase::kEarlySetup, 1611005},
                    {Phase::kSmp, 1866072 - 1611005},
                    {Phase::kInitcalls, 7081340 - 1866072},
                    {Phase::kInit, 8048209 - 7081340}};
  EXPECT_EQ(Us(ParseNodeConsole(restart, "node1")), want);
  // Had the ring kept the crashed boot before it, only the new one counts.
  // (The captured files lost their last newline on the way out of the lab.)
  NodeBoot both = ParseNodeConsole(ReadTestdata("node1-crashed.console") + "\n" + restart, "node1");
  EXPECT_EQ(Us(both), want);
  EXPECT_EQ(both.last_stamp, microseconds(8048209));
  // Cut anywhere: never a crash, and the phases add up to at most the
  // newest stamp.
  for (size_t cut = 0; cut < restart.size(); cut += 97) {
    NodeBoot part = ParseNodeConsole(restart.substr(0, cut), "node1");
    Duration sum{0};
    for (const auto& [p, d] : part.phases) sum += d;
    if (!part.phases.empty()) {
      EXPECT_LE(sum, *part.last_stamp);
    }
  }
}

}  // namespace
}  // namespace mint::timing
