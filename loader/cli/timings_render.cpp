// PrintTimings and TimingsJson (timings_render.h). Milliseconds with one
// decimal; the node's phases run their total from NODE_START when the time
// before its clock started is known, else from its clock's 0.
#include "timings_render.h"

#include <cstdio>

namespace mint::cli {
namespace {

using timing::ClockOf;
using timing::Duration;

double Ms(Duration d) { return static_cast<double>(d.count()) / 1e6; }

std::string Line(const std::string& name, Duration d, Duration total, const char* note) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-14s %10.1f ms   total %10.1f ms%s\n", name.c_str(), Ms(d),
                Ms(total), note);
  return buf;
}

}  // namespace

void PrintTimings(const timing::Timeline& timeline, const std::string& node, std::ostream& out) {
  const Duration elapsed = timeline.Elapsed();
  out << "\nTimings (mintctl's monotonic clock):\n";
  Duration total{0}, node_total{0};
  bool node_header = false;
  for (const auto& [phase, d] : timeline.Entries()) {
    const timing::PhaseInfo& info = timing::Info(phase);
    if (info.clock == ClockOf::kMintctl) {
      total += d;
      out << Line(info.name, d, total, "");
      continue;
    }
    if (!node_header) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", Ms(elapsed - total));
      out << "  (between the phases " << buf << " ms)\n"
          << node << "'s kernel (its own printk clock, from its console; the total "
          << (phase == timing::Phase::kBeforeClock ? "from NODE_START" : "from its clock's 0")
          << "):\n";
      node_header = true;
    }
    node_total += d;
    out << Line(info.name, d, node_total,
                phase == timing::Phase::kBeforeClock ? "  (at most)" : "");
  }
  if (!node_header) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", Ms(elapsed - total));
    out << "  (between the phases " << buf << " ms)\n";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f ms", Ms(elapsed));
  out << "total " << buf << "\n";
}

nlohmann::json TimingsJson(const timing::Timeline& timeline) {
  nlohmann::json phases = nlohmann::json::array(), node = nlohmann::json::array();
  auto round = [](Duration d) { return static_cast<double>(d.count() / 100000) / 10; };
  for (const auto& [phase, d] : timeline.Entries()) {
    const timing::PhaseInfo& info = timing::Info(phase);
    (info.clock == ClockOf::kMintctl ? phases : node)
        .push_back({{"phase", info.name}, {"ms", round(d)}});
  }
  return {{"total_ms", round(timeline.Elapsed())}, {"phases", phases}, {"node_kernel", node}};
}

}  // namespace mint::cli
