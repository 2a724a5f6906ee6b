"""e2e (issue 6): failure isolation and the node lifecycle in the lab. One
lab boot; node1 (2 CPUs, with sdb) and node2 (2 CPUs) each run a counter
started through `mintctl exec`, node0 runs its own. The tests run in name
order and build on each other:

  1. node1 panics (sysrq c via exec): status shows it crashed with the panic
     reason at once, and its console the panic's trace with function names
     (kallsyms); node2's heartbeat, node2's counter and node0's counter
     never stopped across the crash (sampled every 0.1 s);
  2. `mintctl restart node1` brings it back on the same resources;
  3. node1 wedged with interrupts off (LKDTM HARDLOCKUP) becomes hung with
     the CPU named; `mintctl kill` + `mintctl restart` bring it back;
  4. 10 crash -> restart cycles: each boots, and node0's free pool, online
     CPUs, every PCI function's driver and node1's device ownership are the
     same before and after;
  5. destroy after a clean stop (node2), a crash (node1), a hang and a
     failed boot (node3) gives every CPU, byte of pool, disk and recipe back;
  6. a mintctl SIGKILLed between NODE_CREATE and NODE_START leaves a node
     `mintctl recover` (and, automatically, the next boot) tears down.

Measured and printed: crash-detection latency (exec of the crash to
`crashed` in sysfs, an upper bound) and restart time (mintctl restart to
running and to agent ready)."""

import re
import statistics
import sys
import time

from labmachine import LabTestCase

UPTIME = "cut -d' ' -f1 /proc/uptime"
MINT = "/sys/kernel/mint"

# What must come back: online CPUs, the free pool, the nodes, every PCI
# function's driver, node1's functions, the boot recipes, node0's disks.
SNAPSHOT = ("echo online=$(cat /sys/devices/system/cpu/online) "
            "free=$(cat /sys/kernel/mint/pool_free) "
            "nodes=$(ls /sys/kernel/mint/nodes | tr '\\n' ,) "
            "owned=$(cat /sys/kernel/mint/nodes/*/devices 2>/dev/null | tr '\\n' ,) "
            "recipes=$(ls /run/mint/nodes 2>/dev/null | tr '\\n' ,) "
            "disks=$(cd /sys/block && echo sd* | tr ' ' ,) "
            "drivers=$(for d in /sys/bus/pci/devices/*; do "
            "printf '%s:%s,' ${d##*/} $(basename $(readlink $d/driver) 2>/dev/null || echo -); "
            "done)")

COUNTER = ("sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/counter; usleep 100000; done "
           "> /dev/null 2>&1 < /dev/null &'")

NODE0_COUNTER = r"""
( i=0; while :; do i=$((i+1)); echo $i > /tmp/n0-counter; usleep 100000; done ) >/dev/null 2>&1 &
sleep 0.5
"""

CRASH = "sh -c 'echo c > /proc/sysrq-trigger'"
# LKDTM HARDLOCKUP (spins with interrupts off) on every CPU of the node, one
# CPU after the other, the last one on CPU 0: the node is wedged whether
# node0 judges hangs per CPU or by the sum of the heartbeats.
HANG = ("sh -c 'mount -t debugfs none /sys/kernel/debug 2>/dev/null; "
        "d=/sys/kernel/debug/provoke-crash/DIRECT; n=$(nproc); i=1; "
        "while [ $i -lt $n ]; do taskset -c $i sh -c \"echo HARDLOCKUP > $d\" & "
        "i=$((i+1)); sleep 0.5; done; taskset -c 0 sh -c \"echo HARDLOCKUP > $d\"'")
PANIC_REASON = "Kernel panic - not syncing: sysrq triggered crash"


def parse(text):
    return dict(kv.split("=", 1) for kv in text.split())


