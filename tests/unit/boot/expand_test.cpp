// The kernel expander (mint/expand.h) and BuildBootImage with an expanded
// kernel, on the synthetic payloads of fake_vmlinux.h.
#include "mint/expand.h"

#include <asm/bootparam.h>
#include <gtest/gtest.h>

#include <cstring>

#include "fake_vmlinux.h"
#include "fuzz_seed.h"
#include "mint/boot.h"

namespace mint::boot {
namespace {

using testing::CompressForKernel;
using testing::FakeCompression;
using testing::MakeBzImageWithPayload;
using testing::MakeFakeVmlinux;

uint64_t Get64(const std::vector<uint8_t>& b, size_t at) {
  uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}
uint32_t Get32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

TEST(DetectCompression, KnowsTheKernelFormats) {
  auto of = [](std::vector<uint8_t> b) { return CompressionName(DetectCompression(b)); };
  EXPECT_EQ(of({0x1f, 0x8b, 8}), "gzip");
  EXPECT_EQ(of({0xfd, '7', 'z', 'X', 'Z', 0}), "xz");
  EXPECT_EQ(of({0x28, 0xb5, 0x2f, 0xfd}), "zstd");
  EXPECT_EQ(of({'B', 'Z', 'h', '9'}), "bzip2");
  EXPECT_EQ(of({0x5d, 0, 0, 0x80}), "lzma");
  EXPECT_EQ(of({0x89, 'L', 'Z', 'O'}), "lzo");
  EXPECT_EQ(of({0x02, 0x21, 0x4c, 0x18}), "lz4");
  EXPECT_EQ(of({1, 2, 3}), "an unknown format");
}

class Decompress : public ::testing::TestWithParam<FakeCompression> {};

TEST_P(Decompress, GivesBackTheVmlinux) {
  auto vmlinux = MakeFakeVmlinux();
  auto image = MakeBzImageWithPayload(CompressForKernel(vmlinux, GetParam()));
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  auto out = DecompressPayload(image, *info);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(*out, vmlinux);
}

INSTANTIATE_TEST_SUITE_P(Formats, Decompress,
                         ::testing::Values(FakeCompression::kXz, FakeCompression::kGzip,
                                           FakeCompression::kZstd));

TEST(DecompressPayload, RefusesWhatItDoesNotExpandNamingIt) {
  std::vector<uint8_t> bz = {'B', 'Z', 'h', '9', 0, 0, 0, 0, 0x10, 0, 0, 0};
  auto image = MakeBzImageWithPayload(bz);
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok());
  auto out = DecompressPayload(image, *info);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message,
            "is compressed with bzip2; mint expands gzip, xz and zstd kernels "
            "(CONFIG_KERNEL_GZIP, _XZ, _ZSTD)");
}

TEST(DecompressPayload, RefusesASizeBeyondInitSize) {
  auto z = CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz);
  testing::Put32(z, z.size() - 4, 0x900000);  // init_size is 8 MiB
  auto image = MakeBzImageWithPayload(z);
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok());
  auto out = DecompressPayload(image, *info);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("decompresses to 9437184 bytes, not within init_size"),
            std::string::npos)
      << out.error().message;
}

TEST(DecompressPayload, RefusesASizeThatDisagreesWithTheStream) {
  auto z = CompressForKernel(MakeFakeVmlinux(), FakeCompression::kZstd);
  testing::Put32(z, z.size() - 4, 0x100);
  auto image = MakeBzImageWithPayload(z);
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(DecompressPayload(image, *info).ok());
}

TEST(DecompressPayload, RefusesAPayloadOutsideTheFile) {
  auto image = MakeBzImageWithPayload(CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz));
  testing::Put32(image, 0x24c, 0x7fffffff);
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok());
  auto out = DecompressPayload(image, *info);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("outside the file"), std::string::npos);
}

TEST(DecompressPayload, RefusesADamagedStream) {
  auto z = CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz);
  z[z.size() / 2] ^= 0xff;
  auto image = MakeBzImageWithPayload(z);
  auto info = ProbeBzImage(image, "k");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(DecompressPayload(image, *info).ok());
}

BzImageInfo Info() {
  auto info = ProbeBzImage(testing::MakeFakeBzImage(), "k");
  EXPECT_TRUE(info.ok());
  return *info;
}

