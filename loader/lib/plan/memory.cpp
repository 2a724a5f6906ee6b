// Memory size checks. A node's RAM comes from the mint pool node0 reserved
// at boot (mint_pool=), in 2 MiB steps, at least kMinMemory. The pool's
// size and free bytes come from /sys/kernel/mint; on a kernel without mint
// the plan is still made (a dry run), with a note that nothing was checked.
#include "internal.h"

namespace mint::plan::internal {

Result<ByteSize> ChooseMemory(const HostTopology& host, const NodeSpec& spec, int numa_node,
                              std::vector<std::string>& notes) {
  std::string ctx = Where(spec.memory_where, "memory");
  ByteSize memory = spec.memory.value_or(ByteSize{kDefaultMemory});
  if (!spec.memory)
    notes.push_back("memory: " + memory.ToString() +
                    ", the default (set --mem or memory: to "
                    "change it)");
  if (memory.bytes % kMemoryGranule != 0) {
    ByteSize up{(memory.bytes / kMemoryGranule + 1) * kMemoryGranule};
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     memory.ToString() +
                         " is not a multiple of 2 MiB (mint hands out memory in "
                         "2 MiB steps); ask for " +
                         up.ToString() + " instead");
  }
  if (memory.bytes < kMinMemory)
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     memory.ToString() + " is too little for a Linux node; ask for at least " +
                         ByteSize{kMinMemory}.ToString());
  if (!host.mint.present) {
    notes.push_back(
        "this kernel has no mint support (/sys/kernel/mint is missing): the mint "
        "pool is unknown, so " +
        memory.ToString() +
        " was not checked against it; "
        "boot node0 with the mint kernel and mint_pool= to boot nodes");
    return memory;
  }
  const MintState& mint = host.mint;
  if (memory > mint.pool_total)
    return MakeError(ErrorCode::kInsufficient, ctx,
                     memory.ToString() + " is more than the whole mint pool (" +
                         mint.pool_total.ToString() +
                         "); ask for less, or boot node0 with a "
                         "bigger mint_pool=");
  if (memory > mint.pool_free)
    return MakeError(ErrorCode::kInsufficient, ctx,
                     "only " + mint.pool_free.ToString() + " of the " + mint.pool_total.ToString() +
                         " mint pool is free (other nodes hold "
                         "the rest); ask for " +
                         mint.pool_free.ToString() + " or less, or destroy a node");
  if (numa_node >= 0)
    notes.push_back("memory: " + memory.ToString() + " from the mint pool, NUMA node " +
                    std::to_string(numa_node) + " preferred (where the CPUs are)");
  return memory;
}

}  // namespace mint::plan::internal
