"""e2e: the lab itself: `lab/mint-lab run` returns the command's output and
exit status and leaves no QEMU behind; the node initramfs boots the mint
kernel directly (the smoke test of what nodes boot); the same disk names
come out on every boot."""

import os
import subprocess
import unittest

from labmachine import LabMachine, REPO, node_smoke_argv

MINT_LAB = os.path.join(REPO, "lab", "mint-lab")


class LabTest(unittest.TestCase):
    def test_mint_lab_run_returns_output_and_status(self):
        proc = subprocess.run([MINT_LAB, "run", "--no-build", "--timeout", "600", "--",
                               "echo hello from $(hostname); exit 3"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=700)
        self.assertEqual(proc.stdout.decode(), "hello from node0\n",
                         proc.stderr.decode()[-3000:])
        self.assertEqual(proc.returncode, 3)

    def test_node_initramfs_boots_directly(self):
        with LabMachine(argv=node_smoke_argv, ready=r"mint-node: smoke up[^\n]*\n") as m:
            m.boot()
            line = [ln for ln in m.console().splitlines() if "mint-node: smoke up" in ln][0]
            self.assertIn("2 CPUs", line)

    def test_machine_is_gone_after_close(self):
        m = LabMachine()
        with m:
            m.boot()
            pid = m.proc.pid
            self.assertEqual(m.proc.poll(), None)
        self.assertIsNotNone(m.proc.poll())
        self.assertFalse(os.path.exists("/proc/%d" % pid) and
                         open("/proc/%d/stat" % pid).read().split()[2] != "Z")

    def test_disk_names_are_the_same_on_every_boot(self):
        seen = []
        for _ in range(2):
            with LabMachine() as m:
                m.boot()
                seen.append(m.check("for d in /sys/block/sd*; do "
                                    "echo ${d##*/} $(readlink -f $d); done"))
        self.assertEqual(seen[0], seen[1])
        self.assertEqual([ln.split()[0] for ln in seen[0].splitlines()],
                         ["sda", "sdb", "sdc", "sdd"])


if __name__ == "__main__":
    unittest.main()
