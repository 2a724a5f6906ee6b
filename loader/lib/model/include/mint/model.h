// The vocabulary every mint library speaks: strong value types for CPUs,
// APIC ids, PCI functions, addresses and sizes; what the user asked for
// (NodeSpec); what the host has (HostTopology); and what mint decided to do
// (Plan). Plain data with value semantics: no I/O here.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mint/result.h"

namespace mint {

// ---- Strong types ------------------------------------------------------

// A logical CPU number as node0 knows it (/sys/devices/system/cpu/cpuN).
struct CpuId {
  uint32_t value = 0;
  auto operator<=>(const CpuId&) const = default;
};

// A local APIC id: what INIT/SIPI and MSI messages are addressed to.
struct ApicId {
  uint32_t value = 0;
  auto operator<=>(const ApicId&) const = default;
};

struct PhysAddr {
  uint64_t value = 0;
  auto operator<=>(const PhysAddr&) const = default;
};

// A byte count. Parses "512M", "1G", "1GiB", "1gb", "4096", "4096B":
// digits, then nothing, B, or one of K M G T alone or followed by B or iB
// (any case); binary units. Nothing above kMaxBytes.
struct ByteSize {
  uint64_t bytes = 0;
  auto operator<=>(const ByteSize&) const = default;

  // 4 PiB: x86-64's 52-bit physical address space. Bigger sizes are typing
  // mistakes, and this bound keeps sums and round-ups of sizes from wrapping.
  static constexpr uint64_t kMaxBytes = 1ull << 52;

  static Result<ByteSize> Parse(std::string_view text);
  // Largest exact binary unit: "512 MiB", "1 GiB", "3 KiB", "17 B".
  std::string ToString() const;
};

// A PCI function: domain:bus:device.function.
struct PciBdf {
  uint16_t domain = 0;
  uint8_t bus = 0;
  uint8_t device = 0;    // 0..31
  uint8_t function = 0;  // 0..7
  auto operator<=>(const PciBdf&) const = default;

  // Accepts "0000:03:00.0" and "03:00.0" (domain 0).
  static Result<PciBdf> Parse(std::string_view text);
  std::string ToString() const;  // "0000:03:00.0"
  // The mint_pci_id packing of include/uapi/linux/mint.h.
  uint32_t Packed() const;
};

struct PhysRange {
  PhysAddr start;
  ByteSize size;
  uint64_t end() const { return start.value + size.bytes; }  // exclusive
  auto operator<=>(const PhysRange&) const = default;
};

// Formats a CPU list the way the kernel does: "2-3,6".
std::string FormatCpuList(const std::vector<CpuId>& cpus);
// Parses a kernel CPU list ("0-3,8,10-11"); empty text is an empty list.
Result<std::vector<CpuId>> ParseCpuList(std::string_view text);

// How mint shows addresses and sizes: "0x1f" for 31.
std::string Hex(uint64_t value);
// A sysfs value as read, without its trailing newlines and spaces.
std::string TrimTrailing(std::string text);

// ---- What the user asked for --------------------------------------------

// Where a setting came from, for error messages: "node1.yaml:3:9" or
// "--disk" for a command-line flag.
struct SourceLoc {
  std::string file;  // empty for the command line
  int line = 0;
  int column = 0;
  std::string flag;  // the flag, when file is empty
  std::string ToString() const;
};

enum class DeviceKind { kDisk, kNic, kPci };
std::string_view DeviceKindName(DeviceKind kind);  // "disk", "nic", "pci"

struct DeviceRequest {
  DeviceKind kind = DeviceKind::kPci;
  std::string name;  // "sdb", "eth1", "0000:03:00.0" ("/dev/" stripped)
  SourceLoc where;
};

enum class OnCrash { kStop, kRestart };
std::string_view OnCrashName(OnCrash on_crash);  // "stop", "restart"

// One KVM guest as the user described it (`mintctl vm start` flags or a
// nodeconf `guests:` entry). Every path is a path inside the node that
// runs the guest (node0's for node0's guests), as virsh's disk paths are
// paths on the hypervisor's host. mint::vm checks and runs it.
struct GuestPort {
  uint16_t host = 0;   // TCP port on the node's own network
  uint16_t guest = 0;  // TCP port in the guest it is forwarded to
  auto operator<=>(const GuestPort&) const = default;
};

inline constexpr uint32_t kDefaultGuestVcpus = 1;
inline constexpr uint64_t kDefaultGuestMemory = 256ull << 20;
inline constexpr uint64_t kDefaultGuestDiskSize = 64ull << 20;
// Memory a guest's VMM (QEMU) needs beyond the guest's RAM: plan reserves
// it in a node, mint::vm checks it against the node's MemAvailable.
inline constexpr uint64_t kGuestVmmOverhead = 64ull << 20;

// The one rule for guest names, [a-z0-9][a-z0-9_-]{0,31}: a directory
// name, a hostname and a QEMU id at once. Every door (flags, nodeconf,
// mint-agent vm) asks this function.
bool IsValidGuestName(std::string_view name);
inline constexpr const char* kGuestNameRule =
    "a guest name is 1 to 32 characters of a-z, 0-9, '-' and '_', starting with a letter or "
    "digit";

struct GuestSpec {
  std::string name;  // "guest1": IsValidGuestName
  uint32_t vcpus = kDefaultGuestVcpus;
  ByteSize memory{kDefaultGuestMemory};
  // Direct kernel boot; both empty (and image empty): the default guest
  // (mint::vm's kDefaultGuestKernel/kDefaultGuestInitrd).
  std::string kernel;
  std::string initrd;
  std::string cmdline;  // appended to the guest's kernel command line
  std::string image;    // a bootable raw disk image (firmware boot) instead
  std::string disk;     // a raw disk file for the guest; created when missing, never removed
  ByteSize disk_size{kDefaultGuestDiskSize};  // its size when it is created
  bool net = false;                           // user networking on the node's own network
  std::vector<GuestPort> ports;               // TCP forwards into the guest (implies net)
  bool autostart = true;                      // started by boot and restart (nodeconf)
  SourceLoc where;                            // nodeconf entry, or the flag
};

// One node as the user described it, from nodeconf YAML or flags. Fields
// the user left out are empty/nullopt; plan fills in defaults.
struct NodeSpec {
  std::string name;  // "node1"
  SourceLoc name_where;

