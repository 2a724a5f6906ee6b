// Exec: node0's half of `mintctl exec` (mint/channel.h). One loop polls
// MINT_NODE_CHAN: it sends the EXEC (then the input, within its window, and
// maybe a KILL) when the ring has room, hands every frame of its own
// session to the sink, skips frames of other sessions, and between records
// re-reads the node's state and agent
// in sysfs, so a node that dies mid-command ends the wait within
// ExecTiming::state_check (plus the kernel's own detection time).
#include <cerrno>
#include <random>
#include <thread>
#include <utility>

#include "mint/channel.h"
#include "node_watch.h"

namespace mint::channel {
namespace {

class SteadyClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  void Sleep(std::chrono::microseconds d) override { std::this_thread::sleep_for(d); }
};

// Output is acknowledged in quarters of the window.
constexpr uint64_t kAckEvery = kOutputWindow / 4;

// Exec's words for a node that went away mid-command.
std::optional<Error> Gone(sys::HostFs& fs, const NodeRef& node) {
  return NodeGone(fs, node, "the command ran", "; the command's outcome is unknown");
}

}  // namespace

Clock& RealClock() {
  static SteadyClock clock;
  return clock;
}

int ExecResult::ExitCode() const {
  if (ran) return status.ShellStatus();
  return run_error.sys_errno == ENOENT ? 127 : 126;
}

uint32_t NewSession() {
  std::random_device rd;
  uint32_t s = 0;
  while (s == 0) s = rd();
  return s;
}

Result<void> CheckReady(sys::HostFs& fs, const NodeRef& node, const std::string& verb) {
  MINT_TRY(std::string state_text, fs.ReadFile(node.dir + "/state"));
  MINT_TRY(NodeState state, ParseNodeState(state_text, node.dir + "/state"));
  if (state != NodeState::kRunning)
    return MakeError(ErrorCode::kConflict, node.name,
                     "the node is " + StateText(state, ReadAttr(fs, node, "reason")) +
                         "; " + verb + " needs a running node" + WayOut(state, node.name));
  auto agent = fs.ReadFile(node.dir + "/agent");
  if (!agent.ok()) {
    if (agent.error().code != ErrorCode::kNotFound) return agent.take_error();
    return MakeError(ErrorCode::kUnsupported, node.name,
                     "this kernel has no message channel (no " + node.dir +
                         "/agent); boot node0 with a mint kernel of ABI 2 or later");
  }
  std::string a = TrimTrailing(*agent);
  if (a != "ready")
    return MakeError(ErrorCode::kConflict, node.name,
                     "the node has no mint-agent running (" + node.dir + "/agent says " + a +
                         "); its initramfs starts /usr/sbin/mint-agent, mintctl console " +
                         node.name + " shows what happened");
  return Ok();
}

