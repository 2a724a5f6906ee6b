// mintctl boot, the lifecycle around L1's plan/apply path (RunBoot in
// plan_cmd.cpp): take the host lock (recovering leftovers), write the
// node's boot recipe before NODE_START (so restart and watch can boot it
// again), run RunBoot, drop the recipe if no node came of it, release the
// lock once the node is started, then wait for its mint-agent to say
// ready (readiness: `mintctl exec` works from then on).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "host_lock.h"
#include "mint/plan.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {
namespace {

// The plan boot is about to make, for its recipe. The kernel is not read
// here (RunBoot reads and checks it); nullopt when the plan refuses (then
// RunBoot reports why).
std::optional<Plan> PlanForRecipe(const Globals& globals, const NodeArgs& args) {
  auto spec = BuildNodeSpec(args);
  if (!spec.ok()) return std::nullopt;
  auto host = LoadHost(globals);
  if (!host.ok()) return std::nullopt;
  plan::KernelImage kernel{plan::KernelPathFor(*spec), std::nullopt, "not read"};
  auto p = plan::MakePlan(host->topology, *spec, kernel);
  if (!p.ok()) return std::nullopt;
  return *p;
}

}  // namespace

Result<void> RunBootNode(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                         std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  MINT_TRY(HostLock held,
           LockHost(globals, "boot " + args.flags.name.value_or(args.file), std::cerr));
  std::optional<Plan> plan;
  if (held.lock.held()) plan = PlanForRecipe(globals, args);
  if (plan) MINT_CHECK(lifecycle::WriteRecipe(globals.root, lifecycle::RecipeFromPlan(*plan)));
  auto booted = RunBoot(globals, args, wait_s, out);
  auto fs = sys::OpenHostFs(globals.root);
  if (!booted.ok()) {
    if (plan && !lifecycle::FindNode(*fs, plan->name).ok())
      (void)lifecycle::RemoveRecipe(globals.root, plan->name);
    return booted;
  }
  held.lock.Release();
  if (!plan || wait_s == 0) return Ok();
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, plan->name));
  auto left = std::chrono::seconds(wait_s) - (std::chrono::steady_clock::now() - t0);
  MINT_CHECK(lifecycle::WaitForAgent(
      *fs, node,
      std::max<std::chrono::milliseconds>(
          std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::seconds(5)),
      channel::RealClock()));
  if (!globals.json && node.agent != "")
    out << node.name << "'s mint-agent is ready: mintctl exec " << node.name
        << " -- CMD runs commands in it\n";
  return Ok();
}

}  // namespace mint::cli
