"""e2e (issue 13): while node0 remaps interrupts, no node is given a device.
The lab boots with the IOMMU's interrupt remapping on (intel-iommu
intremap=on; node0 stays in xAPIC mode under QEMU 7.2's TCG). A node's
drivers program plain-format MSIs, which interrupt remapping blocks, so:

  1. node0's log says interrupt remapping is on;
  2. `mintctl boot node1 --disk sdb` fails with the kernel's reason (the
     function, interrupt remapping, intremap=off), and the host is exactly
     as before: CPUs, pool, nodes, sdb on its driver in node0;
  3. a node with no device boots, runs a command and is destroyed."""

from labmachine import LabTestCase

SNAPSHOT = ("echo online=$(cat /sys/devices/system/cpu/online) "
            "free=$(cat /sys/kernel/mint/pool_free) "
            "nodes=$(ls /sys/kernel/mint/nodes | tr '\\n' ,) "
            "sdb=$(basename $(readlink /sys/bus/pci/devices/0000:01:00.0/driver))")


class NodeIntremapTest(LabTestCase):
    interrupt_remapping = True

    def test_1_node0_remaps_interrupts(self):
        self.assertRegex(self.run_ok("dmesg"), r"DMAR-IR: Enabled IRQ remapping in (xapic|x2apic) mode")

    def test_2_a_node_with_a_device_is_refused_and_nothing_changes(self):
        before = self.run_ok(SNAPSHOT)
        status, out = self.m.run("mintctl boot node1 --cores 1 --mem 256M --disk sdb", 300)
        self.assertNotEqual(status, 0, out)
        log = self.run_ok("dmesg")
        self.assertIn("refused: node0 remaps interrupts, which blocks the plain-format MSIs a "
                      "node programs, so its interrupts could not reach the node; boot node0 "
                      "with intremap=off", log)
        self.assertIn("0000:01:00.0", out)
        self.assertEqual(self.run_ok(SNAPSHOT), before)
        self.run_ok("test -b /dev/sdb")

    def test_3_a_node_without_devices_runs(self):
        self.run_ok("mintctl boot node1 --cores 1 --mem 256M", 300)
        self.assertEqual(self.run_ok("mintctl exec node1 -- echo up", 120).strip(), "up")
        self.run_ok("mintctl stop node1 && mintctl destroy node1", 300)
