// Device decisions and refusals of mint::plan: disks, NICs and raw PCI
// functions, on the default test host (see host_builder.h).
#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace mint::testing {
namespace {

NodeSpec With(DeviceKind kind, std::string name) {
  NodeSpec spec = Spec();
  AddDevice(spec, kind, std::move(name));
  return spec;
}

Error Refused(DeviceKind kind, std::string name, const HostBuilder& b = HostBuilder()) {
  return Refusal(b.Build(), With(kind, std::move(name)));
}

TEST(PlanDevices, DiskResolvesToItsFunctionAndDriver) {
  Plan plan = MustPlan(HostBuilder().Build(), With(DeviceKind::kDisk, "sdb"));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf, Bdf("0000:00:03.0"));
  EXPECT_EQ(plan.devices[0].node0_driver, "virtio-pci");
  EXPECT_EQ(plan.devices[0].description, "Virtio block device (sdb)");
  ASSERT_TRUE(plan.ecam.has_value());
  EXPECT_EQ(plan.ecam->base, PhysAddr{0xb0000000});
}

TEST(PlanDevices, NicAndPciResolve) {
  NodeSpec spec = With(DeviceKind::kNic, "eth1");
  AddDevice(spec, DeviceKind::kPci, "00:04.0");
  Plan plan = MustPlan(HostBuilder().Build(), spec);
  ASSERT_EQ(plan.devices.size(), 2u);
  EXPECT_EQ(plan.devices[0].bdf, Bdf("0000:00:05.0"));
  EXPECT_EQ(plan.devices[1].bdf, Bdf("0000:00:04.0"));
  EXPECT_EQ(plan.devices[1].description, "Virtio block device");
}

TEST(PlanDevices, NoDevicesNoEcam) {
  Plan plan = MustPlan(HostBuilder().Build(), Spec());
  EXPECT_FALSE(plan.ecam.has_value());
}

TEST(PlanDevices, UnknownDiskListsTheDisks) {
  Error e = Refused(DeviceKind::kDisk, "sdz");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(),
            "--disk: no disk named sdz; this host has sda, sdb and sdc (mintctl topology lists "
            "them)");
}

TEST(PlanDevices, DiskWithoutPciFunctionIsRefused) {
  Error e = Refused(DeviceKind::kDisk, "ram0", HostBuilder().Disk("ram0", nullptr));
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--disk: ram0 is not on a PCI function (mintctl topology shows none for it); only a "
            "disk on its own PCI controller can be given to a node");
}

TEST(PlanDevices, DiskSharingAControllerIsRefusedNamingTheOtherAndItsMount) {
  Error e = Refused(DeviceKind::kDisk, "sdd", HostBuilder().Disk("sdd", "0000:00:1f.2"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--disk: sdd is on controller 0000:00:1f.2, which also serves sda (mounted at /); "
            "give the node a disk on its own controller");
}

TEST(PlanDevices, MountedPartitionIsRefusedNamingTheMountPoint) {
  Error e = Refused(DeviceKind::kDisk, "sda");
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--disk: sda1 (on sda) is mounted at / in node0; give the node another disk");
}

TEST(PlanDevices, MountedWholeDiskIsRefused) {
  Error e = Refused(DeviceKind::kDisk, "sdb", HostBuilder().Mount("/dev/sdb", "/srv"));
  EXPECT_EQ(e.ToString(),
            "--disk: sdb is mounted at /srv in node0; unmount it (umount /srv) or give the node "
            "another disk");
}

TEST(PlanDevices, SwapOnTheDiskIsRefused) {
  HostBuilder b;
  b.Disk("sde", "0000:00:06.0", {"sde1"}).Swap("/dev/sde1");
  Error e = Refused(DeviceKind::kDisk, "sde", b);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--disk: sde1 (on sde) is swap space of node0; turn it off (swapoff /dev/sde1) or "
            "give the node another disk");
}

// ---- The disk-in-use rule through the layers (HostTopology::DiskUses) ----

// sdd on its own virtio function 0000:00:07.0, with `partitions`.
HostBuilder WithSdd(std::vector<std::string> partitions = {}) {
  HostBuilder b;
  b.Pci("0000:00:07.0", 0x010000, "virtio-pci", false, true, "Virtio block device");
  b.Disk("sdd", "0000:00:07.0", std::move(partitions));
  return b;
}

