"""e2e (issue 16, "Measure first"): `mintctl boot --timings` and `mintctl
restart --timings` print every phase of the operation (mintctl's own, on its
monotonic clock, and the node kernel's, read from the printk timestamps on
its console), and their --json carries the same phases. One lab boot; node1
(2 CPUs, 512 MiB, sdb so the devices phase is there) is booted and
restarted with --timings, destroyed, then booted and restarted again with
--json. No figure is asserted, only that each phase is there, is not
negative, and that mintctl's phases add up to no more than the total."""

import json
import re
import sys

from labmachine import LabTestCase

BOOT_PHASES = ["lock", "topology", "read_images", "plan", "rehearse", "cpu_offline", "devices",
               "build_image", "load", "start", "running", "agent", "guests"]
RESTART_PHASES = ["lock", "read_images", "stop", "build_image", "load", "start", "running",
                  "agent", "guests"]
NODE_PHASES = ["before_clock", "early_setup", "smp", "initcalls", "init"]

HEADER = "\nTimings (mintctl's monotonic clock):\n"
LINE = re.compile(r"^  (\w+) +(\d+\.\d) ms   total +(\d+\.\d) ms(  \(at most\))?$")
BOOT = "mintctl boot node1 --cores 2 --mem 512M --disk sdb"


def parse_text(out):
    """The --timings lines -> (mintctl phases, node phases, total ms); each
    phase (name, ms, running total ms)."""
    text = out[out.index(HEADER):]
    phases = {"mintctl": [], "node": []}
    section, total = "mintctl", None
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            phases[section].append((m.group(1), float(m.group(2)), float(m.group(3))))
        elif "'s kernel (its own printk clock" in line:
            section = "node"
        elif line.startswith("total "):
            total = float(line.split()[1])
    return phases["mintctl"], phases["node"], total


class NodeBootTimingsTest(LabTestCase):
    def check_text(self, out, want):
        self.assertIn(HEADER, out)
        # After the normal output: nothing but the timings follows them.
        self.assertNotIn("mintctl exec", out[out.index(HEADER):])
        mintctl, node, total = parse_text(out)
        self.assertEqual([p[0] for p in mintctl], want, out)
        self.assertEqual([p[0] for p in node], NODE_PHASES, out)
        self.assertIsNotNone(total, out)
        running = 0.0
        for name, ms, total_so_far in mintctl:
            self.assertGreaterEqual(ms, 0.0, name)
            running += ms
            self.assertAlmostEqual(total_so_far, running, delta=0.05 * len(mintctl), msg=name)
        self.assertLessEqual(running, total + 0.05 * len(mintctl), out)
        for name, ms, _ in node:
            self.assertGreaterEqual(ms, 0.0, name)
        sys.stderr.write("%s\n" % out[out.index(HEADER):].strip())

    def check_json(self, j, want):
        t = j["timings"]
        self.assertEqual([p["phase"] for p in t["phases"]], want, t)
        self.assertEqual([p["phase"] for p in t["node_kernel"]], NODE_PHASES, t)
        for p in t["phases"] + t["node_kernel"]:
            self.assertGreaterEqual(p["ms"], 0.0, p)
        self.assertLessEqual(sum(p["ms"] for p in t["phases"]),
                             t["total_ms"] + 0.1 * len(t["phases"]), t)

    def test_1_boot_and_restart_print_every_phase(self):
        out = self.run_ok(BOOT + " --timings", timeout=300)
        self.check_text(out, BOOT_PHASES)
        self.assertIn("node1's mint-agent is ready", out[:out.index(HEADER)])
        out = self.run_ok("mintctl restart node1 --timings", timeout=300)
        self.assertIn("node1 restarted: started", out[:out.index(HEADER)])
        self.check_text(out, RESTART_PHASES)

    def test_2_json_carries_the_phases(self):
        self.run_ok("mintctl stop --force node1 && mintctl destroy node1", timeout=120)
        j = json.loads(self.run_ok(BOOT + " --json", timeout=300))
        self.assertTrue(j["started"])
        self.check_json(j, BOOT_PHASES)
        # --timings with --json: still one JSON document, nothing else.
        j = json.loads(self.run_ok("mintctl restart node1 --json --timings", timeout=300))
        self.assertEqual(j["name"], "node1")
        self.assertTrue(j["started"])
        self.assertTrue(any(s.startswith("NODE_START") for s in j["steps"]), j["steps"])
        self.check_json(j, RESTART_PHASES)
        self.run_ok("mintctl stop --force node1 && mintctl destroy node1", timeout=120)


if __name__ == "__main__":
    import unittest
    unittest.main()
