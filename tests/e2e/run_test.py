"""Runs one e2e test file (`python3 run_test.py test_X`) the way ctest does:
`python3 -m unittest -v test_X`, its output and exit status passed on.

If that run failed and QEMU itself crashed in it (killed by a signal: the
lab's QEMU 7.2 has a multi-threaded TCG race that segfaults it now and then,
docs/lab.md "QEMU's own crashes"), the result says nothing about mint, so
the file runs once more in fresh labs and that run's status is the test's.
A second QEMU crash fails the test. A run that failed without a QEMU crash,
a triple fault (a node's bug ends the machine under -no-reboot) or a timeout
are never run again."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "lab"))
from mintlab.machine import QEMU_CRASH_LOG_ENV  # noqa: E402


def run_once(stem):
    """(exit status, QEMU crashes recorded during the run)."""
    with tempfile.NamedTemporaryFile("r", prefix="mint-qemu-crashes-") as log:
        env = dict(os.environ, **{QEMU_CRASH_LOG_ENV: log.name})
        status = subprocess.call([sys.executable, "-m", "unittest", "-v", stem], env=env)
        return status, log.read().splitlines()


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: run_test.py test_NAME")
    stem = argv[1]
    status, crashes = run_once(stem)
    if status == 0 or not crashes:
        return status
    sys.stderr.write("run_test: %s failed after QEMU itself crashed (%s); this says nothing "
                     "about mint (docs/lab.md \"QEMU's own crashes\"): running %s once more\n"
                     % (stem, "; ".join(crashes), stem))
    status, crashes = run_once(stem)
    if status != 0 and crashes:
        sys.stderr.write("run_test: QEMU crashed again in the second run (%s)\n"
                         % "; ".join(crashes))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
