"""e2e: `mintctl topology` inside the lab maps each disk to its PCI
function (--json: {"disks": [{"name": "sdb", "pci": "0000:01:00.0", ...}]}),
and prints a human table without --json."""

import json
import unittest

from labmachine import LabTestCase, disks


class MintctlTopologyTest(LabTestCase):
    def test_mintctl_is_in_node0(self):
        self.run_ok("command -v mintctl")

    def test_topology_json_maps_disks_to_pci_functions(self):
        doc = json.loads(self.run_ok("mintctl topology --json"))
        got = {d["name"]: d["pci"] for d in doc["disks"]}
        want = {name: pci for name, (pci, _t, _l) in disks.DISKS.items()}
        self.assertEqual(got, want)

    def test_topology_table_names_disks_and_functions(self):
        out = self.run_ok("mintctl topology")
        for name, (pci, _t, _l) in disks.DISKS.items():
            line = [ln for ln in out.splitlines() if ln.split()[:1] == [name]
                    or (" %s " % name) in " %s " % ln]
            self.assertTrue(line, "no line for %s in:\n%s" % (name, out))
            self.assertIn(pci, "\n".join(line))


if __name__ == "__main__":
    unittest.main()
