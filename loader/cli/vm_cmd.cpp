// mintctl vm start|list|stop|kill|rm|console|exec: KVM guests inside a node
// (or on node0's own KVM with NODE = node0). The node's mint-agent runs and
// supervises each guest's QEMU; mintctl speaks to it through GuestControl
// (guest_control.h) and prints. `vm list` without a node shows every node's
// guests, and guests of a node that went down as lost, with its reason.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "guest_control.h"
#include "mint/text.h"
#include "table.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

std::string Uptime(const vm::GuestStatus& g) {
  if (g.state != "running") return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", g.uptime_s);
  return buf;
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Said(const vm::GuestStatus& g, const std::string& node) {
  std::string text = g.name + " in " + node + " is " + g.state;
  if (!g.reason.empty()) text += " (" + g.reason + ")";
  return PrintableText(text);  // the state and reason are the node's words
}

}  // namespace

Result<void> RunVmStart(const Globals& globals, const std::string& node,
                        const config::GuestFlags& flags, std::ostream& out) {
  MINT_TRY(GuestSpec spec, config::GuestFromFlags(flags));
  MINT_TRY(auto control, OpenGuests(globals, node));
  MINT_TRY(vm::GuestStatus g, control->Start(spec));
  if (globals.json) {
    out << vm::GuestStatusToJson(g) << "\n";
    return Ok();
  }
  out << g.name << " started in " << node << ": pid " << g.pid << ", " << g.vcpus << " vCPU, "
      << g.memory.ToString() << (g.disk.empty() ? "" : ", disk " + PrintableText(g.disk))
      << "; mintctl vm console " << node << " " << g.name << " shows its console\n";
  return Ok();
}

Result<void> RunVmList(const Globals& globals, const std::optional<std::string>& only,
                       std::ostream& out) {
  auto fs = sys::OpenHostFs(globals.root);
  std::vector<std::pair<std::string, GuestView>> views;
  auto nodes = lifecycle::ListNodes(*fs);
  if (only && *only != "node0") {
    if (!nodes.ok()) return nodes.take_error();
    const lifecycle::NodeStatus* found = nullptr;
    for (const auto& n : *nodes)
      if (n.name == *only) found = &n;
    if (found == nullptr && ReadGuestRecord(globals.root, *only).empty())
      return MakeError(ErrorCode::kNotFound, *only,
                       "no node with this name; mintctl status lists the nodes");
    views.emplace_back(*only, ViewGuests(globals, found, *only));
  } else {
    views.emplace_back("node0", ViewGuests(globals, nullptr, "node0"));
    if (!only && nodes.ok())
      for (const auto& n : *nodes) views.emplace_back(n.name, ViewGuests(globals, &n, n.name));
  }
  if (globals.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [node, view] : views)
      for (const auto& g : view.guests) {
        nlohmann::json e = nlohmann::json::parse(vm::GuestStatusToJson(g));
        e["node"] = node;
        e["live"] = view.live;
        j.push_back(e);
      }
    out << JsonText(j) << "\n";
    return Ok();
  }
  Table t({"NODE", "GUEST", "STATE", "VCPUS", "MEMORY", "UPTIME", "REASON"});
  std::vector<std::string> unknown;
  for (const auto& [node, view] : views) {
    for (const auto& g : view.guests)
      t.Add({node, g.name, g.state, std::to_string(g.vcpus), g.memory.ToString(), Uptime(g),
             g.reason.empty() ? "-" : g.reason});
    if (!view.live && view.guests.empty() && !view.why.empty() && node != "node0")
      unknown.push_back(node + ": no guests known (" + view.why + ")");
  }
  if (t.empty())
    out << "no guests\n";
  else
    t.Print(out);
  for (const auto& line : unknown) out << PrintableText(line) << "\n";
  return Ok();
}

Result<void> RunVmStop(const Globals& globals, const std::string& node, const std::string& guest,
                       bool kill, uint32_t timeout_s, std::ostream& out) {
  MINT_TRY(auto control, OpenGuests(globals, node));
  MINT_TRY(vm::GuestStatus g,
           kill ? control->Kill(guest) : control->Stop(guest, std::chrono::seconds(timeout_s)));
  if (globals.json)
    out << vm::GuestStatusToJson(g) << "\n";
  else
    out << Said(g, node) << "; its disk file stays" << (g.disk.empty() ? "" : " (" + g.disk + ")")
        << "\n";
  return Ok();
}

Result<void> RunVmRemove(const Globals& globals, const std::string& node, const std::string& guest,
                         std::ostream& out) {
  MINT_TRY(auto control, OpenGuests(globals, node));
  MINT_CHECK(control->Remove(guest));
  out << guest << " forgotten in " << node << " (its disk file, if any, stays)\n";
  return Ok();
}

Result<void> RunVmConsole(const Globals& globals, const std::string& node, const std::string& guest,
                          bool follow) {
  MINT_TRY(auto control, OpenGuests(globals, node));
  std::cout.flush();
  return control->Console(guest, follow, [](std::string_view bytes) { WriteAll(1, bytes); });
}

int RunVmExec(const Globals& globals, const std::string& node, const std::string& guest,
              double timeout_s, const std::vector<std::string>& argv) {
  auto control = OpenGuests(globals, node);
  if (!control.ok()) {
    PrintError(control.error(), std::cerr);
    return kExecFailed;
  }
  std::cout.flush();
  auto status = (*control)->Exec(guest, argv,
                                 std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)),
                                 [](std::string_view bytes) { WriteAll(1, bytes); });
  if (!status.ok()) {
    PrintError(status.error(), std::cerr);
    return kExecFailed;
  }
  return *status;
}

}  // namespace mint::cli
