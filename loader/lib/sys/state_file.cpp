// WriteStateFile: write, fsync, rename, fsync of the directory.
#include "mint/sys/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace mint::sys {
namespace {

Result<void> WriteAll(int fd, const std::string& path, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, path, "cannot write it", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return MakeError(ErrorCode::kIo, path, "cannot fsync it", errno);
  return Ok();
}

}  // namespace

Result<void> WriteStateFile(const std::string& path, std::string_view text) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return MakeError(ErrorCode::kIo, path, "cannot create its directory (" + ec.message() + ")",
                     ec.value());
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, tmp, "cannot create it", errno);
  auto written = WriteAll(fd, tmp, text);
  ::close(fd);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo, path, "cannot rename " + tmp + " to it", err);
  }
  SyncDirectory(dir);  // makes the rename itself durable
  return Ok();
}

void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace mint::sys
