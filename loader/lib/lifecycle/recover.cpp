// Recover: undo what a killed mintctl left (mint/lifecycle.h), and only
// that: the ledger (mint/ledger.h) says what mint changed. The lock makes
// this safe: while we hold /run/mint/lock no other mintctl is between
// NODE_CREATE and NODE_START, so a node still `created` or `loaded` is
// nobody's work in progress.
#include <map>
#include <set>

#include "mint/apply.h"
#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

std::string Who(const MintNode& n) { return n.name + " (id " + std::to_string(n.id) + ")"; }
std::string DriverName(const std::string& d) { return d.empty() ? "no driver" : d; }

const PciFunction* FunctionOf(const HostTopology& host, const PciBdf& bdf) {
  for (const auto& f : host.pci)
    if (f.bdf == bdf) return &f;
  return nullptr;
}

}  // namespace

Result<void> Recover(const std::string& root, const HostTopology& host, sys::MintDevice& device,
                     sys::PciDriverControl& pci, Recovery& out) {
  std::vector<std::string>& log = out.log;
  std::optional<Error> first;
  auto keep = [&](Result<void> r) {
    if (!r.ok() && !first) first = r.take_error();
  };
  apply::Ledger ledger(LedgerDir(root));
  std::set<std::string> alive;
  for (const auto& node : host.mint.nodes) {
    if (!NeverStarted(node.state)) {
      alive.insert(node.name);
      continue;
    }
    auto entry = ledger.Read(node.name);
    if (!entry.ok()) {  // cannot tell what mint did: leave the node to the operator
      alive.insert(node.name);
      log.push_back(Who(node) + " is left " + std::string(NodeStateName(node.state)) +
                    "; its ledger cannot be read");
      keep(entry.take_error());
      continue;
    }
    if (*entry && (*entry)->restarting && (*entry)->id == node.id) {
      alive.insert(node.name);
      log.push_back(Who(node) + " was left " + std::string(NodeStateName(node.state)) +
                    " by a mintctl restart that did not finish; kept with its CPUs, memory, "
                    "functions and boot recipe: mintctl restart " +
                    node.name + " starts it, mintctl destroy " + node.name + " frees it");
      continue;
    }
    log.push_back(Who(node) + " was left " + std::string(NodeStateName(node.state)) +
                  " by a mintctl that did not finish; tearing it down");
    auto torn = apply::Teardown(node, device, pci, ledger, log);
    if (!torn.ok()) {
      alive.insert(node.name);
      keep(std::move(torn));
      continue;
    }
    out.torn_down.insert(node.name);
    keep(RemoveRecipe(root, node.name));
    keep(RemoveRestartCount(root, node.name));
  }

  // Entries of nodes that are gone: what mint changed and did not undo yet.
  std::vector<Error> unreadable;
  for (auto& entry : ledger.ReadAll(unreadable)) {
    bool exists = false;
    for (const auto& n : host.mint.nodes) exists = exists || n.name == entry.node;
    if (exists) continue;
    if (!entry.cpus.empty()) {
      log.push_back("the ledger of " + entry.node + " lists CPUs " + FormatCpuList(entry.cpus) +
                    ", but no node " + entry.node +
                    " exists (NODE_DESTROY gave them back, or NODE_CREATE never took them); "
                    "forgotten");
      keep(ledger.ForgetCpus(entry.node));
    }
    std::vector<apply::LedgerFunction> back;
    for (const auto& f : entry.functions) {
      const PciFunction* now = FunctionOf(host, f.bdf);
      const MintNode* owner = host.OwnerOf(f.bdf);
      std::string name = f.bdf.ToString();
      // NODE_DESTROY leaves a function unbound; before NODE_ASSIGN_PCI it
      // was on pci-stub.
      bool left = now != nullptr && (now->driver == sys::kStubDriver || now->driver.empty());
      if (left && owner == nullptr && f.driver != sys::kStubDriver && now->driver != f.driver) {
        log.push_back(name + " is " +
                      (now->driver.empty() ? std::string("unbound") : "on pci-stub") +
                      ", where mint put it for " + entry.node +
                      ", which no longer exists (a mintctl stopped between NODE_DESTROY and "
                      "giving it back); giving it back to node0 (" +
                      DriverName(f.driver) + ")");
        back.push_back(f);
        continue;
      }
      std::string where = now == nullptr     ? "gone from node0's PCI bus"
                          : owner != nullptr ? "owned by " + owner->name
                                             : "on " + DriverName(now->driver);
      log.push_back("the ledger of " + entry.node + " lists " + name + " (node0 had it on " +
                    DriverName(f.driver) + "); it is " + where +
                    " now, so it is left there; "
                    "forgotten");
      keep(ledger.ForgetFunction(entry.node, f.bdf));
    }
    if (!back.empty()) keep(apply::GiveBack(entry.node, back, pci, ledger, log));
  }
  for (auto& e : unreadable) keep(std::move(e));

  for (const auto& name : ListRecipes(root)) {
    if (alive.count(name) != 0) continue;
    log.push_back("removed the boot recipe of " + name + ", which no longer exists");
    keep(RemoveRecipe(root, name));
    keep(RemoveRestartCount(root, name));
  }
  if (first) return *first;
  return Ok();
}

}  // namespace mint::lifecycle
