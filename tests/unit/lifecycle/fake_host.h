// Test scaffolding for mint::lifecycle: a host root in a temp dir with a
// /sys/kernel/mint tree, a FakeClock, and FakeKernel, a FakeMintDevice
// (tests/unit/support) that writes each node's state into that tree as the
// kernel would.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "fake_mint_device.h"
#include "mint/lifecycle.h"

namespace mint::testing {

namespace fs = std::filesystem;

class FakeClock : public channel::Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::microseconds d) override { now_ += d; }
  std::chrono::steady_clock::time_point now_{std::chrono::seconds(1000)};
};

class FakeRoot {
 public:
  FakeRoot() {
    std::string tmpl = (fs::temp_directory_path() / "mintlife.XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    fs::create_directories(root_ + "/sys/kernel/mint/nodes");
    host_ = sys::OpenHostFs(root_);
  }
  ~FakeRoot() { fs::remove_all(root_); }
  const std::string& root() const { return root_; }
  sys::HostFs& fs() { return *host_; }

  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(root_ + path).parent_path());
    std::ofstream(root_ + path) << text;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(root_ + path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void Node(uint32_t id, const std::string& name, const std::string& state,
            const std::string& reason = "", const std::string& devices = "",
            const std::string& agent = "absent") {
    std::string d = "/sys/kernel/mint/nodes/" + std::to_string(id);
    Write(d + "/name", name + "\n");
    Write(d + "/state", state + "\n");
    Write(d + "/reason", reason + "\n");
    Write(d + "/devices", devices);
    Write(d + "/agent", agent + "\n");
  }
  void State(uint32_t id, const std::string& state, const std::string& reason = "") {
    std::string d = "/sys/kernel/mint/nodes/" + std::to_string(id);
    Write(d + "/state", state + "\n");
    Write(d + "/reason", reason + "\n");
  }
  void Remove(uint32_t id) {
    fs::remove_all(root_ + "/sys/kernel/mint/nodes/" + std::to_string(id));
  }

 private:
  std::string root_;
  std::unique_ptr<sys::HostFs> host_;
};

// Keeps the sysfs tree's state file in step with the device's model.
class FakeKernel : public FakeMintDevice {
 public:
  explicit FakeKernel(FakeRoot& root)
      : FakeMintDevice({PhysRange{PhysAddr{1ull << 32}, ByteSize{1ull << 30}}}, {}), root_(root) {}
  Result<void> Stop(uint32_t id, bool force, uint32_t timeout_ms) override {
    MINT_CHECK(FakeMintDevice::Stop(id, force, timeout_ms));
    root_.State(id, "stopped", force ? "stopped by node0 (forced)" : "power off");
    return Ok();
  }
  Result<void> Load(uint32_t id, std::span<const sys::LoadSegment> segments) override {
    MINT_CHECK(FakeMintDevice::Load(id, segments));
    root_.State(id, "loaded");
    return Ok();
  }
  // Called at each Start, before it is recorded.
  void set_before_start(std::function<void()> hook) { before_start_ = std::move(hook); }
  Result<void> Start(uint32_t id, PhysAddr entry, PhysAddr boot_params) override {
    if (before_start_) before_start_();
    MINT_CHECK(FakeMintDevice::Start(id, entry, boot_params));
    root_.State(id, "booting");
    return Ok();
  }

 private:
  FakeRoot& root_;
  std::function<void()> before_start_;
};

}  // namespace mint::testing
