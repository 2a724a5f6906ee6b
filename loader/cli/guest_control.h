// The guests of one node, wherever they run. node0's own guests are run by
// mint::vm in this process (its supervisors outlive mintctl); a node's are
// run by the node's mint-agent (`mint-agent vm VERB ...`, reached through
// `mintctl exec`'s channel, its stdout the JSON of mint/vm.h). One seam, two
// implementations, so every `mintctl vm` verb, boot's autostart and
// status's guest count are written once.
//
// node0 keeps what it last heard from each node about its guests in
// /run/mint/guests/<node>.json: when the node crashes its agent is gone
// with its guests, and `vm list` reports those guests lost, with the node's
// reason, instead of forgetting them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host.h"
#include "mint/lifecycle.h"
#include "mint/model.h"
#include "mint/vm.h"

namespace mint::cli {

class GuestControl {
 public:
  virtual ~GuestControl() = default;
  virtual Result<std::vector<vm::GuestStatus>> List() = 0;
  virtual Result<vm::GuestStatus> Start(const GuestSpec& spec) = 0;
  virtual Result<vm::GuestStatus> Stop(const std::string& guest,
                                       std::chrono::milliseconds timeout) = 0;
  virtual Result<vm::GuestStatus> Kill(const std::string& guest) = 0;
  virtual Result<void> Remove(const std::string& guest) = 0;
  // The guest command's output goes to `out` as it comes; returns its status.
  virtual Result<int> Exec(const std::string& guest, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout,
                           const std::function<void(std::string_view)>& out) = 0;
  virtual Result<void> Console(const std::string& guest, bool follow,
                               const std::function<void(std::string_view)>& out) = 0;
};

// For "node0": mint::vm here. For a node: its agent, which must be running
// and ready (channel::CheckReady's errors otherwise).
Result<std::unique_ptr<GuestControl>> OpenGuests(const Globals& globals, const std::string& node);

// The guest record node0 keeps per node (see above).
std::string GuestRecordPath(const std::string& root, const std::string& node);
std::vector<vm::GuestStatus> ReadGuestRecord(const std::string& root, const std::string& node);
void RemoveGuestRecord(const std::string& root, const std::string& node);

// The guests of `node` as node0 can know them now: the live list when the
// node (or node0) answers (waiting at most 2 s for its channel); a running
// node that does not answer: the record as it was; a node that is down or
// gone: the record, every guest that was starting or running turned "lost"
// with `why` ("node1 is crashed: Kernel panic ...").
struct GuestView {
  std::vector<vm::GuestStatus> guests;
  bool live = false;  // from the node itself
  std::string why;    // when !live: why the node could not be asked
};
GuestView ViewGuests(const Globals& globals, const lifecycle::NodeStatus* node,
                     const std::string& name);

// The autostart guests of `node`'s boot recipe (nodeconf guests:), started
// once its agent is ready: what boot, restart and watch's restart do. One
// line per guest in `out` ("guest g1 started in node1 (...)", "guest g2
// did NOT start in node1"); why a guest did not start is the returned
// error (every failed guest's), for the caller to print once.
Result<void> StartRecipeGuests(const Globals& globals, const std::string& node, std::ostream& out);

}  // namespace mint::cli
