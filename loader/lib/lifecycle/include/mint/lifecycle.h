// mint::lifecycle: what happens to a node after `mintctl boot` made it, and
// the rules that keep several mintctl processes (and killed ones) from
// leaving node0 in a state nobody can see or undo:
//  - the host lock: every mutating mintctl holds flock(/run/mint/lock); the
//    holder first recovers leftovers (nodes a killed mintctl left in
//    `created`/`loaded`), so two mintctl never take the same resource and
//    nothing half-made survives the next command;
//  - boot recipes: /run/mint/nodes/<name>.json, written by boot before
//    NODE_START and removed by destroy: the kernel, initrd, command line and
//    on_crash policy a restart needs (the resources come from MINT_NODE_GET
//    and sysfs, so they cannot disagree with the kernel);
//  - restart (same resources, same image, fresh boot), kill, waiting for a
//    node's agent, and the watcher that applies on_crash with a budget.
// Paths are under a host root ("/" live; a temp dir in tests). Nothing here
// prints or exits: progress goes into `log` vectors, problems are Errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mint/channel.h"
#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::lifecycle {

// ---- Where things live ----------------------------------------------------

// "<root>/run/mint" ("/run/mint" for "/"): tmpfs, as old as node0's kernel.
std::string RunDir(const std::string& root);
std::string HostLockPath(const std::string& root);  // .../lock
std::string ChannelLockPath(const std::string& root,
                            const std::string& node);  // .../<node>.channel.lock
std::string RecipePath(const std::string& root, const std::string& node);  // .../nodes/<node>.json

// ---- Locks ------------------------------------------------------------------

