"""e2e (issue 5): a node gets its own disk and NIC in the lab. One lab boot
for the class; the tests run in name order and build on each other:

  1. node1 boots with `--disk sdb --nic eth0`: the kernel records it as the
     owner of 0000:01:00.0 and 0000:03:00.0 and holds them (mint-owned),
     node0 no longer has sdb or eth0,
     `mintctl topology` (table and --json) names node1 as the owner; inside
     node1 (mintctl exec) only those two functions exist, on its drivers;
  2. inside node1 the disk holds the lab's known content; node1 writes a
     file, syncs, re-mounts and reads it back (and reads the whole disk: dd);
  3. node0's own disk sda kept working under a read loop the whole time;
  4. every refusal of issue 5 leaves the host unchanged (online CPUs,
     pool_free, nodes, every function's driver): sdd shares its controller
     with sda, a mounted disk (and a disk on its controller), swap, a NIC with
     node0's address, a NIC with node0's route, no MSI/MSI-X, a bridge, a
     function node1 owns (by BDF and by the disk name node0 no longer has),
     the root port above sdc's controller;
  5. node2 boots with `--disk sdc --nic eth1`; node1 and node2 ping each
     other over the lab's virtual switch;
  6. node1 and node2 run disk I/O loops at the same time: node0's
     /proc/interrupts has no line for any of their functions and its own
     counts do not move for them; each node's shows its own disk's
     interrupts rising and nothing of the other's;
  7. stop + destroy: sdb is back in node0 with node1's file, sdc with
     node2's, eth0/eth1 back, and the host is exactly as before.

Nodes run their part from a script on their command line (`mint_run=`, run
by lab/initramfs/node-init, output read from `mintctl console`), so the disk,
network and interrupt checks need no mint-agent; test_1b uses `mintctl exec`."""

import base64
import gzip
import json
import re
import sys
import time

from labmachine import LabTestCase

NODE_MEM = "512M"
IO_SECONDS = 20

# What "unchanged" means for the host: online CPUs, the free pool, the
# nodes, and the driver of every PCI function.
SNAPSHOT = ("echo online=$(cat /sys/devices/system/cpu/online) "
            "free=$(cat /sys/kernel/mint/pool_free) "
            "nodes=$(ls /sys/kernel/mint/nodes | tr '\\n' ,) "
            "drivers=$(for d in /sys/bus/pci/devices/*; do "
            "printf '%s:%s,' ${d##*/} $(basename $(readlink $d/driver) 2>/dev/null || echo -); "
            "done)")

# node0 reads its own disk in a loop from before node1 boots to the end.
NODE0_SDA_LOOP = r"""
rm -f /tmp/sda-*
( n=0; while :; do
    dd if=/dev/sda of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null \
      || echo "dd failed" >> /tmp/sda-errors
    n=$((n+1)); echo $n > /tmp/sda-rounds; done ) >/dev/null 2>&1 &
echo $! > /tmp/sda-loop.pid
sleep 1
"""
SDA_STATE = ("echo rounds=$(cat /tmp/sda-rounds) alive=$(kill -0 $(cat /tmp/sda-loop.pid) "
             "&& echo yes || echo no) errors=$(cat /tmp/sda-errors 2>/dev/null | wc -l)")

