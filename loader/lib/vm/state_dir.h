// The state directory, <root>/run/mint-vm/<guest>/, and what is in it:
//   spec.json       the GuestSpec (wire format), written by Start
//   status.json     the Record below, replaced whole (write + rename) by
//                   Start, then only by the guest's supervisor
//   stop-requested, kill-requested   markers Stop and Kill leave before
//                   they signal, so the supervisor words the end right
//   console.log     the guest's ttyS0;  qemu.log  QEMU's stdout+stderr
//   agent.sock      the guest agent's port, served by QEMU
// A record is live (starting/running) only while its owner process (the
// starter, then the supervisor) is the same process it was: pid and start
// time from the real /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mint/vm.h"

namespace mint::vm::internal {

inline constexpr const char* kSpecFile = "spec.json";
inline constexpr const char* kStatusFile = "status.json";
inline constexpr const char* kStopMarker = "stop-requested";
inline constexpr const char* kKillMarker = "kill-requested";
inline constexpr const char* kConsoleLog = "console.log";
inline constexpr const char* kQemuLog = "qemu.log";
inline constexpr const char* kAgentSock = "agent.sock";
inline constexpr const char* kGuestFiles[] = {kSpecFile,   kStatusFile, kStopMarker, kKillMarker,
                                              kConsoleLog, kQemuLog,    kAgentSock};

std::string InRoot(const VmHost& host, const std::string& path);  // root + path
std::string StateRoot(const VmHost& host);                        // root + kStateDir
std::string GuestDir(const VmHost& host, const std::string& name);

struct Record {
  std::string state = "starting";  // starting, running, stopped, crashed
  int owner_pid = 0;               // the starter, then the supervisor
  uint64_t owner_start = 0;        // its start time (/proc/<pid>/stat field 22)
  int qemu_pid = 0;
  uint64_t qemu_start = 0;
  double started_at = 0;  // CLOCK_BOOTTIME seconds when QEMU started; 0: not yet
  double ended_at = 0;    // ... when it ended; 0: not yet
  std::string reason;
};
std::string RecordToJson(const Record& record);
Result<Record> RecordFromJson(std::string_view text, const std::string& path);

// Writes path.tmp.<pid>, then renames it over path.
Result<void> WriteFileAtomic(const std::string& path, const std::string& text);
// dir/status.json := record.
Result<void> WriteRecord(const std::string& dir, const Record& record);
// At most `max` bytes; kNotFound when it does not exist.
Result<std::string> ReadFile(const std::string& path, size_t max);
bool Exists(const std::string& path);

// A process's start time, nullopt when it is gone (or a zombie, unless
// zombie_ok: a child not yet reaped).
std::optional<uint64_t> ProcessStart(int pid, bool zombie_ok = false);
bool SameProcess(int pid, uint64_t start);
// How the process a record names is no longer it: "pid N is gone", "... is
// a zombie", "... is another process now".
std::string DescribeGone(int pid, uint64_t start);
double Now();  // CLOCK_BOOTTIME seconds

struct Guest {
  std::string dir;
  GuestSpec spec;
  Record record;
  GuestStatus status;  // record + liveness, as List reports it
};
Result<Guest> LoadGuest(const VmHost& host, const std::string& name);

Error NoSuchGuest(const VmHost& host, const std::string& name);
Error NotRunning(const VmHost& host, const GuestStatus& status, const std::string& verb);

// Text from a log or an error, fit for a wire-format string: bytes outside
// printable ASCII become '?', at most `max` bytes (so it stays valid UTF-8
// of a bounded size).
std::string Printable(std::string_view text, size_t max = kMaxString);

// The last `lines` non-empty lines of a file (at most max_bytes of it), or "".
std::string Tail(const std::string& path, size_t lines, size_t max_bytes);

// Host-wide lock over the state directory (flock on <state>/.lock), held
// by Start from its checks until QEMU runs, and by Remove.
class StateLock {
 public:
  explicit StateLock(int fd = -1) : fd_(fd) {}
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock();

 private:
  int fd_;
};
Result<StateLock> LockState(const VmHost& host);

}  // namespace mint::vm::internal