Result<ExecResult> Exec(Port& port, sys::HostFs& fs, const NodeRef& node,
                        const ExecRequest& request, OutputSink& sink, Clock& clock,
                        const ExecTiming& timing) {
  MINT_CHECK(CheckReady(fs, node));
  FrameType exec_type = request.pty     ? FrameType::kExecPty
                        : request.input ? FrameType::kExecInput
                                        : FrameType::kExec;
  std::vector<uint8_t> exec_payload;
  if (request.pty) {
    MINT_TRY(exec_payload, EncodePty({*request.pty, request.term, request.argv}, node.name));
  } else {
    MINT_TRY(exec_payload, EncodeArgv(request.argv, node.name));
  }
  const uint32_t session = request.session != 0 ? request.session : NewSession();

  ExecResult result;
  std::vector<uint8_t> rx(kMaxRecord);
  std::vector<uint8_t> pending = EncodeFrame(exec_type, session, exec_payload);
  enum class Kill { kNo, kTimeout, kCancel } kill = Kill::kNo;
  bool kill_sent = false;
  // Input: sent and not yet acknowledged (at most kInputWindow), and
  // whether its end (the empty INPUT) is queued.
  uint64_t unacked = 0;
  bool input_over = request.input == nullptr;
  std::vector<uint8_t> chunk(kMaxPayload);
  // Output the sink has taken and the agent has not been told of yet.
  uint64_t to_ack = 0;
  uint32_t pending_ack = 0;  // the bytes of `pending`, when it is an OUTPUT_ACK

  const auto start = clock.Now();
  auto pending_since = start;
  auto kill_sent_at = start;
  auto next_check = start + timing.state_check;

  while (true) {
    auto chan = port.Transfer(pending, rx);
    if (!chan.ok()) {
      if (chan.error().sys_errno == ENOTCONN)
        if (auto gone = Gone(fs, node)) return *gone;
      return chan.take_error();
    }
    const bool sent = chan->sent;
    if (sent) {
      pending_ack = 0;
      if (kill != Kill::kNo) {
        kill_sent = true;
        kill_sent_at = clock.Now();
      }
      pending.clear();
    }
    if (chan->received > 0) {
      auto frame = DecodeFrame(std::span<const uint8_t>(rx.data(), chan->received));
      if (!frame.ok()) {
        Error e = frame.take_error();
        return MakeError(ErrorCode::kIo, node.name,
                         "the node's mint-agent sent a record this mintctl cannot read (" +
                             e.message + "); use the mintctl and mint-agent of one build");
      }
      if (frame->session != session) {
        ++result.stale_frames;
      } else {
        switch (frame->type) {
          case FrameType::kStdout:
            sink.Stdout(frame->payload);
            to_ack += frame->payload.size();
            break;
          case FrameType::kStderr:
            sink.Stderr(frame->payload);
            to_ack += frame->payload.size();
            break;
          case FrameType::kExit: {
            MINT_TRY(result.status, DecodeExit(frame->payload));
            result.ran = true;
            if (kill == Kill::kTimeout)
              return MakeError(ErrorCode::kIo, node.name,
                               "the command ran longer than --timeout " +
                                   Duration(*request.timeout) + " and was killed");
            if (kill == Kill::kCancel)
              return MakeError(ErrorCode::kIo, node.name,
                               "interrupted; the command was killed in the node");
            return result;
          }
          case FrameType::kError: {
            MINT_TRY(result.run_error, DecodeError(frame->payload));
            result.ran = false;
            return result;
          }
          case FrameType::kInputAck: {
            if (request.input == nullptr) break;
            MINT_TRY(uint32_t acked, DecodeAck(FrameType::kInputAck, frame->payload));
            if (acked > unacked)
              return MakeError(ErrorCode::kIo, node.name,
                               "the node's mint-agent acknowledged " + std::to_string(acked) +
                                   " input bytes, more than the " + std::to_string(unacked) +
                                   " sent; use the mintctl and mint-agent of one build");
            unacked -= acked;
            break;
          }
          default:  // HELLO, or frames only node0 sends: nothing to do
            break;
        }
      }
    }

    auto now = clock.Now();
    // A new terminal size first, then the next piece of input, when the
    // ring slot is free and the window has room; its end once the source
    // has no more.
    if (pending.empty() && kill == Kill::kNo && request.pty && request.resized) {
      if (auto size = request.resized()) {
        pending = EncodeFrame(FrameType::kWinsize, session, EncodeWinsize(*size));
        pending_since = now;
      }
    }
    // Acknowledged in quarters of the window, so the agent never waits on
    // a sink that keeps up; also after a KILL (the EXIT waits for them).
    if (pending.empty() && (to_ack >= kAckEvery || (kill_sent && to_ack > 0))) {
      pending_ack = static_cast<uint32_t>(std::min<uint64_t>(to_ack, kOutputWindow));
      pending = EncodeFrame(FrameType::kOutputAck, session, EncodeAck(pending_ack));
      to_ack -= pending_ack;
      pending_since = now;
    }
    if (pending.empty() && !input_over && kill == Kill::kNo && unacked < kInputWindow) {
      size_t room = std::min<size_t>(kMaxPayload, kInputWindow - unacked);
      InputSource::Chunk c = request.input->Read(std::span<uint8_t>(chunk.data(), room));
      if (c.bytes > 0) {
        pending = EncodeFrame(FrameType::kInput, session,
                              std::span<const uint8_t>(chunk.data(), c.bytes));
        unacked += c.bytes;
        result.input_bytes += c.bytes;
        pending_since = now;
      } else if (c.end) {
        pending = EncodeFrame(FrameType::kInput, session);
        input_over = true;
        pending_since = now;
      }
    }
    if (now >= next_check) {
      if (auto gone = Gone(fs, node)) return *gone;
      next_check = now + timing.state_check;
    }
    if (!pending.empty() && now - pending_since >= timing.send_deadline)
      return MakeError(ErrorCode::kIo, node.name,
                       "the node's mint-agent takes no messages: the ring to the node stayed full "
                       "for " +
                           Duration(timing.send_deadline));
    if (kill == Kill::kNo) {
      bool timed_out = request.timeout && now - start >= *request.timeout;
      bool cancelled = request.cancel && request.cancel->load();
      if (timed_out || cancelled) {
        kill = timed_out ? Kill::kTimeout : Kill::kCancel;
        to_ack += std::exchange(pending_ack, 0);  // an unsent ACK goes again after the KILL
        pending = EncodeFrame(FrameType::kKill, session);
        pending_since = now;
      }
    }
    if (kill_sent && now - kill_sent_at >= timing.kill_grace)
      return MakeError(ErrorCode::kIo, node.name,
                       std::string(kill == Kill::kTimeout ? "the command ran longer than --timeout"
                                                          : "interrupted") +
                           "; mintctl sent KILL but the node's mint-agent did not confirm it "
                           "within " +
                           Duration(timing.kill_grace));
    if (chan->received == 0 && !sent) port.Wait(clock, timing.idle_poll);
  }
}

}  // namespace mint::channel
