// The JSON wire format between mintctl and `mint-agent vm` (mint/vm.h,
// docs/vm.md): GuestSpec, GuestStatus (one, or a list), NodeFacts. Sizes
// are bytes, ports are objects, every field is always written; decoding
// accepts absent optional spec fields (their defaults) and nothing unknown.
#include <nlohmann/json.hpp>

#include "json_fields.h"
#include "mint/vm.h"

namespace mint::vm {
namespace {

using internal::Fields;
using nlohmann::json;

constexpr uint64_t kMaxBytes = 1ull << 50;  // memory and disk sizes (1 PiB)
constexpr uint64_t kMaxVcpus = 1024;
constexpr uint64_t kMaxCpus = 8192;
constexpr int64_t kMaxPid = 1 << 22;  // PID_MAX_LIMIT
constexpr size_t kMaxPorts = 64;
constexpr double kMaxUptime = 1e10;

Error Bad(const std::string& what, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, what,
                   why + "; mintctl and mint-agent must come from one mint build");
}

json PortsJson(const std::vector<GuestPort>& ports) {
  json a = json::array();
  for (const GuestPort& p : ports) a.push_back({{"host", p.host}, {"guest", p.guest}});
  return a;
}

std::vector<GuestPort> PortsFrom(Fields& f, std::string& error) {
  std::vector<GuestPort> ports;
  const json* a = f.Array("ports", false, kMaxPorts);
  if (a == nullptr) return ports;
  for (size_t i = 0; i < a->size() && error.empty(); ++i) {
    Fields p((*a)[i], f.Path("ports[" + std::to_string(i) + "]"), error);
    GuestPort port;
    port.host = static_cast<uint16_t>(p.Unsigned("host", true, 65535));
    port.guest = static_cast<uint16_t>(p.Unsigned("guest", true, 65535));
    p.NoOthers();
    ports.push_back(port);
  }
  return ports;
}

void CheckName(Fields& f, const std::string& name) {
  if (f.ok() && !IsValidGuestName(name))
    f.Fail("name", "is not a guest name (" + std::string(kGuestNameRule) + ")");
}

json SpecJson(const GuestSpec& s) {
  return {{"name", s.name},
          {"vcpus", s.vcpus},
          {"memory", s.memory.bytes},
          {"kernel", s.kernel},
          {"initrd", s.initrd},
          {"cmdline", s.cmdline},
          {"image", s.image},
          {"disk", s.disk},
          {"disk_size", s.disk_size.bytes},
          {"net", s.net},
          {"ports", PortsJson(s.ports)},
          {"autostart", s.autostart}};
}

GuestSpec SpecFrom(const json& j, const std::string& path, std::string& error) {
  Fields f(j, path, error);
  GuestSpec s;
  s.name = f.String("name", true, kMaxString);
  CheckName(f, s.name);
  s.vcpus = static_cast<uint32_t>(f.Unsigned("vcpus", false, kMaxVcpus, s.vcpus));
  s.memory.bytes = f.Unsigned("memory", false, kMaxBytes, s.memory.bytes);
  s.kernel = f.String("kernel", false, kMaxString);
  s.initrd = f.String("initrd", false, kMaxString);
  s.cmdline = f.String("cmdline", false, kMaxString);
  s.image = f.String("image", false, kMaxString);
  s.disk = f.String("disk", false, kMaxString);
  s.disk_size.bytes = f.Unsigned("disk_size", false, kMaxBytes, s.disk_size.bytes);
  s.net = f.Bool("net", false, s.net);
  s.ports = PortsFrom(f, error);
  s.autostart = f.Bool("autostart", false, s.autostart);
  f.NoOthers();
  return s;
}

json StatusJson(const GuestStatus& g) {
  return {{"name", g.name},
          {"state", g.state},
          {"vcpus", g.vcpus},
          {"memory", g.memory.bytes},
          {"uptime_s", g.uptime_s},
          {"reason", g.reason},
          {"pid", g.pid},
          {"disk", g.disk},
          {"ports", PortsJson(g.ports)},
          {"console", g.console}};
}

GuestStatus StatusFrom(const json& j, const std::string& path, std::string& error) {
  Fields f(j, path, error);
  GuestStatus g;
  g.name = f.String("name", true, kMaxString);
  CheckName(f, g.name);
  g.state = f.String("state", true, kMaxString);
  if (f.ok() && g.state != "starting" && g.state != "running" && g.state != "stopped" &&
      g.state != "crashed" && g.state != "lost")
    f.Fail("state", "is \"" + g.state + "\", not starting, running, stopped, crashed or lost");
  g.vcpus = static_cast<uint32_t>(f.Unsigned("vcpus", true, kMaxVcpus));
  g.memory.bytes = f.Unsigned("memory", true, kMaxBytes);
  g.uptime_s = f.Number("uptime_s", true, kMaxUptime);
  g.reason = f.String("reason", true, kMaxString);
  g.pid = static_cast<int>(f.Signed("pid", true, 0, kMaxPid));
  g.disk = f.String("disk", true, kMaxString);
  g.ports = PortsFrom(f, error);
  g.console = f.String("console", true, kMaxString);
  f.NoOthers();
  return g;
}

json ListJson(const std::vector<GuestStatus>& guests) {
  json a = json::array();
  for (const GuestStatus& g : guests) a.push_back(StatusJson(g));
  return a;
}

std::vector<GuestStatus> ListFrom(const json& a, const std::string& path, std::string& error) {
  std::vector<GuestStatus> guests;
  if (!a.is_array()) {
    error = (path.empty() ? "the top level" : path) + " is not an array";
    return guests;
  }
  if (a.size() > kMaxGuests) {
    error = (path.empty() ? "the list" : path) + " has " + std::to_string(a.size()) +
            " guests, more than the " + std::to_string(kMaxGuests) + " allowed";
    return guests;
  }
  for (size_t i = 0; i < a.size() && error.empty(); ++i) {
    guests.push_back(StatusFrom(a[i], path + "[" + std::to_string(i) + "]", error));
    for (size_t k = 0; k + 1 < guests.size() && error.empty(); ++k)
      if (guests[k].name == guests.back().name)
        error = path + "[" + std::to_string(i) + "].name " + guests.back().name + " appears twice";
  }
  return guests;
}

// Parses, runs `decode` on the document, and turns a problem into an Error.
template <typename T, typename DecodeFn>
Result<T> Decode(std::string_view text, const std::string& what, DecodeFn decode) {
  std::string why;
  auto j = internal::ParseJson(text, kMaxJson, why);
  if (!j) return Bad(what, why);
  std::string error;
  T value = decode(*j, error);
  if (!error.empty()) return Bad(what, error);
  return value;
}

}  // namespace

