#include "planned.h"

#include <cstring>

#include "mint/lifecycle.h"
#include "mint/plan.h"

namespace mint::cli {

Result<Planned> PlanNode(const Globals& globals, const NodeArgs& args, bool expand,
                         timing::Timeline* timeline) {
  using timing::Phase;
  using timing::Timed;
  Planned p;
  MINT_TRY(NodeSpec spec, Timed(timeline, Phase::kPlan, [&] { return BuildNodeSpec(args); }));
  MINT_TRY(p.host, Timed(timeline, Phase::kTopology, [&] { return LoadHost(globals); }));
  plan::KernelImage kernel{plan::KernelPathFor(spec), std::nullopt, ""};
  auto kernel_bytes = Timed(timeline, Phase::kReadImages, [&] { return ReadBytes(kernel.path); });
  if (kernel_bytes.ok()) {
    kernel.bytes = *kernel_bytes;
    p.files.kernel = std::move(*kernel_bytes);
  } else {
    p.kernel_error = kernel_bytes.take_error();
    if (p.kernel_error.code == ErrorCode::kUnsupported) return p.kernel_error;  // no image file
    kernel.unreadable = std::strerror(p.kernel_error.sys_errno);
  }
  MINT_TRY(p.plan, Timed(timeline, Phase::kPlan,
                         [&] { return plan::MakePlan(p.host.topology, spec, kernel); }));
  if (p.files.kernel) {
    timing::Span span(timeline, Phase::kReadImages);
    lifecycle::KernelExpansion x = lifecycle::ExpandKernel(globals.root, *p.files.kernel, expand);
    p.files.expanded = std::move(x.decompressed);
    p.files.expanded_note = std::move(x.note);
    p.files.kaslr_random = lifecycle::KaslrRandom();
  }
  auto initrd_bytes = Timed(timeline, Phase::kReadImages, [&] {
    return lifecycle::ReadInitrd(p.plan.initrd, p.plan.initrd_layers, ReadBytes);
  });
  if (initrd_bytes.ok())
    p.files.initrd = std::move(*initrd_bytes);
  else if (initrd_bytes.error().code == ErrorCode::kUnsupported)
    return initrd_bytes.take_error();  // no image file: refused in plan too
  else
    p.initrd_error = initrd_bytes.take_error();
  return p;
}

Result<void> Rehearse(const Planned& p, std::vector<std::string>& steps,
                      timing::Timeline* timeline) {
  timing::Span span(timeline, timing::Phase::kRehearse);
  // Without a mint pool (a plan made on another kernel) the dry run's pool
  // is exactly the node's memory: the plan already said it was not checked.
  apply::DryRun seams = apply::MakeDryRun(p.host.topology, p.plan.memory.bytes);
  auto applied = apply::Apply(p.plan, p.files, *seams.device, *seams.pci, nullptr, steps);
  if (!applied.ok()) return applied.take_error();
  return Ok();
}

}  // namespace mint::cli
