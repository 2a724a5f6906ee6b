// The kernel expander (expand.h): decompression with zlib, liblzma and
// libzstd, the ELF read with libelf, the layout and the relocation walk as
// arch/x86/boot/compressed/misc.c (parse_elf, handle_relocations) and the
// virtual slot choice as kaslr.c (find_random_virt_addr) do them.
#include "mint/expand.h"

#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "bytes.h"

namespace mint::boot {
namespace {

using internal::Cat;
using internal::ReadLe;

constexpr uint64_t kTwoMiB = 0x200000;
// arch/x86/include/asm/page_64_types.h with CONFIG_RANDOMIZE_BASE, the only
// configuration whose build appends relocation tables on x86-64.
constexpr uint64_t kKernelImageSize = 1ull << 30;
// __START_KERNEL_map: virtual address of physical 0 in the kernel mapping.
constexpr uint64_t kStartKernelMap = 0xffffffff80000000ull;

Error Bad(std::string message) {
  return MakeError(ErrorCode::kUnsupported, "kernel image", std::move(message));
}

Result<std::vector<uint8_t>> Gunzip(std::span<const uint8_t> in, uint64_t size) {
  std::vector<uint8_t> out(size);
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Bad("zlib could not start");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  uint64_t got = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || got != size)
    return Bad(Cat("its gzip payload does not inflate to the ", size,
                   " bytes its build recorded (zlib: ", rc, "); the file is damaged"));
  return out;
}

Result<std::vector<uint8_t>> Unxz(std::span<const uint8_t> in, uint64_t size) {
  std::vector<uint8_t> out(size);
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) return Bad("liblzma could not start");
  s.next_in = in.data();
  s.avail_in = in.size();
  s.next_out = out.data();
  s.avail_out = out.size();
  lzma_ret rc = lzma_code(&s, LZMA_FINISH);
  uint64_t got = s.total_out;
  lzma_end(&s);
  if (rc != LZMA_STREAM_END || got != size)
    return Bad(Cat("its xz payload does not decompress to the ", size,
                   " bytes its build recorded (liblzma: ", static_cast<int>(rc),
                   "); the file is damaged"));
  return out;
}

Result<std::vector<uint8_t>> Unzstd(std::span<const uint8_t> in, uint64_t size) {
  size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame)) return Bad("its zstd payload has no whole frame; the file is damaged");
  std::vector<uint8_t> out(size);
  size_t got = ZSTD_decompress(out.data(), out.size(), in.data(), frame);
  if (ZSTD_isError(got) || got != size)
    return Bad(Cat("its zstd payload does not decompress to the ", size,
                   " bytes its build recorded; the file is damaged"));
  return out;
}

// The relocation tables the build appended after vmlinux.bin (misc.c's
// comment): from the end backwards, 32-bit until a 0, inverse 32-bit until
// a 0, 64-bit until a 0. Each entry is a kernel virtual address, sign
// extended from 32 bits.
struct Relocs {
  std::vector<int32_t> r32, inv32, r64;
};

Result<Relocs> ReadRelocs(std::span<const uint8_t> tail) {
  Relocs r;
  size_t at = tail.size();
  auto table = [&](std::vector<int32_t>& into) -> Result<void> {
    while (true) {
      if (at < 4) return Bad("its relocation tables run past their start; the file is damaged");
      at -= 4;
      int32_t v = ReadLe<int32_t>(tail, at);
      if (v == 0) return Ok();
      into.push_back(v);
    }
  };
  MINT_CHECK(table(r.r32));
  MINT_CHECK(table(r.inv32));
  MINT_CHECK(table(r.r64));
  return r;
}

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kXz:
      return "xz";
    case Compression::kZstd:
      return "zstd";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kLzma:
      return "lzma";
    case Compression::kLzo:
      return "lzo";
    case Compression::kLz4:
      return "lz4";
    case Compression::kUnknown:
      break;
  }
  return "an unknown format";
}