std::string GuestSpecToJson(const GuestSpec& spec) { return internal::DumpJson(SpecJson(spec)); }

Result<GuestSpec> GuestSpecFromJson(std::string_view text) {
  return Decode<GuestSpec>(
      text, "guest spec", [](const json& j, std::string& error) { return SpecFrom(j, "", error); });
}

std::string GuestStatusToJson(const GuestStatus& status) {
  return internal::DumpJson(StatusJson(status));
}

Result<GuestStatus> GuestStatusFromJson(std::string_view text) {
  return Decode<GuestStatus>(text, "guest status", [](const json& j, std::string& error) {
    return StatusFrom(j, "", error);
  });
}

std::string GuestListToJson(const std::vector<GuestStatus>& guests) {
  return internal::DumpJson(ListJson(guests));
}

Result<std::vector<GuestStatus>> GuestListFromJson(std::string_view text) {
  return Decode<std::vector<GuestStatus>>(
      text, "guest list", [](const json& j, std::string& error) { return ListFrom(j, "", error); });
}

std::string NodeFactsToJson(const NodeFacts& facts) {
  json j = {{"node", facts.node},
            {"cpus", facts.cpus},
            {"mem_available", facts.mem_available.bytes},
            {"has_kvm", facts.has_kvm},
            {"cpu_virt", facts.cpu_virt},
            {"has_qemu", facts.has_qemu},
            {"missing_files", facts.missing_files},
            {"guests", ListJson(facts.guests)}};
  return internal::DumpJson(j);
}

Result<NodeFacts> NodeFactsFromJson(std::string_view text) {
  return Decode<NodeFacts>(text, "node facts", [](const json& j, std::string& error) {
    Fields f(j, "", error);
    NodeFacts n;
    n.node = f.String("node", true, 64);
    if (f.ok() && n.node.empty()) f.Fail("node", "is empty");
    n.cpus = static_cast<uint32_t>(f.Unsigned("cpus", true, kMaxCpus));
    n.mem_available.bytes = f.Unsigned("mem_available", true, kMaxBytes);
    n.has_kvm = f.Bool("has_kvm", true);
    n.cpu_virt = f.Bool("cpu_virt", true);
    n.has_qemu = f.Bool("has_qemu", true);
    if (const json* files = f.Array("missing_files", true, kMaxGuests)) {
      for (size_t i = 0; i < files->size() && error.empty(); ++i) {
        const json& e = (*files)[i];
        if (!e.is_string() || e.get_ref<const std::string&>().size() > kMaxString)
          f.Fail("missing_files[" + std::to_string(i) + "]",
                 "is not a string of at most " + std::to_string(kMaxString) + " bytes");
        else
          n.missing_files.push_back(e.get<std::string>());
      }
    }
    const json* guests = f.Array("guests", true, kMaxGuests);
    if (guests != nullptr && error.empty()) n.guests = ListFrom(*guests, "guests", error);
    f.NoOthers();
    return n;
  });
}

}  // namespace mint::vm
