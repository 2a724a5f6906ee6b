"""e2e (issue 17): the soak of bench/soak.py, short. After a warm-up cycle
node1 goes round three cycles (work on its disk and exec, then a panic, a
hang and a poweroff; the watcher restarts it after the first two, mintctl
restart after the third, and the third cycle also destroys it and boots it
afresh) beside a running node2; node0 must end every cycle exactly as it
was after the warm-up: same online CPUs, pool_free, PCI drivers and owners,
/run/mint names, watcher and console -f descriptors, node2 running, and
nothing bad in its dmesg. `bench/run soak --cycles 100` is the long run."""

import os
import sys

from labmachine import LabTestCase, REPO

sys.path.insert(0, os.path.join(REPO, "bench"))
import soak  # noqa: E402


class SoakTest(LabTestCase):

    def test_three_cycles_leave_node0_as_it_was(self):
        rows, summary, drift = soak.run(self.m, cycles=3, destroy_every=3)
        for row in rows:
            sys.stderr.write("soak cycle %(cycle)d: %(failure)s, left as %(left_as)s after "
                             "%(fail_detect_s).1f s, back by %(back_by)s in %(back_s).1f s\n"
                             % row)
        # Cycle 0 is the warm-up (a panic), not compared.
        self.assertEqual([(r["cycle"], r["left_as"]) for r in rows],
                         [(0, "crashed"), (1, "crashed"), (2, "hung"), (3, "stopped")])
        self.assertIn("destroy + boot", rows[3]["back_by"])
        self.assertEqual(drift, [], soak.report(drift))
