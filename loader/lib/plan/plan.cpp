// MakePlan: the node's name and id, then CPUs, memory, devices and the
// kernel, each checked by its own file; the first refusal wins and nothing
// is changed; and the node's command line (console=mint, mint_node_name=).
// Also the small shared helpers of the plan library.
#include "mint/plan.h"

#include <linux/mint.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "internal.h"

namespace mint::plan {
namespace internal {

std::string Where(const SourceLoc& where, std::string_view fallback) {
  std::string text = where.ToString();
  return text.empty() ? std::string(fallback) : text;
}

std::string DescribeRequest(const DeviceRequest& r) {
  return "--" + std::string(DeviceKindName(r.kind)) + " " + r.name;
}

std::string FunctionName(const PciFunction& f) {
  return f.description.empty() ? f.bdf.ToString() : f.bdf.ToString() + " (" + f.description + ")";
}

std::string BridgeKind(uint32_t class_code) {
  switch (class_code >> 8) {
    case 0x0600:
      return "a host bridge";
    case 0x0601:
      return "an ISA bridge";
    case 0x0604:
      return "a PCI bridge";
    default:
      return "a bridge";
  }
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

}  // namespace internal

namespace {

// The node's userspace (lab/initramfs/node-init) takes its hostname from this.
constexpr std::string_view kNodeNameKey = "mint_node_name=";

bool HasWordStartingWith(std::string_view cmdline, std::string_view prefix) {
  size_t pos = 0;
  while (pos < cmdline.size()) {
    size_t end = cmdline.find(' ', pos);
    if (end == std::string_view::npos) end = cmdline.size();
    if (cmdline.substr(pos, end - pos).starts_with(prefix)) return true;
    pos = end + 1;
  }
  return false;
}

// What a node must not do to machine-wide state that its kernel cannot
// refuse by itself, because it happens before SETUP_MINT is read (see
// docs/kernel-node.md): load microcode (shared by the core's threads and
// node0), switch split-lock detection (a per-core MSR), delay I/O through
// port 0x80 (node0's POST port); and one that makes a node stoppable:
// KVM must not put every CPU in VMX operation at boot (a CPU in VMX operation
// ignores INIT, so node0 could not kill a hung node on Intel; KVM enables
// virtualization when the node's first VM starts instead). Each is {key to
// look for, word to add}.
struct NodeParam {
  std::string_view key;
  std::string_view word;
};
constexpr NodeParam kNodeParams[] = {
    {"dis_ucode_ldr", "dis_ucode_ldr"},
    {"split_lock_detect=", "split_lock_detect=off"},
    {"io_delay=", "io_delay=none"},
    {"kvm.enable_virt_at_load=", "kvm.enable_virt_at_load=0"},
};

// The node's command line: its console is mint's ring (mintctl console reads
// it), its userspace learns its name, the kernel keeps off machine-wide
// state; what the user wrote comes last and is never doubled (a user's
// console=mint,..., mint_node_name= or one of kNodeParams is kept).
std::string NodeCmdline(const std::string& name, const std::string& user) {
  std::string out;
  auto add = [&out](std::string_view word) {
    if (!out.empty()) out += ' ';
    out += word;
  };
  if (user.find(kNodeConsole) == std::string::npos) add(kNodeConsole);
  if (!HasWordStartingWith(user, kNodeNameKey)) add(std::string(kNodeNameKey) + name);
  for (const NodeParam& param : kNodeParams) {
    if (!HasWordStartingWith(user, param.key)) add(param.word);
  }
  if (!user.empty()) add(user);
  return out;
}

}  // namespace

namespace {

using internal::Where;

Result<void> CheckName(const HostTopology& host, const NodeSpec& spec) {
  std::string ctx = Where(spec.name_where, "name");
  if (spec.name.empty())
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "the node has no name; give one (mintctl plan node1 ...) or set name: in "
                     "the nodeconf file");
  if (spec.name == "node0")
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "node0 is the host itself; call the node something else, e.g. node1");
  if (spec.name.size() >= MINT_NAME_LEN)
    return MakeError(ErrorCode::kInvalidArgument, ctx,
                     "the name " + spec.name + " is longer than " +
                         std::to_string(MINT_NAME_LEN - 1) + " characters; pick a shorter one");
  for (const auto& node : host.mint.nodes)
    if (node.name == spec.name)
      return MakeError(ErrorCode::kConflict, ctx,
                       "a node named " + spec.name + " already exists (id " +
                           std::to_string(node.id) + ", " + std::string(NodeStateName(node.state)) +
                           "); pick another name or destroy it first (mintctl destroy " +
                           spec.name + ")");
  return Ok();
}

Result<uint32_t> FreeNodeId(const HostTopology& host) {
  for (uint32_t id = 1; id < MINT_MAX_NODES; ++id) {
    bool used = std::any_of(host.mint.nodes.begin(), host.mint.nodes.end(),
                            [&](const MintNode& n) { return n.id == id; });
    if (!used) return id;
  }
  return MakeError(
      ErrorCode::kInsufficient, "node id",
      "all " + std::to_string(MINT_MAX_NODES - 1) + " node ids are in use (mint runs at most " +
          std::to_string(MINT_MAX_NODES - 1) + " nodes beside node0); destroy a node first");
}

// The kernel's command line is ASCII text: a control byte or one above
// 0x7e would end up in boot_params, the boot recipe and every status.
Result<void> CheckCmdline(const NodeSpec& spec) {
  for (size_t i = 0; i < spec.cmdline.size(); ++i) {
    const auto c = static_cast<unsigned char>(spec.cmdline[i]);
    if (c >= 0x20 && c <= 0x7e) continue;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", c);
    return MakeError(ErrorCode::kInvalidArgument, Where(spec.kernel_where, "cmdline"),
                     "the node's command line has byte " + std::string(byte) + " at offset " +
                         std::to_string(i) +
                         ", which is not printable ASCII; a kernel command line is plain "
                         "ASCII text: remove it");
  }
  return Ok();
}

// What SETUP_MINT and MINT_NODE_CREATE/ASSIGN_PCI can carry (the uapi
// header's limits): refused here so boot never meets them half-way.
Result<void> CheckAbiLimits(const NodeSpec& spec, const Plan& plan) {
  if (plan.cpus.size() > MINT_MAX_CPUS)
    return MakeError(ErrorCode::kUnsupported, Where(spec.cores_where, "cores"),
                     std::to_string(plan.cpus.size()) + " CPUs are more than a node can have (" +
                         std::to_string(MINT_MAX_CPUS) +
                         ", MINT_MAX_CPUS of this mint ABI); give it at most " +
                         std::to_string(MINT_MAX_CPUS) + " CPUs, or split the work over two nodes");
  if (plan.devices.size() > MINT_MAX_PCI)
    return MakeError(
        ErrorCode::kUnsupported, Where(spec.devices[MINT_MAX_PCI].where, "devices"),
        std::to_string(plan.devices.size()) + " PCI functions are more than a node can own (" +
            std::to_string(MINT_MAX_PCI) + ", MINT_MAX_PCI of this mint ABI); give it at most " +
            std::to_string(MINT_MAX_PCI) + " devices");
  return Ok();
}

}  // namespace

