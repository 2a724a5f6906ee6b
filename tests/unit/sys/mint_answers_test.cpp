// What /dev/mint writes back is read within bounds whatever its counts say:
// answers filled by hand the way a wrong (or older, or newer) kernel could
// fill them. RealMintDevice reads every NODE_CREATE, NODE_GET and NODE_CHAN
// answer through these functions.
#include "mint_answers.h"

#include <gtest/gtest.h>

namespace mint::sys::internal {
namespace {

mint_node_create Answer() {
  mint_node_create arg{};
  for (uint32_t i = 0; i < MINT_MAX_CPUS; ++i) arg.apic_ids[i] = 100 + i;
  for (uint32_t i = 0; i < MINT_MAX_RANGES; ++i) arg.ranges[i] = {(i + 1ull) << 32, 2ull << 20};
  arg.nr_ranges = 1;
  arg.low = {0x10000, 0x10000};
  arg.shared = {1ull << 32, 2ull << 20};
  arg.tsc_khz = 2000000;
  arg.lapic_khz = 1000000;
  return arg;
}

TEST(ReadCreated, TakesTheApicIdsOfTheCpusAskedForNotTheKernelsCount) {
  mint_node_create arg = Answer();
  arg.nr_cpus = 0xffffffff;  // a kernel that says "4 billion CPUs"
  CreatedNode got = ReadCreated(arg, 2);
  EXPECT_EQ(got.apic_ids, (std::vector<ApicId>{ApicId{100}, ApicId{101}}));
  EXPECT_EQ(got.ram, (std::vector<PhysRange>{{PhysAddr{1ull << 32}, ByteSize{2ull << 20}}}));
  EXPECT_EQ(got.low, (PhysRange{PhysAddr{0x10000}, ByteSize{0x10000}}));
  EXPECT_EQ(got.tsc_khz, 2000000u);
}

TEST(ReadCreated, HostFlagsSayWhetherNode0RunsX2apic) {
  mint_node_create arg = Answer();
  EXPECT_FALSE(ReadCreated(arg, 1).host_x2apic);
  arg.host_flags = MINT_HOST_F_X2APIC;
  EXPECT_TRUE(ReadCreated(arg, 1).host_x2apic);
  arg.host_flags = ~MINT_HOST_F_X2APIC;  // bits this mintctl does not know
  EXPECT_FALSE(ReadCreated(arg, 1).host_x2apic);
}

TEST(ReadCreated, NeverReadsPastTheArraysOfLinuxMintH) {
  mint_node_create arg = Answer();
  arg.nr_ranges = 1000;
  CreatedNode got = ReadCreated(arg, 1000);  // NODE_GET passes the kernel's count
  ASSERT_EQ(got.apic_ids.size(), size_t{MINT_MAX_CPUS});
  EXPECT_EQ(got.apic_ids.back(), ApicId{100 + MINT_MAX_CPUS - 1});
  ASSERT_EQ(got.ram.size(), size_t{MINT_MAX_RANGES});
  EXPECT_EQ(got.ram.back().start, PhysAddr{uint64_t{MINT_MAX_RANGES} << 32});
}

#ifdef MINT_NODE_CHAN
TEST(ReadChan, AReceivedLengthLargerThanTheBufferIsAnError) {
  mint_node_chan arg{};
  arg.rx_len = kChanMsgMax + 1;
  auto got = ReadChan(3, arg, 0, kChanMsgMax);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kIo);
  EXPECT_EQ(got.error().ToString(),
            "node id 3: MINT_NODE_CHAN: the kernel says it wrote 4097 bytes into a buffer of "
            "4096; node0's mint driver and this mintctl do not agree (rebuild both from one "
            "kernel-patches)");
  arg.rx_len = 0xffffffff;
  EXPECT_FALSE(ReadChan(3, arg, 0, kChanMsgMax).ok());
}

TEST(ReadChan, ReportsWhatWasSentAndReceived) {
  mint_node_chan arg{};
  arg.tx_len = 10;
  arg.rx_len = kChanMsgMax;
  auto got = ReadChan(3, arg, 10, kChanMsgMax);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_TRUE(got->sent);
  EXPECT_EQ(got->received, kChanMsgMax);
  arg.tx_len = 0;  // the ring had no room: nothing queued
  arg.rx_len = 0;
  got = ReadChan(3, arg, 10, kChanMsgMax);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->sent);
  EXPECT_EQ(got->received, 0u);
}
#endif

}  // namespace
}  // namespace mint::sys::internal
