// ParseNodeConsole and BeforeClockBound (mint/timing.h). A node's console
// is printk output: "[    0.474683] smp: Brought up 1 node, 2 CPUs". Only
// lines that start with a well-formed timestamp count; everything else
// (userspace output without one, a line cut by the ring's wrap, garbage)
// is passed over. Each phase ends at the first line of the last boot that
// starts with its marker.
#include <array>
#include <string>

#include "mint/timing.h"

namespace mint::timing {
namespace {

constexpr std::string_view kBootBegins = "Linux version ";

// "[   12.345678] rest" -> 12.345678 s and "rest". At most 9 digits on
// either side of the point, spaces only before the seconds.
std::optional<Duration> Stamp(std::string_view line, std::string_view& rest) {
  size_t i = 0;
  if (i >= line.size() || line[i] != '[') return std::nullopt;
  ++i;
  while (i < line.size() && line[i] == ' ') ++i;
  auto digits = [&](int64_t& value, size_t& count) {
    value = 0;
    count = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9' && count < 10) {
      value = value * 10 + (line[i] - '0');
      ++i;
      ++count;
    }
    return count >= 1 && count <= 9;
  };
  int64_t seconds = 0, fraction = 0;
  size_t int_digits = 0, frac_digits = 0;
  if (!digits(seconds, int_digits)) return std::nullopt;
  if (i >= line.size() || line[i] != '.') return std::nullopt;
  ++i;
  if (!digits(fraction, frac_digits)) return std::nullopt;
  if (i >= line.size() || line[i] != ']') return std::nullopt;
  ++i;
  for (size_t d = frac_digits; d < 9; ++d) fraction *= 10;
  if (i < line.size() && line[i] == ' ') ++i;
  rest = line.substr(i);
  return Duration{seconds * 1'000'000'000 + fraction};
}

struct Marker {
  Phase phase;       // the phase this line ends
  std::string text;  // the message starts with it
};

}  // namespace

NodeBoot ParseNodeConsole(std::string_view console, std::string_view node_name) {
  const std::array<Marker, 4> markers{
      Marker{Phase::kEarlySetup, "smp: Bringing up secondary CPUs"},
      Marker{Phase::kSmp, "smp: Brought up"},
      Marker{Phase::kInitcalls, "Run /init as init process"},
      Marker{Phase::kInit, "mint-node: " + std::string(node_name) + " up"},
  };
  if (console.size() > kMaxConsoleBytes) {
    console = console.substr(console.size() - kMaxConsoleBytes);
    size_t nl = console.find('\n');  // the first line is cut: skip it
    console = nl == std::string_view::npos ? std::string_view{} : console.substr(nl + 1);
  }
  std::array<std::optional<Duration>, 4> ends{};
  std::optional<Duration> last;
  size_t start = 0;
  while (start < console.size()) {
    size_t end = console.find('\n', start);
    if (end == std::string_view::npos) end = console.size();
    std::string_view line = console.substr(start, end - start);
    start = end + 1;
    if (line.size() > kMaxLineBytes) continue;
    std::string_view rest;
    auto stamp = Stamp(line, rest);
    if (!stamp) continue;
    if (rest.starts_with(kBootBegins)) {  // a new boot: forget the one before
      ends = {};
      last.reset();
    }
    if (!last || *stamp > *last) last = stamp;
    for (size_t m = 0; m < markers.size(); ++m)
      if (!ends[m] && rest.starts_with(markers[m].text)) ends[m] = stamp;
  }
  NodeBoot boot;
  boot.last_stamp = last;
  Duration from{0};  // the node's clock starts at 0
  for (size_t m = 0; m < markers.size(); ++m) {
    if (!ends[m] || *ends[m] < from) break;  // from here on nothing is known for sure
    boot.phases.emplace_back(markers[m].phase, *ends[m] - from);
    from = *ends[m];
  }
  return boot;
}

std::optional<Duration> BeforeClockBound(Duration since_start, Duration last_stamp) {
  if (since_start < last_stamp) return std::nullopt;
  return since_start - last_stamp;
}

}  // namespace mint::timing
