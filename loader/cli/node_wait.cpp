// WaitUntilRunning and ConsoleTail.
#include "node_wait.h"

#include <thread>
#include <vector>

#include "mint/model.h"

namespace mint::cli {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(200);

}  // namespace

std::string ConsoleTail(sys::HostFs& fs, const std::string& node_dir, size_t lines) {
  auto text = fs.ReadFile(node_dir + "/console");
  if (!text.ok() || text->empty()) return "\n  (the console is empty)";
  std::vector<std::string> all;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    all.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "\n  | " + all[i];
  return out;
}

Result<void> WaitUntilRunning(sys::HostFs& fs, const std::string& name, const std::string& node_dir,
                              std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  NodeState state = NodeState::kBooting;
  while (true) {
    auto text = fs.ReadFile(node_dir + "/state");
    if (!text.ok()) return text.take_error();
    MINT_TRY(state, ParseNodeState(*text, node_dir + "/state"));
    if (state == NodeState::kRunning) return Ok();
    if (WentDown(state) || state == NodeState::kStopped) {
      auto reason = fs.ReadFile(node_dir + "/reason");
      std::string why = reason.ok() ? TrimTrailing(*reason) : "";
      return MakeError(ErrorCode::kIo, name,
                       "failed to boot: the node is " + std::string(NodeStateName(state)) +
                           (why.empty() ? "" : " (" + why + ")") + "; mintctl destroy " + name +
                           " frees it. Last console lines:" + ConsoleTail(fs, node_dir));
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(kPoll);
  }
  return MakeError(ErrorCode::kIo, name,
                   "failed to boot: still " + std::string(NodeStateName(state)) + " after " +
                       std::to_string(deadline.count()) + " s; mintctl stop --force " + name +
                       " and mintctl destroy " + name +
                       " free it. Last console lines:" + ConsoleTail(fs, node_dir));
}

}  // namespace mint::cli
