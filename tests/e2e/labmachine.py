"""The e2e tests' view of the lab: LabMachine (lab/mintlab/machine.py: boots
QEMU, runs commands in node0 over the serial console with begin/end markers
and exit codes, reads node consoles and serial files, always kills QEMU) and
LabTestCase, a unittest base class that boots ONE machine for all tests of a
class and puts node0's console tail into every failure."""

import os
import shlex
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "lab"))

from mintlab import disks  # noqa: E402,F401
from mintlab.common import LabError  # noqa: E402,F401
from mintlab.machine import (LabMachine, CommandTimeout, node_smoke_argv,  # noqa: E402,F401
                             NODE0_CMDLINE, SMP)


class LabTestCase(unittest.TestCase):
    """Boots the lab once in setUpClass; self.m is the booted LabMachine."""

    cmdline_extra = ""
    machine = "default"   # the lab machine profile (machine.PROFILES)
    m = None

    @classmethod
    def setUpClass(cls):
        cls.m = LabMachine(cmdline_extra=cls.cmdline_extra,
                           machine=cls.machine)
        try:
            cls.boot_seconds = cls.m.boot()
            sys.stderr.write("lab booted in %.1f s\n" % cls.boot_seconds)
            cls.setUpLab()
        except BaseException:
            sys.stderr.write("node0 console:\n%s\n" % cls.m.console()[-6000:])
            cls.m.failed = True
            cls.m.close()
            raise

    @classmethod
    def setUpLab(cls):
        """What a test class does once node0 is up (boot its nodes, start its
        workloads). A failure here, like one in node0's boot, shows node0's
        console tail and closes the lab."""

    @classmethod
    def _node0(cls, command, timeout=120):
        """run_ok for class-level code: raises unless the command exits 0."""
        status, out = cls.m.run(command, timeout)
        if status != 0:
            raise AssertionError("node0: %r exited %d:\n%s" % (command, status, out))
        return out

    @classmethod
    def tearDownClass(cls):
        if cls.m is not None:
            cls.m.close()

    @classmethod
    def _boot_networked_nodes(cls, node1_pci):
        """node2 (1 CPU, its NIC eth1, 10.0.0.2) and then node1 (2 CPUs, sdb,
        eth0 as 10.0.0.1, and the PCI function node1_pci): the devices
        tests' pair. Returns node1's boot (status, output)."""
        cls._node0("mintctl boot node2 --cores 1 --mem 256M --nic eth1 --cmdline "
                   "mint_ip=10.0.0.2/24", 300)
        return cls.m.run("mintctl boot node1 --cores 2 --mem 512M --disk sdb --nic eth0 --pci %s "
                         "--cmdline mint_ip=10.0.0.1/24" % node1_pci, 300)

    def sysdir(self, name):
        """/sys/kernel/mint/nodes/<id> of the node called name."""
        return self.run_ok("dirname $(grep -lx %s /sys/kernel/mint/nodes/*/name)" % name).strip()

    def in_node(self, name, command, timeout=180):
        """Runs a shell command in a node (mintctl exec), fails unless it exits 0."""
        return self.run_ok("mintctl exec %s -- sh -c %s" % (name, shlex.quote(command)), timeout)

    def run_ok(self, command, timeout=120):
        """Runs command in node0, fails the test unless it exits 0."""
        status, out = self.m.run(command, timeout)
        self.assertEqual(status, 0, "node0: %r exited %d:\n%s" % (command, status, out))
        return out

    def run(self, result=None):
        result = result or self.defaultTestResult()
        failures = len(result.failures) + len(result.errors)
        super().run(result)
        if self.m is not None and len(result.failures) + len(result.errors) > failures:
            self.m.failed = True
            sys.stderr.write("--- node0 console tail (%s) ---\n%s\n" % (
                self.id(), self.m.console()[-3000:]))
        return result
