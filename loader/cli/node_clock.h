// The node kernel's phases of a boot or restart (mint::timing): its console
// read (ReadConsole) when mintctl's waits end, parsed for the printk
// timestamps of the node's last boot, and each look bounding the time
// before the node's clock started (timing::BeforeClockBound).
#pragma once

#include <optional>
#include <string>

#include "mint/sys/host_fs.h"
#include "mint/timing.h"

namespace mint::cli {

class NodeClock {
 public:
  NodeClock(sys::HostFs& fs, std::string node_dir, std::string node_name)
      : fs_(fs), dir_(std::move(node_dir)), name_(std::move(node_name)) {}

  // Reads the console once (after NODE_START: `timeline` has `start`).
  // A console that cannot be read is passed over.
  void Look(const timing::Timeline& timeline);
  // Adds what the looks found: before_clock (the tightest bound) and the
  // phases of the last look.
  void AddTo(timing::Timeline& timeline) const;

 private:
  sys::HostFs& fs_;
  std::string dir_, name_;
  std::optional<timing::NodeBoot> last_;
  std::optional<timing::Duration> before_clock_;
};

}  // namespace mint::cli
