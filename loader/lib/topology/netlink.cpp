// ReadNetlink: the live kernel's links, addresses and routes through
// rtnetlink dumps, with libmnl (see net.h). One NETLINK_ROUTE socket, four
// dumps in turn: links first, so addresses and routes (which name an
// interface by index) can be given its name.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <map>
#include <memory>

#include "net.h"

namespace mint::topology::internal {
namespace {

constexpr std::string_view kContext = "rtnetlink";

// ToString adds strerror(err).
Error NetlinkError(const std::string& what, int err) {
  return MakeError(ErrorCode::kIo, std::string(kContext),
                   what +
                       "; node0's addresses and routes cannot be read, so no NIC can be "
                       "checked: run mintctl where it may use a NETLINK_ROUTE socket",
                   err);
}

using Dump = NetlinkDump;

// A message too short for its header: mnl_cb_run stops with this errno.
int Malformed() {
  errno = EBADMSG;
  return MNL_CB_ERROR;
}

// An address attribute as text; empty if it is shorter than the family's.
std::string Address(int family, const nlattr* attr) {
  size_t size = family == AF_INET6 ? sizeof(in6_addr) : sizeof(in_addr);
  if (mnl_attr_get_payload_len(attr) < size) return "";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, mnl_attr_get_payload(attr), text, sizeof text);
  return text;
}

uint32_t U32(const nlattr* attr, uint32_t fallback) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return fallback;
  return mnl_attr_get_u32(attr);
}

// A string attribute; empty unless it is a NUL-terminated string.
std::string String(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) return "";
  return mnl_attr_get_str(attr);
}

// The attribute table of one message: attrs[type] or nullptr.
template <size_t N>
struct Attrs {
  const nlattr* at[N + 1] = {};
  const nlattr* operator[](unsigned type) const { return type <= N ? at[type] : nullptr; }
};

template <size_t N>
int Collect(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attrs<N>*>(data);
  unsigned type = mnl_attr_get_type(attr);
  if (type <= N) attrs->at[type] = attr;
  return MNL_CB_OK;
}

int OnLink(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<Dump*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return Malformed();
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs<IFLA_MAX> attrs;
  mnl_attr_parse(nlh, sizeof *ifm, Collect<IFLA_MAX>, &attrs);
  NetLink link;
  link.name = String(attrs[IFLA_IFNAME]);
  if (link.name.empty()) return MNL_CB_OK;
  if (const nlattr* info = attrs[IFLA_LINKINFO]) {
    Attrs<IFLA_INFO_MAX> nested;
    mnl_attr_parse_nested(info, Collect<IFLA_INFO_MAX>, &nested);
    link.kind = String(nested[IFLA_INFO_KIND]);
  }
  dump->names[static_cast<uint32_t>(ifm->ifi_index)] = link.name;
  dump->state.links.push_back(std::move(link));
  return MNL_CB_OK;
}

int OnAddress(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<Dump*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) return Malformed();
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
  Attrs<IFA_MAX> attrs;
  mnl_attr_parse(nlh, sizeof *ifa, Collect<IFA_MAX>, &attrs);
  const nlattr* local = attrs[IFA_LOCAL] != nullptr ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (local == nullptr) return MNL_CB_OK;
  NetAddress address;
  address.iface = dump->names[ifa->ifa_index];
  address.ipv6 = ifa->ifa_family == AF_INET6;
  address.local = Address(ifa->ifa_family, local);
  if (address.local.empty()) return MNL_CB_OK;  // shorter than an address
  address.prefix = ifa->ifa_prefixlen;
  address.scope = ifa->ifa_scope;
  dump->state.addresses.push_back(std::move(address));
  return MNL_CB_OK;
}

void AddHop(Dump& dump, const NetRouteHop& route, uint32_t ifindex, const nlattr* gateway,
            int family) {
  if (ifindex == 0) return;  // blackhole, unreachable, prohibit: no interface
  NetRouteHop hop = route;
  hop.iface = dump.names[ifindex];
  if (gateway != nullptr) hop.route.gateway = Address(family, gateway);
  dump.state.routes.push_back(std::move(hop));
}

int OnRoute(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<Dump*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) return Malformed();
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  // Cached clones are not routes anyone configured; ip route hides them.
  if ((rtm->rtm_flags & RTM_F_CLONED) != 0) return MNL_CB_OK;
  Attrs<RTA_MAX> attrs;
  mnl_attr_parse(nlh, sizeof *rtm, Collect<RTA_MAX>, &attrs);
  NetRouteHop route;
  route.type = rtm->rtm_type;
  route.route.ipv6 = rtm->rtm_family == AF_INET6;
  route.route.table = RouteTableName(U32(attrs[RTA_TABLE], rtm->rtm_table));
  unsigned full = route.route.ipv6 ? 128 : 32;
  if (attrs[RTA_DST] == nullptr && rtm->rtm_dst_len == 0) {
    route.route.destination = "default";
  } else if (attrs[RTA_DST] != nullptr) {
    route.route.destination = Address(rtm->rtm_family, attrs[RTA_DST]);
    if (rtm->rtm_dst_len != full) route.route.destination += "/" + std::to_string(rtm->rtm_dst_len);
  } else {
    return MNL_CB_OK;  // a prefix without an address: nothing ip would show either
  }
  if (const nlattr* multipath = attrs[RTA_MULTIPATH]) {
    const auto* hop = static_cast<const rtnexthop*>(mnl_attr_get_payload(multipath));
    int left = static_cast<int>(mnl_attr_get_payload_len(multipath));
    while (RTNH_OK(hop, left)) {
      Attrs<RTA_MAX> hop_attrs;
      mnl_attr_parse_payload(RTNH_DATA(hop), hop->rtnh_len - sizeof *hop, Collect<RTA_MAX>,
                             &hop_attrs);
      AddHop(*dump, route, static_cast<uint32_t>(hop->rtnh_ifindex), hop_attrs[RTA_GATEWAY],
             rtm->rtm_family);
      left -= RTNH_ALIGN(hop->rtnh_len);
      hop = RTNH_NEXT(hop);
    }
    return MNL_CB_OK;
  }
  AddHop(*dump, route, U32(attrs[RTA_OIF], 0), attrs[RTA_GATEWAY], rtm->rtm_family);
  return MNL_CB_OK;
}

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};

