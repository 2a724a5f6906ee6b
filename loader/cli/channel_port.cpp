// OpenChannel (channel_port.h): connect, else start the relay and wait for
// its socket (a condition, checked every 10 ms, bounded).
#include "channel_port.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "mint/channel/relay.h"
#include "mint/lifecycle.h"
#include "mint/text.h"

namespace mint::cli {
namespace {

constexpr auto kRelayStart = std::chrono::seconds(10);

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return PrintableText(last);
}

// Starts `mintctl [--root R] relay NODE` as a grandchild in its own
// session (so our terminal's Ctrl-C and our exit leave it running, and
// init reaps it); returns its pid.
Result<pid_t> StartRelay(const Globals& globals, const std::string& node,
                         const std::string& log) {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return MakeError(ErrorCode::kIo, node,
                     std::string("cannot find mintctl's own binary (/proc/self/exe: ") +
                         std::strerror(errno) + ") to start its channel relay");
  exe[n] = '\0';
  // Absolute: the relay runs in /.
  std::vector<std::string> args = {"mintctl", "--root", std::filesystem::absolute(globals.root),
                                   "relay", node};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pids[2];
  if (::pipe2(pids, O_CLOEXEC) != 0)
    return MakeError(ErrorCode::kIo, node, std::string("pipe: ") + std::strerror(errno));
  pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    pid_t relay = ::fork();
    if (relay == 0) {
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (null >= 0) ::dup2(null, 0);
      if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
      }
      for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
      if (::chdir("/") != 0) ::_exit(127);  // a daemon keeps no directory busy
      ::execv(exe, argv.data());
      ::_exit(127);
    }
    ssize_t ignored = ::write(pids[1], &relay, sizeof relay);
    (void)ignored;
    ::_exit(0);
  }
  ::close(pids[1]);
  pid_t relay = -1;
  ssize_t got = child > 0 ? ::read(pids[0], &relay, sizeof relay) : -1;
  ::close(pids[0]);
  if (child > 0)
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  if (got != sizeof relay || relay <= 0)
    return MakeError(ErrorCode::kIo, node,
                     "cannot start its channel relay (mintctl relay " + node + "): fork failed");
  return relay;
}

}  // namespace

Result<std::unique_ptr<channel::Port>> OpenChannel(const Globals& globals,
                                                   const channel::NodeRef& node) {
  const std::string path = lifecycle::RelaySocketPath(globals.root, node.name);
  const std::string what = node.name + "'s channel relay";
  auto port = [&](int fd) -> std::unique_ptr<channel::Port> {
    return std::make_unique<channel::RelayPort>(fd, what);
  };
  if (int fd = channel::ConnectRelay(path); fd >= 0) return port(fd);
  if (errno != ENOENT && errno != ECONNREFUSED)
    return MakeError(ErrorCode::kIo, node.name,
                     "cannot connect to " + path + ": " + std::strerror(errno));
  const std::string log = lifecycle::RelayLogPath(globals.root, node.name);
  MINT_TRY(pid_t relay, StartRelay(globals, node.name, log));
  const auto until = std::chrono::steady_clock::now() + kRelayStart;
  while (true) {
    if (int fd = channel::ConnectRelay(path); fd >= 0) return port(fd);
    // It ended: it met another relay (which then serves), or failed.
    bool ended = ::kill(relay, 0) != 0 && errno == ESRCH;
    if (ended || std::chrono::steady_clock::now() >= until) {
      if (int fd = channel::ConnectRelay(path); fd >= 0) return port(fd);
      std::string last = LastLine(log);
      return MakeError(ErrorCode::kIo, node.name,
                       std::string("its channel relay (mintctl relay ") + node.name + ") " +
                           (ended ? "ended" : "did not listen within 10 s") +
                           (last.empty() ? std::string(" without a word")
                                         : ": " + last) +
                           " (" + log + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace mint::cli
