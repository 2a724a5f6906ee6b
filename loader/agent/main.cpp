// mint-agent: started by a node's /init, it serves node0 over the node's
// /dev/mint-channel for as long as the node runs. It opens the device (and
// keeps retrying once a second while it cannot: an older kernel, or another
// opener), serves it with Agent, and opens it again if it fails. Static, so
// it runs in the busybox initramfs. Logs go to stderr (the node's console).
// `mint-agent vm VERB ...` is the node's guest supervisor instead (vm_main.h).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent.h"
#include "vm_main.h"

namespace {

constexpr const char* kDevice = "/dev/mint-channel";

void Log(const std::string& line) {
  std::string text = "mint-agent: " + line + "\n";
  ssize_t ignored = ::write(2, text.data(), text.size());
  (void)ignored;
}

void OnChild(int) {}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "vm") return mint::agent::VmMain(argc - 1, argv + 1);
  const char* device = argc > 1 ? argv[1] : kDevice;
  ::setenv("PATH", mint::agent::kCommandPath, 1);
  ::signal(SIGPIPE, SIG_IGN);
  // SIGCHLD stays blocked except inside ppoll, so a command's exit wakes the loop.
  struct sigaction sa {};
  sa.sa_handler = OnChild;
  ::sigaction(SIGCHLD, &sa, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);

  int last_errno = 0;
  while (true) {
    int fd = ::open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      if (errno != last_errno)
        Log(std::string("cannot open ") + device + ": " + std::strerror(errno) +
            "; retrying every second");
      last_errno = errno;
      ::sleep(1);
      continue;
    }
    last_errno = 0;
    Log(std::string("serving ") + device);
    int err;
    {
      mint::agent::Agent agent(fd, 2);
      err = agent.Run();
    }
    ::close(fd);
    Log(std::string(device) + " failed (" + (err ? std::strerror(err) : "closed") +
        "); opening it again");
    ::sleep(1);
  }
}
