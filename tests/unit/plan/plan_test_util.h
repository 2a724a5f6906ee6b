// Shared helpers of the plan tests: run MakePlan with an unread kernel and
// get the plan or the refusal.
#pragma once

#include <gtest/gtest.h>

#include "host_builder.h"
#include "mint/plan.h"

namespace mint::testing {

inline plan::KernelImage UnreadKernel() {
  return plan::KernelImage{"/boot/mint/bzImage", std::nullopt, "No such file or directory"};
}

inline Plan MustPlan(const HostTopology& host, const NodeSpec& spec) {
  auto plan = plan::MakePlan(host, spec, UnreadKernel());
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().ToString());
  return plan.ok() ? *plan : Plan{};
}

inline Error Refusal(const HostTopology& host, const NodeSpec& spec) {
  auto plan = plan::MakePlan(host, spec, UnreadKernel());
  EXPECT_FALSE(plan.ok()) << "the plan was made; expected a refusal";
  return plan.ok() ? Error{} : plan.error();
}

inline bool HasNote(const Plan& plan, const std::string& note) {
  for (const auto& n : plan.notes)
    if (n == note) return true;
  return false;
}

}  // namespace mint::testing
