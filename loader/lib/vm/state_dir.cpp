// The state directory (state_dir.h): paths, records, liveness, and the two
// readers built on them, List and Status (mint/vm.h).
#include "state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "json_fields.h"

namespace mint::vm::internal {
namespace {

constexpr size_t kMaxRecord = 64 << 10;
constexpr uint64_t kMaxStart = 1ull << 62;
// A supervisor's last record follows its QEMU's end within microseconds on
// an idle host; a loaded lab machine may not run it for a while.
constexpr std::chrono::milliseconds kLastRecordWait{250};

Result<void> MakeDirs(const std::string& path) {
  std::string at;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    at = path.substr(0, pos);
    if (at.empty()) continue;
    if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST)
      return MakeError(ErrorCode::kIo, at,
                       errno == EACCES ? "cannot create it; run as root" : "cannot create it",
                       errno);
  }
  return Ok();
}

}  // namespace

std::string InRoot(const VmHost& host, const std::string& path) {
  std::string root = host.root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + path;
}
std::string StateRoot(const VmHost& host) { return InRoot(host, kStateDir); }
std::string GuestDir(const VmHost& host, const std::string& name) {
  return StateRoot(host) + "/" + name;
}

std::string RecordToJson(const Record& r) {
  nlohmann::json j = {{"version", 1},
                      {"state", r.state},
                      {"owner_pid", r.owner_pid},
                      {"owner_start", r.owner_start},
                      {"qemu_pid", r.qemu_pid},
                      {"qemu_start", r.qemu_start},
                      {"started_at", r.started_at},
                      {"ended_at", r.ended_at},
                      {"reason", r.reason}};
  return DumpJson(j) + "\n";
}

Result<Record> RecordFromJson(std::string_view text, const std::string& path) {
  std::string why;
  auto j = ParseJson(text, kMaxRecord, why);
  std::string error;
  Record r;
  if (j) {
    Fields f(*j, "", error);
    if (f.Unsigned("version", true, 1) != 1 && f.ok()) f.Fail("version", "is not 1");
    r.state = f.String("state", true, kMaxString);
    if (f.ok() && r.state != "starting" && r.state != "running" && r.state != "stopped" &&
        r.state != "crashed")
      f.Fail("state", "is not starting, running, stopped or crashed");
    r.owner_pid = static_cast<int>(f.Signed("owner_pid", true, 0, 1 << 22));
    r.owner_start = f.Unsigned("owner_start", true, kMaxStart);
    r.qemu_pid = static_cast<int>(f.Signed("qemu_pid", true, 0, 1 << 22));
    r.qemu_start = f.Unsigned("qemu_start", true, kMaxStart);
    r.started_at = f.Number("started_at", true, 1e12);
    r.ended_at = f.Number("ended_at", true, 1e12);
    r.reason = f.String("reason", true, kMaxString);
    f.NoOthers();
  } else {
    error = why;
  }
  if (!error.empty())
    return MakeError(ErrorCode::kIo, path, "is not a guest record (" + error + ")");
  return r;
}

Result<void> WriteFileAtomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, tmp, "cannot create it", errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return MakeError(ErrorCode::kIo, tmp, "cannot write it", err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo, path, "cannot rename " + tmp + " to it", err);
  }
  return Ok();
}

Result<void> WriteRecord(const std::string& dir, const Record& record) {
  return WriteFileAtomic(dir + "/" + kStatusFile, RecordToJson(record));
}

Result<std::string> ReadFile(const std::string& path, size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, path,
                     "cannot open it", errno);
  std::string text;
  char buf[8192];
  while (text.size() < max) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return MakeError(ErrorCode::kIo, path, "cannot read it", err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<uint64_t> ProcessStart(int pid, bool zombie_ok) {
  if (pid <= 0) return std::nullopt;
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.ok()) return std::nullopt;
  // "pid (comm) S ppid ...": comm may hold spaces and ')'; fields after the
  // last ')' are space-separated: state is field 3, starttime field 22.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(*text).substr(close + 1);
  int field = 2;
  size_t pos = 0;
  std::string_view state, start;
  while (pos < rest.size() && field < 22) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    ++field;
    if (field == 3) state = rest.substr(pos, end - pos);
    if (field == 22) start = rest.substr(pos, end - pos);
    pos = end;
  }
  if (start.empty() || state == "X" || state == "x") return std::nullopt;
  if (state == "Z" && !zombie_ok) return std::nullopt;
  uint64_t value = 0;
  for (char c : start) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

bool SameProcess(int pid, uint64_t start) {
  auto now = ProcessStart(pid);
  return now && *now == start;
}

std::string DescribeGone(int pid, uint64_t start) {
  std::string what = "pid " + std::to_string(pid);
  auto any = ProcessStart(pid, /*zombie_ok=*/true);
  if (!any) return what + " is gone";
  if (*any != start) return what + " is another process now";
  if (!ProcessStart(pid)) return what + " is a zombie";
  return what + " is back";  // it answered between the two looks
}

double Now() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Error NoSuchGuest(const VmHost& host, const std::string& name) {
  return MakeError(
      ErrorCode::kNotFound, name,
      host.node + " has no guest " + name + "; mintctl vm list " + host.node + " shows its guests");
}

Error NotRunning(const VmHost& host, const GuestStatus& status, const std::string& verb) {
  std::string why = status.reason.empty() ? status.state : status.state + ": " + status.reason;
  return MakeError(ErrorCode::kConflict, status.name,
                   status.name + " is not running in " + host.node + " (" + why + "), so " + verb +
                       "; start it with mintctl vm start " + host.node + " " + status.name);
}

