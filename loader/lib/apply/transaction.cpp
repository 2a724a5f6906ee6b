// Transaction: run steps in order, undo the done ones in reverse on failure.
#include "transaction.h"

namespace mint::apply {

Result<void> Transaction::Do(const std::string& what, const Action& run, std::string undo_what,
                             Action undo) {
  size_t step = ++steps_;
  log_.push_back(std::to_string(step) + ". " + what);
  auto result = run();
  if (!result.ok()) {
    log_.push_back("   failed: " + result.error().ToString());
    return result;
  }
  if (undo) undos_.push_back(Undo{step, std::move(undo_what), std::move(undo)});
  return Ok();
}

void Transaction::Skip(const std::string& what) {
  log_.push_back(std::to_string(++steps_) + ". " + what);
}

Error Transaction::Abort(Error original) {
  std::vector<std::string> failures;
  for (auto it = undos_.rbegin(); it != undos_.rend(); ++it) {
    log_.push_back("undo " + std::to_string(it->step) + ": " + it->what);
    auto undone = it->action();
    if (!undone.ok()) {
      log_.push_back("   failed: " + undone.error().ToString());
      failures.push_back(it->what + " failed: " + undone.error().ToString());
    }
  }
  undos_.clear();
  if (!failures.empty()) {
    original.message += "; undoing it did not fully work, fix by hand:";
    for (const auto& f : failures) original.message += " " + f + ";";
    original.message.pop_back();
  }
  return original;
}

}  // namespace mint::apply