TEST(LayoutKernel, PlacesSegmentsByPhysicalAddress) {
  auto k = LayoutKernel(MakeFakeVmlinux(), Info(), std::nullopt);
  ASSERT_TRUE(k.ok()) << k.error().ToString();
  ASSERT_EQ(k->pieces.size(), 2u);
  EXPECT_EQ(k->pieces[0].offset, 0u);
  EXPECT_EQ(k->pieces[0].bytes.size(), 0x1000u);
  EXPECT_EQ(k->pieces[0].bytes[1], 4);  // i * 3 + 1
  EXPECT_EQ(k->pieces[1].offset, 0x200000u);
  EXPECT_EQ(k->pieces[1].memsz, 0x3000u);
  EXPECT_EQ(k->entry_offset, testing::kEntryOffset);
  EXPECT_EQ(k->extent, 0x203000u);
  EXPECT_TRUE(k->has_relocs);
  EXPECT_EQ(k->virt_offset, 0u);
  EXPECT_EQ(Get64(k->pieces[0].bytes, testing::kR64At), testing::kKernelMap + 0x1000123);
}

TEST(LayoutKernel, MovesTheTextToTheRandomSlot) {
  const BzImageInfo info = Info();
  // kaslr.c: slots of 2 MiB from 16 MiB to 1 GiB minus the image (4 MiB).
  const uint64_t slots = 1 + ((1ull << 30) - 0x1000000 - 0x400000) / 0x200000;
  auto k = LayoutKernel(MakeFakeVmlinux(), info, slots + 5);
  ASSERT_TRUE(k.ok()) << k.error().ToString();
  const uint64_t delta = 5 * 0x200000;
  EXPECT_EQ(k->virt_offset, delta);
  EXPECT_EQ(Get64(k->pieces[0].bytes, testing::kR64At), testing::kKernelMap + 0x1000123 + delta);
  EXPECT_EQ(Get32(k->pieces[0].bytes, testing::kR32At),
            static_cast<uint32_t>(testing::kKernelMap + 0x1000456 + delta));
  EXPECT_EQ(Get32(k->pieces[1].bytes, 0x10), static_cast<uint32_t>(0x1000 - delta));
  // The last slot still fits below KERNEL_IMAGE_SIZE.
  auto last = LayoutKernel(MakeFakeVmlinux(), info, slots - 1);
  ASSERT_TRUE(last.ok());
  EXPECT_LE(0x1000000 + last->virt_offset + 0x400000, 1ull << 30);
}

TEST(LayoutKernel, WithoutRelocationsTheTextStaysAtItsLinkAddress) {
  auto k = LayoutKernel(MakeFakeVmlinux({.relocs = false}), Info(), 12345);
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(k->has_relocs);
  EXPECT_EQ(k->virt_offset, 0u);
}

TEST(LayoutKernel, RefusesARelocationOutsideTheKernel) {
  auto k = LayoutKernel(MakeFakeVmlinux({.reloc_target = 0x100000}), Info(), 1);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("points between segments"), std::string::npos)
      << k.error().message;
  auto far = LayoutKernel(MakeFakeVmlinux({.reloc_target = 0x5000000}), Info(), 1);
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.error().message.find("points outside the kernel"), std::string::npos);
}

TEST(LayoutKernel, RefusesMisalignedOrOversizedSegments) {
  auto misaligned = LayoutKernel(MakeFakeVmlinux({.align = 0x1000}), Info(), std::nullopt);
  ASSERT_FALSE(misaligned.ok());
  EXPECT_NE(misaligned.error().message.find("2 MiB aligned"), std::string::npos);
  auto huge = LayoutKernel(MakeFakeVmlinux({.seg1_memsz = 0x800000}), Info(), std::nullopt);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("inside the kernel's init_size"), std::string::npos);
}

TEST(LayoutKernel, RefusesWhatIsNotAnElfVmlinux) {
  std::vector<uint8_t> junk(4096, 0x5a);
  auto k = LayoutKernel(junk, Info(), std::nullopt);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("not an x86-64 ELF vmlinux"), std::string::npos);
  auto cut = MakeFakeVmlinux();
  cut.resize(0x1800);  // the second segment's bytes are missing
  EXPECT_FALSE(LayoutKernel(cut, Info(), std::nullopt).ok());
}

