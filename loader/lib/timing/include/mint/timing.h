// mint::timing: how long booting or restarting a node takes, phase by
// phase (`mintctl boot --timings`, `mintctl restart --timings`, their
// --json). The phases are defined once, here (Phase and its table,
// PhaseInfo), and measured where the work happens: the caller hands a
// Timeline to the code that does the work (cli's PlanNode, apply::Apply,
// lifecycle::Restart, the CLI's waits), which wraps each step in a Span.
// mintctl's own phases are on its monotonic clock; the node kernel's come
// from the printk timestamps on its console (ParseNodeConsole), which is
// text the node wrote: any bytes, parsed with bounds, never trusted.
// Nothing here reads, prints or sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace mint::timing {

using Duration = std::chrono::nanoseconds;

// Whose clock measures a phase.
enum class ClockOf : uint8_t {
  kMintctl,  // mintctl's steady_clock, on node0
  kNode,     // the node kernel's printk clock (0 at its own early boot)
};

// Every phase, in the order they happen. The node kernel's phases are a
// breakdown of mintctl's `running` and `agent` on the node's clock.
enum class Phase : uint8_t {
  kLock,        // the host lock, with the recovery of what a killed mintctl left
  kTopology,    // topology::Discover: /proc, /sys, libpci, rtnetlink
  kReadImages,  // reading the kernel and the initramfs (and its layers)
  kPlan,        // node description -> NodeSpec -> plan::MakePlan
  kRehearse,    // boot: the dry run of apply (the boot image built once to check it)
  kStop,        // restart: NODE_STOP of the node's old kernel
  kCpuOffline,  // NODE_CREATE: node0 takes the CPUs offline and carves the memory
  kDevices,     // each function to pci-stub, NODE_ASSIGN_PCI
  kBuildImage,  // boot::BuildBootImage (restart: after MINT_NODE_GET)
  kLoad,        // NODE_LOAD: the image copied into the node's memory
  kStart,       // NODE_START: the trampoline written, INIT-SIPI-SIPI
  kRunning,     // NODE_START returned -> nodes/<id>/state says running
  kAgent,       // running -> nodes/<id>/agent says ready
  kGuests,      // the node's autostart guests started
  // The node kernel's own (ClockOf::kNode):
  kBeforeClock,  // NODE_START returned -> the node's clock at 0 (decompression,
                 // earliest setup); an upper bound (BeforeClockBound)
  kEarlySetup,   // 0 -> "smp: Bringing up secondary CPUs"
  kSmp,          // -> "smp: Brought up"
  kInitcalls,    // -> "Run /init as init process"
  kInit,         // -> "mint-node: NAME up" (the lab's node-init; logged to /dev/kmsg)
};

struct PhaseInfo {
  Phase phase;
  const char* name;  // as printed and in JSON: "cpu_offline"
  ClockOf clock;
  const char* what;  // one line for the docs and --help
};

// The table, in Phase order.
std::span<const PhaseInfo> Phases();
const PhaseInfo& Info(Phase phase);

// Durations per phase, with the clock mintctl's phases are taken on.
// Measuring a phase twice adds the two.
class Timeline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using NowFn = std::function<TimePoint()>;

  // Time starts now (the operation's beginning). Tests inject `now`.
  explicit Timeline(NowFn now = &std::chrono::steady_clock::now);

  // Adds `d` to `phase` (the node's phases, read off its clock).
  void Add(Phase phase, Duration d);
  // Adds the time from `start` to now to `phase` and marks when it ended.
  void AddSince(Phase phase, TimePoint start);

  // The phases measured so far, in Phase order, each once.
  std::vector<std::pair<Phase, Duration>> Entries() const;
  std::optional<Duration> Of(Phase phase) const;
  // Since the Timeline was made.
  Duration Elapsed() const;
  // When `phase` last ended (AddSince), counted from the Timeline's start;
  // nullopt if it never did.
  std::optional<Duration> EndOf(Phase phase) const;
  TimePoint Now() const { return now_(); }

 private:
  NowFn now_;
  TimePoint begin_;
  std::vector<std::optional<Duration>> took_;    // by Phase
  std::vector<std::optional<TimePoint>> ended_;  // by Phase
};

// Measures one phase for as long as it lives: `Span s(timeline, Phase::kLoad);`.
// A null timeline measures nothing (the dry run, watch).
class Span {
 public:
  Span(Timeline* timeline, Phase phase)
      : timeline_(timeline),
        phase_(phase),
        start_(timeline ? timeline->Now() : Timeline::TimePoint{}) {}
  ~Span() {
    if (timeline_) timeline_->AddSince(phase_, start_);
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  Timeline* timeline_;
  Phase phase_;
  Timeline::TimePoint start_;
};

// `run()` measured as `phase`; returns what it returned.
template <typename Fn>
auto Timed(Timeline* timeline, Phase phase, Fn&& run) {
  Span span(timeline, phase);
  return run();
}

// ---- The node kernel's phases, from its console -----------------------------

// What a console says about the node's last boot (after the last
// "Linux version" line; the whole text when there is none, e.g. the ring
// wrapped). The phases of ClockOf::kNode but kBeforeClock, from the
// clock's 0, each ending at the first line of that boot starting with its
// marker, up to the first phase whose line is missing or earlier than the
// one before (a console cut short, or lines a node garbled): what follows
// is left out, never guessed, so the phases always add up from 0.
struct NodeBoot {
  std::vector<std::pair<Phase, Duration>> phases;  // in Phase order
  std::optional<Duration> last_stamp;              // the newest timestamp of that boot
};

// Bounds: only the last kMaxConsoleBytes of `console` are looked at, lines
// longer than kMaxLineBytes are skipped, a timestamp must be "[ SECONDS.FRACTION]"
// with at most 9 digits either side. Any bytes are fine (NUL, invalid
// UTF-8, CR). `node_name` is the node's name for "mint-node: NAME up".
inline constexpr size_t kMaxConsoleBytes = 4u << 20;
inline constexpr size_t kMaxLineBytes = 4096;
NodeBoot ParseNodeConsole(std::string_view console, std::string_view node_name);

// The time before the node's clock started, bounded from above by one look
// at its console: it was read (ending) `since_start` after NODE_START
// returned, and its newest timestamp then was `last_stamp`, so the clock
// started at most since_start - last_stamp after NODE_START. nullopt when
// that is negative (a clock that does not fit: not reported).
std::optional<Duration> BeforeClockBound(Duration since_start, Duration last_stamp);

}  // namespace mint::timing
