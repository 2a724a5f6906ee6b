// Start, Stop, Kill and Remove (mint/vm.h), and the supervisor process
// Start leaves behind: a grandchild in its own session (so it outlives the
// caller and the caller's process group), stdin /dev/null, stdout and
// stderr into qemu.log, no other descriptors. It starts QEMU (which dies
// with it: PR_SET_PDEATHSIG), records its pid, waits for it, and records
// how it ended (ending.h). Only the supervisor writes a guest's record once
// it runs; Stop and Kill leave a marker first and then signal QEMU.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "agent_protocol.h"
#include "ending.h"
#include "mint/vm.h"
#include "state_dir.h"

namespace mint::vm {
namespace {

using namespace internal;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{20};
constexpr milliseconds kSpawnWait{10000};   // fork to QEMU's exec recorded
constexpr milliseconds kRecordWait{10000};  // a signalled QEMU's end recorded

std::string Path(const std::string& dir, const char* file) { return dir + "/" + file; }

// The spec with the default guest filled in and every path under root.
GuestSpec Resolved(const VmHost& host, GuestSpec s) {
  if (s.image.empty() && s.kernel.empty() && s.initrd.empty()) {
    s.kernel = kDefaultGuestKernel;
    s.initrd = kDefaultGuestInitrd;
  }
  for (std::string* p : {&s.kernel, &s.initrd, &s.image, &s.disk})
    if (!p->empty()) *p = InRoot(host, *p);
  return s;
}

// The disk file: created sparse when missing, never truncated.
Result<void> PrepareDisk(const VmHost& host, const std::string& node, const GuestSpec& spec) {
  std::string path = InRoot(host, spec.disk);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return MakeError(ErrorCode::kInvalidArgument, spec.disk,
                       spec.name + "'s disk is a directory in " + node +
                           "; give --disk a file (it is created when missing)");
    return Ok();
  }
  std::string parent = path.substr(0, path.rfind('/'));
  if (!parent.empty() && !Exists(parent))
    return MakeError(ErrorCode::kNotFound, spec.disk,
                     "the directory of " + spec.name + "'s disk does not exist in " + node +
                         "; create it first, or give --disk a path in a directory that exists");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kIo, spec.disk, "cannot create it", errno);
  if (::ftruncate(fd, static_cast<off_t>(spec.disk_size.bytes)) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return MakeError(ErrorCode::kIo, spec.disk,
                     "cannot make it " + spec.disk_size.ToString() + " long", err);
  }
  ::close(fd);
  return Ok();
}

// A fresh directory for this run: the spec, no old record, markers or
// socket, empty logs.
Result<void> PrepareDir(const std::string& dir, const GuestSpec& spec) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return MakeError(ErrorCode::kIo, dir, "cannot create it", errno);
  for (const char* f : {kStatusFile, kStopMarker, kKillMarker, kAgentSock})
    if (::unlink(Path(dir, f).c_str()) != 0 && errno != ENOENT)
      return MakeError(ErrorCode::kIo, Path(dir, f), "cannot remove the last run's", errno);
  for (const char* f : {kConsoleLog, kQemuLog}) {
    int fd = ::open(Path(dir, f).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return MakeError(ErrorCode::kIo, Path(dir, f), "cannot create it", errno);
    ::close(fd);
  }
  return WriteFileAtomic(Path(dir, kSpecFile), GuestSpecToJson(spec) + "\n");
}

void WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// The supervisor: never returns. `report` gets its pid, and is closed once
// QEMU runs (or could not): the starter waits for that.
[[noreturn]] void Supervise(const std::string& dir, const std::string& qemu,
                            const std::vector<std::string>& argv, int report) {
  report = ::fcntl(report, F_DUPFD_CLOEXEC, 10);  // clear of 0-3 while they are rearranged
  int null = ::open("/dev/null", O_RDWR);
  int log = ::open(Path(dir, kQemuLog).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (report < 0 || null < 0 || log < 0 || ::dup2(null, 0) < 0 || ::dup2(log, 1) < 0 ||
      ::dup2(log, 2) < 0 || ::dup2(report, 3) < 0)
    ::_exit(1);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  if (::close_range(4, ~0U, 0) != 0)
    for (long fd = 4, max = std::min(::sysconf(_SC_OPEN_MAX), 65536L); fd < max; ++fd)
      ::close(static_cast<int>(fd));
  report = 3;
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // A node going down signals everyone: QEMU gets it too and ends itself,
  // and the supervisor stays to record that.
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE}) ::signal(sig, SIG_IGN);
  if (::chdir("/") != 0) ::_exit(1);

  Record r;
  r.owner_pid = ::getpid();
  r.owner_start = ProcessStart(r.owner_pid).value_or(0);
  if (!WriteRecord(dir, r).ok()) ::_exit(1);
  WriteAll(report, &r.owner_pid, sizeof r.owner_pid);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) ::_exit(1);
  pid_t supervisor = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != supervisor) ::_exit(127);  // it died before prctl
    for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE}) ::signal(sig, SIG_DFL);
    ::execv(qemu.c_str(), args.data());
    int err = errno;
    WriteAll(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t n = -1;
  if (pid > 0) {
    do {
      n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
  }
  ::close(exec_pipe[0]);
  if (pid < 0 || n == sizeof exec_errno) {
    int err = pid < 0 ? fork_errno : exec_errno;
    if (pid > 0) {
      int ws;
      while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
      }
    }
    r.state = "crashed";
    r.reason = Printable("cannot run " + qemu + ": " + std::strerror(err));
    (void)WriteRecord(dir, r);
    ::_exit(0);
  }
  r.qemu_pid = pid;
  r.qemu_start = ProcessStart(pid, /*zombie_ok=*/true).value_or(0);
  r.started_at = Now();
  r.state = "running";
  (void)WriteRecord(dir, r);
  ::close(report);

  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  r.ended_at = Now();
  End end = DescribeEnd(ws, Exists(Path(dir, kKillMarker)), Exists(Path(dir, kStopMarker)),
                        Tail(Path(dir, kQemuLog), 1, 4096), Tail(Path(dir, kConsoleLog), 20, 8192));
  r.state = end.state;
  r.reason = end.reason;
  (void)WriteRecord(dir, r);
  ::_exit(0);
}

// Waits until `done(guest)` or the deadline; the last look either way.
template <typename Done>
Result<Guest> WaitFor(const VmHost& host, const std::string& name, Clock::time_point deadline,
                      Done done) {
  while (true) {
    MINT_TRY(Guest g, LoadGuest(host, name));
    if (done(g) || Clock::now() >= deadline) return g;
    std::this_thread::sleep_for(kPoll);
  }
}

Result<Guest> WaitEnded(const VmHost& host, const std::string& name, milliseconds timeout) {
  return WaitFor(host, name, Clock::now() + timeout,
                 [](const Guest& g) { return !g.status.Live(); });
}

// A guest still starting (its supervisor before QEMU's exec) is waited for.
Result<Guest> LoadRunning(const VmHost& host, const std::string& name, const std::string& verb) {
  MINT_TRY(Guest g, WaitFor(host, name, Clock::now() + kSpawnWait,
                            [](const Guest& x) { return x.status.state != "starting"; }));
  if (!g.status.Live()) return NotRunning(host, g.status, verb);
  return g;
}

// Signals QEMU if it is still the process the record names.
void SignalQemu(const Record& r, int sig) {
  if (r.qemu_pid > 0 && ProcessStart(r.qemu_pid, true) == r.qemu_start) ::kill(r.qemu_pid, sig);
}

Result<void> Mark(const std::string& dir, const char* marker) {
  return WriteFileAtomic(Path(dir, marker), std::to_string(::getpid()) + "\n");
}

