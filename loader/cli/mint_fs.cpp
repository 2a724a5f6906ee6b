// NoMintError and NodeDir.
#include "mint_fs.h"

namespace mint::cli {

Error NoMintError() {
  return MakeError(ErrorCode::kUnsupported, kMintSysfs,
                   "this kernel has no mint support: /sys/kernel/mint is missing; boot node0 "
                   "with the mint kernel (see README)");
}

std::string NodeDir(uint32_t id) {
  return std::string(kMintSysfs) + "/nodes/" + std::to_string(id);
}

}  // namespace mint::cli
