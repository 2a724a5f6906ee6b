// libFuzzer target for node0's exec client (mint::channel::Exec), the code
// that reads what a node's mint-agent writes to the channel for `mintctl
// exec` and `mintctl vm` (whose stdout is then decoded by mint::vm's JSON
// readers, as RemoteGuests does). The input is the node's side: records as
// MINT_NODE_CHAN returns them, each [u16 little-endian length][bytes]
// (length 0: no record waiting this poll). When the input runs out the node
// crashes (state "crashed"), so every run ends.
//
// Contracts checked beyond "no crash, no exception escapes": Exec sends
// exactly one EXEC of its session first (and only KILL after); the sink
// gets exactly the STDOUT/STDERR payloads of its own session, in order,
// up to the end; frames of other sessions are counted, never delivered;
// the result (ran, status, run error) or the error is what the records
// say (a model computed here from the frame decoders); ExitCode is a shell
// status 0..255.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "check.h"
#include "memory_fs.h"
#include "mint/channel.h"
#include "mint/vm.h"

namespace {

using mint::fuzz::Check;
namespace channel = mint::channel;
using channel::FrameType;

constexpr uint32_t kSession = 0x5e55;  // the session the seeds' frames carry
const std::string kDir = "/sys/kernel/mint/nodes/1";

class FakeClock final : public channel::Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::microseconds d) override { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{};
};

// MINT_NODE_CHAN with the node's records from the input; every other ioctl
// is unsupported (Exec calls none).
class ScriptedDevice final : public mint::sys::MintDevice {
 public:
  ScriptedDevice(std::deque<std::vector<uint8_t>> records, mint::fuzz::MemoryFs& fs)
      : records_(std::move(records)), fs_(fs) {}
  mint::Result<mint::sys::MintInfo> GetInfo() override { return No(); }
  mint::Result<mint::sys::CreatedNode> CreateNode(const mint::sys::CreateNodeRequest&) override {
    return No();
  }
  mint::Result<void> AssignPci(uint32_t, const mint::PciBdf&) override { return No(); }
  mint::Result<void> Load(uint32_t, std::span<const mint::sys::LoadSegment>) override {
    return No();
  }
  mint::Result<void> Start(uint32_t, mint::PhysAddr, mint::PhysAddr) override { return No(); }
  mint::Result<void> Stop(uint32_t, bool, uint32_t) override { return No(); }
  mint::Result<void> Destroy(uint32_t) override { return No(); }

  mint::Result<mint::sys::ChanResult> Chan(uint32_t id, std::span<const uint8_t> tx,
                                           std::span<uint8_t> rx) override {
    Check(id == 1);
    Check(rx.size() >= mint::sys::kChanMsgMax);
    if (crashed_)
      return mint::MakeError(mint::ErrorCode::kConflict, "node id 1", "not running", ENOTCONN);
    mint::sys::ChanResult out;
    if (!tx.empty()) {
      auto frame = channel::DecodeFrame(tx);
      Check(frame.ok() && frame->session == kSession);
      if (sent_.empty()) {
        Check(frame->type == FrameType::kExec);
      } else if (frame->type == FrameType::kOutputAck) {
        auto bytes = channel::DecodeAck(frame->type, frame->payload);
        Check(bytes.ok());
        acked_ += *bytes;
        Check(acked_ <= output_given_);  // never more than the node sent
      } else {
        Check(frame->type == FrameType::kKill);
      }
      sent_.push_back(frame->type);
      out.sent = true;
    }
    if (records_.empty()) {  // the script is over: the node crashes
      crashed_ = true;
      fs_.Put(kDir + "/state", "crashed\n");
      fs_.Put(kDir + "/reason", "Kernel panic - not syncing: fuzz\n");
      return out;
    }
    std::vector<uint8_t> record = std::move(records_.front());
    records_.pop_front();
    std::copy(record.begin(), record.end(), rx.begin());
    out.received = record.size();
    if (auto f = channel::DecodeFrame(record);
        f.ok() && f->session == kSession &&
        (f->type == FrameType::kStdout || f->type == FrameType::kStderr))
      output_given_ += f->payload.size();
    return out;
  }

