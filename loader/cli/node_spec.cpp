// BuildNodeSpec: read -f FILE (if given) with config::ParseNodeConf, then
// config::ApplyFlags. All checking is config's and plan's.
#include "node_spec.h"

#include "host.h"

namespace mint::cli {

Result<NodeSpec> BuildNodeSpec(const NodeArgs& args) {
  NodeSpec base;
  if (!args.file.empty()) {
    auto read = ReadBytes(args.file);
    if (!read.ok())
      return MakeError(ErrorCode::kInvalidArgument, args.file,
                       read.error().code == ErrorCode::kUnsupported
                           ? read.error().message  // not a file, or far too big: it says which
                           : "cannot read this nodeconf file; check the path given to -f",
                       read.error().sys_errno);
    std::vector<uint8_t> bytes = std::move(read).value();
    std::string yaml(bytes.begin(), bytes.end());
    MINT_TRY(base, config::ParseNodeConf(yaml, args.file));
  }
  return config::ApplyFlags(std::move(base), args.flags);
}

}  // namespace mint::cli
