// Discover(): assembles HostTopology from the host files listed in
// host-files.list, read through HostFs, plus libpci for PCI and, on the live
// host only, libnuma for NUMA placement. The order of reads follows the
// model: CPUs, NUMA, memory map, PCI, disks, NICs, mounts, swap, mint.
//
// Why libnuma only on the live host: libnuma answers questions about the
// machine it runs on (it reads that machine's /sys and asks the kernel), and
// its cpulist parser sizes its masks from the live CPU count, so it cannot
// describe a captured tree of another machine. With root "/" it gives each
// CPU's node (numa_node_of_cpu) and each node's memory (numa_node_size64);
// for a captured tree the same facts come from cpuN/nodeM links, nodeM/cpulist
// and nodeM/meminfo. The unit tests check both paths agree on this machine.
#include "mint/topology.h"

#include <fnmatch.h>
#include <numa.h>

#include <algorithm>

#include "parse.h"
#include "pci.h"

// libnuma prints through these weak hooks; library code never prints.
extern "C" void numa_error(char*) {}
extern "C" void numa_warn(int, char*, ...) {}

namespace mint::topology {
namespace {

using namespace internal;  // NOLINT: the parsers of this module

constexpr std::string_view kCpuDir = "/sys/devices/system/cpu";
constexpr std::string_view kNodeDir = "/sys/devices/system/node";

bool IsNotFound(const Error& error) { return error.code == ErrorCode::kNotFound; }

// "node3" -> 3; nullopt for anything else.
std::optional<int> NodeNumber(std::string_view name) {
  if (!name.starts_with("node") || name.size() == 4) return std::nullopt;
  auto number = ParseNumber(name.substr(4), "");
  if (!number.ok() || *number > 4095) return std::nullopt;
  return static_cast<int>(*number);
}

class Discoverer {
 public:
  Discoverer(sys::HostFs& fs, const DiscoverOptions& options)
      : fs_(fs), live_numa_(options.use_libnuma && fs.root() == "/" && numa_available() >= 0) {}

  Result<HostTopology> Run() {
    HostTopology host;
    MINT_CHECK(ReadCpus(host));
    MINT_CHECK(ReadNuma(host));
    MINT_TRY(std::string meminfo, fs_.ReadFile("/proc/meminfo"));
    MINT_TRY(host.mem_total, ParseMeminfoField(meminfo, "MemTotal", "/proc/meminfo"));
    MINT_TRY(std::string iomem, fs_.ReadFile("/proc/iomem"));
    MINT_TRY(host.iomem, ParseIomem(iomem, "/proc/iomem"));
    host.iomem_hidden = AddressesHidden(host.iomem);
    if (!host.iomem_hidden) {
      MINT_TRY(host.ecam, FindEcam(host.iomem, "/proc/iomem"));
    }
    if (fs_.Exists("/sys/bus/pci/devices")) {
      MINT_TRY(host.pci, ReadPciFunctions(fs_.root()));
      MINT_CHECK(ReadPciDrivers(host.pci));
      MINT_CHECK(ReadConfigSizes(host.pci));
    }
    MINT_CHECK(ReadDisks(host));
    MINT_CHECK(ReadNics(host));
    MINT_TRY(std::string mounts, fs_.ReadFile("/proc/self/mounts"));
    MINT_TRY(host.mounts, ParseMounts(mounts, "/proc/self/mounts"));
    MINT_TRY(std::string swaps, fs_.ReadFile("/proc/swaps"));
    MINT_TRY(host.swaps, ParseSwaps(swaps, "/proc/swaps"));
    MINT_CHECK(ReadMint(host.mint));
    MINT_TRY(std::string cmdline, fs_.ReadFile("/proc/cmdline"));
    host.cmdline = std::string(Trim(cmdline));
    return host;
  }

 private:
  Result<std::string> Read(const std::string& path) { return fs_.ReadFile(path); }

  Result<uint64_t> ReadNumber(const std::string& path) {
    MINT_TRY(std::string text, Read(path));
    return ParseNumber(text, path);
  }

  Result<std::vector<CpuId>> ReadCpuList(const std::string& path) {
    MINT_TRY(std::string text, Read(path));
    return ParseCpuListFile(text, path);
  }

  // A directory's entries; an absent directory is an empty one.
  Result<std::vector<std::string>> ListOptional(const std::string& path) {
    auto names = fs_.ListDir(path);
    if (!names.ok() && IsNotFound(names.error())) return std::vector<std::string>();
    return names;
  }

