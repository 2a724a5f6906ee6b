// NoMintError, NodeDir, ReadConsole and ConsoleTail.
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

Result<std::string> ReadConsole(sys::HostFs& fs, const std::string& node_dir) {
  return fs.ReadFile(node_dir + "/console");
}

std::vector<std::string> ConsoleTail(sys::HostFs& fs, const std::string& node_dir, size_t lines) {
  auto text = ReadConsole(fs, node_dir);
  std::vector<std::string> out;
  if (!text.ok()) return out;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
    start = end + 1;
  }
  if (out.size() > lines) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(lines));
  return out;
}

}  // namespace mint::cli
