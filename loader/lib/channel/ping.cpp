// Ping (mint/channel.h): one PING frame to the node's mint-agent and the
// PONG that echoes it, timed from the start of the MINT_NODE_CHAN call that
// sent it to the end of the one that received the answer.
#include <cstring>

#include "mint/channel.h"
#include "node_watch.h"

namespace mint::channel {

Result<std::chrono::nanoseconds> Ping(Port& port, sys::HostFs& fs, const NodeRef& node,
                                      uint32_t session, uint64_t seq, Clock& clock,
                                      const PingTiming& timing) {
  uint8_t payload[sizeof seq];
  std::memcpy(payload, &seq, sizeof seq);
  std::vector<uint8_t> pending = EncodeFrame(FrameType::kPing, session, payload);
  std::vector<uint8_t> rx(kMaxRecord);
  const std::string during = "mintctl ping waited for PING " + std::to_string(seq);

  const auto start = clock.Now();
  auto sent_at = start;
  auto next_check = start + timing.state_check;
  while (true) {
    const auto call_at = clock.Now();
    auto chan = port.Transfer(pending, rx);
    if (!chan.ok()) {
      if (chan.error().sys_errno == ENOTCONN)
        if (auto gone = NodeGone(fs, node, during, "")) return *gone;
      return chan.take_error();
    }
    if (chan->sent) {
      sent_at = call_at;
      pending.clear();
    }
    if (chan->received > 0) {
      auto frame = DecodeFrame(std::span<const uint8_t>(rx.data(), chan->received));
      if (!frame.ok())
        return MakeError(ErrorCode::kIo, node.name,
                         "the node's mint-agent sent a record this mintctl cannot read (" +
                             frame.error().message +
                             "); use the mintctl and mint-agent of one build");
      if (frame->session == session && frame->type == FrameType::kPong) {
        if (frame->payload.size() != sizeof seq)
          return MakeError(ErrorCode::kIo, node.name,
                           "the node's mint-agent answered PING " + std::to_string(seq) +
                               " with a PONG of " + std::to_string(frame->payload.size()) +
                               " bytes, not the 8 it was sent");
        uint64_t got;
        std::memcpy(&got, frame->payload.data(), sizeof got);
        if (got == seq && pending.empty()) return clock.Now() - sent_at;
      }
    }
    auto now = clock.Now();
    if (now >= next_check) {
      if (auto gone = NodeGone(fs, node, during, "")) return *gone;
      next_check = now + timing.state_check;
    }
    if (now - start >= timing.deadline)
      return MakeError(ErrorCode::kIo, node.name,
                       std::string("the node's mint-agent did not answer PING ") +
                           std::to_string(seq) + " within " + Duration(timing.deadline) +
                           (pending.empty() ? "" : " (the ring to the node stayed full)") +
                           "; an older mint-agent does not know PING: use the mintctl and "
                           "mint-agent of one build");
    if (chan->received == 0) port.Wait(clock, timing.idle_poll);
  }
}

}  // namespace mint::channel
