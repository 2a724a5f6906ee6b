// MakeDryRun: recording seams seeded from what the host looks like, so a
// dry run shows what NODE_CREATE would plausibly return: memory from the
// part of the pool no node holds, the CPUs' real APIC ids, and each
// function on the driver node0 has it on.
#include <algorithm>

#include "mint/apply.h"

namespace mint::apply {
namespace {

// `pool` minus every range in `used`.
std::vector<PhysRange> Subtract(std::vector<PhysRange> pool, const std::vector<PhysRange>& used) {
  for (const auto& u : used) {
    std::vector<PhysRange> next;
    for (const auto& r : pool) {
      if (u.end() <= r.start.value || r.end() <= u.start.value) {
        next.push_back(r);
        continue;
      }
      if (r.start.value < u.start.value)
        next.push_back(PhysRange{r.start, ByteSize{u.start.value - r.start.value}});
      if (u.end() < r.end())
        next.push_back(PhysRange{PhysAddr{u.end()}, ByteSize{r.end() - u.end()}});
    }
    pool = std::move(next);
  }
  return pool;
}

}  // namespace

DryRun MakeDryRun(const HostTopology& host, uint64_t fallback_pool) {
  std::vector<PhysRange> used;
  for (const auto& node : host.mint.nodes)
    used.insert(used.end(), node.memory.begin(), node.memory.end());
  std::vector<PhysRange> pool = Subtract(host.mint.pool, used);
  if (host.mint.pool.empty())
    pool.push_back(PhysRange{PhysAddr{4ull << 30}, ByteSize{fallback_pool}});
  std::map<uint32_t, uint32_t> apic_of;
  for (const auto& cpu : host.cpus)
    if (cpu.apic) apic_of[cpu.id.value] = cpu.apic->value;
  std::map<PciBdf, std::string> drivers;
  for (const auto& f : host.pci) drivers[f.bdf] = f.driver;
  return DryRun{std::make_unique<sys::RecordingMintDevice>(pool, apic_of),
                std::make_unique<sys::RecordingPciDriver>(drivers)};
}

}  // namespace mint::apply
