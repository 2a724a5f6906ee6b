// Tests of mint::boot: ProbeBzImage on synthetic bzImages (and each refusal,
// text asserted exactly), BuildE820 cases, BuildBootImage placement and
// refusals, the boot_params fields decoded back through the kernel's own
// structs, the SETUP_MINT payload decoded field by field, and golden bytes
// per scenario (tests/unit/boot/golden/, see README.md there for how to
// regenerate them: MINT_UPDATE_GOLDEN=1, then review the diff).
#include "mint/boot.h"

#include <asm/bootparam.h>
#include <gtest/gtest.h>
#include <linux/mint.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fake_bzimage.h"
#include "fuzz_seed.h"
#include "golden_dump.h"

namespace mint::boot {
namespace {

using testing::FakeBzImageSpec;
using testing::MakeFakeBzImage;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

PhysRange Range(uint64_t start, uint64_t size) { return {PhysAddr{start}, ByteSize{size}}; }

// A one-range node at 4 GiB: 256 MiB, shared region = its first MiB.
NodeLayout BasicLayout() {
  NodeLayout l;
  l.node_id = 1;
  l.ram = {Range(4 * kGiB, 256 * kMiB)};
  l.shared = Range(4 * kGiB, 1 * kMiB);
  l.low = Range(0x90000, 0x10000);
  l.apic_ids = {ApicId{2}, ApicId{3}};
  l.tsc_khz = 2'000'000;
  l.lapic_khz = 1'000'000;
  return l;
}

// Two RAM ranges, four CPUs, an ECAM window and two PCI functions.
NodeLayout PciLayout() {
  NodeLayout l;
  l.node_id = 2;
  l.ram = {Range(0x140000000, 128 * kMiB), Range(0x100000000, 128 * kMiB)};
  l.shared = Range(0x100000000, 2 * kMiB);
  l.low = Range(0x88000, 0x8000);
  l.apic_ids = {ApicId{4}, ApicId{5}, ApicId{6}, ApicId{7}};
  l.tsc_khz = 2'400'000;
  l.lapic_khz = 1'000'000;
  l.ecam = Ecam{PhysAddr{0xb0000000}, 0, 0x00, 0xff};
  l.pci = {PciBdf{0, 0, 3, 0}, PciBdf{0, 0x01, 0, 1}};
  return l;
}

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 13);
  return v;
}

const Segment* FindSegment(const BootImage& image, std::string_view what) {
  for (const Segment& s : image.segments) {
    if (s.what == what) return &s;
  }
  return nullptr;
}

boot_params DecodeZeropage(const BootImage& image) {
  const Segment* s = FindSegment(image, "boot_params");
  boot_params bp;
  EXPECT_NE(s, nullptr);
  EXPECT_GE(s->bytes.size(), sizeof(bp));
  std::memcpy(&bp, s->bytes.data(), sizeof(bp));
  return bp;
}

// Follows the setup_data chain inside the boot_params segment.
struct Decoded {
  uint32_t type;
  std::vector<uint8_t> payload;
};
std::vector<Decoded> DecodeChain(const BootImage& image) {
  const Segment* s = FindSegment(image, "boot_params");
  boot_params bp = DecodeZeropage(image);
  std::vector<Decoded> out;
  uint64_t at = bp.hdr.setup_data;
  while (at != 0 && out.size() < 16) {
    EXPECT_GE(at, s->phys.value);
    uint64_t off = at - s->phys.value;
    EXPECT_LE(off + sizeof(setup_data), s->bytes.size());
    setup_data head;
    std::memcpy(&head, s->bytes.data() + off, sizeof(head));
    EXPECT_LE(off + sizeof(head) + head.len, s->bytes.size());
    auto first = s->bytes.begin() + static_cast<ptrdiff_t>(off + sizeof(head));
    out.push_back({head.type, std::vector<uint8_t>(first, first + head.len)});
    at = head.next;
  }
  return out;
}

// ---- ProbeBzImage -----------------------------------------------------------

TEST(ProbeBzImage, ReadsTheSetupHeader) {
  auto img = MakeFakeBzImage();
  auto info = ProbeBzImage(img, "bzImage");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->protocol, 0x020f);
  EXPECT_EQ(info->setup_sects, 4);
  EXPECT_EQ(info->setup_bytes, 5u * 512);
  EXPECT_EQ(info->payload_offset, 5u * 512);
  EXPECT_EQ(info->payload_size, 4096u);
  EXPECT_EQ(info->kernel_alignment, 0x200000u);
  EXPECT_TRUE(info->relocatable);
  EXPECT_EQ(info->pref_address, 0x1000000u);
  EXPECT_EQ(info->init_size, 0x800000u);
  EXPECT_EQ(info->xloadflags, 0x3);
  EXPECT_EQ(info->cmdline_size, 2047u);
  EXPECT_EQ(info->initrd_addr_max, 0x7fffffffu);
  EXPECT_EQ(info->setup_header_end, 0x26cu);
}