Result<Guest> LoadGuest(const VmHost& host, const std::string& name) {
  if (!IsValidGuestName(name))
    return MakeError(ErrorCode::kInvalidArgument, name,
                     "\"" + name + "\" is not a guest name; " + kGuestNameRule);
  Guest g;
  g.dir = GuestDir(host, name);
  auto spec_text = ReadFile(g.dir + "/" + kSpecFile, kMaxJson);
  if (!spec_text.ok()) {
    if (spec_text.error().code == ErrorCode::kNotFound) return NoSuchGuest(host, name);
    return spec_text.take_error();
  }
  auto spec = GuestSpecFromJson(*spec_text);
  if (!spec.ok())
    return MakeError(ErrorCode::kIo, g.dir + "/" + kSpecFile,
                     "is not a guest spec (" + spec.error().message + ")");
  g.spec = std::move(*spec);
  GuestStatus& s = g.status;
  s.name = name;
  s.vcpus = g.spec.vcpus;
  s.memory = g.spec.memory;
  s.disk = g.spec.disk;
  s.ports = g.spec.ports;
  s.console = g.dir + "/" + kConsoleLog;
  auto read_record = [&g]() -> Result<Record> {
    std::string path = g.dir + "/" + kStatusFile;
    MINT_TRY(std::string text, ReadFile(path, kMaxRecord));
    return RecordFromJson(text, path);
  };
  Result<Record> record = read_record();
  // The supervisor writes its last record and then exits: a live record
  // whose owner is gone may have been read just before that last write, so
  // it is read again, for up to kLastRecordWait, before the guest is called
  // crashed.
  auto owner_gone = [](const Result<Record>& r) {
    GuestStatus as_read;
    if (r.ok()) as_read.state = r->state;
    return as_read.Live() && !SameProcess(r->owner_pid, r->owner_start);
  };
  // The verdict is the look made after the record was read: looking again
  // later could find the owner gone after it wrote a final record that
  // this read predates (a clean end taken for a crash).
  const auto until = std::chrono::steady_clock::now() + kLastRecordWait;
  bool orphaned = owner_gone(record);
  while (orphaned && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    record = read_record();
    orphaned = owner_gone(record);
  }
  if (!record.ok()) {
    // Start writes the record before anything runs: without one, nothing does.
    s.state = "crashed";
    s.reason = Printable("its record is unreadable: " + record.error().ToString());
    return g;
  }
  g.record = std::move(*record);
  const Record& r = g.record;
  s.state = r.state;
  s.reason = r.reason;
  bool live = s.Live();
  if (live && orphaned) {
    s.state = "crashed";
    s.reason = "its supervisor died (" + DescribeGone(r.owner_pid, r.owner_start) + ")";
    live = false;
  }
  s.pid = live ? r.qemu_pid : 0;
  if (r.started_at > 0) {
    double end = live ? Now() : r.ended_at;
    s.uptime_s = end > r.started_at ? end - r.started_at : 0;
  }
  return g;
}

std::string Printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    out += c >= 0x20 && c < 0x7f ? c : '?';
  }
  return out;
}

std::string Tail(const std::string& path, size_t lines, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st;
  std::string text;
  if (::fstat(fd, &st) == 0) {
    off_t size = st.st_size;
    off_t from = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
    text.resize(static_cast<size_t>(size - from));
    ssize_t n = ::pread(fd, text.data(), text.size(), from);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(fd);
  // Split into lines, keep the last non-empty ones.
  std::vector<std::string> kept;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) kept.push_back(std::move(line));
    pos = nl + 1;
  }
  if (kept.size() > lines) kept.erase(kept.begin(), kept.end() - static_cast<long>(lines));
  std::string out;
  for (const std::string& line : kept) out += (out.empty() ? "" : "\n") + line;
  return out;
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<StateLock> LockState(const VmHost& host) {
  MINT_CHECK(MakeDirs(StateRoot(host)));
  std::string path = StateRoot(host) + "/.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, path, "cannot open it", errno);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, path, "cannot lock it", err);
  }
  return StateLock(fd);
}

}  // namespace mint::vm::internal

namespace mint::vm {

Result<GuestStatus> Status(const VmHost& host, const std::string& name) {
  MINT_TRY(internal::Guest g, internal::LoadGuest(host, name));
  return g.status;
}

Result<std::vector<GuestStatus>> List(const VmHost& host) {
  std::vector<GuestStatus> guests;
  std::string root = internal::StateRoot(host);
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return guests;  // no guest ever started here
    return MakeError(ErrorCode::kIo, root, "cannot list it", errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (IsValidGuestName(name) && internal::Exists(root + "/" + name + "/" + internal::kSpecFile))
      names.push_back(name);
  }
  ::closedir(dir);
  if (names.size() > kMaxGuests)  // Start refuses the 65th; someone made these by hand
    return MakeError(ErrorCode::kConflict, root,
                     "holds " + std::to_string(names.size()) + " guests, more than the " +
                         std::to_string(kMaxGuests) + " mint reports; remove stopped ones " +
                         "(mintctl vm rm " + host.node + " GUEST)");
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    auto g = internal::LoadGuest(host, name);
    if (g.ok()) {
      guests.push_back(std::move(g->status));
    } else if (g.error().code != ErrorCode::kNotFound) {  // gone meanwhile: not a guest
      GuestStatus s;
      s.name = name;
      s.state = "crashed";
      s.reason = internal::Printable("its record is unreadable: " + g.error().ToString());
      guests.push_back(std::move(s));
    }
  }
  return guests;
}

}  // namespace mint::vm
