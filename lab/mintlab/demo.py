"""The scripted tour of mint shown by `lab/mint-lab demo`. Each step is a
title and a shell command run in node0. `must` steps fail the demo when they
fail (all of them today: the tour is also a check that the product works end
to end); a step marked must=False only shows something. To extend the tour,
add a Step to STEPS (a plain list, in the order shown).

node0 talks to a node with `mintctl exec NODE -- CMD` (mint-agent in the
node, docs/agent.md). The story: node1 gets its own disk; node1 and node2
work side by side; node1 panics; node2 and node0 carry on; node1 is
restarted on the same cores, memory and disk; everything is destroyed and
node0 has all its cores, memory and disks back."""

import collections

from .machine import CommandTimeout

Step = collections.namedtuple("Step", "title command must")


def node_script(path, script):
    """node0 shell that writes `script` to `path` (run it in a node with
    mintctl exec NODE -- sh -c "$(cat PATH)")."""
    return "cat > %s <<'MINT_EOF'\n%s\nMINT_EOF\n" % (path, script.strip("\n"))


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

# A counter in a node (its /tmp/counter rises 10 times a second).
COUNTER = ("mintctl exec {n} -- sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/counter; "
           "usleep 100000; done >/dev/null 2>&1 &'")


def counter_advances(name):
    """node0 shell: node's counter read twice, 1 s apart; fails unless it rose."""
    return ("a=$(mintctl exec {n} -- cat /tmp/counter); sleep 1; "
            "b=$(mintctl exec {n} -- cat /tmp/counter); "
            "echo \"{n}'s counter: $a -> $b\"; [ \"$b\" -gt \"$a\" ]").format(n=name)


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
         "grep -i mint /proc/iomem", True),
    Step("mintctl topology", "mintctl topology", True),
    Step("mintctl plan (dry run): the steps boot will take, in order",
         "mintctl plan node1 --cores 2 --mem 512M --disk sdb", True),
    Step("mintctl boot node1 with its own disk (a second Linux on 2 cores, 512 MiB and sdb's "
         "controller, no hypervisor); boot returns when node1's mint-agent is up",
         "time mintctl boot node1 --cores 2 --mem 512M --disk sdb", True),
    Step("mintctl status", "mintctl status", True),
    Step("node1's console (its kernel log, through the shared ring)",
         "mintctl console node1 | grep -a -E 'Linux version|Command line|mint|CPU|Memory:|sd ' "
         "| head -n 14", True),
    Step("mintctl exec: node1 uses its own disk (the lab's file, its own write, its interrupts)",
         node_script("/tmp/node1.sh", NODE1_DISK_SCRIPT) +
         "mintctl exec node1 -- sh -c \"$(cat /tmp/node1.sh)\"", True),
    Step("node0 no longer has sdb; the kernel records who owns 0000:00:03.0",
         "echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "echo \"node1 owns: $(cat /sys/kernel/mint/nodes/1/devices)\"; "
         "mintctl topology | grep -E '^PCI|0000:00:0[2-6]'; "
         "echo \"node0's interrupts from 0000:00:03.0: "
         "$(grep -c 0000:00:03.0 /proc/interrupts)\"", True),
    Step("node0 keeps running on the cores it kept, and its own disk sda works",
         "nproc; cat /sys/kernel/mint/nodes/1/cpus /sys/kernel/mint/nodes/1/heartbeat; "
         "dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>&1 | tail -n 1; "
         "cat /sys/kernel/mint/nodes/1/heartbeat", True),
    Step("refused (exit 2, nothing changed): a disk that shares its controller with node0's",
         "mintctl boot node2 --cores 2 --disk sdd; [ $? -eq 2 ]", True),
    Step("mintctl boot node2 beside node1; a counter runs in each node",
         "mintctl boot node2 --cores 2 --mem 512M; " + COUNTER.format(n="node1") +
         "; " + COUNTER.format(n="node2") + "; mintctl status", True),
    Step("node1 panics (sysrq c through mintctl exec: exec says the node crashed, exit 255)",
         "mintctl exec node1 -- sh -c 'echo c > /proc/sysrq-trigger'; rc=$?; "
         "echo \"mintctl exec: exit $rc\"; [ $rc -eq 255 ]", True),
    Step("node1 is crashed, with its panic; node2 and node0 carry on",
         "mintctl status; mintctl console node1 | grep -a -m1 'Kernel panic'; "
         + counter_advances("node2") + " && nproc && cat /sys/kernel/mint/nodes/2/state", True),
    Step("mintctl restart node1: same cores, memory and disk, a fresh boot",
         "time mintctl restart node1; mintctl exec node1 -- uname -n; "
         "mintctl exec node1 -- sh -c 'mount /dev/sda /mnt && cat /mnt/from-node1; umount /mnt'",
         True),
    Step("node2 never stopped", counter_advances("node2") + "; mintctl status", True),
    Step("mintctl stop, then destroy: every resource back to node0, sdb with what node1 wrote",
         "mintctl stop node1 && mintctl stop node2 && mintctl destroy node1 && "
         "mintctl destroy node2 && mintctl status; nproc; "
         "echo \"pool: $(cat /sys/kernel/mint/pool_free) of $(cat /sys/kernel/mint/pool_total) "
         "bytes free\"; echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "mkdir -p /mnt/sdb; mount -o ro /dev/sdb /mnt/sdb && cat /mnt/sdb/from-node1 && "
         "umount /mnt/sdb && [ \"$(nproc)\" = 6 ] && "
         "[ \"$(cat /sys/kernel/mint/pool_free)\" = \"$(cat /sys/kernel/mint/pool_total)\" ]",
         True),
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
