// Transaction: the do/undo bookkeeping of apply. Each step that succeeds
// leaves its undo behind; Abort runs them in reverse and folds any undo
// failure into the error it returns. Private to mint_apply.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mint/result.h"

namespace mint::apply {

class Transaction {
 public:
  using Action = std::function<Result<void>()>;

  explicit Transaction(std::vector<std::string>& log) : log_(log) {}

  // Runs `run`, logging "N. what". On success remembers `undo` (if any),
  // described as `undo_what`. Returns run's result.
  Result<void> Do(const std::string& what, const Action& run, std::string undo_what = {},
                  Action undo = {});
  // Logs a step that is listed but deliberately not run.
  void Skip(const std::string& what);
  // Undoes every done step, newest first, and returns `original` with any
  // undo failure appended to its message.
  Error Abort(Error original);

 private:
  struct Undo {
    size_t step;
    std::string what;
    Action action;
  };
  std::vector<std::string>& log_;
  std::vector<Undo> undos_;
  size_t steps_ = 0;
};

}  // namespace mint::apply
