// nodeconf: one YAML document -> NodeSpec. yaml-cpp does the YAML; this
// file owns the schema (nodeconf/README.md): which keys exist, what type
// each holds, and the file:line:col of every value for error messages.
// yaml-cpp keeps duplicate keys, so they are caught here.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "checks.h"
#include "mint/config.h"

namespace mint::config {
namespace {

using internal::AddDevice;

constexpr std::string_view kKeys[] = {"name",    "cores",    "numa-node",      "memory",
                                      "devices", "iommu",    "kernel",         "initrd",
                                      "cmdline", "on-crash", "restart-budget", "kvm",
                                      "guests"};
constexpr std::string_view kGuestKeys[] = {"name",      "vcpus",   "memory", "kernel",
                                           "initrd",    "cmdline", "image",  "disk",
                                           "disk-size", "net",     "ports",  "autostart"};
constexpr std::string_view kDeviceShape =
    "each device is a one-key mapping: {disk: sdb}, {nic: eth1} or {pci: 0000:03:00.0}";

class Parser {
 public:
  explicit Parser(std::string_view file_name) : file_(file_name) {}

  SourceLoc Loc(const YAML::Mark& mark) const {
    return SourceLoc{file_, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, ""};
  }
  // A null value has no useful mark of its own: point at its key.
  SourceLoc Loc(const YAML::Node& value, const YAML::Node& key) const {
    return value.IsNull() ? Loc(key.Mark()) : Loc(value.Mark());
  }
  Error Invalid(const SourceLoc& where, std::string message) const {
    return MakeError(ErrorCode::kInvalidArgument, where.ToString(), std::move(message));
  }

  // The scalar text of value, or "<key> must be <expected>".
  Result<std::string> Scalar(const YAML::Node& key, const YAML::Node& value,
                             std::string_view expected) const {
    if (!value.IsScalar()) {
      return Invalid(Loc(value, key), key.Scalar() + " must be " + std::string(expected));
    }
    return value.Scalar();
  }

  Result<NodeSpec> Parse(std::string_view yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      return Invalid(Loc(e.mark), "not valid YAML: " + e.msg);
    }
    if (root.IsNull()) {
      return Invalid(SourceLoc{file_, 1, 1, ""},
                     "the file is empty; a nodeconf holds at least one key, e.g. cores: 2");
    }
    if (!root.IsMap()) {
      return Invalid(Loc(root.Mark()),
                     "a nodeconf is a mapping of keys (name, cores, memory, devices, ...); "
                     "see nodeconf/README.md");
    }
    NodeSpec spec;
    std::map<std::string, SourceLoc> seen;
    for (auto it = root.begin(); it != root.end(); ++it) {
      // it-> yields a temporary pair: copy the nodes (handles), never bind
      // references to it (the nodeconf fuzzer found that use-after-scope).
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      SourceLoc key_loc = Loc(key.Mark());
      if (!key.IsScalar()) return Invalid(key_loc, "a key must be a plain word like cores");
      const std::string& name = key.Scalar();
      if (std::find(std::begin(kKeys), std::end(kKeys), name) == std::end(kKeys)) {
        return Invalid(key_loc,
                       "unknown key \"" + name +
                           "\"; the keys are name, cores, numa-node, memory, devices, "
                           "iommu, kernel, initrd, cmdline, on-crash, restart-budget, kvm, "
                           "guests");
      }
      auto [first, inserted] = seen.emplace(name, key_loc);
      if (!inserted) {
        return Invalid(
            key_loc, "key " + name + " is given twice (first at " + first->second.ToString() + ")");
      }
      MINT_CHECK(SetKey(spec, key, value));
    }
    return spec;
  }

