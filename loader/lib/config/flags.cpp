// Command-line flags -> NodeSpec, on top of a nodeconf file's spec or an
// empty one. A flag replaces the file's value for the same setting; devices
// add up; a node name that disagrees with the file's is refused rather than
// silently picked. The checks are the ones nodeconf uses (checks.h).
#include "checks.h"
#include "mint/config.h"

namespace mint::config {
namespace {
SourceLoc Flag(std::string_view flag) { return SourceLoc{"", 0, 0, std::string(flag)}; }
}  // namespace

Result<NodeSpec> ApplyFlags(NodeSpec base, const NodeFlags& flags) {
  NodeSpec& spec = base;
  if (flags.name) {
    MINT_CHECK(CheckNodeName(*flags.name, Flag("NODE")));
    if (!spec.name.empty() && spec.name != *flags.name) {
      return MakeError(ErrorCode::kInvalidArgument, spec.name_where.ToString(),
                       "the file names this node " + spec.name + " but the command line says " +
                           *flags.name + "; drop one of the two or make them agree");
    }
    if (spec.name.empty()) spec.name_where = Flag("NODE");
    spec.name = *flags.name;
  }
  if (flags.cores) MINT_CHECK(internal::SetCores(spec, *flags.cores, Flag("--cores")));
  if (flags.numa_node) {
    MINT_TRY(spec.numa_node, internal::NumaNode(*flags.numa_node, Flag("--numa-node")));
    spec.numa_where = Flag("--numa-node");
  }
  if (flags.memory) {
    MINT_TRY(spec.memory, internal::Size("memory", *flags.memory, Flag("--mem")));
    spec.memory_where = Flag("--mem");
  }
  if (flags.kernel) {
    MINT_TRY(spec.kernel, internal::ImagePath("kernel", *flags.kernel, Flag("--kernel")));
    spec.kernel_where = Flag("--kernel");
  }
  if (flags.initrd) {
    MINT_TRY(spec.initrd, internal::ImagePath("initrd", *flags.initrd, Flag("--initrd")));
  }
  if (flags.cmdline) spec.cmdline = *flags.cmdline;
  if (flags.on_crash) {
    MINT_TRY(spec.on_crash, internal::OnCrashPolicy(*flags.on_crash, Flag("--on-crash")));
  }
  for (const std::string& disk : flags.disks) {
    MINT_CHECK(internal::AddDevice(spec, DeviceKind::kDisk, disk, Flag("--disk")));
  }
  for (const std::string& nic : flags.nics) {
    MINT_CHECK(internal::AddDevice(spec, DeviceKind::kNic, nic, Flag("--nic")));
  }
  for (const std::string& pci : flags.pcis) {
    MINT_CHECK(internal::AddDevice(spec, DeviceKind::kPci, pci, Flag("--pci")));
  }
  if (flags.kvm) spec.kvm = true;
  if (flags.no_iommu) {
    spec.no_iommu = true;
    spec.no_iommu_where = Flag("--no-iommu");
  }
  return base;
}

}  // namespace mint::config
