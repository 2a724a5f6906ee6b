// A Plan for people (a short table, the notes, the steps) and for scripts
// (JSON; schema in docs/mintctl.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "mint/model.h"

namespace mint::cli {

void PrintPlan(const Plan& plan, std::ostream& out);
void PrintSteps(const std::string& title, const std::vector<std::string>& steps, std::ostream& out);
nlohmann::json PlanJson(const Plan& plan, const std::vector<std::string>& steps);

}  // namespace mint::cli
