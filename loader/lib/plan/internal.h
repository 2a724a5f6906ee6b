// The pieces MakePlan is made of, one concern per file: cpus.cpp chooses
// and checks CPUs, memory.cpp the memory size, devices.cpp the PCI
// functions, kernel.cpp the kernel image, guests.cpp the guests. Each appends what it chose on the
// user's behalf to `notes`. Private to mint_plan.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"
#include "mint/plan.h"
#include "mint/result.h"

namespace mint::plan::internal {

// The error context for a setting: where it came from, or `fallback` when
// the user did not give it (a default).
std::string Where(const SourceLoc& where, std::string_view fallback);

// "a, b and c".
std::string JoinWords(const std::vector<std::string>& words);

// A device request as the user typed it: "--disk sdb".
std::string DescribeRequest(const DeviceRequest& r);
// "a host bridge", "an ISA bridge", "a PCI bridge" or "a bridge" (class 0x06).
std::string BridgeKind(uint32_t class_code);
// "0000:00:03.0 (Virtio block device)", or the address alone.
std::string FunctionName(const PciFunction& f);

struct CpuChoice {
  std::vector<CpuId> cpus;  // sorted
  int numa_node = -1;       // -1 when the CPUs span NUMA nodes or there is no NUMA info
};
Result<CpuChoice> ChooseCpus(const HostTopology& host, const NodeSpec& spec,
                             std::vector<std::string>& notes);

Result<ByteSize> ChooseMemory(const HostTopology& host, const NodeSpec& spec, int numa_node,
                              std::vector<std::string>& notes);

Result<std::vector<PlannedDevice>> ResolveDevices(const HostTopology& host, const NodeSpec& spec);

// iommu.c: whether node0's IOMMU can fence the resolved devices (or, with
// --no-iommu, leaves their DMA untranslated); sets each one's iommu_group.
Result<void> PlanFences(const HostTopology& host, const NodeSpec& spec,
                        std::vector<PlannedDevice>& devices, std::vector<std::string>& notes);

Result<void> CheckKernel(const KernelImage& kernel, const NodeSpec& spec,
                         std::vector<std::string>& notes);

// guests.cpp: the VMM layer and the declared guests (fit in the node's
// memory and CPUs, node ports unique). After cpus and memory are chosen.
Result<void> PlanGuests(const NodeSpec& spec, Plan& plan);

}  // namespace mint::plan::internal
