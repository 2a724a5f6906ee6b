// RecordingMintDevice's MINT_NODE_GET (returns what CREATE made) and its
// refusal of MINT_NODE_CHAN (a dry run never talks to a node); the test
// fakes of tests/unit/support: FakeMintDevice's CHAN model refuses a node
// that is not running (ENOTCONN), queues records for the node while there
// is room, hands them to the hook, and returns the node's records oldest
// first; FakeMintDevice and FakePciDriver fail the call they are told to,
// counted as before. The real device is tested in the lab
// (tests/e2e/test_node_exec.py).
#include <gtest/gtest.h>

#include <cerrno>

#include "fake_mint_device.h"
#include "mint/sys/mint_device.h"

namespace mint::sys {
namespace {

using testing::FakeMintDevice;
using testing::FakePciDriver;

RecordingMintDevice Recording() {
  return RecordingMintDevice({PhysRange{PhysAddr{1ull << 32}, ByteSize{1ull << 30}}}, {{2, 4}});
}
FakeMintDevice Device() { return FakeMintDevice(Recording()); }

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(RecordingMintDevice, GetNodeReturnsWhatCreateMade) {
  auto dev = Recording();
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
  auto dev = Recording();
  auto got = dev.GetNode(3);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().ToString(),
            "node id 3: MINT_NODE_GET: no such node (No such file or directory)");
}

TEST(FakeMintDevice, ChanRefusesANodeThatIsNotRunning) {
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

TEST(FakeMintDevice, ChanQueuesAndReturnsRecords) {
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
TEST(FakeMintDevice, ARecordLongerThanTheLimitIsACorruptRing) {
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

TEST(FakeMintDevice, ChanRefusesASmallRxBuffer) {
  auto dev = Device();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  dev.SetState(1, NodeState::kRunning);
  std::vector<uint8_t> rx(100);
  auto r = dev.Chan(1, {}, rx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EINVAL);
}

// The dry run's device has no channel: it refuses, and logs nothing.
TEST(RecordingMintDevice, ChanIsUnsupported) {
  auto dev = Recording();
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  std::vector<uint8_t> rx(kChanMsgMax);
  auto r = dev.Chan(1, Bytes("hello"), rx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(dev.calls().size(), 1u);
}

// The n-th call fails: it is logged, the model is left as it was, and the
// calls before and after it work. Chan counts only when it sends.
TEST(FakeMintDevice, FailsTheNthCallAndLeavesTheModelAlone) {
  auto dev = Device();
  dev.FailAtCall(3, MakeError(ErrorCode::kIo, "node id 2", "injected", EIO));
  ASSERT_TRUE(dev.CreateNode({1, "node1", {CpuId{2}}, -1, ByteSize{64ull << 20}}).ok());
  dev.SetState(1, NodeState::kRunning);
  std::vector<uint8_t> rx(kChanMsgMax);
  ASSERT_TRUE(dev.Chan(1, {}, rx).ok());           // a poll: not counted
  ASSERT_TRUE(dev.Chan(1, Bytes("hi"), rx).ok());  // call 2
  auto failed = dev.CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64ull << 20}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().ToString(), "node id 2: injected (Input/output error)");
  EXPECT_EQ(dev.nodes().count(2), 0u);
  EXPECT_EQ(dev.calls().size(), 3u);
  EXPECT_EQ(dev.calls().back().rfind("MINT_NODE_CREATE id=2", 0), 0u) << dev.calls().back();
  EXPECT_TRUE(dev.CreateNode({2, "node2", {CpuId{3}}, -1, ByteSize{64ull << 20}}).ok());
}

TEST(FakePciDriver, FailsTheNthCallAndLeavesTheDriverAlone) {
  const PciBdf a{0, 0, 3, 0}, b{0, 0, 4, 0};
  FakePciDriver pci(RecordingPciDriver({{a, "virtio-pci"}, {b, "virtio-pci"}}));
  pci.FailAtCall(
      2, MakeError(ErrorCode::kIo, "/sys/bus/pci/drivers/pci-stub/bind", "injected", ENODEV));
  ASSERT_TRUE(pci.Stub(a, "virtio-pci").ok());
  auto failed = pci.Stub(b, "virtio-pci");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "injected");
  EXPECT_EQ(pci.drivers().at(a), "pci-stub");
  EXPECT_EQ(pci.drivers().at(b), "virtio-pci");
  EXPECT_EQ(pci.calls().size(), 2u);
  EXPECT_TRUE(pci.Restore(a, "virtio-pci").ok());
}

}  // namespace
}  // namespace mint::sys
