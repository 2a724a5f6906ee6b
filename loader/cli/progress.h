// A step line on a terminal while mintctl waits on a long step
// ("| node1: waiting for its mint-agent (2.4 s)"), redrawn in place at most
// every 100 ms and erased when the wait ends. Nothing at all when stderr is
// not a terminal or with --json, so pipes, logs and scripts see only
// mintctl's own lines.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "host.h"

namespace mint::cli {

class Progress {
 public:
  Progress(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  ~Progress() { Done(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // On for stderr that is a terminal, without --json.
  static bool ForStderr(const Globals& globals);
  // The line drawn for `what` after `spent`: a spinner frame (ASCII, for
  // serial consoles too), the step and its seconds.
  static std::string Line(const std::string& what, std::chrono::nanoseconds spent);

  // A new step: its line, its time from 0.
  void Step(std::string what);
  // Redraws the step's line with the time spent (at most every 100 ms).
  void Tick();
  // Erases the line (the next output starts on a clean line).
  void Done();

 private:
  std::ostream& out_;
  bool enabled_;
  bool drawn_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point start_{}, last_{};
};

}  // namespace mint::cli
