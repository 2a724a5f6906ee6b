// Discover(): assembles HostTopology from the host files listed in
// host-files.list, read through HostFs, plus libpci for PCI and, on the live
// host only, libnuma for NUMA placement. The order of reads follows the
// model: CPUs, NUMA, memory map, PCI, disks (with the mounts and swap areas
// on them), NICs, mint.
//
// Why mountinfo is parsed here and not by libmount: libmount's parser
// (mnt_table_parse_stream) rewrites a "/dev/root" source by looking the
// device number up in the live machine's /sys and /proc/cmdline
// (kernel_fs_postparse -> mnt_guess_system_root, util-linux 2.38), so it
// cannot describe a captured tree without reading the machine it runs on;
// and mint needs only the device number, which mountinfo prints as is.
//
// Why libnuma only on the live host: libnuma answers questions about the
// machine it runs on (it reads that machine's /sys and asks the kernel), and
// its cpulist parser sizes its masks from the live CPU count, so it cannot
// describe a captured tree of another machine. With root "/" it gives each
// CPU's node (numa_node_of_cpu) and each node's memory (numa_node_size64);
// for a captured tree the same facts come from cpuN/nodeM links, nodeM/cpulist
// and nodeM/meminfo. The unit tests check both paths agree on this machine.
//
// rtnetlink likewise: addresses, routes and link kinds are not files, so
// on the live host they come from netlink (ReadNetlink), and a captured
// tree holds what iproute2's `ip -j` printed for the same dumps
// (ParseIpJson). How interfaces stack (bridge and bond ports, VLANs) is in
// sysfs' upper_*/master links, read the same way for both.
#include "mint/topology.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <numa.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "net.h"
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
// Where tools/collect-host stores `ip -j` dumps (host-files.list says which).
constexpr std::string_view kNetFiles[] = {"/rtnetlink/link.json", "/rtnetlink/addr.json",
                                          "/rtnetlink/route4.json", "/rtnetlink/route6.json"};

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
      : fs_(fs),
        live_numa_(options.use_libnuma && fs.root() == "/" && numa_available() >= 0),
        live_net_(fs.root() == "/") {}

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
      MINT_TRY(host.iommu_groups, ReadIommuGroups(host.pci));
    }
    MINT_CHECK(ReadDisks(host));
    MINT_CHECK(ReadNics(host));
    MINT_TRY(host.mint, ReadMintState(fs_));
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

  // The IOMMU group of each function (libpci read its iommu_group link)
  // and the type of the group's default domain, which says whether node0's
  // IOMMU translates the functions' DMA. A kernel before 5.11 has no type
  // file: the type is then unknown (empty).
  Result<std::vector<IommuGroup>> ReadIommuGroups(const std::vector<PciFunction>& functions) {
    std::set<int> ids;
    for (const PciFunction& f : functions)
      if (f.iommu_group) ids.insert(*f.iommu_group);
    std::vector<IommuGroup> groups;
    for (int id : ids) {
      std::string path = "/sys/kernel/iommu_groups/" + std::to_string(id) + "/type";
      IommuGroup group{id, ""};
      auto text = Read(path);
      if (text.ok()) {
        MINT_TRY(group.type, ParseIommuGroupType(*text, path));
      } else if (!IsNotFound(text.error())) {
        return text.take_error();
      }
      groups.push_back(std::move(group));
    }
    return groups;
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

  // One entry of /sys/class/block: a whole device of /sys/block or one of
  // its partitions, as sysfs describes it, before the disks are assembled.
  struct Block {
    DevNum dev;
    StackKind kind = StackKind::kOther;
    std::string label;                    // dm/name, md/level, loop/backing_file
    std::vector<std::string> holders;     // holders/*, plus loop devices backed here
    std::vector<std::string> partitions;  // of a whole device
    bool partition = false;
    std::string dir;  // where it was read: "/sys/block/sda/sda2"
  };
  using Blocks = std::map<std::string, Block>;

  // A file that only some devices have (dm/name): its trimmed text, or
  // nullopt when it is absent.
  Result<std::optional<std::string>> ReadOptional(const std::string& path) {
    auto text = Read(path);
    if (!text.ok()) {
      if (IsNotFound(text.error())) return std::optional<std::string>();
      return text.take_error();
    }
    return std::optional<std::string>(std::string(Trim(*text)));
  }

  Result<Block> ReadBlock(const std::string& dir, bool partition) {
    Block block;
    block.dir = dir;
    block.partition = partition;
    block.kind = partition ? StackKind::kPartition : StackKind::kOther;
    MINT_TRY(std::string dev, Read(dir + "/dev"));
    MINT_TRY(block.dev, ParseDevNum(dev, dir + "/dev"));
    MINT_TRY(block.holders, ListOptional(dir + "/holders"));
    std::sort(block.holders.begin(), block.holders.end());
    if (partition) return block;
    struct Kind {
      const char* file;
      StackKind kind;
    };
    for (Kind k : {Kind{"/dm/name", StackKind::kDeviceMapper}, Kind{"/md/level", StackKind::kMd},
                   Kind{"/loop/backing_file", StackKind::kLoop}}) {
      MINT_TRY(std::optional<std::string> label, ReadOptional(dir + k.file));
      if (label) {
        block.kind = k.kind;
        block.label = *label;
        break;
      }
    }
    return block;
  }

  // The block device a /dev path names: "/dev/sda2" (the kernel's name;
  // "/dev/cciss/c0d0" is "cciss!c0d0"), or "/dev/mapper/NAME" (a dm name).
  static const std::string* BlockNamed(const Blocks& blocks, std::string_view path) {
    if (!path.starts_with("/dev/")) return nullptr;
    std::string_view rest = path.substr(5);
    if (rest.starts_with("mapper/")) {
      for (const auto& [name, block] : blocks)
        if (block.kind == StackKind::kDeviceMapper && block.label == rest.substr(7)) return &name;
      return nullptr;
    }
    std::string kernel_name(rest);
    std::replace(kernel_name.begin(), kernel_name.end(), '/', '!');
    auto it = blocks.find(kernel_name);
    return it == blocks.end() ? nullptr : &it->first;
  }

  static const std::string* BlockWith(const Blocks& blocks, DevNum dev) {
    for (const auto& [name, block] : blocks)
      if (block.dev == dev) return &name;
    return nullptr;
  }

  // The mount a file lives in: the longest mount point above it; of two
  // mounts on one point, the later (it is on top).
  static const Mount* MountHolding(const std::vector<Mount>& mounts, std::string_view path) {
    const Mount* best = nullptr;
    for (const Mount& m : mounts) {
      std::string_view target = m.target;
      bool above = target == "/" || (path.starts_with(target) &&
                                     (path.size() == target.size() || path[target.size()] == '/'));
      if (above && path.starts_with("/") &&
          (best == nullptr || target.size() >= best->target.size()))
        best = &m;
    }
    return best;
  }

  // /proc/self/mountinfo; a filesystem with an anonymous device number
  // (btrfs shows 0:N) is on the device its source names.
  Result<void> ReadMounts(HostTopology& host, const Blocks& blocks) {
    const std::string path = "/proc/self/mountinfo";
    MINT_TRY(std::string text, Read(path));
    MINT_TRY(host.mounts, ParseMountinfo(text, path));
    for (Mount& m : host.mounts) {
      if (m.dev.major != 0) continue;
      if (const std::string* name = BlockNamed(blocks, m.source)) m.dev = blocks.at(*name).dev;
    }
    return Ok();
  }

  // /proc/swaps: a swap partition (or dm, md, ... device) by its name, a
  // swap file through the mount that holds it (a captured tree cannot
  // stat() the file).
  Result<void> ReadSwaps(HostTopology& host, const Blocks& blocks) {
    const std::string path = "/proc/swaps";
    MINT_TRY(std::string text, Read(path));
    MINT_TRY(host.swaps, ParseSwaps(text, path));
    for (Swap& s : host.swaps) {
      if (s.file) {
        if (const Mount* m = MountHolding(host.mounts, s.source)) s.dev = m->dev;
        continue;
      }
      const std::string* name = BlockNamed(blocks, s.source);
      if (name == nullptr)
        return MakeError(ErrorCode::kIo, path,
                         "swaps on " + s.source +
                             ", which is no block device of /sys/block; the tree is damaged or "
                             "incomplete (capture the host again with tools/collect-host)");
      s.dev = blocks.at(*name).dev;
    }
    return Ok();
  }

  // A loop device is stacked on what holds its backing file: the block
  // device itself ("/dev/sdb"), or the device of the mount the file is in.
  static void AddLoopHolders(Blocks& blocks, const std::vector<Mount>& mounts) {
    for (auto& [name, block] : blocks) {
      if (block.kind != StackKind::kLoop) continue;
      std::string_view file = block.label;
      if (file.ends_with(" (deleted)")) file.remove_suffix(10);
      const std::string* below = BlockNamed(blocks, file);
      if (below == nullptr) {
        const Mount* m = MountHolding(mounts, file);
        if (m != nullptr) below = BlockWith(blocks, m->dev);
      }
      if (below == nullptr || *below == name) continue;
      auto& holders = blocks.at(*below).holders;
      if (std::find(holders.begin(), holders.end(), name) == holders.end()) holders.push_back(name);
    }
  }

  // Everything stacked on `disk` or its partitions, transitively, in the
  // order it is reached (nearest first).
  Result<std::vector<StackedDevice>> StackOf(const Blocks& blocks, const std::string& disk) {
    std::vector<StackedDevice> stacked;
    std::deque<std::pair<std::string, std::string>> work;  // (holder, what it holds)
    const Block& base = blocks.at(disk);
    for (const auto& h : base.holders) work.emplace_back(h, disk);
    for (const auto& p : base.partitions)
      for (const auto& h : blocks.at(p).holders) work.emplace_back(h, p);
    while (!work.empty()) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
      const std::string name = work.front().first;
      const std::string on = work.front().second;
      work.pop_front();
      if (name == disk ||
          std::find(base.partitions.begin(), base.partitions.end(), name) != base.partitions.end())
        continue;  // a loop device backed by a file on itself
      auto known = std::find_if(stacked.begin(), stacked.end(),
                                [&](const StackedDevice& s) { return s.name == name; });
      if (known != stacked.end()) {
        if (std::find(known->on.begin(), known->on.end(), on) == known->on.end())
          known->on.push_back(on);
        continue;
      }
      auto it = blocks.find(name);
      if (it == blocks.end())
        return MakeError(ErrorCode::kIo, blocks.at(on).dir + "/holders/" + name,
                         "names a holder that /sys/block does not have; the tree is damaged or "
                         "incomplete (capture the host again with tools/collect-host)");
      const Block& block = it->second;
      stacked.push_back(StackedDevice{name, block.dev, block.kind, block.label, {on}});
      for (const auto& h : block.holders) work.emplace_back(h, name);
      for (const auto& p : block.partitions) work.emplace_back(p, name);
    }
    return stacked;
  }

  // /sys/block: every disk with its device number, partitions and what is
  // stacked on them, then the mounts and swap areas (by device number).
  Result<void> ReadDisks(HostTopology& host) {
    MINT_TRY(std::vector<std::string> names, ListOptional("/sys/block"));
    Blocks blocks;
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
      MINT_TRY(Block block, ReadBlock(dir, false));
      disk.dev = block.dev;
      // Partitions are subdirectories named after the disk ("sda1",
      // "nvme0n1p1") that hold a "partition" file.
      MINT_TRY(std::vector<std::string> entries, ListOptional(dir));
      std::sort(entries.begin(), entries.end());
      for (const std::string& entry : entries) {
        if (entry.size() > name.size() && entry.starts_with(name) &&
            fs_.Exists(dir + "/" + entry + "/partition")) {
          MINT_TRY(Block part, ReadBlock(dir + "/" + entry, true));
          disk.partitions.push_back(Partition{entry, part.dev});
          block.partitions.push_back(entry);
          blocks[entry] = std::move(part);
        }
      }
      blocks[name] = std::move(block);
      host.disks.push_back(std::move(disk));
    }
    MINT_CHECK(ReadMounts(host, blocks));
    MINT_CHECK(ReadSwaps(host, blocks));
    AddLoopHolders(blocks, host.mounts);
    for (BlockDevice& disk : host.disks) {
      MINT_TRY(disk.stacked, StackOf(blocks, disk.name));
    }
    return Ok();
  }

  // node0's network state: rtnetlink on the live host, the iproute2 JSON
  // collect-host stored in a captured tree (net.h says why both).
  Result<NetState> ReadNet() {
    if (live_net_) return ReadNetlink();
    std::string texts[4];
    for (size_t i = 0; i < 4; ++i) {
      auto text = Read(std::string(kNetFiles[i]));
      if (!text.ok() && IsNotFound(text.error())) {
        return MakeError(ErrorCode::kNotFound, std::string(kNetFiles[i]),
                         "is missing: the capture has no record of node0's addresses and "
                         "routes, so no NIC can be checked; capture the host again with "
                         "tools/collect-host where iproute2's ip (ip -j) is installed");
      }
      if (!text.ok()) return text.take_error();
      texts[i] = std::move(*text);
    }
    return ParseIpJson({texts[0], kNetFiles[0]}, {texts[1], kNetFiles[1]}, {texts[2], kNetFiles[2]},
                       {texts[3], kNetFiles[3]});
  }

  // The interfaces stacked directly on `lower` (its upper_NAME links, which
  // the kernel makes for bridge and bond ports, team members, VLANs,
  // macvlans and ipvlans alike), and whether lower is a port of each (its
  // "master" link names it).
  struct Upper {
    std::string name;
    bool port = false;
  };
  Result<std::vector<Upper>> ReadUppers(const std::string& lower) {
    const std::string dir = "/sys/class/net/" + lower;
    std::string master;
    auto link = fs_.ReadLink(dir + "/master");
    if (link.ok()) {
      std::string_view target = *link;
      master = std::string(target.substr(target.rfind('/') + 1));
    } else if (!IsNotFound(link.error())) {
      return link.take_error();
    }
    std::vector<Upper> uppers;
    MINT_TRY(std::vector<std::string> entries, ListOptional(dir));
    for (const std::string& entry : entries) {
      if (entry.starts_with("upper_") && entry.size() > 6) {
        std::string name = entry.substr(6);
        uppers.push_back(Upper{name, name == master});
      }
    }
    if (!master.empty() && std::none_of(uppers.begin(), uppers.end(),
                                        [&](const Upper& u) { return u.name == master; })) {
      uppers.push_back(Upper{master, true});
    }
    return uppers;
  }

  // What node0 has on `iface` itself. Not counted, because every interface
  // that is up has them whether node0 uses it or not, and nothing of node0
  // reaches the network through them alone: IPv6 link-local addresses
  // (fe80::/10, which the kernel gives each interface on its own, even a
  // bridge port) and routes to link-local networks (the fe80::/64 route
  // that comes with them); and routes that are not unicast (local,
  // broadcast and multicast routes the kernel adds for each address; the
  // address itself decides). IPv4 addresses count whatever their prefix or
  // flags: a /32 or noprefixroute address has no route, but node0 answers on it.
  static void Uses(const NetState& net, const std::string& iface,
                   std::vector<std::string>& addresses, std::vector<NetRoute>& routes) {
    constexpr unsigned kScopeLink = 253;  // RT_SCOPE_LINK (254, host, is ::1's)
    constexpr unsigned kUnicast = 1;      // RTN_UNICAST
    for (const NetAddress& a : net.addresses) {
      if (a.iface != iface || (a.ipv6 && a.scope >= kScopeLink)) continue;
      addresses.push_back(a.local + "/" + std::to_string(a.prefix));
    }
    for (const NetRouteHop& r : net.routes) {
      if (r.iface != iface || r.type != kUnicast || IsIpv6LinkLocal(r.route)) continue;
      routes.push_back(r.route);
    }
  }

  static bool IsIpv6LinkLocal(const NetRoute& route) {
    if (!route.ipv6) return false;
    std::string address = route.destination.substr(0, route.destination.find('/'));
    in6_addr raw{};
    if (inet_pton(AF_INET6, address.c_str(), &raw) != 1) return false;
    return raw.s6_addr[0] == 0xfe && (raw.s6_addr[1] & 0xc0) == 0x80;
  }

  Result<void> ReadNics(HostTopology& host) {
    MINT_TRY(std::vector<std::string> names, ListOptional("/sys/class/net"));
    if (names.empty()) return Ok();
    MINT_TRY(NetState net, ReadNet());
    std::map<std::string, std::string> kinds;
    for (const NetLink& link : net.links) kinds[link.name] = link.kind;
    for (const std::string& name : names) {
      MINT_TRY(Resolved resolved, ResolveDevice("/sys/class/net/" + name));
      if (!resolved.has_device) continue;  // lo, bridges, tunnels: no hardware
      Nic nic;
      nic.name = name;
      nic.pci = resolved.pci;
      Uses(net, name, nic.addresses, nic.routes);
      // Breadth first up the stack; an interface reached twice (a bond
      // over two NICs is reached once per NIC, but once here) is kept once.
      std::vector<std::string> lowers{name};
      std::set<std::string> seen{name};
      for (size_t i = 0; i < lowers.size(); ++i) {
        const std::string lower = lowers[i];
        MINT_TRY(std::vector<Upper> uppers, ReadUppers(lower));
        for (const Upper& upper : uppers) {
          if (!seen.insert(upper.name).second) continue;
          NetUpper stacked;
          stacked.name = upper.name;
          stacked.kind = kinds[upper.name];
          stacked.lower = lower;
          stacked.port = upper.port;
          Uses(net, upper.name, stacked.addresses, stacked.routes);
          nic.uppers.push_back(std::move(stacked));
          lowers.push_back(upper.name);
        }
      }
      host.nics.push_back(std::move(nic));
    }
    return Ok();
  }

  sys::HostFs& fs_;
  bool live_numa_;
  bool live_net_;
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