TEST(PlanDevices, AHolderOfAPartitionThatIsMountedIsRefusedNamingTheChain) {
  HostBuilder b = WithSdd({"sdd1", "sdd2"});
  b.Stack("dm-0", StackKind::kDeviceMapper, "vg0-srv", {"sdd2"})
      .MountOf("/dev/mapper/vg0-srv", "/srv", "dm-0");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd2 (on sdd) holds dm-0 (vg0-srv), which is mounted at /srv in node0; "
            "unmount it (umount /srv) or give the node another disk");
  EXPECT_EQ(Refused(DeviceKind::kPci, "0000:00:07.0", b).ToString(),
            "--pci: 0000:00:07.0 serves sdd, whose sdd2 holds dm-0 (vg0-srv), which is mounted at "
            "/srv in node0; unmount it (umount /srv) or give the node another disk");
}

// No initramfs: the kernel calls the root device /dev/root.
TEST(PlanDevices, RootMountedAsDevRootIsFoundByItsDeviceNumber) {
  HostBuilder b = WithSdd({"sdd1"});
  b.MountOf("/dev/root", "/", "sdd1");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd1 (on sdd) is mounted at / in node0; give the node another disk");
}

TEST(PlanDevices, LayersAreFollowedToTheTop) {
  // LVM on md RAID1 on partitions of sdd and sdb: sdb1 -> md0 -> dm-0.
  HostBuilder raid;
  raid.Pci("0000:00:07.0", 0x010000, "virtio-pci", false, true, "Virtio block device")
      .Disk("sdd", "0000:00:07.0", {"sdd1"})
      .Pci("0000:00:08.0", 0x010000, "virtio-pci", false, true, "Virtio block device")
      .Disk("sde", "0000:00:08.0", {"sde1"})
      .Stack("md0", StackKind::kMd, "raid1", {"sdd1", "sde1"})
      .Stack("dm-0", StackKind::kDeviceMapper, "vg9-home", {"md0"})
      .MountOf("/dev/mapper/vg9-home", "/home", "dm-0");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sde", raid).ToString(),
            "--disk: sde1 (on sde) holds md0 (raid1), which holds dm-0 (vg9-home), which is "
            "mounted at /home in node0; unmount it (umount /home) or give the node another disk");
}

TEST(PlanDevices, AnAssembledMdArrayIsRefusedWithHowToStopIt) {
  HostBuilder b;
  b.Pci("0000:00:07.0", 0x010000, "virtio-pci", false, true, "Virtio block device")
      .Disk("sdd", "0000:00:07.0", {"sdd1"})
      .Stack("md0", StackKind::kMd, "raid1", {"sdd1", "sdb"});
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd1 (on sdd) holds md0 (raid1), which node0 has assembled; stop it (mdadm "
            "--stop /dev/md0) or give the node another disk");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdb", b).ToString(),
            "--disk: sdb holds md0 (raid1), which node0 has assembled; stop it (mdadm --stop "
            "/dev/md0) or give the node another disk");
}

TEST(PlanDevices, AnActiveDeviceMapperTargetIsRefusedWithHowToRemoveIt) {
  HostBuilder b;
  b.Stack("dm-3", StackKind::kDeviceMapper, "vg1-data", {"sdb"});
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdb", b).ToString(),
            "--disk: sdb holds dm-3 (vg1-data), which node0 has assembled; remove it (dmsetup "
            "remove vg1-data) or give the node another disk");
  // A holder the kernel does not say more of (bcache): no way out but another disk.
  HostBuilder other;
  other.Stack("bcache0", StackKind::kOther, "", {"sdb"});
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdb", other).ToString(),
            "--disk: sdb holds bcache0, which node0 has assembled; give the node another disk");
}

TEST(PlanDevices, ALoopDeviceOverTheDiskIsRefusedWithHowToDetachIt) {
  HostBuilder b;
  b.Stack("loop0", StackKind::kLoop, "/dev/sdb", {"sdb"});
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdb", b).ToString(),
            "--disk: sdb holds loop0 (/dev/sdb), which node0 has assembled; detach it (losetup -d "
            "/dev/loop0) or give the node another disk");
}

TEST(PlanDevices, ALoopDeviceOverAFileOnTheDiskIsRefusedThroughItsMount) {
  HostBuilder b = WithSdd({"sdd1"});
  b.Mount("/dev/sdd1", "/srv")
      .Stack("loop0", StackKind::kLoop, "/srv/vm.img", {"sdd1"})
      .Mount("/dev/loop0", "/mnt/vm");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd1 (on sdd) is mounted at /srv in node0; unmount it (umount /srv) or give "
            "the node another disk");
  // With /srv lazily unmounted (umount -l), the loop device still reads the disk.
  HostBuilder lazy = WithSdd({"sdd1"});
  lazy.Stack("loop0", StackKind::kLoop, "/srv/vm.img", {"sdd1"}).Mount("/dev/loop0", "/mnt/vm");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", lazy).ToString(),
            "--disk: sdd1 (on sdd) holds loop0 (/srv/vm.img), which is mounted at /mnt/vm in "
            "node0; unmount it (umount /mnt/vm) or give the node another disk");
}

