// ExpandKernel (lifecycle.h): the expanded-kernel cache. One file per
// kernel image, named by the XXH3-128 of the image's bytes, holding what
// boot::DecompressPayload made of it; written whole (sys::WriteStateFile)
// and checked again when read, so a damaged entry is made afresh, never
// booted. At most kKeep entries stay: the least recently used go.
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mint/expand.h"
#include "mint/lifecycle.h"
#include "mint/sys/state_file.h"

namespace mint::lifecycle {
namespace {

constexpr size_t kKeep = 4;

std::string Key(std::span<const uint8_t> image) {
  XXH128_hash_t h = XXH3_128bits(image.data(), image.size());
  char text[33];
  std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return text;
}

std::optional<std::vector<uint8_t>> ReadWhole(const std::string& path, uint64_t want) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<uint8_t> bytes(want);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(want));
  if (static_cast<uint64_t>(in.gcount()) != want || in.peek() != EOF) return std::nullopt;
  return bytes;
}

// Drops all but the kKeep most recently used entries.
void Prune(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".vmlinux") entries.push_back({e.last_write_time(ec), e.path()});
  if (entries.size() <= kKeep) return;
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kKeep; i < entries.size(); ++i) fs::remove(entries[i].second, ec);
}

}  // namespace

KernelExpansion ExpandKernel(const std::string& root, std::span<const uint8_t> image,
                             bool may_expand) {
  KernelExpansion out;
  auto info = boot::ProbeBzImage(image, "kernel image");
  if (!info.ok()) {
    out.note = "kernel boots compressed: " + info.error().message;
    return out;
  }
  const std::string dir = KernelCacheDir(root);
  const std::string path = dir + "/" + Key(image) + ".vmlinux";
  // The size the build recorded, which DecompressPayload also insists on.
  uint64_t want = 0;
  if (info->compressed_size >= 4 && info->compressed_offset + info->compressed_size <= image.size())
    std::memcpy(&want, image.data() + info->compressed_offset + info->compressed_size - 4, 4);
  if (want > 0 && want <= info->init_size) {
    auto cached = ReadWhole(path, want);
    if (cached && boot::LayoutKernel(*cached, *info, std::nullopt).ok()) {
      ::utimes(path.c_str(), nullptr);  // most recently used
      out.decompressed = std::move(*cached);
      out.note = "kernel expanded, from the cache (" + path + ")";
      return out;
    }
  }
  if (!may_expand) {
    out.note = "kernel not expanded yet: mintctl boot expands it and caches it in " + dir;
    return out;
  }
  auto decompressed = boot::DecompressPayload(image, *info);
  if (!decompressed.ok()) {
    out.note = "kernel boots compressed: " + decompressed.error().message;
    return out;
  }
  auto laid = boot::LayoutKernel(*decompressed, *info, std::nullopt);
  if (!laid.ok()) {
    out.note = "kernel boots compressed: " + laid.error().message;
    return out;
  }
  const std::string compression(boot::CompressionName(
      boot::DetectCompression(image.subspan(info->compressed_offset, info->compressed_size))));
  auto written = sys::WriteStateFile(
      path,
      std::string_view(reinterpret_cast<const char*>(decompressed->data()), decompressed->size()));
  out.note =
      "kernel expanded (" + compression + ", " + ByteSize{decompressed->size()}.ToString() + ")" +
      (written.ok() ? ", cached as " + path : "; not cached (" + written.error().ToString() + ")");
  if (written.ok()) Prune(dir);
  out.decompressed = std::move(*decompressed);
  return out;
}

uint64_t KaslrRandom() {
  uint64_t r = 0;
  // A short read leaves fewer random bits, never an error: the slot is
  // still a valid one.
  (void)::getrandom(&r, sizeof(r), 0);
  return r;
}

}  // namespace mint::lifecycle