 private:
  Result<void> SetKey(NodeSpec& spec, const YAML::Node& key, const YAML::Node& value) {
    const std::string& name = key.Scalar();
    SourceLoc where = Loc(value, key);
    if (name == "name") {
      MINT_TRY(std::string text, Scalar(key, value, "a string like node1"));
      MINT_CHECK(CheckNodeName(text, where));
      spec.name = text;
      spec.name_where = where;
    } else if (name == "cores") {
      if (value.IsSequence()) return SetCoreList(spec, value, where);
      MINT_TRY(std::string text, Scalar(key, value, "a count like 2 or a list like [2, 3]"));
      MINT_CHECK(internal::SetCores(spec, text, where));
    } else if (name == "numa-node") {
      MINT_TRY(std::string text, Scalar(key, value, "a NUMA node number like 0"));
      MINT_TRY(spec.numa_node, internal::NumaNode(text, where));
      spec.numa_where = where;
    } else if (name == "memory") {
      MINT_TRY(std::string text, Scalar(key, value, "a size like 512M"));
      MINT_TRY(spec.memory, internal::Size("memory", text, where));
      spec.memory_where = where;
    } else if (name == "devices") {
      if (!value.IsSequence()) {
        return Invalid(where, "devices must be a list like [{disk: sdb}, {nic: eth1}]");
      }
      for (const YAML::Node& entry : value) MINT_CHECK(AddEntry(spec, entry));
    } else if (name == "kernel" || name == "initrd") {
      MINT_TRY(std::string text, Scalar(key, value, "a file path"));
      MINT_TRY(std::string path, internal::ImagePath(name, text, where));
      (name == "kernel" ? spec.kernel : spec.initrd) = path;
      if (name == "kernel") spec.kernel_where = where;
    } else if (name == "cmdline") {
      MINT_TRY(spec.cmdline, Scalar(key, value, "a string of kernel parameters"));
    } else if (name == "on-crash") {
      MINT_TRY(std::string text, Scalar(key, value, "stop or restart"));
      MINT_TRY(spec.on_crash, internal::OnCrashPolicy(text, where));
    } else if (name == "restart-budget") {
      MINT_TRY(std::string text, Scalar(key, value, "a count like 3"));
      MINT_TRY(spec.restart_budget, internal::RestartBudget(text, where));
    } else if (name == "iommu") {
      // iommu: false is --no-iommu.
      MINT_TRY(bool fenced, Bool(key, value));
      spec.no_iommu = !fenced;
      spec.no_iommu_where = where;
    } else if (name == "kvm") {
      MINT_TRY(spec.kvm, Bool(key, value));
    } else if (name == "guests") {
      if (!value.IsSequence())
        return Invalid(where, "guests must be a list of mappings like [{name: guest1}]");
      for (const YAML::Node& entry : value) MINT_CHECK(AddGuestEntry(spec, entry));
    }
    return Ok();
  }

  Result<bool> Bool(const YAML::Node& key, const YAML::Node& value) const {
    MINT_TRY(std::string text, Scalar(key, value, "true or false"));
    if (text == "true" || text == "yes") return true;
    if (text == "false" || text == "no") return false;
    return Invalid(Loc(value, key), key.Scalar() + " must be true or false, not \"" + text + "\"");
  }

  Result<void> AddGuestEntry(NodeSpec& spec, const YAML::Node& entry) {
    if (!entry.IsMap())
      return Invalid(Loc(entry.Mark()),
                     "each guest is a mapping like {name: guest1, memory: 256M}");
    GuestSpec guest;
    guest.where = Loc(entry.Mark());
    std::map<std::string, SourceLoc> seen;
    for (auto it = entry.begin(); it != entry.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      SourceLoc key_loc = Loc(key.Mark());
      if (!key.IsScalar()) return Invalid(key_loc, "a guest key must be a plain word like vcpus");
      const std::string& name = key.Scalar();
      if (std::find(std::begin(kGuestKeys), std::end(kGuestKeys), name) == std::end(kGuestKeys))
        return Invalid(key_loc, "unknown guest key \"" + name +
                                    "\"; the keys are name, vcpus, memory, kernel, initrd, "
                                    "cmdline, image, disk, disk-size, net, ports, autostart");
      auto [first, inserted] = seen.emplace(name, key_loc);
      if (!inserted)
        return Invalid(key_loc, "guest key " + name + " is given twice (first at " +
                                    first->second.ToString() + ")");
      MINT_CHECK(SetGuestKey(guest, key, value));
    }
    return internal::AddGuest(spec, std::move(guest));
  }

