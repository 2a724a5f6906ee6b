// ParseIpJson: a captured host's rtnetlink state, from the JSON iproute2
// prints for the same dumps ReadNetlink makes (see net.h). Only the fields
// NetState holds are read; anything else ip prints is ignored. iproute2
// prints the kernel's numbers through its own name tables (scope "link",
// type "local", table "main"); they are turned back into the kernel's
// numbers here, so both readers give the same NetState.
#include <nlohmann/json.hpp>
#include <optional>

#include "net.h"

namespace mint::topology::internal {
namespace {

using Json = nlohmann::json;

Error Bad(std::string_view path, const std::string& what) {
  return MakeError(ErrorCode::kIo, std::string(path),
                   what +
                       "; it is not iproute2's `ip -j` output, or it is damaged: capture the "
                       "host again with tools/collect-host (it needs iproute2's ip, not "
                       "busybox's)");
}

Result<Json> Parse(IpJson file, const char* command) {
  Json json = Json::parse(file.text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Bad(file.path, std::string("is not JSON (") + command + ")");
  if (!json.is_array()) return Bad(file.path, "is not a JSON array");
  for (const Json& entry : json) {
    if (!entry.is_object()) return Bad(file.path, "has an entry that is not an object");
  }
  return json;
}

// object[key] as a string: nullopt when absent, an error when not a string.
Result<std::optional<std::string>> OptionalString(const Json& object, const char* key,
                                                  std::string_view path) {
  auto it = object.find(key);
  if (it == object.end()) return std::optional<std::string>();
  if (!it->is_string()) return Bad(path, std::string("has a \"") + key + "\" that is not a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> String(const Json& object, const char* key, std::string_view path) {
  MINT_TRY(std::optional<std::string> value, OptionalString(object, key, path));
  if (!value) return Bad(path, std::string("has an entry without \"") + key + "\"");
  return *value;
}

// iproute2's name for a kernel number, or the number itself as text.
struct Name {
  const char* name;
  unsigned number;
};
constexpr Name kScopes[] = {
    {"global", 0}, {"site", 200}, {"link", 253}, {"host", 254}, {"nowhere", 255}};
constexpr Name kTypes[] = {{"unspec", 0},   {"unicast", 1},   {"local", 2},     {"broadcast", 3},
                           {"anycast", 4},  {"multicast", 5}, {"blackhole", 6}, {"unreachable", 7},
                           {"prohibit", 8}, {"throw", 9},     {"nat", 10},      {"xresolve", 11}};

template <size_t N>
Result<unsigned> Number(const Json& value, const Name (&names)[N], const char* key,
                        std::string_view path) {
  if (value.is_number_unsigned() && value.get<uint64_t>() <= 255) {
    return static_cast<unsigned>(value.get<uint64_t>());
  }
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    for (const Name& name : names) {
      if (text == name.name) return name.number;
    }
    if (!text.empty() && text.size() <= 3 && text.find_first_not_of("0123456789") == text.npos) {
      unsigned number = static_cast<unsigned>(std::stoul(text));
      if (number <= 255) return number;
    }
  }
  return Bad(path, std::string("has a \"") + key + "\" that is neither a name ip prints nor 0-255");
}

Result<void> ReadLinks(IpJson file, NetState& state) {
  MINT_TRY(Json json, Parse(file, "ip -j -d link show"));
  for (const Json& entry : json) {
    NetLink link;
    MINT_TRY(link.name, String(entry, "ifname", file.path));
    auto info = entry.find("linkinfo");
    if (info != entry.end()) {
      if (!info->is_object()) return Bad(file.path, "has a \"linkinfo\" that is not an object");
      MINT_TRY(std::optional<std::string> kind, OptionalString(*info, "info_kind", file.path));
      link.kind = kind.value_or("");
    }
    state.links.push_back(std::move(link));
  }
  return Ok();
}

Result<void> ReadAddresses(IpJson file, NetState& state) {
  MINT_TRY(Json json, Parse(file, "ip -j addr show"));
  for (const Json& entry : json) {
    MINT_TRY(std::string iface, String(entry, "ifname", file.path));
    auto info = entry.find("addr_info");
    if (info == entry.end()) continue;
    if (!info->is_array()) return Bad(file.path, "has an \"addr_info\" that is not an array");
    for (const Json& item : *info) {
      if (!item.is_object()) return Bad(file.path, "has an address that is not an object");
      MINT_TRY(std::optional<std::string> family, OptionalString(item, "family", file.path));
      if (family != "inet" && family != "inet6") continue;
      MINT_TRY(std::optional<std::string> local, OptionalString(item, "local", file.path));
      if (!local) continue;  // ip prints "local" for every address the kernel gives one
      NetAddress address;
      address.iface = iface;
      address.ipv6 = *family == "inet6";
      address.local = *local;
      auto prefix = item.find("prefixlen");
      if (prefix == item.end() || !prefix->is_number_unsigned() ||
          prefix->get<uint64_t>() > (address.ipv6 ? 128u : 32u)) {
        return Bad(file.path, "has an address of " + iface + " without a valid \"prefixlen\"");
      }
      address.prefix = static_cast<unsigned>(prefix->get<uint64_t>());
      auto scope = item.find("scope");
      if (scope != item.end()) {
        MINT_TRY(address.scope, Number(*scope, kScopes, "scope", file.path));
      }
      state.addresses.push_back(std::move(address));
    }
  }
  return Ok();
}

Result<void> ReadRoutes(IpJson file, bool ipv6, NetState& state) {
  MINT_TRY(Json json,
           Parse(file, ipv6 ? "ip -j -6 route show table all" : "ip -j -4 route show table all"));
  for (const Json& entry : json) {
    NetRouteHop route;
    route.type = 1;  // ip prints no "type" for unicast routes
    auto type = entry.find("type");
    if (type != entry.end()) {
      MINT_TRY(route.type, Number(*type, kTypes, "type", file.path));
    }
    route.route.ipv6 = ipv6;
    MINT_TRY(route.route.destination, String(entry, "dst", file.path));
    MINT_TRY(std::optional<std::string> table, OptionalString(entry, "table", file.path));
    route.route.table = table.value_or("main");  // ip names no table for main
    std::vector<const Json*> hops;
    auto nexthops = entry.find("nexthops");
    if (nexthops != entry.end()) {
      if (!nexthops->is_array()) return Bad(file.path, "has \"nexthops\" that are not an array");
      for (const Json& hop : *nexthops) {
        if (!hop.is_object()) return Bad(file.path, "has a next hop that is not an object");
        hops.push_back(&hop);
      }
    } else {
      hops.push_back(&entry);
    }
    for (const Json* hop : hops) {
      MINT_TRY(std::optional<std::string> dev, OptionalString(*hop, "dev", file.path));
      if (!dev) continue;  // blackhole, unreachable, prohibit: no interface
      MINT_TRY(std::optional<std::string> gateway, OptionalString(*hop, "gateway", file.path));
      NetRouteHop one = route;
      one.iface = *dev;
      one.route.gateway = gateway.value_or("");
      state.routes.push_back(std::move(one));
    }
  }
  return Ok();
}

}  // namespace

Result<NetState> ParseIpJson(IpJson link, IpJson addr, IpJson route4, IpJson route6) {
  NetState state;
  MINT_CHECK(ReadLinks(link, state));
  MINT_CHECK(ReadAddresses(addr, state));
  MINT_CHECK(ReadRoutes(route4, false, state));
  MINT_CHECK(ReadRoutes(route6, true, state));
  return state;
}

}  // namespace mint::topology::internal