  std::optional<uint32_t> core_count;  // "cores: 2"
  std::vector<CpuId> cpu_list;         // "cores: [2, 3]"
  SourceLoc cores_where;

  std::optional<int> numa_node;
  SourceLoc numa_where;

  std::optional<ByteSize> memory;
  SourceLoc memory_where;

  std::vector<DeviceRequest> devices;

  std::string kernel;   // path; empty: node0's own kernel
  std::string initrd;   // path; empty: the default node initramfs
  std::string cmdline;  // extra kernel command line for the node
  SourceLoc kernel_where;

  OnCrash on_crash = OnCrash::kStop;
  uint32_t restart_budget = 3;  // restarts before giving up

  std::vector<GuestSpec> guests;  // nodeconf `guests:`
  bool kvm = false;               // --kvm: pack the VMM although no guest is declared
  // --no-iommu (nodeconf iommu: false): node0's IOMMU does not fence the
  // node's devices (MINT_CREATE_NO_IOMMU); their DMA reaches all of memory.
  bool no_iommu = false;
  SourceLoc no_iommu_where;
};

// ---- What the host has ---------------------------------------------------

struct Cpu {
  CpuId id;
  bool online = false;
  uint32_t package = 0;
  uint32_t core = 0;            // core_id within the package
  int numa_node = -1;           // -1 when the host has no NUMA info
  std::vector<CpuId> siblings;  // SMT threads of this core, itself included
  std::optional<ApicId> apic;   // from /proc/cpuinfo, when online
};

struct NumaNode {
  int id = 0;
  std::vector<CpuId> cpus;
  ByteSize mem_total;
  ByteSize mem_free;
};

// One line of /proc/iomem.
struct IomemRange {
  PhysAddr start;
  PhysAddr last;  // inclusive, as /proc/iomem prints it
  std::string name;
  int depth = 0;  // nesting level (two spaces per level)
};

struct PciFunction {
  PciBdf bdf;
  uint32_t class_code = 0;  // 24-bit class/subclass/prog-if
  uint16_t vendor = 0;
  uint16_t device = 0;
  std::string driver;  // bound driver, empty if none
  bool msi = false;
  bool msix = false;
  // The kernel showed only the first 64 bytes of config space (mintctl not
  // run as root): the capability list, so msi/msix, is unknown.
  bool caps_hidden = false;
  std::optional<int> iommu_group;  // none: node0 has no IOMMU for it
  int numa_node = -1;
  std::string description;  // libpci's name, e.g. "Virtio block device"
};

// One of node0's IOMMU groups: the functions its IOMMU cannot tell apart
// (no ACS isolation between them), so it fences their DMA only together.
// Its members are the PciFunctions whose iommu_group is `id`.
struct IommuGroup {
  int id = 0;
  // The group's default DMA domain as /sys/kernel/iommu_groups/<id>/type
  // names it: "DMA" or "DMA-FQ" (node0's IOMMU translates the functions'
  // DMA), "identity" (passed through: iommu=pt), "unmanaged" (a user-space
  // driver's, VFIO), "blocked"; empty when the kernel does not say.
  std::string type;
  // DMA reaches physical addresses untranslated ("identity").
  bool Identity() const { return type == "identity"; }
};

// A block device number, major:minor, as /sys/class/block/NAME/dev and
// the third field of /proc/self/mountinfo print it. The identity of a block
// device: names are not (/dev/root, /dev/mapper/vg0-root and dm-0 can be
// one device).
struct DevNum {
  uint32_t major = 0;
  uint32_t minor = 0;
  auto operator<=>(const DevNum&) const = default;
  std::string ToString() const;  // "8:2"
};

// A partition of a disk: /sys/block/sda/sda2.
struct Partition {
  std::string name;  // "sda2"
  DevNum dev;
};

// What a stacked device is, for the way to take it apart.
enum class StackKind {
  kDeviceMapper,  // LVM, dm-crypt, multipath: /sys/block/dm-N/dm
  kMd,            // md RAID: /sys/block/mdN/md
  kLoop,          // a loop device whose backing file is on the disk, or is it
  kPartition,     // a partition of a stacked device ("md0p1")
  kOther,         // another holder (bcache, ...)
};

// A device node0 built on a disk: it holds the disk, one of its
// partitions, or another stacked device of the same disk
// (/sys/block/*/holders, /sys/block/*/*/holders, loop/backing_file).
struct StackedDevice {
  std::string name;  // "dm-0", "md0", "loop0", "md0p1"
  DevNum dev;
  StackKind kind = StackKind::kOther;
  // "vg0-root" (dm/name), "raid1" (md/level), the backing file of a loop
  // device ("/srv/disk.img"); empty when there is none.
  std::string label;
  // What it is built on, by name, within this disk's tree: the disk, its
  // partitions or stacked devices listed before it ("sda2", "md0").
  std::vector<std::string> on;
};

// A disk: an entry of /sys/block. Whole stacked devices (dm-0, md0, loop0)
// are entries too; they are also listed in `stacked` of the disks below them.
struct BlockDevice {
  std::string name;  // "sdb"
  DevNum dev;
  std::optional<PciBdf> pci;  // the controller's function
  ByteSize size;
  std::vector<Partition> partitions;
  // Everything stacked above the disk or its partitions, transitively,
  // nearest first: the holder closure.
  std::vector<StackedDevice> stacked;

