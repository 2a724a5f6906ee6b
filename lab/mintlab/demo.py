"""The scripted tour of mint shown by `lab/mint-lab demo`. Each step is a
title and a shell command run in node0. `must` steps fail the demo when they
fail (all of them today: the tour is also a check that the product works end
to end); a step marked must=False only shows something. To extend the tour,
add a Step to STEPS (a plain list, in the order shown).

node0 talks to a node with `mintctl exec NODE -- CMD` (mint-agent in the
node, docs/agent.md). The story: node1 gets its own disk and uses it; then
two nodes each host two KVM guests (`mintctl vm`, docs/vm.md); node1's
hypervisor dies with its kernel; node2's guests and node0 carry on; node1 is
restarted and its guests come back; everything is destroyed and node0 has
all its cores, memory and disks back."""

import collections
import re
import time

from .machine import CommandTimeout

# `typed`: the step is interactive: `command` starts on node0's console
# (a terminal), then each (keys, expected) pair is typed and waited for
# (keys None: only waited for; a number instead of a pair: a pause of that
# many seconds).
Step = collections.namedtuple("Step", "title command must typed", defaults=(None,))


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


# Two nodes that host guests: own disk (mounted at /srv in the node, guest
# disk files there), own NIC, two autostart guests each; node2's g2a serves
# node2's port 8080.
def _nodeconf(node, disk, nic, ip, guests):
    lines = ["name: " + node, "cores: 2", "memory: 1G",
             "devices: [{disk: %s}, {pci: %s}]" % (disk, nic),
             "cmdline: mint_ip=%s/24 mint_mount=sda:/srv" % ip, "guests:"]
    for g, extra in guests:
        lines.append("  - {name: %s, memory: 128M, disk: /srv/%s.img, disk-size: 16M, "
                     "net: true%s}" % (g, g, extra))
    return "\n".join(lines)


NODE_FILES = (node_script("/tmp/node1.yaml", _nodeconf(
    "node1", "sdb", "0000:03:00.0", "10.10.0.1", [("g1a", ""), ("g1b", "")])) +
              node_script("/tmp/node2.yaml", _nodeconf(
                  "node2", "sdc", "0000:04:00.0", "10.10.0.2",
                  [("g2a", ", ports: [\"8080:80\"]"), ("g2b", "")])))
GUEST_LIST = [("node1", "g1a"), ("node1", "g1b"), ("node2", "g2a"), ("node2", "g2b")]


def _wait_guests(pairs):
    # Few, long tries (kvm-per-node/README.md: a request whose host gave up
    # stays queued in the guest and is answered first).
    return " && ".join(
        "i=0; until mintctl vm exec %s %s --timeout 120 -- true 2>/dev/null; do i=$((i+1)); "
        "[ $i -lt 5 ] || exit 1; sleep 2; done; echo '%s in %s is up'" % (n, g, g, n)
        for n, g in pairs)


WAIT_GUESTS = _wait_guests(GUEST_LIST)
WAIT_NODE1 = _wait_guests(GUEST_LIST[:2])


