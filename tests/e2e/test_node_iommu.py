"""e2e (issue 13): node0's IOMMU fences the DMA of every PCI function a
node owns to the node's memory. One lab boot (an intel-iommu, node0 with
intel_iommu=on iommu=pt, QEMU's edu devices: docs/lab.md); the tests run in
name order:

  1. node1 boots with its disk, its NIC and the edu device 00:07.0;
     nodes/<id>/iommu says each is fenced in its own group, node0's log says
     so; node1 reads its disk, and pings node2 over its NIC;
  2. each function's DMA domain, read back from the IOMMU's own debugfs
     (the VT-d page tables), identity-maps exactly node1's memory
     (nodes/<id>/memory) and its RAM below 1 MiB, and nothing else;
  3. the device's DMA inside node1 works: a page of node1 goes into the
     edu device and back into another page (mint-dma roundtrip);
  4. node1 aims the device's DMA at a canary page of node0 and one of
     node2 (physical addresses from their /proc/self/pagemap): each write
     faults in node0's IOMMU log, both canaries are unchanged, node1's DMA
     into its own memory still works;
  5. a function whose IOMMU group has another member (00:08.0 of the
     multi-function edu 00:08.0 + 00:08.1) is refused before anything is
     touched, naming the other member; given together they boot in one
     group, both fenced;
  6. node3 with --no-iommu: status and nodes/3/iommu say unfenced, and its
     DMA does reach node2's canary (the control that shows the hook can
     write where the fence stops it);
  7. destroy gives each group back to node0's default domain.

The DMA hook is lab/programs/mint-dma.c, in every initramfs."""

import re
import sys

from labmachine import LabTestCase

EDU = "0000:00:07.0"
EDU_PAIR = ("0000:00:08.0", "0000:00:08.1")
DEBUGFS = "/sys/kernel/debug/iommu/intel"
# The VT-d page tables of a function's domain (debugfs), as ranges: one
# "START END" line (bytes, END exclusive) per run of contiguous pages,
# then "nonidentity N": leaves whose address is not their IOVA.
DOMAIN_RANGES = ("awk '/^0x/ { p = $1 + 0; v = $NF + 0; if (int(v / 4096) != p) bad++; "
                 "if (n && p == e) { e = p + 1 } else { if (n) print s * 4096, e * 4096; "
                 "s = p; e = p + 1; n++ } } "
                 "END { if (n) print s * 4096, e * 4096; print \"nonidentity\", bad + 0 }' "
                 + DEBUGFS + "/%s/domain_translation_struct")


def merged(ranges):
    out = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


class NodeIommuTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        cls._node0("mount -t debugfs none /sys/kernel/debug 2>/dev/null; test -d %s" % DEBUGFS)
        cls.boot_rc, cls.boot_out = cls._boot_networked_nodes(EDU)

    def node1_functions(self):
        return self.run_ok("cat %s/devices" % self.sysdir("node1")).split()

    def fences(self, name):
        """nodes/<id>/iommu -> {bdf: 'fenced N' | 'unfenced'}."""
        out = {}
        for line in self.run_ok("cat %s/iommu" % self.sysdir(name)).splitlines():
            bdf, _, state = line.strip().partition(" ")
            out[bdf] = state
        return out

    def canary(self, where):
        """Starts a canary page in node0 ('node0') or a node; its address."""
        start = ("setsid mint-dma canary > /tmp/canary.out 2>&1 < /dev/null & "
                 "echo $! > /tmp/canary.pid; i=0; "
                 "until grep -q '^canary 0x' /tmp/canary.out; do "
                 "i=$((i+1)); [ $i -ge 100 ] && break; sleep 0.1; done; cat /tmp/canary.out")
        out = self.in_(where, start)
        m = re.search(r"^canary (0x[0-9a-f]+)$", out, re.M)
        self.assertIsNotNone(m, "%s: no canary: %s" % (where, out))
        return m.group(1)

    def canary_result(self, where):
        out = self.in_(where, "kill -USR1 $(cat /tmp/canary.pid); i=0; "
                       "until grep -q '^canary [ic]' /tmp/canary.out; do "
                       "i=$((i+1)); [ $i -ge 100 ] && break; sleep 0.1; done; "
                       "tail -n 1 /tmp/canary.out")
        return out.strip()

    def in_(self, where, command):
        if where == "node0":
            return self.run_ok(command)
        return self.in_node(where, command)

    def dmesg_mark(self):
        return int(self.run_ok("dmesg | wc -l"))

    def dmesg_since(self, mark):
        return self.run_ok("dmesg | tail -n +%d" % (mark + 1))

    def test_1_node1s_functions_are_fenced_and_work(self):
        self.assertEqual(self.boot_rc, 0, self.boot_out)
        functions = self.node1_functions()
        self.assertEqual(len(functions), 3, functions)
        fences = self.fences("node1")
        self.assertEqual(sorted(fences), sorted(functions))
        groups = []
        log = self.run_ok("dmesg")
        for bdf, state in fences.items():
            m = re.fullmatch(r"fenced (\d+)", state)
            self.assertIsNotNone(m, "%s: %s" % (bdf, state))
            groups.append(m.group(1))
            self.assertRegex(log, r"mint: node \d \(node1\): %s fenced by the IOMMU \(group %s\): "
                             r"its DMA reaches only the node's memory" % (bdf, m.group(1)))
        self.assertEqual(len(set(groups)), 3, "one group each: %s" % fences)
        status = self.run_ok("mintctl status")
        self.assertRegex(status, r"(?m)^node1\s.*\sfenced \(groups %s\)\s"
                         % ", ".join(sorted(groups, key=int)))
        out = self.run_ok("mintctl exec node1 -- dd if=/dev/sda of=/dev/null bs=1M count=16 "
                          "iflag=direct", 180)
        self.assertIn("16+0 records in", out)
        out = self.run_ok("mintctl exec node1 -- sh -c 'i=0; until ping -c 1 -W 1 10.0.0.2 "
                          ">/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && break; done; "
                          "ping -c 3 -W 2 10.0.0.2'", 240)
        self.assertIn("3 packets transmitted, 3 packets received", out)

    def test_2_each_domain_maps_exactly_node1s_memory(self):
        memory = []
        for line in self.run_ok("cat %s/memory" % self.sysdir("node1")).splitlines():
            start, size = (int(x, 16) for x in line.split())
            memory.append((start, start + size))
        low = []
        for line in self.in_("node1", "cat /proc/iomem").splitlines():
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : System RAM$", line)
            if m and int(m.group(1), 16) < 0x100000:
                low.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
        self.assertTrue(low, "node1 has no RAM below 1 MiB")
        want = merged(memory + low)
        for bdf in self.node1_functions():
            out = self.run_ok(DOMAIN_RANGES % bdf, 300)
            lines = out.strip().splitlines()
            self.assertEqual(lines[-1], "nonidentity 0", out)
            got = merged([tuple(int(x) for x in line.split()) for line in lines[:-1]])
            self.assertEqual(got, want, "%s's domain maps %s, node1 has %s" % (bdf, got, want))
            sys.stderr.write("measured: %s's domain maps %s\n" % (
                bdf, ", ".join("[%#x-%#x)" % r for r in got)))

    def test_3_the_devices_dma_inside_node1_works(self):
        out = self.run_ok("mintctl exec node1 -- mint-dma roundtrip %s" % EDU, 120)
        self.assertRegex(out, r"roundtrip ok 0x[0-9a-f]+ 0x[0-9a-f]+")

    def test_4_a_dma_outside_node1_faults_and_corrupts_nothing(self):
        targets = {"node0": self.canary("node0"), "node2": self.canary("node2")}
        mark = self.dmesg_mark()
        for where, phys in targets.items():
            out = self.run_ok("mintctl exec node1 -- mint-dma write %s %s" % (EDU, phys), 120)
            self.assertIn("write done %s" % phys, out)
        since = ""
        for _ in range(50):
            since = self.dmesg_since(mark)
            if all(self.fault_re(phys).search(since) for phys in targets.values()):
                break
            self.run_ok("sleep 0.2")
        for where, phys in targets.items():
            self.assertRegex(since, self.fault_re(phys), "no IOMMU fault for the DMA at %s (%s)"
                             % (phys, where))
            self.assertEqual(self.canary_result(where), "canary intact", where)
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace")
        self.test_3_the_devices_dma_inside_node1_works()

    @staticmethod
    def fault_re(phys):
        return re.compile(r"DMAR: \[DMA Write NO_PASID\] Request device \[00:07\.0\] "
                          r"fault addr 0x0*%s" % phys[2:])

    def test_5_a_function_sharing_its_iommu_group_goes_with_the_others_or_not_at_all(self):
        before = self.run_ok("ls /sys/kernel/mint/nodes; cat /sys/kernel/mint/pool_free; "
                             "cat /sys/devices/system/cpu/online")
        status, out = self.m.run("mintctl boot node3 --cores 1 --mem 256M --pci %s"
                                 % EDU_PAIR[0], 120)
        self.assertNotEqual(status, 0, out)
        self.assertRegex(out, r"%s is in IOMMU group \d+ with %s" % EDU_PAIR)
        self.assertEqual(self.run_ok("ls /sys/kernel/mint/nodes; cat /sys/kernel/mint/pool_free; "
                                     "cat /sys/devices/system/cpu/online"), before)
        self.run_ok("mintctl boot node3 --cores 1 --mem 256M --pci %s --pci %s" % EDU_PAIR, 300)
        fences = self.fences("node3")
        self.assertEqual(sorted(fences), list(EDU_PAIR))
        self.assertRegex(fences[EDU_PAIR[0]], r"^fenced \d+$")
        self.assertEqual(fences[EDU_PAIR[0]], fences[EDU_PAIR[1]], "one group, one domain")
        self.run_ok("mintctl stop node3 && mintctl destroy node3", 300)

    def test_6_an_unfenced_node_is_shown_and_its_dma_reaches_other_nodes(self):
        self.run_ok("mintctl boot node3 --cores 1 --mem 256M --no-iommu --pci %s" % EDU_PAIR[0]
                    + " --pci %s" % EDU_PAIR[1], 300)
        self.assertEqual(self.fences("node3"), {EDU_PAIR[0]: "unfenced", EDU_PAIR[1]: "unfenced"})
        self.assertRegex(self.run_ok("mintctl status"), r"(?m)^node3\s.*\sunfenced \(--no-iommu\)\s")
        phys = self.canary("node2")
        self.run_ok("mintctl exec node3 -- mint-dma write %s %s" % (EDU_PAIR[0], phys), 120)
        self.assertRegex(self.canary_result("node2"), r"^canary changed \d+$")
        self.run_ok("mintctl stop node3 && mintctl destroy node3", 300)

    def test_7_destroy_gives_each_group_back_to_node0(self):
        groups = {bdf: state.split()[1] for bdf, state in self.fences("node1").items()}
        mark = self.dmesg_mark()
        self.run_ok("mintctl stop node1 && mintctl destroy node1", 300)
        since = self.dmesg_since(mark)
        for bdf, group in groups.items():
            self.assertRegex(since, r"mint: node \d \(node1\): %s no longer fenced; IOMMU group %s "
                             r"is back in node0's default domain" % (bdf, group))
            self.assertEqual(self.run_ok("cat /sys/kernel/iommu_groups/%s/type" % group).strip(),
                             "identity")
        self.assertNotRegex(since, r"WARNING:|BUG:|Oops|Call Trace")
        self.run_ok("test -b /dev/sdb")

