// Kernel image check: the file the node boots must be a bzImage with a boot
// protocol a node can enter (boot::ProbeBzImage decides). When the CLI
// could not read it (a dry run on another machine) the plan says so.
#include <cstdio>

#include "internal.h"
#include "mint/boot.h"

namespace mint::plan::internal {

Result<void> CheckKernel(const KernelImage& kernel, const NodeSpec& spec,
                         std::vector<std::string>& notes) {
  std::string path = kernel.path;
  std::string origin = spec.kernel.empty() ? " (the default)" : "";
  if (!kernel.bytes) {
    notes.push_back("kernel " + path + origin + " was not read here (" + kernel.unreadable +
                    "), so it was not checked; mintctl boot reads and checks it");
    return Ok();
  }
  auto info = boot::ProbeBzImage(*kernel.bytes, path);
  if (!info.ok()) {
    Error error = info.take_error();
    if (!spec.kernel_where.ToString().empty() && error.context.empty())
      error.context = spec.kernel_where.ToString();
    return error;
  }
  char version[16];
  std::snprintf(version, sizeof version, "%u.%02u", info->protocol >> 8, info->protocol & 0xff);
  notes.push_back("kernel " + path + origin + ": a bzImage, boot protocol " + version);
  return Ok();
}

}  // namespace mint::plan::internal