  Result<void> ReadCpus(HostTopology& host) {
    std::string dir(kCpuDir);
    MINT_TRY(std::vector<CpuId> present, ReadCpuList(dir + "/present"));
    MINT_TRY(std::vector<CpuId> online, ReadCpuList(dir + "/online"));
    MINT_TRY(std::string cpuinfo, Read("/proc/cpuinfo"));
    MINT_TRY(auto apic_ids, ParseCpuinfoApicIds(cpuinfo, "/proc/cpuinfo"));
    for (CpuId id : present) {
      Cpu cpu;
      cpu.id = id;
      cpu.online = std::find(online.begin(), online.end(), id) != online.end();
      std::string cpu_dir = dir + "/cpu" + std::to_string(id.value);
      // The kernel removes an offline CPU's topology files.
      if (cpu.online) {
        MINT_TRY(uint64_t package, ReadNumber(cpu_dir + "/topology/physical_package_id"));
        MINT_TRY(uint64_t core, ReadNumber(cpu_dir + "/topology/core_id"));
        cpu.package = static_cast<uint32_t>(package);
        cpu.core = static_cast<uint32_t>(core);
        MINT_TRY(cpu.siblings, ReadCpuList(cpu_dir + "/topology/thread_siblings_list"));
        auto apic = apic_ids.find(id.value);
        if (apic != apic_ids.end()) cpu.apic = apic->second;
      }
      if (live_numa_) {
        int node = numa_node_of_cpu(static_cast<int>(id.value));
        cpu.numa_node = node >= 0 ? node : -1;
      } else {
        MINT_TRY(std::vector<std::string> entries, ListOptional(cpu_dir));
        for (const std::string& entry : entries) {
          if (auto node = NodeNumber(entry)) cpu.numa_node = *node;
        }
      }
      host.cpus.push_back(std::move(cpu));
    }
    return Ok();
  }

  Result<void> ReadNuma(HostTopology& host) {
    std::string dir(kNodeDir);
    MINT_TRY(std::vector<std::string> entries, ListOptional(dir));
    for (const std::string& entry : entries) {
      auto id = NodeNumber(entry);
      if (!id) continue;
      NumaNode node;
      node.id = *id;
      std::string node_dir = dir + "/" + entry;
      MINT_TRY(node.cpus, ReadCpuList(node_dir + "/cpulist"));
      if (live_numa_) {
        long long free_bytes = 0;
        long long total = numa_node_size64(*id, &free_bytes);
        node.mem_total = ByteSize{total > 0 ? static_cast<uint64_t>(total) : 0};
        node.mem_free = ByteSize{free_bytes > 0 ? static_cast<uint64_t>(free_bytes) : 0};
      } else {
        std::string path = node_dir + "/meminfo";
        MINT_TRY(std::string meminfo, Read(path));
        MINT_TRY(node.mem_total, ParseMeminfoField(meminfo, "MemTotal", path));
        MINT_TRY(node.mem_free, ParseMeminfoField(meminfo, "MemFree", path));
      }
      // CPUs without a nodeM link (older kernels) take it from the node.
      for (Cpu& cpu : host.cpus) {
        if (cpu.numa_node < 0 &&
            std::find(node.cpus.begin(), node.cpus.end(), cpu.id) != node.cpus.end()) {
          cpu.numa_node = node.id;
        }
      }
      host.numa_nodes.push_back(std::move(node));
    }
    std::sort(host.numa_nodes.begin(), host.numa_nodes.end(),
              [](const NumaNode& a, const NumaNode& b) { return a.id < b.id; });
    return Ok();
  }

  // The PCI function that serves LINK (/sys/block/NAME, /sys/class/net/NAME):
  // LINK points at the device's sysfs directory, whose "device" link leads
  // up to the hardware; the last DDDD:BB:DD.F on that path is the function.
  // Reads only LINK and LINK/device (declared paths; HostFs follows links).
  struct Resolved {
    bool has_device = false;  // false: virtual (lo, loop, bridges)
    std::optional<PciBdf> pci;
  };
  Result<Resolved> ResolveDevice(const std::string& link) {
    Resolved resolved;
    MINT_TRY(std::string target, fs_.ReadLink(link));
    std::string device_link = link + "/device";
    auto device = fs_.ReadLink(device_link);
    if (!device.ok()) {
      if (IsNotFound(device.error())) return resolved;
      return device.take_error();
    }
    resolved.has_device = true;
    // device's target is relative to the directory LINK resolves to.
    std::string real_dir = JoinLink(link, target);
    resolved.pci = LastBdfComponent(JoinLink(real_dir + "/device", *device));
    return resolved;
  }

