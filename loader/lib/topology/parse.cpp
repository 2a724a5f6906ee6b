// Parsers for /proc and /sys text (see parse.h). Each one is strict about
// the lines it needs and says which line it did not understand; none of
// them trusts a length, a number or a nesting level it has not checked.
#include "parse.h"

#include <linux/mint.h>

#include <algorithm>
#include <charconv>

namespace mint::topology::internal {
namespace {

constexpr std::string_view kDamaged =
    "the file is damaged or not from a Linux host; capture the host again with "
    "tools/collect-host";

std::string Clip(std::string_view text) {
  std::string out(text.substr(0, 60));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return text.size() > 60 ? out + "..." : out;
}

Error Unexpected(std::string_view path, size_t line_no, std::string_view line,
                 std::string_view expected) {
  return MakeError(ErrorCode::kIo, std::string(path),
                   "line " + std::to_string(line_no) + " (\"" + Clip(line) + "\") is not " +
                       std::string(expected) + "; " + std::string(kDamaged));
}

Error Missing(std::string_view path, std::string_view what) {
  return MakeError(ErrorCode::kIo, std::string(path),
                   "has no " + std::string(what) + "; " + std::string(kDamaged));
}

// Splits on '\n'; a final newline does not make an empty last line.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == text.npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos >= line.size()) break;
    size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

template <typename T>
std::optional<T> ParseInt(std::string_view text, int base) {
  if (text.empty()) return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseHex0x(std::string_view text) {
  if (!text.starts_with("0x")) return std::nullopt;
  return ParseInt<uint64_t>(text.substr(2), 16);
}

// /proc/mounts and /proc/swaps escape ' ', '\t', '\n' and '\\' as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      auto code = ParseInt<unsigned>(text.substr(i + 1, 3), 8);
      if (code && *code < 256) {
        out.push_back(static_cast<char>(*code));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t' ||
                           text.back() == '\r' || text.back() == '\0')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

Result<uint64_t> ParseNumber(std::string_view text, std::string_view path, bool hex_ok) {
  std::string_view value = Trim(text);
  std::optional<uint64_t> number =
      (hex_ok && value.starts_with("0x")) ? ParseHex0x(value) : ParseInt<uint64_t>(value, 10);
  if (!number) {
    return MakeError(ErrorCode::kIo, std::string(path),
                     "\"" + Clip(value) + "\" is not a number; " + std::string(kDamaged));
  }
  return *number;
}

Result<std::vector<CpuId>> ParseCpuListFile(std::string_view text, std::string_view path) {
  std::string_view value = Trim(text);
  auto list = ParseCpuList(value);
  if (!list.ok()) {
    return MakeError(ErrorCode::kIo, std::string(path),
                     "\"" + Clip(value) + "\" is not a CPU list; " + std::string(kDamaged));
  }
  return *list;
}

Result<std::vector<IomemRange>> ParseIomem(std::string_view text, std::string_view path) {
  std::vector<IomemRange> ranges;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    constexpr std::string_view kShape = "\"START-END : NAME\" (hex, two spaces per level)";
    size_t indent = line.find_first_not_of(' ');
    if (indent == line.npos) return Unexpected(path, line_no, line, kShape);
    size_t dash = line.find('-', indent);
    size_t colon = line.find(" : ", indent);
    if (dash == line.npos || colon == line.npos || dash > colon || indent % 2 != 0) {
      return Unexpected(path, line_no, line, kShape);
    }
    auto start = ParseInt<uint64_t>(line.substr(indent, dash - indent), 16);
    auto last = ParseInt<uint64_t>(line.substr(dash + 1, colon - dash - 1), 16);
    if (!start || !last || *start > *last) return Unexpected(path, line_no, line, kShape);
    int depth = static_cast<int>(indent / 2);
    if (depth > (ranges.empty() ? 0 : ranges.back().depth + 1)) {
      return Unexpected(path, line_no, line, "nested one level below the line before it");
    }
    ranges.push_back(
        IomemRange{PhysAddr{*start}, PhysAddr{*last}, std::string(line.substr(colon + 3)), depth});
  }
  return ranges;
}

Result<std::optional<Ecam>> FindEcam(const std::vector<IomemRange>& iomem, std::string_view path) {
  // Older kernels name the window "PCI MMCONFIG 0000 [bus 00-ff]", newer
  // ones (the build VM's) "PCI ECAM 0000 [bus 00-00]"; both are the MCFG window.
  for (const IomemRange& range : iomem) {
    std::string_view name = range.name;
    if (name.starts_with("PCI MMCONFIG ")) {
      name.remove_prefix(13);
    } else if (name.starts_with("PCI ECAM ")) {
      name.remove_prefix(9);
    } else {
      continue;
    }
    // "0000 [bus 00-ff]"
    auto bad = [&] {
      return MakeError(ErrorCode::kIo, std::string(path),
                       "\"" + Clip(range.name) +
                           "\" is not \"PCI ECAM SEGMENT [bus START-END]\"; " +
                           std::string(kDamaged));
    };
    if (name.size() != 16 || name.substr(4, 6) != " [bus " || name[12] != '-' || name[15] != ']') {
      return bad();
    }
    auto segment = ParseInt<uint16_t>(name.substr(0, 4), 16);
    auto bus_start = ParseInt<uint8_t>(name.substr(10, 2), 16);
    auto bus_end = ParseInt<uint8_t>(name.substr(13, 2), 16);
    if (!segment || !bus_start || !bus_end || *bus_start > *bus_end) return bad();
    // /proc/iomem shows the window, which starts at bus_start's 1 MiB of
    // config space; Ecam::base is the MCFG base (bus 0), see model.h.
    const uint64_t window_offset = uint64_t{*bus_start} << 20;
    if (range.start.value < window_offset) return bad();
    return std::optional<Ecam>(
        Ecam{PhysAddr{range.start.value - window_offset}, *segment, *bus_start, *bus_end});
  }
  return std::optional<Ecam>();
}

Result<ByteSize> ParseMeminfoField(std::string_view text, std::string_view key,
                                   std::string_view path) {
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    std::vector<std::string_view> fields = Fields(line);
    if (fields.size() >= 2 && fields[0] == "Node") fields.erase(fields.begin(), fields.begin() + 2);
    if (fields.empty() || fields[0].size() != key.size() + 1 || !fields[0].starts_with(key) ||
        fields[0].back() != ':') {
      continue;
    }
    std::string shape = "\"" + std::string(key) + ": NUMBER kB\"";
    if (fields.size() < 2 || fields.size() > 3) return Unexpected(path, line_no, line, shape);
    auto value = ParseInt<uint64_t>(fields[1], 10);
    if (!value) return Unexpected(path, line_no, line, shape);
    if (fields.size() == 3) {
      if (fields[2] != "kB" || *value > (UINT64_MAX >> 10)) {
        return Unexpected(path, line_no, line, shape);
      }
      return ByteSize{*value << 10};
    }
    return ByteSize{*value};
  }
  return Missing(path, "\"" + std::string(key) + ":\" line");
}

Result<std::map<uint32_t, ApicId>> ParseCpuinfoApicIds(std::string_view text,
                                                       std::string_view path) {
  std::map<uint32_t, ApicId> apic_ids;
  // A plain value and a flag, not std::optional: GCC 12 -O2 warns
  // maybe-uninitialized on the optional's payload here.
  uint32_t processor = 0;
  bool in_processor = false;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    size_t colon = line.find(':');
    if (colon == line.npos) {
      if (Trim(line).empty()) in_processor = false;
      continue;
    }
    std::string_view key = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (key == "processor") {
      auto number = ParseInt<uint32_t>(value, 10);
      if (!number) return Unexpected(path, line_no, line, "\"processor : NUMBER\"");
      processor = *number;
      in_processor = true;
    } else if (key == "apicid") {
      auto apic = ParseInt<uint32_t>(value, 10);
      if (!apic || !in_processor) {
        return Unexpected(path, line_no, line, "\"apicid : NUMBER\" inside a processor block");
      }
      apic_ids[processor] = ApicId{*apic};
    }
  }
  return apic_ids;
}

