// The real MintDevice: ioctls on node0's /dev/mint, struct for struct as
// <linux/mint.h> defines them. Every failed ioctl becomes a kIo error with
// the errno and the node it concerns; nothing is retried or printed.
// MINT_NODE_GET and MINT_NODE_CHAN (ABI 2) are compiled only when the
// extracted <linux/mint.h> has them; against an older header they fail
// with kUnsupported naming the rebuild.
#include "mint/sys/mint_device.h"

#include <fcntl.h>
#include <linux/mint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mint_answers.h"

namespace mint::sys {
namespace {

std::string NodeCtx(uint32_t id) { return "node id " + std::to_string(id); }

// EIO from NODE_STOP or NODE_DESTROY: a CPU of the node did not confirm it
// parked, so the kernel touched nothing of it (kernel-host.md, "Parking").
Error NotParked(uint32_t id, const char* ioctl_name, int err) {
  return MakeError(ErrorCode::kIo, NodeCtx(id),
                   std::string(ioctl_name) +
                       ": a CPU of the node did not confirm it parked, so its memory, CPUs and "
                       "devices stay quarantined (mintctl status names the CPU); mintctl destroy "
                       "asks again, a reboot of node0 gets them back",
                   err);
}

}  // namespace

namespace internal {

CreatedNode ReadCreated(const mint_node_create& arg, size_t nr_cpus) {
  CreatedNode out;
  for (size_t i = 0; i < nr_cpus && i < MINT_MAX_CPUS; ++i)
    out.apic_ids.push_back(ApicId{arg.apic_ids[i]});
  for (uint32_t i = 0; i < arg.nr_ranges && i < MINT_MAX_RANGES; ++i)
    out.ram.push_back(PhysRange{PhysAddr{arg.ranges[i].start}, ByteSize{arg.ranges[i].size}});
  out.low = PhysRange{PhysAddr{arg.low.start}, ByteSize{arg.low.size}};
  out.shared = PhysRange{PhysAddr{arg.shared.start}, ByteSize{arg.shared.size}};
  out.tsc_khz = arg.tsc_khz;
  out.lapic_khz = arg.lapic_khz;
  out.host_x2apic = (arg.host_flags & MINT_HOST_F_X2APIC) != 0;
  return out;
}

#ifdef MINT_NODE_CHAN
Result<ChanResult> ReadChan(uint32_t id, const mint_node_chan& arg, size_t tx_size,
                            size_t rx_size) {
  if (arg.rx_len > rx_size)
    return MakeError(ErrorCode::kIo, NodeCtx(id),
                     "MINT_NODE_CHAN: the kernel says it wrote " + std::to_string(arg.rx_len) +
                         " bytes into a buffer of " + std::to_string(rx_size) +
                         "; node0's mint driver and this mintctl do not agree (rebuild both from "
                         "one kernel-patches)");
  ChanResult out;
  out.sent = tx_size != 0 && arg.tx_len == tx_size;
  out.received = rx_size == 0 ? 0 : arg.rx_len;
  return out;
}
#endif

}  // namespace internal

namespace {

#ifdef MINT_CHAN_MSG_MAX
static_assert(MINT_CHAN_MSG_MAX == kChanMsgMax,
              "kChanMsgMax is <linux/mint.h>'s MINT_CHAN_MSG_MAX");
#endif

class RealMintDevice : public MintDevice {
 public:
  RealMintDevice(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~RealMintDevice() override { ::close(fd_); }
  RealMintDevice(const RealMintDevice&) = delete;
  RealMintDevice& operator=(const RealMintDevice&) = delete;

  Result<MintInfo> GetInfo() override {
    mint_info info{};
    if (::ioctl(fd_, MINT_GET_INFO, &info) != 0) {
      int err = errno;
      // ABI 3 moved every ioctl number (magic 0xb9): an older kernel does
      // not know them.
      struct stat st;
      if (err == ENOTTY && ::fstat(fd_, &st) == 0 && S_ISCHR(st.st_mode))
        return MakeError(ErrorCode::kUnsupported, path_,
                         "the kernel does not know this mintctl's ioctls, so it speaks another "
                         "mint ABI than version " +
                             std::to_string(MINT_ABI_VERSION) +
                             " (/sys/kernel/mint/abi_version says which); install the mintctl "
                             "built with this kernel",
                         err);
      return MakeError(ErrorCode::kIo, path_, "MINT_GET_INFO failed", err);
    }
    MintInfo out;
    out.abi_version = info.abi_version;
    out.max_nodes = info.max_nodes;
    out.low_slots = info.nr_low_slots;
    out.pool_total = ByteSize{info.pool_total};
    out.pool_free = ByteSize{info.pool_free};
    for (uint32_t i = 0; i < info.nr_pool && i < MINT_MAX_RANGES; ++i)
      out.pool.push_back(PhysRange{PhysAddr{info.pool[i].start}, ByteSize{info.pool[i].size}});
    return out;
  }

  Result<CreatedNode> CreateNode(const CreateNodeRequest& request) override {
    mint_node_create arg{};
    if (request.cpus.size() > MINT_MAX_CPUS)
      return MakeError(ErrorCode::kInvalidArgument, request.name,
                       "more CPUs than /dev/mint takes (" + std::to_string(MINT_MAX_CPUS) + ")");
    if (request.name.size() >= MINT_NAME_LEN)
      return MakeError(ErrorCode::kInvalidArgument, request.name, "name too long for /dev/mint");
    arg.abi_version = MINT_ABI_VERSION;
    arg.id = request.id;
    std::memcpy(arg.name, request.name.data(), request.name.size());
    arg.nr_cpus = static_cast<uint32_t>(request.cpus.size());
    arg.numa_node = request.numa_node;
    arg.mem_bytes = request.memory.bytes;
    arg.flags = request.no_iommu ? MINT_CREATE_NO_IOMMU : 0;
    for (size_t i = 0; i < request.cpus.size(); ++i) arg.cpus[i] = request.cpus[i].value;
    if (::ioctl(fd_, MINT_NODE_CREATE, &arg) != 0)
      return MakeError(ErrorCode::kIo, request.name,
                       "MINT_NODE_CREATE failed; the kernel undid it (dmesg says why)", errno);
    // The APIC ids of the CPUs asked for: the kernel's nr_cpus is not
    // trusted to stay within arg.apic_ids.
    return internal::ReadCreated(arg, request.cpus.size());
  }

  Result<void> AssignPci(uint32_t id, const PciBdf& bdf) override {
    mint_node_pci arg{id, bdf.Packed()};
    if (::ioctl(fd_, MINT_NODE_ASSIGN_PCI, &arg) != 0)
      return MakeError(ErrorCode::kIo, bdf.ToString(),
                       "MINT_NODE_ASSIGN_PCI to " + NodeCtx(id) + " failed", errno);
    return Ok();
  }

  Result<void> Load(uint32_t id, std::span<const LoadSegment> segments) override {
    if (segments.size() > MINT_MAX_SEGMENTS)
      return MakeError(ErrorCode::kInternal, NodeCtx(id),
                       "more boot image segments than MINT_NODE_LOAD takes");
    mint_node_load arg{};
    arg.id = id;
    arg.nr_segments = static_cast<uint32_t>(segments.size());
    for (size_t i = 0; i < segments.size(); ++i) {
      arg.segments[i].buf = reinterpret_cast<uintptr_t>(segments[i].bytes.data());
      arg.segments[i].bufsz = segments[i].bytes.size();
      arg.segments[i].phys = segments[i].phys.value;
      arg.segments[i].memsz = segments[i].memsz;
    }
    if (::ioctl(fd_, MINT_NODE_LOAD, &arg) != 0)
      return MakeError(ErrorCode::kIo, NodeCtx(id), "MINT_NODE_LOAD failed", errno);
    return Ok();
  }

  Result<void> Start(uint32_t id, PhysAddr entry, PhysAddr boot_params) override {
    mint_node_start arg{};
    arg.id = id;
    arg.entry = entry.value;
    arg.boot_params = boot_params.value;
    if (::ioctl(fd_, MINT_NODE_START, &arg) != 0)
      return MakeError(ErrorCode::kIo, NodeCtx(id), "MINT_NODE_START failed", errno);
    return Ok();
  }

  Result<void> Stop(uint32_t id, bool force, uint32_t timeout_ms) override {
    mint_node_stop arg{};
    arg.id = id;
    arg.flags = force ? MINT_STOP_FORCE : 0;
    arg.timeout_ms = timeout_ms;
    if (::ioctl(fd_, MINT_NODE_STOP, &arg) != 0) {
      int err = errno;
      if (err == EIO) return NotParked(id, "MINT_NODE_STOP", err);
      return MakeError(ErrorCode::kIo, NodeCtx(id), "MINT_NODE_STOP failed", err);
    }
    return Ok();
  }

  Result<void> Destroy(uint32_t id) override {
    mint_node_id arg{};
    arg.id = id;
    if (::ioctl(fd_, MINT_NODE_DESTROY, &arg) != 0) {
      int err = errno;
      if (err == EIO) return NotParked(id, "MINT_NODE_DESTROY", err);
      return MakeError(ErrorCode::kIo, NodeCtx(id), "MINT_NODE_DESTROY failed", err);
    }
    return Ok();
  }

  Result<NodeInfo> GetNode(uint32_t id) override {
#ifdef MINT_NODE_GET
    mint_node_create arg{};
    arg.abi_version = MINT_ABI_VERSION;
    arg.id = id;
    if (::ioctl(fd_, MINT_NODE_GET, &arg) != 0) {
      int err = errno;
      return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, NodeCtx(id),
                       err == ENOENT ? "MINT_NODE_GET: no such node" : "MINT_NODE_GET failed", err);
    }
    NodeInfo out;
    out.id = id;
    out.name.assign(arg.name, strnlen(arg.name, sizeof arg.name));
    size_t nr_cpus = std::min<size_t>(arg.nr_cpus, MINT_MAX_CPUS);
    for (size_t i = 0; i < nr_cpus; ++i) out.cpus.push_back(CpuId{arg.cpus[i]});
    out.numa_node = arg.numa_node;
    out.memory = ByteSize{arg.mem_bytes};
    out.no_iommu = (arg.flags & MINT_CREATE_NO_IOMMU) != 0;
    out.created = internal::ReadCreated(arg, nr_cpus);
    return out;
#else
    return TooOld(id, "MINT_NODE_GET");
#endif
  }

