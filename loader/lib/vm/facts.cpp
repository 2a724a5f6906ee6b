// ReadFacts (mint/vm.h): what CheckStart needs to know about this node,
// read under VmHost::root: /sys/devices/system/cpu/online, /proc/meminfo
// (MemAvailable), /proc/cpuinfo (flags), /dev/kvm, QEMU, the guests.
//
// A guest's QEMU touches its RAM only as the guest uses it, so right after
// a start MemAvailable still counts memory that guest will take: the
// available figure is MemAvailable less what each live guest may still
// take (its memory + kVmmOverhead beyond its QEMU's resident set, from the
// real /proc/<pid>/statm), so guests started one after another (a boot's
// autostart) are checked against what is really left.
#include <unistd.h>

#include <sstream>

#include "mint/vm.h"
#include "state_dir.h"

namespace mint::vm {
namespace {

using internal::InRoot;
using internal::ReadFile;

Result<uint32_t> OnlineCpus(const VmHost& host) {
  std::string path = InRoot(host, "/sys/devices/system/cpu/online");
  MINT_TRY(std::string text, ReadFile(path, 4096));
  auto cpus = ParseCpuList(TrimTrailing(text));
  if (!cpus.ok() || cpus->empty())
    return MakeError(ErrorCode::kIo, path, "is not a CPU list: \"" + TrimTrailing(text) + "\"");
  return static_cast<uint32_t>(cpus->size());
}

Result<ByteSize> MemAvailable(const VmHost& host) {
  std::string path = InRoot(host, "/proc/meminfo");
  MINT_TRY(std::string text, ReadFile(path, 64 << 10));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    uint64_t kib = 0;
    std::string unit;
    if (fields >> kib >> unit && unit == "kB" && kib < (1ull << 50)) return ByteSize{kib << 10};
    break;
  }
  return MakeError(ErrorCode::kIo, path, "has no MemAvailable line in kB");
}

Result<bool> CpuVirt(const VmHost& host) {
  std::string path = InRoot(host, "/proc/cpuinfo");
  MINT_TRY(std::string text, ReadFile(path, 4 << 20));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream flags(line.substr(colon + 1));
    std::string flag;
    while (flags >> flag)
      if (flag == "svm" || flag == "vmx") return true;
  }
  return false;
}

// What a live guest may still take beyond what its QEMU holds now.
uint64_t StillToTake(const GuestStatus& g) {
  uint64_t reserved = g.memory.bytes + kVmmOverhead.bytes;
  if (g.pid <= 0) return reserved;  // starting: QEMU holds nothing yet
  auto statm = ReadFile("/proc/" + std::to_string(g.pid) + "/statm", 256);
  uint64_t pages = 0, resident = 0;
  if (!statm.ok() || !(std::istringstream(*statm) >> pages >> resident)) return 0;  // gone
  uint64_t rss = resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return rss < reserved ? reserved - rss : 0;
}

}  // namespace

Result<NodeFacts> ReadFacts(const VmHost& host, const std::string& node_name,
                            const std::vector<std::string>& files) {
  NodeFacts f;
  f.node = node_name;
  MINT_TRY(f.cpus, OnlineCpus(host));
  MINT_TRY(f.mem_available, MemAvailable(host));
  MINT_TRY(f.cpu_virt, CpuVirt(host));
  f.has_kvm = internal::Exists(InRoot(host, "/dev/kvm"));
  f.has_qemu = ::access(InRoot(host, host.qemu).c_str(), X_OK) == 0;
  for (const std::string& file : files)
    if (!internal::Exists(InRoot(host, file))) f.missing_files.push_back(file);
  MINT_TRY(f.guests, List(host));
  for (const GuestStatus& g : f.guests) {
    if (!g.Live()) continue;
    uint64_t take = StillToTake(g);
    f.mem_available.bytes = f.mem_available.bytes > take ? f.mem_available.bytes - take : 0;
  }
  return f;
}

}  // namespace mint::vm
