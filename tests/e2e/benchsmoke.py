"""What the bench suites' smoke tests share (test_bench_published.py,
test_bench_mint.py): each test runs one `bench/run SUITE --runs 1 --quick
--no-build` into its own result directory, which is removed when the test
passed and kept (its path printed) when it failed. The figures are not
judged (benchmarks are never timed tests); that every series was measured
and reported is."""

import os
import shutil
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "bench", "run")


class BenchSmokeCase(unittest.TestCase):
    """One bench suite's smoke run per test."""

    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="mint-bench-smoke-")

    def tearDown(self):
        if not self._outcome.result.wasSuccessful():
            print("kept %s" % self.out)
        else:
            shutil.rmtree(self.out, ignore_errors=True)

    def bench(self, suite):
        p = subprocess.run([BENCH, suite, "--runs", "1", "--quick", "--no-build",
                            "--out", self.out], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=1100)
        text = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, text[-3000:])
        self.output = text  # what bench/run printed, its stderr too
        with open(os.path.join(self.out, "report.md")) as f:
            return f.read()

    def assertPng(self, name):
        self.assertIn("(%s)" % name, self.report)
        with open(os.path.join(self.out, name), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
