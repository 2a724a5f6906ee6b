// Relay and RelayPort (mint/channel/relay.h). One loop: accept clients,
// take one record from each client whose last one reached the ring, move
// records between the ring and the clients until nothing moves, write what
// waits for each client, then ppoll the sockets for a while (the ring
// itself cannot be polled: MINT_NODE_CHAN never waits, docs/channel.md).
#include "mint/channel/relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mint::channel {
namespace {

using Steady = std::chrono::steady_clock;

// At the end, how long records for clients may wait for room in their sockets.
constexpr auto kLastFlush = std::chrono::milliseconds(500);

// The frames a client may send: node0's half of the protocol.
bool FromNode0(FrameType t) {
  switch (t) {
    case FrameType::kExec:
    case FrameType::kExecInput:
    case FrameType::kExecPty:
    case FrameType::kInput:
    case FrameType::kKill:
    case FrameType::kPing:
    case FrameType::kWinsize:
    case FrameType::kOutputAck:
      return true;
    default:
      return false;
  }
}

bool Starts(FrameType t) {
  return t == FrameType::kExec || t == FrameType::kExecInput || t == FrameType::kExecPty;
}

// poll() with a timeout finer than a millisecond.
void Poll(std::vector<pollfd>& fds, std::chrono::microseconds d) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  ::ppoll(fds.data(), fds.size(), &ts, nullptr);
}

bool Ends(FrameType t) { return t == FrameType::kExit || t == FrameType::kError; }

Error Gone(const std::string& what, const std::string& how) {
  Error e = MakeError(ErrorCode::kConflict, what, how);
  e.sys_errno = ENOTCONN;
  return e;
}

}  // namespace

Relay::Relay(Port& ring, int listen_fd, int log_fd, const RelayTiming& timing)
    : ring_(ring), listen_fd_(listen_fd), log_fd_(log_fd), timing_(timing), buf_(kMaxRecord + 1) {}

Relay::~Relay() {
  for (auto& [fd, c] : clients_) ::close(fd);
}

void Relay::Log(const std::string& line) {
  if (log_fd_ < 0) return;
  std::string text = "mintctl relay: " + line + "\n";
  ssize_t ignored = ::write(log_fd_, text.data(), text.size());
  (void)ignored;
}

void Relay::Accept() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: no more now (other errors: the next turn tries again)
    clients_[fd];
    ++stats_.clients;
  }
}

void Relay::Drop(int fd, const std::string& why) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  if (!why.empty()) {
    Log("dropped a client: " + why);
    ++stats_.dropped_clients;
  }
  for (uint32_t s : c.sessions) owner_.erase(s);
  for (const auto& r : c.from)
    if (auto f = DecodeFrame(r); f.ok() && Starts(f->type))
      c.running.erase(f->session);  // its EXEC never left: nothing runs
  for (uint32_t s : c.running) {
    // Its mintctl is gone: nobody will read the output or the EXIT.
    own_.push_back(EncodeFrame(FrameType::kKill, s));
    orphans_.insert(s);
    ++stats_.orphan_kills;
  }
  ::close(fd);
  clients_.erase(it);
}

void Relay::ReadClient(int fd, Client& c) {
  std::vector<uint8_t>& buf = buf_;
  // At most kClientQueue of its records wait here: beyond, its socket
  // fills and its sends wait (a client's flow control is the socket's).
  while (!c.closed && c.from.size() < kClientQueue) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {  // it closed (the normal end of a mintctl), or a reset
      c.closed = true;
      return;
    }
    std::span<const uint8_t> record(buf.data(), static_cast<size_t>(n));
    if (Admit(fd, c, record)) c.from.emplace_back(record.begin(), record.end());
  }
}

