// Cross-checks on the live machine, each live-host reader against the
// reader captured trees take:
//  - Discover with libnuma and without it must agree on every CPU's NUMA
//    node and every node's CPUs and total memory;
//  - rtnetlink (libmnl) and iproute2's `ip -j` (what tools/collect-host
//    stores) must give the same links, addresses and routes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "mint/topology.h"
#include "net.h"

namespace mint::topology {
namespace {

TEST(LiveHost, LibnumaAndSysfsAgree) {
  auto fs = sys::OpenHostFs("/");
  auto with_libnuma = Discover(*fs, DiscoverOptions{.use_libnuma = true});
  auto from_sysfs = Discover(*fs, DiscoverOptions{.use_libnuma = false});
  ASSERT_TRUE(with_libnuma.ok()) << with_libnuma.error().ToString();
  ASSERT_TRUE(from_sysfs.ok()) << from_sysfs.error().ToString();
  ASSERT_EQ(with_libnuma->cpus.size(), from_sysfs->cpus.size());
  ASSERT_FALSE(from_sysfs->cpus.empty());
  for (size_t i = 0; i < from_sysfs->cpus.size(); ++i) {
    EXPECT_EQ(with_libnuma->cpus[i].numa_node, from_sysfs->cpus[i].numa_node) << i;
  }
  ASSERT_EQ(with_libnuma->numa_nodes.size(), from_sysfs->numa_nodes.size());
  for (size_t i = 0; i < from_sysfs->numa_nodes.size(); ++i) {
    EXPECT_EQ(with_libnuma->numa_nodes[i].cpus, from_sysfs->numa_nodes[i].cpus);
    EXPECT_EQ(with_libnuma->numa_nodes[i].mem_total, from_sysfs->numa_nodes[i].mem_total);
  }
}

// What `command` prints (it must succeed).
std::string Output(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

template <typename T>
std::vector<T> Sorted(std::vector<T> items) {
  std::sort(items.begin(), items.end());
  return items;
}

TEST(LiveHost, NetlinkAndIpJsonAgree) {
  // The same commands as host-files.list gives tools/collect-host.
  std::string link = Output("ip -j -d link show");
  std::string addr = Output("ip -j addr show");
  std::string route4 = Output("ip -j -4 route show table all");
  std::string route6 = Output("ip -j -6 route show table all");
  auto from_netlink = internal::ReadNetlink();
  ASSERT_TRUE(from_netlink.ok()) << from_netlink.error().ToString();
  auto from_ip =
      internal::ParseIpJson({link, "link"}, {addr, "addr"}, {route4, "route4"}, {route6, "route6"});
  ASSERT_TRUE(from_ip.ok()) << from_ip.error().ToString();
  ASSERT_FALSE(from_netlink->links.empty());
  ASSERT_FALSE(from_netlink->addresses.empty());  // lo has 127.0.0.1 at least
  ASSERT_FALSE(from_netlink->routes.empty());     // and its local routes
  EXPECT_EQ(Sorted(from_netlink->links), Sorted(from_ip->links));
  EXPECT_EQ(Sorted(from_netlink->addresses), Sorted(from_ip->addresses));
  auto netlink_routes = Sorted(from_netlink->routes);
  auto ip_routes = Sorted(from_ip->routes);
  ASSERT_EQ(netlink_routes.size(), ip_routes.size());
  for (size_t i = 0; i < ip_routes.size(); ++i) {
    EXPECT_EQ(netlink_routes[i], ip_routes[i])
        << netlink_routes[i].iface << " " << netlink_routes[i].route.ToString() << " vs "
        << ip_routes[i].iface << " " << ip_routes[i].route.ToString();
  }
}

}  // namespace
}  // namespace mint::topology