namespace {

// "8:2" (blanks around it allowed).
std::optional<DevNum> DevNumOf(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == text.npos) return std::nullopt;
  auto major = ParseInt<uint32_t>(text.substr(0, colon), 10);
  auto minor = ParseInt<uint32_t>(text.substr(colon + 1), 10);
  if (!major || !minor) return std::nullopt;
  return DevNum{*major, *minor};
}

}  // namespace

Result<DevNum> ParseDevNum(std::string_view text, std::string_view path) {
  std::string_view trimmed = Trim(text);
  auto dev = DevNumOf(trimmed);
  if (!dev) {
    return MakeError(
        ErrorCode::kIo, std::string(path),
        "\"" + Clip(trimmed) + "\" is not a device number MAJOR:MINOR; " + std::string(kDamaged));
  }
  return *dev;
}

// proc(5): ID PARENT MAJOR:MINOR ROOT TARGET OPTIONS [OPTIONAL...] -
// FSTYPE SOURCE SUPER_OPTIONS. An empty SOURCE leaves two blanks, which
// Fields() folds: then only FSTYPE and SUPER_OPTIONS follow the "-".
Result<std::vector<Mount>> ParseMountinfo(std::string_view text, std::string_view path) {
  constexpr std::string_view kShape =
      "\"ID PARENT MAJOR:MINOR ROOT TARGET OPTIONS ... - FSTYPE SOURCE OPTIONS\"";
  std::vector<Mount> mounts;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    std::vector<std::string_view> fields = Fields(line);
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash >= fields.size() || fields.size() - dash < 3) {
      return Unexpected(path, line_no, line, kShape);
    }
    auto dev = DevNumOf(fields[2]);
    if (!dev) return Unexpected(path, line_no, line, kShape);
    Mount mount;
    mount.target = Unescape(fields[4]);
    mount.fstype = std::string(fields[dash + 1]);
    mount.source = fields.size() - dash >= 4 ? Unescape(fields[dash + 2]) : "";
    mount.dev = *dev;
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

