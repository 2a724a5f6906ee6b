// CPU decisions and refusals of mint::plan, on hosts built in code.
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace mint::testing {
namespace {

std::vector<CpuId> Cpus(const char* list) { return ParseCpuList(list).value(); }

NodeSpec ListSpec(const char* list) {
  NodeSpec spec = Spec();
  spec.core_count.reset();
  spec.cpu_list = Cpus(list);
  return spec;
}

TEST(PlanCpus, CountPicksHighestWholeCoresAndSaysSo) {
  Plan plan = MustPlan(HostBuilder().Build(), Spec(2));
  EXPECT_EQ(plan.cpus, Cpus("4-5"));
  EXPECT_EQ(plan.numa_node, 0);
  EXPECT_TRUE(HasNote(plan,
                      "picked CPUs 4-5: whole cores on NUMA node 0, highest-numbered "
                      "first (node0 keeps the low CPUs)"));
}

TEST(PlanCpus, CountSkipsCpusOtherNodesHold) {
  Plan plan = MustPlan(HostBuilder().Node(1, "node1", "4-5").Build(), [] {
    NodeSpec s = Spec(2);
    s.name = "node2";
    return s;
  }());
  EXPECT_EQ(plan.cpus, Cpus("2-3"));
  EXPECT_EQ(plan.node_id, 2u);
}

TEST(PlanCpus, CountTakesWholeSmtCoresNeverCpu0sCore) {
  // 8 CPUs, 2 threads per core: cores {0,1} {2,3} {4,5} {6,7}.
  Plan plan = MustPlan(HostBuilder().Cpus(8, 2, 1).Build(), Spec(4));
  EXPECT_EQ(plan.cpus, Cpus("4-7"));
}

TEST(PlanCpus, CountThatWholeCoresCannotMakeIsRefused) {
  Error e = Refusal(HostBuilder().Cpus(8, 2, 1).Build(), Spec(3));
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--cores: 3 CPUs cannot be made of whole cores (free cores: 2-7; a core's threads go "
            "together); ask for a number of CPUs that whole cores make up");
}

TEST(PlanCpus, CountPrefersOneNumaNodeWithTheMostFreeCpus) {
  // NUMA 0: CPUs 0-3 (cpu0 stays), NUMA 1: CPUs 4-7.
  Plan plan = MustPlan(HostBuilder().Cpus(8, 1, 2).Build(), Spec(3));
  EXPECT_EQ(plan.cpus, Cpus("5-7"));
  EXPECT_EQ(plan.numa_node, 1);
}

TEST(PlanCpus, CountHonoursTheAskedNumaNode) {
  NodeSpec spec = Spec(2);
  spec.numa_node = 0;
  Plan plan = MustPlan(HostBuilder().Cpus(8, 1, 2).Build(), spec);
  EXPECT_EQ(plan.cpus, Cpus("2-3"));
  EXPECT_EQ(plan.numa_node, 0);
  EXPECT_TRUE(HasNote(plan,
                      "picked CPUs 2-3: whole cores on NUMA node 0 as asked, "
                      "highest-numbered first (node0 keeps the low CPUs)"));
}

TEST(PlanCpus, CountSpansNumaNodesOnlyWhenNoneHoldsThemAll) {
  Plan plan = MustPlan(HostBuilder().Cpus(8, 1, 2).Build(), Spec(6));
  EXPECT_EQ(plan.cpus, Cpus("2-7"));
  EXPECT_EQ(plan.numa_node, -1);
  EXPECT_TRUE(HasNote(plan,
                      "picked CPUs 2-7: whole cores across NUMA nodes (no single NUMA "
                      "node has 6 free CPUs), highest-numbered first"));
}

TEST(PlanCpus, MoreCpusThanNode0CanGiveIsRefused) {
  Error e = Refusal(HostBuilder().Node(2, "node2", "4-5").Offline(3).Build(), Spec(3));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "--cores: asked for 3 CPUs but node0 can give 2 (1-2): cpu0's core stays with "
            "node0, node2 holds 4-5, offline: 3; ask for fewer CPUs");
}

TEST(PlanCpus, MoreCpusThanTheNumaNodeHasIsRefused) {
  NodeSpec spec = Spec(4);
  spec.numa_node = 0;
  Error e = Refusal(HostBuilder().Cpus(8, 1, 2).Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "--numa: NUMA node 0 has only 3 free CPUs (1-3) for the 4 asked; ask for fewer "
            "CPUs or leave the NUMA node out");
}

TEST(PlanCpus, ZeroCpusIsRefused) {
  Error e = Refusal(HostBuilder().Build(), Spec(0));
  EXPECT_EQ(e.ToString(), "--cores: a node needs at least one CPU; ask for 1 or more");
}

TEST(PlanCpus, NoCpusAskedForIsRefused) {
  NodeSpec spec = Spec();
  spec.core_count.reset();
  Error e = Refusal(HostBuilder().Build(), spec);
  EXPECT_EQ(e.ToString(),
            "--cores: no CPUs asked for; give a count (--cores 2) or a list (--cores 2-3)");
}

TEST(PlanCpus, ListIsTakenAsGiven) {
  Plan plan = MustPlan(HostBuilder().Build(), ListSpec("2,3"));
  EXPECT_EQ(plan.cpus, Cpus("2-3"));
  EXPECT_TRUE(plan.notes.empty() || plan.notes.front().rfind("picked", 0) != 0);
}

TEST(PlanCpus, Cpu0IsRefused) {
  Error e = Refusal(HostBuilder().Build(), ListSpec("0-1"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu0 always stays with node0 (Linux cannot take it offline); pick CPUs "
            "other than 0");
}

TEST(PlanCpus, MissingCpuIsRefused) {
  Error e = Refusal(HostBuilder().Build(), ListSpec("5-6"));
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(), "--cores: cpu6 does not exist; this host has CPUs 0-5");
}

TEST(PlanCpus, OfflineCpuIsRefused) {
  Error e = Refusal(HostBuilder().Offline(3).Build(), ListSpec("2-3"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu3 is offline in node0 and no node holds it; bring it online (echo 1 > "
            "/sys/devices/system/cpu/cpu3/online) or pick another CPU");
}

TEST(PlanCpus, CpuOfAnotherNodeIsRefusedNamingTheNode) {
  Error e = Refusal(HostBuilder().Node(2, "node2", "2-3").Build(), ListSpec("3-4"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu3 belongs to node2; pick CPUs no node holds (mintctl topology shows the "
            "owners) or destroy node2 first");
}

TEST(PlanCpus, HalfACoreIsRefused) {
  Error e = Refusal(HostBuilder().Cpus(8, 2, 1).Build(), ListSpec("4"));
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu4 shares a core with cpu5; a core's threads go together: give the node "
            "all of 4-5 or none of them");
}

TEST(PlanCpus, SiblingOfCpu0IsRefused) {
  Error e = Refusal(HostBuilder().Cpus(8, 2, 1).Build(), ListSpec("1"));
  EXPECT_EQ(e.ToString(),
            "--cores: cpu1 shares a core with cpu0, which always stays with node0; a core's "
            "threads go together, so pick CPUs of other cores");
}

TEST(PlanCpus, CoreSplitAcrossNodesIsRefused) {
  // node2 somehow holds cpu5 alone (an older mint); cpu4 cannot join node1.
  Error e = Refusal(HostBuilder().Cpus(8, 2, 1).Node(2, "node2", "5").Build(), ListSpec("4"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu4 shares a core with cpu5, which belongs to node2; a core's threads go "
            "together, so pick CPUs of another core");
}

TEST(PlanCpus, ListAndCountThatDisagreeAreRefused) {
  NodeSpec spec = ListSpec("2-4");
  spec.core_count = 2;
  Error e = Refusal(HostBuilder().Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--cores: the CPU list 2-4 has 3 CPUs but the count asks for 2; give the list or "
            "the count, or make them agree");
}

TEST(PlanCpus, CpuListedTwiceIsRefused) {
  Error e = Refusal(HostBuilder().Build(), ListSpec("2,3,2"));
  EXPECT_EQ(e.ToString(), "--cores: cpu2 is listed twice; name each CPU once");
}

TEST(PlanCpus, ListOnAnotherNumaNodeThanAskedIsRefused) {
  NodeSpec spec = ListSpec("4-5");
  spec.numa_node = 0;
  Error e = Refusal(HostBuilder().Cpus(8, 1, 2).Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--cores: cpu4 is on NUMA node 1, not on NUMA node 0 as asked; pick CPUs of NUMA "
            "node 0 or leave the NUMA node out");
}

TEST(PlanCpus, UnknownNumaNodeIsRefused) {
  NodeSpec spec = Spec(2);
  spec.numa_node = 3;
  Error e = Refusal(HostBuilder().Cpus(8, 1, 2).Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(), "--numa: NUMA node 3 does not exist; this host has NUMA nodes 0 and 1");
}

}  // namespace
}  // namespace mint::testing
