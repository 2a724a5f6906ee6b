// mintctl exec NODE [-i|-t] [--timeout S] -- CMD...: runs CMD in the node
// through its mint-agent (mint::channel::Exec), its stdout and stderr on
// ours (with -i our stdin on its stdin, until our end of file; with -t on a
// terminal in the node, default a login shell, ours in raw mode meanwhile
// so that Ctrl-C, Ctrl-Z and the window size reach the node's terminal),
// and returns its exit status (128 + signal when killed, 127/126 when it
// could not be run); 255 for mintctl's own failure, with the reason on
// stderr. Any number of them at once, through the node's relay
// (channel_port.h). Ctrl-C (SIGINT, without -t), SIGTERM or
// SIGHUP kills the command in the node, then exits.
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "channel_port.h"
#include "commands.h"
#include "mint/channel.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"
#include "mint/text.h"

namespace mint::cli {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<bool> g_resized{false};

void OnSignal(int) { g_cancel = true; }
void OnWinch(int) { g_resized = true; }

// Our terminal's size, if stdin is one.
std::optional<channel::Winsize> TerminalSize() {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
  return channel::Winsize{std::min<uint16_t>(ws.ws_row, 9999), std::min<uint16_t>(ws.ws_col, 9999)};
}

// Our terminal in raw mode while the node's terminal runs: every key goes
// to the node as typed (its terminal echoes and turns Ctrl-C into SIGINT);
// the settings come back however exec ends.
class RawTerminal {
 public:
  Result<void> Enter() {
    if (::tcgetattr(0, &saved_) != 0)
      return MakeError(ErrorCode::kIo, "mintctl exec -t",
                       std::string("cannot read the terminal's settings: ") + std::strerror(errno));
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(0, TCSADRAIN, &raw) != 0)
      return MakeError(ErrorCode::kIo, "mintctl exec -t",
                       std::string("cannot put the terminal in raw mode: ") + std::strerror(errno));
    entered_ = true;
    return Ok();
  }
  void Leave() {
    if (entered_) ::tcsetattr(0, TCSADRAIN, &saved_);
    entered_ = false;
  }
  ~RawTerminal() { Leave(); }

 private:
  termios saved_{};
  bool entered_ = false;
};

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
            ExecStdin how, std::vector<std::string> argv) {
  // Usage first, before anything is looked at.
  if (how.tty && !::isatty(0))
    return Fail(MakeError(ErrorCode::kInvalidArgument, name,
                          "-t needs a terminal on mintctl's stdin; use -i to stream stdin to "
                          "the command instead"));
  if (argv.empty()) {
    if (!how.tty)
      return Fail(MakeError(ErrorCode::kInvalidArgument, name,
                            "no command to run; give it after --, e.g. mintctl exec " + name +
                                " -- uname -a (or -t for a shell)"));
    argv = {"sh", "-l"};
  }
  auto fs = sys::OpenHostFs(globals.root);
  auto node = lifecycle::FindNode(*fs, name);
  if (!node.ok()) return Fail(node.error());
  // The device and the node's state first: nothing is started for a node
  // that cannot take a command.
  auto device = sys::OpenMintDevice(sys::MintDevicePath(globals.root));
  if (!device.ok()) return Fail(device.error());
  if (auto ready = channel::CheckReady(*fs, node->Ref()); !ready.ok()) return Fail(ready.error());
  auto port = OpenChannel(globals, node->Ref());
  if (!port.ok()) return Fail(port.error());

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  channel::ExecRequest request;
  request.argv = argv;
  if (timeout_s)
    request.timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout_s * 1000));
  request.cancel = &g_cancel;
  FdInput stdin_source;
  if (how.input || how.tty) request.input = &stdin_source;
  RawTerminal terminal;
  if (how.tty) {
    request.pty = TerminalSize().value_or(channel::Winsize{});
    const char* term = ::getenv("TERM");
    request.term = term != nullptr ? term : "";
    struct sigaction winch {};
    winch.sa_handler = OnWinch;
    ::sigaction(SIGWINCH, &winch, nullptr);
    request.resized = []() -> std::optional<channel::Winsize> {
      if (!g_resized.exchange(false)) return std::nullopt;
      return TerminalSize();
    };
    if (auto raw = terminal.Enter(); !raw.ok()) return Fail(raw.error());
  }
  FdSink sink;
  std::cout.flush();
  auto result = channel::Exec(**port, *fs, node->Ref(), request, sink);
  terminal.Leave();  // before any word of ours
  if (!result.ok()) return Fail(result.error());
  if (!result->ran) {
    std::cerr << "mintctl: " << name << ": " << PrintableText(result->run_error.message) << "\n";
    return result->ExitCode();
  }
  return result->ExitCode();
}

}  // namespace mint::cli