TEST(ProbeBzImage, SetupSectsZeroMeansFour) {
  FakeBzImageSpec spec;
  spec.setup_sects = 0;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->setup_bytes, 5u * 512);
}

TEST(ProbeBzImage, RefusesAFileWithoutHdrS) {
  FakeBzImageSpec spec;
  spec.hdrs_magic = false;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "/boot/vmlinux");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(info.error().ToString(),
            "/boot/vmlinux: is not a Linux bzImage: no \"HdrS\" signature at 0x202; give the "
            "kernel's arch/x86/boot/bzImage, not vmlinux or a compressed file");
}

TEST(ProbeBzImage, RefusesAMissingBootFlag) {
  FakeBzImageSpec spec;
  spec.boot_flag = 0;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is not a Linux bzImage: no 0xAA55 boot flag at 0x1fe; the file is damaged");
}

TEST(ProbeBzImage, RefusesProtocol211) {
  FakeBzImageSpec spec;
  spec.version = 0x020b;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "old.bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "old.bzImage: uses boot protocol 2.11; a node needs 2.12 or newer (64-bit entry "
            "point): use a Linux 3.8 or newer x86-64 kernel");
}

TEST(ProbeBzImage, AcceptsProtocol212) {
  FakeBzImageSpec spec;
  spec.version = 0x020c;
  EXPECT_TRUE(ProbeBzImage(MakeFakeBzImage(spec), "bzImage").ok());
}

TEST(ProbeBzImage, RefusesANonRelocatableKernel) {
  FakeBzImageSpec spec;
  spec.relocatable = 0;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is not relocatable; a node runs wherever its memory is: build the kernel "
            "with CONFIG_RELOCATABLE=y");
}

TEST(ProbeBzImage, RefusesAZImage) {
  FakeBzImageSpec spec;
  spec.loadflags = 0;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "zImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "zImage: is a zImage (loadflags lacks LOADED_HIGH), not a bzImage; give the kernel's "
            "arch/x86/boot/bzImage");
}

TEST(ProbeBzImage, RefusesA32BitKernel) {
  FakeBzImageSpec spec;
  spec.xloadflags = 0;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: has no 64-bit entry point (xloadflags lacks XLF_KERNEL_64); a node needs "
            "an x86-64 kernel");
}

TEST(ProbeBzImage, RefusesAFileTooShortForAHeader) {
  std::vector<uint8_t> img(0x100, 0);
  auto info = ProbeBzImage(img, "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is 256 bytes, too short to hold a Linux setup header (which ends past "
            "0x208); give the kernel's arch/x86/boot/bzImage");
}

TEST(ProbeBzImage, RefusesAFileCutInsideTheSetupPart) {
  auto img = MakeFakeBzImage();
  img.resize(0x400);  // header complete, setup sectors and payload missing
  auto info = ProbeBzImage(img, "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is truncated: 1024 bytes, but its real-mode part alone is 2560 bytes (4 "
            "setup sectors) and the 64-bit kernel should follow it");
}

TEST(ProbeBzImage, RefusesAFileCutInsideThePayload) {
  auto img = MakeFakeBzImage();
  img.resize(img.size() - 100);  // syssize says 4096 bytes follow, 3996 do
  auto info = ProbeBzImage(img, "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is truncated: its header says the 64-bit kernel is 4096 bytes (syssize), "
            "the file holds 3996 after the setup part");
}

TEST(ProbeBzImage, RefusesAFileCutInsideTheHeader) {
  auto img = MakeFakeBzImage();
  img.resize(0x240);
  auto info = ProbeBzImage(img, "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: is truncated: 576 bytes, but its setup header ends at 0x26c");
}

TEST(ProbeBzImage, RefusesAHeaderPastBootParams) {
  FakeBzImageSpec spec;
  spec.jump_len = 0xff;  // 0x202 + 0xff = 0x301 > 0x290
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: has a setup header ending at 0x301, past the header area of boot_params "
            "(0x290); the file is damaged");
}

// Found by fuzz_boot: a header longer than struct setup_header (a future
// protocol) must be read, and copied into boot_params, without overflowing.
TEST(ProbeBzImage, AcceptsAHeaderLongerThanTheStructWeKnow) {
  FakeBzImageSpec spec;
  spec.jump_len = 0x8e;  // header ends at 0x290, the most boot_params holds
  auto kernel = MakeFakeBzImage(spec);
  auto info = ProbeBzImage(kernel, "bzImage");
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->setup_header_end, 0x290u);
  auto image = BuildBootImage(kernel, {}, "", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(FindSegment(*image, "boot_params")->bytes[0x26c], 0xcc);  // copied this time
}

TEST(ProbeBzImage, RefusesABadKernelAlignment) {
  FakeBzImageSpec spec;
  spec.kernel_alignment = 0x300000;
  auto info = ProbeBzImage(MakeFakeBzImage(spec), "bzImage");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().ToString(),
            "bzImage: has kernel_alignment 0x300000, not a power of two of at least 4 KiB; the "
            "file is damaged");
}

// ---- BuildE820 ----------------------------------------------------------------

