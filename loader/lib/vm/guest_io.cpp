// Exec and Console (mint/vm.h): the two ways into a running guest. Exec
// speaks the guest agent protocol (agent_protocol.h) on agent.sock, the
// Unix socket QEMU serves for the guest's virtio-serial port; Console reads
// console.log, the guest's ttyS0.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "agent_protocol.h"
#include "mint/vm.h"
#include "state_dir.h"

namespace mint::vm {
namespace {

using namespace internal;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1000));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error Timeout(const VmHost& host, const std::string& name, milliseconds timeout) {
  return MakeError(ErrorCode::kIo, name,
                   name + " did not answer within " + std::to_string(timeout.count()) +
                       " ms; is its agent up? (mintctl vm console " + host.node + " " + name +
                       " shows its boot) A longer command needs a longer --timeout-ms");
}

// Connects to the agent port; QEMU may not listen yet right after start.
Result<int> Connect(const VmHost& host, const std::string& name, const std::string& path,
                    Clock::time_point deadline, milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return MakeError(ErrorCode::kInvalidArgument, path,
                     "is longer than a Unix socket path may be (" +
                         std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  while (true) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return MakeError(ErrorCode::kIo, path, "cannot make a socket", errno);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    int err = errno;
    ::close(fd);
    if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN)
      return MakeError(ErrorCode::kIo, path, "cannot connect to " + name + "'s agent port", err);
    if (MsLeft(deadline) == 0) return Timeout(host, name, timeout);
    std::this_thread::sleep_for(milliseconds(50));
  }
}

}  // namespace

Result<int> Exec(const VmHost& host, const std::string& name, const std::vector<std::string>& argv,
                 std::string& output, milliseconds timeout) {
  output.clear();
  if (argv.empty() || argv[0].empty())
    return MakeError(ErrorCode::kInvalidArgument, name,
                     "no command to run in " + name + "; give one after --, e.g. -- uname -a");
  MINT_TRY(Guest g, LoadGuest(host, name));
  if (g.status.state != "running") return NotRunning(host, g.status, "it cannot run commands");
  const auto deadline = Clock::now() + timeout;
  std::string token = RandomToken();
  std::string request = AgentRequest(token, ShellQuote(argv) + "\n");
  std::string sock = g.dir + "/" + kAgentSock;
  MINT_TRY(int raw, Connect(host, name, sock, deadline, timeout));
  Fd fd(raw);

  size_t sent = 0;
  AgentReply reply(token, kMaxExecOutput);
  char buf[64 << 10];
  while (true) {
    short events = static_cast<short>(POLLIN | (sent < request.size() ? POLLOUT : 0));
    pollfd p{fd.get(), events, 0};
    int left = MsLeft(deadline);
    if (left == 0) return Timeout(host, name, timeout);
    if (::poll(&p, 1, left) < 0 && errno != EINTR)
      return MakeError(ErrorCode::kIo, sock, "cannot poll it", errno);
    if (sent < request.size() && (p.revents & POLLOUT)) {
      ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return MakeError(ErrorCode::kIo, sock, "cannot send the command to " + name, errno);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, sock, "cannot read " + name + "'s answer", errno);
    if (n == 0)
      return MakeError(ErrorCode::kIo, name,
                       name +
                           "'s agent port closed before the answer (did the guest power off? "
                           "mintctl vm list " +
                           host.node + " says)");
    switch (reply.Feed(std::string_view(buf, static_cast<size_t>(n)))) {
      case AgentReply::State::kMore:
        continue;
      case AgentReply::State::kFailed:
        return MakeError(ErrorCode::kIo, name, name + "'s agent: " + reply.error());
      case AgentReply::State::kDone:
        output = reply.output();
        return reply.status();
    }
  }
}

Result<void> Console(const VmHost& host, const std::string& name, bool follow,
                     const std::function<bool(std::string_view)>& sink) {
  MINT_TRY(Guest g, LoadGuest(host, name));
  std::string path = g.dir + "/" + kConsoleLog;
  int fd = -1;
  char buf[64 << 10];
  bool last_pass = !follow;
  while (true) {
    if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) return MakeError(ErrorCode::kIo, path, "cannot open it", errno);
    ssize_t n = fd >= 0 ? ::read(fd, buf, sizeof buf) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return MakeError(ErrorCode::kIo, path, "cannot read it", err);
    }
    if (n > 0) {
      if (!sink(std::string_view(buf, static_cast<size_t>(n)))) break;
      continue;
    }
    if (last_pass) break;  // read to its end after the guest ended
    std::this_thread::sleep_for(milliseconds(100));
    auto now = LoadGuest(host, name);
    if (!now.ok() || !now->status.Live()) last_pass = true;
  }
  if (fd >= 0) ::close(fd);
  return Ok();
}

}  // namespace mint::vm
