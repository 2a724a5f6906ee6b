"""The smoke runs of mint's own bench suites (issue 15), each in its own
lab boot:

- `bench/run isolation --runs 1 --quick` fills the interference matrix: a
  victim in node1 beside each aggressor in each place, crashes included;
- `bench/run scaling --runs 1 --quick` boots node1..node4 one by one and
  runs them all at once.

Each writes its report, its tables and its plots (benchsmoke.py)."""

import json
import os
import unittest

from benchsmoke import BenchSmokeCase


class BenchMintSmoke(BenchSmokeCase):
    def test_isolation_quick_fills_the_matrix(self):
        self.report = self.bench("isolation")
        with open(os.path.join(self.out, "matrix.json")) as f:
            matrix = json.load(f)
        # --quick: a cover of the matrix, every aggressor and every place,
        # every kind of crash (bench/isolation.py QUICK_CELLS)
        cover = [("cpu", "same node"), ("memory", "another node"),
                 ("disk", "guest on the same node's KVM"),
                 ("network", "guest on another node's KVM"), ("crash", "another node"),
                 ("crash", "guest on the same node's KVM"),
                 ("crash", "guest on another node's KVM")]
        self.assertEqual(sorted(matrix), sorted("slowdown|%s|%s" % c for c in cover))
        self.assertRegex(self.report, r"\| crash \| - \(victim lost\) \| [+-][0-9.]+ % \| "
                         r"[+-][0-9.]+ % \| [+-][0-9.]+ % \|")
        self.assertRegex(self.report, r"\| cpu \| [+-][0-9.]+ % \| - \(not run\) \|")
        self.assertPng("isolation.png")

    def test_scaling_quick_boots_four_nodes(self):
        self.report = self.bench("scaling")
        with open(os.path.join(self.out, "results.json")) as f:
            rows = json.load(f)["rows"]
        for k in (1, 2, 3, 4):
            nodes = {r["node"] for r in rows if r["figure"] == "stones_per_s"
                     and r["nodes"] == k}
            self.assertEqual(nodes, {"node%d" % i for i in range(1, k + 1)})
            self.assertTrue([r for r in rows if r["figure"] == "boot_s" and r["nodes"] == k])
        self.assertRegex(self.report, r"\| 4 \| [0-9.]+ \| [0-9.e+]+ \| [0-9.]+ \|")
        self.assertPng("scaling.png")


if __name__ == "__main__":
    unittest.main()