  Result<void> SetGuestKey(GuestSpec& guest, const YAML::Node& key, const YAML::Node& value) {
    const std::string& name = key.Scalar();
    SourceLoc where = Loc(value, key);
    if (name == "ports") {
      if (!value.IsSequence()) return Invalid(where, "ports must be a list like [\"8080:80\"]");
      for (const YAML::Node& item : value) {
        if (!item.IsScalar())
          return Invalid(Loc(item.Mark()), "a port forward is NODEPORT:GUESTPORT, e.g. 8080:80");
        MINT_TRY(GuestPort port, internal::GuestPortForward(item.Scalar(), Loc(item.Mark())));
        guest.ports.push_back(port);
      }
      return Ok();
    }
    if (name == "net") {
      MINT_TRY(guest.net, Bool(key, value));
      return Ok();
    }
    if (name == "autostart") {
      MINT_TRY(guest.autostart, Bool(key, value));
      return Ok();
    }
    MINT_TRY(std::string text, Scalar(key, value, "a single value"));
    if (name == "name") {
      MINT_TRY(guest.name, internal::GuestName(text, where));
    } else if (name == "vcpus") {
      MINT_TRY(guest.vcpus, internal::GuestVcpus(text, where));
    } else if (name == "memory") {
      MINT_TRY(guest.memory, internal::Size("memory", text, where));
    } else if (name == "disk-size") {
      MINT_TRY(guest.disk_size, internal::Size("disk-size", text, where));
    } else if (name == "cmdline") {
      guest.cmdline = text;
    } else {
      MINT_TRY(std::string path, internal::ImagePath(name, text, where));
      (name == "kernel"   ? guest.kernel
       : name == "initrd" ? guest.initrd
       : name == "image"  ? guest.image
                          : guest.disk) = path;
    }
    return Ok();
  }

  Result<void> SetCoreList(NodeSpec& spec, const YAML::Node& list, const SourceLoc& where) {
    std::vector<CpuId> cpus;
    for (const YAML::Node& item : list) {
      auto cpu = item.IsScalar() ? internal::ParseDecimal(item.Scalar(), 65535) : std::nullopt;
      if (!cpu) return Invalid(Loc(item.Mark()), "a core list holds CPU numbers, e.g. [2, 3]");
      cpus.push_back(CpuId{static_cast<uint32_t>(*cpu)});
    }
    return internal::SetCoreList(spec, cpus, where);
  }

  Result<void> AddEntry(NodeSpec& spec, const YAML::Node& entry) {
    SourceLoc entry_loc = Loc(entry.Mark());
    if (!entry.IsMap() || entry.size() != 1) return Invalid(entry_loc, std::string(kDeviceShape));
    const YAML::Node kind_node = entry.begin()->first;
    const YAML::Node value = entry.begin()->second;
    if (!kind_node.IsScalar()) return Invalid(entry_loc, std::string(kDeviceShape));
    const std::string& kind = kind_node.Scalar();
    DeviceKind device_kind;
    if (kind == "disk") {
      device_kind = DeviceKind::kDisk;
    } else if (kind == "nic") {
      device_kind = DeviceKind::kNic;
    } else if (kind == "pci") {
      device_kind = DeviceKind::kPci;
    } else {
      return Invalid(Loc(kind_node.Mark()),
                     "unknown device kind \"" + kind + "\"; use disk, nic or pci");
    }
    SourceLoc where = Loc(value, kind_node);
    if (!value.IsScalar()) {
      return Invalid(where, kind + " must be a name like " +
                                (kind == "disk"  ? "sdb"
                                 : kind == "nic" ? "eth1"
                                                 : "0000:03:00.0"));
    }
    return AddDevice(spec, device_kind, value.Scalar(), where);
  }

  std::string file_;
};

}  // namespace

Result<NodeSpec> ParseNodeConf(std::string_view yaml, std::string_view file_name) {
  return Parser(file_name).Parse(yaml);
}

}  // namespace mint::config
