// libFuzzer target for mint-agent's frame handler (agent/decide.h): the
// records node0 writes to a node's channel, decided one after another
// against a model of the agent's sessions (a started session runs, a
// killed one has exited; an empty record lets the oldest session exit and
// be reaped). Input: records, each [u16 little-endian length][bytes].
//
// Contracts beyond "no crash, no exception":
//  - START only for a well-formed EXEC of a new, non-zero session while
//    fewer than kMaxSessions run, with a non-empty program name, and its
//    argv encodes back to the EXEC's payload; such an EXEC is never
//    refused or ignored;
//  - KILL only for a well-formed KILL of a running session;
//  - REFUSE only for a non-zero session, with the errno its rule names,
//    and the ERROR frame answering it fits one record and decodes back;
//  - frames only a node sends (HELLO, STDOUT, ...) are ignored, and logged.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "check.h"
#include "decide.h"
#include "mint/channel/frame.h"

namespace {

using mint::agent::Decision;
using mint::agent::SessionState;
using mint::fuzz::Check;
namespace channel = mint::channel;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<uint32_t, SessionState> sessions;
  auto state_of = [&](uint32_t id) {
    auto it = sessions.find(id);
    return it == sessions.end() ? SessionState::kNone : it->second;
  };
  size_t at = 0;
  while (at + 2 <= size) {
    size_t len = data[at] | (size_t{data[at + 1]} << 8);
    at += 2;
    len = std::min(len, size - at);
    std::span<const uint8_t> record(data + at, len);
    at += len;
    if (len == 0) {  // time passes: the oldest session ends, an exited one is reaped
      for (auto it = sessions.begin(); it != sessions.end(); ++it) {
        if (it->second == SessionState::kExited) {
          sessions.erase(it);
          break;
        }
      }
      if (!sessions.empty()) sessions.begin()->second = SessionState::kExited;
      continue;
    }

    auto frame = channel::DecodeFrame(record);
    const size_t open = sessions.size();
    Decision d = mint::agent::Decide(record, open, state_of);
    switch (d.kind) {
      case Decision::Kind::kStart: {
        Check(frame.ok() && (frame->type == channel::FrameType::kExec ||
                             frame->type == channel::FrameType::kExecInput ||
                             frame->type == channel::FrameType::kExecPty));
        Check(d.input == (frame->type != channel::FrameType::kExec));
        Check(d.pty == (frame->type == channel::FrameType::kExecPty));
        Check(d.session == frame->session && d.session != 0);
        Check(state_of(d.session) == SessionState::kNone && open < mint::agent::kMaxSessions);
        Check(!d.argv.empty() && !d.argv[0].empty());
        auto payload = d.pty ? channel::EncodePty({d.size, d.term, d.argv}, "fuzz")
                             : channel::EncodeArgv(d.argv, "fuzz");
        Check(payload.ok() && *payload == frame->payload);
        sessions[d.session] = SessionState::kRunning;
        break;
      }
      case Decision::Kind::kKill:
        Check(frame.ok() && frame->type == channel::FrameType::kKill);
        Check(d.session == frame->session && state_of(d.session) == SessionState::kRunning);
        sessions[d.session] = SessionState::kExited;
        break;
      case Decision::Kind::kRefuse: {
        Check(d.session != 0 && !d.message.empty());
        if (!frame.ok()) {
          Check(d.sys_errno == EPROTO && state_of(d.session) == SessionState::kNone);
        } else {
          Check((frame->type == channel::FrameType::kExec ||
                 frame->type == channel::FrameType::kExecInput ||
                 frame->type == channel::FrameType::kExecPty) &&
                d.session == frame->session);
          Check(d.sys_errno == EBUSY || d.sys_errno == EAGAIN || d.sys_errno == EINVAL);
          if (d.sys_errno == EBUSY) Check(state_of(d.session) != SessionState::kNone);
          if (d.sys_errno == EAGAIN) Check(open >= mint::agent::kMaxSessions);
          if (d.sys_errno == EINVAL)
            Check(frame->type == channel::FrameType::kExecPty
                      ? !channel::DecodePty(frame->payload).ok()
                      : !channel::DecodeArgv(frame->payload).ok());
        }
        auto answer = channel::EncodeFrame(channel::FrameType::kError, d.session,
                                           channel::EncodeError({d.sys_errno, d.message}));
        Check(answer.size() <= channel::kMaxRecord);
        auto back = channel::DecodeFrame(answer);
        Check(back.ok() && back->session == d.session);
        auto error = channel::DecodeError(back->payload);
        Check(error.ok() && error->sys_errno == d.sys_errno);
        break;
      }
      case Decision::Kind::kInput:
        Check(frame.ok() && frame->type == channel::FrameType::kInput);
        Check(d.session == frame->session && state_of(d.session) != SessionState::kNone);
        Check(d.bytes == frame->payload);
        break;
      case Decision::Kind::kWinsize: {
        Check(frame.ok() && frame->type == channel::FrameType::kWinsize);
        Check(d.session == frame->session && state_of(d.session) == SessionState::kRunning);
        auto winsize = channel::DecodeWinsize(frame->payload);
        Check(winsize.ok() && *winsize == d.size);
        break;
      }
      case Decision::Kind::kOutputAck: {
        Check(frame.ok() && frame->type == channel::FrameType::kOutputAck);
        Check(d.session == frame->session && state_of(d.session) != SessionState::kNone);
        auto acked = channel::DecodeAck(frame->type, frame->payload);
        Check(acked.ok() && *acked == d.acked && d.acked <= channel::kOutputWindow);
        break;
      }
      case Decision::Kind::kPong:
        Check(frame.ok() && frame->type == channel::FrameType::kPing);
        Check(d.session == frame->session && d.session != 0 && d.echo == frame->payload);
        break;
      case Decision::Kind::kIgnore:
        if (frame.ok() &&
            (frame->type == channel::FrameType::kExec ||
             frame->type == channel::FrameType::kExecInput ||
             frame->type == channel::FrameType::kExecPty) &&
            frame->session != 0 && state_of(frame->session) == SessionState::kNone &&
            open < mint::agent::kMaxSessions)
          Check(false);  // a new session's EXEC is started or refused, never ignored
        if (frame.ok() && frame->type == channel::FrameType::kInput)
          Check(state_of(frame->session) == SessionState::kNone);  // a session's is taken
        if (frame.ok() && frame->type == channel::FrameType::kPing && frame->session != 0)
          Check(false);  // a PING of a session is always answered
        if (frame.ok() && frame->type == channel::FrameType::kWinsize &&
            state_of(frame->session) == SessionState::kRunning)
          Check(!channel::DecodeWinsize(frame->payload).ok());  // a running one's is taken
        if (frame.ok() && frame->type == channel::FrameType::kOutputAck &&
            state_of(frame->session) != SessionState::kNone)
          Check(!channel::DecodeAck(frame->type, frame->payload).ok());  // a session's is taken
        if (frame.ok() && frame->type != channel::FrameType::kExec &&
            frame->type != channel::FrameType::kExecInput &&
            frame->type != channel::FrameType::kExecPty &&
            frame->type != channel::FrameType::kKill && frame->type != channel::FrameType::kInput &&
            !(frame->type == channel::FrameType::kWinsize &&
              state_of(frame->session) != SessionState::kRunning) &&
            !(frame->type == channel::FrameType::kOutputAck &&
              state_of(frame->session) == SessionState::kNone))
          Check(!d.log.empty());
        break;
    }
  }
  return 0;
}
