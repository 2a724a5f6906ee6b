// The text form of a BootImage that the golden files under
// tests/unit/boot/golden/ hold: entry, boot_params address, the segment
// table, the e820, and every byte of the boot_params segment as a hex dump
// (16-byte lines that are all zero are left out; the length is stated, so
// the dump still pins every byte). Text, so a reviewer reads the diff.
#pragma once

#include <cstdio>
#include <string>

#include "mint/boot.h"

namespace mint::boot::testing {

inline std::string HexLine(const char* fmt, unsigned long long a, unsigned long long b = 0,
                           unsigned long long c = 0, unsigned long long d = 0) {
  char buf[200];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

inline std::string DumpBootImage(const BootImage& image) {
  std::string out;
  out += HexLine("entry       0x%llx\n", image.entry.value);
  out += HexLine("boot_params 0x%llx\n", image.boot_params.value);
  out += HexLine("cmdline     0x%llx\n", image.cmdline.value);
  out += HexLine("kernel      0x%llx size 0x%llx\n", image.kernel.start.value,
                 image.kernel.size.bytes);
  out += HexLine("initrd      0x%llx size 0x%llx\n", image.initrd.start.value,
                 image.initrd.size.bytes);
  for (const Segment& s : image.segments) {
    out += "segment " + s.what;
    out +=
        HexLine(" phys 0x%llx bufsz 0x%llx memsz 0x%llx\n", s.phys.value, s.bytes.size(), s.memsz);
  }
  for (const E820Entry& e : image.e820) {
    out += HexLine("e820 0x%llx size 0x%llx type %llu\n", e.addr.value, e.size.bytes,
                   static_cast<unsigned long long>(e.type));
  }
  for (const Segment& s : image.segments) {
    if (s.what != "boot_params") continue;
    out += HexLine("boot_params bytes 0x%llx\n", s.bytes.size());
    for (size_t off = 0; off < s.bytes.size(); off += 16) {
      size_t n = std::min<size_t>(16, s.bytes.size() - off);
      bool zero = true;
      for (size_t i = 0; i < n; ++i) zero = zero && s.bytes[off + i] == 0;
      if (zero) continue;
      out += HexLine("%08llx:", off);
      for (size_t i = 0; i < n; ++i) out += HexLine(" %02llx", s.bytes[off + i]);
      out += "\n";
    }
  }
  return out;
}

}  // namespace mint::boot::testing