TEST(BuildE820, OneRangeWithTheSharedRegionAtItsStart) {
  auto e820 = BuildE820(BasicLayout());
  ASSERT_TRUE(e820.ok()) << e820.error().ToString();
  std::vector<E820Entry> want = {
      {PhysAddr{0x90000}, ByteSize{0x10000}, E820Type::kRam},
      {PhysAddr{4 * kGiB}, ByteSize{kMiB}, E820Type::kReserved},
      {PhysAddr{4 * kGiB + kMiB}, ByteSize{255 * kMiB}, E820Type::kRam},
  };
  EXPECT_EQ(*e820, want);
}

TEST(BuildE820, SharedRegionInTheMiddleSplitsTheRange) {
  NodeLayout l = BasicLayout();
  l.shared = Range(4 * kGiB + 64 * kMiB, kMiB);
  auto e820 = BuildE820(l);
  ASSERT_TRUE(e820.ok()) << e820.error().ToString();
  std::vector<E820Entry> want = {
      {PhysAddr{0x90000}, ByteSize{0x10000}, E820Type::kRam},
      {PhysAddr{4 * kGiB}, ByteSize{64 * kMiB}, E820Type::kRam},
      {PhysAddr{4 * kGiB + 64 * kMiB}, ByteSize{kMiB}, E820Type::kReserved},
      {PhysAddr{4 * kGiB + 65 * kMiB}, ByteSize{191 * kMiB}, E820Type::kRam},
  };
  EXPECT_EQ(*e820, want);
}

TEST(BuildE820, SortsRangesAndReservesTheEcamWindow) {
  auto e820 = BuildE820(PciLayout());
  ASSERT_TRUE(e820.ok()) << e820.error().ToString();
  std::vector<E820Entry> want = {
      {PhysAddr{0x88000}, ByteSize{0x8000}, E820Type::kRam},
      {PhysAddr{0xb0000000}, ByteSize{256 * kMiB}, E820Type::kReserved},  // buses 00-ff
      {PhysAddr{0x100000000}, ByteSize{2 * kMiB}, E820Type::kReserved},
      {PhysAddr{0x100200000}, ByteSize{126 * kMiB}, E820Type::kRam},
      {PhysAddr{0x140000000}, ByteSize{128 * kMiB}, E820Type::kRam},
  };
  EXPECT_EQ(*e820, want);
}

TEST(BuildE820, EcamWindowCoversOnlyTheBusRange) {
  NodeLayout l = PciLayout();
  l.ecam = Ecam{PhysAddr{0xe0000000}, 0, 0x00, 0x3f};
  auto e820 = BuildE820(l);
  ASSERT_TRUE(e820.ok()) << e820.error().ToString();
  EXPECT_EQ((*e820)[1],
            (E820Entry{PhysAddr{0xe0000000}, ByteSize{64 * kMiB}, E820Type::kReserved}));
}

TEST(BuildE820, MergesRamRangesThatTouch) {
  NodeLayout l = BasicLayout();
  l.ram = {Range(4 * kGiB, 128 * kMiB), Range(4 * kGiB + 128 * kMiB, 128 * kMiB)};
  auto e820 = BuildE820(l);
  ASSERT_TRUE(e820.ok()) << e820.error().ToString();
  ASSERT_EQ(e820->size(), 3u);
  EXPECT_EQ((*e820)[2],
            (E820Entry{PhysAddr{4 * kGiB + kMiB}, ByteSize{255 * kMiB}, E820Type::kRam}));
}

TEST(BuildE820, RefusesOverlappingRamRanges) {
  NodeLayout l = BasicLayout();
  l.ram.push_back(Range(4 * kGiB + 255 * kMiB, 2 * kMiB));
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: RAM range 0 [0x100000000, 0x110000000) overlaps RAM range 1 [0x10ff00000, "
            "0x110100000); every range of a node must be distinct");
}

TEST(BuildE820, RefusesAnEcamWindowOverRam) {
  NodeLayout l = PciLayout();
  l.ecam = Ecam{PhysAddr{0x107f00000}, 0, 0, 0};
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node2: RAM range 1 [0x100000000, 0x108000000) overlaps ECAM window [0x107f00000, "
            "0x108000000); every range of a node must be distinct");
}

TEST(BuildE820, RefusesASharedRegionOutsideRam) {
  NodeLayout l = BasicLayout();
  l.shared = Range(8 * kGiB, kMiB);
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: shared region [0x200000000, 0x200100000) is not inside one of the node's RAM "
            "ranges; it must be part of them");
}

TEST(BuildE820, RefusesALowRangeAbove1MiB) {
  NodeLayout l = BasicLayout();
  l.low = Range(0xf8000, 0x10000);
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: low range [0xf8000, 0x108000) does not lie below 1 MiB; the AP trampoline "
            "must");
}

TEST(BuildE820, RefusesAMissingLowRange) {
  NodeLayout l = BasicLayout();
  l.low = Range(0, 0);
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: the node has no low-memory range below 1 MiB; its kernel needs one for its "
            "real-mode trampoline: give node0 low slots (mint_pool=) and recreate the node");
}