# Runs inside a node (sh, busybox). The disk node0 gave it is its only one:
# sda. {name}, {peer} (the other node's address), {secs} are filled in.
NODE_SCRIPT = r"""
n={name}
i=0; while [ ! -e /sys/block/sda ] && [ $i -lt 300 ]; do i=$((i+1)); sleep 0.1; done
echo "disks: $(cd /sys/block && echo *)"
mount /dev/sda /mnt || {{ echo "disk: mount failed"; exit 1; }}
echo "disk: lab file: $(cat /mnt/MINT-DISK)"
echo "written by $n" > /mnt/from-$n && sync && umount /mnt
mount /dev/sda /mnt && echo "disk: read back: $(cat /mnt/from-$n)"
umount /mnt
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>/dev/null || echo "dd: read error"
t1=$(cut -d' ' -f1 /proc/uptime)
echo "dd: $(($(cat /sys/block/sda/size) * 512)) bytes in $(awk "BEGIN {{print $t1 - $t0}}") s"
echo "net: $(ip -o -4 addr show | grep -v ' lo ' | awk '{{print $2, $4}}')"
i=0; until ping -c 1 -W 1 {peer} >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 300 ] && break; done
echo "ping: $(ping -c 3 -W 2 {peer} 2>&1 | grep -E 'transmitted|round-trip' | tr '\n' ' ')"
echo "irq-before:"; grep 0000: /proc/interrupts; echo "irq-end"
mount /dev/sda /mnt
echo "io: begin"
end=$(( $(cut -d. -f1 /proc/uptime) + {secs} )); k=0
while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do
  dd if=/dev/zero of=/mnt/io-$n bs=64k count=16 conv=fsync 2>/dev/null || echo "io: write error"
  dd if=/dev/sda of=/dev/null bs=64k count=16 skip=$((k % 64 * 16)) iflag=direct 2>/dev/null \
    || echo "io: read error"
  k=$((k+1))
done
rm -f /mnt/io-$n; umount /mnt
echo "io: end rounds=$k"
echo "irq-after:"; grep 0000: /proc/interrupts; echo "irq-end"
"""


def mint_run(script):
    """The node-init hook: mint_run=<base64 of the gzip'ed script>."""
    return "mint_run=" + base64.b64encode(gzip.compress(script.encode(), 9, mtime=0)).decode()


def parse_snapshot(text):
    return dict(kv.split("=", 1) for kv in text.split())


def irq_counts(block):
    """'/proc/interrupts' lines -> {'PCI-MSIX-0000:01:00.0 1-edge virtio0-request': total}."""
    counts = {}
    for line in block.splitlines():
        fields = line.split()
        if not fields or not fields[0].endswith(":"):
            continue
        total, rest = 0, []
        for i, f in enumerate(fields[1:], 1):
            if f.isdigit():
                total += int(f)
            else:
                rest = fields[i:]
                break
        counts[" ".join(rest)] = total
    return counts


def between(text, begin, end):
    m = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.S)
    return m.group(1) if m else None


