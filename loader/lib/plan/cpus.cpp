// CPU choice and checks. A node gets whole cores (every SMT thread of a
// core goes to the same kernel), never cpu0's core (node0 keeps it: Linux
// cannot take cpu0 offline), and only CPUs that are online in node0 and
// that no other node holds. Given a list, plan checks it; given a count,
// plan picks whole cores on one NUMA node when it can (the requested one,
// else the one with the most free CPUs), highest-numbered first, leaving the
// low CPUs to node0 as IHK does.
#include <algorithm>
#include <map>
#include <set>

#include "internal.h"

namespace mint::plan::internal {
namespace {

std::string CpuName(CpuId id) { return "cpu" + std::to_string(id.value); }

// "CPU 5" or "CPUs 4-5".
std::string CpuWords(const std::vector<CpuId>& cpus) {
  return (cpus.size() == 1 ? "CPU " : "CPUs ") + FormatCpuList(cpus);
}

// The threads of the core `cpu` is on, itself included, sorted.
std::vector<CpuId> CoreOf(const Cpu& cpu) {
  std::vector<CpuId> core = cpu.siblings;
  if (std::find(core.begin(), core.end(), cpu.id) == core.end()) core.push_back(cpu.id);
  std::sort(core.begin(), core.end());
  return core;
}

bool Contains(const std::vector<CpuId>& cpus, CpuId id) {
  return std::find(cpus.begin(), cpus.end(), id) != cpus.end();
}

std::string AllCpus(const HostTopology& host) {
  std::vector<CpuId> ids;
  for (const auto& c : host.cpus) ids.push_back(c.id);
  return FormatCpuList(ids);
}

// Checks one CPU the user named, on its own.
Result<void> CheckNamedCpu(const HostTopology& host, const NodeSpec& spec, CpuId id,
                           const std::string& ctx) {
  if (id.value == 0)
    return MakeError(ErrorCode::kConflict, ctx,
                     "cpu0 always stays with node0 (Linux cannot take it offline); "
                     "pick CPUs other than 0");
  const Cpu* cpu = host.FindCpu(id);
  if (cpu == nullptr)
    return MakeError(ErrorCode::kNotFound, ctx,
                     CpuName(id) + " does not exist; this host has CPUs " + AllCpus(host));
  if (const MintNode* owner = host.OwnerOf(id))
    return MakeError(ErrorCode::kConflict, ctx,
                     CpuName(id) + " belongs to " + owner->name +
                         "; pick CPUs no node holds "
                         "(mintctl topology shows the owners) or destroy " +
                         owner->name + " first");
  if (!cpu->online)
    return MakeError(ErrorCode::kConflict, ctx,
                     CpuName(id) +
                         " is offline in node0 and no node holds it; bring it online "
                         "(echo 1 > /sys/devices/system/cpu/" +
                         CpuName(id) + "/online) or pick another CPU");
  if (spec.numa_node && cpu->numa_node != *spec.numa_node)
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     CpuName(id) + " is on NUMA node " + std::to_string(cpu->numa_node) +
                         ", not on NUMA node " + std::to_string(*spec.numa_node) +
                         " as asked; pick CPUs of NUMA node " + std::to_string(*spec.numa_node) +
                         " or leave the NUMA node out");
  return Ok();
}

// Checks that the named CPUs take whole cores.
Result<void> CheckWholeCores(const HostTopology& host, const std::vector<CpuId>& cpus,
                             const std::string& ctx) {
  for (CpuId id : cpus) {
    const Cpu* cpu = host.FindCpu(id);
    for (CpuId sibling : CoreOf(*cpu)) {
      if (Contains(cpus, sibling)) continue;
      std::string prefix = CpuName(id) + " shares a core with " + CpuName(sibling);
      if (sibling.value == 0)
        return MakeError(ErrorCode::kConflict, ctx,
                         prefix +
                             ", which always stays with node0; a core's threads go "
                             "together, so pick CPUs of other cores");
      if (const MintNode* owner = host.OwnerOf(sibling))
        return MakeError(ErrorCode::kConflict, ctx,
                         prefix + ", which belongs to " + owner->name +
                             "; a core's threads go together, so pick CPUs of another core");
      std::vector<CpuId> core = CoreOf(*cpu);
      return MakeError(ErrorCode::kInvalidArgument, ctx,
                       prefix + "; a core's threads go together: give the node all of " +
                           FormatCpuList(core) + " or none of them");
    }
  }
  return Ok();
}

Result<CpuChoice> CheckList(const HostTopology& host, const NodeSpec& spec,
                            const std::string& ctx) {
  std::vector<CpuId> cpus = spec.cpu_list;
  std::sort(cpus.begin(), cpus.end());
  if (spec.core_count && *spec.core_count != cpus.size())
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "the CPU list " + FormatCpuList(cpus) + " has " + std::to_string(cpus.size()) +
                         " CPUs but the count asks for " + std::to_string(*spec.core_count) +
                         "; give the list or the count, "
                         "or make them agree");
  for (size_t i = 1; i < cpus.size(); ++i)
    if (cpus[i] == cpus[i - 1])
      return MakeError(ErrorCode::kInvalidArgument, ctx,
                       CpuName(cpus[i]) + " is listed twice; name each CPU once");
  for (CpuId id : cpus) MINT_CHECK(CheckNamedCpu(host, spec, id, ctx));
  MINT_CHECK(CheckWholeCores(host, cpus, ctx));
  CpuChoice choice{cpus, spec.numa_node.value_or(-1)};
  if (!spec.numa_node) {
    std::set<int> numa;
    for (CpuId id : cpus) numa.insert(host.FindCpu(id)->numa_node);
    if (numa.size() == 1) choice.numa_node = *numa.begin();
  }
  return choice;
}

