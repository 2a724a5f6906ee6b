// LoadHost and ReadBytes: the CLI's own reads. Host state goes through
// HostFs under --root; files the user names are read from this machine.
#include "host.h"

#include <cerrno>
#include <fstream>
#include <iterator>

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
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return MakeError(ErrorCode::kIo, path, "reading it failed", EIO);
  return bytes;
}

}  // namespace mint::cli
