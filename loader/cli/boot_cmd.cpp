// mintctl boot. Everything is decided before anything is touched: the node
// is planned and the whole apply is rehearsed against the dry-run seams
// (boot image built, the kernel's limits checked) with the real images; a
// refusal there ends the boot with the host exactly as it was. Then, under
// the host lock (which recovers leftovers first): the node's boot recipe
// is written from the plan just before the first change (so restart and
// watch can boot the node again), apply runs for real against /dev/mint,
// the recipe is dropped if no node came of it, the lock is released once
// the node is started, then mintctl waits for its mint-agent to say ready
// (readiness: `mintctl exec` works from then on) and starts the node's
// autostart guests. Each phase is measured on a timing::Timeline (with the
// node kernel's own from its console): `--timings` prints it after the rest,
// --json carries it.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint_fs.h"
#include "node_clock.h"
#include "node_wait.h"
#include "plan_render.h"
#include "planned.h"
#include "timings_render.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

// The images boot needs, read; the rehearsal; its refusal carries the
// steps it reached, so the operator sees where it stopped.
Result<void> CheckBeforeTouching(const Planned& p, timing::Timeline& timeline) {
  if (!p.files.kernel)
    return MakeError(p.kernel_error.code, p.plan.kernel,
                     "cannot read the node's kernel; give one with --kernel FILE (or kernel: in "
                     "the nodeconf file)",
                     p.kernel_error.sys_errno);
  if (!p.files.initrd)
    return MakeError(p.initrd_error.code, p.initrd_error.context,
                     p.initrd_error.context == p.plan.initrd
                         ? "cannot read the node's initramfs; give one with --initrd FILE (or "
                           "initrd: in the nodeconf file)"
                         : p.initrd_error.message,
                     p.initrd_error.sys_errno);
  std::vector<std::string> steps;
  auto rehearsed = Rehearse(p, steps, &timeline);
  if (rehearsed.ok()) return Ok();
  Error error = rehearsed.take_error();
  error.message += "; nothing on the host was changed";
  return error;
}

// Plans, rehearses, then applies for real. `before_apply` sees the plan
// after every check and before the first change to the host. With --json
// the plan and steps go to `json` (printed once boot ends). The node's
// console is read through `fs`, which outlives the plan's host.
Result<void> Boot(const Globals& globals, const NodeArgs& args, uint32_t wait_s, std::ostream& out,
                  const std::function<Result<void>(const Plan&)>& before_apply,
                  timing::Timeline& timeline, std::optional<nlohmann::json>& json, sys::HostFs& fs,
                  std::optional<NodeClock>& node_clock) {
  MINT_TRY(Planned p, PlanNode(globals, args, true, &timeline));
  if (!globals.json) PrintPlan(p.plan, out);
  // A kernel without mint is said first (OpenMintDevice words it); the
  // device is opened once the rehearsal passed.
  const std::string device_path = sys::MintDevicePath(globals.root);
  if (!std::filesystem::exists(device_path)) return sys::OpenMintDevice(device_path).take_error();
  MINT_CHECK(CheckBeforeTouching(p, timeline));
  MINT_TRY(auto device, sys::OpenMintDevice(device_path));
  MINT_CHECK(before_apply(p.plan));
  auto pci = sys::MakePciDriverControl(*p.host.fs);
  apply::Ledger ledger(lifecycle::LedgerDir(globals.root));
  std::vector<std::string> steps;
  auto applied = apply::Apply(p.plan, p.files, *device, *pci, &ledger, steps, &timeline);
  if (globals.json) {
    json = PlanJson(p.plan, steps);
    (*json)["started"] = applied.ok();
  } else {
    PrintSteps(applied.ok() ? "Steps:" : "Steps (undone after the failure):", steps, out);
  }
  if (!applied.ok()) return applied.take_error();
  if (wait_s > 0) {
    const std::string dir = NodeDir(p.plan.node_id);
    node_clock.emplace(fs, dir, p.plan.name);  // it outlives `p`
    auto running = timing::Timed(&timeline, timing::Phase::kRunning, [&] {
      Progress progress(std::cerr, Progress::ForStderr(globals));
      return WaitUntilRunning(*p.host.fs, p.plan.name, dir, std::chrono::seconds(wait_s),
                              &progress);
    });
    node_clock->Look(timeline);
    MINT_CHECK(running);
  }
  if (!globals.json)
    out << "\n"
        << p.plan.name << (wait_s > 0 ? " is running" : " is starting") << "; `mintctl console "
        << p.plan.name << "` shows its console, `mintctl status` its state\n";
  return Ok();
}

}  // namespace

Result<void> RunBootNode(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                         bool timings, std::ostream& out) {
  timing::Timeline timeline;
  const auto t0 = timeline.Now();
  const std::string what = args.flags.name.value_or(args.file);
  MINT_TRY(HostLock held, timing::Timed(&timeline, timing::Phase::kLock, [&] {
             return LockHost(globals, "boot " + what, std::cerr);
           }));
  std::optional<std::string> recipe;  // the node whose recipe was written
  auto write_recipe = [&](const Plan& plan) -> Result<void> {
    if (!held.lock.held()) return Ok();
    MINT_CHECK(lifecycle::WriteRecipe(globals.root, lifecycle::RecipeFromPlan(plan)));
    recipe = plan.name;
    return Ok();
  };
  std::optional<nlohmann::json> json;
  std::optional<NodeClock> node_clock;
  // Every way out from here: the JSON (with the timings) or the timings.
  auto finish = [&](Result<void> result) {
    if (node_clock) node_clock->AddTo(timeline);
    if (json) {
      (*json)["timings"] = TimingsJson(timeline);
      out << JsonText(*json) << "\n";
    } else if (timings && !globals.json) {
      PrintTimings(timeline, recipe.value_or(what), out);
    }
    return result;
  };
  auto fs = sys::OpenHostFs(globals.root);
  auto booted = Boot(globals, args, wait_s, out, write_recipe, timeline, json, *fs, node_clock);
  if (!booted.ok()) {
    if (recipe && !lifecycle::FindNode(*fs, *recipe).ok())
      (void)lifecycle::RemoveRecipe(globals.root, *recipe);
    return finish(std::move(booted));
  }
  held.lock.Release();
  if (!recipe || wait_s == 0) return finish(Ok());
  auto node = lifecycle::FindNode(*fs, *recipe);
  if (!node.ok()) return finish(node.take_error());
  auto ready = timing::Timed(&timeline, timing::Phase::kAgent, [&] {
    Progress progress(std::cerr, Progress::ForStderr(globals));
    return WaitForAgentWithin(*fs, *node, std::chrono::seconds(wait_s), timeline.Now() - t0,
                              &progress);
  });
  if (node_clock) node_clock->Look(timeline);
  if (!ready.ok()) return finish(std::move(ready));
  if (!globals.json && node->agent != "")
    out << node->name << "'s mint-agent is ready: mintctl exec " << node->name
        << " -- CMD runs commands in it\n";
  return finish(timing::Timed(&timeline, timing::Phase::kGuests, [&] {
    return StartRecipeGuests(globals, node->name, globals.json ? std::cerr : out);
  }));
}

}  // namespace mint::cli
