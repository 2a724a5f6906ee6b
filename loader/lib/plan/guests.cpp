// The guests a node declares (nodeconf guests:) against what the node gets:
// the VMM layer goes onto its initramfs, and its guests must fit its memory
// and CPUs before anything boots. The node's own mint::vm checks the same
// things again, against what the node really has, at each `vm start`.
#include <string>

#include "internal.h"

namespace mint::plan::internal {

Result<void> PlanGuests(const NodeSpec& spec, Plan& plan) {
  if (spec.guests.empty() && !spec.kvm) return Ok();
  plan.initrd_layers.push_back(kDefaultVmmLayer);
  plan.notes.push_back(std::string("VMM layer ") + kDefaultVmmLayer +
                       " appended to the initrd (the node hosts guests)");
  plan.guests = spec.guests;
  if (spec.guests.empty()) return Ok();

  uint64_t need = kGuestHostMemory;
  std::string sum = ByteSize{kGuestHostMemory}.ToString() + " for the node itself";
  for (const GuestSpec& g : spec.guests) {
    need += g.memory.bytes + kGuestVmmOverhead;
    sum += " + " + g.memory.ToString() + " for " + g.name;
    if (g.vcpus > plan.cpus.size())
      return MakeError(ErrorCode::kInsufficient, g.where.ToString(),
                       "guest " + g.name + " wants " + std::to_string(g.vcpus) + " vCPUs but " +
                           plan.name + " gets " + std::to_string(plan.cpus.size()) +
                           " CPUs; give the guest fewer vcpus or the node more cores");
    for (const GuestSpec& other : spec.guests) {
      if (&other == &g) break;
      for (const GuestPort& p : g.ports)
        for (const GuestPort& q : other.ports)
          if (p.host == q.host)
            return MakeError(ErrorCode::kConflict, g.where.ToString(),
                             "guests " + other.name + " and " + g.name + " both forward " +
                                 plan.name + "'s port " + std::to_string(p.host) +
                                 "; give each guest its own node port");
    }
  }
  sum += " + " + ByteSize{kGuestVmmOverhead}.ToString() + " per guest for its VMM";
  if (need > plan.memory.bytes)
    return MakeError(ErrorCode::kInsufficient, Where(spec.memory_where, "memory"),
                     plan.name + "'s guests do not fit: " + sum + " = " +
                         ByteSize{need}.ToString() + ", but the node gets " +
                         plan.memory.ToString() + "; give the node more memory (--mem " +
                         std::to_string((need + (1ull << 20) - 1) >> 20) + "M) or its guests less");
  return Ok();
}

}  // namespace mint::plan::internal