Error StartFailed(const GuestSpec& spec, const Guest& g) {
  std::string log = Tail(Path(g.dir, kQemuLog), 3, 4096);
  for (size_t at = log.find('\n'); at != std::string::npos; at = log.find('\n', at))
    log.replace(at, 1, " | ");
  std::string message = spec.name + " did not start: " + g.status.reason;
  if (!log.empty()) message += "; QEMU's log ends: " + log;
  return MakeError(ErrorCode::kIo, Path(g.dir, kQemuLog), message);
}

// Start, once checked and prepared: fork the supervisor and wait for QEMU.
Result<GuestStatus> Spawn(const VmHost& host, const std::string& node, const GuestSpec& spec,
                          const std::string& dir) {
  std::vector<std::string> argv = QemuArgv(Resolved(host, spec), dir);
  std::string qemu = InRoot(host, host.qemu);
  Record starting;
  starting.owner_pid = ::getpid();
  starting.owner_start = ProcessStart(starting.owner_pid).value_or(0);
  MINT_CHECK(WriteRecord(dir, starting));

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return MakeError(ErrorCode::kIo, spec.name, "cannot make a pipe for its supervisor", errno);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild == 0) Supervise(dir, qemu, argv, report[1]);
    ::_exit(grandchild < 0 ? 1 : 0);
  }
  int fork_errno = errno;
  ::close(report[1]);
  if (child < 0) {
    ::close(report[0]);
    starting.state = "crashed";
    starting.reason = std::string("its supervisor could not start: ") + std::strerror(fork_errno);
    (void)WriteRecord(dir, starting);
    return MakeError(ErrorCode::kIo, spec.name, "cannot fork its supervisor", fork_errno);
  }
  int ws;
  while (::waitpid(child, &ws, 0) < 0 && errno == EINTR) {
  }
  // The supervisor's pid, then end of file once QEMU runs (or failed to).
  const auto deadline = Clock::now() + kSpawnWait;
  int supervisor = 0;
  size_t got = 0;
  bool eof = false;
  while (!eof && Clock::now() < deadline) {
    pollfd p{report[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPoll.count()) * 5) <= 0) continue;
    char buf[sizeof supervisor];
    ssize_t n = ::read(report[0], buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    for (ssize_t i = 0; i < n && got < sizeof supervisor; ++i, ++got)
      reinterpret_cast<char*>(&supervisor)[got] = buf[i];
  }
  ::close(report[0]);
  MINT_TRY(Guest g, LoadGuest(host, spec.name));
  if (got != sizeof supervisor && g.record.owner_pid == starting.owner_pid) {
    g.record.state = "crashed";
    g.record.reason = "its supervisor could not start (see " + Path(dir, kQemuLog) + ")";
    (void)WriteRecord(dir, g.record);
    return MakeError(ErrorCode::kIo, spec.name,
                     spec.name + "'s supervisor ended before it started QEMU; " + node +
                         " may be out of memory or processes");
  }
  if (!eof) {
    ::kill(supervisor, SIGKILL);
    return MakeError(ErrorCode::kIo, spec.name,
                     spec.name + "'s supervisor did not start QEMU within " +
                         std::to_string(kSpawnWait.count() / 1000) + " s; killed it");
  }
  // QEMU runs; it must still run after the settle, and the guest must have
  // printed (QEMU loads its firmware after it started: under TCG a missing
  // BIOS file shows up seconds later), or host.first_output passed.
  const auto settled = Clock::now() + host.settle;
  const auto given_up = Clock::now() + host.first_output;
  const std::string console = Path(dir, kConsoleLog);
  auto printed = [&] {
    struct stat st {};
    return ::stat(console.c_str(), &st) == 0 && st.st_size > 0;
  };
  while (true) {
    MINT_TRY(g, LoadGuest(host, spec.name));
    if (!g.status.Live()) return StartFailed(spec, g);
    if (!SameProcess(g.record.qemu_pid, g.record.qemu_start)) {
      // Exited (a zombie until the supervisor reaps it): wait for its words.
      MINT_TRY(g, WaitEnded(host, spec.name, kRecordWait));
      return StartFailed(spec, g);
    }
    if (Clock::now() >= settled && (printed() || Clock::now() >= given_up)) return g.status;
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

Result<GuestStatus> Start(const VmHost& host, const std::string& node_name, const GuestSpec& spec) {
  NodeFacts facts;
  facts.node = node_name;
  if (!IsValidGuestName(spec.name)) MINT_CHECK(CheckStart(facts, spec));  // the name's words
  MINT_TRY(StateLock lock, LockState(host));
  MINT_TRY(facts, ReadFacts(host, node_name, GuestFiles(spec)));
  MINT_CHECK(CheckStart(facts, spec));
  if (!spec.disk.empty()) MINT_CHECK(PrepareDisk(host, node_name, spec));
  std::string dir = GuestDir(host, spec.name);
  MINT_CHECK(PrepareDir(dir, spec));
  return Spawn(host, node_name, spec, dir);
}

Result<GuestStatus> Stop(const VmHost& host, const std::string& name, milliseconds timeout) {
  MINT_TRY(Guest g, LoadRunning(host, name, "there is nothing to stop"));
  MINT_CHECK(Mark(g.dir, kStopMarker));
  // The graceful way: the guest's agent syncs and resets, QEMU exits
  // (-no-reboot). The connection stays open until QEMU ends, so the
  // request is not lost with a hang-up.
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = Path(g.dir, kAgentSock);
  if (fd >= 0 && sock.size() < sizeof addr.sun_path) {
    std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::string line = AgentRequest(RandomToken(), "sync; reboot -f\n");
      (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    }
  }
  auto ended = WaitEnded(host, name, timeout);
  if (ended.ok() && ended->status.Live()) {
    SignalQemu(ended->record, SIGTERM);
    ended = WaitEnded(host, name, host.term_grace);
  }
  if (ended.ok() && ended->status.Live()) {
    SignalQemu(ended->record, SIGKILL);
    ended = WaitEnded(host, name, kRecordWait);
  }
  if (fd >= 0) ::close(fd);
  if (!ended.ok()) return ended.take_error();
  if (ended->status.Live())
    return MakeError(ErrorCode::kIo, name,
                     name + "'s QEMU (pid " + std::to_string(ended->record.qemu_pid) +
                         ") did not end after SIGKILL, or its supervisor did not record it");
  return ended->status;
}

Result<GuestStatus> Kill(const VmHost& host, const std::string& name) {
  MINT_TRY(Guest g, LoadRunning(host, name, "there is nothing to kill"));
  MINT_CHECK(Mark(g.dir, kKillMarker));
  if (g.record.qemu_pid > 0)
    SignalQemu(g.record, SIGKILL);
  else if (SameProcess(g.record.owner_pid, g.record.owner_start))
    ::kill(g.record.owner_pid, SIGKILL);  // stuck before QEMU: end the supervisor
  MINT_TRY(g, WaitEnded(host, name, kRecordWait));
  if (g.status.Live())
    return MakeError(ErrorCode::kIo, name,
                     name + "'s QEMU (pid " + std::to_string(g.record.qemu_pid) +
                         ") did not end after SIGKILL, or its supervisor did not record it");
  return g.status;
}

Result<void> Remove(const VmHost& host, const std::string& name) {
  MINT_TRY(StateLock lock, LockState(host));
  MINT_TRY(Guest g, LoadGuest(host, name));
  if (g.status.Live())
    return MakeError(ErrorCode::kConflict, name,
                     name + " is running in " + host.node +
                         (g.status.pid ? " (pid " + std::to_string(g.status.pid) + ")" : "") +
                         "; stop it first: mintctl vm stop " + host.node + " " + name);
  // Only the files mint put there: a disk the user kept in this directory stays.
  for (const char* f : kGuestFiles)
    if (::unlink(Path(g.dir, f).c_str()) != 0 && errno != ENOENT)
      return MakeError(ErrorCode::kIo, Path(g.dir, f), "cannot remove it", errno);
  if (::rmdir(g.dir.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST)
    return MakeError(ErrorCode::kIo, g.dir, "cannot remove it", errno);
  return Ok();
}

}  // namespace mint::vm
