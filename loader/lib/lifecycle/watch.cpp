// Watcher (mint/lifecycle.h): one line per event, handed out as it
// happens, on_crash applied once per failure and only to the node as it
// still is under the host lock, restarts counted against the recipe's
// budget in /run/mint/watch.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mint/lifecycle.h"
#include "mint/sys/state_file.h"

namespace mint::lifecycle {
namespace {

constexpr int kCountVersion = 1;

std::string Name(NodeState state) { return std::string(NodeStateName(state)); }

std::string With(NodeState state, const std::string& reason) {
  return Name(state) + (reason.empty() ? "" : " (" + reason + ")");
}

}  // namespace

Result<uint32_t> ReadRestartCount(const std::string& root, const std::string& node, uint32_t id) {
  std::string path = RestartCountPath(root, node);
  std::ifstream in(path);
  if (!in) return 0u;
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(text.str());
    if (j.value("version", 0) == kCountVersion && j.at("node").get<std::string>() == node) {
      if (j.at("id").get<uint32_t>() != id) return 0u;  // an earlier node of this name
      return j.at("restarts").get<uint32_t>();
    }
  } catch (const nlohmann::json::exception&) {
  }
  return MakeError(ErrorCode::kInvalidArgument, path,
                   "not a watch restart count; remove it (the node's restart budget starts "
                   "afresh)");
}

Result<void> WriteRestartCount(const std::string& root, const std::string& node, uint32_t id,
                               uint32_t restarts) {
  nlohmann::json j{{"version", kCountVersion}, {"node", node}, {"id", id}, {"restarts", restarts}};
  return sys::WriteStateFile(RestartCountPath(root, node), j.dump() + "\n");
}

Result<void> RemoveRestartCount(const std::string& root, const std::string& node) {
  std::error_code ec;
  std::filesystem::remove(RestartCountPath(root, node), ec);
  if (ec)
    return MakeError(ErrorCode::kIo, RestartCountPath(root, node), "cannot remove it", ec.value());
  return Ok();
}

Watcher::Watcher(std::string root, sys::HostFs& fs, Actions actions, channel::Clock& clock)
    : root_(std::move(root)), fs_(fs), actions_(std::move(actions)), clock_(clock) {}

std::vector<std::string> Watcher::Poll() {
  std::vector<std::string> lines;
  Poll([&](const std::string& line) { lines.push_back(line); });
  return lines;
}

void Watcher::Poll(const LineFn& emit) {
  auto nodes = ListNodes(fs_);
  if (!nodes.ok()) {
    emit("cannot read the nodes: " + nodes.error().ToString());
    return;
  }
  std::set<std::string> present;
  for (const auto& node : *nodes) {
    present.insert(node.name);
    auto it = seen_.find(node.name);
    const bool is_new = it == seen_.end();
    Seen& s = seen_[node.name];
    if (!is_new && s.id != node.id) {  // destroyed and booted again between two polls
      s = Seen{};
      s.state = node.state;
    }
    s.id = node.id;
    if (is_new) {
      auto count = ReadRestartCount(root_, node.name, node.id);
      if (count.ok())
        s.restarts = *count;
      else
        emit(count.error().ToString());
      auto recipe = ReadRecipe(root_, node.name);
      std::string policy =
          recipe.ok() ? "on_crash " + std::string(OnCrashName(recipe->on_crash)) +
                            (recipe->on_crash == OnCrash::kRestart
                                 ? ", restart budget " + std::to_string(recipe->restart_budget)
                                 : "")
                      : "no boot recipe: watched only";
      if (recipe.ok() && recipe->on_crash == OnCrash::kRestart && s.restarts > 0)
        policy += " (" + std::to_string(s.restarts) + " used)";
      emit(node.name + (first_ ? " is " : " appeared: ") +
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
      emit(line);
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
      emit(node.name + ": no boot recipe, so watch leaves it " + Name(node.state));
      continue;
    }
    if (recipe->on_crash == OnCrash::kRestart) {
      // The count on file is the truth: the operator's `mintctl restart`
      // removes it (a fresh budget), another watch may have added to it.
      if (auto count = ReadRestartCount(root_, node.name, node.id); count.ok()) s.restarts = *count;
      if (s.restarts >= recipe->restart_budget) {
        emit(node.name + ": restart budget used up (" + std::to_string(s.restarts) + " of " +
             std::to_string(recipe->restart_budget) + "); left " + Name(node.state) +
             "; mintctl restart " + node.name + " or mintctl destroy " + node.name);
        continue;
      }
      Lock lock;
      if (!StillAsSeen(node, "watch: restart " + node.name, false, lock, emit)) continue;
      ++s.restarts;
      if (auto saved = WriteRestartCount(root_, node.name, node.id, s.restarts); !saved.ok())
        emit(node.name + ": the restart count is not kept: " + saved.error().ToString());
      // From here: the CLI's restart returns once the node runs and its
      // agent answers, so "N s after the restart" is the whole restart.
      s.restarted_at = clock_.Now();
      auto r = actions_.restart(node, lock);
      if (r.ok()) {
        emit(node.name + ": on_crash restart: restarted (" + std::to_string(s.restarts) + " of " +
             std::to_string(recipe->restart_budget) + ")");
      } else {
        s.restarted_at = {};
        emit(node.name + ": on_crash restart failed: " + r.error().ToString());
      }
      continue;
    }
    if (node.state == NodeState::kHung) {
      Lock lock;
      if (!StillAsSeen(node, "watch: kill " + node.name, true, lock, emit)) continue;
      auto r = actions_.kill(node, lock);
      emit(node.name + (r.ok() ? ": on_crash stop: killed (its CPUs are parked); "
                                 "mintctl destroy " +
                                     node.name + " frees it"
                               : ": on_crash stop: kill failed: " + r.error().ToString()));
    } else {
      emit(node.name + ": on_crash stop: left " + Name(node.state) + "; mintctl destroy " +
           node.name + " frees it");
    }
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (present.count(it->first) == 0) {
      emit(it->first + " is gone (destroyed)");
      it = seen_.erase(it);
    } else {
      ++it;
    }
  }
  first_ = false;
}

std::optional<NodeStatus> Watcher::StillAsSeen(const NodeStatus& node, const std::string& what,
                                               bool parks_only, Lock& lock, const LineFn& emit) {
  auto held = actions_.lock(what, parks_only);
  if (!held.ok()) {
    emit(node.name + ": " + what.substr(what.find(' ') + 1) +
         " not done: " + held.error().ToString());
    seen_[node.name].acted = false;  // try again on the next poll
    return std::nullopt;
  }
  lock = std::move(*held);
  auto now = FindNode(fs_, node.name);
  if (!now.ok() || now->id != node.id || now->state != node.state) {
    std::string is = !now.ok()            ? "gone"
                     : now->id != node.id ? "a new node (id " + std::to_string(now->id) + ")"
                                          : Name(now->state);
    emit(node.name + " is " + is +
         " by the time watch holds the host lock (someone else acted on it); watch "
         "leaves it");
    lock.Release();
    return std::nullopt;
  }
  return *now;
}

}  // namespace mint::lifecycle