  // The driver bound to each function: the last component of its "driver"
  // link (/sys/bus/pci/devices/BDF/driver -> .../drivers/NAME). Read here,
  // not through libpci's PCI_FILL_DRIVER, because libpci resolves the link
  // with realpath(), which needs the driver's directory to exist; a captured
  // tree holds only the declared files, and git keeps no empty directories.
  Result<void> ReadPciDrivers(std::vector<PciFunction>& functions) {
    for (PciFunction& f : functions) {
      auto target = fs_.ReadLink("/sys/bus/pci/devices/" + f.bdf.ToString() + "/driver");
      if (!target.ok()) {
        if (IsNotFound(target.error())) continue;  // no driver bound
        return target.take_error();
      }
      std::string_view name = *target;
      while (!name.empty() && name.back() == '/') name.remove_suffix(1);
      auto slash = name.rfind('/');
      f.driver = std::string(slash == std::string_view::npos ? name : name.substr(slash + 1));
    }
    return Ok();
  }

  // To a reader without CAP_SYS_ADMIN the kernel shows every /proc/iomem
  // address as zero (kernel/resource.c r_show) and only the first 64 bytes
  // of a function's config space (drivers/pci/pci-sysfs.c pci_read_config;
  // 128 for CardBus bridges), where root reads at least 256: libpci then
  // finds no capabilities at all. Both are noticed, not guessed.
  static bool AddressesHidden(const std::vector<IomemRange>& iomem) {
    return !iomem.empty() && std::all_of(iomem.begin(), iomem.end(), [](const IomemRange& r) {
      return r.start.value == 0 && r.last.value == 0;
    });
  }

  Result<void> ReadConfigSizes(std::vector<PciFunction>& functions) {
    for (PciFunction& f : functions) {
      MINT_TRY(std::string config, Read("/sys/bus/pci/devices/" + f.bdf.ToString() + "/config"));
      f.caps_hidden = config.size() < 256;
    }
    return Ok();
  }

  Result<void> ReadDisks(HostTopology& host) {
    MINT_TRY(std::vector<std::string> names, ListOptional("/sys/block"));
    for (const std::string& name : names) {
      BlockDevice disk;
      disk.name = name;
      const std::string dir = "/sys/block/" + name;
      MINT_TRY(Resolved resolved, ResolveDevice(dir));
      disk.pci = resolved.pci;
      MINT_TRY(uint64_t sectors, ReadNumber(dir + "/size"));
      if (sectors > (UINT64_MAX >> 9)) {
        return MakeError(ErrorCode::kIo, dir + "/size",
                         "is larger than any disk; the file is damaged");
      }
      disk.size = ByteSize{sectors << 9};  // the kernel counts 512-byte sectors
      // Partitions are subdirectories named after the disk ("sda1",
      // "nvme0n1p1") that hold a "partition" file.
      MINT_TRY(std::vector<std::string> entries, ListOptional(dir));
      for (const std::string& entry : entries) {
        if (entry.size() > name.size() && entry.starts_with(name) &&
            fs_.Exists(dir + "/" + entry + "/partition")) {
          disk.holders.push_back(entry);
        }
      }
      MINT_TRY(std::vector<std::string> holders, ListOptional(dir + "/holders"));
      disk.holders.insert(disk.holders.end(), holders.begin(), holders.end());
      host.disks.push_back(std::move(disk));
    }
    return Ok();
  }

  Result<void> ReadNics(HostTopology& host) {
    MINT_TRY(std::vector<std::string> names, ListOptional("/sys/class/net"));
    if (names.empty()) return Ok();
    MINT_TRY(std::string fib, Read("/proc/net/fib_trie"));
    MINT_TRY(std::vector<uint32_t> local, ParseFibTrieLocal(fib, "/proc/net/fib_trie"));
    MINT_TRY(std::string route_text, Read("/proc/net/route"));
    MINT_TRY(std::vector<Route> routes, ParseRoutes(route_text, "/proc/net/route"));
    std::vector<Inet6Address> inet6;
    auto inet6_text = Read("/proc/net/if_inet6");  // absent without IPv6
    if (inet6_text.ok()) {
      MINT_TRY(inet6, ParseIfInet6(*inet6_text, "/proc/net/if_inet6"));
    } else if (!IsNotFound(inet6_text.error())) {
      return inet6_text.take_error();
    }
    for (const std::string& name : names) {
      MINT_TRY(Resolved resolved, ResolveDevice("/sys/class/net/" + name));
      if (!resolved.has_device) continue;  // lo, bridges, tunnels: no hardware
      Nic nic;
      nic.name = name;
      nic.pci = resolved.pci;
      // fib_trie does not say which interface holds an address: the
      // interface whose directly connected network (longest prefix, no
      // gateway) covers it does. 127/8 has no such route: it is lo's.
      for (uint32_t address : local) {
        const Route* best = nullptr;
        for (const Route& route : routes) {
          if (!route.via_gateway && (address & route.mask) == route.destination &&
              (best == nullptr || route.mask > best->mask)) {
            best = &route;
          }
        }
        if (best != nullptr && best->iface == name) nic.addresses.push_back(FormatIpv4(address));
      }
      for (const Inet6Address& address : inet6) {
        if (address.iface == name) nic.addresses.push_back(address.address);
      }
      for (const Route& route : routes) {
        if (route.iface == name) nic.routes.push_back(FormatRoute(route));
      }
      host.nics.push_back(std::move(nic));
    }
    return Ok();
  }

