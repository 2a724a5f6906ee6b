// What the channel clients' tests share: a clock that only moves when the
// client sleeps, and a fixture with node1 running in the FakeMintDevice
// (its channel model: a scripted agent, agent_, answers each record node0
// sends through the chan hook) and its sysfs files in a temp dir.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "fake_mint_device.h"
#include "mint/channel.h"

namespace mint::channel {

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::microseconds d) override { now_ += d; }
  std::chrono::steady_clock::duration elapsed() const { return now_ - start_; }

 private:
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point now_{};
};

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "mintchan.XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    host_ = sys::OpenHostFs(root_);
    ASSERT_TRUE(dev_.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
    dev_.SetState(1, NodeState::kRunning);
    Attr("state", "running\n");
    Attr("reason", "\n");
    Attr("agent", "ready\n");
    dev_.set_chan_hook([this](uint32_t id, std::span<const uint8_t> record) {
      dev_.TakeToNode(id);
      auto f = DecodeFrame(record);
      ASSERT_TRUE(f.ok()) << f.error().ToString();
      received_.push_back(f->type);
      if (agent_) agent_(*f);
    });
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Attr(const std::string& name, const std::string& text) {
    std::string dir = root_ + node_.dir;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/" + name) << text;
  }
  void Reply(FrameType type, uint32_t session, std::vector<uint8_t> payload = {}) {
    dev_.QueueFromNode(1, EncodeFrame(type, session, payload));
  }

  std::string root_;
  std::unique_ptr<sys::HostFs> host_;
  testing::FakeMintDevice dev_{{PhysRange{PhysAddr{1ull << 32}, ByteSize{1ull << 30}}}, {}};
  DevicePort port_{dev_, 1};
  NodeRef node_{1, "node1", "/sys/kernel/mint/nodes/1"};
  std::function<void(const Frame&)> agent_;
  std::vector<FrameType> received_;
  FakeClock clock_;
};

}  // namespace mint::channel