bool Relay::Admit(int fd, Client& c, std::span<const uint8_t> record) {
  auto frame = DecodeFrame(record);
  std::string refusal;
  if (!frame.ok()) {
    refusal = "a record that is not a frame (" + frame.error().message + ")";
  } else if (!FromNode0(frame->type)) {
    refusal = "a " + std::string(FrameTypeName(frame->type)) + " frame, which only a node sends";
  } else if (frame->session == 0) {
    refusal = "a frame of session 0";
  } else if (auto o = owner_.find(frame->session); o != owner_.end() && o->second != fd) {
    ++stats_.refused;
    // Answered, so that its mintctl does not wait; it picks another id.
    if (Starts(frame->type)) {
      c.to.push_back(EncodeFrame(
          FrameType::kError, frame->session,
          EncodeError({EBUSY, "session " + std::to_string(frame->session) +
                                  " is another mintctl's; try again"})));
      c.to_bytes += c.to.back().size();
    }
    return false;
  } else if (orphans_.count(frame->session) != 0) {
    refusal = "a frame of session " + std::to_string(frame->session) + ", still being ended";
  }
  if (!refusal.empty()) {
    ++stats_.refused;
    Log("refused a client's record: " + refusal);
    return false;
  }
  owner_[frame->session] = fd;
  c.sessions.insert(frame->session);
  if (Starts(frame->type)) c.running.insert(frame->session);
  return true;
}

void Relay::FlushClient(int fd, Client& c) {
  while (!c.to.empty()) {
    const auto& r = c.to.front();
    ssize_t n = ::send(fd, r.data(), r.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Drop(fd, "");  // EPIPE: it went away; Drop kills what it ran
      return;
    }
    c.to_bytes -= r.size();
    c.to.pop_front();
  }
}

void Relay::Route(std::span<const uint8_t> record) {
  ++stats_.from_node;
  auto frame = DecodeFrame(record);
  if (!frame.ok()) {
    ++stats_.undecodable;
    // A node that floods the ring with garbage gets a line a second.
    auto now = Steady::now();
    if (now - last_log_ >= std::chrono::seconds(1)) {
      Log("dropped a record from the node that is not a frame (" + frame.error().message +
          (unlogged_ > 0 ? "; and " + std::to_string(unlogged_) + " more before it" : "") + ")");
      last_log_ = now;
      unlogged_ = 0;
    } else {
      ++unlogged_;
    }
    return;
  }
  const uint32_t s = frame->session;
  if (auto o = owner_.find(s); o != owner_.end()) {
    Client& c = clients_.at(o->second);
    if (Ends(frame->type)) c.running.erase(s);
    c.to.emplace_back(record.begin(), record.end());
    c.to_bytes += record.size();
    if (c.to_bytes > kClientBacklog)
      Drop(o->second, "more than " + std::to_string(kClientBacklog) +
                          " bytes wait for it (it does not acknowledge what it reads)");
    return;
  }
  if (orphans_.count(s) != 0) {
    if ((frame->type == FrameType::kStdout || frame->type == FrameType::kStderr) &&
        !frame->payload.empty())
      own_.push_back(EncodeFrame(FrameType::kOutputAck, s,
                                 EncodeAck(static_cast<uint32_t>(frame->payload.size()))));
    if (Ends(frame->type)) orphans_.erase(s);
    return;
  }
  ++stats_.unrouted;
}

std::vector<uint8_t>* Relay::NextForRing(int& fd) {
  fd = -1;
  if (!own_.empty()) return &own_.front();
  auto it = clients_.upper_bound(last_turn_);
  for (size_t i = 0; i < clients_.size(); ++i, ++it) {
    if (it == clients_.end()) it = clients_.begin();
    if (!it->second.from.empty()) {
      fd = it->first;
      return &it->second.from.front();
    }
  }
  return nullptr;
}

Result<bool> Relay::MoveRing() {
  static const std::vector<uint8_t> kNothing;
  bool moved = false;
  std::vector<uint8_t>& rx = buf_;
  for (int i = 0; i < 256; ++i) {  // bounded, so the sockets get their turn
    int fd = -1;
    std::vector<uint8_t>* tx = NextForRing(fd);
    auto r = ring_.Transfer(tx != nullptr ? *tx : kNothing, rx);
    if (!r.ok()) return r.take_error();
    if (r->sent && tx != nullptr) {
      ++stats_.to_node;
      if (fd < 0) {
        own_.pop_front();
      } else {
        clients_.at(fd).from.pop_front();
        last_turn_ = fd;
      }
    }
    if (r->received > 0) Route(std::span<const uint8_t>(rx.data(), r->received));
    if (!r->sent && r->received == 0) break;
    moved = true;
  }
  return moved;
}

