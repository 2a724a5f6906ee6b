// LockHost: lifecycle::AcquireLock + lifecycle::Recover with the real
// devices, and the notes on stderr.
#include "host_lock.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "mint/ledger.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::cli {
namespace {

// Anything lifecycle::Recover acts on: a node half-made (never started),
// or a ledger entry or boot recipe of a node that no longer exists, or a
// ledger file that cannot be read. (A function on pci-stub without a ledger
// entry is not mint's.) Live nodes have both a ledger entry and a recipe.
bool MayHaveLeftovers(const Globals& globals, const MintState& mint) {
  std::set<std::string> nodes;
  for (const auto& n : mint.nodes) {
    if (NeverStarted(n.state)) return true;
    nodes.insert(n.name);
  }
  for (const auto& name : lifecycle::ListRecipes(globals.root))
    if (nodes.count(name) == 0) return true;
  std::vector<Error> unreadable;
  for (const auto& entry : apply::Ledger(lifecycle::LedgerDir(globals.root)).ReadAll(unreadable))
    if (nodes.count(entry.node) == 0) return true;
  return !unreadable.empty();
}

// The look is mint's state only; the whole host is read when there is
// something to recover.
Result<void> RecoverLeftovers(const Globals& globals, HostLock& held, std::ostream& note) {
  MINT_TRY(MintHost look, LoadMint(globals));
  if (!look.mint.present || !MayHaveLeftovers(globals, look.mint)) return Ok();
  MINT_TRY(Host host, LoadHost(globals));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  auto pci = sys::MakePciDriverControl(*host.fs);
  lifecycle::Recovery recovery;
  auto recovered = lifecycle::Recover(globals.root, host.topology, *device, *pci, recovery);
  for (const auto& line : recovery.log) note << "mintctl: recover: " << line << "\n";
  note << std::flush;
  held.log = std::move(recovery.log);
  held.recovered = std::move(recovery.torn_down);
  return recovered;
}

}  // namespace

Result<HostLock> LockHost(const Globals& globals, const std::string& what, std::ostream& note,
                          IfRecoveryFails if_fails) {
  HostLock held;
  if (!std::filesystem::exists(sys::MintDevicePath(globals.root))) return held;
  MINT_TRY(held.lock, lifecycle::AcquireLock(lifecycle::HostLockPath(globals.root), what,
                                             std::chrono::seconds(globals.lock_wait_s),
                                             channel::RealClock(), [&](const std::string& holder) {
                                               note << "mintctl: waiting for another mintctl ("
                                                    << holder << ") to finish\n"
                                                    << std::flush;
                                             }));
  auto recovered = RecoverLeftovers(globals, held, note);
  if (recovered.ok()) return held;
  if (if_fails == IfRecoveryFails::kRefuse) return recovered.take_error();
  note << "mintctl: warning: recovering what a killed mintctl left failed: "
       << recovered.error().ToString() << "; going on with " << what
       << " (mintctl recover tries again)\n"
       << std::flush;
  return held;
}

}  // namespace mint::cli