TEST(BuildE820, RefusesUnalignedRam) {
  NodeLayout l = BasicLayout();
  l.ram[0].size.bytes += 1;
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: RAM range 0 [0x100000000, 0x110000001) is not 4 KiB aligned; node memory "
            "comes from the pool in pages");
}

TEST(BuildE820, RefusesTooManyCpus) {
  NodeLayout l = BasicLayout();
  l.apic_ids.clear();
  for (uint32_t i = 0; i < 65; ++i) l.apic_ids.push_back(ApicId{i});
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node1: the node has 65 CPUs, SETUP_MINT carries at most 64; give it fewer cores");
}

TEST(BuildE820, RefusesNoCpus) {
  NodeLayout l = BasicLayout();
  l.apic_ids.clear();
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(), "node1: the node has no CPUs; give it at least one core");
}

TEST(BuildE820, RefusesTooManyPciFunctions) {
  NodeLayout l = PciLayout();
  l.pci.clear();
  for (uint8_t d = 0; d < 9; ++d) l.pci.push_back(PciBdf{0, 0, d, 0});
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node2: the node has 9 PCI functions, SETUP_MINT carries at most 8; give it fewer "
            "devices");
}

TEST(BuildE820, RefusesPciWithoutEcam) {
  NodeLayout l = PciLayout();
  l.ecam.reset();
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node2: the node has PCI functions but no ECAM window; a node reaches config space "
            "only through ECAM, so the host needs an MMCONFIG (MCFG) window");
}

TEST(BuildE820, RefusesAFunctionOutsideTheEcamBuses) {
  NodeLayout l = PciLayout();
  l.ecam->bus_end = 0;
  auto e820 = BuildE820(l);
  ASSERT_FALSE(e820.ok());
  EXPECT_EQ(e820.error().ToString(),
            "node2: PCI function 0000:01:00.1 is outside the ECAM window (segment 0000, buses "
            "00-00); give the node functions this window serves");
}

// ---- BuildBootImage -------------------------------------------------------------

TEST(BuildBootImage, PlacesKernelBootParamsAndInitrd) {
  auto kernel = MakeFakeBzImage();
  auto initrd = Pattern(5000, 0x40);
  auto image = BuildBootImage(kernel, initrd, "console=mint nokaslr", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  // Kernel: first 2 MiB boundary after the shared region (and >= pref_address).
  EXPECT_EQ(image->kernel, Range(0x100200000, 0x800000));
  EXPECT_EQ(image->entry.value, 0x100200200u);  // boot.rst: 64-bit entry = load + 0x200
  // boot_params: the lowest free page, i.e. right after the shared region.
  EXPECT_EQ(image->boot_params.value, 0x100100000u);
  EXPECT_EQ(image->cmdline.value, 0x100101000u);
  // initrd: page aligned, at the top of node RAM.
  EXPECT_EQ(image->initrd, Range(0x10fffe000, 5000));

  ASSERT_EQ(image->segments.size(), 3u);
  const Segment& k = image->segments[0];
  EXPECT_EQ(k.what, "kernel");
  EXPECT_EQ(k.phys.value, 0x100200000u);
  EXPECT_EQ(k.bytes, std::vector<uint8_t>(kernel.begin() + 2560, kernel.end()));
  EXPECT_EQ(k.memsz, 4096u);
  const Segment& i = image->segments[1];
  EXPECT_EQ(i.what, "initrd");
  EXPECT_EQ(i.bytes, initrd);
  EXPECT_EQ(i.phys.value, 0x10fffe000u);
  const Segment& p = image->segments[2];
  EXPECT_EQ(p.what, "boot_params");
  EXPECT_EQ(p.phys.value, 0x100100000u);
  EXPECT_EQ(p.memsz, p.bytes.size());
  // zeropage + "console=mint nokaslr\0" (21) padded to 8 + setup_data header + mint_setup.
  EXPECT_EQ(p.bytes.size(), 0x1018u + 16 + sizeof(mint_setup));
}

TEST(BuildBootImage, WritesTheBootProtocolFields) {
  auto kernel = MakeFakeBzImage();
  auto initrd = Pattern(5000, 0x40);
  auto image = BuildBootImage(kernel, initrd, "console=mint nokaslr", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  boot_params bp = DecodeZeropage(*image);
  EXPECT_EQ(bp.hdr.type_of_loader, 0xff);
  EXPECT_EQ(bp.hdr.cmd_line_ptr, 0x00101000u);
  EXPECT_EQ(bp.ext_cmd_line_ptr, 0x1u);
  EXPECT_EQ(bp.hdr.ramdisk_image, 0x0fffe000u);
  EXPECT_EQ(bp.ext_ramdisk_image, 0x1u);
  EXPECT_EQ(bp.hdr.ramdisk_size, 5000u);
  EXPECT_EQ(bp.ext_ramdisk_size, 0u);
  EXPECT_EQ(bp.hdr.code32_start, 0x00100000u);  // as in the image: 64-bit entry ignores it
  EXPECT_EQ(bp.acpi_rsdp_addr, 0u);
  EXPECT_EQ(bp.sentinel, 0);
  EXPECT_EQ(bp.e820_entries, 3);
  EXPECT_EQ(bp.e820_table[0].addr, 0x90000u);
  EXPECT_EQ(bp.e820_table[0].size, 0x10000u);
  EXPECT_EQ(bp.e820_table[0].type, 1u);
  EXPECT_EQ(bp.e820_table[1].addr, 0x100000000u);
  EXPECT_EQ(bp.e820_table[1].type, 2u);
  EXPECT_EQ(bp.e820_table[2].addr, 0x100100000u);
  EXPECT_EQ(bp.e820_table[2].size, 255 * kMiB);
  EXPECT_EQ(bp.e820_table[2].type, 1u);
  EXPECT_EQ(bp.hdr.setup_data, 0x100101018u);
  // The command line, NUL terminated, at cmd_line_ptr.
  const Segment* p = FindSegment(*image, "boot_params");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p->bytes.data() + 0x1000)),
            "console=mint nokaslr");
  // Everything outside the setup header that we did not write is zero.
  EXPECT_EQ(bp.screen_info.orig_video_isVGA, 0);
}

