// LoadHost, LoadMint and ReadBytes: the CLI's own reads. Host state goes through
// HostFs under --root; files the user names are read from this machine.
#include "host.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mint/topology.h"

namespace mint::cli {

Result<Host> LoadHost(const Globals& globals) {
  Host host;
  host.fs = sys::OpenHostFs(globals.root);
  MINT_TRY(host.topology, topology::Discover(*host.fs));
  return host;
}

Result<MintHost> LoadMint(const Globals& globals) {
  MintHost host;
  host.fs = sys::OpenHostFs(globals.root);
  MINT_TRY(host.mint, topology::ReadMintState(*host.fs));
  return host;
}

namespace {

std::string FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

Error TooBig(const std::string& path, uint64_t size) {
  return MakeError(ErrorCode::kUnsupported, path,
                   std::to_string(size) + " bytes, more than the " +
                       ByteSize{kMaxReadBytes}.ToString() +
                       " mintctl reads (a node's kernel and initramfs are megabytes, a nodeconf "
                       "file kilobytes); give the right file");
}

}  // namespace

Result<std::vector<uint8_t>> ReadBytes(const std::string& path) {
  // O_NONBLOCK: a FIFO must not block the open; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, path, "cannot read it",
                     err);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  // The file itself decides, before anything is allocated: /dev/zero or a
  // FIFO never ends, and a huge file would exhaust node0's memory.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return MakeError(ErrorCode::kIo, path, "cannot stat it", errno);
  if (!S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kUnsupported, path,
                     FileKind(st.st_mode) +
                         ", not a regular file; give the file itself (a kernel image, an "
                         "initramfs or a nodeconf file)");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxReadBytes) return TooBig(path, size);
  // In blocks of 1 MiB (an unoptimised mintctl under the lab's TCG spent 4 s
  // of a node's boot reading its images byte by byte), up to the limit even
  // if the file grows while it is read.
  constexpr size_t kBlock = 1 << 20;
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(size));
  while (true) {
    size_t have = bytes.size();
    if (have > kMaxReadBytes) return TooBig(path, have);
    bytes.resize(have + kBlock);
    ssize_t n = ::read(fd, bytes.data() + have, kBlock);
    if (n < 0 && errno == EINTR) {
      bytes.resize(have);
      continue;
    }
    if (n < 0) return MakeError(ErrorCode::kIo, path, "reading it failed", errno);
    bytes.resize(have + static_cast<size_t>(n));
    if (n == 0) break;
  }
  return bytes;
}

}  // namespace mint::cli
