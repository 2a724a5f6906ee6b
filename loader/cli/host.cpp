// LoadHost and ReadBytes: the CLI's own reads. Host state goes through
// HostFs under --root; files the user names are read from this machine.
#include "host.h"

#include <cerrno>
#include <fstream>

#include "mint/topology.h"

namespace mint::cli {

Result<Host> LoadHost(const Globals& globals) {
  Host host;
  host.fs = sys::OpenHostFs(globals.root);
  MINT_TRY(host.topology, topology::Discover(*host.fs));
  return host;
}

Result<std::vector<uint8_t>> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, path, "cannot read it",
                     err);
  }
  // In blocks, not byte by byte through istreambuf_iterator: images are
  // megabytes, and an unoptimised mintctl under the lab's TCG spent 4 s of a
  // node's boot reading its kernel and initrd that way.
  constexpr size_t kBlock = 1 << 20;
  std::vector<uint8_t> bytes;
  while (in) {
    size_t have = bytes.size();
    bytes.resize(have + kBlock);
    in.read(reinterpret_cast<char*>(bytes.data() + have), static_cast<std::streamsize>(kBlock));
    bytes.resize(have + static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return MakeError(ErrorCode::kIo, path, "reading it failed", EIO);
  return bytes;
}

}  // namespace mint::cli
