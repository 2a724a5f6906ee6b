// Cross-check on the live machine: Discover with libnuma (the live-host
// path) and without it (the path captured trees take) must agree on every
// CPU's NUMA node and every node's CPUs and total memory.
#include <gtest/gtest.h>

#include "mint/topology.h"

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

}  // namespace
}  // namespace mint::topology
