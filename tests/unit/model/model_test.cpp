// The model's value types: parsing and formatting, exact error text.
#include "mint/model.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

TEST(ByteSize, ParsesBinaryUnits) {
  EXPECT_EQ(ByteSize::Parse("512M")->bytes, 512ull << 20);
  EXPECT_EQ(ByteSize::Parse("1G")->bytes, 1ull << 30);
  EXPECT_EQ(ByteSize::Parse("1GiB")->bytes, 1ull << 30);
  EXPECT_EQ(ByteSize::Parse("2gb")->bytes, 2ull << 30);
  EXPECT_EQ(ByteSize::Parse("4096")->bytes, 4096u);
  EXPECT_EQ(ByteSize::Parse("3K")->bytes, 3072u);
}

TEST(ByteSize, RefusesGarbageWithTheWayOut) {
  for (const char* bad : {"", "G", "1X", "-1G", "1.5G", "99999999999999T", "1IB", "3BB", "1KK",
                          "1BK", "2GIBB", "1 G", "1KiBB", "5iB"}) {
    auto r = ByteSize::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(ByteSize::Parse("1X").error().ToString(),
            "1X: not a size; write a whole number with an optional unit B, K, M, G or T "
            "(also KB or KiB, MB or MiB, ...; binary: 1G = 1024M), e.g. 512M");
  EXPECT_EQ(ByteSize::Parse("1IB").error().message, ByteSize::Parse("1X").error().message);
}

TEST(ByteSize, TakesEveryWayOfWritingAUnit) {
  for (const char* kib : {"1K", "1k", "1KB", "1kb", "1KiB", "1kib", "1KIB"})
    EXPECT_EQ(ByteSize::Parse(kib)->bytes, 1024u) << kib;
  EXPECT_EQ(ByteSize::Parse("7B")->bytes, 7u);
  EXPECT_EQ(ByteSize::Parse("7b")->bytes, 7u);
  EXPECT_EQ(ByteSize::Parse("2TiB")->bytes, 2ull << 40);
}

// 16 EiB - 1 fits a uint64_t but no machine: beyond 4 PiB (x86-64's
// physical address space) sizes are refused, so a round-up cannot wrap.
TEST(ByteSize, RefusesMoreThanX86CanAddress) {
  EXPECT_EQ(ByteSize::Parse("4096T")->bytes, ByteSize::kMaxBytes);
  EXPECT_EQ(ByteSize::Parse("4503599627370496")->bytes, ByteSize::kMaxBytes);
  for (const char* big :
       {"18446744073709551615", "4503599627370497", "4097T", "4194305G", "17179869184G"}) {
    auto r = ByteSize::Parse(big);
    ASSERT_FALSE(r.ok()) << big;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(ByteSize::Parse("18446744073709551615").error().ToString(),
            "18446744073709551615: more than 4096T (4 PiB, all that x86-64 can address); write a "
            "size up to 4096T");
}

TEST(ByteSize, FormatsLargestExactUnit) {
  EXPECT_EQ(ByteSize{512ull << 20}.ToString(), "512 MiB");
  EXPECT_EQ(ByteSize{1ull << 30}.ToString(), "1 GiB");
  EXPECT_EQ(ByteSize{1536ull << 20}.ToString(), "1536 MiB");
  EXPECT_EQ(ByteSize{17}.ToString(), "17 B");
  EXPECT_EQ(ByteSize{0}.ToString(), "0 B");
}

TEST(PciBdf, ParsesAndFormats) {
  auto a = PciBdf::Parse("0000:03:00.0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToString(), "0000:03:00.0");
  auto b = PciBdf::Parse("00:1f.2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ToString(), "0000:00:1f.2");
  EXPECT_EQ(b->Packed(), (0x1fu << 3) | 2u);
  EXPECT_EQ(PciBdf::Parse("0001:02:03.4")->Packed(), (1u << 16) | (2u << 8) | (3u << 3) | 4u);
}

TEST(PciBdf, RefusesMalformed) {
  for (const char* bad : {"", "03:00", "0000:03:00.8", "0000:03:20.0", "zz:00.0", "0:03:00.0"})
    EXPECT_FALSE(PciBdf::Parse(bad).ok()) << bad;
  EXPECT_EQ(PciBdf::Parse("03:00").error().ToString(),
            "03:00: not a PCI address; write DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. "
            "0000:03:00.0 (as lspci -D prints it)");
}

TEST(CpuList, RoundTrips) {
  auto cpus = ParseCpuList("0-3,8,10-11\n");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus->size(), 7u);
  EXPECT_EQ(FormatCpuList(*cpus), "0-3,8,10-11");
  EXPECT_TRUE(ParseCpuList("")->empty());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("a").ok());
}

// The kernel names a node's directory by its id in decimal; nothing else
// in /sys/kernel/mint/nodes is a node.
TEST(NodeIdOfEntry, TakesOnlyTheKernelsOwnForm) {
  EXPECT_EQ(NodeIdOfEntry("1"), 1u);
  EXPECT_EQ(NodeIdOfEntry("7"), 7u);
  EXPECT_EQ(NodeIdOfEntry("999"), 999u);
  for (const char* odd : {"", "0", "01", "007", " 1", "1\n", "1000", "4294967297", "0x1", "-1",
                          "+1", "a"})
    EXPECT_EQ(NodeIdOfEntry(odd), std::nullopt) << '"' << odd << '"';
}

TEST(SourceLoc, NamesFileOrFlag) {
  EXPECT_EQ((SourceLoc{"node1.yaml", 3, 9, ""}).ToString(), "node1.yaml:3:9");
  EXPECT_EQ((SourceLoc{"", 0, 0, "--disk"}).ToString(), "--disk");
}

}  // namespace
}  // namespace mint
