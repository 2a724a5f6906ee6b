// Parsing and formatting of the model's value types, and the lookups on
// HostTopology. Pure functions.
#include "mint/model.h"

#include <linux/mint.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <set>

namespace mint {

std::string Error::ToString() const {
  std::string out = context.empty() ? message : context + ": " + message;
  if (sys_errno != 0) out += " (" + std::string(std::strerror(sys_errno)) + ")";
  return out;
}

Error MakeError(ErrorCode code, std::string context, std::string message, int sys_errno) {
  return Error{code, sys_errno, std::move(context), std::move(message)};
}

namespace {

template <typename T>
bool ParseUnsigned(std::string_view text, T& out, int base = 10) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<ByteSize> ByteSize::Parse(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument, std::string(text),
                     "not a size; write a whole number with an optional unit B, K, M, G or T "
                     "(also KB or KiB, MB or MiB, ...; binary: 1G = 1024M), e.g. 512M");
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  uint64_t number = 0;
  if (!ParseUnsigned(text.substr(0, digits), number)) return bad();
  // The unit, exactly one of: none, B, or a letter alone, with B or with iB.
  std::string unit(text.substr(digits));
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::string_view kLetters = "KMGT";
  int shift = 0;
  if (!unit.empty() && unit != "B") {
    size_t letter = kLetters.find(unit[0]);
    std::string_view suffix = std::string_view(unit).substr(1);
    if (letter == std::string_view::npos || !(suffix.empty() || suffix == "B" || suffix == "IB"))
      return bad();
    shift = 10 * static_cast<int>(letter + 1);
  }
  if (number > (kMaxBytes >> shift))
    return MakeError(ErrorCode::kInvalidArgument, std::string(text),
                     "more than 4096T (4 PiB, all that x86-64 can address); write a size up to "
                     "4096T");
  return ByteSize{number << shift};
}

std::string ByteSize::ToString() const {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  uint64_t n = bytes;
  int unit = 0;
  while (n != 0 && unit < 4 && (n & 1023) == 0) {
    n >>= 10;
    ++unit;
  }
  return std::to_string(n) + " " + kUnits[unit];
}

Result<PciBdf> PciBdf::Parse(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument, std::string(text),
                     "not a PCI address; write DOMAIN:BUS:DEVICE.FUNCTION in hex, "
                     "e.g. 0000:03:00.0 (as lspci -D prints it)");
  };
  std::string_view rest = text;
  uint16_t domain = 0;
  // Domain present when there are two colons.
  if (std::count(rest.begin(), rest.end(), ':') == 2) {
    auto c = rest.find(':');
    if (c != 4 || !ParseUnsigned(rest.substr(0, c), domain, 16)) return bad();
    rest.remove_prefix(c + 1);
  }
  if (rest.size() != 7 || rest[2] != ':' || rest[5] != '.') return bad();
  uint8_t bus = 0, dev = 0, fn = 0;
  if (!ParseUnsigned(rest.substr(0, 2), bus, 16) || !ParseUnsigned(rest.substr(3, 2), dev, 16) ||
      !ParseUnsigned(rest.substr(6, 1), fn, 16) || dev > 31 || fn > 7)
    return bad();
  return PciBdf{domain, bus, dev, fn};
}

std::string PciBdf::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, device, function);
  return buf;
}

uint32_t PciBdf::Packed() const {
  return (uint32_t{domain} << 16) | (uint32_t{bus} << 8) | (uint32_t{device} << 3) | function;
}

std::string Hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string TrimTrailing(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string FormatCpuList(const std::vector<CpuId>& cpus) {
  std::vector<CpuId> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1].value == sorted[j].value + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i].value);
    if (j > i) out += '-' + std::to_string(sorted[j].value);
    i = j + 1;
  }
  return out;
}

Result<std::vector<CpuId>> ParseCpuList(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<CpuId> out;
  if (text.empty()) return out;
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument, std::string(text),
                     "not a CPU list; write numbers and ranges like 2-3,6");
  };
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto dash = item.find('-');
    uint32_t first = 0, last = 0;
    if (dash == std::string_view::npos) {
      if (!ParseUnsigned(item, first)) return bad();
      last = first;
    } else if (!ParseUnsigned(item.substr(0, dash), first) ||
               !ParseUnsigned(item.substr(dash + 1), last) || last < first || last - first > 4096) {
      return bad();
    }
    for (uint32_t c = first; c <= last; ++c) out.push_back(CpuId{c});
  }
  return out;
}

