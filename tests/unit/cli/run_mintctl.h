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

}  // namespace mint::testing
