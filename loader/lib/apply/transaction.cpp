// Transaction: run steps in order, undo the done ones in reverse on failure;
// undos hung under a parent step run right after it, only if it worked.
#include "transaction.h"

namespace mint::apply {

Result<void> Transaction::Run(const std::string& what, const Action& run) {
  log_.push_back(std::to_string(++steps_) + ". " + what);
  auto result = run();
  // Why is the error Apply returns (the CLI prints it once): not repeated here.
  if (!result.ok()) log_.push_back("   failed");
  return result;
}

Result<void> Transaction::Do(const std::string& what, const Action& run, std::string undo_what,
                             Action undo) {
  MINT_CHECK(Run(what, run));
  if (undo) undos_.push_back(Undo{steps_, std::move(undo_what), std::move(undo), {}, {}});
  return Ok();
}

Result<void> Transaction::DoUnder(size_t parent, const std::string& what, const Action& run,
                                  std::string undo_what, Action undo, std::string if_skipped) {
  MINT_CHECK(Run(what, run));
  undos_.push_back(
      Undo{steps_, std::move(undo_what), std::move(undo), parent, std::move(if_skipped)});
  return Ok();
}

void Transaction::Skip(const std::string& what) {
  log_.push_back(std::to_string(++steps_) + ". " + what);
}

Error Transaction::Abort(Error original) {
  std::vector<std::string> failures;
  auto undo = [&](const Undo& u) {
    log_.push_back("undo " + std::to_string(u.step) + ": " + u.what);
    auto undone = u.action();
    if (undone.ok()) return true;
    log_.push_back("   failed");  // why: in the error Abort returns
    failures.push_back(u.what + " failed: " + undone.error().ToString());
    return false;
  };
  for (auto it = undos_.rbegin(); it != undos_.rend(); ++it) {
    if (it->parent) continue;
    bool worked = undo(*it);
    for (auto child = undos_.rbegin(); child != undos_.rend(); ++child) {
      if (child->parent != it->step) continue;
      if (worked) {
        undo(*child);
        continue;
      }
      log_.push_back("undo " + std::to_string(child->step) + ": " + child->what);
      log_.push_back("   skipped: " + child->if_skipped);
      failures.push_back(child->what + " skipped: " + child->if_skipped);
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
