// mintctl watch [--interval MS]: a foreground loop over lifecycle::Watcher
// that applies each node's on_crash (restart with its budget, or stop)
// and prints one timestamped line per event as it happens (flushed: the
// journal stamps lines as they come), until SIGINT or SIGTERM (status 0).
// Each action takes the host lock only while it acts.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/sys/mint_device.h"
#include "mint/text.h"
#include "node_wait.h"

namespace mint::cli {
namespace {

// How long a restarted node may take to run and answer before its guests
// are given up on (the watcher then reports the error and goes on).
constexpr auto kGuestsWait = std::chrono::seconds(90);

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

std::string Now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  return buf;
}

}  // namespace

Result<void> RunWatch(const Globals& globals, uint32_t interval_ms, std::ostream& out) {
  auto fs = sys::OpenHostFs(globals.root);
  MINT_CHECK(lifecycle::ListNodes(*fs));  // no mint: say so at once
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  lifecycle::Watcher::Actions actions;
  actions.lock = [&](const std::string& what, bool parks_only) -> Result<lifecycle::Lock> {
    MINT_TRY(HostLock held,
             LockHost(globals, what, out,
                      parks_only ? IfRecoveryFails::kWarn : IfRecoveryFails::kRefuse));
    return std::move(held.lock);
  };
  actions.restart = [&](const lifecycle::NodeStatus& node, lifecycle::Lock& lock) -> Result<void> {
    MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
    std::vector<std::string> log;
    MINT_CHECK(lifecycle::Restart(globals.root, *fs, *device, node.name, ReadBytes, {}, log));
    lock.Release();
    // Its guests follow it: once it runs and its agent answers.
    MINT_CHECK(WaitUntilRunning(*fs, node.name, node.dir, kGuestsWait));
    MINT_CHECK(lifecycle::WaitForAgent(*fs, node, kGuestsWait, channel::RealClock()));
    std::ostringstream lines;
    auto started = StartRecipeGuests(globals, node.name, lines);
    std::istringstream in(lines.str());
    for (std::string line; std::getline(in, line);)
      out << Now() << " " << PrintableText(line) << "\n";
    return started;
  };
  actions.kill = [&](const lifecycle::NodeStatus& node, lifecycle::Lock&) -> Result<void> {
    MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
    return lifecycle::Kill(*device, node);
  };
  lifecycle::Watcher watcher(globals.root, *fs, actions, channel::RealClock());
  out << Now() << " watching /sys/kernel/mint every " << interval_ms
      << " ms (Ctrl-C or SIGTERM ends)\n"
      << std::flush;
  while (!g_stop) {
    // Each line flushed as it comes (the journal stamps it on arrival).
    watcher.Poll([&](const std::string& line) {
      out << Now() << " " << PrintableText(line) << "\n" << std::flush;
    });
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
    while (!g_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<uint32_t>(interval_ms, 50)));
  }
  out << Now() << " watch ends\n";
  return Ok();
}

}  // namespace mint::cli
