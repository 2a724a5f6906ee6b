// A stand-in for qemu-system-x86_64 in the supervisor tests: run as
// `fake_qemu MODE ARGS...` by a wrapper script the test puts where QEMU
// would be. It finds the guest's directory in -serial file:DIR/console.log,
// writes its arguments to DIR/argv.txt (one per line), says "fake guest
// booting" on the console, and then, by MODE:
//   run    serves the guest agent protocol on DIR/agent.sock (from the
//          -chardev argument) as kvm-per-node/guest-init does: runs each
//          script with /bin/sh, stdout+stderr together, answers with the
//          base64 wrapped at 76 columns; a script with `reboot -f` ends it
//          (exit 0, "reboot: Restarting system" on the console)
//   deaf   accepts agent connections and never answers
//   exit1  says a KVM error on stderr and exits 1 at once
// In run and deaf, files the test creates in DIR trigger an end: "segv"
// (SIGSEGV), "poweroff" (exit 0), "panic" (a kernel panic on the console,
// then exit 0, as panic=-1 with -no-reboot does). SIGTERM: QEMU's words on
// stderr and exit 0, as the real one.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base64.h"

namespace {

using mint::vm::internal::Base64Decode;
using mint::vm::internal::Base64Encode;

std::string g_dir;

void Append(const std::string& file, const std::string& text) {
  int fd = ::open((g_dir + "/" + file).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
  ::close(fd);
}

bool Exists(const std::string& file) {
  struct stat st;
  return ::stat((g_dir + "/" + file).c_str(), &st) == 0;
}

void OnTerm(int sig) {
  char line[128];
  int n = std::snprintf(line, sizeof line,
                        "qemu-system-x86_64: terminating on signal %d from pid 1 (init)\n", sig);
  ssize_t ignored = ::write(2, line, static_cast<size_t>(n));
  (void)ignored;
  ::_exit(0);
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Runs the script with /bin/sh; its stdout and stderr, and its status.
std::string Run(const std::string& script, int& status) {
  int out[2];
  if (::pipe(out) != 0) return "";
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(out[0]);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  return text;
}

void Serve(int client, std::string& pending, bool deaf) {
  size_t nl;
  while ((nl = pending.find('\n')) != std::string::npos) {
    std::string line = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    if (deaf) continue;
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string token = line.substr(0, space);
    auto script = Base64Decode(line.substr(space + 1));
    if (!script) continue;
    if (script->find("reboot -f") != std::string::npos) {
      Append("console.log", "reboot: Restarting system\n");
      ::_exit(0);
    }
    int status = 0;
    std::string encoded = Base64Encode(Run(*script, status));
    std::string answer = "@@B" + token + "\n";
    for (size_t i = 0; i < encoded.size(); i += 76) answer += encoded.substr(i, 76) + "\n";
    answer += "@@E" + token + ":" + std::to_string(status) + "\n";
    WriteAll(client, answer);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string mode = argv[1];
  std::string sock;
  std::string args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    args += a + "\n";
    if (a.rfind("file:", 0) == 0 && a.size() > 17 && a.ends_with("/console.log"))
      g_dir = a.substr(5, a.size() - 5 - 12);
    size_t at = a.find("path=");
    if (a.rfind("socket,", 0) == 0 && at != std::string::npos)
      sock = a.substr(at + 5, a.find(',', at) - at - 5);
  }
  if (g_dir.empty()) {
    std::fprintf(stderr, "fake_qemu: no -serial file:DIR/console.log\n");
    return 2;
  }
  Append("argv.txt", args);
  Append("console.log", "fake guest booting\n");
  if (mode == "exit1") {
    std::fprintf(stderr, "qemu-system-x86_64: warming up\n");
    std::fprintf(stderr,
                 "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied\n");
    return 1;
  }
  ::signal(SIGTERM, OnTerm);
  ::signal(SIGINT, OnTerm);
  ::signal(SIGPIPE, SIG_IGN);
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ::unlink(sock.c_str());
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 4) != 0) {
    std::perror("fake_qemu: agent.sock");
    return 1;
  }
  int client = -1;
  std::string pending;
  while (true) {
    if (Exists("segv")) {
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
    }
    if (Exists("poweroff")) {
      Append("console.log", "reboot: Power down\n");
      return 0;
    }
    if (Exists("panic")) {
      Append("console.log",
             "[    2.000000] Kernel panic - not syncing: Attempted to kill init! "
             "exitcode=0x00000009\n[    2.000001] Kernel Offset: disabled\n");
      return 0;
    }
    pollfd p{client >= 0 ? client : listener, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    if (client < 0) {
      client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      pending.clear();
      continue;
    }
    char buf[4096];
    ssize_t n = ::read(client, buf, sizeof buf);
    if (n <= 0) {
      ::close(client);
      client = -1;
      continue;
    }
    pending.append(buf, static_cast<size_t>(n));
    Serve(client, pending, mode == "deaf");
  }
}