std::string KernelPathFor(const NodeSpec& spec) {
  return spec.kernel.empty() ? kDefaultKernel : spec.kernel;
}

Result<Plan> MakePlan(const HostTopology& host, const NodeSpec& spec, const KernelImage& kernel) {
  Plan plan;
  MINT_CHECK(CheckName(host, spec));
  plan.name = spec.name;
  MINT_TRY(plan.node_id, FreeNodeId(host));

  MINT_TRY(internal::CpuChoice cpus, internal::ChooseCpus(host, spec, plan.notes));
  plan.cpus = cpus.cpus;
  plan.numa_node = cpus.numa_node;
  MINT_TRY(plan.memory, internal::ChooseMemory(host, spec, plan.numa_node, plan.notes));
  MINT_TRY(plan.devices, internal::ResolveDevices(host, spec));
  MINT_CHECK(CheckAbiLimits(spec, plan));
  plan.no_iommu = spec.no_iommu;
  MINT_CHECK(internal::PlanFences(host, spec, plan.devices, plan.notes));
  if (!plan.devices.empty()) {
    if (host.iomem_hidden)
      return MakeError(ErrorCode::kUnsupported, Where(spec.devices.front().where, "devices"),
                       "/proc/iomem shows mintctl no addresses (mintctl is not running as root), "
                       "so the PCI ECAM window a node needs for its devices cannot be found; run "
                       "mintctl as root");
    if (!host.ecam)
      return MakeError(ErrorCode::kUnsupported, Where(spec.devices.front().where, "devices"),
                       "this host shows no PCI MMCONFIG (ECAM) window in /proc/iomem, and a "
                       "node reaches its devices only through ECAM; boot the node without "
                       "devices");
    plan.ecam = host.ecam;
  }

  plan.kernel = KernelPathFor(spec);
  MINT_CHECK(internal::CheckKernel(kernel, spec, plan.notes));
  plan.initrd = spec.initrd.empty() ? kDefaultInitrd : spec.initrd;
  if (spec.initrd.empty()) plan.notes.push_back("initrd " + plan.initrd + " (the default)");
  MINT_CHECK(CheckCmdline(spec));
  plan.cmdline = NodeCmdline(plan.name, spec.cmdline);
  plan.on_crash = spec.on_crash;
  plan.restart_budget = spec.restart_budget;
  MINT_CHECK(internal::PlanGuests(spec, plan));
  return plan;
}

}  // namespace mint::plan
