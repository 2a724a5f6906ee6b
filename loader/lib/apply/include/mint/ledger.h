// mint::apply::Ledger: what mint changed on node0, one file per node,
// written BEFORE each change and forgotten once the change is undone, so
// that recovery (a killed mintctl's leftovers) and teardown (destroy) give
// back exactly what mint took and nothing else: a function an administrator
// parked on pci-stub for node0's own VFIO has no entry and is never touched;
// a function that had no driver before goes back to no driver.
//
// File: <dir>/<node>.json (lifecycle::LedgerDir: /run/mint/ledger), JSON:
//   {"version": 1, "node": "node1", "id": 1, "cpus": [2, 3],
//    "functions": [{"pci": "0000:00:03.0", "driver": "virtio-pci"},
//                  {"pci": "0000:00:05.0", "driver": ""}],
//    "restarting": false}
//  - cpus: the CPUs NODE_CREATE takes offline, recorded before it; dropped
//    once NODE_DESTROY gave them back (or NODE_CREATE failed).
//  - functions: each function moved to pci-stub, with the node0 driver it
//    was on ("" = none), recorded before the move; dropped once it is back.
//  - restarting: set by restart before NODE_LOAD, cleared after NODE_START:
//    a node left `loaded` with it set is a half-done restart, not a
//    half-made boot.
// The file is removed when it records nothing (no CPUs, no functions).
// Every write goes to a temporary file that is fsync'd and renamed over the
// old one, then the directory is fsync'd: a reader (or a crash) sees the
// old or the new ledger, never half. An entry that outlives its change
// (mintctl killed right after the undo) is harmless: recovery checks the
// host before acting on any entry and drops entries already undone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"

namespace mint::apply {

struct LedgerFunction {
  PciBdf bdf;
  std::string driver;  // node0's driver before mint moved it; "" = it had none
};

struct LedgerEntry {
  std::string node;
  uint32_t id = 0;
  std::vector<CpuId> cpus;
  std::vector<LedgerFunction> functions;
  bool restarting = false;
};

class Ledger {
 public:
  explicit Ledger(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string PathOf(const std::string& node) const;  // <dir>/<node>.json

  // nullopt: no entry. kInvalidArgument for a file that is not a ledger
  // ("<path>: not a mint ledger (...); it records what mint changed on
  // node0: see docs/mintctl.md before removing it").
  Result<std::optional<LedgerEntry>> Read(const std::string& node) const;
  // Every entry, by node name; a missing directory is no entry. A file
  // that cannot be read is skipped and its error added to `errors`.
  std::vector<LedgerEntry> ReadAll(std::vector<Error>& errors) const;
  // Replaces the node's entry atomically (removes the file when the entry
  // records no CPU and no function). kIo naming the file on failure.
  Result<void> Write(const LedgerEntry& entry);

  // Before NODE_CREATE: a new entry {node, id, cpus}. kConflict when the
  // node already has one that still lists functions (an earlier node of
  // this name whose functions did not come back: mintctl recover).
  Result<void> TakeCpus(const std::string& node, uint32_t id, const std::vector<CpuId>& cpus);
  // After NODE_DESTROY (or a failed NODE_CREATE).
  Result<void> ForgetCpus(const std::string& node);
  // Before moving `bdf` off `driver` to pci-stub.
  Result<void> AddFunction(const std::string& node, const PciBdf& bdf, const std::string& driver);
  // After `bdf` is back on its driver (or left without one, as it was).
  Result<void> ForgetFunction(const std::string& node, const PciBdf& bdf);
  // restart: true before NODE_LOAD, false after NODE_START. A node with no
  // entry (booted before this ledger existed) gets one with `cpus`.
  Result<void> SetRestarting(const std::string& node, uint32_t id, const std::vector<CpuId>& cpus,
                             bool restarting);

 private:
  Result<LedgerEntry> Existing(const std::string& node) const;
  std::string dir_;
};

}  // namespace mint::apply
