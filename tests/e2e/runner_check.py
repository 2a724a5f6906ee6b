"""ctest e2e_runner (label unit): run_test.py runs a test file once more
only when QEMU itself crashed in a failed run, and passes every other
status on. The "QEMU" is a process that kills itself with SIGSEGV, driven by
the lab's own LabMachine, so the path from the crash to the rerun is the
one the e2e tests take."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

# A test file whose test fails on run number FAIL_RUNS... and crashes its
# "QEMU" on the runs in CRASH_RUNS; the run number is kept in runs.txt.
FAKE = textwrap.dedent('''\
    import os, sys, time, unittest
    sys.path.insert(0, %(lab)r)
    from mintlab.common import LabError
    from mintlab.machine import LabMachine

    def run_number():
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs.txt")
        n = int(open(path).read()) + 1 if os.path.exists(path) else 1
        open(path, "w").write(str(n))
        return n

    class Fake(unittest.TestCase):
        def test_it(self):
            n = run_number()
            if n in %(crash_runs)r:
                m = LabMachine(argv=[sys.executable, "-c",
                                     "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
                m.start()
                m.proc.wait()
                try:
                    m.send("true\\n")
                finally:
                    m.close()
            self.assertNotIn(n, %(fail_runs)r)
    ''')


class RunTestTest(unittest.TestCase):

    def run_fake(self, crash_runs, fail_runs):
        """(run_test.py's status, its stderr, how many runs it made)."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "test_fake.py"), "w") as f:
                f.write(FAKE % {"lab": os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                    "lab"),
                                "crash_runs": crash_runs, "fail_runs": fail_runs})
            env = dict(os.environ, MINT_LAB_KEEP="")
            env.pop("MINT_LAB_QEMU_CRASH_LOG", None)
            p = subprocess.run([sys.executable, os.path.join(HERE, "run_test.py"), "test_fake"],
                               cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=300)
            with open(os.path.join(d, "runs.txt")) as f:
                return p.returncode, p.stderr, int(f.read())

    def test_a_pass_runs_once(self):
        status, _, runs = self.run_fake(crash_runs=[], fail_runs=[])
        self.assertEqual((status, runs), (0, 1))

    def test_a_failure_without_a_qemu_crash_is_not_run_again(self):
        status, err, runs = self.run_fake(crash_runs=[], fail_runs=[1])
        self.assertEqual((status, runs), (1, 1))
        self.assertNotIn("once more", err)

    def test_a_qemu_crash_runs_the_file_once_more_and_that_run_counts(self):
        status, err, runs = self.run_fake(crash_runs=[1], fail_runs=[])
        self.assertEqual((status, runs), (0, 2), err)
        self.assertIn("QEMU itself crashed (SIGSEGV", err)
        self.assertIn("running test_fake once more", err)

    def test_a_second_qemu_crash_fails(self):
        status, err, runs = self.run_fake(crash_runs=[1, 2], fail_runs=[])
        self.assertEqual((status, runs), (1, 2), err)
        self.assertIn("QEMU crashed again in the second run", err)

    def test_a_failure_after_the_rerun_fails(self):
        status, _, runs = self.run_fake(crash_runs=[1], fail_runs=[2])
        self.assertEqual((status, runs), (1, 2))


if __name__ == "__main__":
    unittest.main()
