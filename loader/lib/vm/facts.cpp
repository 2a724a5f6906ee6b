// ReadFacts (mint/vm.h): what CheckStart needs to know about this node,
// read under VmHost::root: /sys/devices/system/cpu/online, /proc/meminfo
// (MemAvailable), /proc/cpuinfo (flags), /dev/kvm, QEMU, the guests.
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
  return f;
}

}  // namespace mint::vm