  Result<void> ReadMint(MintState& mint) {
    const std::string dir = "/sys/kernel/mint";
    if (!fs_.Exists(dir + "/abi_version")) return Ok();  // a kernel without mint
    mint.present = true;
    MINT_TRY(uint64_t abi, ReadNumber(dir + "/abi_version"));
    mint.abi_version = static_cast<uint32_t>(abi);
    MINT_TRY(std::string pool, Read(dir + "/pool"));
    MINT_TRY(mint.pool, ParseRangeLines(pool, dir + "/pool"));
    MINT_TRY(uint64_t total, ReadNumber(dir + "/pool_total"));
    MINT_TRY(uint64_t free_bytes, ReadNumber(dir + "/pool_free"));
    mint.pool_total = ByteSize{total};
    mint.pool_free = ByteSize{free_bytes};
    MINT_TRY(std::vector<std::string> ids, ListOptional(dir + "/nodes"));
    for (const std::string& id_text : ids) {
      std::string node_dir = dir + "/nodes/" + id_text;
      MintNode node;
      MINT_TRY(uint64_t id, ParseNumber(id_text, node_dir));
      node.id = static_cast<uint32_t>(id);
      MINT_TRY(std::string name, Read(node_dir + "/name"));
      node.name = std::string(Trim(name));
      MINT_TRY(std::string state, Read(node_dir + "/state"));
      MINT_TRY(node.state, ParseNodeState(state, node_dir + "/state"));
      MINT_TRY(node.cpus, ReadCpuList(node_dir + "/cpus"));
      MINT_TRY(std::string apic, Read(node_dir + "/apic_ids"));
      MINT_TRY(node.apic_ids, ParseApicIdList(apic, node_dir + "/apic_ids"));
      MINT_TRY(std::string memory, Read(node_dir + "/memory"));
      MINT_TRY(node.memory, ParseRangeLines(memory, node_dir + "/memory"));
      MINT_TRY(std::string devices, Read(node_dir + "/devices"));
      MINT_TRY(node.devices, ParseBdfLines(devices, node_dir + "/devices"));
      MINT_TRY(node.heartbeat, ReadNumber(node_dir + "/heartbeat"));
      MINT_TRY(std::string reason, Read(node_dir + "/reason"));
      node.reason = std::string(Trim(reason));
      // uptime came after the first mint kernels (still ABI 1): optional.
      auto uptime = fs_.ReadFile(node_dir + "/uptime");
      if (uptime.ok()) {
        node.uptime = std::string(Trim(*uptime));
      } else if (!IsNotFound(uptime.error())) {
        return uptime.take_error();
      }
      mint.nodes.push_back(std::move(node));
    }
    std::sort(mint.nodes.begin(), mint.nodes.end(),
              [](const MintNode& a, const MintNode& b) { return a.id < b.id; });
    return Ok();
  }

  sys::HostFs& fs_;
  bool live_numa_;
};

}  // namespace

Result<HostTopology> Discover(sys::HostFs& fs) { return Discover(fs, DiscoverOptions{}); }

Result<HostTopology> Discover(sys::HostFs& fs, const DiscoverOptions& options) {
  return Discoverer(fs, options).Run();
}

const std::vector<std::string>& HostFiles() {
  static const std::vector<std::string> files = {
#include "host_files.inc"
  };
  return files;
}

bool IsHostFile(std::string_view path) {
  std::string text(path);
  for (const std::string& pattern : HostFiles()) {
    if (fnmatch(pattern.c_str(), text.c_str(), FNM_PATHNAME) == 0) return true;
    // A directory on the way: match the pattern cut to as many components.
    size_t depth = static_cast<size_t>(std::count(text.begin(), text.end(), '/'));
    size_t cut = 0;
    for (size_t seen = 0; cut < pattern.size(); ++cut) {
      if (pattern[cut] == '/' && ++seen > depth) break;
    }
    if (cut < pattern.size() &&
        fnmatch(pattern.substr(0, cut).c_str(), text.c_str(), FNM_PATHNAME) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace mint::topology