std::string SourceLoc::ToString() const {
  if (file.empty()) return flag;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kDisk:
      return "disk";
    case DeviceKind::kNic:
      return "nic";
    case DeviceKind::kPci:
      return "pci";
  }
  return "?";
}

// One enum with the kernel's: same numbers, so a value read from the
// shared region or MINT_NODE_GET could be cast.
static_assert(static_cast<int>(NodeState::kCreated) == MINT_STATE_CREATED);
static_assert(static_cast<int>(NodeState::kLoaded) == MINT_STATE_LOADED);
static_assert(static_cast<int>(NodeState::kBooting) == MINT_STATE_BOOTING);
static_assert(static_cast<int>(NodeState::kRunning) == MINT_STATE_RUNNING);
static_assert(static_cast<int>(NodeState::kStopping) == MINT_STATE_STOPPING);
static_assert(static_cast<int>(NodeState::kStopped) == MINT_STATE_STOPPED);
static_assert(static_cast<int>(NodeState::kCrashed) == MINT_STATE_CRASHED);
static_assert(static_cast<int>(NodeState::kHung) == MINT_STATE_HUNG);
static_assert(static_cast<int>(NodeState::kFailed) == MINT_STATE_FAILED);

namespace {
// The kernel's sysfs names (mint_state_names[] in arch/x86/mint/sysfs.c).
constexpr std::string_view kStateNames[] = {"created", "loaded",  "booting", "running", "stopping",
                                            "stopped", "crashed", "hung",    "failed"};
}  // namespace

std::string_view NodeStateName(NodeState state) { return kStateNames[static_cast<size_t>(state)]; }

Result<NodeState> ParseNodeState(std::string_view text, std::string_view path) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  std::string known;
  for (size_t i = 0; i < std::size(kStateNames); ++i) {
    if (text == kStateNames[i]) return static_cast<NodeState>(i);
    known += (known.empty() ? "" : ", ") + std::string(kStateNames[i]);
  }
  std::string shown(text.substr(0, 32));
  for (char& c : shown)
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  return MakeError(ErrorCode::kIo, std::string(path),
                   "\"" + shown + "\" is not a node state this mintctl knows (" + known +
                       "); install the mintctl built with this kernel");
}

std::optional<uint32_t> NodeIdOfEntry(std::string_view entry) {
  if (entry.empty() || entry.size() > 3 || entry.front() == '0') return std::nullopt;
  uint32_t id = 0;
  for (char c : entry) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<uint32_t>(c - '0');
  }
  return id;
}

bool NeverStarted(NodeState s) { return s == NodeState::kCreated || s == NodeState::kLoaded; }

bool MayRun(NodeState s) {
  return s == NodeState::kBooting || s == NodeState::kRunning || s == NodeState::kStopping ||
         s == NodeState::kHung;
}

bool WentDown(NodeState s) {
  return s == NodeState::kCrashed || s == NodeState::kHung || s == NodeState::kFailed;
}

std::string_view OnCrashName(OnCrash on_crash) {
  return on_crash == OnCrash::kRestart ? "restart" : "stop";
}

const Cpu* HostTopology::FindCpu(CpuId id) const {
  for (const auto& c : cpus)
    if (c.id == id) return &c;
  return nullptr;
}

const PciFunction* HostTopology::FindPci(const PciBdf& bdf) const {
  for (const auto& f : pci)
    if (f.bdf == bdf) return &f;
  return nullptr;
}

const IommuGroup* HostTopology::FindIommuGroup(int id) const {
  for (const auto& g : iommu_groups)
    if (g.id == id) return &g;
  return nullptr;
}

std::vector<const PciFunction*> HostTopology::IommuGroupMembers(int id) const {
  std::vector<const PciFunction*> out;
  for (const auto& f : pci)
    if (f.iommu_group == id) out.push_back(&f);
  std::sort(out.begin(), out.end(), [](const PciFunction* a, const PciFunction* b) {
    return a->bdf < b->bdf;
  });
  return out;
}

const BlockDevice* HostTopology::FindDisk(std::string_view name) const {
  for (const auto& d : disks)
    if (d.name == name) return &d;
  return nullptr;
}

std::string DevNum::ToString() const { return std::to_string(major) + ":" + std::to_string(minor); }