TEST(PlanDevices, EncryptedSwapOnTheDiskIsRefused) {
  HostBuilder b;
  b.Stack("dm-1", StackKind::kDeviceMapper, "cryptswap", {"sdb"}).Swap("/dev/dm-1");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdb", b).ToString(),
            "--disk: sdb holds dm-1 (cryptswap), which is swap space of node0; turn it off "
            "(swapoff /dev/dm-1) or give the node another disk");
}

TEST(PlanDevices, ASwapFileOnTheDiskIsRefused) {
  // Built without the mount of /srv, which the rule would name first.
  HostBuilder b = WithSdd({"sdd1"});
  b.SwapFile("/srv/swapfile", "sdd1");
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd1 (on sdd) holds node0's swap file /srv/swapfile; turn it off (swapoff "
            "/srv/swapfile) or give the node another disk");
}

TEST(PlanDevices, AnotherDiskOfTheControllerInUseThroughALayerIsNamed) {
  HostBuilder b;
  b.Disk("sdd", "0000:00:03.0").Stack("md0", StackKind::kMd, "raid1", {"sdb"});
  EXPECT_EQ(Refused(DeviceKind::kDisk, "sdd", b).ToString(),
            "--disk: sdd is on controller 0000:00:03.0, which also serves sdb (md0 assembled); "
            "give the node a disk on its own controller");
}

TEST(PlanDevices, ADiskWhoseLayersNobodyUsesIsPlanned) {
  // A tmpfs and a filesystem on another disk share no device number with sdb.
  HostBuilder b;
  b.Mount("tmpfs", "/tmp").Mount("/dev/sdc", "/srv");
  Plan plan = MustPlan(b.Build(), With(DeviceKind::kDisk, "sdb"));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf.ToString(), "0000:00:03.0");
}

TEST(PlanDevices, UnknownNicListsTheNics) {
  Error e = Refused(DeviceKind::kNic, "eth9");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(),
            "--nic: no network interface named eth9; this host has eth0 and eth1 (mintctl "
            "topology lists them)");
}

TEST(PlanDevices, NicCarryingNode0sAddressIsRefused) {
  Error e = Refused(DeviceKind::kNic, "eth0");
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--nic: eth0 carries node0's address 10.0.2.15/24; node0 would lose it: give the "
            "node a NIC node0 does not use, or remove the address first (ip addr flush dev "
            "eth0)");
}

TEST(PlanDevices, NicCarryingNode0sRouteIsRefused) {
  HostBuilder b;
  b.Pci("0000:00:07.0", 0x020000, "virtio-pci", false, true, "Virtio network device")
      .Nic("eth2", "0000:00:07.0", {}, {NetRoute{"10.9.0.0/16", "10.0.2.1", "main", false}});
  Error e = Refused(DeviceKind::kNic, "eth2", b);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--nic: eth2 carries node0's route 10.9.0.0/16 via 10.0.2.1; node0 would lose it: "
            "give the node a NIC node0 does not use, or remove its routes first (ip route flush "
            "dev eth2)");
}

TEST(PlanDevices, RawFunctionCarryingNode0sRouteIsRefused) {
  HostBuilder b;
  b.Pci("0000:00:07.0", 0x020000, "virtio-pci", false, true, "Virtio network device")
      .Nic("eth2", "0000:00:07.0", {}, {NetRoute{"default", "", "main", false}});
  Error e = Refused(DeviceKind::kPci, "0000:00:07.0", b);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:07.0 serves eth2, which carries node0's route default; node0 would "
            "lose it: give the node a NIC node0 does not use, or remove its routes first (ip "
            "route flush dev eth2)");
}

