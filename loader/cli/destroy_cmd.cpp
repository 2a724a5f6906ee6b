// mintctl destroy: the end of a stopped, crashed or failed node; under the
// host lock, apply::Teardown gives its CPUs, memory and functions back to
// node0 as the ledger says mint took them, and its recipe and guest
// record go.
#include <iostream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/apply.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint_fs.h"

namespace mint::cli {

Result<void> RunDestroy(const Globals& globals, const std::string& name, std::ostream& out) {
  MINT_TRY(HostLock held, LockHost(globals, "destroy " + name, std::cerr));
  if (held.recovered.count(name) != 0) {
    out << name << " destroyed (it was left half-made by a mintctl that did not finish)\n";
    return Ok();
  }
  MINT_TRY(MintHost host, LoadMint(globals));
  if (!host.mint.present) return NoMintError();
  const MintNode* node = nullptr;
  for (const auto& n : host.mint.nodes)
    if (n.name == name) node = &n;
  if (node == nullptr)
    return MakeError(ErrorCode::kNotFound, name,
                     "no node with this name; mintctl status lists the nodes");
  if (MayRun(node->state))
    return MakeError(ErrorCode::kConflict, name,
                     "the node is " + std::string(NodeStateName(node->state)) +
                         "; stop it first (mintctl stop " + name + ", or mintctl kill " + name +
                         ")");
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  auto pci = sys::MakePciDriverControl(*host.fs);
  std::vector<std::string> log;
  apply::Ledger ledger(lifecycle::LedgerDir(globals.root));
  auto torn = apply::Teardown(*node, *device, *pci, ledger, log);
  for (size_t i = 0; i < log.size(); ++i) out << "  " << i + 1 << ". " << log[i] << "\n";
  MINT_CHECK(std::move(torn));
  MINT_CHECK(lifecycle::RemoveRecipe(globals.root, name));
  MINT_CHECK(lifecycle::RemoveRestartCount(globals.root, name));
  RemoveGuestRecord(globals.root, name);  // a new node of this name starts with no past guests
  out << name << " destroyed: CPUs " << FormatCpuList(node->cpus) << " back in node0";
  if (!node->devices.empty()) out << ", " << node->devices.size() << " PCI function(s) given back";
  out << "\n";
  return Ok();
}

}  // namespace mint::cli
