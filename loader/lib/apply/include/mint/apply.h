// mint::apply changes the host, in two directions, each step with its undo.
// Apply carries out a Plan: NODE_CREATE, NODE_ASSIGN_PCI for each planned
// function (ownership recorded in the kernel first), each function handed
// from its node0 driver to pci-stub, the boot image built
// (boot::BuildBootImage) from the ranges, APIC ids and clock rates
// NODE_CREATE returned, NODE_LOAD, NODE_START. If any step fails, the steps
// already done are undone (NODE_DESTROY, then every stubbed function back on
// its node0 driver) and the original error is returned, with any undo
// failure added to it. Teardown ends a node: NODE_DESTROY, then every
// function it owned back to node0 (GiveBack). `mintctl plan` runs Apply
// against a RecordingMintDevice and a RecordingPciDriver (MakeDryRun), so it
// shows the exact steps boot runs.
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
// and one per undo ("undo 2: ..."); it is filled on failure too, where a
// step or undo that failed gets "   failed" (why is in the returned error,
// so that the CLI shows it once).
Result<Applied> Apply(const Plan& plan, const BootFiles& files, sys::MintDevice& device,
                      sys::PciDriverControl& pci, std::vector<std::string>& log);

// The seams of a dry run, modelled on `host` (its mint pool, its CPUs' APIC
// ids, its functions' drivers). When the host has no mint pool (a plan made
// on a kernel without mint), an illustrative one at 4 GiB of `fallback_pool`
// bytes is used: callers pass the node's own memory, so the dry run never
// refuses a size against a pool that does not exist.
struct DryRun {
  std::unique_ptr<sys::RecordingMintDevice> device;
  std::unique_ptr<sys::RecordingPciDriver> pci;
};
DryRun MakeDryRun(const HostTopology& host, uint64_t fallback_pool);

// ---- Teardown: the end of a node (mintctl destroy, mintctl recover) -------
//
// Teardown(node, device, pci, log) is the one way a node's resources go
// back to node0. `node` is the node as /sys/kernel/mint/nodes/<id>/ shows it
// (topology::Discover's MintNode: id, name, devices), read BEFORE the call:
// after NODE_DESTROY the kernel no longer lists the node's functions.
//  1. NODE_DESTROY node.id. The kernel refuses a node that is running,
//     booting or stopping (EBUSY); for a node that was ever started it
//     resets each owned function before the memory is scrubbed and
//     returned, onlines the CPUs and drops the ownership. If it fails,
//     NOTHING else is done (node0 must not drive a function the node may
//     still use): the error is returned with "; nothing was given back to
//     node0" added.
//  2. GiveBack(node.devices): every function, even when one fails.
// Callers: destroy after checking the state; recover for nodes left in
// `created`/`loaded` by a killed mintctl (their functions may still be on
// their node0 driver, on pci-stub, or in between: GiveBack handles each).
// `log` gets one line per action ("NODE_DESTROY node1 (id 1)",
// "give 0000:00:03.0 back to node0: ...").
Result<void> Teardown(const MintNode& node, sys::MintDevice& device, sys::PciDriverControl& pci,
                      std::vector<std::string>& log);

// Gives each function back to node0's drivers: PciDriverControl::Restore
// with no original driver, i.e. driver_override cleared, pci-stub unbound if
// it holds the function, drivers_probe (the kernel binds the driver that
// matches; a function still on its driver stays there), and every SCSI host
// under a storage function scanned with "- - -" (node0 may boot with
// scsi_mod.scan=manual, as the lab does), so its disks come back. Tries
// every function; if any failed, one kIo error (context `who`, e.g.
// "node1") lists each failed function with its error and the commands that
// finish the job by hand.
Result<void> GiveBack(const std::string& who, const std::vector<PciBdf>& functions,
                      sys::PciDriverControl& pci, std::vector<std::string>& log);

// Functions bound to pci-stub that no node owns: what a mintctl killed
// between NODE_DESTROY and GiveBack leaves behind (mint is the only user
// of pci-stub it knows of; recover may GiveBack these after saying so).
std::vector<PciBdf> StrandedFunctions(const HostTopology& host);

}  // namespace mint::apply
