// Memory decisions and refusals of mint::plan.
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace mint::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

TEST(PlanMemory, AskedMemoryIsPlanned) {
  Plan plan = MustPlan(HostBuilder().Build(), Spec(2, 1024 * kMiB));
  EXPECT_EQ(plan.memory, ByteSize{1024 * kMiB});
  EXPECT_TRUE(HasNote(plan,
                      "memory: 1 GiB from the mint pool, NUMA node 0 preferred (where the "
                      "CPUs are)"));
}

TEST(PlanMemory, DefaultIs512MiBAndSaysSo) {
  NodeSpec spec = Spec();
  spec.memory.reset();
  Plan plan = MustPlan(HostBuilder().Build(), spec);
  EXPECT_EQ(plan.memory, ByteSize{512 * kMiB});
  EXPECT_TRUE(HasNote(plan, "memory: 512 MiB, the default (set --mem or memory: to change it)"));
}

TEST(PlanMemory, NotAMultipleOf2MiBIsRefused) {
  Error e = Refusal(HostBuilder().Build(), Spec(2, 1000 * kMiB + 4096));
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--mem: 1024004 KiB is not a multiple of 2 MiB (mint hands out memory in 2 MiB "
            "steps); ask for 1002 MiB instead");
}

TEST(PlanMemory, BelowTheMinimumIsRefused) {
  Error e = Refusal(HostBuilder().Build(), Spec(2, 32 * kMiB));
  EXPECT_EQ(e.ToString(), "--mem: 32 MiB is too little for a Linux node; ask for at least 64 MiB");
}

TEST(PlanMemory, MoreThanThePoolHoldsIsRefused) {
  Error e = Refusal(HostBuilder().Build(), Spec(2, 8192 * kMiB));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "--mem: 8 GiB is more than the whole mint pool (4 GiB); ask for less, or boot node0 "
            "with a bigger mint_pool=");
}

TEST(PlanMemory, MoreThanIsFreeIsRefusedSayingHowMuchIsFree) {
  Error e = Refusal(HostBuilder().Pool(4096 * kMiB, 768 * kMiB).Build(), Spec(2, 1024 * kMiB));
  EXPECT_EQ(e.code, ErrorCode::kInsufficient);
  EXPECT_EQ(e.ToString(),
            "--mem: only 768 MiB of the 4 GiB mint pool is free (other nodes hold the rest); "
            "ask for 768 MiB or less, or destroy a node");
}

TEST(PlanMemory, WithoutMintThePlanIsMadeWithANote) {
  Plan plan = MustPlan(HostBuilder().NoMint().Build(), Spec(2, 8192 * kMiB));
  EXPECT_EQ(plan.memory, ByteSize{8192 * kMiB});
  EXPECT_TRUE(HasNote(plan,
                      "this kernel has no mint support (/sys/kernel/mint is missing): the "
                      "mint pool is unknown, so 8 GiB was not checked against it; boot "
                      "node0 with the mint kernel and mint_pool= to boot nodes"));
}

}  // namespace
}  // namespace mint::testing