TEST(BuildBootImage, CopiesTheSetupHeaderFromTheImage) {
  auto kernel = MakeFakeBzImage();
  // The boot sector before the header is not part of what gets copied.
  std::fill(kernel.begin(), kernel.begin() + 0x1f1, 0xaa);
  auto image = BuildBootImage(kernel, {}, "", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  const Segment* p = FindSegment(*image, "boot_params");
  // Bytes 0x1f1..0x26c come from the image except the fields the loader writes:
  // type_of_loader 0x210, ramdisk 0x218-0x21f,
  // cmd_line_ptr 0x228-0x22b, setup_data 0x250-0x257.
  auto written = [](size_t off) {
    return off == 0x210 || (off >= 0x218 && off < 0x220) || (off >= 0x228 && off < 0x22c) ||
           (off >= 0x250 && off < 0x258);
  };
  for (size_t off = 0x1f1; off < 0x26c; ++off) {
    if (written(off)) continue;
    EXPECT_EQ(p->bytes[off], kernel[off]) << "offset 0x" << std::hex << off;
  }
  // Byte 0x26c is past the header (0x202 + 0x6a): not copied.
  EXPECT_EQ(kernel[0x26c], 0xcc);
  EXPECT_EQ(p->bytes[0x26c], 0);
  // Nothing before the header comes from the image: all zero but the two
  // fields the loader writes there, ext_cmd_line_ptr (0x0c8) and
  // e820_entries (0x1e8).
  for (size_t off = 0; off < 0x1f1; ++off) {
    if (off == 0xc8 || off == 0x1e8) continue;
    EXPECT_EQ(p->bytes[off], 0) << "offset 0x" << std::hex << off;
  }
  EXPECT_EQ(p->bytes[0xc8], 0x01);  // cmdline at 0x1_0010_1000
  EXPECT_EQ(p->bytes[0x1e8], 3);
}

TEST(BuildBootImage, CopiesOnlyAsMuchHeaderAsTheJumpSays) {
  FakeBzImageSpec spec;
  spec.jump_len = 0x66;  // protocol 2.12-style header: ends at 0x268
  spec.version = 0x020c;
  auto kernel = MakeFakeBzImage(spec);
  auto image = BuildBootImage(kernel, {}, "", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  boot_params bp = DecodeZeropage(*image);
  EXPECT_EQ(bp.hdr.handover_offset, 0x190u);
  EXPECT_EQ(bp.hdr.kernel_info_offset, 0u);  // at 0x268, past the header
}

TEST(BuildBootImage, NoInitrdLeavesTheRamdiskFieldsZero) {
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  boot_params bp = DecodeZeropage(*image);
  EXPECT_EQ(bp.hdr.ramdisk_image, 0u);
  EXPECT_EQ(bp.hdr.ramdisk_size, 0u);
  EXPECT_EQ(bp.ext_ramdisk_image, 0u);
  EXPECT_EQ(FindSegment(*image, "initrd"), nullptr);
  EXPECT_EQ(image->segments.size(), 2u);
}

TEST(BuildBootImage, SetupMintDecodesFieldByField) {
  auto image = BuildBootImage(MakeFakeBzImage(), Pattern(100, 1), "x", PciLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  auto chain = DecodeChain(*image);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0].type, 10u);  // SETUP_MINT in setup_data.h of the mint kernel
  EXPECT_EQ(chain[0].type, static_cast<uint32_t>(MINT_SETUP_TYPE));
  ASSERT_EQ(chain[0].payload.size(), sizeof(mint_setup));
  mint_setup s;
  std::memcpy(&s, chain[0].payload.data(), sizeof(s));
  EXPECT_EQ(s.version, 1u);
  EXPECT_EQ(s.compatible_version, 1u);
  EXPECT_EQ(s.node_id, 2u);
  EXPECT_EQ(s.flags, 0u);
  EXPECT_EQ(s.tsc_khz, 2'400'000u);
  EXPECT_EQ(s.lapic_khz, 1'000'000u);
  EXPECT_EQ(s.nr_cpus, 4u);
  EXPECT_EQ(s.apic_ids[0], 4u);
  EXPECT_EQ(s.apic_ids[1], 5u);
  EXPECT_EQ(s.apic_ids[2], 6u);
  EXPECT_EQ(s.apic_ids[3], 7u);
  for (int i = 4; i < MINT_MAX_CPUS; ++i) EXPECT_EQ(s.apic_ids[i], 0u) << i;
  EXPECT_EQ(s.shared_base, 0x100000000u);
  EXPECT_EQ(s.shared_size, 2 * kMiB);
  EXPECT_EQ(s.ecam_base, 0xb0000000u);
  EXPECT_EQ(s.ecam_segment, 0);
  EXPECT_EQ(s.ecam_bus_start, 0x00);
  EXPECT_EQ(s.ecam_bus_end, 0xff);
  EXPECT_EQ(s.nr_pci, 2u);
  EXPECT_EQ(s.pci[0], 0x0018u);  // 00:03.0 = bus 0 << 8 | dev 3 << 3 | fn 0
  EXPECT_EQ(s.pci[1], 0x0101u);  // 01:00.1
  for (int i = 2; i < MINT_MAX_PCI; ++i) EXPECT_EQ(s.pci[i], 0u) << i;
}

// The one SETUP_MINT payload of an image's setup_data chain.
mint_setup SetupMintOf(const BootImage& image) {
  mint_setup s{};
  auto chain = DecodeChain(image);
  EXPECT_EQ(chain.size(), 1u);
  if (!chain.empty() && chain[0].payload.size() == sizeof(s))
    std::memcpy(&s, chain[0].payload.data(), sizeof(s));
  return s;
}

TEST(BuildBootImage, SetupMintSaysNode0RunsX2apic) {
  NodeLayout l = PciLayout();
  l.x2apic = true;
  l.apic_ids = {ApicId{0x104}, ApicId{0x105}};
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", l);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  mint_setup s = SetupMintOf(*image);
  EXPECT_EQ(s.flags, static_cast<uint32_t>(MINT_SETUP_F_X2APIC));
  EXPECT_EQ(s.nr_cpus, 2u);
  EXPECT_EQ(s.apic_ids[0], 0x104u);  // x2APIC ids past 255 go through whole
  EXPECT_EQ(s.apic_ids[1], 0x105u);
}

TEST(BuildBootImage, SetupMintWithoutPciSaysSo) {
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", BasicLayout());
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  mint_setup s = SetupMintOf(*image);
  EXPECT_EQ(s.flags, static_cast<uint32_t>(MINT_SETUP_F_NO_PCI));
  EXPECT_EQ(s.ecam_base, 0u);
  EXPECT_EQ(s.nr_pci, 0u);
  EXPECT_EQ(s.node_id, 1u);
  EXPECT_EQ(s.nr_cpus, 2u);
  EXPECT_EQ(s.apic_ids[0], 2u);
  EXPECT_EQ(s.apic_ids[1], 3u);
}

// 130 RAM ranges: 130 + shared + low = 132 entries; 128 in the zeropage,
// the other 4 in SETUP_E820_EXT, chained before SETUP_MINT.
NodeLayout ManyRangesLayout() {
  NodeLayout l = BasicLayout();
  l.ram.clear();
  for (uint64_t i = 0; i < 130; ++i) l.ram.push_back(Range(4 * kGiB + i * 2 * kMiB, kMiB));
  l.ram.push_back(Range(8 * kGiB, 64 * kMiB));  // room for the kernel
  l.shared = Range(4 * kGiB, kMiB);             // all of the first range
  return l;
}

TEST(BuildBootImage, E820PastTheZeropageGoesToSetupE820Ext) {
  NodeLayout l = ManyRangesLayout();
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", l);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  ASSERT_EQ(image->e820.size(), 132u);  // low + shared + 129 small + 1 big
  boot_params bp = DecodeZeropage(*image);
  EXPECT_EQ(bp.e820_entries, 128);
  for (size_t i = 0; i < 128; ++i) {
    EXPECT_EQ(bp.e820_table[i].addr, image->e820[i].addr.value) << i;
    EXPECT_EQ(bp.e820_table[i].size, image->e820[i].size.bytes) << i;
  }
  auto chain = DecodeChain(*image);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].type, static_cast<uint32_t>(SETUP_E820_EXT));
  ASSERT_EQ(chain[0].payload.size(), 4 * sizeof(boot_e820_entry));
  for (size_t i = 0; i < 4; ++i) {
    boot_e820_entry e;
    std::memcpy(&e, chain[0].payload.data() + i * sizeof(e), sizeof(e));
    EXPECT_EQ(e.addr, image->e820[128 + i].addr.value) << i;
    EXPECT_EQ(e.size, image->e820[128 + i].size.bytes) << i;
    EXPECT_EQ(e.type, 1u) << i;
  }
  EXPECT_EQ(chain[1].type, static_cast<uint32_t>(MINT_SETUP_TYPE));
  // The kernel went to the only range with 8 MiB of room.
  EXPECT_EQ(image->kernel.start.value, 8 * kGiB);
}

