// libFuzzer target for mint::boot: the input is a kernel image. It goes
// through ProbeBzImage and BuildBootImage for two fixed node layouts (one
// RAM range without PCI; two ranges with ECAM and PCI functions). Beyond
// "no crash, no sanitizer report", a built image must keep the builder's
// promises: segments inside node RAM and outside the shared region, the
// boot_params page first in its segment with hdr.setup_data pointing into
// it, the cmdline at cmd_line_ptr. A broken promise traps.
#include <asm/bootparam.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "mint/boot.h"

namespace {

using mint::ApicId;
using mint::ByteSize;
using mint::PhysAddr;
using mint::PhysRange;
using mint::boot::NodeLayout;

PhysRange Range(uint64_t start, uint64_t size) { return {PhysAddr{start}, ByteSize{size}}; }

NodeLayout Small() {
  NodeLayout l;
  l.node_id = 1;
  l.ram = {Range(0x100000000, 64 << 20)};
  l.shared = Range(0x100000000, 1 << 20);
  l.low = Range(0x90000, 0x10000);
  l.apic_ids = {ApicId{2}, ApicId{3}};
  l.tsc_khz = 2000000;
  l.lapic_khz = 1000000;
  return l;
}

NodeLayout WithPci() {
  NodeLayout l = Small();
  l.node_id = 2;
  l.ram = {Range(0x140000000, 32 << 20), Range(0x100000000, 64 << 20)};
  l.ecam = mint::Ecam{PhysAddr{0xb0000000}, 0, 0, 0xff};
  l.pci = {mint::PciBdf{0, 0, 3, 0}};
  return l;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void Verify(const mint::boot::BootImage& image, const NodeLayout& l, const char* cmdline) {
  for (const auto& s : image.segments) {
    Check(s.bytes.size() <= s.memsz);
    bool inside = false;
    for (const PhysRange& r : l.ram) {
      inside |= s.phys.value >= r.start.value && s.phys.value + s.memsz <= r.end();
    }
    Check(inside);
    Check(s.phys.value + s.memsz <= l.shared.start.value || s.phys.value >= l.shared.end());
    if (s.what == "boot_params") {
      Check(s.phys == image.boot_params);
      Check(s.bytes.size() >= sizeof(boot_params) + std::strlen(cmdline) + 1);
      boot_params bp;
      std::memcpy(&bp, s.bytes.data(), sizeof(bp));
      uint64_t cmd = bp.hdr.cmd_line_ptr | (uint64_t{bp.ext_cmd_line_ptr} << 32);
      Check(cmd == image.cmdline.value);
      Check(std::memcmp(s.bytes.data() + (cmd - s.phys.value), cmdline, std::strlen(cmdline) + 1) ==
            0);
      Check(bp.hdr.setup_data > s.phys.value && bp.hdr.setup_data < s.phys.value + s.bytes.size());
      Check(bp.hdr.type_of_loader == 0xff);
    }
  }
  Check(image.entry.value == image.kernel.start.value + 0x200);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> kernel(data, size);
  auto info = mint::boot::ProbeBzImage(kernel, "fuzz");
  static const uint8_t kInitrd[3000] = {1, 2, 3};
  const char* cmdline = "console=mint";
  for (const NodeLayout& l : {Small(), WithPci()}) {
    auto image = mint::boot::BuildBootImage(kernel, kInitrd, cmdline, l);
    // The builder accepts exactly the images the probe accepts, unless the
    // image's own needs (init_size, cmdline_size, initrd limit) do not fit.
    if (!info.ok()) Check(!image.ok());
    if (image.ok()) Verify(*image, l, cmdline);
  }
  return 0;
}