Result<std::vector<Swap>> ParseSwaps(std::string_view text, std::string_view path) {
  std::vector<Swap> swaps;
  std::vector<std::string_view> lines = Lines(text);
  if (lines.empty() || !lines[0].starts_with("Filename")) {
    return Unexpected(path, 1, lines.empty() ? "" : lines[0], "the \"Filename Type ...\" header");
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string_view> fields = Fields(lines[i]);
    if (fields.size() < 5) {
      return Unexpected(path, i + 1, lines[i], "\"FILENAME TYPE SIZE USED PRIORITY\"");
    }
    // The kernel marks a swap file whose name was unlinked " (deleted)";
    // the type says what it is ("partition" or "file").
    swaps.push_back(Swap{Unescape(fields[0]), fields[1] == "file", DevNum{}});
  }
  return swaps;
}

Result<std::vector<PhysRange>> ParseRangeLines(std::string_view text, std::string_view path) {
  std::vector<PhysRange> ranges;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    std::vector<std::string_view> fields = Fields(line);
    std::optional<uint64_t> start, size;
    if (fields.size() == 2) {
      start = ParseHex0x(fields[0]);
      size = ParseHex0x(fields[1]);
    }
    if (!start || !size || *start + *size < *start) {
      return Unexpected(path, line_no, line, "\"0xSTART 0xSIZE\"");
    }
    ranges.push_back(PhysRange{PhysAddr{*start}, ByteSize{*size}});
  }
  return ranges;
}

