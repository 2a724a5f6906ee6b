// mintctl restart: the same node booted again from its boot recipe, with
// the CPUs, memory and functions it holds (mint::lifecycle::Restart), then
// waited for and its autostart guests started; the times of each step are
// printed. Each phase is measured on a timing::Timeline (with the node
// kernel's own from its console): `--timings` prints it after the rest,
// --json carries it.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
#include "node_clock.h"
#include "node_wait.h"
#include "timings_render.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

std::string Seconds(timing::Duration d) {
  char buf[32];
  std::snprintf(
      buf, sizeof buf, "%.1f s",
      static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) / 1000);
  return buf;
}

}  // namespace

Result<void> RunRestart(const Globals& globals, const std::string& name, uint32_t wait_s,
                        uint32_t timeout_ms, bool timings, std::ostream& out) {
  using timing::Phase;
  timing::Timeline timeline;
  MINT_TRY(HostLock held, timing::Timed(&timeline, Phase::kLock, [&] {
             return LockHost(globals, "restart " + name, std::cerr);
           }));
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  std::vector<std::string> log;
  std::optional<NodeClock> node_clock;
  bool started = false;
  // Every way out from here: the JSON (with the timings) or the timings.
  auto finish = [&](Result<void> result) {
    if (node_clock) node_clock->AddTo(timeline);
    if (globals.json) {
      nlohmann::json j{{"name", name},
                       {"node_id", node.id},
                       {"steps", log},
                       {"started", started},
                       {"timings", TimingsJson(timeline)}};
      out << JsonText(j) << "\n";
    } else if (timings) {
      PrintTimings(timeline, name, out);
    }
    return result;
  };
  auto restarted =
      lifecycle::Restart(globals.root, *fs, *device, name, ReadBytes, {timeout_ms}, log, &timeline);
  if (!globals.json)
    for (size_t i = 0; i < log.size(); ++i) out << "  " << i + 1 << ". " << log[i] << "\n";
  if (!restarted.ok()) return finish(restarted.take_error());
  started = true;
  // The operator brought it back: watch's on_crash budget starts afresh.
  if (auto reset = lifecycle::RemoveRestartCount(globals.root, name); !reset.ok())
    std::cerr << "mintctl: warning: " << reset.error().ToString() << "\n";
  held.lock.Release();  // a booting node is no leftover: others may go on
  if (wait_s == 0) {
    if (!globals.json) out << name << " is starting again; mintctl status shows its state\n";
    return finish(Ok());
  }
  node_clock.emplace(*fs, node.dir, name);
  auto running = timing::Timed(&timeline, Phase::kRunning, [&] {
    Progress progress(std::cerr, Progress::ForStderr(globals));
    return WaitUntilRunning(*fs, name, node.dir, std::chrono::seconds(wait_s), &progress);
  });
  node_clock->Look(timeline);
  if (!running.ok()) return finish(std::move(running));
  auto ready = timing::Timed(&timeline, Phase::kAgent, [&] {
    Progress progress(std::cerr, Progress::ForStderr(globals));
    return WaitForAgentWithin(*fs, node, std::chrono::seconds(wait_s), timeline.Elapsed(),
                              &progress);
  });
  node_clock->Look(timeline);
  if (!ready.ok()) return finish(std::move(ready));
  if (!globals.json)
    out << name << " restarted: started " << Seconds(*timeline.EndOf(Phase::kStart)) << ", running "
        << Seconds(*timeline.EndOf(Phase::kRunning)) << ", mint-agent ready "
        << Seconds(*timeline.EndOf(Phase::kAgent)) << " after mintctl restart began\n";
  return finish(timing::Timed(&timeline, Phase::kGuests, [&] {
    return StartRecipeGuests(globals, name, globals.json ? std::cerr : out);
  }));
}

}  // namespace mint::cli
