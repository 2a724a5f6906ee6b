// mintctl plan and mintctl boot. Both describe the node (file + flags),
// discover the host and make the plan; plan then runs apply against the
// recording seams (a dry run: the same steps, nothing executed), boot opens
// /dev/mint and runs apply for real.
#include <cstring>

#include "commands.h"
#include "mint/apply.h"
#include "mint/lifecycle.h"
#include "mint/plan.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint_fs.h"
#include "node_wait.h"
#include "plan_render.h"
#include "topology_json.h"

namespace mint::cli {
namespace {

struct Planned {
  Host host;
  Plan plan;
  apply::BootFiles files;
  Error kernel_error;  // why files.kernel is empty
  Error initrd_error;  // why files.initrd is empty
};

// Reads the images the node would boot; a file that cannot be read is left
// out (plan notes it; boot refuses it).
Result<Planned> MakeThePlan(const Globals& globals, const NodeArgs& args) {
  Planned p;
  MINT_TRY(NodeSpec spec, BuildNodeSpec(args));
  MINT_TRY(p.host, LoadHost(globals));
  plan::KernelImage kernel{plan::KernelPathFor(spec), std::nullopt, ""};
  auto kernel_bytes = ReadBytes(kernel.path);
  if (kernel_bytes.ok()) {
    kernel.bytes = *kernel_bytes;
    p.files.kernel = std::move(*kernel_bytes);
  } else {
    p.kernel_error = kernel_bytes.take_error();
    if (p.kernel_error.code == ErrorCode::kUnsupported) return p.kernel_error;  // no image file
    kernel.unreadable = std::strerror(p.kernel_error.sys_errno);
  }
  MINT_TRY(p.plan, plan::MakePlan(p.host.topology, spec, kernel));
  auto initrd_bytes = lifecycle::ReadInitrd(p.plan.initrd, p.plan.initrd_layers, ReadBytes);
  if (initrd_bytes.ok())
    p.files.initrd = std::move(*initrd_bytes);
  else if (initrd_bytes.error().code == ErrorCode::kUnsupported)
    return initrd_bytes.take_error();  // no image file: refused in plan too
  else
    p.initrd_error = initrd_bytes.take_error();
  return p;
}

}  // namespace

Result<void> RunPlan(const Globals& globals, const NodeArgs& args, std::ostream& out) {
  MINT_TRY(Planned p, MakeThePlan(globals, args));
  apply::DryRun seams = apply::MakeDryRun(p.host.topology);
  std::vector<std::string> steps;
  auto applied = apply::Apply(p.plan, p.files, *seams.device, *seams.pci, steps);
  if (globals.json) {
    out << JsonText(PlanJson(p.plan, steps)) << "\n";
  } else {
    PrintPlan(p.plan, out);
    PrintSteps(
        "Steps mintctl boot would run (dry run: nothing was changed; addresses are "
        "illustrative, the kernel picks the real ones):",
        steps, out);
  }
  if (!applied.ok()) return applied.take_error();
  return Ok();
}

Result<void> RunBoot(const Globals& globals, const NodeArgs& args, uint32_t wait_s,
                     std::ostream& out,
                     const std::function<Result<void>(const Plan&)>& before_apply) {
  MINT_TRY(Planned p, MakeThePlan(globals, args));
  if (!globals.json) PrintPlan(p.plan, out);
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
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
  if (before_apply) MINT_CHECK(before_apply(p.plan));
  auto pci = sys::MakePciDriverControl(*p.host.fs);
  std::vector<std::string> steps;
  auto applied = apply::Apply(p.plan, p.files, *device, *pci, steps);
  if (globals.json) {
    nlohmann::json j = PlanJson(p.plan, steps);
    j["started"] = applied.ok();
    out << JsonText(j) << "\n";
  } else {
    PrintSteps(applied.ok() ? "Steps:" : "Steps (undone after the failure):", steps, out);
  }
  if (!applied.ok()) return applied.take_error();
  if (wait_s > 0) {
    MINT_CHECK(WaitUntilRunning(*p.host.fs, p.plan.name, NodeDir(p.plan.node_id),
                                std::chrono::seconds(wait_s)));
  }
  if (!globals.json)
    out << "\n"
        << p.plan.name << (wait_s > 0 ? " is running" : " is starting") << "; `mintctl console "
        << p.plan.name << "` shows its console, `mintctl status` its state\n";
  return Ok();
}

}  // namespace mint::cli
