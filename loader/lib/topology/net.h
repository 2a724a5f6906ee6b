// node0's network state as the kernel's rtnetlink reports it: every link
// with its kind, every address, every route of every table and both
// families. Two readers fill the same NetState, chosen at the I/O edge like
// libnuma: ReadNetlink asks the live kernel (netlink.cpp, libmnl), and
// ParseIpJson reads what tools/collect-host stored from iproute2's
// `ip -j` (the same dumps, printed as JSON) in a captured tree
// (ip_json.cpp). Nothing here decides what node0 uses: topology.cpp does,
// from a NetState, so both paths take the same decisions. Internal to
// mint_topology.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"

namespace mint::topology::internal {

struct NetLink {  // RTM_GETLINK
  std::string name;
  std::string kind;  // IFLA_INFO_KIND ("bridge", "veth"); empty for plain hardware and lo
  auto operator<=>(const NetLink&) const = default;
};

struct NetAddress {  // RTM_GETADDR
  std::string iface;
  bool ipv6 = false;
  std::string local;  // IFA_LOCAL, else IFA_ADDRESS (as ip prints "local")
  unsigned prefix = 0;
  unsigned scope = 0;  // RT_SCOPE_*: 0 global, 200 site, 253 link, 254 host
  auto operator<=>(const NetAddress&) const = default;
};

struct NetRouteHop {  // RTM_GETROUTE, one entry per next hop of a route
  std::string iface;  // the hop's output interface
  unsigned type = 0;  // RTN_*: 1 unicast, 2 local, 3 broadcast, 5 multicast, ...
  NetRoute route;     // destination, this hop's gateway, table, family
  auto operator<=>(const NetRouteHop&) const = default;
};

struct NetState {
  std::vector<NetLink> links;
  std::vector<NetAddress> addresses;
  std::vector<NetRouteHop> routes;  // hops without an interface (blackhole) left out
};

// The live kernel's state through rtnetlink dumps (RTM_GETLINK,
// RTM_GETADDR, RTM_GETROUTE for AF_INET and AF_INET6, all tables).
Result<NetState> ReadNetlink();

// What ReadNetlink does with each datagram of a dump's reply: its
// messages, checked and added to `state`. Links must be fed before
// addresses and routes (they name interfaces by index). On its own so
// tests can feed replies built by hand.
struct NetlinkDump {
  enum class Kind { kLinks, kAddresses, kRoutes };
  // True once the dump's NLMSG_DONE came. An error naming `what` for the
  // kernel's NLMSG_ERROR, a message too short for its header, or one of
  // another sequence or port.
  Result<bool> Feed(Kind kind, const void* data, size_t size, uint32_t seq, uint32_t portid,
                    const std::string& what);
  std::map<uint32_t, std::string> names;  // ifindex -> name, from the links
  NetState state;
};

// The same state from `ip -j -d link show`, `ip -j addr show` and
// `ip -j -4|-6 route show table all` (iproute2 6.x JSON); each text comes
// with the path it was read from, for errors.
struct IpJson {
  std::string_view text;
  std::string_view path;
};
Result<NetState> ParseIpJson(IpJson link, IpJson addr, IpJson route4, IpJson route6);

// iproute2's names of route tables and types, as `ip` prints them.
std::string RouteTableName(unsigned table);  // 254 -> "main", 100 -> "100"

}  // namespace mint::topology::internal