// A core node0 can give: not cpu0's, every thread online and unowned.
struct FreeCore {
  std::vector<CpuId> threads;  // sorted
  int numa_node = -1;
};

std::vector<FreeCore> FreeCores(const HostTopology& host) {
  std::set<std::vector<CpuId>> seen;
  std::vector<FreeCore> out;
  for (const auto& cpu : host.cpus) {
    std::vector<CpuId> core = CoreOf(cpu);
    if (!seen.insert(core).second) continue;
    bool free = true;
    for (CpuId t : core) {
      const Cpu* thread = host.FindCpu(t);
      if (t.value == 0 || thread == nullptr || !thread->online || host.OwnerOf(t) != nullptr)
        free = false;
    }
    if (free) out.push_back({core, cpu.numa_node});
  }
  // Highest-numbered cores first: node0 keeps the low CPUs.
  std::sort(out.begin(), out.end(), [](const FreeCore& a, const FreeCore& b) {
    return a.threads.back() > b.threads.back();
  });
  return out;
}

size_t ThreadCount(const std::vector<FreeCore>& cores) {
  size_t n = 0;
  for (const auto& c : cores) n += c.threads.size();
  return n;
}

std::vector<CpuId> Threads(const std::vector<FreeCore>& cores) {
  std::vector<CpuId> out;
  for (const auto& c : cores) out.insert(out.end(), c.threads.begin(), c.threads.end());
  std::sort(out.begin(), out.end());
  return out;
}

// Why node0 cannot give more: "cpu0's core stays with node0, node2 holds 4-5".
std::string WhyNotMore(const HostTopology& host) {
  std::vector<std::string> reasons{"cpu0's core stays with node0"};
  for (const auto& node : host.mint.nodes)
    if (!node.cpus.empty()) reasons.push_back(node.name + " holds " + FormatCpuList(node.cpus));
  std::vector<CpuId> offline;
  for (const auto& cpu : host.cpus)
    if (!cpu.online && host.OwnerOf(cpu.id) == nullptr) offline.push_back(cpu.id);
  if (!offline.empty()) reasons.push_back("offline: " + FormatCpuList(offline));
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : ", ") + r;
  return out;
}

// Takes whole cores from `cores` (already in preference order) until
// `count` threads are taken; nullopt if whole cores cannot make `count`.
std::optional<std::vector<FreeCore>> Take(const std::vector<FreeCore>& cores, size_t count) {
  std::vector<FreeCore> taken;
  size_t n = 0;
  for (const auto& c : cores) {
    if (n == count) break;
    if (n + c.threads.size() > count) continue;
    taken.push_back(c);
    n += c.threads.size();
  }
  if (n != count) return std::nullopt;
  return taken;
}

