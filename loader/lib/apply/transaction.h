// Transaction: the do/undo bookkeeping of apply. Each step that succeeds
// leaves its undo behind; Abort runs them in reverse and folds any undo
// failure into the error it returns. A step may instead hang its undo under
// an earlier step (DoUnder): such an undo runs right after its parent's
// undo, and only if that worked — apply uses it so that a function goes
// back to node0's driver only after NODE_DESTROY took it from the node.
// Private to mint_apply.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mint/result.h"

namespace mint::apply {

class Transaction {
 public:
  using Action = std::function<Result<void>()>;

  explicit Transaction(std::vector<std::string>& log) : log_(log) {}

  // Runs `run`, logging "N. what" (and "   failed" after it when it
  // fails: the reason is the returned error). On success remembers `undo` (if any),
  // described as `undo_what`. Returns run's result.
  Result<void> Do(const std::string& what, const Action& run, std::string undo_what = {},
                  Action undo = {});
  // Like Do, but the undo belongs to step `parent` (a step number Do
  // returned through last_step(), whose undo exists): it runs after the
  // parent's undo, newest first, and only if that undo worked. When it
  // did not, this undo is skipped and `if_skipped` (the state it leaves
  // and the way out) is reported in Abort's error instead.
  Result<void> DoUnder(size_t parent, const std::string& what, const Action& run,
                       std::string undo_what, Action undo, std::string if_skipped);
  // Logs a step that is listed but deliberately not run.
  void Skip(const std::string& what);
  // The number of the step Do/DoUnder/Skip logged last.
  size_t last_step() const { return steps_; }
  // Undoes every done step, newest first, and returns `original` with any
  // undo failure (or skipped undo) appended to its message.
  Error Abort(Error original);

 private:
  struct Undo {
    size_t step;
    std::string what;
    Action action;
    std::optional<size_t> parent;
    std::string if_skipped;
  };
  Result<void> Run(const std::string& what, const Action& run);

  std::vector<std::string>& log_;
  std::vector<Undo> undos_;
  size_t steps_ = 0;
};

}  // namespace mint::apply
