"""e2e (issue 11): node0 sends nothing to a node's CPUs. One lab boot; node1
runs on 2 CPUs (node0 keeps 4). node0 runs ipi_storm.c (built here with the
host's cc, copied into node0 over the console): one thread per node0 CPU,
mmap/munmap in a loop, so every munmap shoots down the TLB of all the other
node0 CPUs with one call-function IPI, the case where node0 used the
all-but-self shorthand. node0's own /proc/interrupts shows the shootdowns;
node1's "Function call interrupts" (CAL) must not rise faster than at idle.
Then: kexec loads (kexec_load and kexec_file_load) are refused while node1
exists; node1's log shows LINT0/LINT1 masked on each of its CPUs; last, with
node1 destroyed and a kexec kernel loaded, booting a node is refused until the
image is unloaded. The lab kernel has no late microcode loading and no
suspend (kernel-patches/mint.config), so those refusals are not exercised."""

import base64
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

from labmachine import LabTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
# Per thread: about 25 s under TCG for node0's four threads (20000 took 106 s).
ROUNDS = 5000
KEXEC_ARGS = "/boot/mint/bzImage --initrd=/boot/mint/node-initrd.img --append=console=ttyS0"


def build_storm():
    """ipi_storm.c with the host's cc (node0's initramfs has the host's libc)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "ipi_storm")
        subprocess.run(["cc", "-O2", "-pthread", "-s", "-o", out,
                        os.path.join(HERE, "ipi_storm.c")], check=True)
        with open(out, "rb") as f:
            return f.read()


def interrupts(text):
    """/proc/interrupts -> {row name: [count per CPU]} for its named rows."""
    lines = text.strip("\n").split("\n")
    ncpu = len(lines[0].split())
    rows = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if len(fields) >= ncpu and all(f.isdigit() for f in fields[:ncpu]):
            rows[name.strip()] = [int(f) for f in fields[:ncpu]]
    return rows


class Node0IpisTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        blob = base64.b64encode(gzip.compress(build_storm())).decode()
        cls._node0("printf %%s '%s' | base64 -d | gunzip > /tmp/ipi_storm && "
                   "chmod +x /tmp/ipi_storm" % blob)
        cls._node0("mintctl boot node1 --cores 2 --mem 512M", 300)

    def node1_irqs(self):
        out = self.run_ok("mintctl exec node1 -- cat /proc/interrupts")
        return time.monotonic(), interrupts(out)

    def node0_irqs(self):
        return interrupts(self.run_ok("cat /proc/interrupts"))

    def test_1_node0_runs_without_broadcast_shorthands(self):
        log = self.run_ok("dmesg | grep -i 'shorthand'")
        self.assertIn("mint: IPI broadcast shorthands off: the pool's nodes run on CPUs "
                      "node0 must not interrupt", log)
        self.assertIn("IPI shorthand broadcast: disabled", log)

    def test_2_node0_shootdowns_do_not_reach_node1(self):
        cpus = self.run_ok("cat /sys/devices/system/cpu/online")
        self.assertEqual(cpus, "0-3")
        # The storm: node0's TLB shootdowns, and node1's CAL while they run.
        n0_before = self.node0_irqs()
        t0, n1_before = self.node1_irqs()
        out = self.run_ok("/tmp/ipi_storm %d" % ROUNDS, 600)
        t1, n1_storm = self.node1_irqs()
        n0_after = self.node0_irqs()
        self.assertEqual(out, "rounds %d threads 4" % ROUNDS)
        storm_s = t1 - t0
        # Idle: the same window with node0 doing nothing (a measurement
        # window as long as the storm took, not a wait for a condition).
        self.run_ok("sleep %d" % max(1, round(storm_s)), 600)
        t2, n1_idle = self.node1_irqs()
        idle_s = t2 - t1

        tlb0 = [a - b for a, b in zip(n0_after["TLB"], n0_before["TLB"])]
        cal0 = [a - b for a, b in zip(n0_after["CAL"], n0_before["CAL"])]
        rates = {}
        for row in ("CAL", "TLB", "RES"):
            storm = sum(n1_storm[row]) - sum(n1_before[row])
            idle = sum(n1_idle[row]) - sum(n1_storm[row])
            rates[row] = (storm / storm_s, idle / idle_s, storm, idle)
        sys.stderr.write(
            "node0 storm %.1f s: node0 TLB +%s CAL +%s per CPU; node1 during the storm / "
            "at idle (%.1f s): %s\n" % (
                storm_s, tlb0, cal0, idle_s,
                ", ".join("%s %d (%.1f/s) / %d (%.1f/s)" % (r, v[2], v[0], v[3], v[1])
                          for r, v in rates.items())))
        # node0 really shot down its other CPUs' TLBs, on every CPU (about
        # ROUNDS / 3 each: a remote CPU takes the flush only while it runs a
        # thread of the storm's mm, not lazily).
        for cpu, n in enumerate(tlb0):
            self.assertGreaterEqual(n, ROUNDS // 10, "node0 CPU %d got only %d TLB "
                                    "shootdowns" % (cpu, n))
        # node1 saw none of it: no faster than idle (+1/s for TCG jitter).
        for row, (storm_rate, idle_rate, storm, idle) in rates.items():
            self.assertLessEqual(storm_rate, 2 * idle_rate + 1.0,
                                 "node1's %s rose %d in %.1f s of node0 shootdowns, %d in "
                                 "%.1f s of idle" % (row, storm, storm_s, idle, idle_s))

    def test_3_kexec_load_is_refused_while_a_node_exists(self):
        for flags in ("-l", "-s -l"):
            status, out = self.m.run("kexec %s %s" % (flags, KEXEC_ARGS), 120)
            self.assertNotEqual(status, 0, "kexec %s loaded with node1 running:\n%s"
                                % (flags, out))
        log = self.run_ok("dmesg | grep 'load refused'; true")
        self.assertEqual(log.count("mint: kexec kernel load refused: node 1 (node1) runs on "
                                   "CPUs a new kernel would start again; destroy every node "
                                   "first"), 2, log)
        self.assertEqual(self.run_ok("cat /sys/kernel/kexec_loaded"), "0")

    def test_4_node1_masks_lint0_and_lint1_on_each_cpu(self):
        console = self.run_ok("cat /sys/kernel/mint/nodes/1/console")
        masked = re.findall(r"mint: CPU (\d+): LINT0 (0x[0-9a-f]+) LINT1 (0x[0-9a-f]+)",
                            console)
        self.assertEqual(sorted(c for c, _, _ in masked), ["0", "1"], console[-3000:])
        sys.stderr.write("node1: %s\n" % ", ".join("CPU %s LINT0 %s LINT1 %s" % m
                                                    for m in masked))
        for cpu, lint0, lint1 in masked:
            self.assertTrue(int(lint0, 16) & 0x10000 and int(lint1, 16) & 0x10000,
                            "node1 CPU %s: LINT0 %s LINT1 %s" % (cpu, lint0, lint1))

    def test_5_no_node_while_a_kexec_kernel_is_loaded(self):
        self.run_ok("mintctl kill node1 && mintctl destroy node1", 300)
        self.run_ok("kexec -l %s" % KEXEC_ARGS, 120)
        try:
            self.assertEqual(self.run_ok("cat /sys/kernel/kexec_loaded"), "1")
            status, out = self.m.run("mintctl boot node1 --cores 2 --mem 512M", 300)
            self.assertNotEqual(status, 0, out)
            self.assertIn("mint: node 1: refused while a kexec or crash kernel is loaded (it "
                          "would start the node's CPUs); unload it with kexec -u or kexec -p "
                          "-u first", self.run_ok("dmesg | grep 'mint: node 1: '"))
            self.assertEqual(self.run_ok("cat /sys/devices/system/cpu/online"), "0-5")
        finally:
            self.run_ok("kexec -u", 120)
        self.run_ok("mintctl boot node1 --cores 2 --mem 512M", 300)
        self.run_ok("mintctl kill node1 && mintctl destroy node1", 300)
