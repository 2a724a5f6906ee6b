// Timeline (mint/timing.h): one duration per phase, summed when a phase is
// measured more than once.
#include "mint/timing.h"

namespace mint::timing {

Timeline::Timeline(NowFn now)
    : now_(std::move(now)), begin_(now_()), took_(Phases().size()), ended_(Phases().size()) {}

void Timeline::Add(Phase phase, Duration d) {
  auto& slot = took_[static_cast<size_t>(phase)];
  slot = slot.value_or(Duration{0}) + d;
}

void Timeline::AddSince(Phase phase, TimePoint start) {
  const TimePoint end = now_();
  Add(phase, std::chrono::duration_cast<Duration>(end - start));
  ended_[static_cast<size_t>(phase)] = end;
}

std::vector<std::pair<Phase, Duration>> Timeline::Entries() const {
  std::vector<std::pair<Phase, Duration>> out;
  for (const auto& info : Phases())
    if (const auto& d = took_[static_cast<size_t>(info.phase)]) out.emplace_back(info.phase, *d);
  return out;
}

std::optional<Duration> Timeline::Of(Phase phase) const {
  return took_[static_cast<size_t>(phase)];
}

Duration Timeline::Elapsed() const { return std::chrono::duration_cast<Duration>(now_() - begin_); }

std::optional<Duration> Timeline::EndOf(Phase phase) const {
  const auto& end = ended_[static_cast<size_t>(phase)];
  if (!end) return std::nullopt;
  return std::chrono::duration_cast<Duration>(*end - begin_);
}

}  // namespace mint::timing
