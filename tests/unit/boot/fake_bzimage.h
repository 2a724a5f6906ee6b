// Synthetic bzImages for the boot tests and the boot fuzzer's seed: a
// real-mode part with a setup header written byte by byte at the offsets of
// Documentation/arch/x86/boot.rst ("The real-mode kernel header"), followed
// by a recognisable protected-mode payload. Deliberately NOT built from
// <asm/bootparam.h>: the tests then check the library's struct layouts
// against an independent reading of the protocol.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace mint::boot::testing {

struct FakeBzImageSpec {
  uint8_t setup_sects = 4;                // 0x1f1
  uint16_t version = 0x020f;              // 0x206, protocol 2.15
  uint8_t jump_len = 0x6a;                // 0x201: header ends at 0x202 + 0x6a = 0x26c
  bool hdrs_magic = true;                 // 0x202 "HdrS"
  uint16_t boot_flag = 0xAA55;            // 0x1fe
  uint8_t loadflags = 0x01;               // 0x211 LOADED_HIGH
  uint32_t initrd_addr_max = 0x7fffffff;  // 0x22c
  uint32_t kernel_alignment = 0x200000;   // 0x230, 2 MiB
  uint8_t relocatable = 1;                // 0x234
  uint8_t min_alignment = 21;             // 0x235
  uint16_t xloadflags = 0x3;              // 0x236 XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
  uint32_t cmdline_size = 2047;           // 0x238
  uint64_t pref_address = 0x1000000;      // 0x258, 16 MiB
  uint32_t init_size = 0x800000;          // 0x260, 8 MiB
  uint32_t payload_bytes = 4096;          // protected-mode part after the setup sectors
};

inline void Put8(std::vector<uint8_t>& v, size_t off, uint8_t x) { v[off] = x; }
inline void Put16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
  v[off] = static_cast<uint8_t>(x);
  v[off + 1] = static_cast<uint8_t>(x >> 8);
}
inline void Put32(std::vector<uint8_t>& v, size_t off, uint32_t x) {
  for (int i = 0; i < 4; ++i) v[off + i] = static_cast<uint8_t>(x >> (8 * i));
}
inline void Put64(std::vector<uint8_t>& v, size_t off, uint64_t x) {
  for (int i = 0; i < 8; ++i) v[off + i] = static_cast<uint8_t>(x >> (8 * i));
}

inline std::vector<uint8_t> MakeFakeBzImage(const FakeBzImageSpec& s = {}) {
  const size_t sects = s.setup_sects == 0 ? 4 : s.setup_sects;  // boot.rst: 0 means 4
  const size_t setup_bytes = (sects + 1) * 512;
  std::vector<uint8_t> img(setup_bytes + s.payload_bytes, 0);
  Put8(img, 0x1f1, s.setup_sects);                        // setup_sects
  Put16(img, 0x1f2, 1);                                   // root_flags
  Put32(img, 0x1f4, s.payload_bytes / 16);                // syssize, 16-byte paragraphs
  Put16(img, 0x1fa, 0xffff);                              // vid_mode: NORMAL_VGA
  Put16(img, 0x1fe, s.boot_flag);                         // boot_flag
  Put8(img, 0x200, 0xeb);                                 // jump: short jmp ...
  Put8(img, 0x201, s.jump_len);                           // ... over the header
  if (s.hdrs_magic) std::memcpy(&img[0x202], "HdrS", 4);  // header
  Put16(img, 0x206, s.version);                           // version
  Put16(img, 0x20e, 0x3e00);                              // kernel_version string offset
  Put8(img, 0x211, s.loadflags);                          // loadflags
  Put32(img, 0x214, 0x100000);                            // code32_start default
  Put16(img, 0x224, 0xde00);                              // heap_end_ptr (left as the image says)
  Put32(img, 0x22c, s.initrd_addr_max);                   // initrd_addr_max
  Put32(img, 0x230, s.kernel_alignment);                  // kernel_alignment
  Put8(img, 0x234, s.relocatable);                        // relocatable_kernel
  Put8(img, 0x235, s.min_alignment);                      // min_alignment
  Put16(img, 0x236, s.xloadflags);                        // xloadflags
  Put32(img, 0x238, s.cmdline_size);                      // cmdline_size
  Put32(img, 0x248, 0x3a5);                               // payload_offset (of the compressed data)
  Put32(img, 0x24c, s.payload_bytes - 0x400);             // payload_length
  Put64(img, 0x258, s.pref_address);                      // pref_address
  Put32(img, 0x260, s.init_size);                         // init_size
  Put32(img, 0x264, 0x190);                               // handover_offset
  Put32(img, 0x268, 0x1ac);                               // kernel_info_offset
  // A byte after the header that must NOT be copied into boot_params.
  Put8(img, 0x26c, 0xcc);
  // Payload: a pattern the tests find again in the kernel segment.
  for (size_t i = 0; i < s.payload_bytes; ++i) {
    img[setup_bytes + i] = static_cast<uint8_t>(i * 7 + 1);
  }
  return img;
}

}  // namespace mint::boot::testing
