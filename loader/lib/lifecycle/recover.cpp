// Recover: undo what a killed mintctl left (mint/lifecycle.h). The lock
// makes this safe: while we hold /run/mint/lock no other mintctl is between
// NODE_CREATE and NODE_START, so a node still `created` or `loaded` is
// nobody's work in progress.
#include <set>

#include "mint/apply.h"
#include "mint/lifecycle.h"

namespace mint::lifecycle {

Result<void> Recover(const std::string& root, const HostTopology& host, sys::MintDevice& device,
                     sys::PciDriverControl& pci, std::vector<std::string>& log) {
  std::optional<Error> first;
  auto keep = [&](Result<void> r) {
    if (!r.ok() && !first) first = r.take_error();
  };
  std::set<std::string> alive;
  for (const auto& node : host.mint.nodes) {
    if (!NeverStarted(node.state)) {
      alive.insert(node.name);
      continue;
    }
    log.push_back(node.name + " (id " + std::to_string(node.id) + ") was left " +
                  std::string(NodeStateName(node.state)) +
                  " by a mintctl that did not finish; tearing it down");
    auto torn = apply::Teardown(node, device, pci, log);
    if (!torn.ok()) {
      alive.insert(node.name);
      keep(std::move(torn));
      continue;
    }
    keep(RemoveRecipe(root, node.name));
  }
  auto stranded = apply::StrandedFunctions(host);
  if (!stranded.empty()) {
    for (const auto& bdf : stranded)
      log.push_back(bdf.ToString() +
                    " is on pci-stub but no node owns it (a mintctl stopped between NODE_DESTROY "
                    "and giving it back); giving it back to node0");
    keep(apply::GiveBack("recover", stranded, pci, log));
  }
  for (const auto& name : ListRecipes(root)) {
    if (alive.count(name) != 0) continue;
    log.push_back("removed the boot recipe of " + name + ", which no longer exists");
    keep(RemoveRecipe(root, name));
  }
  if (first) return *first;
  return Ok();
}

}  // namespace mint::lifecycle
