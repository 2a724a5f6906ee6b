// Progress (progress.h).
#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace mint::cli {

bool Progress::ForStderr(const Globals& globals) { return !globals.json && ::isatty(2) == 1; }

std::string Progress::Line(const std::string& what, std::chrono::nanoseconds spent) {
  static constexpr char kFrames[] = {'|', '/', '-', '\\'};
  auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(spent).count() / 100;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%lld.%lld s", static_cast<long long>(tenths / 10),
                static_cast<long long>(tenths % 10));
  return std::string(1, kFrames[tenths % 4]) + " " + what + " (" + seconds + ")";
}

void Progress::Step(std::string what) {
  what_ = std::move(what);
  start_ = std::chrono::steady_clock::now();
  last_ = {};
  Tick();
}

void Progress::Tick() {
  if (!enabled_ || what_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  out_ << "\r" << Line(what_, now - start_) << "\033[K" << std::flush;
  drawn_ = true;
}

void Progress::Done() {
  if (drawn_) out_ << "\r\033[K" << std::flush;
  drawn_ = false;
  what_.clear();
}

}  // namespace mint::cli
