// mintctl exec NODE [-i] [--timeout S] -- CMD...: runs CMD in the node through
// its mint-agent (mint::channel::Exec), its stdout and stderr on ours (and
// with -i our stdin on its stdin, until our end of file), and
// returns its exit status (128 + signal when killed, 127/126 when it could
// not be run); 255 for mintctl's own failure, with the reason on stderr.
// One exec per node at a time: flock on /run/mint/<node>.channel.lock.
// Ctrl-C (SIGINT) or SIGTERM kills the command in the node, then exits.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "mint/channel.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
#include "mint/text.h"

namespace mint::cli {
namespace {

std::atomic<bool> g_cancel{false};

void OnSignal(int) { g_cancel = true; }

class FdSink : public channel::OutputSink {
 public:
  void Stdout(std::span<const uint8_t> bytes) override { Write(1, bytes); }
  void Stderr(std::span<const uint8_t> bytes) override { Write(2, bytes); }

 private:
  static void Write(int fd, std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // our stdout is gone: the command's output has nowhere to go
      done += static_cast<size_t>(n);
    }
  }
};

// Our stdin as the command's: what is readable now (poll, then one read),
// so the channel loop never waits on it; without changing the descriptor's
// flags, which a terminal or pipe shares with other processes.
class FdInput : public channel::InputSource {
 public:
  Chunk Read(std::span<uint8_t> into) override {
    pollfd p{0, POLLIN, 0};
    int r = ::poll(&p, 1, 0);
    if (r == 0 || (r < 0 && errno == EINTR)) return {};
    if (r < 0 || (p.revents & POLLNVAL) != 0) return {0, true};
    ssize_t n = ::read(0, into.data(), into.size());
    if (n > 0) return {static_cast<size_t>(n), false};
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return {};
    return {0, true};  // end of file, or an error: the command's input is over
  }
};

int Fail(const Error& e) {
  PrintError(e, std::cerr);
  return kExecFailed;
}

}  // namespace

int RunExec(const Globals& globals, const std::string& name, std::optional<double> timeout_s,
            bool input, const std::vector<std::string>& argv) {
  auto fs = sys::OpenHostFs(globals.root);
  auto node = lifecycle::FindNode(*fs, name);
  if (!node.ok()) return Fail(node.error());
  auto device = sys::OpenMintDevice(sys::MintDevicePath(globals.root));
  if (!device.ok()) return Fail(device.error());
  auto lock =
      lifecycle::AcquireLock(lifecycle::ChannelLockPath(globals.root, name), "exec " + name,
                             std::chrono::seconds(globals.lock_wait_s), channel::RealClock());
  if (!lock.ok()) return Fail(lock.error());

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  channel::ExecRequest request;
  request.argv = argv;
  if (timeout_s)
    request.timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout_s * 1000));
  request.cancel = &g_cancel;
  FdInput stdin_source;
  if (input) request.input = &stdin_source;
  FdSink sink;
  std::cout.flush();
  auto result = channel::Exec(**device, *fs, node->Ref(), request, sink);
  if (!result.ok()) return Fail(result.error());
  if (!result->ran) {
    std::cerr << "mintctl: " << name << ": " << PrintableText(result->run_error.message) << "\n";
    return result->ExitCode();
  }
  return result->ExitCode();
}

}  // namespace mint::cli
