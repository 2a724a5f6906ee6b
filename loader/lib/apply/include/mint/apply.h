// mint::apply carries out a Plan on node0, in this order, each step with
// its undo: move every planned PCI function to pci-stub, NODE_CREATE,
// NODE_ASSIGN_PCI each function, build the boot image (boot::BuildBootImage)
// from the ranges, APIC ids and clock rates NODE_CREATE returned, NODE_LOAD,
// NODE_START. If any step fails, the steps already done are undone in
// reverse (the node destroyed, every function back on its node0 driver) and
// the original error is returned, with any undo failure added to it.
// `mintctl plan` runs this same code against a RecordingMintDevice and a
// RecordingPciDriver (MakeDryRun), so it shows the exact steps boot runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::apply {

// The files the node boots, as the CLI read them. nullopt: not read (only
// for a dry run on a machine without them; then the image is not built and
// NODE_LOAD/NODE_START are listed but not run).
struct BootFiles {
  std::optional<std::vector<uint8_t>> kernel;
  std::optional<std::vector<uint8_t>> initrd;
};

struct Applied {
  uint32_t node_id = 0;
  PhysAddr entry;
  std::vector<PhysRange> ram;
};

// Runs the plan. `log` gets one line per step as it is done ("3. NODE_..."),
// and one per undo ("undo 2: ..."); it is filled on failure too.
Result<Applied> Apply(const Plan& plan, const BootFiles& files, sys::MintDevice& device,
                      sys::PciDriverControl& pci, std::vector<std::string>& log);

// The seams of a dry run, modelled on `host` (its mint pool, its CPUs' APIC
// ids, its functions' drivers). When the host has no mint pool, an
// illustrative one at 4 GiB of `fallback_pool` bytes is used.
struct DryRun {
  std::unique_ptr<sys::RecordingMintDevice> device;
  std::unique_ptr<sys::RecordingPciDriver> pci;
};
DryRun MakeDryRun(const HostTopology& host, uint64_t fallback_pool = 64ull << 30);

}  // namespace mint::apply