TEST(BuildBootImage, AcceptsACmdlineOfExactlyCmdlineSize) {
  FakeBzImageSpec spec;
  spec.cmdline_size = 16;
  auto image = BuildBootImage(MakeFakeBzImage(spec), {}, std::string(16, 'a'), BasicLayout());
  EXPECT_TRUE(image.ok());
}

TEST(BuildBootImage, RefusesACmdlineLongerThanCmdlineSize) {
  FakeBzImageSpec spec;
  spec.cmdline_size = 16;
  auto image = BuildBootImage(MakeFakeBzImage(spec), {}, std::string(17, 'a'), BasicLayout());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(image.error().ToString(),
            "node1: the kernel command line is 17 bytes; this kernel accepts at most 16 "
            "(cmdline_size): shorten it");
}

TEST(BuildBootImage, RefusesACmdlineWithANul) {
  auto image = BuildBootImage(MakeFakeBzImage(), {}, std::string_view("a\0b", 3), BasicLayout());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().ToString(),
            "node1: the kernel command line contains a NUL byte; the kernel would stop reading "
            "there: remove it");
}

TEST(BuildBootImage, RefusesAKernelThatFitsNowhere) {
  NodeLayout l = BasicLayout();
  l.ram = {Range(4 * kGiB, 8 * kMiB)};  // 7 MiB free after the shared MiB
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", l);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code, ErrorCode::kInsufficient);
  EXPECT_EQ(image.error().ToString(),
            "node1: the kernel needs 8 MiB of contiguous RAM (init_size) at a 2 MiB boundary at "
            "or above 0x1000000 (pref_address); the largest free node RAM range is 7 MiB: give "
            "the node more memory");
}

