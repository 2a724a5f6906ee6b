// LockHost: lifecycle::AcquireLock + lifecycle::Recover with the real
// devices, and the notes on stderr.
#include "host_lock.h"

#include <filesystem>

#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::cli {

Result<HostLock> LockHost(const Globals& globals, const std::string& what, std::ostream& note) {
  HostLock held;
  if (!std::filesystem::exists(sys::MintDevicePath(globals.root))) return held;
  MINT_TRY(held.lock, lifecycle::AcquireLock(lifecycle::HostLockPath(globals.root), what,
                                             std::chrono::seconds(globals.lock_wait_s),
                                             channel::RealClock(), [&](const std::string& holder) {
                                               note << "mintctl: waiting for another mintctl ("
                                                    << holder << ") to finish\n"
                                                    << std::flush;
                                             }));
  MINT_TRY(Host host, LoadHost(globals));
  if (!host.topology.mint.present) return held;
  bool leftovers = !lifecycle::ListRecipes(globals.root).empty();
  for (const auto& n : host.topology.mint.nodes) leftovers = leftovers || NeverStarted(n.state);
  for (const auto& f : host.topology.pci) leftovers = leftovers || f.driver == sys::kStubDriver;
  if (!leftovers) return held;
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  auto pci = sys::MakePciDriverControl(*host.fs);
  auto recovered = lifecycle::Recover(globals.root, host.topology, *device, *pci, held.log);
  for (const auto& line : held.log) note << "mintctl: recover: " << line << "\n";
  for (const auto& n : host.topology.mint.nodes)
    if (NeverStarted(n.state)) held.recovered.insert(n.name);
  note << std::flush;
  if (!recovered.ok()) return recovered.take_error();
  return held;
}

}  // namespace mint::cli
