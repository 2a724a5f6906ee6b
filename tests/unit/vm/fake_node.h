// A node's view of itself in a temp dir, for mint::vm's tests and
// mint-agent vm's: 4 CPUs online, 4 GiB MemAvailable, svm in the CPU
// flags, /dev/kvm, the default guest's kernel and initrd, hostname node1,
// and wrappers /usr/bin/qemu-{run,deaf,exit1} around fake_qemu (its modes).
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mint/vm.h"

namespace mint::vm::testing {

inline void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Short, under /tmp: agent.sock paths must fit a sockaddr_un.
inline std::string MakeFakeNode(const std::string& fake_qemu) {
  char tmpl[] = "/tmp/mint-vm-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return "";
  std::string root = tmpl;
  WriteText(root + "/sys/devices/system/cpu/online", "0-3\n");
  WriteText(root + "/proc/meminfo",
            "MemTotal:        8388608 kB\nMemFree:         1000 kB\n"
            "MemAvailable:    4194304 kB\n");
  WriteText(root + "/proc/cpuinfo",
            "processor\t: 0\nflags\t\t: fpu vme de pse svm lm\n\nprocessor\t: 1\n"
            "flags\t\t: fpu vme de pse svm lm\n");
  WriteText(root + "/proc/sys/kernel/hostname", "node1\n");
  WriteText(root + "/dev/kvm", "");
  WriteText(root + kDefaultGuestKernel, "bzImage");
  WriteText(root + kDefaultGuestInitrd, "initrd");
  for (const char* mode : {"run", "deaf", "exit1"}) {
    std::string path = root + "/usr/bin/qemu-" + mode;
    WriteText(path, "#!/bin/sh\nexec " + fake_qemu + " " + mode + " \"$@\"\n");
    ::chmod(path.c_str(), 0755);
  }
  return root;
}

}  // namespace mint::vm::testing