class NodeLifecycleTest(LabTestCase):
    restart_times = []

    @classmethod
    def setUpLab(cls):
        cls.baseline = parse(cls._node0(SNAPSHOT))
        cls._node0(NODE0_COUNTER)
        cls._node0("mintctl boot node1 --cores 2 --mem 512M --disk sdb", 300)
        cls._node0("mintctl boot node2 --cores 2 --mem 512M --on-crash restart", 300)
        for n in ("node1", "node2"):
            cls._node0("mintctl exec %s -- %s" % (n, COUNTER))

    def snapshot(self):
        return parse(self.run_ok(SNAPSHOT))

    def counter(self, node):
        return int(self.run_ok("mintctl exec %s -- cat /tmp/counter" % node).strip())

    def crash(self, node):
        status, out = self.m.run("mintctl exec %s -- %s" % (node, CRASH), 60)
        self.assertEqual(status, 255, out)
        self.assertIn("the node is now crashed (%s)" % PANIC_REASON, out)

    def restart(self, node):
        out = self.run_ok("mintctl restart %s" % node, 300)
        m = re.search(r"%s restarted: started ([\d.]+) s, running ([\d.]+) s, mint-agent ready "
                      r"([\d.]+) s" % node, out)
        self.assertIsNotNone(m, out)
        times = tuple(float(x) for x in m.groups())
        self.restart_times.append(times)
        self.assertEqual(self.run_ok("mintctl exec %s -- uname -n" % node), node)
        return times

    def wait_state(self, node_id, state, seconds=60):
        self.run_ok("i=0; while [ \"$(cat %s/nodes/%d/state)\" != %s ]; do i=$((i+1)); "
                    "[ $i -gt %d ] && { cat %s/nodes/%d/state; exit 1; }; usleep 50000; done"
                    % (MINT, node_id, state, seconds * 20, MINT, node_id), seconds + 30)

    # 1 ------------------------------------------------------------------------
    def test_1_crash_stays_inside_node1(self):
        n2_before = self.counter("node2")
        out = self.run_ok(r"""
c=%s/nodes
( while :; do echo "$(%s) $(cat $c/2/heartbeat) $(cat /tmp/n0-counter) $(cat $c/1/state)"
  usleep 100000; done > /tmp/samples ) & sp=$!
( while [ "$(cat $c/1/state)" != crashed ]; do usleep 2000; done; %s > /tmp/seen ) & wp=$!
sleep 1
ta=$(%s); mintctl exec node1 -- true; tb=$(%s)
t0=$(%s)
mintctl exec node1 -- %s > /dev/null 2> /tmp/crash.err; rc=$?
t1=$(%s)
wait $wp
sleep 2; kill $sp
echo "rc=$rc t0=$t0 t1=$t1 seen=$(cat /tmp/seen) ta=$ta tb=$tb"
cat /tmp/crash.err
""" % (MINT, UPTIME, UPTIME, UPTIME, UPTIME, UPTIME, CRASH, UPTIME), 120)
        m = re.search(r"rc=(\d+) t0=([\d.]+) t1=([\d.]+) seen=([\d.]+) ta=([\d.]+) "
                      r"tb=([\d.]+)", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), 255, out)
        t0, t1, seen, ta, tb = (float(m.group(i)) for i in (2, 3, 4, 5, 6))
        sys.stderr.write("crash detection: `mintctl exec node1 -- sh -c 'echo c > "
                         "/proc/sysrq-trigger'` started at %.2f; sysfs said crashed %.3f s "
                         "later (upper bound: includes exec start-up and the panic itself; a "
                         "whole `mintctl exec node1 -- true` took %.3f s); exec returned after "
                         "%.3f s\n" % (t0, seen - t0, tb - ta, t1 - t0))
        self.assertLess(seen - t0, 5)
        self.assertLess(t1 - t0, 6)
        self.assertIn("mintctl: node1: the node is now crashed (%s)" % PANIC_REASON, out)

        status = self.run_ok("mintctl status")
        self.assertRegex(status, r"(?m)^node1\s+1\s+crashed\s.*\s-\s+absent\s+0\s+%s$"
                         % re.escape(PANIC_REASON))
        self.assertRegex(status, r"(?m)^node2\s+2\s+running\s.*\(alive\)")
        # The end of node1's console ring (the panic's trace) below the table.
        self.assertRegex(status, r"node1 crashed; the last lines of its console \(mintctl "
                                 r"console node1 has all of it\):\n(  \S.*\n){3,12}")
        # The kernel keeps its symbols (CONFIG_KALLSYMS): the panic's trace
        # names the function that panicked, not `? 0xffffffff...`.
        self.assertRegex(self.run_ok("mintctl console node1"),
                         r"(?m)^.*\bsysrq_handle_crash\+0x[0-9a-f]+/0x[0-9a-f]+$")

        samples = [line.split() for line in self.run_ok("cat /tmp/samples").splitlines()]
        samples = [s for s in samples if len(s) == 4]
        # The sampler forks four programs per sample: under TCG on a loaded
        # host that is 0.15-1.5 s a sample, not 0.1 s.
        self.assertGreater(len(samples), 8)
        self.assertIn("crashed", [s[3] for s in samples])
        self.assertEqual(samples[0][3], "running")
        # Across every two samples (>= 0.3 s) node2's heartbeat and node0's
        # counter moved, before, during and after the crash.
        for a, b in zip(samples, samples[2:]):
            self.assertGreater(int(b[1]), int(a[1]), "node2's heartbeat lapsed: %s -> %s" % (a, b))
            self.assertGreater(int(b[2]), int(a[2]), "node0's counter stopped: %s -> %s" % (a, b))
        self.assertGreater(self.counter("node2"), n2_before)

    # 2 ------------------------------------------------------------------------
    def test_2_restart_brings_node1_back_on_the_same_resources(self):
        before = self.run_ok("cat %s/nodes/1/cpus %s/nodes/1/memory %s/nodes/1/devices"
                             % (MINT, MINT, MINT))
        started, running, ready = self.restart("node1")
        sys.stderr.write("restart after a crash: started %.1f s, running %.1f s, agent ready "
                         "%.1f s after `mintctl restart node1`\n" % (started, running, ready))
        after = self.run_ok("cat %s/nodes/1/cpus %s/nodes/1/memory %s/nodes/1/devices"
                            % (MINT, MINT, MINT))
        self.assertEqual(before, after)
        self.assertEqual(self.run_ok("mintctl exec node1 -- nproc"), "2")
        self.run_ok("mintctl exec node1 -- %s" % COUNTER)

    # 3 ------------------------------------------------------------------------
    def test_3_hung_node_is_seen_killed_and_restarted(self):
        # mint.hung_timeout (docs/abi.md), lowered to 2 s for the test and put
        # back only after the kill: a longer deadline restored while the node
        # is wedged would rightly call it running again until the new deadline
        # passes (its CPUs would not have been silent that long yet).
        param = "/sys/module/mint/parameters/hung_timeout"
        old = self.run_ok("cat %s" % param).strip()
        self.run_ok("echo 2 > %s" % param)
        try:
            status, out = self.m.run("t0=$(%s); mintctl exec node1 --timeout 120 -- %s; "
                                     "echo \"rc=$? t0=$t0 t1=$(%s)\"" % (UPTIME, HANG, UPTIME),
                                     200)
            m = re.search(r"rc=(\d+) t0=([\d.]+) t1=([\d.]+)", out)
            self.assertIsNotNone(m, out)
            self.assertEqual(int(m.group(1)), 255, out)
            self.assertRegex(out, r"mintctl: node1: the node is now hung \(heartbeat stopped"
                                  r" on CPU \d+ \(APIC \d+\)(, CPU \d+ \(APIC \d+\))*\); the "
                                  r"command's outcome is unknown; mintctl kill node1 stops it, "
                                  r"mintctl restart node1 boots it again")
            sys.stderr.write("hang: exec of LKDTM HARDLOCKUP returned (node hung) after %.1f s "
                             "(hung_timeout 2 s)\n" % (float(m.group(3)) - float(m.group(2))))
            # exec ends at the first `hung` (the first wedged CPU); the
            # script wedges the others 0.5 s apart. Once all are silent the
            # node stays hung: sampled 8 times over 4 s.
            self.run_ok("sleep 3")
            states = self.run_ok("i=0; while [ $i -lt 8 ]; do cat %s/nodes/1/state; "
                                 "usleep 500000; i=$((i+1)); done" % MINT).split()
            self.assertEqual(states, ["hung"] * 8)
            status = self.run_ok("mintctl status")
            self.assertRegex(status, r"(?m)^node1\s+1\s+hung\s.*\(silent \d+\.\d s\)\s.*"
                                     r"heartbeat stopped on CPU \d+ "
                                     r"\(APIC \d+\)(, CPU \d+ \(APIC \d+\))*$")
            self.assertIn("node2", self.run_ok("mintctl exec node2 -- uname -n"))
            out = self.run_ok("mintctl kill node1")
            self.assertIn("node1 killed (its CPUs are parked)", out)
            self.assertEqual(self.run_ok("cat %s/nodes/1/state" % MINT), "stopped")
        finally:
            self.run_ok("echo %s > %s" % (old, param))
        self.restart("node1")

    # 4 ------------------------------------------------------------------------
    def test_4_ten_crash_restart_cycles(self):
        before = self.snapshot()
        n2 = self.counter("node2")
        for i in range(10):
            self.crash("node1")
            self.restart("node1")
            self.assertEqual(self.snapshot(), before, "after cycle %d" % (i + 1))
        self.assertGreater(self.counter("node2"), n2)
        times = self.restart_times[-10:]
        sys.stderr.write("10 crash->restart cycles: restart to running %s s (median %.1f), to "
                         "agent ready median %.1f s\n"
                         % (", ".join("%.1f" % t[1] for t in times),
                            statistics.median(t[1] for t in times),
                            statistics.median(t[2] for t in times)))

    # 4b -----------------------------------------------------------------------
    def test_4b_watch_restarts_a_node_whose_on_crash_is_restart(self):
        self.run_ok("mintctl watch --interval 100 > /tmp/watch.log 2>&1 & echo $! > /tmp/watch.pid; "
                    "sleep 1")
        try:
            self.crash("node2")
            self.run_ok("i=0; until grep -q 'node2: .* -> running' /tmp/watch.log; do i=$((i+1)); "
                        "[ $i -gt 240 ] && break; sleep 0.5; done; true", 200)
        finally:
            self.run_ok("kill $(cat /tmp/watch.pid); sleep 0.5; true")
        log = self.run_ok("cat /tmp/watch.log")
        sys.stderr.write("mintctl watch:\n%s\n" % log)
        self.assertRegex(log, r"node2 is running; on_crash restart, restart budget 3")
        self.assertRegex(log, r"node2: running -> crashed \(%s\)" % re.escape(PANIC_REASON))
        self.assertRegex(log, r"node2: on_crash restart: restarted \(1 of 3\)")
        self.assertRegex(log, r"node2: \w+ -> running \([\d.]+ s after the restart\)")
        self.assertRegex(log, r"node1 is running; on_crash stop")
        self.run_ok("i=0; until [ \"$(cat %s/nodes/2/agent)\" = ready ]; do i=$((i+1)); "
                    "[ $i -gt 600 ] && exit 1; usleep 100000; done" % MINT, 120)
        self.run_ok("mintctl exec node2 -- true", 120)

    # 5 ------------------------------------------------------------------------
    def boot_node3(self, extra="", expect=0):
        status, out = self.m.run("mintctl boot node3 --cores 2 --mem 512M %s" % extra, 300)
        self.assertEqual(status, expect, out)
        return out

    def test_5_destroy_after_stop_crash_hang_and_failed_boot(self):
        self.assertIn("node2 stopped", self.run_ok("mintctl stop node2"))
        self.run_ok("mintctl destroy node2")
        self.crash("node1")
        out = self.run_ok("mintctl destroy node1")
        self.assertIn("node1 destroyed: CPUs 4-5 back in node0, 1 PCI function(s) given back", out)
        self.assertEqual(self.snapshot(), self.baseline)

        self.boot_node3()
        self.m.run("mintctl exec node3 --timeout 120 -- %s" % HANG, 200)
        self.wait_state(self.node3_id(), "hung")
        self.run_ok("mintctl kill node3 && mintctl destroy node3")
        self.assertEqual(self.snapshot(), self.baseline)

        out = self.boot_node3("--cmdline 'rdinit=/nope init=/nope' --wait 120", expect=3)
        # The node reports running from its last initcall (late_initcall_sync)
        # and panics after it, when it finds no init: mintctl sees it crashed
        # either before running ("failed to boot") or after, waiting for its
        # agent. Both name the panic.
        self.assertRegex(out, r"mintctl: node3: (failed to boot: the node is crashed|the node "
                              r"is crashed) \(Kernel panic - not syncing: VFS: Unable to mount "
                              r"root fs on unknown-block\(0,0\)\)")
        self.run_ok("mintctl destroy node3")
        self.assertEqual(self.snapshot(), self.baseline)

    def node3_id(self):
        out = self.run_ok("grep -l '^node3$' %s/nodes/*/name" % MINT)
        return int(out.split("/")[-2])

    # 6 ------------------------------------------------------------------------
    def kill_boot_half_way(self):
        out = self.run_ok(r"""
mintctl boot node3 --cores 2 --mem 512M --initrd /tmp/big.img --wait 0 > /tmp/kb.out 2>&1 & p=$!
i=0; s=
while [ $i -lt 100000 ]; do
  s=$(cat /sys/kernel/mint/nodes/*/state 2>/dev/null)
  case "$s" in *created*|*loaded*) kill -9 $p; break ;; esac
  i=$((i+1))
done
wait $p; echo "killed-at=$s"
""", 300)
        m = re.search(r"killed-at=(created|loaded)$", out)
        self.assertIsNotNone(m, out + self.run_ok("cat /tmp/kb.out"))
        return m.group(1)

    def test_6_killed_boot_is_recovered(self):
        self.run_ok("dd if=/dev/zero of=/tmp/big.img bs=1M count=200 2>/dev/null")
        state = self.kill_boot_half_way()
        self.assertRegex(self.run_ok("mintctl status"), r"(?m)^node3\s+\d+\s+%s\s" % state)
        out = self.run_ok("mintctl recover")
        self.assertRegex(out, r"node3 \(id \d+\) was left %s by a mintctl that did not finish; "
                              r"tearing it down" % state)
        self.assertEqual(self.snapshot(), self.baseline)
        self.assertEqual(self.run_ok("mintctl recover"),
                         "nothing to recover: no node is left created or loaded, mint's ledger "
                         "lists nothing left to give back, no boot recipe is orphaned")
        # Again, and this time the next mutating mintctl recovers by itself.
        state = self.kill_boot_half_way()
        out = self.boot_node3()
        self.assertRegex(out, r"mintctl: recover: node3 \(id \d+\) was left %s by a mintctl "
                              r"that did not finish; tearing it down" % state)
        self.assertIn("node3 is running", out)
        self.run_ok("mintctl exec node3 -- true")
        self.run_ok("mintctl stop node3 && mintctl destroy node3 && rm -f /tmp/big.img")
        self.assertEqual(self.snapshot(), self.baseline)
