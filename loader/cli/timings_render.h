// A Timeline for people (`--timings`: one line per phase, its time and the
// running total) and for scripts (the "timings" object of boot's and
// restart's --json; schema in docs/mintctl.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "mint/timing.h"

namespace mint::cli {

// mintctl's phases, then the node kernel's (`node` names the node).
void PrintTimings(const timing::Timeline& timeline, const std::string& node, std::ostream& out);
nlohmann::json TimingsJson(const timing::Timeline& timeline);

}  // namespace mint::cli
