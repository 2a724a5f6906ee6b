"""e2e (issue 6): `mintctl exec` runs commands in a node through its
mint-agent and the message channel. One lab boot; node1 boots with
`mintctl boot` (which now waits for the agent to be ready). The tests run in
name order: the node's wall clock is node0's, output and exit status (incl. 128+signal, 127 for a missing
program, stderr kept apart), 1 MiB of output intact, --timeout kills the
command in the node, a mintctl killed mid-command has its command killed in
the node, several execs to two nodes at once, `mintctl ping` times round
trips to the agent (and refuses a node that is not running), `exec -i` gives
the command node0's stdin (a shell's script and status, 10 MiB of tar intact,
a command that stops reading), `exec -t` gives node0's console a shell on a
terminal in node1 (Ctrl-C, exit status), several sessions into node1 at once
(a long job's progress read meanwhile, a stalled reader that holds up only
its own command), and last: node1 crashes in
the middle of a command and exec returns an error naming the new state
within a bounded time."""

import json
import re
import sys
import time

from labmachine import LabTestCase

UPTIME = "cut -d' ' -f1 /proc/uptime"


class NodeExecTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        for name in ("node1", "node2"):
            t0 = time.monotonic()
            status, out = cls.m.run("mintctl boot %s --cores 2 --mem 512M" % name, 300)
            if status != 0:
                raise AssertionError("mintctl boot %s exited %d:\n%s" % (name, status, out))
            sys.stderr.write("%s booted (running + agent ready) in %.1f s (host clock)\n"
                             % (name, time.monotonic() - t0))
            if "mint-agent is ready" not in out:
                raise AssertionError("boot did not wait for the agent:\n" + out)

    def exec_(self, args, timeout=120, stdin_from=None):
        """mintctl exec in node0 (its stdin the output of the node0 command
        `stdin_from`, if given); returns (status, stdout, stderr)."""
        pipe = stdin_from + " | " if stdin_from else ""
        status, out = self.m.run("%smintctl exec %s > /tmp/x.out 2> /tmp/x.err; echo \"rc=$?\"; "
                                 "cat /tmp/x.out; echo @@ERR; cat /tmp/x.err; echo @@END"
                                 % (pipe, args), timeout)
        self.assertEqual(status, 0, out)
        m = re.match(r"rc=(\d+)\n(.*)@@ERR\n(.*)@@END$", out, re.S)
        self.assertIsNotNone(m, out)
        return int(m.group(1)), m.group(2), m.group(3)

    def test_1_uname_and_status_shows_the_agent(self):
        rc, out, err = self.exec_("node1 -- uname -n")
        self.assertEqual((rc, out, err), (0, "node1\n", ""))
        rc, out, _ = self.exec_("node1 -- nproc")
        self.assertEqual(out, "2\n")
        status = self.run_ok("mintctl status")
        self.assertRegex(status, r"(?m)^node1\s+1\s+running\s.*\sready\s+0\s+-$")
        self.assertRegex(status, r"(?m)^node2\s+2\s+running\s.*\sready\s+0\s+-$")

    def test_1_a_nodes_wall_clock_is_node0s(self):
        # node0 hands its wall clock over at NODE_START (docs/abi.md): the
        # node's `date` lies between node0's just before and just after.
        out = self.run_ok("a=$(date +%s); b=$(mintctl exec node1 -- date +%s); "
                          "c=$(date +%s); echo $a $b $c")
        before, node, after = (int(x) for x in out.split())
        self.assertTrue(before - 2 <= node <= after + 2, out)

    def test_2_exit_status_signals_stderr_and_missing_programs(self):
        self.assertEqual(self.exec_("node1 -- sh -c 'exit 7'")[0], 7)
        self.assertEqual(self.exec_("node1 -- sh -c 'kill -9 $$'")[0], 137)
        rc, out, err = self.exec_("node1 -- sh -c 'echo out; echo err >&2; exit 3'")
        self.assertEqual((rc, out, err), (3, "out\n", "err\n"))
        rc, out, err = self.exec_("node1 -- no-such-program")
        self.assertEqual(rc, 127)
        self.assertEqual(err, "mintctl: node1: cannot run no-such-program: No such file or "
                              "directory\n")
        rc, out, _ = self.exec_("node1 -- sh -c 'cat; echo \"[$PATH]\"'")
        self.assertEqual(out, "[/usr/sbin:/usr/bin:/sbin:/bin]\n")  # stdin is /dev/null
        rc, _, err = self.exec_("node9 -- true")
        self.assertEqual((rc, err), (255, "mintctl: node9: no node with this name; mintctl "
                                          "status lists the nodes\n"))

    def test_3_one_mebibyte_of_output_arrives_intact(self):
        self.run_ok("mintctl exec node1 -- sh -c 'head -c 1048576 /dev/urandom > /tmp/blob; "
                    "md5sum < /tmp/blob' > /tmp/node-md5")
        t0 = time.monotonic()
        out = self.run_ok("mintctl exec node1 -- cat /tmp/blob > /tmp/blob; wc -c < /tmp/blob; "
                          "md5sum < /tmp/blob; cat /tmp/node-md5", 300)
        seconds = time.monotonic() - t0
        size, here, there = out.split("\n")[:3]
        self.assertEqual(size.strip(), "1048576")
        self.assertEqual(here.split()[0], there.split()[0])
        sys.stderr.write("exec: 1 MiB from node1 to node0 in %.1f s (host clock, TCG)\n" % seconds)

    def test_4_timeout_kills_the_command_in_the_node(self):
        t0 = time.monotonic()
        rc, _, err = self.exec_("node1 --timeout 2 -- sh -c 'sleep 300; echo never'")
        self.assertEqual(rc, 255)
        self.assertEqual(err, "mintctl: node1: the command ran longer than --timeout 2 s and "
                              "was killed\n")
        self.assertLess(time.monotonic() - t0, 30)
        _, out, _ = self.exec_("node1 -- sh -c 'ps | grep -c \"[s]leep 300\"'")
        self.assertEqual(out, "0\n")

    def wait_in_node0(self, condition, what, tries=300):
        """Waits (0.1 s steps, bounded) until the node0 shell condition
        holds; fails the test naming `what` if it never does."""
        status, out = self.m.run("i=0; until %s; do i=$((i+1)); [ $i -gt %d ] && exit 1; "
                                 "usleep 100000; done" % (condition, tries), tries // 10 + 60)
        self.assertEqual(status, 0, "%s: not within %d s:\n%s" % (what, tries // 10, out))

    def test_5_a_killed_mintctl_has_its_command_killed_in_the_node(self):
        # A mintctl killed while its command still prints: the node's
        # relay kills the command (nobody will read it), and the next exec
        # sees only its own output.
        out = self.run_ok("mintctl exec node1 -- sh -c 'i=0; while [ $i -lt 3000 ]; do "
                          "echo stale$i; i=$((i+1)); usleep 5000; done' > /dev/null & p=$!; "
                          "sleep 1; kill -9 $p; wait $p; echo \"rc=$?\"")
        self.assertRegex(out, r"(?:Killed\n)?rc=137$")
        self.wait_in_node0("[ \"$(mintctl exec node1 -- sh -c 'ps | grep -c \"[s]tale\"')\" "
                           "= 0 ]", "the killed mintctl's loop ended in node1")
        rc, out, err = self.exec_("node1 -- echo fresh")
        self.assertEqual((rc, out, err), (0, "fresh\n", ""))

    def test_6_two_nodes_at_once(self):
        out = self.run_ok("mintctl exec node1 -- sh -c 'sleep 1; uname -n' > /tmp/a & "
                          "mintctl exec node2 -- sh -c 'sleep 1; uname -n' > /tmp/b & wait; "
                          "cat /tmp/a /tmp/b")
        self.assertEqual(out, "node1\nnode2")

    def test_7_ping_times_round_trips_to_the_agent(self):
        out = self.run_ok("mintctl ping node1 -c 5 -i 0")
        self.assertEqual(len(re.findall(r"(?m)^PONG from node1: seq=\d time=\d+\.\d{3} ms$", out)),
                         5, out)
        self.assertRegex(out, r"(?m)^5 sent, 5 answered; round trip min/avg/max = "
                              r"[\d.]+/[\d.]+/[\d.]+ ms$")
        j = json.loads(self.run_ok("mintctl --json ping node2 -c 20 -i 0"))
        self.assertEqual((j["node"], j["id"], j["count"], len(j["samples_ms"])),
                         ("node2", 2, 20, 20))
        rtt = j["round_trip_ms"]
        self.assertTrue(0 < rtt["min"] <= rtt["avg"] <= rtt["max"], rtt)
        sys.stderr.write("ping node2: 20 round trips, min/avg/max %.3f/%.3f/%.3f ms (TCG)\n"
                         % (rtt["min"], rtt["avg"], rtt["max"]))
        status, out = self.m.run("mintctl ping node9")
        self.assertEqual((status, out), (2, "mintctl: node9: no node with this name; mintctl "
                                            "status lists the nodes"))

    def test_8_exec_i_gives_the_command_our_stdin(self):
        rc, out, err = self.exec_("-i node1 -- sh", stdin_from="printf 'echo hi; exit 3\\n'")
        self.assertEqual((rc, out, err), (3, "hi\n", ""))
        # 10 MiB through tar, checked by md5 on both sides.
        here = self.run_ok("rm -rf /tmp/tree && mkdir /tmp/tree && head -c 10485760 /dev/urandom"
                           " > /tmp/tree/blob && md5sum < /tmp/tree/blob").split()[0]
        t0 = time.monotonic()
        rc, out, err = self.exec_("-i node1 -- sh -c 'rm -rf /tmp/copy && mkdir /tmp/copy && "
                                  "tar x -C /tmp/copy && md5sum < /tmp/copy/blob'", 600,
                                  stdin_from="tar c -C /tmp/tree .")
        seconds = time.monotonic() - t0
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.split()[0], here)
        sys.stderr.write("exec -i: 10 MiB of tar from node0 into node1 in %.1f s (host clock, "
                         "TCG)\n" % seconds)
        # A command that stops reading: its end is the session's, and the
        # writer on node0 gets EPIPE once mintctl is gone.
        rc, out, err = self.exec_("-i node1 -- head -c 6", stdin_from="yes")
        self.assertEqual((rc, out, err), (0, "y\ny\ny\n", ""))
        self.run_ok("rm -rf /tmp/tree")

    def test_8_tty_a_shell_on_a_terminal_in_the_node(self):
        # node0's console (ttyS0) is a terminal: an operator's session on
        # it, typed key by key. The node's shell runs on a pty of its own;
        # Ctrl-C interrupts the node's `sleep 100`, not mintctl; the
        # shell's exit status is mintctl's.
        m = self.m
        with m.cond:
            start = len(m.buf)
        m.send("mintctl exec -t node1; echo \"@@T$?\"\n")

        def typed(keys, expect, timeout=60):
            m.send(keys)
            return m.wait_for(expect, timeout, start=start, what=repr(expect))

        ended = False
        try:
            typed("tty\r", r"/dev/pts/\d+\r\n")
            typed("echo in-$((6*7))\r", r"in-42\r\n")
            typed("sleep 100\r", r"sleep 100\r\n")
            time.sleep(1)  # the shell has started sleep (no output to wait for)
            t0 = time.monotonic()
            typed("\x03", r"\^C|\r\n")
            typed("echo rc=$?\r", r"rc=130\r\n")
            self.assertLess(time.monotonic() - t0, 30)
            text = typed("exit 3\r", r"@@T(\d+)")
            ended = True
            self.assertTrue(text.endswith("@@T3"), text[-300:])
        finally:
            if not ended:  # give node0's console back to the next tests
                typed("\x03\rexit 0\r", r"@@T(\d+)")
        # node0's console is a line terminal again, and node1 runs no sleep.
        self.assertEqual(self.run_ok("echo back"), "back")
        _, out, _ = self.exec_("node1 -- sh -c 'ps | grep -c \"[s]leep 100\"'")
        self.assertEqual(out, "0\n")
        rc, _, err = self.exec_("-t node1")  # exec_'s stdin is /dev/null
        self.assertEqual((rc, err), (255, "mintctl: node1: -t needs a terminal on mintctl's "
                                          "stdin; use -i to stream stdin to the command "
                                          "instead\n"))

    def test_8_u_several_sessions_into_one_node_at_once(self):
        # A long job in node1 writes its progress; quick looks at it run
        # meanwhile, each its own mintctl, beside ping, status and console.
        self.run_ok("rm -f /tmp/loop.out; (mintctl exec node1 -- sh -c 'i=0; while [ $i -lt 40 ];"
                    " do echo $i > /tmp/counter; i=$((i+1)); sleep 0.25; done; echo loop-done'"
                    " > /tmp/loop.out 2>&1; echo \"rc=$?\" >> /tmp/loop.out) &")
        self.wait_in_node0("mintctl exec node1 -- cat /tmp/counter > /tmp/c1 2>/dev/null",
                           "the loop's first progress")
        first = int(self.run_ok("cat /tmp/c1"))
        self.wait_in_node0("[ \"$(mintctl exec node1 -- cat /tmp/counter)\" -gt %d ]" % first,
                           "the loop's progress")
        self.assertIn("5 answered", self.run_ok("mintctl ping node1 -c 5 -i 0"))
        self.assertRegex(self.run_ok("mintctl status"), r"(?m)^node1\s+1\s+running\s")
        self.assertIn("Linux version", self.run_ok("mintctl console node1 | head -n 20"))
        out = self.run_ok("cat /tmp/loop.out")
        self.assertNotIn("rc=", out, "the loop was still running meanwhile")
        self.wait_in_node0("grep -q rc= /tmp/loop.out", "the loop's end", 600)
        self.assertEqual(self.run_ok("cat /tmp/loop.out"), "loop-done\nrc=0")

        # A reader that stalls holds up only its own command: 10 MB into a
        # pipe nobody reads; other execs still answer at once.
        self.run_ok("(mintctl exec node1 -- head -c 10000000 /dev/zero & echo $! > /tmp/stalled.pid;"
                    " wait) | sleep 600 & echo $! > /tmp/sleeper.pid")
        self.wait_in_node0("mintctl exec node1 -- sh -c 'ps | grep -q \"[h]ead -c 10000000\"'",
                           "the stalled command running")
        t0 = time.monotonic()
        rc, out, _ = self.exec_("node1 -- echo quick")
        self.assertEqual((rc, out), (0, "quick\n"))
        sys.stderr.write("exec beside a stalled reader's session: %.1f s (host clock, TCG)\n"
                         % (time.monotonic() - t0))
        # Its mintctl killed, the relay kills its command in the node.
        self.run_ok("kill -9 $(cat /tmp/stalled.pid) && kill $(cat /tmp/sleeper.pid)")
        self.wait_in_node0("[ \"$(mintctl exec node1 -- sh -c 'ps | grep -c \"[h]ead -c 10000000"
                           "\"')\" = 0 ]", "the stalled command killed in node1")
        log = self.run_ok("cat /run/mint/node1.relay.log")
        self.assertRegex(log, r"mintctl relay: serving node1 \(node 1\) on "
                              r"/run/mint/node1.channel.sock, pid \d+")

    def test_9_crash_mid_command_returns_an_error_in_bounded_time(self):
        out = self.run_ok(
            "t0=$(%s); mintctl exec node1 -- sh -c 'echo before; sleep 1; "
            "echo c > /proc/sysrq-trigger; sleep 60' > /tmp/c.out 2> /tmp/c.err; rc=$?; "
            "t1=$(%s); echo \"rc=$rc t0=$t0 t1=$t1\"; cat /tmp/c.out; cat /tmp/c.err"
            % (UPTIME, UPTIME), 200)
        m = re.search(r"rc=(\d+) t0=([\d.]+) t1=([\d.]+)", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), 255, out)
        self.assertIn("before\n", out)
        self.assertRegex(out, r"mintctl: node1: the node is now crashed \(Kernel panic - not "
                              r"syncing: sysrq triggered crash\); the command's outcome is "
                              r"unknown; mintctl restart node1 boots it again")
        seconds = float(m.group(3)) - float(m.group(2))
        sys.stderr.write("exec into a crashing node returned after %.2f s (1 s of it the "
                         "command's own sleep)\n" % seconds)
        self.assertLess(seconds, 1 + 5)
        # node2 is untouched by node1's crash.
        rc, out, _ = self.exec_("node2 -- uname -n")
        self.assertEqual((rc, out), (0, "node2\n"))
        rc, _, err = self.exec_("node1 -- true")
        self.assertEqual(rc, 255)
        self.assertEqual(err, "mintctl: node1: the node is crashed (Kernel panic - not syncing: "
                              "sysrq triggered crash); mintctl exec needs a running node; "
                              "mintctl restart node1 boots it again\n")
        status, out = self.m.run("mintctl ping node1 -c 1")
        self.assertEqual((status, out), (2, "mintctl: node1: the node is crashed (Kernel panic - "
                                            "not syncing: sysrq triggered crash); mintctl ping "
                                            "needs a running node; mintctl restart node1 boots "
                                            "it again"))
