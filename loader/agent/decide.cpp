// Decide (decide.h): the rules mint-agent applies to node0's records.
#include "decide.h"

#include <cerrno>
#include <cstring>

#include "mint/channel/frame.h"

namespace mint::agent {
namespace {

using channel::FrameType;

Decision Refuse(uint32_t session, int err, std::string message, std::string log = "") {
  Decision d;
  d.kind = Decision::Kind::kRefuse;
  d.session = session;
  d.sys_errno = err;
  d.message = std::move(message);
  d.log = std::move(log);
  return d;
}

Decision Ignore(std::string log) {
  Decision d;
  d.log = std::move(log);
  return d;
}

}  // namespace

Decision Decide(std::span<const uint8_t> record, size_t sessions_open,
                const std::function<SessionState(uint32_t)>& state_of) {
  auto frame = channel::DecodeFrame(record);
  if (!frame.ok()) {
    std::string log = "ignored a record from node0: " + frame.error().message;
    // Answer it if it names a session, so that mintctl does not wait.
    if (record.size() >= sizeof(channel::FrameHeader)) {
      channel::FrameHeader h;
      std::memcpy(&h, record.data(), sizeof h);
      if (h.magic == channel::kFrameMagic && h.session != 0 &&
          state_of(h.session) == SessionState::kNone)
        return Refuse(h.session, EPROTO,
                      "mint-agent cannot read this frame: " + frame.error().message,
                      std::move(log));
    }
    return Ignore(std::move(log));
  }
  switch (frame->type) {
    case FrameType::kExec:
    case FrameType::kExecInput:
    case FrameType::kExecPty: {
      if (frame->session == 0)
        return Ignore("ignored an " + std::string(channel::FrameTypeName(frame->type)) +
                      " with session 0");
      if (state_of(frame->session) != SessionState::kNone)
        return Refuse(
            frame->session, EBUSY,
            "session " + std::to_string(frame->session) + " is already running a command");
      if (sessions_open >= kMaxSessions)
        return Refuse(frame->session, EAGAIN,
                      "mint-agent runs " + std::to_string(kMaxSessions) +
                          " commands already; try again when one ends");
      Decision d;
      d.kind = Decision::Kind::kStart;
      d.session = frame->session;
      if (frame->type == FrameType::kExecPty) {
        auto pty = channel::DecodePty(frame->payload);
        if (!pty.ok()) return Refuse(frame->session, EINVAL, pty.error().message);
        d.argv = std::move(pty->argv);
        d.pty = true;
        d.size = pty->size;
        d.term = std::move(pty->term);
      } else {
        auto argv = channel::DecodeArgv(frame->payload);
        if (!argv.ok()) return Refuse(frame->session, EINVAL, argv.error().message);
        d.argv = std::move(*argv);
      }
      d.input = frame->type != FrameType::kExec;
      return d;
    }
    case FrameType::kWinsize: {
      if (state_of(frame->session) != SessionState::kRunning) return Ignore("");
      auto size = channel::DecodeWinsize(frame->payload);
      if (!size.ok()) return Ignore("ignored a WINSIZE: " + size.error().message);
      Decision d;
      d.kind = Decision::Kind::kWinsize;
      d.session = frame->session;
      d.size = *size;
      return d;
    }
    case FrameType::kInput: {
      // A session already over (or never started) has no stdin: its
      // leftover input is dropped, like a KILL after the EXIT.
      if (state_of(frame->session) == SessionState::kNone) return Ignore("");
      Decision d;
      d.kind = Decision::Kind::kInput;
      d.session = frame->session;
      d.bytes = std::move(frame->payload);
      return d;
    }
    case FrameType::kOutputAck: {
      // An exited session's pipes may still be draining: it takes acks too.
      if (state_of(frame->session) == SessionState::kNone) return Ignore("");
      auto acked = channel::DecodeAck(frame->type, frame->payload);
      if (!acked.ok()) return Ignore("ignored an OUTPUT_ACK: " + acked.error().message);
      Decision d;
      d.kind = Decision::Kind::kOutputAck;
      d.session = frame->session;
      d.acked = *acked;
      return d;
    }
    case FrameType::kKill: {
      // Unknown or already over: nothing to kill (its EXIT is on its way).
      if (state_of(frame->session) != SessionState::kRunning) return Ignore("");
      Decision d;
      d.kind = Decision::Kind::kKill;
      d.session = frame->session;
      return d;
    }
    case FrameType::kPing: {
      // Answered whatever the sessions: it measures the channel and the
      // agent's loop, nothing else (mintctl ping).
      if (frame->session == 0) return Ignore("ignored a PING with session 0");
      Decision d;
      d.kind = Decision::Kind::kPong;
      d.session = frame->session;
      d.echo = std::move(frame->payload);
      return d;
    }
    default:
      return Ignore("ignored a " + std::string(channel::FrameTypeName(frame->type)) +
                    " frame from node0");
  }
}

}  // namespace mint::agent