  // The disk itself, a partition or a stacked device of it, by name.
  bool Contains(std::string_view device) const;
  const StackedDevice* FindStacked(std::string_view device) const;
};

// A route of node0's kernel out of an interface, from any routing table.
struct NetRoute {
  std::string destination;  // "default", "10.9.0.0/16", "203.0.113.7" (a host), "fd00::/64"
  std::string gateway;      // "10.0.2.2"; empty for a directly connected network
  std::string table;        // "main", "100" (iproute2's name or the table number)
  bool ipv6 = false;
  // In ip route's words: "default via 10.0.2.2", "10.50.0.0/16 table 100"
  // (the main table is not named).
  std::string ToString() const;
  auto operator<=>(const NetRoute&) const = default;
};

// A virtual interface stacked on a NIC: a bridge or bond it is a port of,
// or a VLAN, macvlan or ipvlan on it, and what is stacked on those in turn.
struct NetUpper {
  std::string name;   // "br0"
  std::string kind;   // the kernel's link kind: "bridge", "bond", "team", "vlan", "macvlan"
  std::string lower;  // the interface right below it: the NIC or an earlier NetUpper
  bool port = false;  // lower is a port of it (it is lower's master: bridge, bond, team)
  std::vector<std::string> addresses;  // as Nic::addresses
  std::vector<NetRoute> routes;
};

// A network interface that is hardware (it has a device link). addresses
// and routes are what node0's kernel has on the interface itself; uppers
// what is stacked above it. An address is "10.0.2.15/24" or "fd00::2/64",
// any IPv4 one and every IPv6 one but link-local (fe80::/10); routes are
// the unicast routes of every table that leave through it, but those to
// link-local IPv6 networks (mint::topology says why).
struct Nic {
  std::string name;  // "eth1"
  std::optional<PciBdf> pci;
  std::vector<std::string> addresses;
  std::vector<NetRoute> routes;
  std::vector<NetUpper> uppers;  // nearest first: each one's lower comes before it
};

// A mounted filesystem, from /proc/self/mountinfo.
struct Mount {
  std::string source;  // "/dev/sda1", "/dev/root", "/dev/mapper/vg0-root"
  std::string target;  // "/"
  std::string fstype;
  // The block device the filesystem is on: mountinfo's major:minor, or,
  // for a filesystem with an anonymous device number (major 0: btrfs), the
  // device its source names. 0:N for filesystems on no block device.
  DevNum dev;
};

// An active swap area, from /proc/swaps.
struct Swap {
  std::string source;  // "/dev/sdb2", "/dev/dm-1" or a file ("/swapfile")
  bool file = false;   // a swap file: `dev` is its filesystem's device
  DevNum dev;          // the block device it is on
};

// How node0 uses a disk (HostTopology::DiskUses): one chain from the
// disk, or one of its partitions, up to the device node0 uses.
struct DiskUse {
  enum class Kind {
    kMounted,    // chain.back() holds a mounted filesystem (at `where`)
    kSwap,       // chain.back() is swap space (`where`: as /proc/swaps names it)
    kSwapFile,   // chain.back() holds the filesystem of the swap file `where`
    kAssembled,  // chain.back() is a stacked device nothing uses, but node0 has it assembled
  };
  Kind kind = Kind::kMounted;
  // Names, from the disk or a partition up: {"sda2", "dm-0"}; {"sdb"}.
  std::vector<std::string> chain;
  std::string where;  // mount point or swap path; empty for kAssembled
};

// A node's state: the kernel's enum mint_node_state (include/uapi/linux/
// mint.h, same order and numbers; model.cpp checks it), which
// /sys/kernel/mint/nodes/<id>/state shows by these names (docs/abi.md).
enum class NodeState : uint8_t {
  kCreated,   // resources held, nothing loaded
  kLoaded,    // image copied in
  kBooting,   // CPU started, no word from it yet
  kRunning,   // the node said it is up
  kStopping,  // node0 asked it to stop
  kStopped,   // parked after halt/poweroff/reboot
  kCrashed,   // parked after a panic
  kHung,      // heartbeat silent past a deadline
  kFailed,    // never reached its console
};
std::string_view NodeStateName(NodeState state);  // "running"
// The state named by `text` (trailing whitespace ignored); an unknown name
// is kIo naming `path` and the names this mintctl knows.
Result<NodeState> ParseNodeState(std::string_view text, std::string_view path);
// The rules every reader of a state shares:
// never started: what a killed mintctl leaves (created, loaded); recovered.
bool NeverStarted(NodeState state);
// its CPUs may be running node code (booting, running, stopping, hung):
// destroy refuses it until it is stopped or killed.
bool MayRun(NodeState state);
// went down on its own (crashed, hung, failed): on_crash applies, status
// shows the console's last lines.
bool WentDown(NodeState state);

// The node id a directory of /sys/kernel/mint/nodes names: the kernel's
// own decimal form, 1 to 3 digits, no leading zero ("3", not "03" or
// " 3"); nullopt for any other entry, which is not a node. The one rule
// every reader of that directory uses, so that two readers never see two
// different sets of nodes.
std::optional<uint32_t> NodeIdOfEntry(std::string_view entry);

// How node0's IOMMU fences a PCI function a node owns: one line of
// /sys/kernel/mint/nodes/<id>/iommu.
struct PciFence {
  PciBdf bdf;
  // The IOMMU group attached to the node's DMA domain (its DMA reaches only
  // the node's memory); nullopt: unfenced (the node was booted with
  // --no-iommu), its DMA reaches all of memory.
  std::optional<int> group;
  auto operator<=>(const PciFence&) const = default;
};

// A node as /sys/kernel/mint/nodes/<id>/ describes it.
struct MintNode {
  uint32_t id = 0;
  std::string name;
  NodeState state = NodeState::kCreated;
  std::vector<CpuId> cpus;
  std::vector<ApicId> apic_ids;
  std::vector<PhysRange> memory;
  std::vector<PciBdf> devices;
  uint64_t heartbeat = 0;
  std::string reason;
  std::string uptime;  // seconds since it reached running ("12.3"); empty if not running
  // ms since node0 last saw the stalest CPU counter move; nullopt unless
  // running or hung (or on a kernel without nodes/<id>/heartbeat_age_ms).
  std::optional<uint64_t> heartbeat_age_ms;
  // nodes/<id>/iommu, a fence per owned function; nullopt on a kernel
  // before ABI 4, which has no such file (and fences nothing).
  std::optional<std::vector<PciFence>> iommu;
};

// What /sys/kernel/mint says; present == false on a kernel without mint.
struct MintState {
  bool present = false;
  uint32_t abi_version = 0;
  std::vector<PhysRange> pool;
  ByteSize pool_total;
  ByteSize pool_free;
  std::vector<MintNode> nodes;
};

// PCI config space window (ACPI MCFG), from /proc/iomem "PCI MMCONFIG" or
// "PCI ECAM". base is the MCFG base address: where bus 0's config space would
// be, even when the window starts at a later bus (what mint_setup.ecam_base
// and the kernel's pci_mmconfig_add() take). The window itself is
// [base + bus_start MiB, base + (bus_end + 1) MiB).
struct Ecam {
  PhysAddr base;
  uint16_t segment = 0;
  uint8_t bus_start = 0;
  uint8_t bus_end = 0;
};

struct HostTopology {
  std::vector<Cpu> cpus;
  std::vector<NumaNode> numa_nodes;
  ByteSize mem_total;
  std::vector<IomemRange> iomem;
  // /proc/iomem read with every address zero (mintctl not run as root): the
  // physical address map, so the ECAM window, is unknown (ecam is empty).
  bool iomem_hidden = false;
  std::optional<Ecam> ecam;
  std::vector<PciFunction> pci;
  std::vector<IommuGroup> iommu_groups;  // every group a function of `pci` is in, by id
  std::vector<BlockDevice> disks;
  std::vector<Nic> nics;
  std::vector<Mount> mounts;
  std::vector<Swap> swaps;
  MintState mint;
  std::string cmdline;  // node0's /proc/cmdline, for defaults

