// What `mintctl plan` and `mintctl boot` share: the node described (file +
// flags), the host discovered, the images read, the plan made, and the
// rehearsal: apply run against recording seams modelled on this host (a
// dry run: every step, the boot image built, the kernel's own limits
// checked, nothing executed). plan prints the rehearsal; boot refuses on it
// before it opens /dev/mint, so nothing a later step would refuse can leave
// a CPU offline or a driver unbound.
#pragma once

#include <string>
#include <vector>

#include "host.h"
#include "mint/apply.h"
#include "mint/timing.h"
#include "node_spec.h"

namespace mint::cli {

struct Planned {
  Host host;
  Plan plan;
  apply::BootFiles files;
  Error kernel_error;  // why files.kernel is empty
  Error initrd_error;  // why files.initrd is empty
};

// Describes, discovers, reads the images and plans. An image that cannot be
// read is left out (the plan notes it; boot refuses it). The kernel is
// taken expanded from the cache, or, with `expand` (boot), expanded now
// (lifecycle::ExpandKernel). `timeline`, when given, gets the phases plan,
// topology and read_images (the expansion included).
Result<Planned> PlanNode(const Globals& globals, const NodeArgs& args, bool expand,
                         timing::Timeline* timeline = nullptr);

// Runs apply against the dry-run seams; `steps` gets every step it would
// run, also when one of them refuses. `timeline` gets it as `rehearse`.
Result<void> Rehearse(const Planned& p, std::vector<std::string>& steps,
                      timing::Timeline* timeline = nullptr);

}  // namespace mint::cli
