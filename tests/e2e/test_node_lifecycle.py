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
  4b. `mintctl watch` run as mint-watch.service runs it (own session, no
     terminal, stdin /dev/null, output to a file like the journal): node1
     (on_crash stop) crashes and is left crashed, node2 (on_crash restart)
     crashes and is restarted, its spent restart kept in /run/mint/watch
     for the next watcher; SIGTERM ends each watcher at once with status 0;
  4c. `mintctl console -f node2` follows node2 across a crash and restart;
  5. destroy after a clean stop (node2), a crash (node1), a hang and a
     failed boot (node3) gives every CPU, byte of pool, disk and recipe back;
  6. a mintctl SIGKILLed between NODE_CREATE and NODE_START leaves a node
     `mintctl recover` (and, automatically, the next boot) tears down.

Measured and printed: crash-detection latency (exec of the crash to
`crashed` in sysfs, an upper bound) and restart time (mintctl restart to
running and to agent ready)."""

import json
import re
import shlex
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
    def wait_until(self, condition, seconds, what, show="/tmp/watch.log"):
        """Polls the shell condition in node0 every 0.1 s; fails the test
        (showing the file `show`) unless it holds within `seconds`."""
        self.run_ok("i=0; until %s; do i=$((i+1)); [ $i -gt %d ] && { echo %s; cat %s; exit 1; "
                    "}; usleep 100000; done"
                    % (condition, seconds * 10,
                       shlex.quote("timed out after %d s waiting for %s" % (seconds, what)), show),
                    seconds + 60)

    def start_watch_daemon(self):
        """`mintctl watch` as mint-watch.service runs it: its own session
        without a terminal, stdin /dev/null, stdout and stderr to one file
        (the journal). A wrapper shell keeps its exit status in
        /tmp/watch.rc; returns its pid."""
        self.run_ok("rm -f /tmp/watch.log /tmp/watch.pid /tmp/watch.rc; "
                    "setsid sh -c 'mintctl watch --interval 100 < /dev/null > /tmp/watch.log 2>&1 "
                    "& echo $! > /tmp/watch.pid; wait $!; echo $? > /tmp/watch.rc' "
                    "< /dev/null > /dev/null 2>&1 &")
        try:
            self.wait_until("[ -s /tmp/watch.pid ]", 10, "the watcher's pid")
            pid = int(self.run_ok("cat /tmp/watch.pid"))
            # Detached as systemd runs it: no controlling terminal, its own
            # session.
            stat = self.run_ok("cat /proc/%d/stat" % pid).split()
            self.assertEqual(stat[1], "(mintctl)", stat)
            self.assertEqual(stat[6], "0", "the watcher has a controlling terminal: %s" % stat)
            self.assertNotEqual(stat[5], self.run_ok("cut -d' ' -f6 /proc/$$/stat"), stat)
            self.wait_until("grep -q ' node2 is ' /tmp/watch.log", 30, "the watcher's first poll")
        except BaseException:
            self.m.run("kill $(cat /tmp/watch.pid)")  # no watcher acts in later tests
            raise
        return pid

    def stop_watch_daemon(self, pid):
        """SIGTERM, as systemctl stop sends it: the watcher ends at once with
        status 0 and says so last."""
        out = self.run_ok("t0=$(%s); kill -TERM %d; i=0; until [ -s /tmp/watch.rc ]; do "
                          "i=$((i+1)); [ $i -gt 1000 ] && { echo 'watch still runs 10 s after "
                          "SIGTERM'; cat /tmp/watch.log; exit 1; }; usleep 10000; done; "
                          "echo \"rc=$(cat /tmp/watch.rc) t0=$t0 t1=$(%s)\""
                          % (UPTIME, pid, UPTIME), 60)
        m = re.search(r"rc=(\d+) t0=([\d.]+) t1=([\d.]+)$", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), 0, self.run_ok("cat /tmp/watch.log"))
        took = float(m.group(3)) - float(m.group(2))
        sys.stderr.write("mintctl watch ended %.2f s after SIGTERM\n" % took)
        self.assertLess(took, 2.0)
        self.assertEqual(self.m.run("kill -0 %d" % pid)[0], 1)
        log = self.run_ok("cat /tmp/watch.log")
        self.assertRegex(log.splitlines()[-1], r"^\d\d:\d\d:\d\d\.\d{3} watch ends$")
        return log

    def test_4b_watch_daemon_restarts_on_crash_restart_and_leaves_on_crash_stop(self):
        budget = "/run/mint/watch/node2.json"
        self.run_ok("[ ! -e %s ]" % budget)
        pid = self.start_watch_daemon()
        try:
            self.wait_until("grep -q ' node1 is running; on_crash stop$' /tmp/watch.log", 30,
                            "node1's policy line")
            # node1 (on_crash stop) first: watch must leave it crashed, and it
            # must still be crashed after watch restarted node2 (dozens of
            # polls later), with no second action on it.
            self.crash("node1")
            self.wait_until("grep -q 'node1: on_crash stop: ' /tmp/watch.log", 30,
                            "watch's on_crash stop of node1")
            self.crash("node2")
            self.wait_until("grep -q 'node2: [a-z]* -> running' /tmp/watch.log", 240,
                            "watch's restart of node2")
            self.wait_until("[ \"$(cat %s/nodes/2/agent)\" = ready ]" % MINT, 120,
                            "node2's agent after watch's restart")
            self.assertEqual(self.run_ok("mintctl exec node2 -- uname -n"), "node2")
            # `node2: crashed -> running` is the poll after the restart (which
            # waited for node2's agent): it looked at node1 too.
            self.assertEqual(self.run_ok("cat %s/nodes/1/state" % MINT), "crashed")
            self.assertEqual(self.run_ok("cat %s/nodes/1/reason" % MINT), PANIC_REASON)
            self.assertEqual(json.loads(self.run_ok("cat %s" % budget)),
                             {"version": 1, "node": "node2", "id": 2, "restarts": 1})
            self.run_ok("[ ! -e /run/mint/watch/node1.json ]")
        finally:
            log = self.stop_watch_daemon(pid)
        sys.stderr.write("mintctl watch (daemon):\n%s\n" % log)
        events = [line.split(" ", 1)[1] for line in log.splitlines()]
        self.assertRegex(events[0], r"^watching /sys/kernel/mint every 100 ms")
        self.assertIn("node1 is running; on_crash stop", events)
        self.assertIn("node2 is running; on_crash restart, restart budget 3", events)
        node1 = [e for e in events if e.startswith("node1")]
        self.assertEqual(node1, [
            "node1 is running; on_crash stop",
            "node1: running -> crashed (%s)" % PANIC_REASON,
            "node1: on_crash stop: left crashed; mintctl destroy node1 frees it"])
        node2 = [e for e in events if e.startswith("node2")]
        self.assertEqual(node2[:4], [
            "node2 is running; on_crash restart, restart budget 3",
            "node2: running -> crashed (%s)" % PANIC_REASON,
            "node2: on_crash restart: restarted (1 of 3)",
            node2[3]])
        self.assertRegex(node2[3], r"^node2: crashed -> running \([\d.]+ s after the restart\)$")
        self.assertEqual(len(node2), 4, node2)
        # Each line is out when it happens (the journal stamps lines as they
        # come): the crash's before the restart (which waits for node2's
        # agent), and the restart's time is all of it.
        stamps = {e: line.split(" ", 1)[0] for line, e in zip(log.splitlines(), events)}

        def seconds(event):
            h, m, sec = stamps[event].split(":")
            return int(h) * 3600 + int(m) * 60 + float(sec)
        took = (seconds(node2[2]) - seconds(node2[1])) % 86400  # UTC times of day
        sys.stderr.write("watch: node2's crash line to its restarted line %.1f s; %s\n"
                         % (took, node2[3]))
        self.assertGreater(took, 1.0)
        self.assertGreaterEqual(float(re.search(r"\(([\d.]+) s", node2[3]).group(1)) + 0.2, took)

        # A new watcher (systemd's Restart=on-failure, a reboot of the unit)
        # goes on from the spent restart kept in /run/mint/watch.
        pid = self.start_watch_daemon()
        log = self.stop_watch_daemon(pid)
        self.assertRegex(log, r"(?m) node2 is running; on_crash restart, restart budget 3 "
                              r"\(1 used\)$")
        self.assertRegex(log, r"(?m) node1 is crashed \(%s\); on_crash stop$"
                         % re.escape(PANIC_REASON))
        self.assertEqual(self.run_ok("cat %s/nodes/1/state" % MINT), "crashed")
        # Test 5 destroys node1 after a crash of its own: bring it back.
        self.restart("node1")

    # 4c -----------------------------------------------------------------------
    def test_4c_console_follow_goes_on_across_a_restart(self):
        mark = "mintctl exec node2 -- sh -c 'echo %s > /dev/kmsg'"
        self.run_ok("rm -f /tmp/cf.log; mintctl console -f node2 > /tmp/cf.log 2>&1 & "
                    "echo $! > /tmp/cf.pid")
        pid = int(self.run_ok("cat /tmp/cf.pid"))
        try:
            self.run_ok(mark % "MINT-CF-MARK1")
            self.wait_until("grep -q MINT-CF-MARK1 /tmp/cf.log", 30, "the first mark",
                            "/tmp/cf.log")
            self.crash("node2")
            self.restart("node2")
            self.run_ok(mark % "MINT-CF-MARK2")
            self.wait_until("grep -q MINT-CF-MARK2 /tmp/cf.log", 30, "the mark after the restart",
                            "/tmp/cf.log")
            self.run_ok("kill -0 %d" % pid)
            # mintctl restart gives the node a fresh restart budget.
            self.run_ok("[ ! -e /run/mint/watch/node2.json ]")
        finally:
            self.m.run("kill %d" % pid)
        self.wait_until("! kill -0 %d 2>/dev/null" % pid, 10, "the follower's end", "/tmp/cf.log")
        log = self.run_ok("cat /tmp/cf.log")
        # Both boots' banners, the panic between the marks, each once.
        banners = [m.start() for m in re.finditer(r"\] Linux version ", log)]
        self.assertEqual(len(banners), 2, log[-6000:])
        for what in ("MINT-CF-MARK1", "Kernel panic - not syncing: sysrq triggered crash",
                     "MINT-CF-MARK2"):
            self.assertEqual(log.count(what), 1, "%r in:\n%s" % (what, log[-6000:]))
        self.assertLess(banners[0], log.index("MINT-CF-MARK1"))
        self.assertLess(log.index("MINT-CF-MARK1"), log.index("Kernel panic - not syncing"))
        self.assertLess(log.index("Kernel panic - not syncing"), banners[1])
        self.assertLess(banners[1], log.index("MINT-CF-MARK2"))

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
