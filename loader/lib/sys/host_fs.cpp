// The real HostFs: plain POSIX reads of files, directories and links under
// a root directory. It owns the join of root and host path and the mapping
// of errno to mint errors; it knows nothing about what the files mean.
#include "mint/sys/host_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace mint::sys {
namespace {

class RealHostFs final : public HostFs {
 public:
  explicit RealHostFs(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_.empty()) root_ = "/";
  }

  Result<std::string> ReadFile(std::string_view path) override {
    MINT_TRY(std::string full, Join(path));
    int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Failure(path, "cannot open", errno);
    std::string data;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int saved = errno;
        ::close(fd);
        return Failure(path, "cannot read", saved);
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return data;
  }

  Result<std::vector<std::string>> ListDir(std::string_view path) override {
    MINT_TRY(std::string full, Join(path));
    DIR* dir = ::opendir(full.c_str());
    if (dir == nullptr) return Failure(path, "cannot list directory", errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int saved = errno;
    ::closedir(dir);
    if (saved != 0) return Failure(path, "cannot list directory", saved);
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<std::string> ReadLink(std::string_view path) override {
    MINT_TRY(std::string full, Join(path));
    std::string target(4096, '\0');
    ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
    if (n < 0) return Failure(path, "cannot read link", errno);
    target.resize(static_cast<size_t>(n));
    return target;
  }

  bool Exists(std::string_view path) override {
    auto full = Join(path);
    if (!full.ok()) return false;
    struct stat st;
    return ::stat(full->c_str(), &st) == 0;
  }

  const std::string& root() const override { return root_; }

 private:
  Result<std::string> Join(std::string_view path) const {
    if (path.empty() || path.front() != '/') {
      return MakeError(ErrorCode::kInternal, std::string(path),
                       "host paths must be absolute (this is a bug in mint)");
    }
    if (root_ == "/") return std::string(path);
    return root_ + std::string(path);
  }

  Error Failure(std::string_view path, std::string_view what, int err) const {
    std::string message(what);
    if (root_ != "/") message += " (host tree under " + root_ + ")";
    ErrorCode code = (err == ENOENT || err == ENOTDIR) ? ErrorCode::kNotFound : ErrorCode::kIo;
    return MakeError(code, std::string(path), std::move(message), err);
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<HostFs> OpenHostFs(std::string root) {
  return std::make_unique<RealHostFs>(std::move(root));
}

}  // namespace mint::sys
