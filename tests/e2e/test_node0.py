"""e2e: node0 boots in the lab with 6 CPUs, its disks under stable names
with the expected content and controllers, its NICs, the node defaults of
docs/abi.md, and working extra UARTs."""

import re
import time
import unittest

from labmachine import LabTestCase, disks, SMP

NICS = {"0000:03:00.0": "52:54:00:6d:00:01", "0000:04:00.0": "52:54:00:6d:00:02"}


class Node0Test(LabTestCase):
    def test_sees_six_cpus(self):
        self.assertEqual(self.run_ok("nproc").strip(), str(SMP))
        self.assertEqual(self.run_ok("grep -c ^processor /proc/cpuinfo").strip(), str(SMP))

    def test_cmdline_and_memory(self):
        cmdline = self.run_ok("cat /proc/cmdline")
        self.assertIn("console=ttyS0", cmdline)
        self.assertIn("mint_pool=4G", cmdline)
        kib = int(re.search(r"MemTotal:\s+(\d+) kB", self.run_ok("cat /proc/meminfo")).group(1))
        # 6 GiB machine; once mint_pool= works, 4 GiB of it is the pool.
        self.assertGreater(kib, 1536 * 1024)
        self.assertLess(kib, 6 * 1024 * 1024)

    def test_cpu_has_svm_and_xapic_mode(self):
        flags = self.run_ok("grep -m1 ^flags /proc/cpuinfo").split()
        self.assertIn("svm", flags)
        self.assertNotIn("x2apic", flags, "QEMU 7.2 TCG offers no x2APIC")

    def test_disks_have_stable_names_controllers_and_content(self):
        names = self.run_ok("cd /sys/block && echo sd*").split()
        self.assertEqual(names, ["sda", "sdb", "sdc", "sdd"])
        for name, (pci, target, label) in disks.DISKS.items():
            with self.subTest(disk=name):
                path = self.run_ok("readlink -f /sys/block/%s" % name).strip()
                self.assertIn("/%s/" % pci, path)
                self.assertRegex(path, r"/target\d+:0:%d/" % target)
                out = self.run_ok("mkdir -p /mnt/t && mount -o ro /dev/%s /mnt/t && "
                                  "cat /mnt/t/MINT-DISK; s=$?; umount /mnt/t; exit $s" % name)
                self.assertEqual(out, disks.marker_text(name).rstrip("\n"))

    def test_sda_and_sdd_share_a_controller_sdb_sdc_do_not(self):
        def pci_of(name):
            path = self.run_ok("readlink -f /sys/block/%s" % name)
            return re.findall(r"0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", path)[-1]
        self.assertEqual(pci_of("sda"), pci_of("sdd"))
        controllers = {pci_of(n) for n in ("sda", "sdb", "sdc")}
        self.assertEqual(len(controllers), 3)

    def test_node_disk_controllers_use_msix(self):
        for pci in ("0000:01:00.0", "0000:02:00.0"):
            with self.subTest(controller=pci):
                irqs = self.run_ok("ls /sys/bus/pci/devices/%s/msi_irqs" % pci).split()
                self.assertGreater(len(irqs), 1)
                caps = self.run_ok("lspci -vv -s %s" % pci[5:])
                self.assertIn("MSI-X: Enable+", caps)

    def test_one_nic_per_node(self):
        out = self.run_ok("for n in /sys/class/net/eth*; do "
                          "echo $(basename $(dirname $(readlink -f $n/device))) $(cat $n/address); done")
        seen = dict(line.split() for line in out.splitlines())
        self.assertEqual(seen, NICS)

    def test_node_defaults_and_kexec(self):
        self.run_ok("test -s /boot/mint/bzImage && test -s /boot/mint/node-initrd.img")
        self.assertIn("kexec-tools", self.run_ok("kexec --version"))
        # The node initramfs is a gzip'ed cpio holding /init.
        self.assertIn("init", self.run_ok("zcat /boot/mint/node-initrd.img | cpio -t 2>/dev/null"))

    def test_extra_uarts_reach_node_serial_files(self):
        for node, tty in ((1, "ttyS1"), (2, "ttyS2")):
            with self.subTest(node=node):
                token = "uart-check-node%d-%d" % (node, int(time.time()))
                self.run_ok("echo %s > /dev/%s" % (token, tty))
                deadline = time.monotonic() + 10
                while token not in self.m.serial_log(node) and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertIn(token, self.m.serial_log(node))

    def test_exit_status_and_output_are_exact(self):
        status, out = self.m.run("printf 'a\\nb'; exit 7")
        self.assertEqual((status, out), (7, "a\nb"))
        status, out = self.m.run("echo '@@B not a marker'; false")
        self.assertEqual((status, out), (1, "@@B not a marker"))
        long_cmd = "echo " + "x" * 3000
        self.assertEqual(self.run_ok(long_cmd), "x" * 3000)


if __name__ == "__main__":
    unittest.main()
