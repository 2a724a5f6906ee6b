"""e2e (issue 11): a function a node owns is held by the kernel, not just
recorded. One lab boot; node1 boots with `--disk sdb` (0000:01:00.0) and
its agent, and the tests run in name order:

  1. the function is bound to mint-owned (no bind/unbind files), mintctl
     topology names node1 as its owner, node1 reads its disk;
  2. node0 tries to give it to its own driver: clears driver_override,
     unbinds it from pci-stub, binds virtio-pci, probes it: the binds fail
     (Device or resource busy), it stays on mint-owned;
  3. sysfs remove is refused with a log line naming node1, a bus rescan
     changes nothing;
  4. a config space write (bus mastering off) is refused with a log line,
     config reads still work; sysfs reset and reset_method too (behind its
     root port the function has `flr pm bus`);
  after each, node1 reads 8 MiB of its disk (O_DIRECT) and dd exits 0, and
  node0's log has no WARNING/BUG;
  5. stop + destroy: the kernel reset the function (log line), it is back
     on virtio-pci and sdb in node0."""

import re
import sys

from labmachine import LabTestCase

BDF = "0000:01:00.0"
DEV = "/sys/bus/pci/devices/" + BDF
NODE_IO = ("mintctl exec node1 -- sh -c "
           "'dd if=/dev/sda of=/dev/null bs=1M count=8 iflag=direct 2>&1'")


class NodePciOwnedTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        cls.boot_rc, cls.boot_out = cls.m.run(
            "mintctl boot node1 --cores 2 --mem 512M --disk sdb", 300)

    def driver(self):
        return self.run_ok("basename $(readlink %s/driver) 2>/dev/null || echo none" % DEV).strip()

    def write_fails(self, text, path):
        """Writes text to a sysfs file in node0; returns the shell's error."""
        status, out = self.m.run("sh -c 'echo %s > %s' 2>&1" % (text, path), 60)
        self.assertNotEqual(status, 0, "node0 accepted %r > %s: %s" % (text, path, out))
        return out

    def dmesg_mark(self):
        return int(self.run_ok("dmesg | wc -l"))

    def dmesg_since(self, mark):
        return self.run_ok("dmesg | tail -n +%d" % (mark + 1))

    def assert_node_io_works(self):
        status, out = self.m.run(NODE_IO, 180)
        self.assertEqual(status, 0, "node1's disk read failed: %s" % out)
        self.assertIn("8+0 records in", out)

    def assert_still_held(self, mark):
        self.assertEqual(self.driver(), "mint-owned")
        self.assertEqual(self.run_ok("cat /sys/kernel/mint/nodes/1/devices").split(), [BDF])
        self.assert_node_io_works()
        since = self.dmesg_since(mark)
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace", since)
        return since

    def test_1_the_function_is_held_for_node1(self):
        self.assertEqual(self.boot_rc, 0, self.boot_out)
        self.assertEqual(self.driver(), "mint-owned")
        self.assertEqual(self.run_ok("ls /sys/bus/pci/drivers/mint-owned | grep -c bind || true")
                         .strip(), "0")
        self.assertEqual(self.run_ok("cat %s/driver_override" % DEV).strip(), "mint-owned")
        self.assertIn("mint: node 1 (node1): owns %s, held by mint-owned" % BDF,
                      self.run_ok("dmesg"))
        self.assertRegex(self.run_ok("mintctl topology"),
                         r"(?m)^%s\s.*\smint-owned\s.*\snode1\s" % re.escape(BDF))
        self.assert_still_held(0)

    def test_2_node0s_driver_cannot_be_bound_to_it(self):
        mark = self.dmesg_mark()
        try:
            self.run_ok("echo > %s/driver_override" % DEV)   # allowed: it changes nothing
            self.write_fails(BDF, "/sys/bus/pci/drivers/pci-stub/unbind")
            self.assertIn("Device or resource busy",
                          self.write_fails(BDF, "/sys/bus/pci/drivers/virtio-pci/bind"))
            self.run_ok("echo %s > /sys/bus/pci/drivers_probe" % BDF)  # bound: no-op
            self.assertEqual(self.driver(), "mint-owned")
        finally:
            self.run_ok("echo mint-owned > %s/driver_override" % DEV)
        self.assert_still_held(mark)

    def test_3_remove_is_refused_and_a_rescan_changes_nothing(self):
        mark = self.dmesg_mark()
        self.assertIn("Device or resource busy", self.write_fails(1, DEV + "/remove"))
        self.run_ok("echo 1 > /sys/bus/pci/rescan")
        since = self.assert_still_held(mark)
        self.assertIn("mint: sysfs remove of %s refused: node 1 (node1) owns it; mintctl "
                      "destroy node1 gives it back to node0" % BDF, since)

    def test_4_reset_and_config_writes_are_refused(self):
        mark = self.dmesg_mark()
        # Behind its pcie-root-port the function has FLR, PM and bus reset
        # (docs/lab.md "Why root ports"), so the PCI core gives it reset and
        # reset_method files: node0's writes to them are refused.
        self.assertEqual(self.run_ok("cat %s/reset_method" % DEV).split(), ["flr", "pm", "bus"])
        self.assertIn("Device or resource busy", self.write_fails(1, DEV + "/reset"))
        self.write_fails("default", DEV + "/reset_method")
        refused = ["config", "reset", "reset_method"]
        # Clearing the command register would stop the node's DMA and MSI-X.
        status, out = self.m.run("printf '\\000\\000' | dd of=%s/config bs=2 seek=2 count=1 "
                                 "conv=notrunc 2>&1" % DEV, 60)
        self.assertNotEqual(status, 0, out)
        self.assertEqual(self.run_ok("head -c 64 %s/config | wc -c" % DEV).strip(), "64")
        since = self.assert_still_held(mark)
        for what in refused:
            self.assertIn("mint: sysfs %s of %s refused: node 1 (node1) owns it; mintctl "
                          "destroy node1 gives it back to node0" % (what, BDF), since)

    def test_5_destroy_gives_it_back_to_virtio_pci(self):
        mark = self.dmesg_mark()
        self.assertIn("node1 stopped", self.run_ok("mintctl stop node1", 180))
        self.assertIn("node1 destroyed", self.run_ok("mintctl destroy node1", 180))
        self.assertEqual(self.driver(), "virtio-pci")
        self.assertEqual(self.run_ok("cat %s/driver_override" % DEV).strip(), "(null)")
        self.assertIn("sdb", self.run_ok("ls /sys/block").split())
        since = self.dmesg_since(mark)
        self.assertIn("mint: node 1 (node1): %s is no longer owned" % BDF, since)
        self.assertRegex(since, r"mint: node 1 \(node1\): reset %s in \d+ us" % re.escape(BDF))
        self.assertNotIn("has no reset", since)
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace", since)
        self.run_ok("dd if=/dev/sdb of=/dev/null bs=1M count=8 iflag=direct")