TEST(BuildBootImage, KernelNeverGoesBelowPrefAddress) {
  // RAM at 8 MiB..48 MiB: a relocatable kernel loaded below pref_address (16
  // MiB) moves itself to pref_address, so the builder starts there.
  NodeLayout l = BasicLayout();
  l.ram = {Range(8 * kMiB, 40 * kMiB)};
  l.shared = Range(8 * kMiB, kMiB);
  auto image = BuildBootImage(MakeFakeBzImage(), {}, "", l);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(image->kernel.start.value, 16 * kMiB);
}

// Found by fuzz_boot: pref_address near 2^64 wrapped the alignment round-up
// to 0 and put the kernel outside the node.
TEST(BuildBootImage, RefusesAPrefAddressPastAllRam) {
  FakeBzImageSpec spec;
  spec.pref_address = ~uint64_t{0};
  auto image = BuildBootImage(MakeFakeBzImage(spec), {}, "", BasicLayout());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().ToString(),
            "node1: the kernel needs 8 MiB of contiguous RAM (init_size) at a 2 MiB boundary at "
            "or above 0xffffffffffffffff (pref_address); the largest free node RAM range is 255 "
            "MiB: give the node more memory");
}

TEST(BuildBootImage, RefusesAnInitrdTooLarge) {
  NodeLayout l = BasicLayout();
  l.ram = {Range(4 * kGiB, 16 * kMiB)};  // 1 MiB shared, 2 MiB boundary, 8 MiB kernel
  std::vector<uint8_t> initrd(8 * kMiB, 0x5a);
  auto image = BuildBootImage(MakeFakeBzImage(), initrd, "", l);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code, ErrorCode::kInsufficient);
  EXPECT_EQ(image.error().ToString(),
            "node1: the initrd (8 MiB) fits in no free node RAM once the kernel is placed; the "
            "largest free range is 6 MiB: give the node more memory or a smaller initrd");
}

TEST(BuildBootImage, InitrdRespectsInitrdAddrMaxWithout4GFlag) {
  FakeBzImageSpec spec;
  spec.xloadflags = 0x1;  // XLF_KERNEL_64 only
  NodeLayout l = BasicLayout();
  l.ram = {Range(0x40000000, 64 * kMiB), Range(4 * kGiB, 256 * kMiB)};
  auto image = BuildBootImage(MakeFakeBzImage(spec), Pattern(3 * 4096, 9), "", l);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  // Highest page-aligned spot ending at or below initrd_addr_max + 1 = 2 GiB.
  EXPECT_EQ(image->initrd.start.value, 0x40000000u + 64 * kMiB - 3 * 4096);
}

TEST(BuildBootImage, InitrdGoesAbove4GWithTheFlag) {
  NodeLayout l = BasicLayout();
  l.ram = {Range(0x40000000, 64 * kMiB), Range(4 * kGiB, 256 * kMiB)};
  auto image = BuildBootImage(MakeFakeBzImage(), Pattern(3 * 4096, 9), "", l);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(image->initrd.start.value, 4 * kGiB + 256 * kMiB - 3 * 4096);
}

