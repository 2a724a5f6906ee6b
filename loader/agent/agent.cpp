// The Agent loop (agent.h): poll the channel and the sessions' pipes, move
// frames both ways, reap commands, end sessions.
#include "agent.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
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
      StartCommand(d.session, d.argv, d.input);
      return;
    case Decision::Kind::kInput:
      Input(d.session, sessions_.at(d.session), d.bytes);
      return;
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

void Agent::StartCommand(uint32_t session, const std::vector<std::string>& argv, bool input) {
  int in[2] = {-1, -1}, out[2], err[2], status[2];
  if (input && ::pipe2(in, O_CLOEXEC) != 0) {
    SendError(session, errno, std::string("mint-agent: pipe: ") + std::strerror(errno));
    return;
  }
  auto close_in = [&] {
    if (in[0] >= 0) ::close(in[0]), ::close(in[1]);
  };
  if (::pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    close_in();
    SendError(session, e, std::string("mint-agent: pipe: ") + std::strerror(e));
    return;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close_in();
    ::close(out[0]), ::close(out[1]);
    SendError(session, e, std::string("mint-agent: pipe: ") + std::strerror(e));
    return;
  }
  if (::pipe2(status, O_CLOEXEC) != 0) {
    int e = errno;
    close_in();
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    SendError(session, e, std::string("mint-agent: pipe: ") + std::strerror(e));
    return;
  }
  // Everything the child needs, built before fork.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_env = std::string("PATH=") + kCommandPath;
  char home_env[] = "HOME=/";
  char* envp[] = {path_env.data(), home_env, nullptr};

  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGCHLD, SIG_DFL);
    // The command gets 0, 1 and 2 only. O_CLOEXEC: the /dev/null opened
    // here (or the input pipe) goes at exec, its copy on 0 stays;
    // close_range marks whatever else this process holds (the channel,
    // descriptors the agent inherited) close-on-exec, so status[1] still
    // reports a failed exec.
    int stdin_fd = input ? in[0] : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (stdin_fd < 0 || ::dup2(stdin_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0 ||
        ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      int e = errno;
      ssize_t ignored = ::write(status[1], &e, sizeof e);
      (void)ignored;
      ::_exit(127);
    }
    // PATH lookup uses the agent's own PATH (main sets it to kCommandPath).
    ::execvpe(args[0], args.data(), envp);
    int e = errno;
    ssize_t ignored = ::write(status[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(out[1]), ::close(err[1]), ::close(status[1]);
  if (input) ::close(in[0]);
  if (pid < 0) {
    if (input) ::close(in[1]);
    ::close(out[0]), ::close(err[0]), ::close(status[0]);
    SendError(session, fork_errno, std::string("mint-agent: fork: ") + std::strerror(fork_errno));
    return;
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(status[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(status[0]);
  if (n == sizeof exec_errno) {  // exec failed: the child is gone or going
    if (input) ::close(in[1]);
    ::close(out[0]), ::close(err[0]);
    int ws;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    SendError(session, exec_errno, "cannot run " + argv[0] + ": " + std::strerror(exec_errno));
    return;
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  if (input) ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  Session s;
  s.pid = pid;
  s.out = out[0];
  s.err = err[0];
  s.in = in[1];
  sessions_[session] = s;
}

void Agent::Input(uint32_t id, Session& s, std::span<const uint8_t> bytes) {
  if (bytes.empty()) {
    s.in_end = true;
  } else if (s.in < 0) {
    // Plain EXEC, or a command that closed its stdin: nothing takes it.
    Send(FrameType::kInputAck, id, channel::EncodeInputAck(static_cast<uint32_t>(bytes.size())));
  } else {
    size_t room = channel::kInputWindow - std::min<size_t>(s.in_queue.size(), channel::kInputWindow);
    size_t take = std::min(room, bytes.size());
    if (take < bytes.size()) {
      Log("session " + std::to_string(id) + ": node0 sent more INPUT than its window (" +
          std::to_string(channel::kInputWindow) + " bytes); dropped " +
          std::to_string(bytes.size() - take));
      Send(FrameType::kInputAck, id,
           channel::EncodeInputAck(static_cast<uint32_t>(bytes.size() - take)));
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
    Send(FrameType::kInputAck, id, channel::EncodeInputAck(static_cast<uint32_t>(done)));
  }
  if (broken || (s.in_end && s.in_queue.empty())) CloseInput(id, s);
}

void Agent::CloseInput(uint32_t id, Session& s) {
  if (!s.in_queue.empty())
    Send(FrameType::kInputAck, id,
         channel::EncodeInputAck(static_cast<uint32_t>(s.in_queue.size())));
  s.in_queue.clear();
  CloseFd(s.in);
}

void Agent::Drain(uint32_t id, int& fd, FrameType type, bool all) {
  uint8_t buf[channel::kMaxPayload];
  for (int i = 0; fd >= 0 && (all || (i < 4 && out_queue_.size() < kQueueLimit)); ++i) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      Send(type, id, std::span<const uint8_t>(buf, static_cast<size_t>(n)));
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
    if (!s.exited || (!pipes_done && Clock::now() - s.exited_at < kEofGrace) ||
        out_queue_.size() >= kQueueLimit) {
      ++it;
      continue;
    }
    // Whatever is still in the pipes (at most a pipe buffer each) goes out
    // before EXIT; a background child keeping them open loses them now.
    Drain(it->first, s.out, FrameType::kStdout, true);
    Drain(it->first, s.err, FrameType::kStderr, true);
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
      if (room && s.out >= 0) fds.push_back({s.out, POLLIN, 0});
      if (room && s.err >= 0) fds.push_back({s.err, POLLIN, 0});
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
      Drain(id, s.out, FrameType::kStdout, false);
      Drain(id, s.err, FrameType::kStderr, false);
    }
    Reap();
    Finish();
    if (!Flush()) break;
  }
  KillAll();
  return eof_ ? 0 : failure_;
}

}  // namespace mint::agent
