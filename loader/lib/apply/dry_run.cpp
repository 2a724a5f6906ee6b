// MakeDryRun: recording seams seeded from what the host looks like, so a
// dry run shows what NODE_CREATE would plausibly return.
#include "mint/apply.h"

namespace mint::apply {

DryRun MakeDryRun(const HostTopology& host, uint64_t fallback_pool) {
  std::vector<PhysRange> pool = host.mint.pool;
  if (pool.empty()) pool.push_back(PhysRange{PhysAddr{4ull << 30}, ByteSize{fallback_pool}});
  std::map<uint32_t, uint32_t> apic_of;
  for (const auto& cpu : host.cpus)
    if (cpu.apic) apic_of[cpu.id.value] = cpu.apic->value;
  std::map<PciBdf, std::string> drivers;
  for (const auto& f : host.pci) drivers[f.bdf] = f.driver;
  return DryRun{std::make_unique<sys::RecordingMintDevice>(pool, apic_of),
                std::make_unique<sys::RecordingPciDriver>(drivers)};
}

}  // namespace mint::apply
