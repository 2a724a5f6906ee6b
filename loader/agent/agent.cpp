// The Agent loop (agent.h): poll the channel and the sessions' pipes, move
// frames both ways, reap commands, end sessions.
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mint::agent {
namespace {

using channel::FrameType;
using Clock = std::chrono::steady_clock;

constexpr size_t kQueueLimit = 16;  // frames waiting for ring room before pipes pause
// After a command exits, how long its pipes may stay open (a background
// child holding them) before EXIT is sent anyway.
constexpr auto kEofGrace = std::chrono::milliseconds(200);

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Agent::Agent(int fd, int log_fd) : fd_(fd), log_fd_(log_fd) {}

Agent::~Agent() { KillAll(); }

void Agent::Log(const std::string& line) {
  if (log_fd_ < 0) return;
  std::string text = "mint-agent: " + line + "\n";
  ssize_t ignored = ::write(log_fd_, text.data(), text.size());
  (void)ignored;
}

void Agent::Send(FrameType type, uint32_t session, std::span<const uint8_t> payload) {
  out_queue_.push_back(channel::EncodeFrame(type, session, payload));
}

void Agent::SendError(uint32_t session, int err, const std::string& message) {
  Send(FrameType::kError, session, channel::EncodeError({err, message}));
}

bool Agent::Flush() {
  while (!out_queue_.empty()) {
    const auto& record = out_queue_.front();
    ssize_t n = ::write(fd_, record.data(), record.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      if (errno == EMSGSIZE) {  // cannot happen for our frames; never loop on it
        Log("dropped a " + std::to_string(record.size()) + "-byte frame: EMSGSIZE");
        out_queue_.pop_front();
        continue;
      }
      failure_ = errno;
      return false;
    }
    out_queue_.pop_front();
  }
  return true;
}

bool Agent::ReadChannel() {
  std::vector<uint8_t> buf(channel::kMaxRecord);
  for (int i = 0; i < 64; ++i) {  // bounded, so pipes get their turn
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n > 0) {
      Handle(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
    if (errno == EMSGSIZE) {  // a record longer than a frame can be: node0 is broken
      Log("a record from node0 is longer than " + std::to_string(channel::kMaxRecord) + " bytes");
      failure_ = errno;
      return false;
    }
    failure_ = errno;
    return false;
  }
  return true;
}

void Agent::Handle(std::span<const uint8_t> record) {
  Decision d = Decide(record, sessions_.size(), [this](uint32_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return SessionState::kNone;
    return it->second.exited ? SessionState::kExited : SessionState::kRunning;
  });
  if (!d.log.empty()) Log(d.log);
  switch (d.kind) {
    case Decision::Kind::kStart:
      StartCommand(d);
      return;
    case Decision::Kind::kWinsize: {
      const Session& s = sessions_.at(d.session);
      winsize ws{d.size.rows, d.size.cols, 0, 0};
      if (s.pty && s.out >= 0) ::ioctl(s.out, TIOCSWINSZ, &ws);
      return;
    }
    case Decision::Kind::kInput:
      Input(d.session, sessions_.at(d.session), d.bytes);
      return;
    case Decision::Kind::kOutputAck: {
      Session& s = sessions_.at(d.session);
      if (d.acked > s.out_unacked)
        Log("session " + std::to_string(d.session) + ": node0 acknowledged " +
            std::to_string(d.acked) + " output bytes, more than the " +
            std::to_string(s.out_unacked) + " waiting");
      s.out_unacked -= std::min(d.acked, s.out_unacked);
      return;
    }
    case Decision::Kind::kKill: {
      const Session& s = sessions_.at(d.session);
      ::kill(-s.pid, SIGKILL);
      ::kill(s.pid, SIGKILL);
      return;
    }
    case Decision::Kind::kRefuse:
      SendError(d.session, d.sys_errno, d.message);
      return;
    case Decision::Kind::kPong:
      // A node0 that pings without reading the answers gets no more of them.
      if (out_queue_.size() >= kQueueLimit) {
        Log("dropped a PING: " + std::to_string(out_queue_.size()) +
            " frames wait for node0 already");
        return;
      }
      Send(FrameType::kPong, d.session, d.echo);
      return;
    case Decision::Kind::kIgnore:
      return;
  }
}

namespace {

// The descriptors a command is started with, and what the agent keeps of
// them. Pipes: stdin (EXEC_INPUT), stdout, stderr. A terminal (EXEC_PTY):
// the master, whose reads are the command's output and whose writes (on a
// dup of it) its input; the child opens the slave as its controlling
// terminal. Everything is close-on-exec; Close() frees what is still held.
struct Ends {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, status[2] = {-1, -1};
  int master = -1;
  std::string slave;
  void Close() {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1], &status[0], &status[1],
                    &master})
      CloseFd(*fd);
  }
};

// Opens what the command needs; an errno-prefixed message on failure.
std::string OpenEnds(Ends& e, const Decision& d) {
  if (::pipe2(e.status, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (d.pty) {
    e.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[64];
    if (e.master < 0 || ::grantpt(e.master) != 0 || ::unlockpt(e.master) != 0 ||
        ::ptsname_r(e.master, name, sizeof name) != 0)
      return std::string("pseudo-terminal: ") + std::strerror(errno);
    e.slave = name;
    winsize ws{d.size.rows, d.size.cols, 0, 0};
    ::ioctl(e.master, TIOCSWINSZ, &ws);
    return "";
  }
  if ((d.input && ::pipe2(e.in, O_CLOEXEC) != 0) || ::pipe2(e.out, O_CLOEXEC) != 0 ||
      ::pipe2(e.err, O_CLOEXEC) != 0)
    return std::string("pipe: ") + std::strerror(errno);
  return "";
}

// In the child, before exec: its descriptors 0-2 and session. Returns 0 or
// the errno of what failed.
int SetUpChild(const Ends& e, const Decision& d) {
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Every signal back to its default: ignored ones are inherited through
  // exec (a node's init may ignore SIGINT, and Ctrl-C on a terminal must
  // end the command).
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  // The command gets 0, 1 and 2 only. O_CLOEXEC: what is opened here goes
  // at exec, its copies on 0-2 stay; close_range marks whatever else this
  // process holds (the channel, descriptors the agent inherited)
  // close-on-exec, so status[1] still reports a failed exec.
  if (d.pty) {
    int slave = ::open(e.slave.c_str(), O_RDWR | O_CLOEXEC);  // our controlling terminal
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0 || ::dup2(slave, 0) < 0 ||
        ::dup2(slave, 1) < 0 || ::dup2(slave, 2) < 0)
      return errno;
  } else {
    int stdin_fd = d.input ? e.in[0] : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (stdin_fd < 0 || ::dup2(stdin_fd, 0) < 0 || ::dup2(e.out[1], 1) < 0 ||
        ::dup2(e.err[1], 2) < 0)
      return errno;
  }
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) return errno;
  return 0;
}

}  // namespace

