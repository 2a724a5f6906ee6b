// mint::boot's kernel expander: what a bzImage's own decompressor does
// before it jumps to the kernel (arch/x86/boot/compressed/misc.c), done once
// in node0 so that a node and each of its restarts skip it. The payload is
// decompressed (gzip, xz or zstd: the kernel's own formats; the others boot
// compressed), its vmlinux ELF laid out by PT_LOAD physical address, and,
// unless the command line says nokaslr, the kernel text moved to a random
// virtual slot with the relocation tables the build appended (KASLR as the
// decompressor does it; the physical place is the builder's). The node is
// then entered at vmlinux's startup_64 with RSI = boot_params: the 64-bit
// entry kexec-tools uses for an ELF vmlinux. Pure: no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mint/boot.h"
#include "mint/result.h"

namespace mint::boot {

// The payload's compression, told by its magic bytes.
enum class Compression { kGzip, kXz, kZstd, kBzip2, kLzma, kLzo, kLz4, kUnknown };
std::string_view CompressionName(Compression c);
Compression DetectCompression(std::span<const uint8_t> payload);

// Decompresses the payload of an image ProbeBzImage accepted. The output
// is bounded by the size the build appended (the last 4 bytes of the
// payload) and by init_size. kUnsupported names the compression when mint
// does not expand it (the node then boots the image compressed).
Result<std::vector<uint8_t>> DecompressPayload(std::span<const uint8_t> image,
                                               const BzImageInfo& info);

// One PT_LOAD of the kernel, at `offset` from the load address.
struct KernelPiece {
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;  // p_filesz bytes
  uint64_t memsz = 0;          // the rest up to memsz is zero
};

// A decompressed kernel, laid out and (when asked) relocated.
struct ExpandedKernel {
  std::vector<KernelPiece> pieces;  // in address order
  uint64_t entry_offset = 0;        // e_entry - pref_address
  uint64_t extent = 0;              // load address to the end of the last memsz
  bool has_relocs = false;          // the build appended relocation tables
  uint64_t virt_offset = 0;         // KASLR: text moved by this much (0: link address)
};

// Lays out the decompressed vmlinux (ELF64, x86-64, PT_LOADs 2 MiB aligned
// at or above pref_address, within init_size) and, when virt_random is
// set and the image has relocation tables, moves the text to the virtual
// slot virt_random picks among the KERNEL_IMAGE_SIZE ones (every
// relocation is checked to land inside the image). Errors name the image.
Result<ExpandedKernel> LayoutKernel(std::span<const uint8_t> decompressed, const BzImageInfo& info,
                                    std::optional<uint64_t> virt_random);

}  // namespace mint::boot
