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
//  - the ledger: /run/mint/ledger/<name>.json (mint/ledger.h), what mint
//    changed on node0 for the node (CPUs taken, functions moved to
//    pci-stub and the driver each had), written before each change:
//    recovery and destroy give back exactly what it lists;
//  - watch's restart counts: /run/mint/watch/<name>.json, so the on_crash
//    restart budget outlives a restart of `mintctl watch`;
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
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mint/channel.h"
#include "mint/ledger.h"
#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint/timing.h"

namespace mint::lifecycle {

// ---- Where things live ----------------------------------------------------

// "<root>/run/mint" ("/run/mint" for "/"): tmpfs, as old as node0's kernel.
std::string RunDir(const std::string& root);
// "<root>/var/cache/mint/kernels": the expanded kernels (ExpandKernel), one
// per kernel image; on disk where /var is, so it outlives node0's boot.
std::string KernelCacheDir(const std::string& root);
std::string HostLockPath(const std::string& root);  // .../lock
std::string ChannelLockPath(const std::string& root,
                            const std::string& node);  // .../<node>.channel.lock
// The node's relay (mint/channel/relay.h): its socket, and its log.
std::string RelaySocketPath(const std::string& root,
                            const std::string& node);  // .../<node>.channel.sock
std::string RelayLogPath(const std::string& root,
                         const std::string& node);  // .../<node>.relay.log
std::string RecipePath(const std::string& root, const std::string& node);  // .../nodes/<node>.json
std::string LedgerDir(const std::string& root);                            // .../ledger
std::string RestartCountPath(const std::string& root,
                             const std::string& node);  // .../watch/<node>.json

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

// A node's console ring, nodes/<id>/console (oldest byte first, any bytes:
// the node may have crashed mid-write), read whole: the one reader of it
// (console, the tails below and the node's boot timings).
Result<std::string> ReadConsole(sys::HostFs& fs, const std::string& node_dir);
// The last `lines` non-empty lines of
// `text`, each with trailing spaces and CRs cut, oldest first. Lines are
// returned as the node wrote them (not made printable: callers do that).
std::vector<std::string> ConsoleTailLines(std::string_view text, size_t lines);
// The same of <node_dir>/console; none when it cannot be read. The one
// console tail: status shows it for a node that went down, boot's error for
// a node that did not come up.
std::vector<std::string> ConsoleTail(sys::HostFs& fs, const std::string& node_dir, size_t lines);
// Following a ring that is read whole each time (`mintctl console -f`):
// `before` was printed; `now` is the ring's content now. Returns the part of
// `now` that is new: `now` without its longest prefix that is also a suffix
// of `before` (the ring moved on between reads; when the ring moved by more
// than it holds, all of `now` is new). Linear time, binary-safe.
std::string NewConsoleText(std::string_view before, std::string_view now);

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
// `mintctl recover` does explicitly). A node in `created` or `loaded` is a
// leftover of a killed mintctl (a live one would hold the lock):
//  - if its ledger entry says `restarting` (a restart killed between
//    NODE_LOAD and NODE_START), it is kept as the node it is, with its
//    resources, recipe and ledger: `mintctl restart` starts it again,
//    `mintctl destroy` frees it;
//  - otherwise (a boot that did not finish) it is torn down
//    (apply::Teardown: NODE_DESTROY, then the functions its ledger lists
//    back where they were) and its recipe and restart count removed.
// Ledger entries of nodes that no longer exist (a mintctl killed between
// NODE_DESTROY and the give-back, or right after an undo) are settled: each
// function still on pci-stub and owned by no node goes back to the driver
// it had (or to none); one already back, or moved elsewhere since, is only
// forgotten; the CPUs (NODE_DESTROY gave them back) are forgotten. A
// function on pci-stub that no ledger lists (an administrator's, e.g. for
// node0's own VFIO) is never touched. Recipes and restart counts of nodes
// that no longer exist are removed. Tries everything; the first error is
// returned, with the rest in `log`.
struct Recovery {
  std::vector<std::string> log;     // one line per thing done (empty: nothing to recover)
  std::set<std::string> torn_down;  // nodes recovery destroyed
};
Result<void> Recover(const std::string& root, const HostTopology& host, sys::MintDevice& device,
                     sys::PciDriverControl& pci, Recovery& out);

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

// ---- The expanded-kernel cache ------------------------------------------------

// What a node boots of one kernel image: its payload decompressed
// (boot::DecompressPayload) from the cache when an entry for these very
// bytes is there and sound, else decompressed now and cached; nullopt
// when it cannot be (a compression mint does not expand, a damaged
// payload): the node then boots the image compressed. `note` says which,
// for the step log. Never an error: the cache only makes boots faster.
// Without `may_expand` (mintctl plan) only the cache is read.
struct KernelExpansion {
  std::optional<std::vector<uint8_t>> decompressed;
  std::string note;
};
KernelExpansion ExpandKernel(const std::string& root, std::span<const uint8_t> image,
                             bool may_expand);

// 64 random bits from the kernel (getrandom): an expanded kernel's KASLR slot.
uint64_t KaslrRandom();

// Restarts `name` with the same CPUs, memory and functions (MINT_NODE_GET
// and sysfs `devices`) and the recipe's kernel, initrd and command line:
// reads both files first (nothing is stopped when one is missing), stops
// the node (running: graceful, forced after the timeout; hung, booting,
// stopping, crashed, failed or stopped: forced, so its CPUs are parked and
// it can be started again), builds the boot image, marks the node
// `restarting` in its ledger, NODE_LOAD, NODE_START, clears the mark (so a
// mintctl killed in between leaves a node recovery keeps, not one it
// destroys). Returns when the node is started (booting); waiting for
// `running` is the caller's. On an error after the stop the node is left
// stopped (the error says how to retry or destroy it). `log` gets one line
// per step.
// `timeline`, when given, gets the phases read_images, stop, build_image
// (MINT_NODE_GET included), load and start.
Result<void> Restart(const std::string& root, sys::HostFs& fs, sys::MintDevice& device,
                     const std::string& name, const ReadFileFn& read_file,
                     const RestartOptions& options, std::vector<std::string>& log,
                     timing::Timeline* timeline = nullptr);

// Polls nodes/<id>/agent until "ready" or `deadline`. A kernel without the
// file: Ok (nothing to wait for). Errors (kIo, context: name): the node left
// `running` ("<name> is <state> (<reason>) ..."), or the deadline passed
// ("<name> is running but its mint-agent did not report ready within N s
// (<dir>/agent says absent); mintctl console <name> shows why").
Result<void> WaitForAgent(sys::HostFs& fs, const NodeStatus& node,
                          std::chrono::milliseconds deadline, channel::Clock& clock);

// ---- watch ------------------------------------------------------------------

// How many on_crash restarts watch made of the node with id `id` since it
// was booted: 0 when none are on file, or the file is of an earlier node of
// that name (another id). kInvalidArgument for a file that is not one.
Result<uint32_t> ReadRestartCount(const std::string& root, const std::string& node, uint32_t id);
// Written to a temporary file and renamed.
Result<void> WriteRestartCount(const std::string& root, const std::string& node, uint32_t id,
                               uint32_t restarts);
// Removing a count that is not there is fine (destroy; an operator's
// `mintctl restart`, which gives the node a fresh budget).
Result<void> RemoveRestartCount(const std::string& root, const std::string& node);

// The watcher behind `mintctl watch`: Poll() reads every node once, reports
// each change worth a line, and applies the recipe's on_crash to nodes that
// crashed, hung or failed to boot: `restart` (at most restart_budget times
// per node; the count is kept in RestartCountPath, so it survives a
// restart of watch, and starts afresh for a node that is destroyed or
// restarted by the operator) or `stop` (a hung node is killed so its CPUs
// are parked; a crashed one already is). Each action first takes the host
// lock (`lock`, which the CLI provides: it takes the lock and recovers),
// then reads the node again and acts only if it is still the node it saw
// (same id) in the same state: a node that someone restarted, stopped or
// destroyed (and maybe replaced by a new one under the same name) while
// watch waited is left alone. `restart` and `kill` run with the lock held
// and may release it (the CLI's restart does, before it waits for the node
// and its guests); tests record.
class Watcher {
 public:
  struct Actions {
    // "watch: restart node1"; `parks_only`: the action only parks the
    // node's own CPUs (a kill), so a failed recovery need not stop it.
    std::function<Result<Lock>(const std::string& what, bool parks_only)> lock;
    std::function<Result<void>(const NodeStatus&, Lock&)> restart;
    std::function<Result<void>(const NodeStatus&, Lock&)> kill;
  };
  Watcher(std::string root, sys::HostFs& fs, Actions actions, channel::Clock& clock);

  using LineFn = std::function<void(const std::string&)>;
  // One pass; hands each event line ("node1: running -> crashed (...)",
  // ...) to `emit` as it happens, before the action it leads to (a restart
  // takes seconds: the crash's line must not wait for it).
  void Poll(const LineFn& emit);
  // The same, returning the pass's lines.
  std::vector<std::string> Poll();

 private:
  struct Seen {
    uint32_t id = 0;
    NodeState state = NodeState::kCreated;
    uint32_t restarts = 0;
    bool acted = false;  // on_crash already applied to this failure
    std::chrono::steady_clock::time_point restarted_at;
  };
  // Takes the lock and reads `node` again: the node as it is now, or
  // nullopt (with a line to `emit`) when it is no longer what watch saw.
  std::optional<NodeStatus> StillAsSeen(const NodeStatus& node, const std::string& what,
                                        bool parks_only, Lock& lock, const LineFn& emit);
  std::string root_;
  sys::HostFs& fs_;
  Actions actions_;
  channel::Clock& clock_;
  std::map<std::string, Seen> seen_;
  bool first_ = true;
};

}  // namespace mint::lifecycle
