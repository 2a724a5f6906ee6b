// mint::vm: the KVM guest supervisor. It runs Debian's QEMU with KVM, one
// process per guest, and keeps each guest's spec, pid, console and how it
// ended in a state directory, so a guest's death is never a silent
// disappearance. Two users: mint-agent inside each node (`mint-agent vm
// VERB`, whose stdout node0's mintctl parses), and mintctl on node0 itself
// (node0's own guests, in process). So it depends on mint_model, nlohmann
// (header-only) and libc only, and links into the static mint-agent.
//
// Pure parts: the QEMU command line (QemuArgv), the checks before a start
// (CheckStart), and the JSON wire format between mintctl and mint-agent
// (docs/vm.md). The I/O part is the supervisor below, rooted at VmHost::root
// so tests run it in a temp dir with a fake QEMU.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"

namespace mint::vm {

inline constexpr const char* kQemu = "/usr/bin/qemu-system-x86_64";
inline constexpr const char* kStateDir = "/run/mint-vm";  // one directory per guest
inline constexpr const char* kDefaultGuestKernel = "/boot/mint/guest/bzImage";
inline constexpr const char* kDefaultGuestInitrd = "/boot/mint/guest/initrd.img";
// The virtio-serial port the guest's agent serves (kvm-per-node/guest-init).
inline constexpr const char* kAgentPortName = "org.mint.agent";
// Memory a guest's QEMU needs beyond the guest's RAM.
inline constexpr ByteSize kVmmOverhead{kGuestVmmOverhead};  // model.h: plan reserves it too

// Bounds of the wire format (decoding refuses more) and of Exec's output.
inline constexpr size_t kMaxGuests = 64;
inline constexpr size_t kMaxString = 256;  // bytes, any string field
inline constexpr size_t kMaxJson = 1 << 20;
inline constexpr size_t kMaxExecOutput = 4 << 20;

// One guest as mint::vm reports it.
struct GuestStatus {
  std::string name;
  // "starting" (its supervisor runs, QEMU not yet), "running", "stopped"
  // (ended as asked, or powered off by itself), "crashed". mintctl adds
  // "lost" for the guests of a node that died; mint::vm never says it.
  std::string state;
  uint32_t vcpus = 0;
  ByteSize memory;
  double uptime_s = 0;  // since QEMU started; once ended: how long it ran
  // Why it is not running: "stopped by mintctl vm stop", "powered off by
  // itself", "killed by mintctl vm kill", "QEMU killed by signal 11
  // (SIGSEGV)", "QEMU exited with status 1: <last line of its log>", "the
  // guest kernel panicked: ...", "its supervisor died". Empty while live.
  std::string reason;
  int pid = 0;                   // QEMU's, while running; 0 otherwise
  std::string disk;              // the spec's disk file, "" for none
  std::vector<GuestPort> ports;  // its node ports (for the port check)
  std::string console;           // path of its console.log
  bool Live() const { return state == "starting" || state == "running"; }
};

// What a start is checked against: the node as it is now.
struct NodeFacts {
  std::string node;   // "node1", for messages
  uint32_t cpus = 0;  // online CPUs
  // /proc/meminfo MemAvailable, less what live guests have yet to touch
  // of their memory + kVmmOverhead (ReadFacts)
  ByteSize mem_available;
  bool has_kvm = false;                    // /dev/kvm exists
  bool cpu_virt = false;                   // svm or vmx in /proc/cpuinfo flags
  bool has_qemu = false;                   // VmHost::qemu exists and is executable
  std::vector<std::string> missing_files;  // of the files asked about
  std::vector<GuestStatus> guests;         // every guest the node knows
};

// ---- The wire format (docs/vm.md) -------------------------------------------
// Encoders never fail (invalid UTF-8 is replaced). Decoders take untrusted
// bytes: they never throw, refuse unknown fields, more than kMaxJson bytes,
// kMaxGuests guests or kMaxString bytes in a string, and invalid names, with
// an Error (kInvalidArgument) naming the field.

std::string GuestSpecToJson(const GuestSpec& spec);  // `where` is not sent
Result<GuestSpec> GuestSpecFromJson(std::string_view text);
std::string GuestStatusToJson(const GuestStatus& status);
Result<GuestStatus> GuestStatusFromJson(std::string_view text);
std::string GuestListToJson(const std::vector<GuestStatus>& guests);
Result<std::vector<GuestStatus>> GuestListFromJson(std::string_view text);
std::string NodeFactsToJson(const NodeFacts& facts);
Result<NodeFacts> NodeFactsFromJson(std::string_view text);

// ---- Pure ---------------------------------------------------------------------

// QEMU's argv for `spec`, its state in `dir` (console.log, agent.sock);
// argv[0] is "qemu-system-x86_64". The one place the command line is made
// (docs/vm.md shows it). Paths are used as given.
std::vector<std::string> QemuArgv(const GuestSpec& spec, const std::string& dir);

// The files a guest boots from, which must exist: its image, or its kernel
// (and initrd), or the default guest's kernel and initrd.
std::vector<std::string> GuestFiles(const GuestSpec& spec);

// The rules a guest spec obeys wherever it comes from (mintctl's flags,
// nodeconf, the wire): a valid name, an image or a kernel (an initrd only
// with a kernel), absolute paths, at least 16 MiB in whole MiB, a disk to
// create with a size, TCP ports 1-65535. kInvalidArgument, context the
// guest's name. config asks this too, so both ends say the same words.
Result<void> CheckSpec(const GuestSpec& spec);

// Whether `spec` may start on the node `facts` describes, with an Error
// naming the problem and the way out: invalid name or spec (kInvalidArgument),
// a live guest of that name, a node port or disk another live guest has
// (kConflict), no QEMU or no KVM (kUnsupported), a missing boot file
// (kNotFound, context: the path), too many vCPUs or too little memory
// (kInsufficient). facts.missing_files must cover GuestFiles(spec).
Result<void> CheckStart(const NodeFacts& facts, const GuestSpec& spec);

// ---- The supervisor (I/O) -----------------------------------------------------

// Where the supervisor works. Every path (kStateDir, qemu, /proc/meminfo,
// /proc/cpuinfo, /sys/devices/system/cpu/online, /dev/kvm, a spec's files)
// is read as root + path; tests point root at a temp dir. Process
// liveness is the real /proc's (pids are real).
struct VmHost {
  std::string root = "";
  std::string qemu = kQemu;
  std::string node = "node0";  // this node's name, for messages of the verbs without one
  // Start returns once QEMU has been running this long without exiting.
  std::chrono::milliseconds settle{500};
  // ... and once the guest printed on its console, or this long passed.
  std::chrono::milliseconds first_output{30000};
  // Stop: after SIGTERM, how long QEMU may take before SIGKILL.
  std::chrono::milliseconds term_grace{5000};
};

// The node now; `files`: which of these are missing (GuestFiles of a spec).
Result<NodeFacts> ReadFacts(const VmHost& host, const std::string& node_name,
                            const std::vector<std::string>& files = {});

// Checks (nothing is created on refusal), creates the spec's disk file,
// sparse, when it is missing (its directory must exist; an existing file
// is never truncated), then starts a supervisor process that outlives the
// caller and runs QEMU. Returns once QEMU runs and did not exit within
// host.settle; if it did, an Error with the end of QEMU's log (the guest
// stays recorded as crashed). A stopped or crashed guest of the same name
// is replaced (its console and QEMU logs start afresh).
Result<GuestStatus> Start(const VmHost& host, const std::string& node_name, const GuestSpec& spec);

// Every guest in the state directory, by name. A record whose supervisor
// vanished without recording an end is reported crashed: "its supervisor
// died" (QEMU dies with its supervisor).
Result<std::vector<GuestStatus>> List(const VmHost& host);
Result<GuestStatus> Status(const VmHost& host, const std::string& name);

// Asks the guest to power off through its agent port (`sync; reboot -f`),
// waits up to `timeout` for QEMU to end, then SIGTERM, then SIGKILL after
// host.term_grace. The guest ends "stopped by mintctl vm stop".
Result<GuestStatus> Stop(const VmHost& host, const std::string& name,
                         std::chrono::milliseconds timeout);
// SIGKILL to QEMU: "killed by mintctl vm kill".
Result<GuestStatus> Kill(const VmHost& host, const std::string& name);
// Forgets a guest that is not running: its state directory goes, the
// disk file stays.
Result<void> Remove(const VmHost& host, const std::string& name);

// Runs argv in the guest through its agent (the protocol of docs/vm.md),
// output (stdout and stderr together, at most kMaxExecOutput) in `output`;
// returns the command's exit status.
Result<int> Exec(const VmHost& host, const std::string& name, const std::vector<std::string>& argv,
                 std::string& output, std::chrono::milliseconds timeout);

// The guest's console.log, in pieces to `sink` (which returns false to
// stop early). follow: keep reading (every 100 ms) until the guest is no
// longer running, then what is left.
Result<void> Console(const VmHost& host, const std::string& name, bool follow,
                     const std::function<bool(std::string_view)>& sink);

}  // namespace mint::vm
