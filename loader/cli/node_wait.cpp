// WaitUntilRunning and WaitForAgentWithin.
#include "node_wait.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "mint/channel.h"
#include "mint/lifecycle.h"
#include "mint/model.h"
#include "mint_fs.h"

namespace mint::cli {
namespace {

// node0 looks at a booting node every 50 ms (arch/x86/mint/dev.c).
constexpr auto kPoll = std::chrono::milliseconds(50);

// The real clock, whose sleeps draw the progress line.
class TickingClock : public channel::Clock {
 public:
  explicit TickingClock(Progress* progress) : progress_(progress) {}
  std::chrono::steady_clock::time_point Now() override { return channel::RealClock().Now(); }
  void Sleep(std::chrono::microseconds d) override {
    if (progress_ != nullptr) progress_->Tick();
    channel::RealClock().Sleep(d);
  }

 private:
  Progress* progress_;
};

// The last console lines, each behind "\n  | ".
std::string Tail(sys::HostFs& fs, const std::string& node_dir) {
  std::vector<std::string> lines = lifecycle::ConsoleTail(fs, node_dir, 10);
  if (lines.empty()) return "\n  (the console is empty)";
  std::string out;
  for (const auto& line : lines) out += "\n  | " + line;
  return out;
}

}  // namespace

Result<void> WaitUntilRunning(sys::HostFs& fs, const std::string& name, const std::string& node_dir,
                              std::chrono::seconds deadline, Progress* progress) {
  auto until = std::chrono::steady_clock::now() + deadline;
  if (progress != nullptr) progress->Step(name + ": waiting until the node says it runs");
  struct Erase {
    Progress* p;
    ~Erase() {
      if (p != nullptr) p->Done();
    }
  } erase{progress};  // before any word about the outcome
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
                           " frees it. Last console lines:" + Tail(fs, node_dir));
    }
    if (std::chrono::steady_clock::now() >= until) break;
    if (progress != nullptr) progress->Tick();
    std::this_thread::sleep_for(kPoll);
  }
  return MakeError(ErrorCode::kIo, name,
                   "failed to boot: still " + std::string(NodeStateName(state)) + " after " +
                       std::to_string(deadline.count()) + " s; mintctl stop --force " + name +
                       " and mintctl destroy " + name +
                       " free it. Last console lines:" + Tail(fs, node_dir));
}

Result<void> WaitForAgentWithin(sys::HostFs& fs, const lifecycle::NodeStatus& node,
                                std::chrono::seconds wait, std::chrono::nanoseconds spent,
                                Progress* progress) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wait - spent);
  if (progress != nullptr) progress->Step(node.name + ": waiting for its mint-agent");
  TickingClock clock(progress);
  auto ready = lifecycle::WaitForAgent(
      fs, node, std::max<std::chrono::milliseconds>(left, std::chrono::seconds(5)), clock);
  if (progress != nullptr) progress->Done();
  return ready;
}

}  // namespace mint::cli
