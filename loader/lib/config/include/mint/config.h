// mint::config: what the user asked for, as a NodeSpec. Two front doors —
// a nodeconf YAML file (schema: nodeconf/README.md) and command-line flags —
// that check the same things with the same messages, so `-f node1.yaml`
// and `--cores 2 --mem 1G --disk sdb` give the same NodeSpec. Only syntax
// and self-consistency are checked here; whether the host can do it is
// plan's job. Every error names where the value came from: "node1.yaml:3:9"
// for the file, the flag ("--mem") for the command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"

namespace mint::config {

// Strings exactly as typed on the command line; unset = nullopt / empty.
// Errors name them as mintctl spells them: NODE (the positional name),
// --cores, --numa-node, --mem, --kernel, --initrd, --cmdline, --on-crash,
// --disk, --nic, --pci.
//   cores: a bare number is a count ("2"); anything else is a kernel CPU
//          list ("2-3", "2,3"; a single CPU is "5-5" or "5,").
struct NodeFlags {
  std::optional<std::string> name, cores, numa_node, memory, kernel, initrd, cmdline, on_crash;
  std::vector<std::string> disks, nics, pcis;
  bool kvm = false;       // --kvm
  bool no_iommu = false;  // --no-iommu
};

// `mintctl vm start NODE GUEST` flags, strings as typed. Errors name GUEST,
// --vcpus, --mem, --kernel, --initrd, --cmdline, --image, --disk,
// --disk-size, --port.
struct GuestFlags {
  std::string name;
  std::optional<std::string> vcpus, memory, kernel, initrd, cmdline, image, disk, disk_size;
  bool net = false;
  std::vector<std::string> ports;  // "8080:80"
};
// The GuestSpec those flags describe (defaults: 1 vCPU, 256 MiB, the
// default guest image), with the checks nodeconf's guests: entries get.
Result<GuestSpec> GuestFromFlags(const GuestFlags& flags);

// Parses one nodeconf document. file_name is only used in error contexts
// ("node1.yaml:3:9"). The name is optional here (the command line may give
// it); everything present is checked.
Result<NodeSpec> ParseNodeConf(std::string_view yaml, std::string_view file_name);

// Flags on top of a spec (from a file or empty): a given flag replaces the
// file's value; devices from flags are added; contradictions (a name that
// differs from the file's, a device given twice) are errors.
Result<NodeSpec> ApplyFlags(NodeSpec base, const NodeFlags& flags);

// The checks both doors share; exposed for mintctl's own arguments.
// Node names: [a-z][a-z0-9-]{0,30} (fits MINT_NAME_LEN with its NUL).
Result<void> CheckNodeName(std::string_view name, const SourceLoc& where);

}  // namespace mint::config
