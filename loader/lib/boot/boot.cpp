// The node boot image builder: bzImage probe, placement of kernel, initrd
// and boot_params in node RAM, the node's e820, the boot_params page with
// its command line and setup_data chain (SETUP_E820_EXT when the e820 does
// not fit the zeropage, then SETUP_MINT). Every binary layout is the
// kernel's own: struct boot_params / setup_header / setup_data /
// boot_e820_entry from <asm/bootparam.h> and struct mint_setup from
// <linux/mint.h>; the static_asserts below pin them to the offsets of
// Documentation/arch/x86/boot.rst and zero-page.rst. Pure: no I/O.
#include "mint/boot.h"

#include <asm/bootparam.h>
#include <linux/mint.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <sstream>

#include "bytes.h"
#include "mint/expand.h"

namespace mint::boot {
namespace {

using internal::Cat;
using internal::ReadLe;

// ---- Layouts pinned to the boot protocol ----------------------------------

// zero-page.rst: the zeropage is one 4 KiB page.
static_assert(sizeof(boot_params) == kBootParamsSize);
// zero-page.rst: acpi_rsdp_addr at 0x070, ext_ramdisk_image 0x0c0,
// ext_ramdisk_size 0x0c4, ext_cmd_line_ptr 0x0c8, e820_entries 0x1e8,
// sentinel 0x1ef, hdr 0x1f1, e820_table 0x2d0 (128 entries of 20 bytes).
static_assert(offsetof(boot_params, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(boot_params, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(boot_params, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(boot_params, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(boot_params, e820_entries) == 0x1e8);
static_assert(offsetof(boot_params, sentinel) == 0x1ef);
static_assert(offsetof(boot_params, hdr) == 0x1f1);
static_assert(offsetof(boot_params, e820_table) == 0x2d0);
static_assert(sizeof(boot_e820_entry) == 20);
// boot.rst "The real-mode kernel header": offsets in the image file, which
// are the offsets in boot_params because hdr sits at 0x1f1 in both.
constexpr size_t kHdr = offsetof(boot_params, hdr);
static_assert(kHdr + offsetof(setup_header, setup_sects) == 0x1f1);
static_assert(kHdr + offsetof(setup_header, boot_flag) == 0x1fe);
static_assert(kHdr + offsetof(setup_header, jump) == 0x200);
static_assert(kHdr + offsetof(setup_header, header) == 0x202);
static_assert(kHdr + offsetof(setup_header, version) == 0x206);
static_assert(kHdr + offsetof(setup_header, type_of_loader) == 0x210);
static_assert(kHdr + offsetof(setup_header, loadflags) == 0x211);
static_assert(kHdr + offsetof(setup_header, ramdisk_image) == 0x218);
static_assert(kHdr + offsetof(setup_header, ramdisk_size) == 0x21c);
static_assert(kHdr + offsetof(setup_header, cmd_line_ptr) == 0x228);
static_assert(kHdr + offsetof(setup_header, initrd_addr_max) == 0x22c);
static_assert(kHdr + offsetof(setup_header, kernel_alignment) == 0x230);
static_assert(kHdr + offsetof(setup_header, relocatable_kernel) == 0x234);
static_assert(kHdr + offsetof(setup_header, xloadflags) == 0x236);
static_assert(kHdr + offsetof(setup_header, cmdline_size) == 0x238);
static_assert(kHdr + offsetof(setup_header, payload_offset) == 0x248);
static_assert(kHdr + offsetof(setup_header, payload_length) == 0x24c);
static_assert(kHdr + offsetof(setup_header, setup_data) == 0x250);
static_assert(kHdr + offsetof(setup_header, pref_address) == 0x258);
static_assert(kHdr + offsetof(setup_header, init_size) == 0x260);
static_assert(kHdr + sizeof(setup_header) == 0x26c);  // end of kernel_info_offset (2.15)
// boot.rst "Details of the setup_data field": {next u64, type u32, len u32, data}.
static_assert(sizeof(setup_data) == 16);
// linux/mint.h: the SETUP_MINT payload layout (offsets in its comments).
static_assert(offsetof(mint_setup, apic_ids) == 0x20);
static_assert(offsetof(mint_setup, shared_base) == 0x120);
static_assert(offsetof(mint_setup, ecam_base) == 0x130);
static_assert(offsetof(mint_setup, nr_pci) == 0x13c);
static_assert(offsetof(mint_setup, pci) == 0x140);
static_assert(sizeof(mint_setup) == 0x160);

constexpr uint32_t kHdrSMagic = 0x53726448;  // "HdrS" little-endian, boot.rst: header
constexpr uint16_t kBootFlag = 0xAA55;       // boot.rst: boot_flag
constexpr uint16_t kMinProtocol = 0x020c;    // 2.12: xloadflags, the 64-bit entry
constexpr uint64_t kPage = 0x1000;
constexpr uint64_t kOneMiB = 0x100000;
constexpr uint64_t kEcamBusBytes = 1ull << 20;  // 32 devices * 8 functions * 4 KiB
constexpr uint64_t k64BitEntryOffset = 0x200;   // boot.rst: 64-bit entry = load + 0x200

// Fixed-width lowercase hex without 0x: Hex0(0x3, 2) == "03".
std::string Hex0(uint64_t v, int width) {
  std::ostringstream os;
  os << std::hex;
  os.width(width);
  os.fill('0');
  os << v;
  return os.str();
}

std::string RangeText(uint64_t start, uint64_t end) {
  return Cat("[", Hex(start), ", ", Hex(end), ")");
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t AlignDown(uint64_t v, uint64_t a) { return v / a * a; }

std::string ProtocolText(uint16_t version) {
  return Cat(version >> 8, ".", (version & 0xff) < 10 ? "0" : "", version & 0xff);
}

// ---- Free-space bookkeeping inside node RAM --------------------------------

struct Hole {
  uint64_t start;
  uint64_t end;  // exclusive
};

// The RAM the builder may put things in: node RAM minus the shared region.
class FreeSpace {
 public:
  explicit FreeSpace(std::vector<Hole> holes) : holes_(std::move(holes)) {}

  // Lowest address >= floor, aligned, with `size` bytes free below `limit`.
  std::optional<uint64_t> Lowest(uint64_t size, uint64_t align, uint64_t floor,
                                 uint64_t limit) const {
    for (const Hole& h : holes_) {
      uint64_t base = std::max(h.start, floor);
      if (base >= h.end) continue;
      uint64_t start = AlignUp(base, align);
      if (start < base) continue;  // wrapped past 2^64
      uint64_t end = std::min(h.end, limit);
      if (start < end && end - start >= size) return start;
    }
    return std::nullopt;
  }

  // Highest aligned address with `size` bytes free ending at or below limit.
  std::optional<uint64_t> Highest(uint64_t size, uint64_t align, uint64_t limit) const {
    for (auto it = holes_.rbegin(); it != holes_.rend(); ++it) {
      uint64_t end = std::min(it->end, limit);
      if (end < it->start || end - it->start < size) continue;
      uint64_t start = AlignDown(end - size, align);
      if (start >= it->start) return start;
    }
    return std::nullopt;
  }

  uint64_t Largest() const {
    uint64_t best = 0;
    for (const Hole& h : holes_) best = std::max(best, h.end - h.start);
    return best;
  }

  void Take(uint64_t start, uint64_t size) {
    std::vector<Hole> next;
    for (const Hole& h : holes_) {
      if (start >= h.end || start + size <= h.start) {
        next.push_back(h);
        continue;
      }
      if (h.start < start) next.push_back({h.start, start});
      if (start + size < h.end) next.push_back({start + size, h.end});
    }
    holes_ = std::move(next);
  }

 private:
  std::vector<Hole> holes_;  // sorted, disjoint
};

// ---- Layout validation ------------------------------------------------------

std::string NodeName(const NodeLayout& layout) {
  return layout.name.empty() ? Cat("node", layout.node_id) : layout.name;
}

struct Named {
  std::string what;
  uint64_t start;
  uint64_t end;
};

Result<void> CheckLayout(const NodeLayout& layout) {
  const std::string node = NodeName(layout);
  auto bad = [&](std::string message) {
    return MakeError(ErrorCode::kUnsupported, node, std::move(message));
  };
  if (layout.ram.empty()) {
    return bad("the node has no RAM ranges; NODE_CREATE must return at least one");
  }
  std::vector<Named> all;
  for (size_t i = 0; i < layout.ram.size(); ++i) {
    const PhysRange& r = layout.ram[i];
    std::string what = Cat("RAM range ", i, " ", RangeText(r.start.value, r.end()));
    if (r.size.bytes == 0) return bad(what + " is empty; drop it from the layout");
    if (r.end() < r.start.value) return bad(what + " wraps around the address space");
    if (r.start.value % kPage != 0 || r.size.bytes % kPage != 0) {
      return bad(what + " is not 4 KiB aligned; node memory comes from the pool in pages");
    }
    all.push_back({what, r.start.value, r.end()});
  }
  const PhysRange& low = layout.low;
  std::string low_what = "low range " + RangeText(low.start.value, low.end());
  if (low.size.bytes == 0) {
    return bad(
        "the node has no low-memory range below 1 MiB; its kernel needs one for its "
        "real-mode trampoline: give node0 low slots (mint_pool=) and recreate the node");
  }
  if (low.end() > kOneMiB || low.end() < low.start.value) {
    return bad(low_what + " does not lie below 1 MiB; the AP trampoline must");
  }
  if (low.start.value % kPage != 0 || low.size.bytes % kPage != 0) {
    return bad(low_what + " is not 4 KiB aligned");
  }
  all.push_back({low_what, low.start.value, low.end()});
  if (layout.ecam) {
    const Ecam& e = *layout.ecam;
    if (e.bus_end < e.bus_start) {
      return bad(
          Cat("ECAM bus range ", Hex0(e.bus_start, 2), "-", Hex0(e.bus_end, 2), " is reversed"));
    }
    uint64_t start = e.base.value + e.bus_start * kEcamBusBytes;
    uint64_t end = e.base.value + (uint64_t{e.bus_end} + 1) * kEcamBusBytes;
    if (end < e.base.value) {
      return bad("ECAM window at " + Hex(e.base.value) + " wraps around the address space");
    }
    all.push_back({"ECAM window " + RangeText(start, end), start, end});
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Named& a, const Named& b) { return a.start < b.start; });
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].start < all[i - 1].end) {
      return bad(Cat(all[i - 1].what, " overlaps ", all[i].what,
                     "; every range of a node must be distinct"));
    }
  }
  const PhysRange& sh = layout.shared;
  std::string sh_what = "shared region " + RangeText(sh.start.value, sh.end());
  if (sh.size.bytes == 0) {
    return bad("the node has no shared region; NODE_CREATE must return one");
  }
  if (sh.start.value % kPage != 0 || sh.size.bytes % kPage != 0) {
    return bad(sh_what + " is not 4 KiB aligned");
  }
  bool inside = std::any_of(layout.ram.begin(), layout.ram.end(), [&](const PhysRange& r) {
    return sh.start.value >= r.start.value && sh.end() <= r.end() && sh.end() > sh.start.value;
  });
  if (!inside) {
    return bad(sh_what + " is not inside one of the node's RAM ranges; it must be part of them");
  }
  if (layout.apic_ids.empty()) {
    return bad("the node has no CPUs; give it at least one core");
  }
  if (layout.apic_ids.size() > MINT_MAX_CPUS) {
    return bad(Cat("the node has ", layout.apic_ids.size(), " CPUs, SETUP_MINT carries at most ",
                   MINT_MAX_CPUS, "; give it fewer cores"));
  }
  if (layout.pci.size() > MINT_MAX_PCI) {
    return bad(Cat("the node has ", layout.pci.size(),
                   " PCI functions, SETUP_MINT carries at most ", MINT_MAX_PCI,
                   "; give it fewer devices"));
  }
  if (!layout.pci.empty() && !layout.ecam) {
    return bad(
        "the node has PCI functions but no ECAM window; a node reaches config space only "
        "through ECAM, so the host needs an MMCONFIG (MCFG) window");
  }
  for (const PciBdf& bdf : layout.pci) {
    const Ecam& e = *layout.ecam;
    if (bdf.domain != e.segment || bdf.bus < e.bus_start || bdf.bus > e.bus_end) {
      return bad(Cat("PCI function ", bdf.ToString(), " is outside the ECAM window (segment ",
                     Hex0(e.segment, 4), ", buses ", Hex0(e.bus_start, 2), "-", Hex0(e.bus_end, 2),
                     "); give the node functions this window serves"));
    }
  }
  return Ok();
}

// ---- setup_data chain -------------------------------------------------------

// Appends one setup_data node (header + payload) at an 8-aligned offset of
// buf and returns that offset; links are fixed up by the caller.
size_t AppendSetupData(std::vector<uint8_t>& buf, uint32_t type, const void* payload, size_t len) {
  size_t at = AlignUp(buf.size(), 8);
  buf.resize(at + sizeof(setup_data) + len, 0);
  setup_data head{};
  head.next = 0;  // linked by the caller
  head.type = type;
  head.len = static_cast<uint32_t>(len);
  std::memcpy(buf.data() + at, &head, sizeof(head));
  std::memcpy(buf.data() + at + sizeof(head), payload, len);
  return at;
}

mint_setup MakeMintSetup(const NodeLayout& layout) {
  mint_setup s{};
  s.version = MINT_SETUP_VERSION;
  s.compatible_version = MINT_SETUP_COMPAT;
  s.node_id = layout.node_id;
  s.flags = (layout.ecam ? 0 : MINT_SETUP_F_NO_PCI) | (layout.x2apic ? MINT_SETUP_F_X2APIC : 0);
  s.tsc_khz = layout.tsc_khz;
  s.lapic_khz = layout.lapic_khz;
  s.nr_cpus = static_cast<uint32_t>(layout.apic_ids.size());
  for (size_t i = 0; i < layout.apic_ids.size(); ++i) s.apic_ids[i] = layout.apic_ids[i].value;
  s.shared_base = layout.shared.start.value;
  s.shared_size = layout.shared.size.bytes;
  if (layout.ecam) {
    s.ecam_base = layout.ecam->base.value;
    s.ecam_segment = layout.ecam->segment;
    s.ecam_bus_start = layout.ecam->bus_start;
    s.ecam_bus_end = layout.ecam->bus_end;
  }
  s.nr_pci = static_cast<uint32_t>(layout.pci.size());
  for (size_t i = 0; i < layout.pci.size(); ++i) s.pci[i] = layout.pci[i].Packed();
  return s;
}

}  // namespace

// ---- ProbeBzImage -------------------------------------------------------------

Result<BzImageInfo> ProbeBzImage(std::span<const uint8_t> image, std::string_view name) {
  auto refuse = [&](std::string message) {
    return MakeError(ErrorCode::kUnsupported, std::string(name), std::move(message));
  };
  // The header must reach at least 0x206 + 2 (version) to be recognised.
  constexpr size_t kMinHeader = 0x208;
  if (image.size() < kMinHeader) {
    return refuse(Cat("is ", image.size(),
                      " bytes, too short to hold a Linux setup header (which ends past ",
                      Hex(kMinHeader), "); give the kernel's arch/x86/boot/bzImage"));
  }
  if (ReadLe<uint32_t>(image, 0x202) != kHdrSMagic) {
    return refuse(
        "is not a Linux bzImage: no \"HdrS\" signature at 0x202; give the kernel's "
        "arch/x86/boot/bzImage, not vmlinux or a compressed file");
  }
  if (ReadLe<uint16_t>(image, 0x1fe) != kBootFlag) {
    return refuse("is not a Linux bzImage: no 0xAA55 boot flag at 0x1fe; the file is damaged");
  }
  BzImageInfo info;
  info.protocol = ReadLe<uint16_t>(image, 0x206);
  if (info.protocol < kMinProtocol) {
    return refuse(Cat("uses boot protocol ", ProtocolText(info.protocol),
                      "; a node needs 2.12 or newer (64-bit entry point): use a Linux 3.8 or newer "
                      "x86-64 kernel"));
  }
  // boot.rst 64-bit protocol: header ends at 0x202 + byte at 0x201 (the jump).
  info.setup_header_end = 0x202u + image[0x201];
  if (info.setup_header_end > offsetof(boot_params, _pad7) + sizeof(boot_params::_pad7)) {
    return refuse(Cat("has a setup header ending at ", Hex(info.setup_header_end),
                      ", past the header area of boot_params (0x290); the file is damaged"));
  }
  if (info.setup_header_end < kHdr + offsetof(setup_header, kernel_info_offset)) {
    return refuse(Cat("has a setup header ending at ", Hex(info.setup_header_end),
                      ", too short for protocol ", ProtocolText(info.protocol),
                      " (init_size ends at 0x264); the file is damaged"));
  }
  if (image.size() < info.setup_header_end) {
    return refuse(Cat("is truncated: ", image.size(), " bytes, but its setup header ends at ",
                      Hex(info.setup_header_end)));
  }
  // A newer kernel's header may be longer than the struct we know (it may
  // reach 0x290); the fields we read are all inside the struct.
  setup_header hdr{};
  std::memcpy(&hdr, image.data() + kHdr,
              std::min<size_t>(info.setup_header_end - kHdr, sizeof(hdr)));
  // boot.rst loadflags bit 0 (LOADED_HIGH): the protected-mode code is
  // meant for 0x100000 and up; without it the image is an old zImage.
  if (!(hdr.loadflags & LOADED_HIGH)) {
    return refuse(
        "is a zImage (loadflags lacks LOADED_HIGH), not a bzImage; give the kernel's "
        "arch/x86/boot/bzImage");
  }
  info.xloadflags = hdr.xloadflags;
  if (!(hdr.xloadflags & XLF_KERNEL_64)) {
    return refuse(
        "has no 64-bit entry point (xloadflags lacks XLF_KERNEL_64); a node needs an "
        "x86-64 kernel");
  }
  info.relocatable = hdr.relocatable_kernel != 0;
  if (!info.relocatable) {
    return refuse(
        "is not relocatable; a node runs wherever its memory is: build the kernel with "
        "CONFIG_RELOCATABLE=y");
  }
  info.setup_sects = hdr.setup_sects;
  // boot.rst: setup_sects 0 means 4.
  uint32_t sects = hdr.setup_sects == 0 ? 4 : hdr.setup_sects;
  info.setup_bytes = (sects + 1) * 512;
  info.payload_offset = info.setup_bytes;
  if (image.size() <= info.payload_offset) {
    return refuse(Cat("is truncated: ", image.size(), " bytes, but its real-mode part alone is ",
                      info.setup_bytes, " bytes (", sects,
                      " setup sectors) and the 64-bit kernel should follow it"));
  }
  info.payload_size = image.size() - info.payload_offset;
  // syssize (boot.rst, 2.04+): the protected-mode code size in 16-byte paragraphs.
  uint64_t syssize_bytes = uint64_t{hdr.syssize} * 16;
  if (syssize_bytes > info.payload_size) {
    return refuse(Cat("is truncated: its header says the 64-bit kernel is ", syssize_bytes,
                      " bytes (syssize), the file holds ", info.payload_size,
                      " after the setup part"));
  }
  info.kernel_alignment = hdr.kernel_alignment;
  if (info.kernel_alignment == 0 || (info.kernel_alignment & (info.kernel_alignment - 1)) != 0 ||
      info.kernel_alignment % kPage != 0) {
    return refuse(Cat("has kernel_alignment ", Hex(info.kernel_alignment),
                      ", not a power of two of at least 4 KiB; the file is damaged"));
  }
  info.pref_address = hdr.pref_address;
  info.init_size = hdr.init_size;
  if (info.init_size == 0) {
    return refuse("has init_size 0; the file is damaged");
  }
  info.cmdline_size = hdr.cmdline_size;
  info.initrd_addr_max = hdr.initrd_addr_max;
  info.compressed_offset = info.payload_offset + hdr.payload_offset;
  info.compressed_size = hdr.payload_length;
  return info;
}

// ---- BuildE820 ------------------------------------------------------------------

Result<std::vector<E820Entry>> BuildE820(const NodeLayout& layout) {
  MINT_CHECK(CheckLayout(layout));
  std::vector<E820Entry> out;
  const uint64_t sh_start = layout.shared.start.value;
  const uint64_t sh_end = layout.shared.end();
  for (const PhysRange& r : layout.ram) {
    // RAM minus the shared region: at most two pieces.
    if (sh_end <= r.start.value || sh_start >= r.end()) {
      out.push_back({r.start, r.size, E820Type::kRam});
      continue;
    }
    if (r.start.value < sh_start) {
      out.push_back({r.start, ByteSize{sh_start - r.start.value}, E820Type::kRam});
    }
    if (sh_end < r.end())
      out.push_back({PhysAddr{sh_end}, ByteSize{r.end() - sh_end}, E820Type::kRam});
  }
  out.push_back({layout.shared.start, layout.shared.size, E820Type::kReserved});
  out.push_back({layout.low.start, layout.low.size, E820Type::kRam});
  if (layout.ecam) {
    const Ecam& e = *layout.ecam;
    out.push_back({PhysAddr{e.base.value + e.bus_start * kEcamBusBytes},
                   ByteSize{(uint64_t{e.bus_end} - e.bus_start + 1) * kEcamBusBytes},
                   E820Type::kReserved});
  }
  std::sort(out.begin(), out.end(),
            [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
  // Merge touching entries of one type (two RAM ranges back to back).
  std::vector<E820Entry> merged;
  for (const E820Entry& e : out) {
    if (!merged.empty() && merged.back().type == e.type &&
        merged.back().addr.value + merged.back().size.bytes == e.addr.value) {
      merged.back().size.bytes += e.size.bytes;
    } else {
      merged.push_back(e);
    }
  }
  return merged;
}

// ---- BuildBootImage -----------------------------------------------------------

bool CmdlineSaysNoKaslr(std::string_view cmdline) {
  size_t at = 0;
  while (at < cmdline.size()) {
    size_t end = cmdline.find(' ', at);
    if (end == std::string_view::npos) end = cmdline.size();
    if (cmdline.substr(at, end - at) == "nokaslr") return true;
    at = end + 1;
  }
  return false;
}

std::string DescribeTextPlace(const BootImage& image) {
  if (!image.expanded) return "text placed by its decompressor";
  if (image.virt_offset == 0) return "text at its link address";
  return "text moved by " + Hex(image.virt_offset) + " (KASLR)";
}

Result<BootImage> BuildBootImage(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                                 std::string_view cmdline, const NodeLayout& layout,
                                 const Expansion* expanded) {
  MINT_TRY(BzImageInfo info, ProbeBzImage(kernel, "kernel image"));
  std::optional<ExpandedKernel> vmlinux;
  const bool kaslr = !CmdlineSaysNoKaslr(cmdline);
  if (expanded) {
    MINT_TRY(vmlinux,
             LayoutKernel(expanded->decompressed, info,
                          kaslr ? std::optional<uint64_t>(expanded->random) : std::nullopt));
  }
  MINT_TRY(std::vector<E820Entry> e820, BuildE820(layout));
  const std::string node = NodeName(layout);

  // boot.rst cmdline_size: at most cmdline_size characters, NUL not counted.
  if (cmdline.size() > info.cmdline_size) {
    return MakeError(
        ErrorCode::kUnsupported, node,
        Cat("the kernel command line is ", cmdline.size(), " bytes; this kernel accepts at most ",
            info.cmdline_size, " (cmdline_size): shorten it"));
  }
  if (cmdline.find('\0') != std::string_view::npos) {
    return MakeError(ErrorCode::kUnsupported, node,
                     "the kernel command line contains a NUL byte; the kernel would stop "
                     "reading there: remove it");
  }

  // The space we may fill: node RAM minus the shared region, in address order.
  // The low range is the node kernel's trampoline, never ours to fill.
  std::vector<Hole> holes;
  for (const PhysRange& r : layout.ram) {
    const uint64_t sh_start = layout.shared.start.value;
    const uint64_t sh_end = layout.shared.end();
    if (sh_end <= r.start.value || sh_start >= r.end()) {
      holes.push_back({r.start.value, r.end()});
      continue;
    }
    if (r.start.value < sh_start) holes.push_back({r.start.value, sh_start});
    if (sh_end < r.end()) holes.push_back({sh_end, r.end()});
  }
  std::sort(holes.begin(), holes.end(),
            [](const Hole& a, const Hole& b) { return a.start < b.start; });
  FreeSpace free_space(std::move(holes));

  // 1. The kernel: lowest kernel_alignment-aligned address at or above
  // pref_address (a relocatable kernel loaded below it moves itself there,
  // head_64.S / boot.rst init_size), with init_size bytes of room.
  BootImage out;
  const uint64_t kernel_room = AlignUp(
      std::max<uint64_t>({info.init_size, info.payload_size, vmlinux ? vmlinux->extent : 0}),
      kPage);
  auto kernel_at =
      free_space.Lowest(kernel_room, info.kernel_alignment, info.pref_address, UINT64_MAX);
  if (!kernel_at) {
    return MakeError(
        ErrorCode::kInsufficient, node,
        Cat("the kernel needs ", ByteSize{kernel_room}.ToString(),
            " of contiguous RAM (init_size) at a ", ByteSize{info.kernel_alignment}.ToString(),
            " boundary at or above ", Hex(info.pref_address),
            " (pref_address); the largest free node RAM range is ",
            ByteSize{free_space.Largest()}.ToString(), ": give the node more memory"));
  }
  free_space.Take(*kernel_at, kernel_room);
  out.kernel = PhysRange{PhysAddr{*kernel_at}, ByteSize{kernel_room}};
  out.entry = PhysAddr{*kernel_at + (vmlinux ? vmlinux->entry_offset : k64BitEntryOffset)};
  out.expanded = vmlinux.has_value();
  out.virt_offset = vmlinux ? vmlinux->virt_offset : 0;

  // 2. The boot_params segment: zeropage, cmdline, setup_data chain. Its
  // size is known before its address (setup_data links need the address).
  std::vector<uint8_t> params(kBootParamsSize, 0);
  params.insert(params.end(), cmdline.begin(), cmdline.end());
  params.push_back(0);
  const bool e820_ext = e820.size() > E820_MAX_ENTRIES_ZEROPAGE;
  std::vector<size_t> chain;
  if (e820_ext) {
    // boot.rst/zero-page.rst: e820 entries past the zeropage's 128 go to a
    // SETUP_E820_EXT setup_data as more boot_e820_entry records.
    std::vector<boot_e820_entry> extra;
    for (size_t i = E820_MAX_ENTRIES_ZEROPAGE; i < e820.size(); ++i) {
      extra.push_back(
          {e820[i].addr.value, e820[i].size.bytes, static_cast<uint32_t>(e820[i].type)});
    }
    chain.push_back(AppendSetupData(params, SETUP_E820_EXT, extra.data(),
                                    extra.size() * sizeof(boot_e820_entry)));
  }
  const mint_setup ms = MakeMintSetup(layout);
  chain.push_back(AppendSetupData(params, MINT_SETUP_TYPE, &ms, sizeof(ms)));
  const uint64_t params_size = params.size();
  auto params_at = free_space.Lowest(AlignUp(params_size, kPage), kPage, 0, UINT64_MAX);
  if (!params_at) {
    return MakeError(ErrorCode::kInsufficient, node,
                     Cat("no room for the ", ByteSize{AlignUp(params_size, kPage)}.ToString(),
                         " of boot_params (command line and setup_data included) beside the "
                         "kernel: give the node more memory"));
  }
  free_space.Take(*params_at, AlignUp(params_size, kPage));
  out.boot_params = PhysAddr{*params_at};
  out.cmdline = PhysAddr{*params_at + kCmdlineOffset};

  // 3. The initrd: page aligned, as high as possible below its limit.
  if (!initrd.empty()) {
    const uint64_t size = initrd.size();
    // boot.rst initrd_addr_max: address of the highest byte the initrd may
    // occupy; XLF_CAN_BE_LOADED_ABOVE_4G lifts it (boot.rst xloadflags bit 1).
    uint64_t limit = (info.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
                         ? UINT64_MAX
                         : uint64_t{info.initrd_addr_max} + 1;
    auto initrd_at = free_space.Highest(AlignUp(size, kPage), kPage, limit);
    if (!initrd_at) {
      std::string where =
          limit == UINT64_MAX ? std::string("") : Cat(" below ", Hex(limit), " (initrd_addr_max)");
      return MakeError(ErrorCode::kInsufficient, node,
                       Cat("the initrd (", ByteSize{size}.ToString(), ") fits in no free node RAM",
                           where, " once the kernel is placed; the largest free range is ",
                           ByteSize{free_space.Largest()}.ToString(),
                           ": give the node more memory or a smaller initrd"));
    }
    free_space.Take(*initrd_at, AlignUp(size, kPage));
    out.initrd = PhysRange{PhysAddr{*initrd_at}, ByteSize{size}};
  } else {
    out.initrd = PhysRange{PhysAddr{0}, ByteSize{0}};
  }

  // 4. Fill the zeropage.
  boot_params bp{};
  // boot.rst 64-bit protocol: copy the setup header from the image, from
  // 0x1f1 to 0x202 + byte at 0x201; the rest of boot_params starts zeroed
  // (so sentinel is 0 and screen_info says "no video").
  std::memcpy(reinterpret_cast<uint8_t*>(&bp) + kHdr, kernel.data() + kHdr,
              info.setup_header_end - kHdr);
  // boot.rst: type_of_loader, write (obligatory), 2.00+: 0xFF, undefined loader.
  bp.hdr.type_of_loader = 0xff;
  // misc.c / kaslr.c: the decompressor clears KASLR_FLAG and sets it again
  // unless the cmdline says nokaslr; the kernel reads it (kaslr_enabled())
  // to randomize its memory regions. Expanded here, we are the decompressor.
  if (vmlinux) {
    bp.hdr.loadflags &= ~KASLR_FLAG;
    if (kaslr) bp.hdr.loadflags |= KASLR_FLAG;
  }
  // boot.rst: cmd_line_ptr, write (obligatory), 2.02+; zero-page.rst:
  // ext_cmd_line_ptr holds bits 32-63.
  bp.hdr.cmd_line_ptr = static_cast<uint32_t>(out.cmdline.value);
  bp.ext_cmd_line_ptr = static_cast<uint32_t>(out.cmdline.value >> 32);
  // boot.rst: ramdisk_image / ramdisk_size, write (obligatory), 2.00+;
  // zero-page.rst: ext_ramdisk_image / ext_ramdisk_size hold bits 32-63.
  bp.hdr.ramdisk_image = static_cast<uint32_t>(out.initrd.start.value);
  bp.ext_ramdisk_image = static_cast<uint32_t>(out.initrd.start.value >> 32);
  bp.hdr.ramdisk_size = static_cast<uint32_t>(out.initrd.size.bytes);
  bp.ext_ramdisk_size = static_cast<uint32_t>(out.initrd.size.bytes >> 32);
  // boot.rst: code32_start (modify, optional, reloc) is only read by the
  // 32-bit entry; the 64-bit entry ignores it and a load address above
  // 4 GiB could not be written there: left as the image has it.
  // zero-page.rst: acpi_rsdp_addr, 0 = none. A node has no ACPI.
  bp.acpi_rsdp_addr = 0;
  // zero-page.rst: e820_entries / e820_table, the first 128 entries.
  size_t in_page = std::min<size_t>(e820.size(), E820_MAX_ENTRIES_ZEROPAGE);
  bp.e820_entries = static_cast<uint8_t>(in_page);
  for (size_t i = 0; i < in_page; ++i) {
    bp.e820_table[i].addr = e820[i].addr.value;
    bp.e820_table[i].size = e820[i].size.bytes;
    bp.e820_table[i].type = static_cast<uint32_t>(e820[i].type);
  }
  // boot.rst: setup_data, write (special), 2.09+: physical address of the
  // first setup_data node; each node's next links the following one.
  bp.hdr.setup_data = *params_at + chain.front();
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    uint64_t next = *params_at + chain[i + 1];
    std::memcpy(params.data() + chain[i] + offsetof(setup_data, next), &next, sizeof(next));
  }
  std::memcpy(params.data(), &bp, sizeof(bp));

  // 5. Segments, in load order.
  if (vmlinux) {
    for (size_t i = 0; i < vmlinux->pieces.size(); ++i) {
      KernelPiece& piece = vmlinux->pieces[i];
      out.segments.push_back({i == 0 ? std::string("kernel") : Cat("kernel.", i),
                              std::move(piece.bytes), PhysAddr{*kernel_at + piece.offset},
                              piece.memsz});
    }
  } else {
    out.segments.push_back(
        {"kernel", std::vector<uint8_t>(kernel.begin() + info.payload_offset, kernel.end()),
         PhysAddr{*kernel_at}, info.payload_size});
  }
  if (!initrd.empty()) {
    out.segments.push_back({"initrd", std::vector<uint8_t>(initrd.begin(), initrd.end()),
                            out.initrd.start, initrd.size()});
  }
  out.segments.push_back({"boot_params", std::move(params), out.boot_params, params_size});
  out.e820 = std::move(e820);
  return out;
}

void AppendInitrdLayer(std::vector<uint8_t>& initrd, std::span<const uint8_t> layer) {
  initrd.resize((initrd.size() + 3) / 4 * 4, 0);
  initrd.insert(initrd.end(), layer.begin(), layer.end());
}

}  // namespace mint::boot
