// What every mintctl command shares: the global options and the way to
// look at the host (a HostFs under --root, Discover on it).
#pragma once

#include <memory>
#include <string>

#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"

namespace mint::cli {

struct Globals {
  std::string root = "/";      // --root
  bool json = false;           // --json
  uint32_t lock_wait_s = 120;  // --lock-wait: how long to wait for another mintctl
};

struct Host {
  std::unique_ptr<sys::HostFs> fs;
  HostTopology topology;
};

Result<Host> LoadHost(const Globals& globals);

// What needs only mint's own state (status, destroy, the lock's look for
// leftovers): /sys/kernel/mint, without the CPU, PCI, disk and NIC reads of
// the whole topology (a third of a second under the lab's TCG).
struct MintHost {
  std::unique_ptr<sys::HostFs> fs;
  MintState mint;
};

Result<MintHost> LoadMint(const Globals& globals);

// The most ReadBytes reads: 1 GiB, far more than a node's kernel,
// initramfs or VMM layer, far less than would hurt node0 to allocate.
inline constexpr uint64_t kMaxReadBytes = 1ull << 30;

// Reads a file of this machine (an image, a nodeconf) whole; errors name
// it. What is not a regular file (a directory, /dev/zero, a FIFO) or is
// larger than kMaxReadBytes is refused (kUnsupported) before anything is
// allocated; a missing file is kNotFound, other failures kIo.
Result<std::vector<uint8_t>> ReadBytes(const std::string& path);

}  // namespace mint::cli