 private:
  static mint::Error No() {
    return mint::MakeError(mint::ErrorCode::kUnsupported, "fuzz", "not part of exec");
  }
  std::deque<std::vector<uint8_t>> records_;
  mint::fuzz::MemoryFs& fs_;
  bool crashed_ = false;
  std::vector<FrameType> sent_;
  uint64_t acked_ = 0;         // OUTPUT_ACK bytes Exec sent
  uint64_t output_given_ = 0;  // STDOUT/STDERR payload bytes of its session given to it
};

class Sink final : public channel::OutputSink {
 public:
  void Stdout(std::span<const uint8_t> bytes) override { out.append(bytes.begin(), bytes.end()); }
  void Stderr(std::span<const uint8_t> bytes) override { err.append(bytes.begin(), bytes.end()); }
  std::string out, err;
};

// What Exec must make of the records, from the frame decoders alone.
struct Expected {
  enum class End { kResult, kError, kNone } end = End::kNone;
  bool ran = false;
  channel::ExitStatus status;
  int32_t run_errno = 0;
  uint64_t stale = 0;
  std::string out, err;
};

Expected Model(const std::deque<std::vector<uint8_t>>& records) {
  Expected e;
  for (const auto& record : records) {
    if (record.empty()) continue;
    auto frame = channel::DecodeFrame(record);
    if (!frame.ok()) {
      e.end = Expected::End::kError;
      return e;
    }
    if (frame->session != kSession) {
      ++e.stale;
      continue;
    }
    const auto& p = frame->payload;
    switch (frame->type) {
      case FrameType::kStdout:
        e.out.append(p.begin(), p.end());
        break;
      case FrameType::kStderr:
        e.err.append(p.begin(), p.end());
        break;
      case FrameType::kExit: {
        auto status = channel::DecodeExit(p);
        e.end = status.ok() ? Expected::End::kResult : Expected::End::kError;
        if (status.ok()) e.ran = true, e.status = *status;
        return e;
      }
      case FrameType::kError: {
        auto error = channel::DecodeError(p);
        e.end = error.ok() ? Expected::End::kResult : Expected::End::kError;
        if (error.ok()) e.run_errno = error->sys_errno;
        return e;
      }
      default:
        break;
    }
  }
  return e;  // kNone: the node crashed before the end: an Error
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::deque<std::vector<uint8_t>> records;
  size_t at = 0;
  while (at + 2 <= size && records.size() < 256) {
    size_t len = data[at] | (size_t{data[at + 1]} << 8);
    at += 2;
    len = std::min({len, size - at, mint::sys::kChanMsgMax});
    records.emplace_back(data + at, data + at + len);
    at += len;
  }
  const Expected expected = Model(records);

  mint::fuzz::MemoryFs fs;
  fs.Put(kDir + "/state", "running\n");
  fs.Put(kDir + "/reason", "\n");
  fs.Put(kDir + "/agent", "ready\n");
  ScriptedDevice device(records, fs);
  FakeClock clock;
  Sink sink;
  channel::ExecRequest request;
  request.argv = {"mint-agent", "vm", "list"};
  request.session = kSession;
  request.timeout = std::chrono::seconds(30);
  channel::ExecTiming timing;
  channel::DevicePort port(device, 1);
  auto result = channel::Exec(port, fs, {1, "node1", kDir}, request, sink, clock, timing);

  Check(sink.out == expected.out.substr(0, sink.out.size()));
  Check(sink.err == expected.err.substr(0, sink.err.size()));
  if (expected.end == Expected::End::kResult) {
    Check(result.ok());
    Check(result->ran == expected.ran);
    Check(result->stale_frames == expected.stale);
    Check(sink.out == expected.out && sink.err == expected.err);
    if (result->ran)
      Check(result->status.code == expected.status.code &&
            result->status.signal == expected.status.signal);
    if (!result->ran) Check(result->run_error.sys_errno == expected.run_errno);
    int code = result->ExitCode();
    Check(code >= 0 && code <= 255);
  } else {
    Check(!result.ok());
    Check(!result.error().message.empty());
  }
  // What `mintctl vm` makes of the stdout of a verb that exited 0: mint::vm's
  // decoders take untrusted bytes and never throw.
  if (result.ok() && result->ran && result->ExitCode() == 0) {
    auto list = mint::vm::GuestListFromJson(sink.out);
    if (list.ok()) Check(list->size() <= mint::vm::kMaxGuests);
    (void)mint::vm::GuestStatusFromJson(sink.out);
  }
  return 0;
}
