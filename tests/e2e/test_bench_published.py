"""The smoke runs of the bench suites that re-run published experiments
(issue 15), each in its own lab boot:

- `bench/run thesis --runs 1 --quick` runs the thesis's program in every
  configuration the mint kernel has (2, 3, 5, 6, 7: node0, node1 beside it,
  guests on node0's KVM and on node1's);
- `bench/run rt --runs 1 --quick` boots node0 with the bench layer, three
  nodes and three guests with it, and runs cyclictest under stress-ng and
  the independence tests in 1, 2 and 3 partitions at once;
- `bench/run passthrough --runs 1 --quick` reads a disk node1 owns and a
  guest's virtio disk, each beside an idle, computing and reading neighbour.

Each writes its report, its tables and its plots (benchsmoke.py)."""

import json
import os
import unittest

from benchsmoke import BenchSmokeCase

# thesis: configuration -> the series it must have measured
MINT_SERIES = {2: ["node0"], 3: ["node0", "node1"], 5: ["guest on node0"],
               6: ["guest on node0", "guest on node1"],
               7: ["guest on node0", "2nd guest on node0"]}
WORKLOADS = [("io", 256), ("io", 512), ("io", 1024), ("cpu", 0), ("mem", 256), ("mem", 512),
             ("mem", 1024)]


class BenchPublishedSmoke(BenchSmokeCase):
    def test_thesis_quick_measures_and_reports_every_configuration(self):
        self.report = self.bench("thesis")
        with open(os.path.join(self.out, "results.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["suite"], "thesis")
        self.assertTrue(doc["meta"]["quick"])
        seen = {(r["config"], r["site"], r["workload"], r["size_kib"]) for r in doc["rows"]}
        for config, sites in MINT_SERIES.items():
            for site in sites:
                for workload, size in WORKLOADS:
                    self.assertIn((config, site, workload, size), seen)
        for r in doc["rows"]:
            self.assertGreater(r["tsc"], 0, r)
            self.assertGreater(r["ns"], 0, r)
        # No vanilla lab in --quick: the comparisons with it say so, the
        # others carry a ratio and a reading.
        with open(os.path.join(self.out, "comparisons.json")) as f:
            comps = json.load(f)
        for c in comps:
            if "vanilla" in c["comparison"]:
                self.assertIsNone(c["ours"], c)
                self.assertRegex(c["reading"], r"^not run \(configurations? (1|1 and 4)\)$")
            else:
                self.assertGreater(c["ours"], 0, c)
                self.assertRegex(c["reading"], r"^(agrees|differs)")
        self.assertIn("| KVM guest on node0 vs node0 | mem | 1024 | 1.20 |", self.report)
        self.assertIn("| 1 | vanilla Linux | vanilla | no (--quick) |", self.report)
        # Everything it started is stopped and destroyed again (tear_down).
        self.assertNotIn("tearing down", self.output)
        self.assertIn("bench thesis: removed g0a, g0b, node1 (and its guest)\n", self.output)
        for workload in ("io", "cpu", "mem"):
            self.assertPng("thesis-%s.png" % workload)

    def test_rt_quick_measures_timers_and_independence(self):
        self.report = self.bench("rt")
        with open(os.path.join(self.out, "results.json")) as f:
            rows = json.load(f)["rows"]
        timers = {(r["kind"], r["partition"], r["mode"], r["load"]): r for r in rows
                  if r.get("suite") == "timer"}
        for kind, part in (("nodes", "node1"), ("guests", "g1")):
            for mode in ("periodic", "one-shot"):
                for load in ("idle", "stress"):
                    r = timers[(kind, part, mode, load)]
                    self.assertLessEqual(r["min_us"], r["avg_us"], r)
                    self.assertLessEqual(r["avg_us"], r["max_us"], r)
        seen = {(r["kind"], r["test"], r["partitions"], r["partition"]) for r in rows
                if r.get("suite") == "independence"}
        for kind, parts in (("nodes", ["node1", "node2", "node3"]),
                            ("guests", ["g1", "g2", "g3"])):
            for test in ("stones", "rewrite", "rtt"):
                for k in (1, 2, 3):
                    for part in parts[:k]:
                        if test == "rtt" and part == "node3":
                            continue
                        if test == "rtt" and kind == "nodes" and k == 3:
                            continue
                        self.assertIn((kind, test, k, part), seen)
        with open(os.path.join(self.out, "deviations.json")) as f:
            devs = json.load(f)
        self.assertEqual(len(devs), 12)
        for d in devs:
            if d["kind"] == "nodes" and d["test"] == "rtt" and d["partitions"] == 3:
                self.assertEqual(d["reading"], "not measured: node3 has no NIC")
            else:
                self.assertRegex(d["reading"], r"^(agrees|differs)", d)
        self.assertRegex(self.report, r"\| guests \| stones \(stones/s\) \| 3 \| [0-9.e+]+ \| "
                         r"[0-9.e+]+ \| -?[0-9.]+ % \| 0\.12 % \|")
        for mode in ("periodic", "one-shot"):
            self.assertPng("rt-%s.png" % mode)

    def test_passthrough_quick_reads_beside_every_load(self):
        self.report = self.bench("passthrough")
        with open(os.path.join(self.out, "results.json")) as f:
            rows = json.load(f)["rows"]
        seen = {(r["setup"], r["load"]) for r in rows}
        for setup in ("passthrough", "shared virtual driver"):
            for load in ("none", "cpu", "io"):
                self.assertIn((setup, load), seen)
        for r in rows:
            self.assertGreater(r["read_s"], 0, r)
        self.assertRegex(self.report, r"\| shared virtual driver \| io \| [0-9.]+ \| "
                         r"[0-9.]+-[0-9.]+ \| [+-][0-9.]+ \| 2\.8 \| ")
        self.assertPng("passthrough.png")


if __name__ == "__main__":
    unittest.main()
