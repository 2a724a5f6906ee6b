// NodeClock (node_clock.h).
#include "node_clock.h"

#include "mint/lifecycle.h"
#include "mint_fs.h"

namespace mint::cli {

void NodeClock::Look(const timing::Timeline& timeline) {
  auto start_end = timeline.EndOf(timing::Phase::kStart);
  if (!start_end) return;
  auto text = lifecycle::ReadConsole(fs_, dir_);
  if (!text.ok()) return;
  const timing::Duration since_start = timeline.Elapsed() - *start_end;  // the read has ended
  last_ = timing::ParseNodeConsole(*text, name_);
  if (!last_->last_stamp) return;
  auto bound = timing::BeforeClockBound(since_start, *last_->last_stamp);
  if (bound && (!before_clock_ || *bound < *before_clock_)) before_clock_ = bound;
}

void NodeClock::AddTo(timing::Timeline& timeline) const {
  if (before_clock_) timeline.Add(timing::Phase::kBeforeClock, *before_clock_);
  if (!last_) return;
  for (const auto& [phase, d] : last_->phases) timeline.Add(phase, d);
}

}  // namespace mint::cli
