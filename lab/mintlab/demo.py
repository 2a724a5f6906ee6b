"""The scripted tour of mint shown by `lab/mint-lab demo`. Each step is a
title and a shell command run in node0. `must` steps show what works today
and fail the demo when they fail; the other steps show what mint does (or,
until the pieces land, the clear error it gives) and never fail the demo.
To extend the tour, add a Step."""

import collections

from .machine import CommandTimeout

Step = collections.namedtuple("Step", "title command must")

STEPS = [
    Step("node0's CPUs (TCG -cpu max: AMD SVM, xAPIC)",
         "nproc; grep -m1 'model name' /proc/cpuinfo; "
         "echo \"flags: $(grep -m1 -o -w -E 'svm|npt|x2apic' /proc/cpuinfo | sort -u | "
         "tr '\\n' ' ')\"; dmesg | grep -i -m3 -E 'x2apic|APIC: Switch' || true", True),
    Step("node0's memory and command line",
         "free -m; cat /proc/cmdline", True),
    Step("node0's disks and the PCI function behind each",
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
    Step("mintctl plan (dry run)", "mintctl plan node1 --cores 2 --mem 512M --disk sdb", False),
    Step("mintctl boot node1 (a second Linux on 2 cores and 512 MiB, no hypervisor)",
         "time mintctl boot node1 --cores 2 --mem 512M", False),
    Step("mintctl status", "mintctl status", False),
    Step("node1's console (its kernel log and shell, through the shared ring)",
         "mintctl console node1 | grep -a -E 'Linux version|Command line|mint|CPU|Memory:' "
         "| head -n 12; mintctl console node1 | tail -n 3", False),
    Step("node0 keeps running on the cores it kept",
         "nproc; cat /sys/kernel/mint/nodes/1/cpus /sys/kernel/mint/nodes/1/heartbeat; "
         "sleep 1; cat /sys/kernel/mint/nodes/1/heartbeat", False),
    Step("a node with a disk of its own",
         "mintctl boot node2 --cores 2 --mem 512M --disk sdc | tail -n 4", False),
    Step("mintctl stop", "mintctl stop node1", False),
    Step("mintctl destroy (every resource back to node0)",
         "mintctl destroy node1; mintctl status; nproc", False),
]


def run(machine, out, step_timeout=180):
    """Runs every step on a booted LabMachine, printing to `out`.
    Returns the number of failed `must` steps."""
    failed = 0
    for i, step in enumerate(STEPS, 1):
        out.write("\n== %d. %s\n$ %s\n" % (i, step.title, step.command
                                         if len(step.command) < 100 else step.command[:97] + "..."))
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
