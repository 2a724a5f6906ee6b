// mint::channel, node0's side of the message channel: `mintctl exec`'s
// client logic (and `mintctl ping`'s, at the end). It runs one command in a node through the node's
// mint-agent (frames of mint/channel/frame.h over MINT_NODE_CHAN), streams its output to a sink,
// and returns its exit status. It owns the rules that keep exec from ever hanging: before anything
// it checks the node's state and agent in /sys/kernel/mint/nodes/<id>/ (docs/abi.md); while it
// waits it re-reads them at least every 100 ms and stops with an Error naming the new state and
// reason when the node crashed, hung, stopped or lost its agent; frames of other sessions (left by
// a killed mintctl) are ignored; a timeout or a cancel sends KILL and waits a bounded time for the
// EXIT. Nothing here prints: output goes to the sink, problems come back as Errors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mint/channel/frame.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"
#include "mint/sys/mint_device.h"

namespace mint::channel {

// Time, so tests can run the waits without waiting.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::microseconds d) = 0;
};
Clock& RealClock();

// Where the command's output goes, as it arrives.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void Stdout(std::span<const uint8_t> bytes) = 0;
  virtual void Stderr(std::span<const uint8_t> bytes) = 0;
};

// Where the command's stdin comes from (`mintctl exec -i`): what is there
// now, never waiting for more.
class InputSource {
 public:
  virtual ~InputSource() = default;
  struct Chunk {
    size_t bytes = 0;  // read into the buffer; 0 and !end: nothing now
    bool end = false;  // the input is over (end of file, or an error)
  };
  virtual Chunk Read(std::span<uint8_t> into) = 0;
};

// One node's channel as exec and ping use it: Transfer sends `tx` (when
// not empty and there is room: ChanResult::sent) and reads one waiting
// record into `rx` (ChanResult::received), never waiting for either. An
// Error with sys_errno ENOTCONN: the channel's other end is gone.
class Port {
 public:
  virtual ~Port() = default;
  virtual Result<sys::ChanResult> Transfer(std::span<const uint8_t> tx, std::span<uint8_t> rx) = 0;
  // Waits at most `d` for a record to read (a port that cannot be polled
  // just sleeps `d` on `clock`).
  virtual void Wait(Clock& clock, std::chrono::microseconds d) { clock.Sleep(d); }
};

// The node's ring itself (MINT_NODE_CHAN on /dev/mint): what the relay
// (mint/channel/relay.h) serves, and what the unit tests drive.
class DevicePort : public Port {
 public:
  DevicePort(sys::MintDevice& device, uint32_t node_id) : device_(device), id_(node_id) {}
  Result<sys::ChanResult> Transfer(std::span<const uint8_t> tx, std::span<uint8_t> rx) override {
    return device_.Chan(id_, tx, rx);
  }

 private:
  sys::MintDevice& device_;
  uint32_t id_;
};

// A node as exec needs it: its id, name and sysfs directory.
struct NodeRef {
  uint32_t id = 0;
  std::string name;
  std::string dir;  // "/sys/kernel/mint/nodes/<id>"
};

struct ExecRequest {
  std::vector<std::string> argv;
  std::optional<std::chrono::milliseconds> timeout;  // then KILL
  uint32_t session = 0;                              // 0: pick one
  const std::atomic<bool>* cancel = nullptr;         // set (e.g. by SIGINT): KILL
  // Forwarded as the command's stdin (EXEC_INPUT, INPUT frames within
  // kInputWindow); nullptr: the command's stdin is /dev/null.
  InputSource* input = nullptr;
  // A terminal in the node (EXEC_PTY: its size and TERM; needs `input`);
  // `resized`, called every turn of the loop, gives a new size to send
  // (WINSIZE) or nothing.
  std::optional<Winsize> pty;
  std::string term;
  std::function<std::optional<Winsize>()> resized;
};

// How the command ended.
struct ExecResult {
  bool ran = false;           // false: the agent could not start it (see error)
  ExitStatus status;          // when ran
  RunError run_error;         // when !ran: the agent's words, e.g. ENOENT
  uint64_t stale_frames = 0;  // frames of other sessions ignored
  uint64_t input_bytes = 0;   // of request.input, sent to the node
  // The exit status `mintctl exec` returns: the command's (128 + signal
  // when killed); 127 when the program was not found, 126 when it could
  // not be run otherwise (the shell's numbers).
  int ExitCode() const;
};

// Tunables (tests shorten them).
struct ExecTiming {
  std::chrono::milliseconds state_check{100};     // re-read state and agent
  std::chrono::microseconds idle_poll{2000};      // sleep when no record waits
  std::chrono::milliseconds send_deadline{5000};  // ring to the node full this long: give up
  std::chrono::milliseconds kill_grace{3000};     // after KILL, wait this long for EXIT
};

// Checks that the node can take a command now: state "running" and agent
// "ready". Errors (context: the node's name):
//  - "<name> is <state> (<reason>); <verb> needs a running node"
//  - "<name> has no mint-agent running (nodes/<id>/agent says absent); ..."
//  - a kernel without nodes/<id>/agent: "this kernel has no message channel ..."
Result<void> CheckReady(sys::HostFs& fs, const NodeRef& node,
                        const std::string& verb = "mintctl exec");

// Runs the request through `port` (mintctl's: the node's relay). Output is
// acknowledged (OUTPUT_ACK) once the sink has it, so a sink that blocks
// holds up only this command. Returns the command's result, or an Error
// (the command's fate unknown):
// node not ready (CheckReady), node crashed/hung/stopped or agent gone
// mid-command, timeout (after KILL), cancel, agent not taking messages,
// a malformed frame of our session, or a failed ioctl.
Result<ExecResult> Exec(Port& port, sys::HostFs& fs, const NodeRef& node,
                        const ExecRequest& request, OutputSink& sink, Clock& clock = RealClock(),
                        const ExecTiming& timing = {});

// A fresh session id, never 0 (random).
uint32_t NewSession();

// `mintctl ping`: one PING to the node's mint-agent and its PONG, the
// channel's round trip with nothing run in the node (docs/agent.md).
struct PingTiming {
  std::chrono::milliseconds state_check{100};  // re-read state and agent
  std::chrono::microseconds idle_poll{100};    // sleep when no record waits
  std::chrono::milliseconds deadline{5000};    // no PONG this long: give up
};

// Sends PING `seq` of `session` and waits for its PONG; returns the round
// trip on `clock`. Precondition: CheckReady passed. PONGs of other
// sequence numbers or sessions (left by
// an earlier, interrupted ping) are skipped. Errors: the node crashed,
// hung, stopped or lost its agent meanwhile; no PONG within the deadline;
// a malformed answer of our session; a failed ioctl.
Result<std::chrono::nanoseconds> Ping(Port& port, sys::HostFs& fs, const NodeRef& node,
                                      uint32_t session, uint64_t seq, Clock& clock = RealClock(),
                                      const PingTiming& timing = {});

}  // namespace mint::channel