// An flock held until destruction (or Release).
class Lock {
 public:
  Lock() = default;
  explicit Lock(int fd) : fd_(fd) {}
  Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Lock& operator=(Lock&& other) noexcept;
  ~Lock() { Release(); }
  void Release();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Takes an exclusive flock on `path` (creating it and its directory),
// waiting up to `wait`. While it waits, `on_wait` is called once with what
// the holder wrote ("pid 123: boot node2"). Once held, the file says
// "pid <ours>: <what>". Error (kConflict) after `wait`:
// "<path>: another mintctl holds it (pid 123: boot node2); wait for it to
// finish, or end it"; kIo when the file cannot be created.
Result<Lock> AcquireLock(const std::string& path, const std::string& what,
                         std::chrono::milliseconds wait, channel::Clock& clock,
                         const std::function<void(const std::string& holder)>& on_wait = {});

// ---- Nodes as sysfs shows them --------------------------------------------

struct NodeStatus {
  uint32_t id = 0;
  std::string name;
  NodeState state = NodeState::kCreated;
  std::string reason;
  std::string agent;  // "ready", "absent", or "" on a kernel without the channel
  std::vector<PciBdf> devices;
  std::string dir;  // "/sys/kernel/mint/nodes/<id>"
  MintNode AsMintNode() const;
  channel::NodeRef Ref() const { return {id, name, dir}; }
};

// Every node under /sys/kernel/mint/nodes, by id. kUnsupported (context
// /sys/kernel/mint) on a kernel without mint.
Result<std::vector<NodeStatus>> ListNodes(sys::HostFs& fs);
// The node called `name`; kNotFound "no node with this name; mintctl status
// lists the nodes".
Result<NodeStatus> FindNode(sys::HostFs& fs, const std::string& name);

// ---- Boot recipes -----------------------------------------------------------

struct Recipe {
  std::string name;
  std::string kernel;
  std::string initrd;
  std::vector<std::string> initrd_layers;  // appended to initrd (the VMM layer)
  std::string cmdline;                     // the full command line plan built
  OnCrash on_crash = OnCrash::kStop;
  uint32_t restart_budget = 3;
  std::optional<Ecam> ecam;            // handed to the node with its devices
  std::vector<PlannedDevice> devices;  // bdf + node0 driver (for people; sysfs is the truth)
  std::vector<GuestSpec> guests;       // nodeconf guests: the autostart ones follow the node
};
Recipe RecipeFromPlan(const Plan& plan);
// Written to a temporary file and renamed, so a reader never sees half.
Result<void> WriteRecipe(const std::string& root, const Recipe& recipe);
// kNotFound: "no boot recipe <path>: mintctl restart and watch only know
// nodes booted by mintctl since node0 booted; destroy the node and boot it
// again"; kInvalidArgument for a file that is not a recipe.
Result<Recipe> ReadRecipe(const std::string& root, const std::string& name);
// Removing a recipe that is not there is fine.
Result<void> RemoveRecipe(const std::string& root, const std::string& name);
// Names of every recipe on file.
std::vector<std::string> ListRecipes(const std::string& root);

// ---- Recover ----------------------------------------------------------------

// What a mutating mintctl does right after taking the host lock (and what
// `mintctl recover` does explicitly): every node in `created` or `loaded`
// is a leftover of a killed mintctl (a live one would hold the lock): it
// is torn down (apply::Teardown: NODE_DESTROY, functions back to node0) and
// its recipe removed; functions on pci-stub that no node owns (a mintctl
// killed between NODE_DESTROY and giving them back) are given back; recipes
// of nodes that no longer exist are removed. `log` gets one line per thing
// done (empty: nothing to recover). Tries everything; the first error is
// returned, with the rest in `log`.
Result<void> Recover(const std::string& root, const HostTopology& host, sys::MintDevice& device,
                     sys::PciDriverControl& pci, std::vector<std::string>& log);

// ---- Stop, kill, restart ---------------------------------------------------

// MINT_NODE_STOP with force, treating "already parked" (EALREADY) as done.
Result<void> Kill(sys::MintDevice& device, const NodeStatus& node);

struct RestartOptions {
  uint32_t stop_timeout_ms = 10000;  // graceful stop of a running node before forcing
};
// Reads the file an image is made of (the CLI's ReadBytes; tests inject).
using ReadFileFn = std::function<Result<std::vector<uint8_t>>(const std::string& path)>;

// The initramfs a node boots: `initrd` with each layer appended
// (boot::AppendInitrdLayer). Errors name the file that cannot be read;
// a layer's says it is the VMM layer a node that hosts guests needs.
Result<std::vector<uint8_t>> ReadInitrd(const std::string& initrd,
                                        const std::vector<std::string>& layers,
                                        const ReadFileFn& read_file);

// Restarts `name` with the same CPUs, memory and functions (MINT_NODE_GET
// and sysfs `devices`) and the recipe's kernel, initrd and command line:
// reads both files first (nothing is stopped when one is missing), stops
// the node (running: graceful, forced after the timeout; hung, booting,
// stopping, crashed, failed or stopped: forced, so its CPUs are parked and
// it can be started again), builds the boot image, NODE_LOAD, NODE_START.
// Returns when the node is started (booting); waiting for `running` is the
// caller's. On an error after the stop the node is left stopped (the error
// says how to retry or destroy it). `log` gets one line per step.
Result<void> Restart(const std::string& root, sys::HostFs& fs, sys::MintDevice& device,
                     const std::string& name, const ReadFileFn& read_file,
                     const RestartOptions& options, std::vector<std::string>& log);

// Polls nodes/<id>/agent until "ready" or `deadline`. A kernel without the
// file: Ok (nothing to wait for). Errors (kIo, context: name): the node left
// `running` ("<name> is <state> (<reason>) ..."), or the deadline passed
// ("<name> is running but its mint-agent did not report ready within N s
// (<dir>/agent says absent); mintctl console <name> shows why").
Result<void> WaitForAgent(sys::HostFs& fs, const NodeStatus& node,
                          std::chrono::milliseconds deadline, channel::Clock& clock);

// ---- watch ------------------------------------------------------------------

// The watcher behind `mintctl watch`: Poll() reads every node once, reports
// each change worth a line, and applies the recipe's on_crash to nodes that
// crashed, hung or failed to boot: `restart` (at most restart_budget times
// per node while this watcher runs; a node that is destroyed or comes back
// by other hands starts a fresh budget) or `stop` (a hung node is killed so
// its CPUs are parked; a crashed one already is). Actions run under the host
// lock, through `act`, which the CLI provides (it takes the lock, recovers,
// and calls Restart/Kill with real devices; tests record).
class Watcher {
 public:
  struct Actions {
    std::function<Result<void>(const NodeStatus&)> restart;
    std::function<Result<void>(const NodeStatus&)> kill;
  };
  Watcher(std::string root, sys::HostFs& fs, Actions actions, channel::Clock& clock);

  // One pass; returns the event lines ("node1 crashed (...)", ...).
  std::vector<std::string> Poll();

 private:
  struct Seen {
    NodeState state = NodeState::kCreated;
    uint32_t restarts = 0;
    bool acted = false;  // on_crash already applied to this failure
    std::chrono::steady_clock::time_point restarted_at;
  };
  std::string root_;
  sys::HostFs& fs_;
  Actions actions_;
  channel::Clock& clock_;
  std::map<std::string, Seen> seen_;
  bool first_ = true;
};

}  // namespace mint::lifecycle
