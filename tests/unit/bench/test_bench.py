"""Unit tests of bench/ without the lab (label unit): the programs the lab
runs in every partition (built here the way lab/mintlab/bench_programs.py
builds them), their argument rule and every error path, and the suites'
readers of what a partition printed, which is untrusted: anything that is
not the expected line is ignored, a malformed result is no figure."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "lab"))

import host  # noqa: E402
import rt  # noqa: E402
import thesis  # noqa: E402
from common import BenchError  # noqa: E402
from mintlab import bench_programs  # noqa: E402


class Programs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mint-bench-programs-")
        cls.bin = {}
        for name, src in bench_programs.SOURCES.items():
            out = os.path.join(cls.dir, name)
            subprocess.run(["gcc", "-static", "-O2", "-s", "-Wall", "-Wextra", "-Werror", "-o",
                            out, src], check=True)
            cls.bin[name] = out

    def run_prog(self, name, *args):
        p = subprocess.run([self.bin[name]] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=self.dir)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_thesis_all_prints_every_workload_and_size_per_run(self):
        code, out, err = self.run_prog("mint-thesis", "all", "10", "1000", "2", "2", self.dir)
        self.assertEqual((code, err), (0, ""))
        rows = thesis.parse(out)
        self.assertEqual(len(rows), thesis.expected_lines(2))
        self.assertEqual([(r["workload"], r["size_kib"]) for r in rows[:7]],
                         [("io", 256), ("io", 512), ("io", 1024), ("cpu", 0), ("mem", 256),
                          ("mem", 512), ("mem", 1024)])
        self.assertEqual({r["run"] for r in rows}, {1, 2})
        self.assertTrue(all(r["tsc"] > 0 and r["ns"] > 0 for r in rows))
        # the I/O file is gone (unlinked while open)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith("mint-thesis.")], [])

    def test_thesis_refuses_bad_arguments(self):
        for args, err in (
                (["cpu", "0"], "mint-thesis: M 0: give a whole number from 1 to 1000000000000\n"),
                (["cpu", "-1"], "mint-thesis: M -1: give a whole number from 1 to 1000000000000\n"),
                (["mem", "2048x", "1"],
                 "mint-thesis: SIZE_KIB 2048x: give a whole number from 1 to 1048576\n"),
                (["io", "2", "1"], "mint-thesis: SIZE_KIB 2: the file must hold a 4 KiB block\n"),
                (["all", "1", "1", "99999999999999999999"],
                 "mint-thesis: N 99999999999999999999: give a whole number from 1 to "
                 "1000000000000\n")):
            self.assertEqual(self.run_prog("mint-thesis", *args), (2, "", err), args)
        code, _, err = self.run_prog("mint-thesis", "frobnicate", "1")
        self.assertEqual(code, 2)
        self.assertIn("usage: mint-thesis io SIZE_KIB L [DIR]", err)
        code, _, err = self.run_prog("mint-thesis", "io", "256", "1", "/nonexistent")
        self.assertEqual(code, 1)
        self.assertRegex(err, r"^mint-thesis: /nonexistent/mint-thesis\.\d+: No such file or "
                         r"directory\n$")

    def test_bench_workloads(self):
        code, out, _ = self.run_prog("mint-bench", "stones", "1000")
        self.assertEqual(code, 0)
        self.assertIsNotNone(rt.parse_test("stones", out))
        code, out, _ = self.run_prog("mint-bench", "rewrite", "1", "2")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^mint-bench: test=rewrite count=512 ns=\d+ per_s=\d+\n$")
        disk = os.path.join(self.dir, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(3 * 1024 * 1024 + 5)
        code, out, _ = self.run_prog("mint-bench", "readdev", disk, "7")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^mint-bench: test=readdev count=7 ns=\d+ per_s=\d+\n$")

    def test_bench_refuses_bad_arguments_and_devices(self):
        small = os.path.join(self.dir, "small.img")
        with open(small, "wb") as f:
            f.truncate(4096)
        for args, code, err in (
                (["stones", "0"], 2,
                 "mint-bench: COUNT 0: give a whole number from 1 to 1000000000000\n"),
                (["rewrite", "0", "1"], 2,
                 "mint-bench: MIB 0: give a whole number from 1 to 1048576\n"),
                (["readdev", "/nonexistent", "1"], 1,
                 "mint-bench: /nonexistent: No such file or directory\n"),
                (["readdev", small, "1"], 1, "mint-bench: %s holds less than 1 MiB\n" % small),
                (["stones"], 2,
                 "usage: mint-bench stones COUNT | rewrite MIB PASSES | readdev DEV MIB\n")):
            self.assertEqual(self.run_prog("mint-bench", *args), (code, "", err), args)


CYCLICTEST = """# /dev/cpu_dma_latency set to 0us
cyclictest: 0
# Histogram
# Total: 000000020
# Min Latencies: 00036
# Avg Latencies: 00046
# Max Latencies: 00057
# Histogram Overflows: 00000
# Histogram Overflow at cycle number:
# Thread 0:
bucket 36 1
bucket 40 19
"""


class Readers(unittest.TestCase):
    def test_thesis_lines_among_junk(self):
        text = ("mint-node: hello\n"
                "mint-thesis: workload=io size_kib=256 count=5 run=1 tsc=10 ns=4\n"
                "mint-thesis: workload=io size_kib=256 count=5 run=1 tsc=-3 ns=4\n"
                "mint-thesis: workload=io size_kib=256 count=5 run=1 tsc=10 ns=4 extra\n"
                "\x1b[2Jmint-thesis: workload=cpu size_kib=0 count=5 run=1 tsc=1 ns=1\n")
        self.assertEqual(thesis.parse(text), [{"workload": "io", "size_kib": 256, "count": 5,
                                               "run": 1, "tsc": 10, "ns": 4}])

    def test_cyclictest(self):
        got = rt.parse_cyclictest(CYCLICTEST)
        self.assertEqual(got, {"min_us": 36, "avg_us": 46, "max_us": 57, "overflows": 0,
                               "buckets": {36: 1, 40: 19}})
        self.assertIsNone(rt.parse_cyclictest(CYCLICTEST.replace("cyclictest: 0",
                                                                 "cyclictest: 1")))
        self.assertIsNone(rt.parse_cyclictest(CYCLICTEST.replace("# Max Latencies: 00057\n",
                                                                 "")))

    def test_ping(self):
        ok = ("3 packets transmitted, 3 packets received, 0% packet loss\n"
              "round-trip min/avg/max = 0.063/0.314/0.815 ms\n")
        self.assertEqual(rt.parse_test("rtt", ok), 0.314)
        self.assertIsNone(rt.parse_test("rtt", ok.replace(" 0% packet", " 33% packet")))
        self.assertIsNone(rt.parse_test("rtt", "ping: sendto: Network unreachable\n"))

    def test_thesis_readings(self):
        a = {"median": 110, "min": 100, "max": 120}
        b = {"median": 100, "min": 95, "max": 105}
        self.assertEqual(thesis.reading(1.10, 1.00, a, b, "io", False, False),
                         "agrees within the runs' spread (their min-max ranges overlap)")
        self.assertEqual(thesis.reading(1.18, 1.16, a, b, "io", True, False), "agrees")
        far = {"median": 200, "min": 190, "max": 210}
        self.assertEqual(thesis.reading(2.0, 1.20, far, b, "mem", True, False),
                         "differs: under TCG the guest's nested paging is QEMU's software page "
                         "walk, not hardware NPT/EPT, so its mem cost is not the hardware's")
        self.assertEqual(thesis.reading(2.0, 1.00, far, b, "cpu", False, True),
                         "differs: partitions running at once share the lab's 2 host cores")

    def test_thesis_comparison_without_its_baseline(self):
        summary = {"2|node0|cpu|0": {"median": 10, "min": 9, "max": 11, "n": 3}}
        comps = thesis.comparisons(summary, 1000)
        row = [c for c in comps if c["comparison"] == "node0 vs vanilla"
               and c["workload"] == "cpu"][0]
        self.assertEqual((row["ours"], row["reading"]), (None, "not run (configuration 1)"))
        row = [c for c in comps if c["comparison"] == "KVM guest on vanilla vs vanilla"
               and c["workload"] == "cpu"][0]
        self.assertEqual(row["reading"], "not run (configurations 1 and 4)")
        json.dumps(comps)


class Host(unittest.TestCase):
    """--host: this machine as node0 (bench/host.py)."""

    def test_run_is_the_labs_run(self):
        m = host.HostMachine()
        self.assertEqual(m.run("echo hi; echo err >&2; exit 3"), (3, "hi\nerr"))
        self.assertEqual(m.run("kill -9 $$"), (137, ""))
        with self.assertRaisesRegex(BenchError, r"^command 'sleep 5' ran longer than 1 s$"):
            m.run("sleep 5", timeout=1)

    def test_preflight_names_what_the_host_lacks(self):
        with self.assertRaisesRegex(BenchError, r"^bench/run rt --host: this suite uses the "
                                    r"lab's own disks and NICs .*--host runs: scaling, thesis$"):
            host.preflight("rt")
        with self.assertRaisesRegex(BenchError, r"^bench/run lifecycle --host: this suite times "
                                    r"the lab machine itself .*; run it in the lab"):
            host.preflight("lifecycle")
        root = tempfile.mkdtemp(prefix="mint-bench-host-")
        if os.geteuid() == 0:
            with self.assertRaisesRegex(BenchError, r"^bench/run --host: %s/sys/kernel/mint/"
                                        r"abi_version is missing: this host does not run the "
                                        r"mint kernel" % root):
                host.preflight("thesis", root=root + "/")
            os.makedirs(os.path.join(root, "sys/kernel/mint"))
            with open(os.path.join(root, "sys/kernel/mint/abi_version"), "w") as f:
                f.write("3\n")
            old = os.environ["PATH"]
            os.environ["PATH"] = root
            try:
                with self.assertRaisesRegex(BenchError, r"^bench/run --host: mintctl, "
                                            r"mint-thesis, mint-bench not on PATH; install"):
                    host.preflight("scaling", root=root + "/")
            finally:
                os.environ["PATH"] = old
        else:
            with self.assertRaisesRegex(BenchError, r"run it as root$"):
                host.preflight("thesis", root=root + "/")


if __name__ == "__main__":
    unittest.main()


class GuestReset(unittest.TestCase):
    """rt's measurements in guests: a guest that reset by itself (mintctl
    vm exec says "ended by itself") is started again and the measurement
    runs once more; a second reset, or a node's failure, is not retried."""

    RESET = (255, "mintctl: node0: g1: g1 is not running in node0 (stopped: ended by itself "
                  "without a poweroff or reboot line (...); its console's last line: up)")

    def setUp(self):
        self.calls, self.restarts = [], []
        self.saved = rt.at_once, rt.restart_guest
        rt.restart_guest = lambda m, node, guest, options, when: self.restarts.append(
            (node, guest, options))

    def tearDown(self):
        rt.at_once, rt.restart_guest = self.saved

    def answers(self, *results):
        results = list(results)

        def at_once(m, commands, timeout):
            self.calls.append(commands)
            return results.pop(0)
        rt.at_once = at_once

    def test_a_guest_reset_is_started_again_and_measured_once_more(self):
        self.answers([self.RESET], [(0, "measured")])
        res = rt._in(None, [("g1", "guests", "true")], 60)
        self.assertEqual(res, {"g1": (0, "measured")})
        self.assertEqual(self.restarts, [("node0", "g1", rt.GUEST_START)])
        self.assertEqual(len(self.calls), 2)

    def test_a_second_reset_is_the_measurements_failure(self):
        self.answers([self.RESET], [self.RESET])
        res = rt._in(None, [("g1", "guests", "true")], 60)
        self.assertEqual(res["g1"], self.RESET)
        self.assertEqual(len(self.calls), 2)

    def test_other_failures_are_not_retried(self):
        self.answers([(1, "cyclictest: 1")])
        self.assertEqual(rt._in(None, [("g1", "guests", "true")], 60), {"g1": (1, "cyclictest: 1")})
        self.answers([self.RESET])
        self.assertEqual(rt._in(None, [("node1", "nodes", "true")], 60)["node1"], self.RESET)
        self.assertEqual(self.restarts, [])
