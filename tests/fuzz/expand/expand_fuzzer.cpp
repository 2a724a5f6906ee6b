// libFuzzer target for mint::boot's expander: the input is what a kernel
// payload decompresses to. LayoutKernel must refuse or give pieces that are
// sorted, disjoint, inside the extent and inside init_size, with the entry
// inside the first piece; moved to a KASLR slot, the text stays below
// KERNEL_IMAGE_SIZE. BuildBootImage with the expansion must then keep every
// segment inside node RAM and enter inside the kernel. A broken promise traps.
#include <cstddef>
#include <cstdint>
#include <span>

#include "../../unit/boot/fake_bzimage.h"
#include "mint/boot.h"
#include "mint/expand.h"

namespace {

using mint::ByteSize;
using mint::PhysAddr;
using mint::PhysRange;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

mint::boot::NodeLayout Layout() {
  mint::boot::NodeLayout l;
  l.node_id = 1;
  l.ram = {PhysRange{PhysAddr{0x100000000}, ByteSize{64 << 20}}};
  l.shared = PhysRange{PhysAddr{0x100000000}, ByteSize{1 << 20}};
  l.low = PhysRange{PhysAddr{0x90000}, ByteSize{0x10000}};
  l.apic_ids = {mint::ApicId{2}};
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> kImage = mint::boot::testing::MakeFakeBzImage();
  static const mint::boot::BzImageInfo kInfo = *mint::boot::ProbeBzImage(kImage, "fuzz");
  std::span<const uint8_t> in(data, size);
  const uint64_t random = size > 0 ? data[0] * 7919u : 0;
  for (auto r : {std::optional<uint64_t>(), std::optional<uint64_t>(random)}) {
    auto k = mint::boot::LayoutKernel(in, kInfo, r);
    if (!k.ok()) continue;
    Check(!k->pieces.empty() && k->extent <= kInfo.init_size);
    uint64_t end = 0;
    for (const auto& p : k->pieces) {
      Check(p.offset >= end && p.bytes.size() <= p.memsz && p.offset + p.memsz <= k->extent);
      end = p.offset + p.memsz;
    }
    Check(k->entry_offset >= k->pieces[0].offset &&
          k->entry_offset < k->pieces[0].offset + k->pieces[0].memsz);
    Check(k->virt_offset % kInfo.kernel_alignment == 0);
    Check(kInfo.pref_address + k->virt_offset + k->extent <= (1ull << 30) || k->virt_offset == 0);
  }
  mint::boot::Expansion x{in, random};
  const mint::boot::NodeLayout layout = Layout();
  auto image = mint::boot::BuildBootImage(kImage, {}, "console=mint", layout, &x);
  if (image.ok()) {
    const PhysRange& ram = layout.ram[0];
    for (const auto& s : image->segments)
      Check(s.phys.value >= ram.start.value && s.phys.value + s.memsz <= ram.end());
    Check(image->entry.value >= image->kernel.start.value &&
          image->entry.value < image->kernel.end());
  }
  return 0;
}