Compression DetectCompression(std::span<const uint8_t> p) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    return p.size() >= magic.size() && std::equal(magic.begin(), magic.end(), p.begin());
  };
  if (starts({0x1f, 0x8b})) return Compression::kGzip;
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::kXz;
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return Compression::kZstd;
  if (starts({'B', 'Z', 'h'})) return Compression::kBzip2;
  if (starts({0x5d, 0x00, 0x00})) return Compression::kLzma;
  if (starts({0x89, 'L', 'Z', 'O'})) return Compression::kLzo;
  if (starts({0x02, 0x21, 0x4c, 0x18})) return Compression::kLz4;
  return Compression::kUnknown;
}

Result<std::vector<uint8_t>> DecompressPayload(std::span<const uint8_t> image,
                                               const BzImageInfo& info) {
  if (info.compressed_size < 8)
    return Bad(Cat("its header gives the compressed kernel ", info.compressed_size,
                   " bytes (payload_length), too few to hold one; the file is damaged"));
  if (info.compressed_offset > image.size() ||
      image.size() - info.compressed_offset < info.compressed_size)
    return Bad(Cat("its header puts the compressed kernel at ", Hex(info.compressed_offset), " (",
                   info.compressed_size, " bytes), outside the file's ", image.size(),
                   " bytes; the file is damaged"));
  auto payload = image.subspan(info.compressed_offset, info.compressed_size);
  // Every kernel compressor's output ends in the decompressed size, 32-bit
  // little endian (gzip's ISIZE, size_append for the others).
  uint64_t size = ReadLe<uint32_t>(payload, payload.size() - 4);
  if (size == 0 || size > info.init_size)
    return Bad(Cat("its payload says it decompresses to ", size, " bytes, not within init_size (",
                   info.init_size, "); the file is damaged"));
  Compression c = DetectCompression(payload);
  switch (c) {
    case Compression::kGzip:
      return Gunzip(payload, size);
    case Compression::kXz:
      return Unxz(payload.first(payload.size() - 4), size);
    case Compression::kZstd:
      return Unzstd(payload.first(payload.size() - 4), size);
    default:
      break;
  }
  return Bad(Cat("is compressed with ", CompressionName(c),
                 "; mint expands gzip, xz and zstd kernels (CONFIG_KERNEL_GZIP, _XZ, _ZSTD)"));
}

