// ListNodes and FindNode: the nodes as /sys/kernel/mint/nodes/<id>/ shows
// them (docs/abi.md), the few attributes lifecycle decisions need.
#include <algorithm>

#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

constexpr const char* kMint = "/sys/kernel/mint";

std::string Attr(sys::HostFs& fs, const std::string& dir, const char* name) {
  auto text = fs.ReadFile(dir + "/" + name);
  return text.ok() ? TrimTrailing(*text) : "";
}

}  // namespace

MintNode NodeStatus::AsMintNode() const {
  MintNode n;
  n.id = id;
  n.name = name;
  n.state = state;
  n.reason = reason;
  n.devices = devices;
  return n;
}

Result<std::vector<NodeStatus>> ListNodes(sys::HostFs& fs) {
  if (!fs.Exists(kMint))
    return MakeError(ErrorCode::kUnsupported, kMint,
                     "this kernel has no mint support: /sys/kernel/mint is missing; boot node0 "
                     "with the mint kernel (see README)");
  std::vector<NodeStatus> out;
  auto ids = fs.ListDir(std::string(kMint) + "/nodes");
  if (!ids.ok()) return out;
  for (const auto& entry : *ids) {
    std::optional<uint32_t> id = NodeIdOfEntry(entry);
    if (!id) continue;  // not a node
    NodeStatus n;
    n.id = *id;
    n.dir = std::string(kMint) + "/nodes/" + entry;
    n.name = Attr(fs, n.dir, "name");
    // A node whose state cannot be read or named is left out, so one odd
    // entry never keeps watch or kill from the others (status, through
    // topology::Discover, names the file).
    auto state = fs.ReadFile(n.dir + "/state");
    if (!state.ok()) continue;
    auto parsed = ParseNodeState(*state, n.dir + "/state");
    if (!parsed.ok()) continue;
    n.state = *parsed;
    n.reason = Attr(fs, n.dir, "reason");
    n.agent = Attr(fs, n.dir, "agent");
    auto devices = fs.ReadFile(n.dir + "/devices");
    if (devices.ok()) {
      size_t pos = 0;
      while (pos < devices->size()) {
        size_t end = devices->find('\n', pos);
        if (end == std::string::npos) end = devices->size();
        std::string line = TrimTrailing(devices->substr(pos, end - pos));
        if (auto bdf = PciBdf::Parse(line); !line.empty() && bdf.ok()) n.devices.push_back(*bdf);
        pos = end + 1;
      }
    }
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<NodeStatus> FindNode(sys::HostFs& fs, const std::string& name) {
  MINT_TRY(auto nodes, ListNodes(fs));
  for (auto& n : nodes)
    if (n.name == name) return n;
  return MakeError(ErrorCode::kNotFound, name,
                   "no node with this name; mintctl status lists the nodes");
}

}  // namespace mint::lifecycle