  Result<ChanResult> Chan(uint32_t id, std::span<const uint8_t> tx,
                          std::span<uint8_t> rx) override {
#ifdef MINT_NODE_CHAN
    mint_node_chan arg{};
    arg.id = id;
    arg.tx_buf = tx.empty() ? 0 : reinterpret_cast<uintptr_t>(tx.data());
    arg.tx_len = static_cast<uint32_t>(tx.size());
    arg.rx_buf = rx.empty() ? 0 : reinterpret_cast<uintptr_t>(rx.data());
    arg.rx_len = static_cast<uint32_t>(rx.size());
    if (::ioctl(fd_, MINT_NODE_CHAN, &arg) != 0) {
      int err = errno;
      switch (err) {
        case ENOTCONN:
          return MakeError(ErrorCode::kConflict, NodeCtx(id),
                           "MINT_NODE_CHAN: the node is not running", err);
        case ENOENT:
          return MakeError(ErrorCode::kNotFound, NodeCtx(id), "MINT_NODE_CHAN: no such node", err);
        case EMSGSIZE:
          return MakeError(
              ErrorCode::kInvalidArgument, NodeCtx(id),
              "MINT_NODE_CHAN: the record is longer than " + std::to_string(kChanMsgMax) + " bytes",
              err);
        case EIO:
          return MakeError(ErrorCode::kIo, NodeCtx(id),
                           "MINT_NODE_CHAN: the node wrote a corrupt record", err);
        default:
          return MakeError(ErrorCode::kIo, NodeCtx(id), "MINT_NODE_CHAN failed", err);
      }
    }
    return internal::ReadChan(id, arg, tx.size(), rx.size());
#else
    (void)tx;
    (void)rx;
    return TooOld(id, "MINT_NODE_CHAN");
#endif
  }