  const Cpu* FindCpu(CpuId id) const;
  const PciFunction* FindPci(const PciBdf& bdf) const;
  const IommuGroup* FindIommuGroup(int id) const;
  // The functions in IOMMU group `id`, in PCI address order.
  std::vector<const PciFunction*> IommuGroupMembers(int id) const;
  const BlockDevice* FindDisk(std::string_view name) const;
  const Nic* FindNic(std::string_view name) const;
  // The one disk-in-use rule: node0 uses `disk` when a mount or a swap area
  // is on the device number of the disk, of one of its partitions or of
  // anything stacked above them; a stacked device that nothing mounts or
  // swaps on is in use too (node0 has it assembled). In order: mounts (as
  // mountinfo lists them: the root filesystem first on most hosts), swaps,
  // assembled devices.
  // Empty: the disk is free.
  std::vector<DiskUse> DiskUses(const BlockDevice& disk) const;
  // The node that owns this CPU or function, nullptr if node0 has it.
  const MintNode* OwnerOf(CpuId id) const;
  const MintNode* OwnerOf(const PciBdf& bdf) const;
};

// ---- What mint decided -----------------------------------------------------

struct PlannedDevice {
  DeviceRequest request;
  PciBdf bdf;
  std::string node0_driver;  // unbound from node0, rebound on destroy
  std::string description;   // "Virtio block device (sdb)"
  // The IOMMU group node0 fences it in (its DMA reaches only the node's
  // memory); nullopt when the node is unfenced (Plan::no_iommu).
  std::optional<int> iommu_group;
};

struct Plan {
  uint32_t node_id = 0;
  std::string name;
  std::vector<CpuId> cpus;
  int numa_node = -1;
  ByteSize memory;
  std::vector<PlannedDevice> devices;
  std::optional<Ecam> ecam;  // handed to the node when it has devices
  bool no_iommu = false;     // NODE_CREATE with MINT_CREATE_NO_IOMMU: devices unfenced
  std::string kernel;
  std::string initrd;
  // Archives appended to initrd, in order (the kernel unpacks
  // concatenated cpio archives): the VMM layer when the node hosts guests.
  std::vector<std::string> initrd_layers;
  std::string cmdline;
  OnCrash on_crash = OnCrash::kStop;
  uint32_t restart_budget = 3;
  std::vector<GuestSpec> guests;  // started once the node's agent is ready (autostart ones)
  // What plan chose on the user's behalf, in words: "picked cores 2-3
  // (whole cores on NUMA node 0)".
  std::vector<std::string> notes;
};

}  // namespace mint
