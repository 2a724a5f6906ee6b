// libFuzzer target for the relay (mint::channel::Relay), node0's one reader
// of a node's ring, which hands each record the node writes to the mintctl
// whose session it names. The input is the node's side: records as
// MINT_NODE_CHAN returns them, each [u16 little-endian length][bytes]
// (length 0: no record waiting this poll). One client is connected and has
// sent a PING of session 7 and an EXEC of session 8 before the relay runs;
// when the input runs out the ring says ENOTCONN (the node crashed), so
// every run ends.
//
// Contracts checked beyond "no crash, no exception escapes": the relay
// ends with the ring's ENOTCONN; the client's two records reached the ring
// first, unchanged; the client gets exactly the records that decode as
// frames of its sessions, unchanged and in order, then end of file; every
// record read is counted once (routed, unrouted or undecodable); nothing
// the relay itself sends to the ring is other than a KILL or OUTPUT_ACK.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "check.h"
#include "mint/channel/relay.h"

namespace {

using mint::fuzz::Check;
namespace channel = mint::channel;
using channel::FrameType;

class ScriptedRing final : public channel::Port {
 public:
  explicit ScriptedRing(std::deque<std::vector<uint8_t>> records)
      : records_(std::move(records)) {}
  mint::Result<mint::sys::ChanResult> Transfer(std::span<const uint8_t> tx,
                                               std::span<uint8_t> rx) override {
    Check(rx.size() >= mint::sys::kChanMsgMax);
    if (records_.empty())
      return mint::MakeError(mint::ErrorCode::kConflict, "node id 1", "not running", ENOTCONN);
    mint::sys::ChanResult out;
    if (!tx.empty()) {
      sent.emplace_back(tx.begin(), tx.end());
      out.sent = true;
    }
    std::vector<uint8_t> record = std::move(records_.front());
    records_.pop_front();
    std::copy(record.begin(), record.end(), rx.begin());
    out.received = record.size();
    return out;
  }
  std::vector<std::vector<uint8_t>> sent;

 private:
  std::deque<std::vector<uint8_t>> records_;
};

// A listening socket in the abstract namespace, one per process.
int Listener(sockaddr_un& addr) {
  static int fd = -1;
  addr = {};
  addr.sun_family = AF_UNIX;
  std::string name = "mint-fuzz-relay-" + std::to_string(::getpid());
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  if (fd < 0) {
    fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    Check(fd >= 0);
    Check(::bind(fd, reinterpret_cast<sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
    Check(::listen(fd, 8) == 0);
  }
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::deque<std::vector<uint8_t>> records;
  size_t at = 0;
  // At most 32 records: what the client's socket holds while it does not
  // read (far below kClientBacklog, so it is never dropped).
  while (at + 2 <= size && records.size() < 32) {
    size_t len = data[at] | (size_t{data[at + 1]} << 8);
    at += 2;
    len = std::min({len, size - at, mint::sys::kChanMsgMax});
    records.emplace_back(data + at, data + at + len);
    at += len;
  }
  std::vector<std::vector<uint8_t>> want;
  uint64_t nonempty = 0;
  for (const auto& r : records) {
    if (r.empty()) continue;
    ++nonempty;
    auto f = channel::DecodeFrame(r);
    if (f.ok() && (f->session == 7 || f->session == 8)) want.push_back(r);
  }

  sockaddr_un addr;
  int listen_fd = Listener(addr);
  std::string name = "mint-fuzz-relay-" + std::to_string(::getpid());
  int client = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  Check(::connect(client, reinterpret_cast<sockaddr*>(&addr),
                  static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
  const auto ping = channel::EncodeFrame(FrameType::kPing, 7);
  const auto exec =
      channel::EncodeFrame(FrameType::kExec, 8, *channel::EncodeArgv({"uname"}, "fuzz"));
  Check(::send(client, ping.data(), ping.size(), 0) == static_cast<ssize_t>(ping.size()));
  Check(::send(client, exec.data(), exec.size(), 0) == static_cast<ssize_t>(exec.size()));

  // The relay's first turn takes both records before it moves the ring;
  // an input without records still gives it one Transfer to send them.
  records.push_front({});
  records.push_front({});
  ScriptedRing ring(std::move(records));
  channel::RelayTiming fast{std::chrono::microseconds(0), std::chrono::milliseconds(0),
                            std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  channel::Relay relay(ring, listen_fd, -1, fast);
  std::atomic<bool> stop{false};
  auto end = relay.Run(stop);
  Check(!end.ok() && end.error().sys_errno == ENOTCONN);

  Check(ring.sent.size() >= 2 && ring.sent[0] == ping && ring.sent[1] == exec);
  for (size_t i = 2; i < ring.sent.size(); ++i) {
    auto f = channel::DecodeFrame(ring.sent[i]);
    Check(f.ok() && (f->type == FrameType::kKill || f->type == FrameType::kOutputAck));
  }
  const channel::RelayStats& s = relay.stats();
  Check(s.from_node == nonempty);
  Check(s.unrouted + s.undecodable + want.size() == s.from_node);

  std::vector<uint8_t> buf(mint::sys::kChanMsgMax + 1);
  size_t got = 0;
  while (true) {
    ssize_t n = ::recv(client, buf.data(), buf.size(), 0);
    if (n <= 0) break;  // end of file: the relay closed it
    Check(got < want.size());
    Check(std::vector<uint8_t>(buf.begin(), buf.begin() + n) == want[got]);
    ++got;
  }
  Check(got == want.size());
  ::close(client);
  return 0;
}
