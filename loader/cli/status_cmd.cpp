// mintctl status: one row per node as /sys/kernel/mint shows it. The
// heartbeat says whether the node's tick is alive from the kernel's own
// heartbeat_age_ms (how long ago node0 last saw the stalest CPU counter
// move), without waiting. GUESTS: what each node's agent says runs (guests
// of a node that went down: lost).
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "guest_control.h"
#include "mint/lifecycle.h"
#include "mint/text.h"
#include "mint/topology.h"
#include "mint_fs.h"
#include "table.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

// A counter ticks every 10 ms; one silent this long is shown as silent
// (node0 calls the node hung after mint.hung_timeout, 10 s by default).
constexpr uint64_t kSilentMs = 1000;

uint64_t TotalBytes(const std::vector<PhysRange>& ranges) {
  uint64_t n = 0;
  for (const auto& r : ranges) n += r.size.bytes;
  return n;
}

// "12345 (alive)", "12345 (silent 2.5 s)", or the count alone when the
// kernel does not follow the counters (not running or hung).
std::string HeartbeatText(const MintNode& n) {
  std::string count = std::to_string(n.heartbeat);
  if (!n.heartbeat_age_ms) return count;
  if (*n.heartbeat_age_ms < kSilentMs) return count + " (alive)";
  char silent[48];
  std::snprintf(silent, sizeof silent, " (silent %.1f s)",
                static_cast<double>(*n.heartbeat_age_ms) / 1000.0);
  return count + silent;
}

// How node0's IOMMU fences the node's functions (nodes/<id>/iommu): "fenced
// (group 7)", "fenced (groups 2, 7)", "unfenced (--no-iommu)" (the kernel
// fences every function of a node, or none), "-" without functions; a
// function that lost its fence in a fenced node (removed from node0, not
// back) is named: "fenced (group 7); 0000:02:00.0 unfenced". A kernel
// before ABI 4 has no iommu file and fences nothing.
std::string IommuText(const MintNode& n) {
  if (n.devices.empty() && (!n.iommu || n.iommu->empty())) return "-";
  if (!n.iommu) return "unfenced (kernel before ABI 4)";
  std::vector<int> groups;
  std::vector<std::string> unfenced;
  for (const auto& f : *n.iommu) {
    if (!f.group)
      unfenced.push_back(f.bdf.ToString());
    else if (std::find(groups.begin(), groups.end(), *f.group) == groups.end())
      groups.push_back(*f.group);
  }
  if (groups.empty()) return unfenced.empty() ? "-" : "unfenced (--no-iommu)";
  std::sort(groups.begin(), groups.end());
  std::string text = groups.size() == 1 ? "fenced (group " : "fenced (groups ";
  for (size_t i = 0; i < groups.size(); ++i) text += (i ? ", " : "") + std::to_string(groups[i]);
  text += ")";
  if (!unfenced.empty()) {
    text += ";";
    for (const auto& bdf : unfenced) text += " " + bdf;
    text += " unfenced";
  }
  return text;
}

// nodes/<id>/agent: "ready", "absent", or "" on a kernel without the channel.
std::string ReadAgent(sys::HostFs& fs, uint32_t id) {
  auto text = fs.ReadFile(NodeDir(id) + "/agent");
  if (!text.ok()) return "";
  return TrimTrailing(*text);
}

constexpr size_t kConsoleTailLines = 12;

// "2" running guests; "0 (2 lost)" for a node that went down with guests.
// "?" for a running node that could not be asked.
struct GuestCount {
  size_t live = 0, lost = 0;
  bool known = true;
  std::string Text() const {
    if (!known) return "?";
    return std::to_string(live) + (lost ? " (" + std::to_string(lost) + " lost)" : "");
  }
};