TEST(BuildBootImage, RefusesAnInitrdAbove4GWithoutTheFlag) {
  FakeBzImageSpec spec;
  spec.xloadflags = 0x1;
  auto image = BuildBootImage(MakeFakeBzImage(spec), Pattern(4096, 9), "", BasicLayout());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().ToString(),
            "node1: the initrd (4 KiB) fits in no free node RAM below 0x80000000 "
            "(initrd_addr_max) once the kernel is placed; the largest free range is 246 MiB: "
            "give the node more memory or a smaller initrd");
}

TEST(BuildBootImage, RefusesAnImageProbeRefuses) {
  FakeBzImageSpec spec;
  spec.version = 0x0209;
  auto image = BuildBootImage(MakeFakeBzImage(spec), {}, "", BasicLayout());
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().ToString(),
            "kernel image: uses boot protocol 2.09; a node needs 2.12 or newer (64-bit entry "
            "point): use a Linux 3.8 or newer x86-64 kernel");
}

// Whatever the scenario, segments lie in node RAM, outside the shared
// region, and do not overlap each other; the kernel's init_size window too.
void ExpectSegmentsInsideTheNode(const BootImage& image, const NodeLayout& l) {
  std::vector<std::pair<uint64_t, uint64_t>> taken = {
      {image.kernel.start.value, image.kernel.end()}};
  for (const Segment& s : image.segments) {
    ASSERT_LE(s.bytes.size(), s.memsz) << s.what;
    uint64_t start = s.phys.value, end = s.phys.value + s.memsz;
    bool in_ram = false;
    for (const PhysRange& r : l.ram) in_ram |= start >= r.start.value && end <= r.end();
    EXPECT_TRUE(in_ram) << s.what;
    EXPECT_TRUE(end <= l.shared.start.value || start >= l.shared.end()) << s.what;
    if (s.what != "kernel") taken.push_back({start, end});
  }
  std::sort(taken.begin(), taken.end());
  for (size_t i = 1; i < taken.size(); ++i) EXPECT_LE(taken[i - 1].second, taken[i].first);
}

TEST(BuildBootImage, SegmentsStayInsideTheNode) {
  for (const NodeLayout& l : {BasicLayout(), PciLayout(), ManyRangesLayout()}) {
    auto image = BuildBootImage(MakeFakeBzImage(), Pattern(70000, 3), "console=mint", l);
    ASSERT_TRUE(image.ok()) << image.error().ToString();
    ExpectSegmentsInsideTheNode(*image, l);
  }
}

// ---- Golden bytes -------------------------------------------------------------

struct Scenario {
  const char* name;
  NodeLayout layout;
  std::vector<uint8_t> initrd;
  std::string cmdline;
};

std::vector<Scenario> Scenarios() {
  NodeLayout x2apic = PciLayout();
  x2apic.x2apic = true;
  x2apic.apic_ids = {ApicId{0x104}, ApicId{0x105}, ApicId{0x106}, ApicId{0x107}};
  return {
      {"basic", BasicLayout(), Pattern(5000, 0x40), "console=mint nokaslr"},
      {"x2apic", x2apic, Pattern(1000, 0x22), "console=mint"},
      {"pci", PciLayout(), Pattern(70000, 0x11), "console=mint root=/dev/vda rw"},
      {"e820_ext", ManyRangesLayout(), {}, "console=mint"},
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BuildBootImage, MatchesGoldenBytes) {
  const bool update = std::getenv("MINT_UPDATE_GOLDEN") != nullptr;
  for (const Scenario& sc : Scenarios()) {
    auto image = BuildBootImage(MakeFakeBzImage(), sc.initrd, sc.cmdline, sc.layout);
    ASSERT_TRUE(image.ok()) << sc.name << ": " << image.error().ToString();
    std::string got = testing::DumpBootImage(*image);
    std::string path = std::string(MINT_BOOT_GOLDEN_DIR) + "/" + sc.name + ".golden";
    if (update) {
      std::ofstream(path) << got;
      ADD_FAILURE() << "rewrote " << path
                    << ": review `git diff tests/unit/boot/golden/` before committing";
      continue;
    }
    std::string want = ReadFile(path);
    ASSERT_FALSE(want.empty()) << path << " is missing; see tests/unit/boot/golden/README.md";
    EXPECT_EQ(got, want) << sc.name;
  }
}

// The fuzzer's seed is the synthetic image; regenerate it the same way as
// the golden files (MINT_UPDATE_GOLDEN=1, then review).
TEST(FuzzSeed, IsTheSyntheticImage) {
  const std::string path = MINT_BOOT_FUZZ_SEED;
  auto got = testing::ExpectSeedFile(path, MakeFakeBzImage());
  EXPECT_TRUE(ProbeBzImage(got, path).ok());
}

}  // namespace
}  // namespace mint::boot