const StackedDevice* BlockDevice::FindStacked(std::string_view device) const {
  for (const auto& s : stacked)
    if (s.name == device) return &s;
  return nullptr;
}

bool BlockDevice::Contains(std::string_view device) const {
  if (device == name) return true;
  for (const auto& p : partitions)
    if (p.name == device) return true;
  return FindStacked(device) != nullptr;
}

namespace {

// The name in `disk`'s tree (itself, a partition, a stacked device) whose
// device number is `dev`, or nullptr. Major 0 is the kernel's anonymous
// devices (tmpfs, proc, btrfs subvolumes): never a block device.
const std::string* DeviceWith(const BlockDevice& disk, DevNum dev) {
  if (dev.major == 0) return nullptr;
  if (disk.dev == dev) return &disk.name;
  for (const auto& p : disk.partitions)
    if (p.dev == dev) return &p.name;
  for (const auto& s : disk.stacked)
    if (s.dev == dev) return &s.name;
  return nullptr;
}

// From the disk or a partition up to `device`, through the first device
// each stacked device is built on.
std::vector<std::string> ChainTo(const BlockDevice& disk, const std::string& device) {
  std::vector<std::string> chain{device};
  const StackedDevice* s = disk.FindStacked(device);
  while (s != nullptr && !s->on.empty() && chain.size() <= disk.stacked.size()) {
    chain.insert(chain.begin(), s->on.front());
    s = disk.FindStacked(s->on.front());
  }
  return chain;
}

bool BuiltOnAny(const StackedDevice& s, const std::set<std::string>& names) {
  return std::any_of(s.on.begin(), s.on.end(), [&](const auto& n) { return names.count(n) > 0; });
}

}  // namespace

std::vector<DiskUse> HostTopology::DiskUses(const BlockDevice& disk) const {
  std::vector<DiskUse> uses;
  std::set<std::string> used;  // devices of the disk that hold a mount or swap
  for (const auto& m : mounts) {
    const std::string* name = DeviceWith(disk, m.dev);
    if (name == nullptr) continue;
    uses.push_back(DiskUse{DiskUse::Kind::kMounted, ChainTo(disk, *name), m.target});
    used.insert(*name);
  }
  for (const auto& s : swaps) {
    const std::string* name = DeviceWith(disk, s.dev);
    if (name == nullptr) continue;
    uses.push_back(DiskUse{s.file ? DiskUse::Kind::kSwapFile : DiskUse::Kind::kSwap,
                           ChainTo(disk, *name), s.source});
    used.insert(*name);
  }
  // A stacked device at the top of its stack (nothing but its own
  // partitions above it) that neither it nor its partitions are used by:
  // still assembled, so still reading and writing the disk.
  for (const auto& s : disk.stacked) {
    if (s.kind == StackKind::kPartition) continue;
    std::set<std::string> group{s.name};
    for (const auto& p : disk.stacked)
      if (p.kind == StackKind::kPartition && BuiltOnAny(p, {s.name})) group.insert(p.name);
    bool below_something = std::any_of(
        disk.stacked.begin(), disk.stacked.end(),
        [&](const auto& t) { return t.kind != StackKind::kPartition && BuiltOnAny(t, group); });
    bool is_used =
        std::any_of(group.begin(), group.end(), [&](const auto& n) { return used.count(n) > 0; });
    if (!below_something && !is_used)
      uses.push_back(DiskUse{DiskUse::Kind::kAssembled, ChainTo(disk, s.name), ""});
  }
  return uses;
}

std::string NetRoute::ToString() const {
  std::string text = destination;
  if (!gateway.empty()) text += " via " + gateway;
  if (table != "main") text += " table " + table;
  return text;
}

const Nic* HostTopology::FindNic(std::string_view name) const {
  for (const auto& n : nics)
    if (n.name == name) return &n;
  return nullptr;
}

const MintNode* HostTopology::OwnerOf(CpuId id) const {
  for (const auto& n : mint.nodes)
    if (std::find(n.cpus.begin(), n.cpus.end(), id) != n.cpus.end()) return &n;
  return nullptr;
}

const MintNode* HostTopology::OwnerOf(const PciBdf& bdf) const {
  for (const auto& n : mint.nodes)
    if (std::find(n.devices.begin(), n.devices.end(), bdf) != n.devices.end()) return &n;
  return nullptr;
}

bool IsValidGuestName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name[0])) return false;
  for (char c : name)
    if (!lower_or_digit(c) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace mint
