// Watcher (mint/lifecycle.h): one line per event, on_crash applied once
// per failure, restarts counted against the recipe's budget.
#include <cstdio>
#include <set>

#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

std::string With(NodeState state, const std::string& reason) {
  return std::string(NodeStateName(state)) + (reason.empty() ? "" : " (" + reason + ")");
}

std::string Name(NodeState state) { return std::string(NodeStateName(state)); }

}  // namespace

Watcher::Watcher(std::string root, sys::HostFs& fs, Actions actions, channel::Clock& clock)
    : root_(std::move(root)), fs_(fs), actions_(std::move(actions)), clock_(clock) {}

std::vector<std::string> Watcher::Poll() {
  std::vector<std::string> lines;
  auto nodes = ListNodes(fs_);
  if (!nodes.ok()) {
    lines.push_back("cannot read the nodes: " + nodes.error().ToString());
    return lines;
  }
  std::set<std::string> present;
  for (const auto& node : *nodes) {
    present.insert(node.name);
    auto it = seen_.find(node.name);
    const bool is_new = it == seen_.end();
    Seen& s = seen_[node.name];
    if (is_new) {
      auto recipe = ReadRecipe(root_, node.name);
      std::string policy =
          recipe.ok() ? "on_crash " + std::string(OnCrashName(recipe->on_crash)) +
                            (recipe->on_crash == OnCrash::kRestart
                                 ? ", restart budget " + std::to_string(recipe->restart_budget)
                                 : "")
                      : "no boot recipe: watched only";
      lines.push_back(node.name + (first_ ? " is " : " appeared: ") +
                      With(node.state, WentDown(node.state) ? node.reason : "") + "; " + policy);
    } else if (s.state != node.state) {
      std::string line = node.name + ": " + Name(s.state) + " -> " +
                         With(node.state, node.state == NodeState::kRunning ? "" : node.reason);
      if (node.state == NodeState::kRunning && s.restarted_at.time_since_epoch().count() != 0) {
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - s.restarted_at)
                .count();
        char buf[64];
        std::snprintf(buf, sizeof buf, " (%.1f s after the restart)",
                      static_cast<double>(ms) / 1000);
        line += buf;
        s.restarted_at = {};
      }
      lines.push_back(line);
    }
    s.state = node.state;
    if (!WentDown(node.state)) {
      s.acted = false;
      continue;
    }
    if (s.acted) continue;
    s.acted = true;
    auto recipe = ReadRecipe(root_, node.name);
    if (!recipe.ok()) {
      lines.push_back(node.name + ": no boot recipe, so watch leaves it " + Name(node.state));
      continue;
    }
    if (recipe->on_crash == OnCrash::kRestart) {
      if (s.restarts >= recipe->restart_budget) {
        lines.push_back(node.name + ": restart budget used up (" + std::to_string(s.restarts) +
                        " of " + std::to_string(recipe->restart_budget) + "); left " +
                        Name(node.state) + "; mintctl restart " + node.name +
                        " or mintctl destroy " + node.name);
        continue;
      }
      ++s.restarts;
      auto r = actions_.restart(node);
      if (r.ok()) {
        s.restarted_at = clock_.Now();
        lines.push_back(node.name + ": on_crash restart: restarted (" + std::to_string(s.restarts) +
                        " of " + std::to_string(recipe->restart_budget) + ")");
      } else {
        lines.push_back(node.name + ": on_crash restart failed: " + r.error().ToString());
      }
      continue;
    }
    if (node.state == NodeState::kHung) {
      auto r = actions_.kill(node);
      lines.push_back(node.name + (r.ok()
                                       ? ": on_crash stop: killed (its CPUs are parked); "
                                         "mintctl destroy " +
                                             node.name + " frees it"
                                       : ": on_crash stop: kill failed: " + r.error().ToString()));
    } else {
      lines.push_back(node.name + ": on_crash stop: left " + Name(node.state) +
                      "; mintctl destroy " + node.name + " frees it");
    }
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (present.count(it->first) == 0) {
      lines.push_back(it->first + " is gone (destroyed)");
      it = seen_.erase(it);
    } else {
      ++it;
    }
  }
  first_ = false;
  return lines;
}

}  // namespace mint::lifecycle
