// mintctl stop, kill, restart, destroy and recover: a node's life after
// boot. Each holds the host lock (which first recovers what a killed
// mintctl left) and leaves the decisions to mint::lifecycle and
// mint::apply (Teardown gives CPUs, memory and functions back to node0).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/apply.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint_fs.h"
#include "node_wait.h"

namespace mint::cli {
namespace {

std::string Seconds(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(
      buf, sizeof buf, "%.1f s",
      static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) / 1000);
  return buf;
}

}  // namespace

Result<void> RunStop(const Globals& globals, const std::string& name, bool force,
                     uint32_t timeout_ms, std::ostream& out) {
  // Parking a node's own CPUs takes nothing: a leftover that cannot be
  // recovered must not keep the operator from killing a hung node.
  MINT_TRY(HostLock held, LockHost(globals, (force ? "kill " : "stop ") + name, std::cerr,
                                   IfRecoveryFails::kWarn));
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  if (force)
    MINT_CHECK(lifecycle::Kill(*device, node));
  else
    MINT_CHECK(device->Stop(node.id, false, timeout_ms));
  if (force)
    out << name << " killed (its CPUs are parked); mintctl restart " << name
        << " boots it again, mintctl destroy " << name << " gives its resources back to node0\n";
  else
    out << name << " stopped; mintctl destroy " << name << " gives its resources back to node0\n";
  return Ok();
}

Result<void> RunRestart(const Globals& globals, const std::string& name, uint32_t wait_s,
                        uint32_t timeout_ms, std::ostream& out) {
  MINT_TRY(HostLock held, LockHost(globals, "restart " + name, std::cerr));
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  std::vector<std::string> log;
  const auto t0 = std::chrono::steady_clock::now();
  auto restarted =
      lifecycle::Restart(globals.root, *fs, *device, name, ReadBytes, {timeout_ms}, log);
  for (size_t i = 0; i < log.size(); ++i) out << "  " << i + 1 << ". " << log[i] << "\n";
  if (!restarted.ok()) return restarted.take_error();
  // The operator brought it back: watch's on_crash budget starts afresh.
  if (auto reset = lifecycle::RemoveRestartCount(globals.root, name); !reset.ok())
    std::cerr << "mintctl: warning: " << reset.error().ToString() << "\n";
  held.lock.Release();  // a booting node is no leftover: others may go on
  const auto started = std::chrono::steady_clock::now();
  if (wait_s == 0) {
    out << name << " is starting again; mintctl status shows its state\n";
    return Ok();
  }
  MINT_CHECK(WaitUntilRunning(*fs, name, node.dir, std::chrono::seconds(wait_s)));
  const auto running = std::chrono::steady_clock::now();
  auto left = std::chrono::seconds(wait_s) - (running - t0);
  MINT_CHECK(lifecycle::WaitForAgent(
      *fs, node,
      std::max<std::chrono::milliseconds>(
          std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::seconds(5)),
      channel::RealClock()));
  const auto ready = std::chrono::steady_clock::now();
  out << name << " restarted: started " << Seconds(started - t0) << ", running "
      << Seconds(running - t0) << ", mint-agent ready " << Seconds(ready - t0)
      << " after mintctl restart began\n";
  return StartRecipeGuests(globals, name, out);
}

Result<void> RunDestroy(const Globals& globals, const std::string& name, std::ostream& out) {
  MINT_TRY(HostLock held, LockHost(globals, "destroy " + name, std::cerr));
  if (held.recovered.count(name) != 0) {
    out << name << " destroyed (it was left half-made by a mintctl that did not finish)\n";
    return Ok();
  }
  MINT_TRY(Host host, LoadHost(globals));
  if (!host.topology.mint.present) return NoMintError();
  const MintNode* node = nullptr;
  for (const auto& n : host.topology.mint.nodes)
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

Result<void> RunRecover(const Globals& globals, std::ostream& out) {
  if (!std::filesystem::exists(sys::MintDevicePath(globals.root)))
    return MakeError(ErrorCode::kUnsupported, "/dev/mint",
                     "this kernel has no mint support: /dev/mint is missing; boot node0 with the "
                     "mint kernel (see README)");
  std::ostringstream notes;
  MINT_TRY(HostLock held, LockHost(globals, "recover", notes));
  if (held.log.empty()) {
    out << "nothing to recover: no node is left created or loaded, mint's ledger lists nothing "
           "left to give back, no boot recipe is orphaned\n";
    return Ok();
  }
  for (const auto& line : held.log) out << line << "\n";
  return Ok();
}

}  // namespace mint::cli