# The functions node1 gets in the reset tests: sdb's controller and the NIC
# node0 calls eth0, each behind its own pcie-root-port (docs/lab.md).
RESET_FNS = ("0000:01:00.0", "0000:03:00.0")
PCI_COMMAND_MASTER = 0x4
PCI_CAP_ID_MSIX = 0x11
PCI_MSIX_FLAGS_ENABLE = 0x8000


def config_bytes(od_text):
    """`od -An -tx1 -v .../config` output -> bytes."""
    return bytes(int(b, 16) for b in od_text.split())


def msix_enabled(cfg):
    """The MSI-X capability's Message Control enable bit (PCI 3.0 6.8.2.3),
    found by walking the capability list from 0x34."""
    pos, seen = cfg[0x34] & ~3, 0
    while pos and seen < 48:
        if cfg[pos] == PCI_CAP_ID_MSIX:
            return bool((cfg[pos + 2] | cfg[pos + 3] << 8) & PCI_MSIX_FLAGS_ENABLE)
        pos, seen = cfg[pos + 1] & ~3, seen + 1
    raise AssertionError("no MSI-X capability in %s" % cfg[:64].hex())


def bus_master(cfg):
    return bool(cfg[4] & PCI_COMMAND_MASTER)


class NodeResetAtDestroyTest(LabTestCase):
    """The kernel's reset at NODE_DESTROY really runs (its own lab boot).

    node0 first unbinds virtio-pci from sdb's controller and eth0's NIC, so
    they have no node0 driver (MSI-X and bus mastering off), and node1 boots
    with both (`--pci`). Running node1's drivers enable MSI-X and bus
    mastering, which node0 sees in the config space it may still read, and
    which are still on once node1 stopped (its shutdown does not turn MSI-X
    off). After `mintctl destroy node1` the kernel has logged `reset BDF in
    N us` for each, and nothing rebinds them: the loader gives a function back to the
    driver it had before the boot, and these had none ("left without a
    driver, as it was"). So the config space read after destroy is the one
    the kernel's reset left. It shows MSI-X enable clear, which only a reset
    explains: `pci_clear_master()` (all the kernel did when the functions had
    no reset method) clears bus mastering only, and the config space
    `pci_reset_function()` saves and restores around the reset never
    includes MSI-X control for a function node0 has no MSI-X on. (With
    node0's driver bound again, as after a plain `--disk sdb` destroy,
    virtio-pci enables MSI-X at once and the bit proves nothing: seen in the
    lab, Enable+ right after destroy.) Then node0 binds virtio-pci and
    reads sdb, and eth0 is back."""

    def config(self, bdf):
        return config_bytes(self.run_ok("od -An -tx1 -v /sys/bus/pci/devices/%s/config" % bdf))

    def driver(self, bdf):
        return self.run_ok("basename $(readlink /sys/bus/pci/devices/%s/driver) 2>/dev/null "
                           "|| echo none" % bdf).strip()

    def test_destroy_resets_each_function(self):
        for bdf in RESET_FNS:
            self.run_ok("echo %s > /sys/bus/pci/drivers/virtio-pci/unbind" % bdf)
            self.assertEqual(self.driver(bdf), "none")
            cfg = self.config(bdf)
            self.assertFalse(msix_enabled(cfg), bdf)
        out = self.run_ok("mintctl boot node1 --cores 2 --mem 512M --pci %s --pci %s"
                          % RESET_FNS, 300)
        self.assertIn("node1 is running", out)
        # node1's agent answers only once its drivers probed its functions.
        self.run_ok("mintctl exec node1 -- sh -c 'test -e /sys/block/sda && "
                    "ls /sys/class/net | grep -q eth0'", 120)
        for bdf in RESET_FNS:
            cfg = self.config(bdf)
            self.assertTrue(msix_enabled(cfg), "%s: node1's driver did not enable MSI-X" % bdf)
            self.assertTrue(bus_master(cfg), bdf)
        self.assertIn("node1 stopped", self.run_ok("mintctl stop node1", 180))
        # The node's own shutdown left MSI-X on: what clears it is destroy.
        for bdf in RESET_FNS:
            self.assertTrue(msix_enabled(self.config(bdf)), "%s after stop" % bdf)
        mark = int(self.run_ok("dmesg | wc -l"))
        out = self.run_ok("mintctl destroy node1", 180)
        self.assertIn("node1 destroyed", out)
        after = {bdf: self.config(bdf) for bdf in RESET_FNS}
        since = self.run_ok("dmesg | tail -n +%d" % (mark + 1))
        self.assertNotIn("has no reset", since)
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace", since)
        for bdf in RESET_FNS:
            self.assertIn("left without a driver, as it was", out)
            self.assertEqual(self.driver(bdf), "none")
            m = re.search(r"mint: node 1 \(node1\): reset %s in (\d+) us" % re.escape(bdf), since)
            self.assertTrue(m, "no reset line for %s:\n%s" % (bdf, since))
            self.assertFalse(msix_enabled(after[bdf]),
                             "%s: MSI-X still enabled after destroy: no reset ran" % bdf)
            self.assertFalse(bus_master(after[bdf]), bdf)
            sys.stderr.write("%s: reset in %s us; MSI-X control/command after destroy: "
                             "enable %d, bus master %d\n" % (bdf, m.group(1),
                                                               msix_enabled(after[bdf]),
                                                               bus_master(after[bdf])))
        # node0's driver takes them again and they work.
        for bdf in RESET_FNS:
            self.run_ok("echo %s > /sys/bus/pci/drivers/virtio-pci/bind" % bdf)
        self.run_ok("for h in /sys/class/scsi_host/host*; do case $(readlink -f $h) in "
                    "*/%s/*) echo '- - -' > $h/scan;; esac; done" % RESET_FNS[0])
        self.run_ok("i=0; while [ ! -e /sys/block/sdb ] && [ $i -lt 200 ]; do "
                    "i=$((i+1)); sleep 0.1; done; dd if=/dev/sdb of=/dev/null bs=1M count=8 "
                    "iflag=direct", 120)
        self.assertIn("eth0", self.run_ok("ls /sys/class/net").split())