// What is stacked above a NIC counts as the NIC's: node0 loses an address
// or route of a bridge, bond or VLAN when the NIC under it goes.
TEST(PlanDevices, APortOfABridgeWithNode0sAddressIsRefused) {
  HostBuilder b;
  b.Upper("eth1", "br0", "bridge", "eth1", true, {"192.168.1.5/24"});
  Error e = Refused(DeviceKind::kNic, "eth1", b);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--nic: eth1 is a port of br0, which carries node0's address 192.168.1.5/24; node0 "
            "would lose it: give the node a NIC node0 does not use, or take eth1 out of br0 "
            "first (ip link set eth1 nomaster)");
  // The same function asked for by address says what it serves.
  e = Refused(DeviceKind::kPci, "0000:00:05.0", b);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:05.0 serves eth1, which is a port of br0, which carries node0's "
            "address 192.168.1.5/24; node0 would lose it: give the node a NIC node0 does not "
            "use, or take eth1 out of br0 first (ip link set eth1 nomaster)");
}

TEST(PlanDevices, TheParentOfAVlanWithNode0sAddressIsRefused) {
  HostBuilder b;
  b.Upper("eth1", "eth1.100", "vlan", "eth1", false, {"2001:db8:1::5/64"});
  EXPECT_EQ(Refused(DeviceKind::kNic, "eth1", b).ToString(),
            "--nic: eth1 is the lower device of eth1.100 (vlan), which carries node0's address "
            "2001:db8:1::5/64; node0 would lose it: give the node a NIC node0 does not use, or "
            "delete eth1.100 first (ip link del eth1.100)");
}

// A bond member whose bond has no address but a VLAN on the bond has a
// route in a policy-routing table: the whole chain is named, and the table.
TEST(PlanDevices, AChainUpToARouteInAnotherTableIsNamed) {
  HostBuilder b;
  b.Upper("eth1", "bond0", "bond", "eth1", true)
      .Upper("eth1", "bond0.7", "vlan", "bond0", false, {},
             {NetRoute{"10.50.0.0/16", "", "100", false}});
  EXPECT_EQ(Refused(DeviceKind::kNic, "eth1", b).ToString(),
            "--nic: eth1 is a port of bond0, which is the lower device of bond0.7 (vlan), which "
            "carries node0's route 10.50.0.0/16 table 100; node0 would lose it: give the node a "
            "NIC node0 does not use, or take eth1 out of bond0 first (ip link set eth1 "
            "nomaster)");
}

TEST(PlanDevices, ARouteInAnotherTableOrFamilySaysHowToFlushIt) {
  HostBuilder b;
  b.Pci("0000:00:07.0", 0x020000, "virtio-pci", false, true, "Virtio network device")
      .Nic("eth2", "0000:00:07.0", {}, {NetRoute{"2001:db8:9::/48", "fe80::1", "200", true}});
  EXPECT_EQ(Refused(DeviceKind::kNic, "eth2", b).ToString(),
            "--nic: eth2 carries node0's route 2001:db8:9::/48 via fe80::1 table 200; node0 "
            "would lose it: give the node a NIC node0 does not use, or remove its routes first "
            "(ip -6 route flush dev eth2 table 200)");
}

// A port of a bridge that nothing above has an address or route on is
// free: node0 loses nothing when the NIC goes.
TEST(PlanDevices, APortOfABridgeWithoutAddressesIsFree) {
  HostBuilder b;
  b.Upper("eth1", "br1", "bridge", "eth1", true).Upper("eth1", "br1.5", "vlan", "br1", false);
  Plan plan = MustPlan(b.Build(), With(DeviceKind::kNic, "eth1"));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].bdf, Bdf("0000:00:05.0"));
}

TEST(PlanDevices, ABridgeIsNotANic) {
  HostBuilder b;
  b.Upper("eth1", "br0", "bridge", "eth1", true);
  Error e = Refused(DeviceKind::kNic, "br0", b);
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--nic: br0 is a bridge on eth1, not a NIC; a node takes a whole PCI NIC: give it "
            "one node0 does not use (mintctl topology lists them)");
}

// A disk or NIC a node owns is gone from node0's /sys: the refusal says
// who has which function, so "no disk named sdb" is not a mystery.
TEST(PlanDevices, MissingDiskNamesTheControllersNodesOwn) {
  HostBuilder b;
  b.Node(2, "node2", "5", {"0000:00:04.0", "0000:00:05.0"});
  HostTopology host = b.Build();
  host.disks.erase(host.disks.begin() + 2);  // sdc went with 0000:00:04.0
  host.nics.pop_back();                      // and eth1 with 0000:00:05.0
  Error e = Refusal(host, With(DeviceKind::kDisk, "sdc"));
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(),
            "--disk: no disk named sdc; this host has sda and sdb (mintctl topology lists them); "
            "node2 owns 0000:00:04.0 (Virtio block device), whose disks node0 no longer sees");
  e = Refusal(host, With(DeviceKind::kNic, "eth1"));
  EXPECT_EQ(e.ToString(),
            "--nic: no network interface named eth1; this host has eth0 (mintctl topology lists "
            "them); node2 owns 0000:00:05.0 (Virtio network device), whose interface node0 no "
            "longer sees");
}

