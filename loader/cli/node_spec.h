// The node-describing arguments of `mintctl plan` and `mintctl boot`, and
// how they become a NodeSpec (nodeconf file first, flags on top).
#pragma once

#include <string>

#include "mint/config.h"
#include "mint/model.h"
#include "mint/result.h"

namespace mint::cli {

struct NodeArgs {
  std::string file;  // -f FILE
  config::NodeFlags flags;
};

Result<NodeSpec> BuildNodeSpec(const NodeArgs& args);

}  // namespace mint::cli