Result<void> Relay::Run(const std::atomic<bool>& stop) {
  auto last_moved = Steady::now();
  Result<void> end = Ok();
  while (!stop.load()) {
    Accept();
    for (auto& [fd, c] : clients_) ReadClient(fd, c);
    auto moved = MoveRing();
    if (!moved.ok()) {
      end = moved.take_error();
      break;
    }
    for (auto it = clients_.begin(); it != clients_.end();) {
      int fd = (it++)->first;  // FlushClient and Drop may drop it
      FlushClient(fd, clients_.at(fd));
      if (auto c = clients_.find(fd); c != clients_.end() && c->second.closed &&
                                      c->second.from.empty())
        Drop(fd, "");
    }
    auto now = Steady::now();
    if (*moved) last_moved = now;

    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (auto& [fd, c] : clients_) {
      short ev = static_cast<short>((c.from.size() < kClientQueue && !c.closed ? POLLIN : 0) |
                                    (c.to.empty() ? 0 : POLLOUT));
      fds.push_back({fd, ev, 0});
    }
    std::chrono::microseconds wait =
        now - last_moved < timing_.busy_for || !own_.empty() ? timing_.busy_poll
        : !clients_.empty()                                  ? timing_.idle_poll
                                                             : timing_.lone_poll;
    Poll(fds, wait);
  }
  // What the node wrote before its end (the last output before a crash)
  // still reaches the clients, within a bound.
  const auto until = Steady::now() + kLastFlush;
  while (Steady::now() < until) {
    std::vector<pollfd> fds;
    for (auto it = clients_.begin(); it != clients_.end();) {
      int fd = (it++)->first;
      FlushClient(fd, clients_.at(fd));
      if (auto c = clients_.find(fd); c != clients_.end() && !c->second.to.empty())
        fds.push_back({fd, POLLOUT, 0});
    }
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 10);
  }
  for (auto& [fd, c] : clients_) ::close(fd);
  clients_.clear();
  owner_.clear();
  return end;
}

namespace {

// false (errno ENAMETOOLONG) when the path does not fit.
bool UnixAddress(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

Result<int> ListenRelay(const std::string& path) {
  sockaddr_un addr;
  if (!UnixAddress(path, addr))
    return MakeError(ErrorCode::kInvalidArgument, path, "too long for a unix socket's name");
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, path, std::string("socket: ") + std::strerror(errno));
  ::unlink(path.c_str());  // a dead relay's
  mode_t old = ::umask(077);
  int r = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r != 0 || ::listen(fd, 64) != 0) {
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, path, std::string("bind/listen: ") + std::strerror(err));
  }
  return fd;
}

int ConnectRelay(const std::string& path) {
  sockaddr_un addr;
  if (!UnixAddress(path, addr)) return -1;
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

RelayPort::RelayPort(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}

RelayPort::~RelayPort() {
  if (fd_ >= 0) ::close(fd_);
}

Result<sys::ChanResult> RelayPort::Transfer(std::span<const uint8_t> tx, std::span<uint8_t> rx) {
  sys::ChanResult r;
  if (!tx.empty()) {
    ssize_t n = ::send(fd_, tx.data(), tx.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      r.sent = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Gone(what_, std::string("went away (") + std::strerror(errno) + ")");
    }
  }
  if (!rx.empty()) {
    ssize_t n = ::recv(fd_, rx.data(), rx.size(), MSG_DONTWAIT);
    if (n > 0) {
      r.received = static_cast<size_t>(n);
    } else if (n == 0) {
      return Gone(what_, "ended");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Gone(what_, std::string("went away (") + std::strerror(errno) + ")");
    }
  }
  return r;
}

void RelayPort::Wait(Clock&, std::chrono::microseconds d) {
  std::vector<pollfd> p{{fd_, POLLIN, 0}};
  Poll(p, d);
}

}  // namespace mint::channel
