// mint-agent's serving loop: node side of the message channel. Agent
// serves one open channel file descriptor (the node's /dev/mint-channel, or
// a SOCK_SEQPACKET socket in tests: both give one record per read and
// write): it sends HELLO, runs each EXEC as a new process group (stdin
// /dev/null, stdout and stderr piped back as STDOUT/STDERR frames, no other
// descriptor, only PATH and HOME in its environment), answers KILL with SIGKILL to the
// group, and ends each session with EXIT (or ERROR when it could not run
// it). An EXEC_INPUT's command reads a pipe instead of /dev/null: INPUT
// frames are kept (at most kInputWindow per session, node0's promise) and
// written to it as it takes them, each write answered by INPUT_ACK, an
// empty INPUT closes it; a command that never reads its stdin holds only
// its own window. An EXEC_PTY's command runs on a new pseudo-terminal
// (its controlling terminal, TERM given by node0): the master's output
// goes out as STDOUT, INPUT is written to it, WINSIZE resizes it.
// A session's output pauses (its pipes are not read) while
// kOutputWindow bytes of it wait for node0's OUTPUT_ACK, so one session
// whose reader stalls never holds up the others.
// Several sessions run at once. Frames go out through a bounded queue
// with non-blocking writes when poll() reports room (POLLOUT), so a full
// ring slows the commands' output
// (their pipes fill) but never stops the agent from reading KILL or EXEC.
// Bad input is logged and answered, never fatal (decide.h decides how).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "decide.h"
#include "mint/channel/frame.h"

namespace mint::agent {

inline constexpr const char* kCommandPath = "/usr/sbin:/usr/bin:/sbin:/bin";

class Agent {
 public:
  // `fd` is non-blocking; the agent does not close it. `log` gets one line
  // per problem (main passes stderr).
  Agent(int fd, int log_fd);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Serves until the channel fails or reads end-of-file (only sockets do);
  // returns the errno of the failure (0 for end-of-file). Sessions still
  // running are killed and reaped first.
  int Run();

  size_t sessions() const { return sessions_.size(); }

 private:
  struct Session {
    pid_t pid = -1;
    int out = -1;  // read ends of the command's stdout/stderr pipes (a terminal:
    int err = -1;  // its master, and err -1)
    int in = -1;                    // write end of the command's stdin (EXEC_INPUT, EXEC_PTY)
    bool pty = false;               // EXEC_PTY: out is the terminal's master
    std::vector<uint8_t> in_queue;  // INPUT not yet written to `in`
    bool in_end = false;            // the empty INPUT came: close `in` once in_queue is out
    uint32_t out_unacked = 0;       // STDOUT/STDERR bytes sent, no OUTPUT_ACK yet
    bool exited = false;
    int wait_status = 0;
    std::chrono::steady_clock::time_point exited_at;
  };

  void Log(const std::string& line);
  void Send(channel::FrameType type, uint32_t session, std::span<const uint8_t> payload = {});
  void SendError(uint32_t session, int err, const std::string& message);
  // Returns false when the channel failed (errno in failure_).
  bool Flush();
  bool ReadChannel();
  void Handle(std::span<const uint8_t> record);
  void StartCommand(const Decision& d);
  // Takes one INPUT for the session; then Feed writes what its pipe takes.
  void Input(uint32_t id, Session& s, std::span<const uint8_t> bytes);
  void Feed(uint32_t id, Session& s);
  // Closes the command's stdin; input still queued is dropped (and acked).
  void CloseInput(uint32_t id, Session& s);
  // Reads what the pipe has now into frames: a few reads while the queue
  // and the session's output window have room, or (all) until the pipe is
  // empty. Closes fd at end of file.
  void Drain(uint32_t id, Session& s, int& fd, channel::FrameType type, bool all);
  void Reap();
  void Finish();
  void KillAll();

  int fd_;
  int log_fd_;
  int failure_ = 0;
  bool eof_ = false;
  std::deque<std::vector<uint8_t>> out_queue_;
  std::map<uint32_t, Session> sessions_;
};

}  // namespace mint::agent