class NodeDevicesTest(LabTestCase):
    @classmethod
    def setUpLab(cls):
        cls.before = parse_snapshot(cls._node0(SNAPSHOT))
        cls.node0_irq_before = cls._node0("cat /proc/interrupts")
        cls._node0(NODE0_SDA_LOOP)
        cls.sda_before = parse_snapshot(cls._node0(SDA_STATE))
        script = NODE_SCRIPT.format(name="node1", peer="10.0.0.2", secs=IO_SECONDS)
        cls.boot1_rc, cls.boot1_out = cls.m.run(
            "mintctl boot node1 --cores 2 --mem %s --disk sdb --nic eth0 --cmdline "
            "'mint_ip=10.0.0.1/24 %s'" % (NODE_MEM, mint_run(script)), 300)

    def snapshot(self):
        return parse_snapshot(self.run_ok(SNAPSHOT))

    def console_of(self, name):
        return self.run_ok("mintctl console %s" % name)

    def wait_console(self, name, pattern, timeout=240):
        """Polls node `name`'s console until regex `pattern` (re.S) matches."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.console_of(name)
            m = re.search(pattern, text, re.S)
            if m:
                return text, m
            if time.monotonic() > deadline:
                self.fail("%s's console never matched %r within %d s; its tail:\n%s"
                          % (name, pattern, timeout, text[-3000:]))
            time.sleep(2)

    # 1 -------------------------------------------------------------------------
    def test_1_node1_owns_sdb_and_eth0_and_node0_no_longer_has_them(self):
        self.assertEqual(self.boot1_rc, 0, self.boot1_out)
        self.assertIn("node1 is running", self.boot1_out)
        self.assertEqual(self.run_ok("cat /sys/kernel/mint/nodes/1/devices").split(),
                         ["0000:01:00.0", "0000:03:00.0"])
        node0_disks = self.run_ok("ls /sys/block").split()
        self.assertNotIn("sdb", node0_disks)
        self.assertEqual([d for d in node0_disks if d.startswith("sd")], ["sda", "sdc", "sdd"])
        self.assertEqual(self.run_ok("ls /sys/class/net | grep ^eth").split(), ["eth1"])
        for bdf in ("0000:01:00.0", "0000:03:00.0"):
            self.assertEqual(self.run_ok("basename $(readlink /sys/bus/pci/devices/%s/driver)"
                                         % bdf).strip(), "mint-owned")
        table = self.run_ok("mintctl topology")
        self.assertRegex(table, r"(?m)^0000:01:00\.0\s.*\smint-owned\s.*\snode1\s")
        self.assertRegex(table, r"(?m)^0000:03:00\.0\s.*\smint-owned\s.*\snode1\s")
        self.assertRegex(table, r"(?m)^0000:02:00\.0\s.*\svirtio-pci\s.*\snode0\s+sdc\s")
        owners = {f["bdf"]: f["owner"]
                  for f in json.loads(self.run_ok("mintctl --json topology"))["pci"]}
        self.assertEqual(owners["0000:01:00.0"], "node1")
        self.assertEqual(owners["0000:03:00.0"], "node1")
        self.assertEqual(owners["0000:02:00.0"], "node0")
        self.assertEqual(owners["0000:00:02.0"], "node0")

    def test_1b_node1_sees_only_its_own_functions(self):
        # Through mint-agent (mintctl exec): the node probes only the PCI
        # functions it was given, and its drivers bound them.
        out = self.run_ok("mintctl exec node1 -- sh -c 'for d in /sys/bus/pci/devices/*; do "
                          "echo ${d##*/} $(basename $(readlink $d/driver)); done; "
                          "ls /sys/block; ls /sys/class/net'", 120)
        self.assertEqual(out.split("\n")[:2],
                         ["0000:01:00.0 virtio-pci", "0000:03:00.0 virtio-pci"], out)
        self.assertIn("sda", out.split())
        self.assertIn("eth0", out.split())

    # 2 -------------------------------------------------------------------------
    def test_2_node1_reads_the_labs_content_and_its_write_survives_a_remount(self):
        text, m = self.wait_console("node1", r"\ndd: (\d+) bytes in ([\d.]+) s\n")
        self.assertIn("mint-node: node1 up: 2 CPUs", text)
        self.assertRegex(text, r"disks: sda\n")
        self.assertIn("disk: lab file: mint lab disk sdb\n", text)
        self.assertIn("disk: read back: written by node1\n", text)
        self.assertNotIn("dd: read error", text)
        self.assertEqual(int(m.group(1)), 64 << 20)
        secs = float(m.group(2))
        sys.stderr.write("measured: node1 reads all of sdb (64 MiB, O_DIRECT, 1 MiB blocks) in "
                         "%.2f s of its own clock: %.1f MiB/s\n" % (secs, 64 / max(secs, 0.01)))

    # 3 -------------------------------------------------------------------------
    def test_3_node0s_own_disk_keeps_working_under_load(self):
        self.run_ok("sleep 2")
        after = parse_snapshot(self.run_ok(SDA_STATE))
        self.assertEqual(after["alive"], "yes")
        self.assertEqual(after["errors"], "0", self.run_ok("cat /tmp/sda-errors || true"))
        self.assertGreater(int(after["rounds"]), int(self.sda_before["rounds"]) + 5)
        sys.stderr.write("measured: node0's sda loop did %d rounds of 4 MiB (O_DIRECT) while "
                         "node1 booted and used sdb\n"
                         % (int(after["rounds"]) - int(self.sda_before["rounds"])))

    # 4 -------------------------------------------------------------------------
    def refused(self, args, message, prepare=None, cleanup=None):
        with self.subTest(args=args):
            if prepare:
                self.run_ok(prepare)
            try:
                before = self.snapshot()
                status, out = self.m.run("mintctl boot node3 --cores 2 %s" % args, 120)
                self.assertEqual(status, 2, out)
                self.assertEqual(out.strip().splitlines()[-1], message)
                self.assertEqual(self.snapshot(), before)
            finally:
                if cleanup:
                    self.run_ok(cleanup)

    def test_4_refusals_leave_the_host_unchanged(self):
        start = self.snapshot()
        self.refused("--disk sdd",
                     "mintctl: --disk: sdd is on controller 0000:00:02.0, which also serves sda; "
                     "give the node a disk on its own controller")
        self.refused("--disk /dev/sdd",
                     "mintctl: --disk: sdd is on controller 0000:00:02.0, which also serves sda; "
                     "give the node a disk on its own controller")
        self.refused("--disk sdd",
                     "mintctl: --disk: sdd is on controller 0000:00:02.0, which also serves sda "
                     "(mounted at /mnt/sda); give the node a disk on its own controller",
                     prepare="mkdir -p /mnt/sda && mount -o ro /dev/sda /mnt/sda",
                     cleanup="umount /mnt/sda")
        self.refused("--disk sdc",
                     "mintctl: --disk: sdc is mounted at /mnt/sdc in node0; unmount it (umount "
                     "/mnt/sdc) or give the node another disk",
                     prepare="mkdir -p /mnt/sdc && mount -o ro /dev/sdc /mnt/sdc",
                     cleanup="umount /mnt/sdc")
        # sdd is the lab's expendable disk (snapshot=on: the image is untouched).
        self.refused("--disk sdd",
                     "mintctl: --disk: sdd is swap space of node0; turn it off (swapoff "
                     "/dev/sdd) or give the node another disk",
                     prepare="mkswap /dev/sdd >/dev/null && swapon /dev/sdd",
                     cleanup="swapoff /dev/sdd")
        self.refused("--nic eth1",
                     "mintctl: --nic: eth1 carries node0's address 10.0.9.1/24; node0 would lose "
                     "it: give the node a NIC node0 does not use, or remove the address first "
                     "(ip addr flush dev eth1)",
                     prepare="echo 1 > /proc/sys/net/ipv6/conf/eth1/disable_ipv6; "
                     "ip addr add 10.0.9.1/24 dev eth1 && ip link set eth1 up",
                     cleanup="ip addr flush dev eth1; ip link set eth1 down")
        self.refused("--nic eth1",
                     "mintctl: --nic: eth1 carries node0's route 10.9.0.0/16; node0 would lose "
                     "it: give the node a NIC node0 does not use, or remove its routes first "
                     "(ip route flush dev eth1)",
                     prepare="ip link set eth1 up && ip route add 10.9.0.0/16 dev eth1",
                     cleanup="ip route flush dev eth1; ip link set eth1 down; "
                     "echo 0 > /proc/sys/net/ipv6/conf/eth1/disable_ipv6")
        self.refused("--pci 0000:00:1f.3",
                     "mintctl: --pci: 0000:00:1f.3 (%s) has neither MSI nor MSI-X; a node takes "
                     "device interrupts only as MSI, so give it a device that has them"
                     % self.description("0000:00:1f.3"))
        self.refused("--pci 0000:00:1f.0",
                     "mintctl: --pci: 0000:00:1f.0 is an ISA bridge; bridges stay with node0: "
                     "give the node an endpoint device")
        # The root port above node2's disk controller.
        self.refused("--pci 0000:00:1c.1",
                     "mintctl: --pci: 0000:00:1c.1 is a PCI bridge; bridges stay with node0: "
                     "give the node an endpoint device")
        self.refused("--pci 0000:01:00.0",
                     "mintctl: --pci: 0000:01:00.0 belongs to node1; give the node another "
                     "device or destroy node1 first")
        self.refused("--nic eth0",
                     "mintctl: --nic: no network interface named eth0; this host has eth1 "
                     "(mintctl topology lists them); node1 owns 0000:03:00.0 (%s), whose "
                     "interface node0 no longer sees" % self.description("0000:03:00.0"))
        self.refused("--disk sdb",
                     "mintctl: --disk: no disk named sdb; this host has sda, sdc and sdd "
                     "(mintctl topology lists them); node1 owns 0000:01:00.0 (%s), whose disks "
                     "node0 no longer sees" % self.description("0000:01:00.0"))
        self.assertEqual(self.snapshot(), start)

    def test_4b_a_boot_the_image_builder_would_refuse_touches_nothing_even_briefly(self):
        # Before issue 12 this boot took CPUs offline and moved sdc to
        # pci-stub, then undid it all when the boot image could not be built.
        before = self.snapshot()
        mark = int(self.run_ok("dmesg | wc -l"))
        status, out = self.m.run("mintctl boot node3 --cores 2 --disk sdc --cmdline %s"
                                 % ("x" * 3000), 120)
        self.assertEqual(status, 2, out)
        self.assertRegex(out.strip().splitlines()[-1],
                         r"^mintctl: node3: the kernel command line is \d+ bytes; this kernel "
                         r"accepts at most 2047 \(cmdline_size\): shorten it; nothing on the "
                         r"host was changed$")
        self.assertEqual(self.snapshot(), before)
        since = self.run_ok("dmesg | tail -n +%d" % (mark + 1))
        self.assertNotRegex(since, r"(?i)offline|mint: node|pci-stub|virtio_scsi", since)

    def description(self, bdf):
        for f in json.loads(self.run_ok("mintctl --json topology"))["pci"]:
            if f["bdf"] == bdf:
                return f["description"]
        self.fail("mintctl topology --json has no %s" % bdf)

    # 5 -------------------------------------------------------------------------
    def test_5_node2_boots_with_sdc_and_eth1_and_the_nodes_ping_each_other(self):
        script = NODE_SCRIPT.format(name="node2", peer="10.0.0.1", secs=IO_SECONDS)
        status, out = self.m.run(
            "mintctl boot node2 --cores 2 --mem %s --disk sdc --nic eth1 --cmdline "
            "'mint_ip=10.0.0.2/24 %s'" % (NODE_MEM, mint_run(script)), 300)
        self.assertEqual(status, 0, out)
        self.assertEqual(self.run_ok("cat /sys/kernel/mint/nodes/2/devices").split(),
                         ["0000:02:00.0", "0000:04:00.0"])
        for name, me in (("node1", "10.0.0.1"), ("node2", "10.0.0.2")):
            text, m = self.wait_console(name, r"\nping: ([^\n]*)\n")
            self.assertIn("disk: lab file: mint lab disk %s\n" % ("sdb" if name == "node1"
                                                                   else "sdc"), text)
            self.assertRegex(text, r"net: eth0 %s/24\n" % re.escape(me))
            self.assertRegex(m.group(1), r"3 packets transmitted, 3 packets received, 0% "
                             r"packet loss", m.group(1))
            sys.stderr.write("measured: %s pings the other node: %s\n" % (name, m.group(1)))

    # 6 -------------------------------------------------------------------------
    def test_6_concurrent_io_interrupts_stay_with_their_node(self):
        # Both loops run for IO_SECONDS after their ping succeeded: watch for
        # a moment when both have begun and neither has ended.
        overlap = False
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not overlap:
            c1, c2 = self.console_of("node1"), self.console_of("node2")
            began = "io: begin" in c1 and "io: begin" in c2
            ended = "io: end" in c1 or "io: end" in c2
            if began and not ended:
                overlap = True
            elif ended and not began:
                break
            else:
                time.sleep(1)
        self.assertTrue(overlap, "node1's and node2's I/O loops never ran at the same time")
        node0_during = self.run_ok("cat /proc/interrupts")
        results = {}
        for name, own, other in (("node1", "0000:01:00.0", "0000:02:00.0"),
                                 ("node2", "0000:02:00.0", "0000:01:00.0")):
            text, m = self.wait_console(name, r"\nio: end rounds=(\d+)\n.*irq-end", 240)
            self.assertNotIn("io: write error", text)
            self.assertNotIn("io: read error", text)
            before = irq_counts(between(text, "irq-before:", "irq-end"))
            after = irq_counts(between(text.split("io: end")[1], "irq-after:", "irq-end"))
            own_before = sum(v for k, v in before.items() if own in k)
            own_after = sum(v for k, v in after.items() if own in k)
            self.assertGreater(own_after, own_before + int(m.group(1)),
                               "%s's disk interrupts did not rise with its I/O:\n%s"
                               % (name, text[-3000:]))
            self.assertFalse([k for k in after if other in k],
                             "%s sees the other node's disk: %s" % (name, after))
            results[name] = (int(m.group(1)), own_after - own_before)
        node0_after = self.run_ok("cat /proc/interrupts")
        for bdf in ("0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:04:00.0"):
            for snap in (node0_during, node0_after):
                self.assertNotIn(bdf, snap, "node0 has an interrupt of %s" % bdf)
        # node0's own interrupt lines: only its own devices', and sda's rose.
        b, a = irq_counts(self.node0_irq_before), irq_counts(node0_after)
        sda = [k for k in a if "0000:00:02.0" in k and "request" in k]
        self.assertTrue(sda, node0_after)
        self.assertGreater(sum(a[k] for k in sda), sum(b.get(k, 0) for k in sda))
        sys.stderr.write(
            "measured: %d s concurrent I/O: node1 %d rounds, %d interrupts of 0000:01:00.0 in "
            "node1; node2 %d rounds, %d interrupts of 0000:02:00.0 in node2; node0: 0 lines "
            "for 0000:01:00.0-04:00.0, its sda (0000:00:02.0) request interrupts %d -> %d\n"
            % (IO_SECONDS, results["node1"][0], results["node1"][1], results["node2"][0],
               results["node2"][1], sum(b.get(k, 0) for k in sda), sum(a[k] for k in sda)))

    # 7 -------------------------------------------------------------------------
    def test_7_destroy_gives_the_disks_back_with_the_nodes_data(self):
        for name in ("node1", "node2"):
            self.assertIn("%s stopped" % name, self.run_ok("mintctl stop %s" % name, 180))
            self.assertIn("%s destroyed" % name, self.run_ok("mintctl destroy %s" % name, 180))
        self.assertEqual([d for d in self.run_ok("ls /sys/block").split() if d.startswith("sd")],
                         ["sda", "sdb", "sdc", "sdd"])
        self.assertEqual(self.run_ok("ls /sys/class/net | grep ^eth").split(), ["eth0", "eth1"])
        for disk, name in (("sdb", "node1"), ("sdc", "node2")):
            out = self.run_ok("mkdir -p /mnt/{d} && mount -o ro /dev/{d} /mnt/{d} && "
                              "cat /mnt/{d}/MINT-DISK /mnt/{d}/from-{n}; umount /mnt/{d}"
                              .format(d=disk, n=name))
            self.assertEqual(out, "mint lab disk %s\nwritten by %s" % (disk, name))
        owners = {f["bdf"]: f["owner"]
                  for f in json.loads(self.run_ok("mintctl --json topology"))["pci"]}
        self.assertEqual(set(owners.values()), {"node0"}, owners)
        self.assertRegex(self.run_ok("mintctl topology"),
                         r"(?m)^0000:01:00\.0\s.*\svirtio-pci\s.*\snode0\s+sdb\s")
        after = parse_snapshot(self.run_ok(SDA_STATE))
        self.assertEqual((after["alive"], after["errors"]), ("yes", "0"))
        self.run_ok("kill $(cat /tmp/sda-loop.pid)")
        self.assertEqual(self.snapshot(), self.before)
