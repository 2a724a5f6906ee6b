// HostFs: the one door through which mint reads the host's files (/proc,
// /sys). It is rooted at a directory: "/" on a live machine, or a tree
// captured by tools/collect-host, so every reader can be replayed in tests.
// Paths given to it are absolute host paths ("/proc/iomem"); the root is
// prepended. Nothing here writes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mint/result.h"

namespace mint::sys {

class HostFs {
 public:
  virtual ~HostFs() = default;
  // The whole file. kNotFound if it does not exist, kIo for other failures;
  // the error's context is the host path.
  virtual Result<std::string> ReadFile(std::string_view path) = 0;
  // Entry names of a directory ("." and ".." left out), sorted.
  virtual Result<std::vector<std::string>> ListDir(std::string_view path) = 0;
  // The text of a symbolic link, unresolved ("../../devices/pci0000:00/...").
  virtual Result<std::string> ReadLink(std::string_view path) = 0;
  // True if the path exists (following links).
  virtual bool Exists(std::string_view path) = 0;
  // The directory host paths are resolved under ("/" for the live host).
  virtual const std::string& root() const = 0;
};

// A HostFs reading the real filesystem under root. Does not check that
// root exists: reads below a missing root fail with kNotFound.
std::unique_ptr<HostFs> OpenHostFs(std::string root);

}  // namespace mint::sys
