// Paths under /run/mint and the flock-based Lock (mint/lifecycle.h).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string Holder(int fd) {
  char buf[256];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "unknown";
  std::string text = Trimmed(std::string(buf, static_cast<size_t>(n)));
  return text.empty() ? "unknown" : text;
}

}  // namespace

// An absolute path under the host root `root` ("" and "/" are the host's own).
std::string UnderRoot(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}
std::string RunDir(const std::string& root) { return UnderRoot(root, "/run/mint"); }
std::string KernelCacheDir(const std::string& root) {
  return UnderRoot(root, "/var/cache/mint/kernels");
}
std::string HostLockPath(const std::string& root) { return RunDir(root) + "/lock"; }
std::string ChannelLockPath(const std::string& root, const std::string& node) {
  return RunDir(root) + "/" + node + ".channel.lock";
}
std::string RelaySocketPath(const std::string& root, const std::string& node) {
  return RunDir(root) + "/" + node + ".channel.sock";
}
std::string RelayLogPath(const std::string& root, const std::string& node) {
  return RunDir(root) + "/" + node + ".relay.log";
}
std::string RecipePath(const std::string& root, const std::string& node) {
  return RunDir(root) + "/nodes/" + node + ".json";
}
std::string LedgerDir(const std::string& root) { return RunDir(root) + "/ledger"; }
std::string RestartCountPath(const std::string& root, const std::string& node) {
  return RunDir(root) + "/watch/" + node + ".json";
}

Lock& Lock::operator=(Lock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Lock::Release() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor drops the flock
  fd_ = -1;
}

Result<Lock> AcquireLock(const std::string& path, const std::string& what,
                         std::chrono::milliseconds wait, channel::Clock& clock,
                         const std::function<void(const std::string& holder)>& on_wait) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec)
    return MakeError(ErrorCode::kIo, path, "cannot create its directory (" + ec.message() + ")",
                     ec.value());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    return MakeError(ErrorCode::kIo, path,
                     err == EACCES ? "cannot open it; run mintctl as root" : "cannot open it", err);
  }
  Lock lock(fd);
  const auto start = clock.Now();
  bool told = false;
  while (true) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::string text = "pid " + std::to_string(::getpid()) + ": " + what + "\n";
      if (::ftruncate(fd, 0) != 0 ||
          ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        // The lock is what matters; the note for others is best effort.
      }
      return lock;
    }
    if (errno != EWOULDBLOCK && errno != EINTR)
      return MakeError(ErrorCode::kIo, path, "flock failed", errno);
    if (!told && on_wait) on_wait(Holder(fd));
    told = true;
    if (clock.Now() - start >= wait)
      return MakeError(
          ErrorCode::kConflict, path,
          "another mintctl holds it (" + Holder(fd) + "); wait for it to finish, or end it");
    clock.Sleep(std::chrono::milliseconds(50));
  }
}

}  // namespace mint::lifecycle