 private:
  [[maybe_unused]] Error TooOld(uint32_t id, const char* what) {
    return MakeError(ErrorCode::kUnsupported, NodeCtx(id),
                     std::string(what) +
                         " is not in the <linux/mint.h> this mintctl was built with; rebuild "
                         "mintctl from the current kernel-patches");
  }

  int fd_;
  std::string path_;
};

}  // namespace

Result<NodeInfo> MintDevice::GetNode(uint32_t id) {
  return MakeError(ErrorCode::kUnsupported, NodeCtx(id), "this MintDevice has no MINT_NODE_GET");
}

Result<ChanResult> MintDevice::Chan(uint32_t id, std::span<const uint8_t>, std::span<uint8_t>) {
  return MakeError(ErrorCode::kUnsupported, NodeCtx(id), "this MintDevice has no MINT_NODE_CHAN");
}

std::string MintDevicePath(const std::string& root) {
  if (root.empty() || root == "/") return "/dev/mint";
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + "/dev/mint";
}

Result<std::unique_ptr<MintDevice>> OpenMintDevice(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return MakeError(ErrorCode::kUnsupported, "/dev/mint",
                       "this kernel has no mint support: /dev/mint is missing; boot node0 with "
                       "the mint kernel (see README)");
    return MakeError(
        ErrorCode::kIo, path,
        err == EACCES || err == EPERM ? "cannot open it; run mintctl as root" : "cannot open it",
        err);
  }
  auto device = std::make_unique<RealMintDevice>(fd, path);
  MINT_TRY(MintInfo info, device->GetInfo());
  if (info.abi_version != MINT_ABI_VERSION)
    return MakeError(ErrorCode::kUnsupported, path,
                     "the kernel speaks mint ABI version " + std::to_string(info.abi_version) +
                         " but this mintctl was built for version " +
                         std::to_string(MINT_ABI_VERSION) +
                         "; install the mintctl built with this kernel");
  return std::unique_ptr<MintDevice>(std::move(device));
}

}  // namespace mint::sys