Result<CpuChoice> PickByCount(const HostTopology& host, const NodeSpec& spec,
                              const std::string& ctx, std::vector<std::string>& notes) {
  size_t count = *spec.core_count;
  if (count == 0)
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "a node needs at least one CPU; ask for 1 or more");
  std::vector<FreeCore> all = FreeCores(host);
  if (ThreadCount(all) < count) {
    std::string have =
        all.empty() ? "none"
                    : std::to_string(ThreadCount(all)) + " (" + FormatCpuList(Threads(all)) + ")";
    return MakeError(ErrorCode::kInsufficient, ctx,
                     "asked for " + std::to_string(count) + (count == 1 ? " CPU" : " CPUs") +
                         " but node0 can give " + have + ": " + WhyNotMore(host) +
                         "; ask for fewer CPUs");
  }
  std::map<int, std::vector<FreeCore>> by_numa;
  for (const auto& c : all) by_numa[c.numa_node].push_back(c);
  auto whole_cores_error = [&] {
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     std::to_string(count) + " CPUs cannot be made of whole cores (free cores: " +
                         FormatCpuList(Threads(all)) +
                         "; a core's threads go together); "
                         "ask for a number of CPUs that whole cores make up");
  };

  if (spec.numa_node) {
    int want = *spec.numa_node;
    auto it = by_numa.find(want);
    const std::vector<FreeCore> none;
    const std::vector<FreeCore>& local = it == by_numa.end() ? none : it->second;
    std::string where = Where(spec.numa_where, ctx);
    if (ThreadCount(local) < count)
      return MakeError(
          ErrorCode::kInsufficient, where,
          "NUMA node " + std::to_string(want) + " has " +
              (local.empty() ? std::string("no free CPUs")
                             : "only " + std::to_string(ThreadCount(local)) + " free CPUs (" +
                                   FormatCpuList(Threads(local)) + ")") +
              " for the " + std::to_string(count) +
              " asked; ask for fewer CPUs or leave the NUMA node out");
    auto taken = Take(local, count);
    if (!taken) return whole_cores_error();
    CpuChoice choice{Threads(*taken), want};
    notes.push_back("picked " + CpuWords(choice.cpus) + ": whole cores on NUMA node " +
                    std::to_string(want) +
                    " as asked, highest-numbered first (node0 keeps the "
                    "low CPUs)");
    return choice;
  }

  // One NUMA node if any can hold them all: the one with the most free
  // CPUs (ties: the higher-numbered), so node0's side keeps the most.
  std::optional<int> best;
  for (const auto& [numa, cores] : by_numa) {
    if (ThreadCount(cores) < count || !Take(cores, count)) continue;
    if (!best || ThreadCount(cores) >= ThreadCount(by_numa[*best])) best = numa;
  }
  if (best) {
    CpuChoice choice{Threads(*Take(by_numa[*best], count)), *best};
    std::string numa_words = *best < 0 ? std::string("whole cores")
                                       : "whole cores on NUMA node " + std::to_string(*best);
    notes.push_back("picked " + CpuWords(choice.cpus) + ": " + numa_words +
                    ", highest-numbered first (node0 keeps the low CPUs)");
    return choice;
  }
  auto taken = Take(all, count);
  if (!taken) return whole_cores_error();
  CpuChoice choice{Threads(*taken), -1};
  notes.push_back("picked " + CpuWords(choice.cpus) +
                  ": whole cores across NUMA nodes (no single NUMA node has " +
                  std::to_string(count) + " free CPUs), highest-numbered first");
  return choice;
}

}  // namespace

Result<CpuChoice> ChooseCpus(const HostTopology& host, const NodeSpec& spec,
                             std::vector<std::string>& notes) {
  std::string ctx = Where(spec.cores_where, "cores");
  if (spec.numa_node) {
    bool exists = false;
    std::vector<std::string> ids;
    for (const auto& n : host.numa_nodes) {
      exists = exists || n.id == *spec.numa_node;
      ids.push_back(std::to_string(n.id));
    }
    if (!exists)
      return MakeError(ErrorCode::kNotFound, Where(spec.numa_where, "numa"),
                       "NUMA node " + std::to_string(*spec.numa_node) + " does not exist; " +
                           (ids.empty() ? std::string("this host reports no NUMA nodes, "
                                                      "so leave the NUMA node out")
                                        : "this host has NUMA nodes " + JoinWords(ids)));
  }
  if (!spec.cpu_list.empty()) return CheckList(host, spec, ctx);
  if (!spec.core_count)
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "no CPUs asked for; give a count (--cores 2) or a list (--cores 2-3)");
  return PickByCount(host, spec, ctx, notes);
}

}  // namespace mint::plan::internal
