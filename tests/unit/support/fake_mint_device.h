// Test fakes of node0's two seams, with the controls only tests use (the
// production recording seams, RecordingMintDevice and RecordingPciDriver in
// mint/sys, are what `mintctl plan` and boot's dry run run against):
//  - FakeMintDevice: a RecordingMintDevice that can fail at call N and
//    models the two rings of MINT_NODE_CHAN and the node's state;
//  - FakePciDriver: a RecordingPciDriver that can fail at call N.
// Header-only; a test target gets it with
// target_include_directories(... ${CMAKE_SOURCE_DIR}/tests/unit/support).
#pragma once

#include <algorithm>
#include <cerrno>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::testing {

// Fails the n-th call it records (1-based) with the error it was given;
// several calls can be made to fail, each with its own error.
class CallFailure {
 public:
  void FailAt(size_t n, Error error) { errors_[n] = std::move(error); }
  // `count`: the calls recorded so far, this one included.
  std::optional<Error> Check(size_t count) const {
    auto e = errors_.find(count);
    if (e != errors_.end()) return e->second;
    return std::nullopt;
  }

 private:
  std::map<size_t, Error> errors_;
};

class FakeMintDevice : public sys::RecordingMintDevice {
 public:
  using RecordingMintDevice::RecordingMintDevice;
  // Takes over a recording device as it is (e.g. apply::MakeDryRun's).
  explicit FakeMintDevice(sys::RecordingMintDevice device)
      : RecordingMintDevice(std::move(device)) {}

  // Make the n-th call (1-based, counting every call in calls(): every
  // method, Chan only when it sends) fail with `error`. The call is
  // logged; the model is left as it was.
  void FailAtCall(size_t n, Error error) { failure_.FailAt(n, std::move(error)); }

  // A model of the two rings: ENOTCONN unless the node's state is booting,
  // running or hung (SetState); a record for the node is queued while fewer
  // than `to_node_room` wait (set_to_node_room), then handed to the chan
  // hook if there is one; records from the node are the ones QueueFromNode
  // put there, oldest first. A Chan call is logged (and counted for
  // FailAtCall) only when it sends something: polls are not.
  Result<sys::ChanResult> Chan(uint32_t id, std::span<const uint8_t> tx,
                               std::span<uint8_t> rx) override {
    if (!tx.empty())
      if (auto e = Record("MINT_NODE_CHAN id=" + std::to_string(id) +
                          " tx=" + std::to_string(tx.size())))
        return *e;
    auto it = nodes_.find(id);
    if (it == nodes_.end())
      return MakeError(ErrorCode::kNotFound, "node id " + std::to_string(id),
                       "MINT_NODE_CHAN: no such node", ENOENT);
    NodeState state = it->second.state;
    if (state != NodeState::kBooting && state != NodeState::kRunning && state != NodeState::kHung)
      return MakeError(ErrorCode::kConflict, "node id " + std::to_string(id),
                       "MINT_NODE_CHAN: the node is not running", ENOTCONN);
    if (tx.size() > sys::kChanMsgMax)
      return MakeError(ErrorCode::kInvalidArgument, "node id " + std::to_string(id),
                       "MINT_NODE_CHAN: the record is longer than 4096 bytes", EMSGSIZE);
    if (!rx.empty() && rx.size() < sys::kChanMsgMax)
      return MakeError(ErrorCode::kInvalidArgument, "node id " + std::to_string(id),
                       "MINT_NODE_CHAN: rx buffer smaller than 4096 bytes", EINVAL);
    sys::ChanResult out;
    if (!tx.empty() && rings_[id].to_node.size() < to_node_room_) {
      rings_[id].to_node.emplace_back(tx.begin(), tx.end());
      out.sent = true;
      if (chan_hook_) chan_hook_(id, tx);
    }
    // The hook may have changed the model (a node that crashed on this record).
    auto ring = rings_.find(id);
    if (nodes_.count(id) != 0 && ring != rings_.end() && !rx.empty() &&
        !ring->second.from_node.empty()) {
      auto& record = ring->second.from_node.front();
      // As the kernel does (docs/channel.md, Trust): a record longer than
      // MINT_CHAN_MSG_MAX is the node breaking the ring; nothing is read.
      if (record.size() > sys::kChanMsgMax)
        return MakeError(ErrorCode::kIo, "node id " + std::to_string(id),
                         "MINT_NODE_CHAN: the node wrote a corrupt record", EIO);
      std::copy(record.begin(), record.end(), rx.begin());
      out.received = record.size();
      ring->second.from_node.pop_front();
    }
    return out;
  }
  // A node's rings go with it.
  Result<void> Destroy(uint32_t id) override {
    MINT_CHECK(RecordingMintDevice::Destroy(id));
    rings_.erase(id);
    return Ok();
  }

  void SetState(uint32_t id, NodeState state) {
    auto it = nodes_.find(id);
    if (it != nodes_.end()) it->second.state = state;
  }
  void QueueFromNode(uint32_t id, std::vector<uint8_t> record) {
    if (nodes_.count(id) != 0) rings_[id].from_node.push_back(std::move(record));
  }
  void set_to_node_room(size_t records) { to_node_room_ = records; }
  // Called with each record queued for the node; it may QueueFromNode,
  // SetState, and TakeToNode (to consume the record, as the node would).
  void set_chan_hook(std::function<void(uint32_t id, std::span<const uint8_t> record)> hook) {
    chan_hook_ = std::move(hook);
  }
  std::vector<std::vector<uint8_t>> TakeToNode(uint32_t id) {
    std::vector<std::vector<uint8_t>> out;
    auto it = rings_.find(id);
    if (it == rings_.end()) return out;
    out.assign(it->second.to_node.begin(), it->second.to_node.end());
    it->second.to_node.clear();
    return out;
  }

 protected:
  std::optional<Error> Record(std::string line) override {
    RecordingMintDevice::Record(std::move(line));
    return failure_.Check(calls().size());
  }

 private:
  struct Rings {
    std::deque<std::vector<uint8_t>> to_node, from_node;
  };
  CallFailure failure_;
  std::map<uint32_t, Rings> rings_;
  size_t to_node_room_ = 64;
  std::function<void(uint32_t, std::span<const uint8_t>)> chan_hook_;
};

class FakePciDriver : public sys::RecordingPciDriver {
 public:
  using RecordingPciDriver::RecordingPciDriver;
  explicit FakePciDriver(sys::RecordingPciDriver driver) : RecordingPciDriver(std::move(driver)) {}

  // Make the n-th call (1-based, Stub and Restore alike) fail with `error`.
  // The call is logged; the function stays on the driver it was on.
  void FailAtCall(size_t n, Error error) { failure_.FailAt(n, std::move(error)); }

 protected:
  std::optional<Error> Record(std::string line) override {
    RecordingPciDriver::Record(std::move(line));
    return failure_.Check(calls().size());
  }

 private:
  CallFailure failure_;
};

}  // namespace mint::testing
