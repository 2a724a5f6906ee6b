"""e2e (issue 13): the lab as most servers run, the server profile
(lab/mint-lab --machine server: QEMU 10 from bookworm-backports,
intel-iommu intremap=on,eim=on, single-threaded TCG): node0 in x2APIC mode
with interrupt remapping. Two lab boots:

  ServerNodesTest
    1. node0's log shows x2APIC with interrupt remapping;
    2. node1 (its disk and NIC) and node2 (its NIC) boot side by side in
       x2APIC mode, as node0 says in SETUP_MINT, with their MSI-X through
       node0's remapping entries on their own CPUs; node1 reads its disk and
       pings node2, and node1's two CPUs exchange IPIs;
    3. node1 crashes, node2 carries on, node1 restarts and drives its disk;
    4. both are destroyed with every resource back (CPUs online, pool,
       functions on node0's drivers).
  ServerIntremapTest: test_node_intremap's tests on this profile (entries
    pointed at x2APIC ids, another node's entry refused, restart, destroy).
"""

import re

import test_node_intremap
from labmachine import LabTestCase

SNAPSHOT = ("echo online=$(cat /sys/devices/system/cpu/online) "
            "free=$(cat /sys/kernel/mint/pool_free) "
            "nodes=$(ls /sys/kernel/mint/nodes | tr '\\n' ,) "
            "disks=$(cd /sys/block && echo sd* | tr ' ' ,) "
            "drivers=$(for d in /sys/bus/pci/devices/0000:0[1-4]:00.0; do "
            "printf '%s:%s,' ${d##*/} $(basename $(readlink $d/driver) 2>/dev/null || echo -); done)")
CRASH = "sh -c 'echo c > /proc/sysrq-trigger'"
PANIC_REASON = "Kernel panic - not syncing: sysrq triggered crash"


def parse(text):
    return dict(kv.split("=", 1) for kv in text.split())


class ServerNodesTest(LabTestCase):
    machine = "server"

    @classmethod
    def setUpLab(cls):
        cls.baseline = parse(cls._node0(SNAPSHOT))
        status, out = cls._boot_networked_nodes("0000:00:07.0")
        if status != 0:
            raise AssertionError("node0: node1's boot exited %d:\n%s" % (status, out))

    def test_1_node0_runs_x2apic_with_interrupt_remapping(self):
        log = self.run_ok("dmesg")
        self.assertIn("DMAR-IR: Enabled IRQ remapping in x2apic mode", log)
        self.assertIn("x2apic enabled", log)

    def test_2_nodes_run_x2apic_with_their_devices(self):
        for name in ("node1", "node2"):
            log = self.in_node(name, "dmesg")
            self.assertIn("APIC: x2APIC (physical destinations) mode, as node0", log)
            self.assertIn("node0 remaps interrupts: MSIs in VT-d remappable format", log)
            self.assertIn("IR-PCI-MSIX", self.in_node(name, "cat /proc/interrupts"))
        # IPIs between node1's two CPUs, by x2APIC id: rescheduling and
        # function-call interrupts count on both.
        ipis = "grep -E '^ *(RES|CAL):' /proc/interrupts"
        before = self.in_node("node1", ipis)
        self.in_node("node1", "for i in 1 2 3 4 5; do taskset -c 1 true; taskset -c 0 true; "
                     "done; echo 1 > /proc/sys/vm/drop_caches")
        self.assertNotEqual(self.in_node("node1", ipis), before)
        out = self.in_node("node1", "dd if=/dev/sda of=/dev/null bs=1M count=16 iflag=direct")
        self.assertIn("16+0 records in", out)
        out = self.in_node("node1", "i=0; until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do "
                           "i=$((i+1)); [ $i -ge 60 ] && break; done; ping -c 3 -W 2 10.0.0.2", 240)
        self.assertIn("3 packets transmitted, 3 packets received", out)

    def test_3_a_crash_stays_in_its_node_and_a_restart_brings_it_back(self):
        status, out = self.m.run("mintctl exec node1 -- %s" % CRASH, 60)
        self.assertEqual(status, 255, out)
        self.assertIn("the node is now crashed (%s)" % PANIC_REASON, out)
        self.assertEqual(self.in_node("node2", "uname -n").strip(), "node2")
        self.assertIn("node1 restarted", self.run_ok("mintctl restart node1", 300))
        self.assertIn("APIC: x2APIC (physical destinations) mode, as node0",
                      self.in_node("node1", "dmesg"))
        out = self.in_node("node1", "dd if=/dev/sda of=/dev/null bs=1M count=8 iflag=direct")
        self.assertIn("8+0 records in", out)

    def test_4_destroy_gives_everything_back(self):
        mark = int(self.run_ok("dmesg | wc -l"))
        for name in ("node1", "node2"):
            self.run_ok("mintctl stop %s && mintctl destroy %s" % (name, name), 300)
        since = self.run_ok("dmesg | tail -n +%d" % (mark + 1))
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace")
        self.assertRegex(since, r"interrupt remapping entries \d+-\d+ given back")
        self.assertEqual(parse(self.run_ok(SNAPSHOT)), self.baseline)


class ServerIntremapTest(test_node_intremap.NodeIntremapTest):
    machine = "server"