TEST(PlanDevices, NicWithoutPciFunctionIsRefused) {
  Error e = Refused(DeviceKind::kNic, "br0", HostBuilder().Nic("br0", nullptr));
  EXPECT_EQ(e.ToString(),
            "--nic: br0 is not on a PCI function (a virtual interface?); only a NIC that is a "
            "PCI function can be given to a node");
}

TEST(PlanDevices, MalformedBdfIsRefused) {
  Error e = Refused(DeviceKind::kPci, "3:0");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--pci: not a PCI address; write DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. "
            "0000:03:00.0 (as lspci -D prints it)");
}

TEST(PlanDevices, UnknownBdfIsRefused) {
  Error e = Refused(DeviceKind::kPci, "0000:09:00.0");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.ToString(),
            "--pci: no PCI function 0000:09:00.0 on this host; lspci -D (or mintctl topology) "
            "lists them");
}

TEST(PlanDevices, HostBridgeIsRefused) {
  Error e = Refused(DeviceKind::kPci, "0000:00:00.0");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:00.0 is a host bridge; bridges stay with node0: give the node an "
            "endpoint device");
}

TEST(PlanDevices, PciBridgeIsRefused) {
  HostBuilder b;
  b.Pci("0000:00:1c.0", 0x060400, "pcieport", true, false, "PCI bridge");
  Error e = Refused(DeviceKind::kPci, "0000:00:1c.0", b);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:1c.0 is a PCI bridge; bridges stay with node0: give the node an "
            "endpoint device");
}

TEST(PlanDevices, DeviceWithoutMsiIsRefused) {
  Error e = Refused(DeviceKind::kPci, "0000:00:06.0");
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:06.0 (Old device) has neither MSI nor MSI-X; a node takes device "
            "interrupts only as MSI, so give it a device that has them");
}

TEST(PlanDevices, DiskOnAControllerWithoutMsiIsRefused) {
  Error e = Refused(DeviceKind::kDisk, "sdf", HostBuilder().Disk("sdf", "0000:00:06.0"));
  EXPECT_EQ(e.ToString(),
            "--disk: 0000:00:06.0 (Old device) has neither MSI nor MSI-X; a node takes device "
            "interrupts only as MSI, so give it a device that has them");
}

TEST(PlanDevices, DeviceOfAnotherNodeIsRefusedNamingIt) {
  Error e =
      Refused(DeviceKind::kDisk, "sdb", HostBuilder().Node(2, "node2", "4-5", {"0000:00:03.0"}));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--disk: 0000:00:03.0 belongs to node2; give the node another device or destroy "
            "node2 first");
}

TEST(PlanDevices, SameFunctionTwiceIsRefused) {
  NodeSpec spec = With(DeviceKind::kDisk, "sdb");
  AddDevice(spec, DeviceKind::kPci, "0000:00:03.0");
  Error e = Refusal(HostBuilder().Build(), spec);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:03.0 is asked for twice (--disk sdb and --pci 0000:00:03.0); name "
            "each PCI function once");
}

TEST(PlanDevices, RawFunctionServingNode0sRootDiskIsRefused) {
  Error e = Refused(DeviceKind::kPci, "0000:00:1f.2");
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:1f.2 serves sda, whose sda1 is mounted at / in node0; give the node "
            "another disk");
}

TEST(PlanDevices, RawFunctionCarryingNode0sAddressIsRefused) {
  Error e = Refused(DeviceKind::kPci, "0000:00:02.0");
  EXPECT_EQ(e.ToString(),
            "--pci: 0000:00:02.0 serves eth0, which carries node0's address 10.0.2.15/24; node0 "
            "would lose it: give the node a NIC node0 does not use, or remove the address first "
            "(ip addr flush dev eth0)");
}

TEST(PlanDevices, DevicesWithoutEcamAreRefused) {
  Error e = Refusal(HostBuilder().NoEcam().Build(), With(DeviceKind::kDisk, "sdb"));
  EXPECT_EQ(e.code, ErrorCode::kUnsupported);
  EXPECT_EQ(e.ToString(),
            "--disk: this host shows no PCI MMCONFIG (ECAM) window in /proc/iomem, and a node "
            "reaches its devices only through ECAM; boot the node without devices");
}

}  // namespace
}  // namespace mint::testing
