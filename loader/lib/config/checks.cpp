// Value checks shared by nodeconf.cpp and flags.cpp: node names, core
// counts and lists, NUMA node numbers, sizes, crash policy, image paths and
// device names. The messages here are the interface (tests assert them).
#include "checks.h"

#include <charconv>
#include <set>

#include "mint/config.h"

namespace mint::config {

namespace {
constexpr std::string_view kNameRule =
    "use 1 to 31 lower-case letters, digits or '-', starting with a letter (e.g. node1)";

Error Invalid(const SourceLoc& where, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, where.ToString(), std::move(message));
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }
}  // namespace

Result<void> CheckNodeName(std::string_view name, const SourceLoc& where) {
  if (name.empty()) return Invalid(where, "the node name is empty; " + std::string(kNameRule));
  bool ok = name.size() <= 31 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (!ok) return Invalid(where, Quoted(name) + " is not a node name; " + std::string(kNameRule));
  return Ok();
}

namespace internal {

std::optional<uint64_t> ParseDecimal(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

Result<void> SetCoreList(NodeSpec& spec, const std::vector<CpuId>& cpus, const SourceLoc& where) {
  if (cpus.empty()) {
    return Invalid(where, "the core list is empty; give a count like 2 or a list like [2, 3]");
  }
  std::set<CpuId> seen;
  for (CpuId cpu : cpus) {
    if (!seen.insert(cpu).second) {
      return Invalid(where, "CPU " + std::to_string(cpu.value) + " is listed twice");
    }
  }
  spec.core_count.reset();
  spec.cpu_list = cpus;
  spec.cores_where = where;
  return Ok();
}

Result<void> SetCores(NodeSpec& spec, std::string_view text, const SourceLoc& where) {
  bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
  if (digits_only) {
    auto count = ParseDecimal(text, 65535);
    if (!count) {
      return Invalid(where, "cores " + Quoted(text) + " is more CPUs than any machine has");
    }
    if (*count == 0) {
      return Invalid(where, "cores must be at least 1; give a count like 2 or a list like [2, 3]");
    }
    spec.core_count = static_cast<uint32_t>(*count);
    spec.cpu_list.clear();
    spec.cores_where = where;
    return Ok();
  }
  auto list = ParseCpuList(text);
  if (!list.ok()) {
    return Invalid(where, "cores " + Quoted(text) +
                              " is not a count or a CPU list; give a count like 2 or a list "
                              "like 2-3,6");
  }
  return SetCoreList(spec, *list, where);
}

Result<int> NumaNode(std::string_view text, const SourceLoc& where) {
  auto node = ParseDecimal(text, 1023);
  if (!node) {
    return Invalid(where, "numa-node " + Quoted(text) +
                              " is not a NUMA node number; write 0, 1, ... as numactl "
                              "--hardware lists them");
  }
  return static_cast<int>(*node);
}

Result<ByteSize> Size(std::string_view key, std::string_view text, const SourceLoc& where) {
  auto size = ByteSize::Parse(text);
  if (!size.ok())
    return Invalid(where, std::string(key) + " " + Quoted(text) + " is " + size.error().message);
  if (size->bytes == 0) return Invalid(where, std::string(key) + " must be more than 0, e.g. 512M");
  return *size;
}

Result<OnCrash> OnCrashPolicy(std::string_view text, const SourceLoc& where) {
  if (text == "stop") return OnCrash::kStop;
  if (text == "restart") return OnCrash::kRestart;
  return Invalid(where, "on-crash " + Quoted(text) + " is not a policy; write stop or restart");
}

Result<uint32_t> RestartBudget(std::string_view text, const SourceLoc& where) {
  auto budget = ParseDecimal(text, 1000000);
  if (!budget) {
    return Invalid(where, "restart-budget " + Quoted(text) +
                              " is not a count; write a whole number of restarts, 0 or more");
  }
  return static_cast<uint32_t>(*budget);
}

Result<std::string> ImagePath(std::string_view key, std::string_view text, const SourceLoc& where) {
  if (text.empty()) {
    return Invalid(where, std::string(key) + " is an empty path; give a file or leave " +
                              std::string(key) + " out for the default");
  }
  return std::string(text);
}

Result<void> AddDevice(NodeSpec& spec, DeviceKind kind, std::string_view text,
                       const SourceLoc& where) {
  DeviceRequest request{kind, "", where};
  std::string kind_name(DeviceKindName(kind));
  switch (kind) {
    case DeviceKind::kDisk: {
      std::string_view name = text;
      if (name.starts_with("/dev/")) name.remove_prefix(5);
      bool ok = !name.empty() && name.size() <= 32 && name != "." && name != "..";
      for (char c : name) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.');
      }
      if (!ok) {
        return Invalid(where, "disk " + Quoted(text) +
                                  " is not a block device name; write its name in /sys/block, "
                                  "e.g. sdb or /dev/sdb");
      }
      request.name = name;
      break;
    }
    case DeviceKind::kNic: {
      // IFNAMSIZ is 16 with the NUL; '/', ':' and blanks are never in names.
      bool ok = !text.empty() && text.size() <= 15 && text != "." && text != "..";
      for (char c : text) {
        ok = ok && c > ' ' && c < 0x7f && c != '/' && c != ':';
      }
      if (!ok) {
        return Invalid(where, "nic " + Quoted(text) +
                                  " is not a network interface name; write its name in "
                                  "/sys/class/net, e.g. eth1");
      }
      request.name = text;
      break;
    }
    case DeviceKind::kPci: {
      auto bdf = PciBdf::Parse(text);
      if (!bdf.ok()) return Invalid(where, "pci " + Quoted(text) + " is " + bdf.error().message);
      request.name = bdf->ToString();
      break;
    }
  }
  for (const DeviceRequest& other : spec.devices) {
    if (other.kind == kind && other.name == request.name) {
      return Invalid(where, kind_name + " " + request.name + " is given twice (also at " +
                                other.where.ToString() + "); list each device once");
    }
  }
  spec.devices.push_back(std::move(request));
  return Ok();
}

}  // namespace internal
}  // namespace mint::config
