// A synthetic kernel payload for the expander's tests: a tiny x86-64 ELF
// "vmlinux" (two PT_LOADs, 2 MiB aligned from LOAD_PHYSICAL_ADDR, the
// second with bss) followed by relocation tables in the order the build
// appends them (misc.c: 0, 64-bit..., 0, inverse 32-bit..., 0, 32-bit...),
// compressed the way the kernel's Makefile.lib does it (xz, gzip or zstd,
// then the decompressed size, 32-bit little endian, unless gzip's ISIZE
// already says it), put into a fake bzImage at payload_offset.
#pragma once

#include <elf.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "fake_bzimage.h"

namespace mint::boot::testing {

inline constexpr uint64_t kLoadPhys = 0x1000000;               // LOAD_PHYSICAL_ADDR, pref_address
inline constexpr uint64_t kKernelMap = 0xffffffff80000000ull;  // __START_KERNEL_map
inline constexpr uint64_t kSeg1Phys = kLoadPhys + 0x200000;
inline constexpr uint64_t kEntryOffset = 0x10;
// Words the relocations fix, as offsets from the load address.
inline constexpr uint64_t kR64At = 0x40, kR32At = 0x48, kInv32At = 0x200010;

struct FakeVmlinuxSpec {
  uint64_t align = 0x200000;
  uint64_t seg1_memsz = 0x3000;
  bool relocs = true;
  uint64_t reloc_target = kR64At;  // where the 64-bit relocation points
};

inline std::vector<uint8_t> MakeFakeVmlinux(const FakeVmlinuxSpec& s = {}) {
  constexpr size_t kData = 0x1000;
  std::vector<uint8_t> v(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = kLoadPhys + kEntryOffset;  // vmlinux.lds: ENTRY(phys_startup_64)
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  std::memcpy(v.data(), &eh, sizeof(eh));
  const uint64_t off0 = 0x1000, off1 = 0x2000;
  Elf64_Phdr ph[2]{};
  ph[0] = {PT_LOAD, PF_R | PF_X, off0, kKernelMap + kLoadPhys, kLoadPhys, kData, kData, s.align};
  ph[1] = {PT_LOAD,   PF_R | PF_W, off1,         kKernelMap + kSeg1Phys,
           kSeg1Phys, kData,       s.seg1_memsz, s.align};
  std::memcpy(v.data() + eh.e_phoff, ph, sizeof(ph));
  v.resize(off1 + kData, 0);
  for (size_t i = 0; i < kData; ++i) {
    v[off0 + i] = static_cast<uint8_t>(i * 3 + 1);
    v[off1 + i] = static_cast<uint8_t>(i * 5 + 2);
  }
  // The words the relocations fix hold kernel virtual addresses (link time).
  Put64(v, off0 + kR64At, kKernelMap + kLoadPhys + 0x123);
  Put32(v, off0 + kR32At, static_cast<uint32_t>(kKernelMap + kLoadPhys + 0x456));
  Put32(v, off1 + (kInv32At - 0x200000), 0x1000);
  if (s.relocs) {
    auto entry = [](uint64_t offset) {
      return static_cast<uint32_t>(kKernelMap + kLoadPhys + offset);
    };
    for (uint32_t w : {0u, entry(s.reloc_target), 0u, entry(kInv32At), 0u, entry(kR32At)}) {
      v.resize(v.size() + 4);
      Put32(v, v.size() - 4, w);
    }
  }
  return v;
}

enum class FakeCompression { kXz, kGzip, kZstd };

inline std::vector<uint8_t> CompressForKernel(const std::vector<uint8_t>& in, FakeCompression c) {
  std::vector<uint8_t> out(in.size() + 4096);
  size_t n = 0;
  if (c == FakeCompression::kXz) {
    lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, nullptr, in.data(), in.size(), out.data(), &n,
                            out.size());
  } else if (c == FakeCompression::kZstd) {
    n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  } else {
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    n = z.total_out;
    deflateEnd(&z);
    out.resize(n);
    return out;  // gzip's ISIZE is the size
  }
  out.resize(n + 4);
  Put32(out, n, static_cast<uint32_t>(in.size()));
  return out;
}

// A fake bzImage whose payload (at hdr.payload_offset, payload_length) is
// `compressed`.
inline std::vector<uint8_t> MakeBzImageWithPayload(const std::vector<uint8_t>& compressed,
                                                   FakeBzImageSpec spec = {}) {
  constexpr uint32_t kAt = 0x3a5;  // MakeFakeBzImage's payload_offset
  spec.payload_bytes = static_cast<uint32_t>((kAt + compressed.size() + 0x40 + 15) / 16 * 16);
  std::vector<uint8_t> img = MakeFakeBzImage(spec);
  const size_t setup = ((spec.setup_sects == 0 ? 4 : spec.setup_sects) + 1) * 512;
  std::memcpy(img.data() + setup + kAt, compressed.data(), compressed.size());
  Put32(img, 0x24c, static_cast<uint32_t>(compressed.size()));
  return img;
}

}  // namespace mint::boot::testing
