// mint::boot turns a kernel image, an initrd, a command line and the place a
// node lives (NodeLayout, as NODE_CREATE returned it) into the bytes a node
// boots from: the kernel's protected-mode payload, the initrd, and one
// boot_params page (zeropage + command line + setup_data chain with the
// node's SETUP_MINT payload), each with its physical destination inside the
// node, plus the 64-bit entry point. Pure: no I/O, no printing; every
// refusal is a mint::Error naming the problem and the way out. The binary
// layouts are the kernel's own (<asm/bootparam.h>, <linux/mint.h>); see
// docs/boot.md for the memory picture and the e820 rules.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"

namespace mint::boot {

// What the setup header of a bzImage says (Documentation/arch/x86/boot.rst).
struct BzImageInfo {
  uint16_t protocol = 0;          // hdr.version, e.g. 0x020f
  uint8_t setup_sects = 0;        // hdr.setup_sects (0 means 4)
  uint32_t setup_bytes = 0;       // (setup_sects + 1) * 512: real-mode part incl. boot sector
  uint64_t payload_offset = 0;    // file offset of the protected-mode kernel (== setup_bytes)
  uint64_t payload_size = 0;      // file size - payload_offset
  uint32_t kernel_alignment = 0;  // hdr.kernel_alignment (power of two)
  bool relocatable = false;       // hdr.relocatable_kernel
  uint64_t pref_address = 0;      // hdr.pref_address
  uint32_t init_size = 0;         // memory the kernel needs from its load address
  uint16_t xloadflags = 0;        // XLF_* bits
  uint32_t cmdline_size = 0;      // max cmdline length without the NUL (protocol 2.06+)
  uint32_t initrd_addr_max = 0;   // highest address the initrd's last byte may have
  uint32_t setup_header_end = 0;  // 0x202 + byte at 0x201: end of the header in the file
  // The compressed kernel inside the payload (hdr.payload_offset /
  // payload_length, 2.08+): file offset and size, not yet checked against
  // the file (DecompressPayload does).
  uint64_t compressed_offset = 0;
  uint64_t compressed_size = 0;
};

// Checks the image is a bzImage a node can boot: boot flag 0xAA55 at 0x1fe,
// "HdrS" at 0x202, protocol >= 2.12 (64-bit entry: xloadflags XLF_KERNEL_64),
// relocatable, the setup part and header inside the file. `name` is the
// file name used in error messages. Errors name the file and the fix.
Result<BzImageInfo> ProbeBzImage(std::span<const uint8_t> image, std::string_view name);

// Where the node lives, as NODE_CREATE returned it.
struct NodeLayout {
  uint32_t node_id = 0;
  std::string name;              // errors name the node by it ("node<id>" when empty)
  std::vector<PhysRange> ram;    // node RAM (includes the shared region)
  PhysRange low;                 // usable range below 1 MiB (the node's own AP trampoline)
  PhysRange shared;              // shared region: reserved in the node's e820
  std::vector<ApicId> apic_ids;  // boot CPU first
  uint32_t tsc_khz = 0;
  uint32_t lapic_khz = 0;
  bool x2apic = false;       // node0 runs x2APIC: MINT_SETUP_F_X2APIC
  std::optional<Ecam> ecam;  // when the node has PCI functions
  std::vector<PciBdf> pci;
};

// E820 types the node sees (the boot protocol's numbers).
enum class E820Type : uint32_t { kRam = 1, kReserved = 2 };

struct E820Entry {
  PhysAddr addr;
  ByteSize size;
  E820Type type = E820Type::kRam;
  auto operator<=>(const E820Entry&) const = default;
};

// The node's memory map: node RAM minus the shared region (RAM), the shared
// region (reserved), the low range (RAM), the ECAM window for the node's
// bus range (reserved) when present. Sorted by address, non-overlapping,
// adjacent entries of one type merged. Refuses overlapping or empty ranges.
Result<std::vector<E820Entry>> BuildE820(const NodeLayout& layout);

// One piece of the boot image and where it goes; bytes.size() <= memsz, the
// rest up to memsz is zero (mint_segment's bufsz/memsz).
struct Segment {
  std::string what;  // "kernel", "initrd", "boot_params"
  std::vector<uint8_t> bytes;
  PhysAddr phys;
  uint64_t memsz = 0;
};

struct BootImage {
  std::vector<Segment> segments;  // kernel, initrd (if any), boot_params(+cmdline+setup_data)
  PhysAddr entry;                 // 64-bit entry: load + 0x200, or vmlinux's startup_64
  bool expanded = false;          // the kernel went in decompressed
  uint64_t virt_offset = 0;       // expanded: the KASLR move of the text (0: link address)
  PhysAddr boot_params;           // RSI at entry
  // For humans (mintctl plan) and tests: where things went.
  PhysRange kernel;  // load address .. + max(payload, init_size)
  PhysRange initrd;  // size 0 when there is none
  PhysAddr cmdline;  // inside the boot_params segment
  std::vector<E820Entry> e820;
};

// Offsets inside the boot_params segment (it starts at BootImage::boot_params).
inline constexpr uint64_t kBootParamsSize = 0x1000;  // the zeropage
inline constexpr uint64_t kCmdlineOffset = 0x1000;   // NUL-terminated cmdline follows the zeropage

// The kernel already decompressed (expand.h: DecompressPayload of this
// very image), and the random number its KASLR slot comes from.
struct Expansion {
  std::span<const uint8_t> decompressed;
  uint64_t random = 0;
};

// Builds the node's boot image. Preconditions: none (everything is checked).
// Refuses, with an Error naming the way out: an image ProbeBzImage refuses;
// a cmdline longer than the kernel's cmdline_size; an initrd that fits
// nowhere in node RAM below its limit; a kernel that fits in no RAM range
// with its init_size at its alignment; overlapping ranges; more CPUs or PCI
// functions than the SETUP_MINT ABI carries. With `expanded` the kernel
// goes in as its laid-out vmlinux (expand.h: LayoutKernel, moved to a
// random virtual slot and KASLR_FLAG set unless the cmdline says nokaslr)
// and the entry is vmlinux's startup_64; without it, as the compressed
// payload, entered at load + 0x200.
Result<BootImage> BuildBootImage(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                                 std::string_view cmdline, const NodeLayout& layout,
                                 const Expansion* expanded = nullptr);

// Where the kernel's text runs, for the step log: a compressed kernel's
// decompressor places it; an expanded one's is "text at its link address"
// or "text moved by 0x... (KASLR)" (the random slot mintctl chose). A
// node that dies before its first printk is told apart by it (the panic's
// "Kernel Offset" shows only a boot that worked).
std::string DescribeTextPlace(const BootImage& image);

// Whether the command line asks for no KASLR (the word nokaslr), as the
// decompressor reads it.
bool CmdlineSaysNoKaslr(std::string_view cmdline);

// Appends a cpio archive (a layer: plain or compressed) to an initramfs.
// The kernel unpacks concatenated archives one after the other and skips
// zero bytes between them, but an uncompressed archive must start 4-byte
// aligned (init/initramfs.c, "broken padding"): zeros are added first.
void AppendInitrdLayer(std::vector<uint8_t>& initrd, std::span<const uint8_t> layer);

}  // namespace mint::boot
