// An in-memory HostFs for the harnesses: it holds exactly the files a
// harness made from its input (absolute host paths; a directory is any
// prefix of a path), so every reader of /sys/kernel/mint runs on fuzzed
// bytes without touching a disk.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mint/sys/host_fs.h"

namespace mint::fuzz {

// Files by absolute host path; directories are the prefixes of their paths.
class MemoryFs final : public sys::HostFs {
 public:
  void Put(const std::string& path, std::string content) { files_[path] = std::move(content); }

  Result<std::string> ReadFile(std::string_view path) override {
    auto it = files_.find(std::string(path));
    if (it == files_.end())
      return MakeError(ErrorCode::kNotFound, std::string(path), "no such file", 2);
    return it->second;
  }
  Result<std::vector<std::string>> ListDir(std::string_view path) override {
    std::string prefix = std::string(path) + "/";
    std::set<std::string> names;
    for (const auto& [file, content] : files_) {
      if (!file.starts_with(prefix)) continue;
      names.insert(file.substr(prefix.size(), file.find('/', prefix.size()) - prefix.size()));
    }
    if (names.empty())
      return MakeError(ErrorCode::kNotFound, std::string(path), "no such directory", 2);
    return std::vector<std::string>(names.begin(), names.end());
  }
  Result<std::string> ReadLink(std::string_view path) override {
    return MakeError(ErrorCode::kNotFound, std::string(path), "no such link", 2);
  }
  bool Exists(std::string_view path) override {
    return files_.count(std::string(path)) != 0 || ListDir(path).ok();
  }
  const std::string& root() const override { return root_; }

 private:
  std::map<std::string, std::string> files_;
  std::string root_ = "/fuzz";  // not "/": nothing treats this as the live host
};

}  // namespace mint::fuzz
