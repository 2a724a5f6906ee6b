// libFuzzer target for the readers of /sys/kernel/mint (docs/abi.md):
// topology::ReadMintState (status, topology, plan),
// lifecycle::ListNodes (stop, kill, restart, watch, console, exec find nodes
// with it) and channel::CheckReady (exec's and vm's state and agent check). The input is
// a tree: NUL-separated file contents in a fixed order,
//   abi_version pool pool_total pool_free
//   then per node: <id> name state cpus apic_ids memory devices heartbeat
//                  reason uptime agent heartbeat_age_ms iommu
// where a field that is exactly "\x7f" leaves the file out, and the input
// ending leaves the rest out.
//
// Contracts beyond "no crash, no exception": an accepted tree is present,
// its nodes sorted by id, names and reasons trimmed, every state, device,
// CPU list round-trips through its printer and parser, no range wraps, an
// iommu file holds at most MINT_MAX_PCI fences with non-negative groups;
// ListNodes keeps only the kernel's own directory names (model's
// NodeIdOfEntry: one directory per id) and agrees with ReadMintState on
// the state of each; CheckReady accepts exactly the running nodes whose
// agent says ready.
#include <linux/mint.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "memory_fs.h"
#include "mint/channel.h"
#include "mint/lifecycle.h"
#include "mint/topology.h"

namespace {

using mint::fuzz::Check;

constexpr const char* kRoot = "/sys/kernel/mint";
constexpr const char* kTop[] = {"abi_version", "pool", "pool_total", "pool_free"};
constexpr const char* kNode[] = {
    "name",      "state",  "cpus",   "apic_ids", "memory",          "devices",
    "heartbeat", "reason", "uptime", "agent",    "heartbeat_age_ms", "iommu"};
constexpr size_t kGroup = 1 + std::size(kNode);

bool Blank(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\0'; }

std::set<uint32_t> CpuSet(const std::vector<mint::CpuId>& cpus) {
  std::set<uint32_t> out;
  for (auto c : cpus) out.insert(c.value);
  return out;
}

void CheckState(const mint::MintState& mint) {
  Check(mint.present);
  for (size_t i = 1; i < mint.nodes.size(); ++i) Check(mint.nodes[i - 1].id <= mint.nodes[i].id);
  for (const mint::MintNode& n : mint.nodes) {
    Check(n.name.empty() || !Blank(n.name.back()));
    Check(n.reason.empty() || !Blank(n.reason.back()));
    auto state = mint::ParseNodeState(mint::NodeStateName(n.state), "x");
    Check(state.ok() && *state == n.state);
    for (const mint::PciBdf& d : n.devices) {
      auto again = mint::PciBdf::Parse(d.ToString());
      Check(again.ok() && *again == d);
    }
    auto cpus = mint::ParseCpuList(mint::FormatCpuList(n.cpus));
    Check(cpus.ok() && CpuSet(*cpus) == CpuSet(n.cpus));
    for (const mint::PhysRange& r : n.memory) Check(r.start.value + r.size.bytes >= r.start.value);
    if (n.iommu) {
      Check(n.iommu->size() <= MINT_MAX_PCI);
      for (const mint::PciFence& f : *n.iommu) {
        auto again = mint::PciBdf::Parse(f.bdf.ToString());
        Check(again.ok() && *again == f.bdf);
        Check(!f.group || *f.group >= 0);
      }
    }
  }
  for (const mint::PhysRange& r : mint.pool) Check(r.start.value + r.size.bytes >= r.start.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> fields =
      mint::fuzz::NulFields(std::string_view(reinterpret_cast<const char*>(data), size));
  mint::fuzz::MemoryFs fs;
  const std::string root = kRoot;
  auto put = [&](const std::string& path, const std::string& content) {
    if (content != "\x7f") fs.Put(path, content);
  };
  for (size_t i = 0; i < std::size(kTop) && i < fields.size(); ++i)
    put(root + "/" + kTop[i], fields[i]);
  for (size_t g = std::size(kTop); g < fields.size(); g += kGroup) {
    const std::string& id = fields[g];
    if (id.empty() || id.find('/') != std::string::npos) continue;  // not one directory
    for (size_t f = 0; f < std::size(kNode) && g + 1 + f < fields.size(); ++f)
      put(root + "/nodes/" + id + "/" + kNode[f], fields[g + 1 + f]);
  }

  auto mint = mint::topology::ReadMintState(fs);
  if (mint.ok()) {
    if (fs.Exists(root + "/abi_version")) CheckState(*mint);
  } else {
    Check(!mint.error().message.empty() && mint.error().context.starts_with(kRoot));
  }

  auto nodes = mint::lifecycle::ListNodes(fs);
  Check(nodes.ok() == fs.Exists(kRoot));
  if (!nodes.ok()) return 0;
  // A tree ReadMintState reads as mint's (abi_version is there) has the
  // same nodes for both readers, one per id.
  const bool read = mint.ok() && mint->present;
  if (read) Check(nodes->size() == mint->nodes.size());
  for (const auto& n : *nodes) {
    Check(n.id <= 999 && n.dir.starts_with(root + "/nodes/"));
    Check(n.dir.substr(root.size() + 7) == std::to_string(n.id));
    if (read) {
      auto same = std::find_if(mint->nodes.begin(), mint->nodes.end(),
                               [&](const mint::MintNode& m) { return m.id == n.id; });
      Check(same != mint->nodes.end() && same->state == n.state);
    }
    bool ready = n.state == mint::NodeState::kRunning && n.agent == "ready";
    Check(mint::channel::CheckReady(fs, n.Ref()).ok() == ready);
  }
  return 0;
}
