// RecordingMintDevice's MINT_NODE_GET and MINT_NODE_CHAN model: GET returns
// what CREATE made; CHAN refuses a node that is not running (ENOTCONN),
// queues records for the node while there is room, hands them to the hook,
// and returns the node's records oldest first. The real device is tested in
// the lab (tests/e2e/test_node_exec.py).
#include <gtest/gtest.h>

#include <cerrno>

#include "mint/sys/mint_device.h"

namespace mint::sys {
namespace {

RecordingMintDevice Device() {
  return RecordingMintDevice({PhysRange{PhysAddr{1ull << 32}, ByteSize{1ull << 30}}}, {{2, 4}});
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(RecordingMintDevice, GetNodeReturnsWhatCreateMade) {
  auto dev = Device();
  auto made = dev.CreateNode({1, "node1", {CpuId{2}, CpuId{3}}, 0, ByteSize{64ull << 20}});
  ASSERT_TRUE(made.ok());
  auto got = dev.GetNode(1);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->id, 1u);
  EXPECT_EQ(got->name, "node1");
  EXPECT_EQ(got->cpus, (std::vector<CpuId>{CpuId{2}, CpuId{3}}));
  EXPECT_EQ(got->numa_node, 0);
  EXPECT_EQ(got->memory.bytes, 64ull << 20);
  EXPECT_EQ(got->created.apic_ids, (std::vector<ApicId>{ApicId{4}, ApicId{3}}));
  EXPECT_EQ(got->created.ram, made->ram);
  EXPECT_EQ(got->created.shared, made->shared);
  EXPECT_EQ(dev.calls().back(), "MINT_NODE_GET id=1");
}

TEST(RecordingMintDevice, GetNodeOfNoNodeIsNotFound) {
  auto dev = Device();
  auto got = dev.GetNode(3);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().ToString(),
            "node id 3: MINT_NODE_GET: no such node (No such file or directory)");
}

TEST(RecordingMintDevice, ChanRefusesANodeThatIsNotRunning) {
  auto dev = Device();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  std::vector<uint8_t> rx(kChanMsgMax);
  auto r = dev.Chan(1, {}, rx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, ENOTCONN);
  EXPECT_EQ(r.error().ToString(),
            "node id 1: MINT_NODE_CHAN: the node is not running (Transport endpoint is not "
            "connected)");
}

TEST(RecordingMintDevice, ChanQueuesAndReturnsRecords) {
  auto dev = Device();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  dev.SetState(1, NodeState::kRunning);
  dev.set_to_node_room(1);
  std::vector<std::vector<uint8_t>> hooked;
  dev.set_chan_hook(
      [&](uint32_t, std::span<const uint8_t> r) { hooked.emplace_back(r.begin(), r.end()); });
  dev.QueueFromNode(1, Bytes("first"));
  dev.QueueFromNode(1, Bytes("second"));
  std::vector<uint8_t> rx(kChanMsgMax);
  auto a = dev.Chan(1, Bytes("hello"), rx);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->sent);
  EXPECT_EQ(std::string(rx.begin(), rx.begin() + static_cast<long>(a->received)), "first");
  auto b = dev.Chan(1, Bytes("again"), rx);  // the ring to the node is full
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->sent);
  EXPECT_EQ(std::string(rx.begin(), rx.begin() + static_cast<long>(b->received)), "second");
  auto c = dev.Chan(1, {}, rx);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->received, 0u);
  ASSERT_EQ(hooked.size(), 1u);
  EXPECT_EQ(dev.TakeToNode(1), (std::vector<std::vector<uint8_t>>{Bytes("hello")}));
  EXPECT_EQ(dev.calls().back(), "MINT_NODE_CHAN id=1 tx=5");
}

// A node that queues a record longer than MINT_CHAN_MSG_MAX broke the
// ring: EIO as from the kernel, and never a copy past rx's end.
TEST(RecordingMintDevice, ARecordLongerThanTheLimitIsACorruptRing) {
  auto dev = Device();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  dev.SetState(1, NodeState::kRunning);
  dev.QueueFromNode(1, std::vector<uint8_t>(kChanMsgMax + 1, 'x'));
  std::vector<uint8_t> rx(kChanMsgMax);
  auto r = dev.Chan(1, {}, rx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EIO);
  EXPECT_EQ(r.error().ToString(),
            "node id 1: MINT_NODE_CHAN: the node wrote a corrupt record (Input/output error)");
}

TEST(RecordingMintDevice, ChanRefusesASmallRxBuffer) {
  auto dev = Device();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  dev.SetState(1, NodeState::kRunning);
  std::vector<uint8_t> rx(100);
  auto r = dev.Chan(1, {}, rx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EINVAL);
}

}  // namespace
}  // namespace mint::sys
