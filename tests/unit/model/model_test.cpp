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
  for (const char* bad : {"", "G", "1X", "-1G", "1.5G", "99999999999999T"}) {
    auto r = ByteSize::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(ByteSize::Parse("1X").error().ToString(),
            "1X: not a size; write a number with an optional unit K, M, G or T "
            "(binary: 1G = 1024M), e.g. 512M");
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

TEST(SourceLoc, NamesFileOrFlag) {
  EXPECT_EQ((SourceLoc{"node1.yaml", 3, 9, ""}).ToString(), "node1.yaml:3:9");
  EXPECT_EQ((SourceLoc{"", 0, 0, "--disk"}).ToString(), "--disk");
}

}  // namespace
}  // namespace mint
