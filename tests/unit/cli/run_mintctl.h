// Runs the mintctl binary with arguments and captures what it printed on
// stdout and stderr and its exit code. Plus a temp directory helper.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_bzimage.h"

namespace mint::testing {

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A fresh directory under the test's temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mintcli.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline RunResult Mintctl(const std::vector<std::string>& args) {
  TempDir dir;
  std::string cmd = Quote(MINTCTL);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " >" + dir.path() + "/out 2>" + dir.path() + "/err </dev/null";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(dir.path() + "/out");
  r.err = Slurp(dir.path() + "/err");
  return r;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline const std::string kBuildVm = std::string(MINT_FIXTURES_DIR) + "/build-vm";

// The files of node id 1 in a fake /sys/kernel/mint (docs/abi.md): it holds
// cpu1 (APIC 1) and 256 MiB of a 2 GiB pool. Empty `console` writes none.
struct MintNodeFiles {
  std::string abi_version = "2";
  std::string name = "node2";
  std::string state = "running";
  std::string devices;  // file content, e.g. "0000:00:05.0\n"
  std::string reason;   // one line, without its newline
  std::string console;
  std::string agent = "ready";
  // nodes/<id>/iommu (ABI 4), e.g. "0000:00:05.0 unfenced\n"; none: no file.
  std::optional<std::string> iommu;
};

// A host whose kernel has mint: the build VM's captured tree copied to
// `dir`/host plus /sys/kernel/mint with the one node. Returns the root.
inline std::string MakeMintHost(const std::string& dir, const MintNodeFiles& node) {
  namespace fs = std::filesystem;
  std::string root = dir + "/host";
  fs::copy(kBuildVm, root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::string m = root + "/sys/kernel/mint";
  WriteFile(m + "/abi_version", node.abi_version + "\n");
  WriteFile(m + "/pool", "0x100000000 0x80000000\n");
  WriteFile(m + "/pool_total", "2147483648\n");
  WriteFile(m + "/pool_free", "1879048192\n");
  std::string n = m + "/nodes/1";
  WriteFile(n + "/name", node.name + "\n");
  WriteFile(n + "/state", node.state + "\n");
  WriteFile(n + "/cpus", "1\n");
  WriteFile(n + "/apic_ids", "1\n");
  WriteFile(n + "/memory", "0x100000000 0x10000000\n");
  WriteFile(n + "/devices", node.devices);
  if (node.iommu) WriteFile(n + "/iommu", *node.iommu);
  WriteFile(n + "/heartbeat", "4242\n");
  WriteFile(n + "/reason", node.reason + "\n");
  if (!node.console.empty()) WriteFile(n + "/console", node.console);
  WriteFile(n + "/agent", node.agent + "\n");
  return root;
}

// A kernel and an initramfs a node could boot (a synthetic bzImage that the
// image builder accepts), written under `dir`; flags for boot/plan.
inline std::vector<std::string> WriteBootImages(const std::string& dir) {
  std::vector<uint8_t> kernel = MakeBzImage();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/bzImage", std::ios::binary)
      .write(reinterpret_cast<const char*>(kernel.data()),
             static_cast<std::streamsize>(kernel.size()));
  std::ofstream(dir + "/initrd.img", std::ios::binary) << std::string(4096, 'i');
  return {"--kernel", dir + "/bzImage", "--initrd", dir + "/initrd.img"};
}

}  // namespace mint::testing
