// mintctl plan: the node planned against this host and the steps boot
// would run, rehearsed against the dry-run seams (nothing is changed).
#include "commands.h"
#include "plan_render.h"
#include "planned.h"
#include "topology_json.h"

namespace mint::cli {

Result<void> RunPlan(const Globals& globals, const NodeArgs& args, std::ostream& out) {
  MINT_TRY(Planned p, PlanNode(globals, args, false));
  std::vector<std::string> steps;
  auto rehearsed = Rehearse(p, steps);
  if (globals.json) {
    out << JsonText(PlanJson(p.plan, steps)) << "\n";
  } else {
    PrintPlan(p.plan, out);
    PrintSteps(
        "Steps mintctl boot would run (dry run: nothing was changed; addresses are "
        "illustrative, the kernel picks the real ones):",
        steps, out);
  }
  return rehearsed;
}

}  // namespace mint::cli
