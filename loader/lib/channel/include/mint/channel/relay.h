// The relay: node0's one owner of a node's channel ring, serving several
// mintctl commands at once (exec, ping, vm) over a unix socket
// (SOCK_SEQPACKET, one channel record per packet, both ways). The ring has
// one reader; without the relay a second mintctl would read the first's
// frames. docs/agent.md ("Several sessions at once") describes it.
//
// Relay routes by session: a client's frames go to the ring as they are
// (the client chooses a random session id; one already in use by another
// client is answered with an ERROR frame and never sent); each frame from
// the node goes to the client whose session it names, and frames of no
// client's session are dropped. The node's output cannot pile up here:
// the agent sends at most kOutputWindow unacknowledged bytes per session,
// and the client acknowledges what it has written (OUTPUT_ACK), so a
// client that stops reading holds up only its own command. A client past
// kClientBacklog is dropped as broken. A client that goes away mid-command
// (killed, crashed) gets its command killed (KILL), and the relay
// acknowledges that session's remaining output itself until its EXIT, so
// the agent frees it. What the node writes is untrusted: records that do
// not decode are dropped (counted, and logged once a second at most).
//
// RelayPort is a client's end: the Port exec and ping use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mint/channel.h"

namespace mint::channel {

inline constexpr size_t kClientBacklog = 1024 * 1024;
inline constexpr size_t kClientQueue = 16;  // records read from one client, not yet in the ring

struct RelayTiming {
  std::chrono::microseconds busy_poll{50};   // between ring reads while frames move,
  std::chrono::milliseconds busy_for{200};   // for this long after the last one;
  std::chrono::milliseconds idle_poll{5};    // then this, with clients connected,
  std::chrono::milliseconds lone_poll{50};   // and this without
};

// What Run saw, for the log line at its end and for tests.
struct RelayStats {
  uint64_t clients = 0;         // accepted
  uint64_t to_node = 0;         // records sent to the ring
  uint64_t from_node = 0;       // records read from it
  uint64_t unrouted = 0;        // of them, for no client's session (HELLO, leftovers)
  uint64_t undecodable = 0;     // of them, not a frame (dropped)
  uint64_t refused = 0;         // client records not sent (bad, or a session in use)
  uint64_t dropped_clients = 0;  // past kClientBacklog, or a socket error
  uint64_t orphan_kills = 0;     // commands killed because their client went away
};

class Relay {
 public:
  // `listen_fd`: a listening SOCK_SEQPACKET socket, non-blocking; the relay
  // does not close it. `log_fd`: one line per problem (-1: none).
  Relay(Port& ring, int listen_fd, int log_fd, const RelayTiming& timing = {});
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Serves until the ring fails or `stop` is set; then closes every client
  // (each sees end of file). Returns the ring's Error (ENOTCONN or ENOENT:
  // the node stopped, crashed or was destroyed), or Ok when stopped.
  Result<void> Run(const std::atomic<bool>& stop);

  const RelayStats& stats() const { return stats_; }

 private:
  struct Client {
    std::deque<std::vector<uint8_t>> from;  // records read from it, waiting for the ring
    std::deque<std::vector<uint8_t>> to;  // records for it
    size_t to_bytes = 0;
    std::set<uint32_t> sessions;  // it has sent frames of
    std::set<uint32_t> running;   // of them, started (EXEC*) and not ended (EXIT, ERROR)
    bool closed = false;          // it hung up: dropped once `from` is in the ring
  };

  void Log(const std::string& line);
  void Accept();
  void ReadClient(int fd, Client& c);
  // Checks a record read from the client: true to send it to the ring.
  bool Admit(int fd, Client& c, std::span<const uint8_t> record);
  void FlushClient(int fd, Client& c);
  void Drop(int fd, const std::string& why);
  void Route(std::span<const uint8_t> record);
  // The next record for the ring, own records first, then the clients'
  // round robin; nullptr: none. `fd`: its client, -1 for the relay's own.
  std::vector<uint8_t>* NextForRing(int& fd);
  Result<bool> MoveRing();  // true: something moved

  Port& ring_;
  int listen_fd_;
  int log_fd_;
  RelayTiming timing_;
  RelayStats stats_;
  std::map<int, Client> clients_;
  std::map<uint32_t, int> owner_;  // session -> client fd
  std::set<uint32_t> orphans_;     // sessions killed for a client that left, until EXIT
  std::deque<std::vector<uint8_t>> own_;  // the relay's records for the ring
  int last_turn_ = -1;                    // the client whose record went last
  std::vector<uint8_t> buf_;  // one record, read from a client or the ring
  std::chrono::steady_clock::time_point last_log_{};
  uint64_t unlogged_ = 0;
};

// The relay's socket at `path` (SOCK_SEQPACKET): ListenRelay binds it
// (mode 0600, non-blocking, replacing a dead relay's: the caller holds the
// node's channel lock) and listens; ConnectRelay connects to it, -1 with
// errno when it cannot (ENOENT, ECONNREFUSED: no relay listens).
Result<int> ListenRelay(const std::string& path);
int ConnectRelay(const std::string& path);

// A connected client socket to the relay as a Port: Transfer sends the
// record if the socket takes it now and reads one if one waits. The relay
// gone (end of file, a reset) is an Error with sys_errno ENOTCONN naming
// `what` (e.g. "node1's channel relay").
class RelayPort : public Port {
 public:
  RelayPort(int fd, std::string what);  // takes the descriptor
  ~RelayPort() override;
  RelayPort(const RelayPort&) = delete;
  RelayPort& operator=(const RelayPort&) = delete;
  Result<sys::ChanResult> Transfer(std::span<const uint8_t> tx, std::span<uint8_t> rx) override;
  // poll() on the socket: returns as soon as the relay sends a record.
  void Wait(Clock& clock, std::chrono::microseconds d) override;

 private:
  int fd_;
  std::string what_;
};

}  // namespace mint::channel