NodeLayout Layout() {
  NodeLayout l;
  l.node_id = 1;
  l.name = "node1";
  l.ram = {PhysRange{PhysAddr{0x100000000}, ByteSize{256ull << 20}}};
  l.low = PhysRange{PhysAddr{0x90000}, ByteSize{0x8000}};
  l.shared = PhysRange{PhysAddr{0x100000000}, ByteSize{1 << 20}};
  l.apic_ids = {ApicId{2}};
  return l;
}

TEST(BuildBootImage, AnExpandedKernelGoesInLaidOutAndIsEnteredAtStartup64) {
  auto vmlinux = MakeFakeVmlinux();
  auto image = MakeBzImageWithPayload(CompressForKernel(vmlinux, FakeCompression::kXz));
  Expansion x{vmlinux, 3};
  auto built = BuildBootImage(image, {}, "console=mint", Layout(), &x);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_TRUE(built->expanded);
  EXPECT_EQ(built->virt_offset, 3u * 0x200000);
  EXPECT_EQ(DescribeTextPlace(*built), "text moved by 0x600000 (KASLR)");
  const uint64_t at = built->kernel.start.value;
  EXPECT_EQ(at % 0x200000, 0u);
  EXPECT_EQ(built->entry.value, at + testing::kEntryOffset);
  ASSERT_GE(built->segments.size(), 3u);
  EXPECT_EQ(built->segments[0].what, "kernel");
  EXPECT_EQ(built->segments[0].phys.value, at);
  EXPECT_EQ(built->segments[1].what, "kernel.1");
  EXPECT_EQ(built->segments[1].phys.value, at + 0x200000);
  EXPECT_EQ(built->segments[1].memsz, 0x3000u);
  boot_params bp;
  std::memcpy(&bp, built->segments.back().bytes.data(), sizeof(bp));
  EXPECT_TRUE(bp.hdr.loadflags & KASLR_FLAG);
}

TEST(BuildBootImage, NokaslrKeepsTheLinkAddressAndNoKaslrFlag) {
  auto vmlinux = MakeFakeVmlinux();
  auto image = MakeBzImageWithPayload(CompressForKernel(vmlinux, FakeCompression::kGzip));
  Expansion x{vmlinux, 3};
  auto built = BuildBootImage(image, {}, "console=mint nokaslr", Layout(), &x);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_EQ(built->virt_offset, 0u);
  EXPECT_EQ(DescribeTextPlace(*built), "text at its link address");
  EXPECT_EQ(Get64(built->segments[0].bytes, testing::kR64At), testing::kKernelMap + 0x1000123);
  boot_params bp;
  std::memcpy(&bp, built->segments.back().bytes.data(), sizeof(bp));
  EXPECT_FALSE(bp.hdr.loadflags & KASLR_FLAG);
}

TEST(BuildBootImage, WithoutExpansionTheCompressedPayloadIsEnteredAt0x200) {
  auto image = MakeBzImageWithPayload(CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz));
  auto built = BuildBootImage(image, {}, "console=mint", Layout());
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE(built->expanded);
  EXPECT_EQ(built->entry.value, built->kernel.start.value + 0x200);
}

TEST(CmdlineSaysNoKaslr, OnlyTheWholeWord) {
  EXPECT_TRUE(CmdlineSaysNoKaslr("nokaslr"));
  EXPECT_TRUE(CmdlineSaysNoKaslr("console=mint nokaslr quiet"));
  EXPECT_FALSE(CmdlineSaysNoKaslr("console=mint nokaslrx"));
  EXPECT_FALSE(CmdlineSaysNoKaslr("mint_nokaslr=1"));
  EXPECT_FALSE(CmdlineSaysNoKaslr(""));
}

// fuzz_expand's seed is the fake vmlinux; regenerate it like the golden
// files (MINT_UPDATE_GOLDEN=1, then review).
TEST(FuzzSeed, ExpandSeedIsTheFakeVmlinux) {
  testing::ExpectSeedFile(MINT_EXPAND_FUZZ_SEED, MakeFakeVmlinux());
}

}  // namespace
}  // namespace mint::boot
