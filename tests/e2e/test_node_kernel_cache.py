"""e2e (issue 16): a node boots its kernel expanded. The first `mintctl boot`
decompresses the lab's bzImage (xz) into /var/cache/mint/kernels and loads
vmlinux's segments; the node runs, its text moved by KASLR (its panic says
a non-zero "Kernel Offset"); `mintctl restart` takes the kernel from the
cache and the node runs the very same build (uname -v, GNU build id); a
bzImage changed in place (same path, other bytes) is expanded afresh at the
next restart; `nokaslr` keeps the text at its link address; `mintctl plan`
only reads the cache (an image never booted is "not expanded yet")."""

import re

from labmachine import LabTestCase

IDENTITY = ("sh -c 'uname -v; od -An -tx1 /sys/kernel/notes | tr -d \" \\n\"; echo'")
CRASH = "sh -c 'echo c > /proc/sysrq-trigger'"
OFFSET = r"Kernel Offset: (0x[0-9a-f]+|disabled)"


class NodeKernelCacheTest(LabTestCase):

    def panic_offset(self, node, node_id):
        """Panics the node; the Kernel Offset its panic printed."""
        self.m.run("mintctl exec %s -- %s" % (node, CRASH), 60)
        self.run_ok("i=0; until [ \"$(cat /sys/kernel/mint/nodes/%d/state)\" = crashed ]; do "
                    "i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1; done" % node_id, 90)
        offsets = re.findall(OFFSET, self.run_ok("mintctl console %s" % node))
        self.assertTrue(offsets, "no Kernel Offset line in %s's panic" % node)
        return offsets[-1]

    def test_1_boot_expands_restart_reuses_a_changed_image_is_expanded_again(self):
        out = self.run_ok("mintctl boot node1 --cores 2 --mem 512M", 300)
        self.assertRegex(out, r"kernel expanded \(xz, \d+[^)]*\), cached as "
                              r"/var/cache/mint/kernels/[0-9a-f]{32}\.vmlinux")
        self.assertRegex(out, r"NODE_LOAD node1 \(id 1\): kernel [^,]+ at 0x[0-9a-f]+, "
                              r"kernel\.1 ")
        first = self.run_ok("mintctl exec node1 -- %s" % IDENTITY)
        self.assertRegex(first, r"^#\d+ SMP .*\n[0-9a-f]{40,}$")
        self.assertEqual(self.run_ok("ls /var/cache/mint/kernels | wc -l").strip(), "1")
        offset = self.panic_offset("node1", 1)
        self.assertNotIn(offset, ("disabled", "0x0"), "the expanded kernel was not moved by KASLR")

        out = self.run_ok("mintctl restart node1", 300)
        self.assertRegex(out, r"kernel expanded, from the cache \(/var/cache/mint/kernels/")
        self.assertEqual(self.run_ok("mintctl exec node1 -- %s" % IDENTITY), first)

        # The same path, other bytes (a character of the version string in
        # the setup part): a new cache entry, not the old one.
        self.run_ok("cp /boot/mint/bzImage /tmp/bzImage.orig; "
                    "off=$(( $(od -An -tu2 -j 526 -N 2 /boot/mint/bzImage) + 0x200 )); "
                    "printf 'X' | dd of=/boot/mint/bzImage bs=1 seek=$off conv=notrunc "
                    "2>/dev/null")
        self.addCleanup(self.m.run, "cp /tmp/bzImage.orig /boot/mint/bzImage")
        out = self.run_ok("mintctl restart node1", 300)
        self.assertRegex(out, r"kernel expanded \(xz, ")
        self.assertEqual(self.run_ok("ls /var/cache/mint/kernels | wc -l").strip(), "2")
        self.assertEqual(self.run_ok("mintctl exec node1 -- uname -v"), first.splitlines()[0])

    def test_2_nokaslr_keeps_the_link_address(self):
        self.run_ok("mintctl boot node2 --cores 2 --mem 512M --cmdline nokaslr", 300)
        self.assertEqual(self.panic_offset("node2", 2), "disabled")

    def test_3_plan_reads_the_cache_and_writes_nothing(self):
        self.run_ok("cp /boot/mint/bzImage /tmp/k3; "
                    "off=$(( $(od -An -tu2 -j 526 -N 2 /tmp/k3) + 0x201 )); "
                    "printf 'Y' | dd of=/tmp/k3 bs=1 seek=$off conv=notrunc 2>/dev/null")
        before = self.run_ok("ls /var/cache/mint/kernels 2>/dev/null | sort")
        out = self.run_ok("mintctl plan node3 --cores 1 --mem 256M --kernel /tmp/k3")
        self.assertIn("kernel not expanded yet: mintctl boot expands it and caches it in "
                      "/var/cache/mint/kernels", out)
        self.assertEqual(self.run_ok("ls /var/cache/mint/kernels 2>/dev/null | sort"), before)
