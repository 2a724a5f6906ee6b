"""The scripted tour of mint shown by `lab/mint-lab demo`. Each step is a
title and a shell command run in node0. `must` steps show what works today
and fail the demo when they fail; the other steps show what mint does (or,
until the pieces land, the clear error it gives) and never fail the demo.
To extend the tour, add a Step to STEPS (a plain list, in the order shown).

Talking to a node: until mint-agent (`mintctl exec`) is in the image, a node
runs a script given on its command line (`mint_run=`, see
lab/initramfs/node-init) and node0 reads the output on the node's console;
NODE_SCRIPT/NODE_OUTPUT below are the two halves of that."""

import collections

from .machine import CommandTimeout

Step = collections.namedtuple("Step", "title command must")


def node_script(path, script):
    """node0 shell that writes `script` to `path`; boot the node with
    --cmdline "mint_run=$(gzip -c PATH | base64 | tr -d '\\n')"."""
    return "cat > %s <<'MINT_EOF'\n%s\nMINT_EOF\n" % (path, script.strip("\n"))


def node_output(name, timeout=90):
    """node0 shell that waits for the end of a node's mint_run script and
    prints what it wrote on the console."""
    return ("i=0; until mintctl console {n} | grep -q 'mint-run: end'; do "
            "i=$((i+1)); [ $i -gt {t} ] && echo '(no end of the script after {t} s)' && break; "
            "sleep 1; done; mintctl console {n} | sed -n '/mint-run: begin/,/mint-run: end/p'"
            ).format(n=name, t=timeout)


# Runs in node1: the disk node0 called sdb is the node's only disk, sda.
NODE1_DISK_SCRIPT = r"""
i=0; while [ ! -e /sys/block/sda ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.1; done
echo "node1's disks: $(cd /sys/block && echo *)"
mount /dev/sda /mnt || exit 1
echo "node1 reads the lab's file: $(cat /mnt/MINT-DISK)"
echo "written by node1 on its own disk" > /mnt/from-node1
sync; umount /mnt; mount /dev/sda /mnt
echo "node1 reads back after sync and re-mount: $(cat /mnt/from-node1)"
umount /mnt
t0=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>/dev/null
t1=$(cut -d' ' -f1 /proc/uptime)
echo "node1 reads all of its disk (64 MiB, O_DIRECT) in $(awk "BEGIN {print $t1 - $t0}") s"
grep -E 'CPU|virtio' /proc/interrupts
"""

STEPS = [
    Step("node0's CPUs (TCG -cpu max: AMD SVM, xAPIC)",
         "nproc; grep -m1 'model name' /proc/cpuinfo; "
         "echo \"flags: $(grep -m1 -o -w -E 'svm|npt|x2apic' /proc/cpuinfo | sort -u | "
         "tr '\\n' ' ')\"; dmesg | grep -i -m3 -E 'x2apic|APIC: Switch' || true", True),
    Step("node0's memory and command line",
         "free -m; cat /proc/cmdline", True),
    Step("node0's disks and the PCI function behind each (each holds a file the lab wrote)",
         "for d in /sys/block/sd*; do n=${d##*/}; p=$(readlink -f $d); "
         "pci=$(echo $p | grep -o -E '0000:[0-9a-f:.]+' | tail -1); "
         "mkdir -p /mnt/$n; mount -o ro /dev/$n /mnt/$n; "
         "echo \"$n  $pci  $(cat /sys/block/$n/size) sectors  $(cat /mnt/$n/MINT-DISK)\"; "
         "umount /mnt/$n; done", True),
    Step("node0's PCI functions", "lspci", True),
    Step("node0's mint pool (kernel side: /sys/kernel/mint, /proc/iomem)",
         "cat /sys/kernel/mint/abi_version /sys/kernel/mint/pool; "
         "grep -i mint /proc/iomem", False),
    Step("mintctl topology", "mintctl topology", False),
    Step("mintctl plan (dry run): the steps boot will take, in order",
         "mintctl plan node1 --cores 2 --mem 512M --disk sdb", False),
    Step("mintctl boot node1 with its own disk (a second Linux on 2 cores, 512 MiB and sdb's "
         "controller, no hypervisor); node1 runs this script",
         node_script("/tmp/node1.sh", NODE1_DISK_SCRIPT) +
         "time mintctl boot node1 --cores 2 --mem 512M --disk sdb "
         "--cmdline \"mint_run=$(gzip -c /tmp/node1.sh | base64 | tr -d '\\n')\"", False),
    Step("mintctl status", "mintctl status", False),
    Step("node1's console (its kernel log, through the shared ring)",
         "mintctl console node1 | grep -a -E 'Linux version|Command line|mint|CPU|Memory:|sd ' "
         "| head -n 14", False),
    Step("node1 uses its own disk: the lab's file, its own write, its interrupts",
         node_output("node1"), False),
    Step("node0 no longer has sdb; the kernel records who owns 0000:00:03.0",
         "echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "echo \"node1 owns: $(cat /sys/kernel/mint/nodes/1/devices)\"; "
         "mintctl topology | grep -E '^PCI|0000:00:0[2-6]'; "
         "echo \"node0's interrupts from 0000:00:03.0: "
         "$(grep -c 0000:00:03.0 /proc/interrupts)\"", False),
    Step("node0 keeps running on the cores it kept, and its own disk sda works",
         "nproc; cat /sys/kernel/mint/nodes/1/cpus /sys/kernel/mint/nodes/1/heartbeat; "
         "dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>&1 | tail -n 1; "
         "cat /sys/kernel/mint/nodes/1/heartbeat", False),
    Step("refused: a disk that shares its controller with node0's disk",
         "mintctl boot node2 --cores 2 --disk sdd", False),
    Step("mintctl stop", "mintctl stop node1", False),
    Step("mintctl destroy: every resource back to node0, sdb with what node1 wrote",
         "mintctl destroy node1; mintctl status; nproc; "
         "echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "mkdir -p /mnt/sdb; mount -o ro /dev/sdb /mnt/sdb && cat /mnt/sdb/from-node1; "
         "umount /mnt/sdb", False),
]


def _shown(command):
    lines = command.split("\n")
    if len(lines) > 1:
        return "\n  ".join(lines)
    return command if len(command) < 100 else command[:97] + "..."


def run(machine, out, step_timeout=180):
    """Runs every step on a booted LabMachine, printing to `out`.
    Returns the number of failed `must` steps."""
    failed = 0
    for i, step in enumerate(STEPS, 1):
        out.write("\n== %d. %s\n$ %s\n" % (i, step.title, _shown(step.command)))
        try:
            status, text = machine.run(step.command, timeout=step_timeout)
        except CommandTimeout:
            out.write("(no answer within %d s; node0's shell is busy, the tour stops here; "
                      "node0's console is kept in the run dir)\n" % step_timeout)
            return failed + 1
        if text:
            out.write(text + "\n")
        if status != 0:
            out.write("(exit status %d%s)\n" % (status, "" if not step.must else
                                                 " -- this step must work: FAILED"))
            failed += step.must
        out.flush()
    return failed