void Agent::StartCommand(const Decision& d) {
  const uint32_t session = d.session;
  Ends e;
  std::string failed = OpenEnds(e, d);
  if (!failed.empty()) {
    int err = errno;
    e.Close();
    SendError(session, err, "mint-agent: " + failed);
    return;
  }
  // Everything the child needs, built before fork.
  std::vector<char*> args;
  for (const auto& a : d.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_env = std::string("PATH=") + kCommandPath;
  char home_env[] = "HOME=/";
  std::string term_env = "TERM=" + (d.term.empty() ? std::string("vt100") : d.term);
  char* envp[] = {path_env.data(), home_env, d.pty ? term_env.data() : nullptr, nullptr};

  pid_t pid = ::fork();
  if (pid == 0) {
    int err = SetUpChild(e, d);
    // PATH lookup uses the agent's own PATH (main sets it to kCommandPath).
    if (err == 0) {
      ::execvpe(args[0], args.data(), envp);
      err = errno;
    }
    ssize_t ignored = ::write(e.status[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  int fork_errno = errno;
  for (int* fd : {&e.in[0], &e.out[1], &e.err[1], &e.status[1]}) CloseFd(*fd);
  if (pid < 0) {
    e.Close();
    SendError(session, fork_errno, std::string("mint-agent: fork: ") + std::strerror(fork_errno));
    return;
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(e.status[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  CloseFd(e.status[0]);
  if (n == sizeof exec_errno) {  // exec failed: the child is gone or going
    e.Close();
    int ws;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    SendError(session, exec_errno,
              "cannot run " + d.argv[0] + ": " + std::strerror(exec_errno));
    return;
  }
  Session s;
  s.pid = pid;
  s.pty = d.pty;
  if (d.pty) {
    s.out = e.master;
    s.in = ::fcntl(e.master, F_DUPFD_CLOEXEC, 3);  // closing it leaves the output open
    e.master = -1;
  } else {
    s.out = e.out[0];
    s.err = e.err[0];
    s.in = e.in[1];
  }
  for (int fd : {s.out, s.err, s.in})
    if (fd >= 0) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  sessions_[session] = s;
}

void Agent::Input(uint32_t id, Session& s, std::span<const uint8_t> bytes) {
  if (bytes.empty()) {
    s.in_end = true;
  } else if (s.in < 0) {
    // Plain EXEC, or a command that closed its stdin: nothing takes it.
    Send(FrameType::kInputAck, id, channel::EncodeAck(static_cast<uint32_t>(bytes.size())));
  } else {
    size_t room = channel::kInputWindow - std::min<size_t>(s.in_queue.size(), channel::kInputWindow);
    size_t take = std::min(room, bytes.size());
    if (take < bytes.size()) {
      Log("session " + std::to_string(id) + ": node0 sent more INPUT than its window (" +
          std::to_string(channel::kInputWindow) + " bytes); dropped " +
          std::to_string(bytes.size() - take));
      Send(FrameType::kInputAck, id,
           channel::EncodeAck(static_cast<uint32_t>(bytes.size() - take)));
    }
    s.in_queue.insert(s.in_queue.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
  }
  Feed(id, s);
}

void Agent::Feed(uint32_t id, Session& s) {
  if (s.in < 0) return;
  size_t done = 0;
  bool broken = false;
  while (done < s.in_queue.size()) {
    ssize_t n = ::write(s.in, s.in_queue.data() + done, s.in_queue.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EPIPE: the command closed its stdin (or ended); what it did not
    // take is dropped, as a pipe in a shell would.
    broken = !(n < 0 && errno == EAGAIN);
    break;
  }
  if (done > 0) {
    s.in_queue.erase(s.in_queue.begin(), s.in_queue.begin() + static_cast<long>(done));
    Send(FrameType::kInputAck, id, channel::EncodeAck(static_cast<uint32_t>(done)));
  }
  if (broken || (s.in_end && s.in_queue.empty())) CloseInput(id, s);
}

void Agent::CloseInput(uint32_t id, Session& s) {
  if (!s.in_queue.empty())
    Send(FrameType::kInputAck, id,
         channel::EncodeAck(static_cast<uint32_t>(s.in_queue.size())));
  s.in_queue.clear();
  CloseFd(s.in);
}

void Agent::Drain(uint32_t id, Session& s, int& fd, FrameType type, bool all) {
  uint8_t buf[channel::kMaxPayload];
  for (int i = 0; fd >= 0 && (all || (i < 4 && out_queue_.size() < kQueueLimit &&
                                      s.out_unacked < channel::kOutputWindow));
       ++i) {
    size_t room = all ? sizeof buf
                      : std::min<size_t>(sizeof buf, channel::kOutputWindow - s.out_unacked);
    ssize_t n = ::read(fd, buf, room);
    if (n > 0) {
      Send(type, id, std::span<const uint8_t>(buf, static_cast<size_t>(n)));
      s.out_unacked += static_cast<uint32_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    CloseFd(fd);  // end of file, or an error: nothing more will come
  }
}

void Agent::Reap() {
  for (auto& [id, s] : sessions_) {
    if (s.exited) continue;
    int ws;
    pid_t r = ::waitpid(s.pid, &ws, WNOHANG);
    if (r == s.pid) {
      s.exited = true;
      s.wait_status = ws;
      s.exited_at = Clock::now();
    }
  }
}

void Agent::Finish() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = it->second;
    bool pipes_done = s.out < 0 && s.err < 0;
    // Its output window full: node0 has not taken what it has; EXIT waits.
    const bool window_full = !pipes_done && s.out_unacked >= channel::kOutputWindow;
    if (!s.exited || (!pipes_done && Clock::now() - s.exited_at < kEofGrace) || window_full ||
        out_queue_.size() >= kQueueLimit) {
      ++it;
      continue;
    }
    // Whatever is still in the pipes (at most a pipe buffer each) goes out
    // before EXIT; a background child keeping them open loses them now.
    Drain(it->first, s, s.out, FrameType::kStdout, true);
    Drain(it->first, s, s.err, FrameType::kStderr, true);
    CloseFd(s.out);
    CloseFd(s.err);
    CloseInput(it->first, s);  // by EXIT, every INPUT byte is acknowledged
    channel::ExitStatus st;
    if (WIFSIGNALED(s.wait_status))
      st.signal = WTERMSIG(s.wait_status);
    else
      st.code = WEXITSTATUS(s.wait_status);
    Send(FrameType::kExit, it->first, channel::EncodeExit(st));
    it = sessions_.erase(it);
  }
}

void Agent::KillAll() {
  for (auto& [id, s] : sessions_) {
    if (!s.exited) {
      ::kill(-s.pid, SIGKILL);
      ::kill(s.pid, SIGKILL);
      int ws;
      while (::waitpid(s.pid, &ws, 0) < 0 && errno == EINTR) {
      }
    }
    CloseFd(s.out);
    CloseFd(s.err);
    CloseFd(s.in);
  }
  sessions_.clear();
}

int Agent::Run() {
  std::string hello =
      "mint-agent " + std::to_string(channel::kFrameVersion) + " pid " + std::to_string(::getpid());
  Send(FrameType::kHello, 0,
       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hello.data()), hello.size()));
  sigset_t none;
  sigemptyset(&none);
  while (true) {
    // POLLOUT only while frames wait: the device reports it when a whole
    // record fits (docs/channel.md).
    short events = static_cast<short>(POLLIN | (out_queue_.empty() ? 0 : POLLOUT));
    std::vector<pollfd> fds{{fd_, events, 0}};
    bool room = out_queue_.size() < kQueueLimit;
    bool waiting_eof = false;
    for (auto& [id, s] : sessions_) {
      const bool open = room && s.out_unacked < channel::kOutputWindow;
      if (open && s.out >= 0) fds.push_back({s.out, POLLIN, 0});
      if (open && s.err >= 0) fds.push_back({s.err, POLLIN, 0});
      if (s.in >= 0 && !s.in_queue.empty()) fds.push_back({s.in, POLLOUT, 0});
      if (s.exited) waiting_eof = true;
    }
    // The timer is a fallback: poll() wakes us for records, ring room,
    // pipes and (through SIGCHLD) exits.
    int ms = waiting_eof ? 20 : !out_queue_.empty() || !sessions_.empty() ? 50 : 200;
    timespec ts{0, ms * 1000000L};
    ::ppoll(fds.data(), fds.size(), &ts, &none);

    if (!Flush()) break;
    if (!ReadChannel()) break;
    for (auto& [id, s] : sessions_) {
      Feed(id, s);
      Drain(id, s, s.out, FrameType::kStdout, false);
      Drain(id, s, s.err, FrameType::kStderr, false);
    }
    Reap();
    Finish();
    if (!Flush()) break;
  }
  KillAll();
  return eof_ ? 0 : failure_;
}

}  // namespace mint::agent
