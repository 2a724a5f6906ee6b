// mintctl boot, the lifecycle around the plan/apply path (RunBoot in
// plan_cmd.cpp): take the host lock (recovering leftovers), write the
// node's boot recipe from RunBoot's own plan just before it changes
// anything (so restart and watch can boot the node again), drop the recipe
// if no node came of it, release the lock once the node is started, then
// wait for its mint-agent to say ready (readiness: `mintctl exec` works from
// then on), then start the node's autostart guests.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "guest_control.h"
#include "host_lock.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {

Result<void> RunBootNode(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                         std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  MINT_TRY(HostLock held,
           LockHost(globals, "boot " + args.flags.name.value_or(args.file), std::cerr));
  std::optional<std::string> recipe;  // the node whose recipe was written
  auto write_recipe = [&](const Plan& plan) -> Result<void> {
    if (!held.lock.held()) return Ok();
    MINT_CHECK(lifecycle::WriteRecipe(globals.root, lifecycle::RecipeFromPlan(plan)));
    recipe = plan.name;
    return Ok();
  };
  auto booted = RunBoot(globals, args, wait_s, out, write_recipe);
  auto fs = sys::OpenHostFs(globals.root);
  if (!booted.ok()) {
    if (recipe && !lifecycle::FindNode(*fs, *recipe).ok())
      (void)lifecycle::RemoveRecipe(globals.root, *recipe);
    return booted;
  }
  held.lock.Release();
  if (!recipe || wait_s == 0) return Ok();
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, *recipe));
  auto left = std::chrono::seconds(wait_s) - (std::chrono::steady_clock::now() - t0);
  MINT_CHECK(lifecycle::WaitForAgent(
      *fs, node,
      std::max<std::chrono::milliseconds>(
          std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::seconds(5)),
      channel::RealClock()));
  if (!globals.json && node.agent != "")
    out << node.name << "'s mint-agent is ready: mintctl exec " << node.name
        << " -- CMD runs commands in it\n";
  return StartRecipeGuests(globals, node.name, globals.json ? std::cerr : out);
}

}  // namespace mint::cli
