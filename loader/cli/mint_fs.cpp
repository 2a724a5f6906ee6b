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

Result<std::string> NodeDir(sys::HostFs& fs, const std::string& name) {
  if (!fs.Exists(kMintSysfs)) return NoMintError();
  std::string nodes = std::string(kMintSysfs) + "/nodes";
  auto ids = fs.ListDir(nodes);
  if (ids.ok()) {
    for (const auto& id : *ids) {
      auto text = fs.ReadFile(nodes + "/" + id + "/name");
      if (!text.ok()) continue;
      std::string n = *text;
      while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
      if (n == name) return nodes + "/" + id;
    }
  }
  return MakeError(ErrorCode::kNotFound, name,
                   "no node with this name; mintctl status lists the nodes");
}

}  // namespace mint::cli