Result<ExpandedKernel> LayoutKernel(std::span<const uint8_t> d, const BzImageInfo& info,
                                    std::optional<uint64_t> virt_random) {
  if (elf_version(EV_CURRENT) == EV_NONE) return Bad("libelf could not start");
  std::unique_ptr<Elf, ElfCloser> elf(
      elf_memory(reinterpret_cast<char*>(const_cast<uint8_t*>(d.data())), d.size()));
  GElf_Ehdr eh;
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF || gelf_getehdr(elf.get(), &eh) == nullptr ||
      gelf_getclass(elf.get()) != ELFCLASS64 || eh.e_machine != EM_X86_64)
    return Bad("decompresses to something that is not an x86-64 ELF vmlinux; the file is damaged");
  size_t phnum = 0;
  if (elf_getphdrnum(elf.get(), &phnum) != 0 || phnum == 0)
    return Bad("its vmlinux has no program headers; the file is damaged");

  const uint64_t base = info.pref_address;  // LOAD_PHYSICAL_ADDR (header.S pref_address)
  ExpandedKernel k;
  uint64_t elf_end = eh.e_phoff + phnum * sizeof(Elf64_Phdr);
  if (eh.e_shnum > 0)
    elf_end = std::max<uint64_t>(elf_end, eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize);
  uint64_t file_extent = 0;  // the end of the last byte a relocation may touch
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf.get(), static_cast<int>(i), &ph) == nullptr)
      return Bad("its vmlinux has an unreadable program header; the file is damaged");
    if (ph.p_type != PT_LOAD) continue;
    // misc.c parse_elf: every PT_LOAD is 2 MiB aligned, placed at its
    // p_paddr minus LOAD_PHYSICAL_ADDR from the load address.
    if (ph.p_align % kTwoMiB != 0 || ph.p_paddr < base || ph.p_filesz > ph.p_memsz ||
        ph.p_offset > d.size() || d.size() - ph.p_offset < ph.p_filesz ||
        ph.p_paddr - base > info.init_size || info.init_size - (ph.p_paddr - base) < ph.p_memsz)
      return Bad(Cat("its vmlinux segment ", i, " (", Hex(ph.p_paddr), ", ", ph.p_memsz,
                     " bytes) is not a 2 MiB aligned piece inside the kernel's init_size; the "
                     "file is damaged"));
    KernelPiece piece;
    piece.offset = ph.p_paddr - base;
    piece.bytes.assign(d.begin() + ph.p_offset, d.begin() + ph.p_offset + ph.p_filesz);
    piece.memsz = ph.p_memsz;
    k.extent = std::max(k.extent, piece.offset + piece.memsz);
    file_extent = std::max(file_extent, piece.offset + ph.p_filesz);
    elf_end = std::max(elf_end, ph.p_offset + ph.p_filesz);
    k.pieces.push_back(std::move(piece));
  }
  if (k.pieces.empty()) return Bad("its vmlinux has no PT_LOAD segment; the file is damaged");
  std::sort(k.pieces.begin(), k.pieces.end(),
            [](const KernelPiece& a, const KernelPiece& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < k.pieces.size(); ++i)
    if (k.pieces[i].offset < k.pieces[i - 1].offset + k.pieces[i - 1].memsz)
      return Bad("its vmlinux segments overlap; the file is damaged");
  if (eh.e_entry < base || eh.e_entry - base >= k.pieces.front().offset + k.pieces.front().memsz ||
      eh.e_entry - base < k.pieces.front().offset)
    return Bad(Cat("its vmlinux entry ", Hex(eh.e_entry),
                   " is not inside its first segment; the file is damaged"));
  k.entry_offset = eh.e_entry - base;

  k.has_relocs = d.size() > elf_end;
  if (!virt_random || !k.has_relocs) return k;
  MINT_TRY(Relocs relocs, ReadRelocs(d.subspan(elf_end)));
  // kaslr.c find_random_virt_addr: slots of kernel_alignment from
  // LOAD_PHYSICAL_ADDR up to KERNEL_IMAGE_SIZE minus the image.
  const uint64_t align = info.kernel_alignment;
  const uint64_t image = (k.extent + align - 1) / align * align;
  if (base + image > kKernelImageSize) return k;  // no room to move: link address
  const uint64_t slots = 1 + (kKernelImageSize - base - image) / align;
  const uint64_t virt = base + (*virt_random % slots) * align;
  const uint64_t delta = virt - base;
  k.virt_offset = delta;
  if (delta == 0) return k;
  // misc.c handle_relocations: a relocation names the kernel virtual
  // address of the word to fix; minus __START_KERNEL_map it is the link
  // physical address, minus LOAD_PHYSICAL_ADDR the offset from the load.
  auto word = [&](int32_t entry, size_t width) -> Result<uint8_t*> {
    uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(entry));
    uint64_t off = v - kStartKernelMap - base;
    if (v < kStartKernelMap + base || off + width > file_extent)
      return Bad(Cat("its relocation ", Hex(v), " points outside the kernel; the file is damaged"));
    for (KernelPiece& p : k.pieces)
      if (off >= p.offset && off + width <= p.offset + p.bytes.size())
        return p.bytes.data() + (off - p.offset);
    return Bad(Cat("its relocation ", Hex(v), " points between segments; the file is damaged"));
  };
  for (int32_t r : relocs.r32) {
    MINT_TRY(uint8_t * p, word(r, 4));
    uint32_t x = ReadLe<uint32_t>({p, 4}, 0) + static_cast<uint32_t>(delta);
    std::memcpy(p, &x, 4);
  }
  for (int32_t r : relocs.inv32) {
    MINT_TRY(uint8_t * p, word(r, 4));
    // Modulo 2^32, as the kernel's own `*(int32_t *)ptr -= delta` under
    // -fno-strict-overflow (fuzz_expand found the signed overflow).
    uint32_t x = ReadLe<uint32_t>({p, 4}, 0) - static_cast<uint32_t>(delta);
    std::memcpy(p, &x, 4);
  }
  for (int32_t r : relocs.r64) {
    MINT_TRY(uint8_t * p, word(r, 8));
    uint64_t x = ReadLe<uint64_t>({p, 8}, 0) + delta;
    std::memcpy(p, &x, 8);
  }
  return k;
}

}  // namespace mint::boot
