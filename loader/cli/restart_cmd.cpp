// mintctl restart: the same node booted again from its boot recipe, with
// the CPUs, memory and functions it holds (mint::lifecycle::Restart), then
// waited for and its autostart guests started; the times of each step are
// printed.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
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

}  // namespace mint::cli