Result<std::vector<ApicId>> ParseApicIdList(std::string_view text, std::string_view path) {
  std::vector<ApicId> ids;
  std::string_view rest = Trim(text);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto id = ParseInt<uint32_t>(item, 10);
    if (!id) {
      return MakeError(ErrorCode::kIo, std::string(path),
                       "\"" + Clip(Trim(text)) + "\" is not a comma-separated list of APIC ids; " +
                           std::string(kDamaged));
    }
    ids.push_back(ApicId{*id});
    rest = comma == rest.npos ? std::string_view() : rest.substr(comma + 1);
  }
  return ids;
}

Result<std::vector<PciBdf>> ParseBdfLines(std::string_view text, std::string_view path) {
  std::vector<PciBdf> bdfs;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    auto bdf = PciBdf::Parse(Trim(line));
    if (!bdf.ok()) return Unexpected(path, line_no, line, "a PCI address DDDD:BB:DD.F");
    bdfs.push_back(*bdf);
  }
  return bdfs;
}

Result<std::string> ParseIommuGroupType(std::string_view text, std::string_view path) {
  std::vector<std::string_view> lines = Lines(text);
  std::string_view word = lines.empty() ? "" : Trim(lines[0]);
  bool ok = lines.size() == 1 && !word.empty() && word.size() <= 16 &&
            std::all_of(word.begin(), word.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
            });
  if (!ok)
    return Unexpected(path, 1, lines.empty() ? "" : lines[0],
                      "an IOMMU domain type like DMA, DMA-FQ or identity");
  return std::string(word);
}

Result<std::vector<PciFence>> ParseIommuLines(std::string_view text, std::string_view path) {
  constexpr std::string_view kLine = "DDDD:BB:DD.F fenced GROUP or DDDD:BB:DD.F unfenced";
  std::vector<PciFence> fences;
  size_t line_no = 0;
  for (std::string_view line : Lines(text)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    // The kernel writes at most MINT_MAX_PCI lines.
    if (fences.size() == MINT_MAX_PCI)
      return Unexpected(path, line_no, line,
                        "within the " + std::to_string(MINT_MAX_PCI) +
                            " functions a node can own (MINT_MAX_PCI)");
    std::vector<std::string_view> f = Fields(line);  // not empty: the line is not blank
    auto bdf = PciBdf::Parse(f[0]);
    PciFence fence;
    if (bdf.ok() && f.size() == 2 && f[1] == "unfenced") {
      fence.bdf = *bdf;
    } else if (bdf.ok() && f.size() == 3 && f[1] == "fenced") {
      // An IOMMU group id: a non-negative int, as the kernel prints %d.
      auto group = ParseInt<uint32_t>(f[2], 10);
      if (!group || *group > static_cast<uint32_t>(INT32_MAX))
        return Unexpected(path, line_no, line, kLine);
      fence.bdf = *bdf;
      fence.group = static_cast<int>(*group);
    } else {
      return Unexpected(path, line_no, line, kLine);
    }
    fences.push_back(fence);
  }
  return fences;
}

std::string JoinLink(std::string_view link_path, std::string_view target) {
  std::vector<std::string_view> parts;
  auto push = [&](std::string_view path) {
    while (!path.empty()) {
      size_t slash = path.find('/');
      std::string_view part = path.substr(0, slash);
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      if (slash == path.npos) break;
      path.remove_prefix(slash + 1);
    }
  };
  if (!target.starts_with("/")) {
    size_t slash = link_path.rfind('/');
    push(link_path.substr(0, slash == link_path.npos ? 0 : slash));
  }
  push(target);
  std::string joined;
  for (std::string_view part : parts) joined += "/" + std::string(part);
  return joined.empty() ? "/" : joined;
}

std::optional<PciBdf> LastBdfComponent(std::string_view path) {
  std::optional<PciBdf> last;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.size() == 12 && part[4] == ':' && part[7] == ':' && part[10] == '.') {
      auto bdf = PciBdf::Parse(part);
      if (bdf.ok()) last = *bdf;
    }
    if (slash == path.npos) break;
    path.remove_prefix(slash + 1);
  }
  return last;
}

}  // namespace mint::topology::internal