GuestCount CountGuests(const Globals& globals, sys::HostFs& fs, const MintNode* node,
                       const std::string& name) {
  std::optional<lifecycle::NodeStatus> status;
  if (node) {
    status = lifecycle::NodeStatus{
        node->id,      node->name,       node->state, node->reason, ReadAgent(fs, node->id),
        node->devices, NodeDir(node->id)};
  }
  GuestView view = ViewGuests(globals, status ? &*status : nullptr, name);
  GuestCount count;
  count.known = view.live || !node || node->state != NodeState::kRunning;
  for (const auto& g : view.guests) {
    if (g.Live()) ++count.live;
    if (g.state == "lost") ++count.lost;
  }
  return count;
}

}  // namespace

Result<void> RunStatus(const Globals& globals, std::ostream& out) {
  MINT_TRY(MintHost host, LoadMint(globals));
  const MintState& mint = host.mint;
  if (!mint.present) return NoMintError();

  if (globals.json) {
    nlohmann::json j = MintJson(mint);
    for (auto& node : j["nodes"]) {
      std::string agent = ReadAgent(*host.fs, node["id"].get<uint32_t>());
      node["agent"] = agent.empty() ? nlohmann::json(nullptr) : nlohmann::json(agent);
      for (const auto& n : mint.nodes)
        if (n.id == node["id"].get<uint32_t>()) {
          node["heartbeat_alive"] = n.heartbeat_age_ms
                                        ? nlohmann::json(*n.heartbeat_age_ms < kSilentMs)
                                        : nlohmann::json(nullptr);
          if (WentDown(n.state))
            node["console_tail"] =
                lifecycle::ConsoleTail(*host.fs, NodeDir(n.id), kConsoleTailLines);
          GuestCount c = CountGuests(globals, *host.fs, &n, n.name);
          node["guests"] = c.known ? nlohmann::json{{"running", c.live}, {"lost", c.lost}}
                                   : nlohmann::json(nullptr);
        }
    }
    GuestCount own = CountGuests(globals, *host.fs, nullptr, "node0");
    j["node0_guests"] = {{"running", own.live}};
    out << JsonText(j) << "\n";
    return Ok();
  }
  out << "mint pool: " << mint.pool_total.ToString() << ", " << mint.pool_free.ToString()
      << " free\n";
  if (mint.nodes.empty()) {
    out << "no nodes\n";
    return Ok();
  }
  GuestCount own = CountGuests(globals, *host.fs, nullptr, "node0");
  if (own.live) out << "node0 runs " << own.live << " guest(s) on its own KVM\n";
  Table t({"NODE", "ID", "STATE", "CPUS", "MEMORY", "DEVICES", "IOMMU", "HEARTBEAT", "UPTIME",
           "AGENT", "GUESTS", "REASON"});
  for (const auto& n : mint.nodes) {
    std::string devices;
    for (const auto& d : n.devices) devices += (devices.empty() ? "" : ",") + d.ToString();
    t.Add({n.name, std::to_string(n.id), std::string(NodeStateName(n.state)), FormatCpuList(n.cpus),
           ByteSize{TotalBytes(n.memory)}.ToString(), devices.empty() ? "-" : devices,
           IommuText(n), HeartbeatText(n), n.uptime.empty() ? "-" : n.uptime + " s",
           [&] {
             std::string a = ReadAgent(*host.fs, n.id);
             return a.empty() ? std::string("-") : a;
           }(),
           CountGuests(globals, *host.fs, &n, n.name).Text(), n.reason.empty() ? "-" : n.reason});
  }
  t.Print(out);
  for (const auto& n : mint.nodes) {
    // A node that went down: the last lines of its console ring (the panic
    // and what led to it), so status shows why without a second command.
    if (!WentDown(n.state)) continue;
    std::vector<std::string> tail =
        lifecycle::ConsoleTail(*host.fs, NodeDir(n.id), kConsoleTailLines);
    if (tail.empty()) continue;
    out << "\n"
        << n.name << " " << NodeStateName(n.state)
        << "; the last lines of its console (mintctl console " << n.name << " has all of it):\n";
    for (const auto& line : tail) {
      std::string shown = PrintableText(line);
      if (!shown.empty()) out << "  " << shown << "\n";
    }
  }
  return Ok();
}

}  // namespace mint::cli