class Netlink {
 public:
  Result<void> Open() {
    socket_.reset(mnl_socket_open(NETLINK_ROUTE));
    if (!socket_) return NetlinkError("cannot open a NETLINK_ROUTE socket", errno);
    if (mnl_socket_bind(socket_.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
      return NetlinkError("cannot bind the NETLINK_ROUTE socket", errno);
    }
    return Ok();
  }

  // One dump request of `type` whose header is `header_size` bytes with
  // `family` first (ifinfomsg, ifaddrmsg and rtmsg all start with it).
  Result<void> Run(uint16_t type, size_t header_size, uint8_t family, Dump::Kind kind, Dump& dump,
                   const std::string& what) {
    std::vector<char> buffer(kBufferSize);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    auto* header = static_cast<uint8_t*>(mnl_nlmsg_put_extra_header(nlh, header_size));
    header[0] = family;
    if (mnl_socket_sendto(socket_.get(), nlh, nlh->nlmsg_len) < 0) {
      return NetlinkError("cannot ask for " + what, errno);
    }
    const unsigned portid = mnl_socket_get_portid(socket_.get());
    for (;;) {
      ssize_t got = mnl_socket_recvfrom(socket_.get(), buffer.data(), buffer.size());
      if (got < 0) return NetlinkError("cannot read " + what, errno);
      MINT_TRY(bool done,
               dump.Feed(kind, buffer.data(), static_cast<size_t>(got), seq_, portid, what));
      if (done) return Ok();
    }
  }

 private:
  // A dump message is at most 32 KiB (the kernel's NLMSG_GOODSIZE cap).
  static constexpr size_t kBufferSize = 32768;
  std::unique_ptr<mnl_socket, SocketCloser> socket_;
  uint32_t seq_ = 0;
};

}  // namespace

std::string RouteTableName(unsigned table) {
  switch (table) {
    case RT_TABLE_MAIN:
      return "main";
    case RT_TABLE_LOCAL:
      return "local";
    case RT_TABLE_DEFAULT:
      return "default";
    default:
      return std::to_string(table);
  }
}

Result<bool> NetlinkDump::Feed(Kind kind, const void* data, size_t size, uint32_t seq,
                               uint32_t portid, const std::string& what) {
  mnl_cb_t callback = kind == Kind::kLinks       ? OnLink
                      : kind == Kind::kAddresses ? OnAddress
                                                 : OnRoute;
  errno = 0;
  int ret = mnl_cb_run(data, size, seq, portid, callback, this);
  if (ret == MNL_CB_STOP) return true;
  if (ret == MNL_CB_OK) return false;
  int err = errno != 0 ? errno : EBADMSG;
  // mnl_cb_run gives the kernel's NLMSG_ERROR as errno; EBADMSG, ESRCH
  // and EPROTO are its own (a malformed message, another sequence or port).
  if (err == EBADMSG || err == ESRCH || err == EPROTO)
    return NetlinkError("a reply to the dump of " + what + " is malformed", err);
  if (err == EINTR) return NetlinkError("the dump of " + what + " was interrupted", err);
  return NetlinkError("the kernel refused the dump of " + what, err);
}

Result<NetState> ReadNetlink() {
  // A dump the kernel marks interrupted (NLM_F_DUMP_INTR: links or routes
  // changed while it was read) is read again, a few times.
  for (int attempt = 1;; ++attempt) {
    Netlink netlink;
    MINT_CHECK(netlink.Open());
    Dump dump;
    auto read = [&]() -> Result<void> {
      MINT_CHECK(netlink.Run(RTM_GETLINK, sizeof(ifinfomsg), AF_UNSPEC, Dump::Kind::kLinks, dump,
                             "links"));
      MINT_CHECK(netlink.Run(RTM_GETADDR, sizeof(ifaddrmsg), AF_UNSPEC, Dump::Kind::kAddresses,
                             dump, "addresses"));
      MINT_CHECK(netlink.Run(RTM_GETROUTE, sizeof(rtmsg), AF_INET, Dump::Kind::kRoutes, dump,
                             "IPv4 routes"));
      return netlink.Run(RTM_GETROUTE, sizeof(rtmsg), AF_INET6, Dump::Kind::kRoutes, dump,
                         "IPv6 routes");
    };
    auto done = read();
    if (done.ok()) return std::move(dump.state);
    if (done.error().sys_errno != EINTR || attempt == 3) return done.take_error();
  }
}

}  // namespace mint::topology::internal
