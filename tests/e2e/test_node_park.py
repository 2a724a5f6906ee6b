"""e2e (issue 11): node0 reuses nothing of a node before each of its CPUs
confirmed, by NMI, that it left VMX/SVM and parked. One lab boot, in name
order:

  1. node1 runs a KVM guest spinning in its vCPU (a user other than root
     reads 0 for the start of each of its memory ranges and cannot read its
     console; `echo 1 > online` for one of its CPUs is refused and node1
     carries on); `mintctl kill node1`
     parks both CPUs (node0's log says so, with the time it took), then
     destroy gives back every CPU and byte of pool, and node0's log has no
     WARN or BUG;
  2. node2 boots with mint_test_ignore_park=1 (its second CPU ignores the
     park NMI, as a wedged CPU would): `mintctl kill node2` fails, naming
     the quarantine; node2 is failed with that CPU named; `mintctl destroy
     node2` is refused and its memory stays out of the pool and its CPUs
     offline; node0 keeps working, and node3 boots on the CPUs that are
     left, runs a command and is destroyed cleanly."""

import re
import time

from labmachine import LabTestCase

MINT = "/sys/kernel/mint"
SNAPSHOT = ("echo online=$(cat /sys/devices/system/cpu/online) "
            "free=$(cat %s/pool_free)" % MINT)
# busybox su as root asks no password; the lab's node0 has no passwd file.
USERS = ("[ -e /etc/passwd ] || printf 'root:x:0:0::/:/bin/sh\\n' > /etc/passwd; "
         "grep -q ^nobody: /etc/passwd || echo 'nobody:x:65534:65534::/:/bin/sh' >> /etc/passwd")


def as_nobody(command):
    return "su -s /bin/sh nobody -c '%s'" % command
SPIN = "sh -c 'while :; do :; done > /dev/null 2>&1 < /dev/null &'"


def parse(text):
    return dict(kv.split("=", 1) for kv in text.split())


class NodeParkTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        cls.baseline = parse(cls._node0(SNAPSHOT))
        cls._node0(USERS)

    def node_id(self, name):
        out = self.run_ok("grep -lx %s %s/nodes/*/name" % (name, MINT))
        return re.search(r"nodes/(\d+)/name", out).group(1)

    def wait_guest(self, node, guest, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            status, out = self.m.run("mintctl vm exec %s %s --timeout 120 -- true"
                                     % (node, guest), 240)
            if status == 0:
                return
            self.assertLess(time.monotonic(), deadline,
                            "guest %s in %s never answered: %s" % (guest, node, out))
            time.sleep(2)

    def test_1_a_node_running_a_guest_parks_before_anything_is_reused(self):
        self.run_ok("mintctl boot node1 --cores 2 --mem 1G --kvm", 600)
        self.run_ok("mintctl vm start node1 g1 --mem 128M", 300)
        self.wait_guest("node1", "g1")
        self.run_ok("mintctl vm exec node1 g1 --timeout 20 -- %s" % SPIN, 120)
        self.assertIn("running", self.run_ok("mintctl vm list node1"))
        nid = self.node_id("node1")
        # Where node1's RAM is in physical memory, and its console, are root's.
        memory = self.run_ok("cat %s/nodes/%s/memory" % (MINT, nid)).split()
        hidden = self.run_ok(as_nobody("cat %s/nodes/%s/memory" % (MINT, nid))).split()
        self.assertEqual(hidden[0::2], ["0x0"] * (len(memory) // 2))
        self.assertEqual(hidden[1::2], memory[1::2])
        status, out = self.m.run(as_nobody("cat %s/nodes/%s/console" % (MINT, nid)))
        self.assertNotEqual(status, 0, out)
        self.assertIn("Permission denied", out)
        # node0 cannot take a CPU back while node1 has it.
        cpu = self.run_ok("cat %s/nodes/%s/cpus" % (MINT, nid)).strip().split("-")[0]
        status, out = self.m.run("echo 1 > /sys/devices/system/cpu/cpu%s/online" % cpu)
        self.assertNotEqual(status, 0, out)
        self.assertIn("CPU %s belongs to node %s; destroy the node to get it back" % (cpu, nid),
                      self.run_ok("dmesg"))
        self.assertEqual(self.run_ok("mintctl exec node1 -- echo alive").strip(), "alive")
        self.run_ok("dmesg -c > /dev/null")

        self.run_ok("mintctl kill node1", 120)
        log = self.run_ok("dmesg")
        parked = re.search(r"node %s \(node1\): 2 CPU\(s\) parked in (\d+) us, then INIT" % nid,
                           log)
        self.assertIsNotNone(parked, log)
        self.assertEqual(self.run_ok("cat %s/nodes/%s/state" % (MINT, nid)).strip(), "stopped")

        self.run_ok("mintctl destroy node1", 300)
        self.assertEqual(parse(self.run_ok(SNAPSHOT)), self.baseline)
        log = self.run_ok("dmesg")
        self.assertIn("node %s (node1): destroyed, CPUs and memory returned" % nid, log)
        self.assertNotRegex(log, r"WARNING|BUG|Call Trace")
        print("node1 with a KVM guest running: its 2 CPUs parked in %s us"
              % parked.group(1))

    def test_2_a_cpu_that_never_parks_keeps_the_node_quarantined(self):
        self.run_ok("mintctl boot node2 --cores 2 --mem 512M --cmdline mint_test_ignore_park=1",
                    300)
        nid = self.node_id("node2")
        before = parse(self.run_ok(SNAPSHOT))
        cpus = self.run_ok("cat %s/nodes/%s/cpus" % (MINT, nid)).strip()

        status, out = self.m.run("mintctl kill node2", 120)
        self.assertNotEqual(status, 0, out)
        self.assertIn("did not confirm it parked, so its memory, CPUs and devices stay "
                      "quarantined", out)
        self.assertEqual(self.run_ok("cat %s/nodes/%s/state" % (MINT, nid)).strip(), "failed")
        reason = self.run_ok("cat %s/nodes/%s/reason" % (MINT, nid)).strip()
        self.assertRegex(reason, r"^CPU \d+ \(APIC \d+\) did not park within 1000 ms: "
                                 r"memory quarantined$")
        self.assertIn(reason, self.run_ok("mintctl status"))

        status, out = self.m.run("mintctl destroy node2", 120)
        self.assertNotEqual(status, 0, out)
        self.assertIn("stay quarantined", out)
        self.assertIn("node %s (node2): not destroyed: its CPUs did not all park"
                      % nid, self.run_ok("dmesg"))
        # Nothing of node2 came back.
        self.assertEqual(parse(self.run_ok(SNAPSHOT)), before)
        self.assertEqual(self.run_ok("cat %s/nodes/%s/cpus" % (MINT, nid)).strip(), cpus)

        # node0 is fine, and so is a node on the CPUs that are left.
        self.run_ok("mintctl boot node3 --cores 2 --mem 256M", 300)
        self.assertEqual(self.run_ok("mintctl exec node3 -- echo hello").strip(), "hello")
        self.run_ok("mintctl stop node3", 120)
        self.run_ok("mintctl destroy node3", 120)
        self.assertEqual(parse(self.run_ok(SNAPSHOT)), before)
        self.assertNotRegex(self.run_ok("dmesg"), r"WARNING|BUG|Call Trace")
