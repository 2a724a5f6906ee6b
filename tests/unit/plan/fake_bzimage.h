// A synthetic bzImage: just enough of a setup header (offsets from
// Documentation/arch/x86/boot.rst) for a probe to accept it, followed by
// a payload of recognisable bytes. For plan and apply tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace mint::testing {

inline std::vector<uint8_t> MakeBzImage(uint16_t protocol = 0x020f, size_t payload = 64 << 10) {
  constexpr size_t kSetupSects = 4;
  std::vector<uint8_t> image((kSetupSects + 1) * 512 + payload, 0);
  auto put = [&](size_t off, uint64_t value, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) image[off + i] = static_cast<uint8_t>(value >> (8 * i));
  };
  put(0x1f1, kSetupSects, 1);             // setup_sects
  put(0x1fe, 0xaa55, 2);                  // boot_flag
  put(0x200, 0xeb, 1);                    // jump: short jmp ...
  put(0x201, 0x6a, 1);                    // ... over the header, which ends at 0x202 + 0x6a
  std::memcpy(&image[0x202], "HdrS", 4);  // header magic
  put(0x206, protocol, 2);                // version
  put(0x211, 0x01, 1);                    // loadflags: LOADED_HIGH
  put(0x22c, 0x7fffffff, 4);              // initrd_addr_max
  put(0x230, 0x200000, 4);                // kernel_alignment: 2 MiB
  put(0x234, 1, 1);                       // relocatable_kernel
  put(0x235, 21, 1);                      // min_alignment: 2^21
  put(0x236, 0x3, 2);                     // xloadflags: XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
  put(0x238, 2047, 4);                    // cmdline_size
  put(0x258, 0x1000000, 8);               // pref_address: 16 MiB
  put(0x260, 0x800000, 4);                // init_size: 8 MiB
  for (size_t i = (kSetupSects + 1) * 512; i < image.size(); ++i)
    image[i] = static_cast<uint8_t>(i * 7);
  return image;
}

}  // namespace mint::testing