class NodeResetAtRestartTest(LabTestCase):
    """`mintctl restart` of a node that ran resets its functions before the
    new image is loaded (NODE_LOAD of a started node: `pci_dirty`), and the
    node's drivers take them again (its own lab boot)."""

    def test_restart_resets_each_function(self):
        out = self.run_ok("mintctl boot node1 --cores 2 --mem 512M --disk sdb --nic eth0", 300)
        self.assertIn("node1 is running", out)
        mark = int(self.run_ok("dmesg | wc -l"))
        self.assertIn("node1 restarted", self.run_ok("mintctl restart node1", 300))
        since = self.run_ok("dmesg | tail -n +%d" % (mark + 1))
        self.assertNotIn("has no reset", since)
        for bdf in RESET_FNS:
            self.assertRegex(since, r"mint: node 1 \(node1\): reset %s in \d+ us" % re.escape(bdf))
        # The node after its restart drives both again.
        out = self.run_ok("mintctl exec node1 -- sh -c 'for d in /sys/bus/pci/devices/*; do "
                          "echo ${d##*/} $(basename $(readlink $d/driver)); done'", 120)
        self.assertEqual(out.split("\n")[:2], ["%s virtio-pci" % b for b in RESET_FNS], out)
        self.run_ok("mintctl exec node1 -- dd if=/dev/sda of=/dev/null bs=1M count=8 "
                    "iflag=direct", 120)
        self.assertIn("node1 stopped", self.run_ok("mintctl stop node1", 180))
        self.assertIn("node1 destroyed", self.run_ok("mintctl destroy node1", 180))
