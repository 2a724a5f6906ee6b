// mint::apply changes the host, in two directions, each step with its undo.
// Apply carries out a Plan: NODE_CREATE, NODE_ASSIGN_PCI for each planned
// function (ownership recorded in the kernel first), each function handed
// from its node0 driver to pci-stub, the boot image built
// (boot::BuildBootImage) from the ranges, APIC ids and clock rates
// NODE_CREATE returned, NODE_LOAD, NODE_START. If any step fails, the steps
// already done are undone (NODE_DESTROY, then every stubbed function back on
// its node0 driver, or on none when it had none) and the original error is
// returned, with any undo failure added to it. Every change is written to
// the node's Ledger (mint/ledger.h) before it is made and forgotten once
// undone. Teardown ends a node: NODE_DESTROY, then every function the
// ledger says mint moved back where it was. `mintctl plan` runs Apply
// against a RecordingMintDevice and a RecordingPciDriver (MakeDryRun) and no
// ledger, so it shows the exact steps boot runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mint/ledger.h"
#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint/timing.h"

namespace mint::apply {

// The files the node boots, as the CLI read them. nullopt: not read (only
// for a dry run on a machine without them; then the image is not built and
// NODE_LOAD/NODE_START are listed but not run).
struct BootFiles {
  std::optional<std::vector<uint8_t>> kernel;
  std::optional<std::vector<uint8_t>> initrd;
  // The kernel's payload decompressed (lifecycle::ExpandKernel): the node
  // boots it laid out, skipping its own decompressor; nullopt: compressed.
  std::optional<std::vector<uint8_t>> expanded;
  std::string expanded_note;  // how it was had, for the step log
  uint64_t kaslr_random = 0;  // picks the expanded kernel's virtual slot
};

struct Applied {
  uint32_t node_id = 0;
  PhysAddr entry;
  std::vector<PhysRange> ram;
};

// Runs the plan. `log` gets one line per step as it is done ("3. NODE_..."),
// and one per undo ("undo 2: ..."); it is filled on failure too, where a
// step or undo that failed gets "   failed" (why is in the returned error,
// so that the CLI shows it once). `ledger` is written before NODE_CREATE
// (the CPUs; a failure there changes nothing) and before each stub (the
// function and its driver), and each entry is forgotten when its undo
// worked; nullptr only for a dry run. `timeline`, when given, gets the
// phases cpu_offline (NODE_CREATE), devices, build_image, load and start.
Result<Applied> Apply(const Plan& plan, const BootFiles& files, sys::MintDevice& device,
                      sys::PciDriverControl& pci, Ledger* ledger, std::vector<std::string>& log,
                      timing::Timeline* timeline = nullptr);

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
// Teardown(node, device, pci, ledger, log) is the one way a node's
// resources go back to node0. `node` is the node as
// /sys/kernel/mint/nodes/<id>/ shows it (id, name, devices), read BEFORE
// the call.
//  1. NODE_DESTROY node.id. The kernel refuses a node that is running,
//     booting or stopping (EBUSY); for a node that was ever started it
//     resets each owned function before the memory is scrubbed and
//     returned, onlines the CPUs and drops the ownership. If it fails,
//     NOTHING else is done (node0 must not drive a function the node may
//     still use): the error is returned with "; nothing was given back to
//     node0" added. Then the ledger forgets the CPUs.
//  2. GiveBack(the ledger's functions of node.name): each back on the
//     driver it had, or on none, even when one fails. A function of the
//     node that the ledger does not list was never moved by mint (a mintctl
//     killed before its stub; or a node booted before the ledger existed):
//     it is left as it is, with a log line saying how to give it back.
// `log` gets one line per action ("NODE_DESTROY node1 (id 1)",
// "give 0000:00:03.0 back to node0: ...").
Result<void> Teardown(const MintNode& node, sys::MintDevice& device, sys::PciDriverControl& pci,
                      Ledger& ledger, std::vector<std::string>& log);

// Gives each function back: PciDriverControl::Restore with the driver it
// had (driver_override cleared, pci-stub unbound if it holds it, that
// driver bound, its SCSI hosts scanned with "- - -" so its disks come back
// on a node0 booted with scsi_mod.scan=manual, as the lab is), or, for a
// function that had no driver, only the first two: nothing is bound. Each
// function that came back is forgotten from `node`'s ledger entry. Tries
// every function; if any failed, one kIo error (context `node`) lists each
// failed function with its error and the commands that finish the job by
// hand (its entry stays, so recovery tries again).
Result<void> GiveBack(const std::string& node, const std::vector<LedgerFunction>& functions,
                      sys::PciDriverControl& pci, Ledger& ledger, std::vector<std::string>& log);

}  // namespace mint::apply