def guest_counter_advances(node, guest):
    return ("a=$(mintctl vm exec {n} {g} -- cat /run/mint-counter); sleep 1; "
            "b=$(mintctl vm exec {n} {g} -- cat /run/mint-counter); "
            "echo \"{g} in {n} counts: $a -> $b\"; [ \"$b\" -gt \"$a\" ]").format(n=node, g=guest)


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
    Step("mintctl exec -i: node0's stdin streamed into a shell in node1 (-t gives it a terminal "
         "when mintctl's stdin is one); node1's clock is node0's; the shell's exit status is "
         "mintctl's",
         "printf 'uname -n; date -u +%%F; exit 3\\n' | mintctl exec -i node1 -- sh; s=$?; "
         "echo \"exit status $s; node0's date $(date -u +%F)\"; [ $s -eq 3 ]", True),
    Step("mintctl exec -t: a shell on a terminal in node1, typed on node0's console; "
         "Ctrl-C interrupts the node's sleep; the shell's exit status is mintctl's",
         "mintctl exec -t node1; s=$?; echo \"mintctl: exit status $s\"; [ $s -eq 4 ]", True,
         [(None, r"node1:/# "), ("tty\r", r"/dev/pts/\d+\r\n"), ("uname -n\r", r"node1\r\n"),
          ("sleep 100\r", r"sleep 100\r\n"), 1.0, ("\x03", r"\^C|\r\n"),
          ("echo interrupted, status $?\r", r"interrupted, status 130\r\n"),
          ("exit 4\r", None)]),
    Step("node0 no longer has sdb; the kernel records who owns 0000:01:00.0",
         "echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "echo \"node1 owns: $(cat /sys/kernel/mint/nodes/1/devices)\"; "
         "mintctl topology | grep -E '^PCI|0000:00:02|0000:0[1-4]:00'; "
         "echo \"node0's interrupts from 0000:01:00.0: "
         "$(grep -c 0000:01:00.0 /proc/interrupts)\"", True),
    Step("node0's IOMMU fences node1's disk controller: its DMA reaches only node1's memory",
         "cat /sys/kernel/mint/nodes/1/iommu; echo \"node1's memory: "
         "$(cat /sys/kernel/mint/nodes/1/memory)\"; "
         "dmesg | grep -m 1 'fenced by the IOMMU'; "
         "grep -q '^0000:01:00.0 fenced [0-9]' /sys/kernel/mint/nodes/1/iommu", True),
    Step("node0 keeps running on the cores it kept, and its own disk sda works",
         "nproc; cat /sys/kernel/mint/nodes/1/cpus /sys/kernel/mint/nodes/1/heartbeat; "
         "dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>&1 | tail -n 1; "
         "cat /sys/kernel/mint/nodes/1/heartbeat", True),
    Step("refused (exit 2, nothing changed): a disk that shares its controller with node0's",
         "mintctl boot node2 --cores 2 --disk sdd; [ $? -eq 2 ]", True),
    Step("mintctl stop node1: the plain node makes room for nodes that host guests",
         "mintctl stop node1 && mintctl destroy node1", True),
    Step("two nodes from nodeconf files, each with its own disk and NIC and two KVM guests "
         "(unpatched guest kernel, QEMU inside the node); boot starts the autostart guests",
         NODE_FILES + "time mintctl boot -f /tmp/node1.yaml && time mintctl boot -f "
         "/tmp/node2.yaml", True),
    Step("the guests boot inside their nodes (each answers through its agent port)",
         WAIT_GUESTS, True),
    Step("mintctl vm list: four guests, two per hypervisor; mintctl status counts them",
         "mintctl vm list; mintctl status", True),
    Step("each guest runs a counter", " && ".join(
        guest_counter_advances(n, g) for n, g in GUEST_LIST), True),
    Step("a guest in node1 reaches a guest in node2 over the nodes' own NICs",
         "mintctl vm exec node2 g2a -- sh -c 'mkdir -p /www; echo hello from g2a in node2 > "
         "/www/index.html; httpd -p 80 -h /www' && mintctl vm exec node1 g1a -- "
         "wget -q -O - http://10.10.0.2:8080/index.html", True),
    Step("node1's hypervisor dies with its kernel (sysrq c in node1)",
         "mintctl exec node1 -- sh -c 'echo c > /proc/sysrq-trigger'; rc=$?; "
         "echo \"mintctl exec: exit $rc\"; [ $rc -eq 255 ]", True),
    Step("node1's guests are lost, with the reason; node2's guests carry on; node0 too",
         "mintctl vm list; " + " && ".join(guest_counter_advances("node2", g)
                                           for g in ("g2a", "g2b")) + " && nproc", True),
    Step("mintctl restart node1: the node and its autostart guests come back",
         "time mintctl restart node1 && " + WAIT_NODE1 + " && mintctl vm list", True),
    Step("mintctl stop, then destroy: guests stop with their nodes, every resource back to node0",
         "for n in node1 node2; do for g in $(mintctl --json vm list $n | "
         "grep -o '\"name\": \"[^\"]*' | cut -d'\"' -f4); do mintctl vm stop $n $g; done; "
         "mintctl stop $n && mintctl destroy $n || exit 1; done; mintctl status; nproc; "
         "echo \"pool: $(cat /sys/kernel/mint/pool_free) of $(cat /sys/kernel/mint/pool_total) "
         "bytes free\"; echo \"node0's disks: $(cd /sys/block && echo *)\"; "
         "[ \"$(nproc)\" = 6 ] && "
         "[ \"$(cat /sys/kernel/mint/pool_free)\" = \"$(cat /sys/kernel/mint/pool_total)\" ]",
         True),
]


def _shown(command):
    lines = command.split("\n")
    if len(lines) > 1:
        return "\n  ".join(lines)
    return command if len(command) < 100 else command[:97] + "..."


def _typed(machine, step, timeout=60):
    """An interactive step on node0's console: starts step.command, types
    each key sequence and waits for its answer (or pauses), then for the
    command's end; returns (the command's exit status, the session as it
    looked). If an answer does not come, the session is
    ended (Ctrl-C, exit) so node0's console is a shell again."""
    with machine.cond:
        start = len(machine.buf)
    machine.send(step.command + "; echo \"@@T$?\"\n")
    ended = False
    try:
        for entry in step.typed:
            if isinstance(entry, float):  # a pause: a command starting, with nothing to see
                time.sleep(entry)
                continue
            keys, expected = entry
            if keys:
                machine.send(keys)
            if expected:
                machine.wait_for(expected, timeout, start=start, what=repr(expected))
        text = machine.wait_for(r"@@T(\d+)", timeout, start=start, what="the end of the session")
        ended = True
    finally:
        if not ended:
            machine.send("\x03\rexit 0\r")
            machine.wait_for(r"@@T(\d+)", timeout, start=start, what="the session's end")
    session = text[len(machine.buf[:start].decode(errors="replace").replace("\r", "")):]
    status = int(re.search(r"@@T(\d+)$", session).group(1))
    # The shell's terminal queries (ESC [6n, its cursor position) are not shown.
    session = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", session[:session.rindex("@@T")]).strip("\n")
    return status, session


def run(machine, out, step_timeout=420):
    """Runs every step on a booted LabMachine, printing to `out`.
    Returns the number of failed `must` steps."""
    failed = 0
    for i, step in enumerate(STEPS, 1):
        out.write("\n== %d. %s\n$ %s\n" % (i, step.title, _shown(step.command)))
        try:
            if step.typed:
                status, text = _typed(machine, step)
            else:
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
