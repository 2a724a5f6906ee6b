"""mint's own interference matrix (issue 15), in one lab boot: a victim in
node1 runs the thesis's program once through (I/O, CPU and memory at every
size: bench/thesis.py's counts) while an aggressor computes, rewrites
memory, reads its disk, sends pings, or crashes, in:

- the same node (node1 itself),
- another node (node2),
- a guest on the same node's KVM (g1 in node1),
- a guest on another node's KVM (g2 in node2).

Each cell is the victim's slowdown against its time alone in the same run. `--quick`
runs a cover of the matrix (QUICK_CELLS: every aggressor, every place,
every kind of crash) with a 1 s ramp.
A crash is a panic (sysrq c) for a node and the end of its QEMU (`mintctl
vm kill`) for a guest, 1 s into the victim's run; the crashed one is
brought back (`mintctl restart`, `mintctl vm start`) before the next cell.
The same node's crash takes the victim with it: that cell is not a figure.

Partitions: node1 and node2, 2 cores and 1 GiB each, their own disk (sdb,
sdc) and NIC (10.0.0.1, 10.0.0.2 on the lab's switch), each hosting one
guest (1 vCPU, 256 MiB, a 64 MiB disk file in its node's tmpfs, user
networking). The aggressors are mint-bench and busybox's ping, in loops
left running in their partition (bench/common.py detach) until node0
leaves /tmp/stop there; the victim runs detached too, so node1's one
channel is free for the aggressor's and the crash's commands. A node's network
aggressor pings the other node (the lab's switch has no third host), so the
other node's pings land on the victim's node: that cell measures traffic
aimed at the victim. Clock: the victim's CLOCK_MONOTONIC (mint-thesis' ns)."""

import os
import re
import shlex
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))


import plots  # noqa: E402
from common import (BenchError, collect, detach, lab_session, loadavg,  # noqa: E402
                    loop_until_stopped, node0, save_json, start_guest, stop)
import thesis  # noqa: E402

RAMP_S = 2  # an aggressor's loop runs this long before the victim starts
CRASH_AT = 0.3  # a crash comes this share of the victim's time alone into its run
NODE_BOOT = {"node1": "--disk sdb --nic eth0 --cmdline 'mint_ip=10.0.0.1/24'",
             "node2": "--disk sdc --nic eth1 --cmdline 'mint_ip=10.0.0.2/24'"}
GUESTS = {"g1": "node1", "g2": "node2"}
# place -> (how node0 runs `sh -c S` there, its disk, its ping peer)
PLACES = {
    "same node": ("mintctl exec node1 -- sh -c {s}", "/dev/sda", "10.0.0.2"),
    "another node": ("mintctl exec node2 -- sh -c {s}", "/dev/sda", "10.0.0.1"),
    "guest on the same node's KVM": (
        "mintctl vm exec node1 g1 --timeout 3600 -- sh -c {s}", "/dev/vda", "10.0.2.2"),
    "guest on another node's KVM": (
        "mintctl vm exec node2 g2 --timeout 3600 -- sh -c {s}", "/dev/vda", "10.0.2.2"),
}
AGGRESSORS = {
    "cpu": "mint-bench stones 50000000",
    "memory": "mint-bench rewrite 64 50",
    "disk": "mint-bench readdev {disk} 64",
    "network": "ping -q -c 200 -i 0.01 {peer}",
    "crash": None,
}


def _start_guest(m, guest):
    start_guest(m, GUESTS[guest], guest, "--mem 256M --net --disk /tmp/%s.img --disk-size 64M"
                % guest)


def _start_node(m, node):
    node0(m, "mintctl boot %s --cores 2 --mem 1G --kvm %s" % (node, NODE_BOOT[node]), 600)


def bring_up(m):
    for node in NODE_BOOT:
        _start_node(m, node)
    for guest in GUESTS:
        _start_guest(m, guest)
    # Each peer answers before anything is timed.
    for place, (how, _, peer) in PLACES.items():
        node0(m, how.format(s=shlex.quote(
            "i=0; until ping -c 1 -W 1 %s >/dev/null; do i=$((i+1)); [ $i -ge 60 ] && "
            "exit 1; done" % peer)), 300)


def victim_seconds(text):
    rows = thesis.parse(text)
    if len(rows) != thesis.expected_lines(1) or not re.search(r"^exit: 0$", text, re.M):
        return None
    return sum(r["ns"] for r in rows) / 1e9


def cell(m, aggressor, place, program, expect_s=1.0, ramp_s=RAMP_S):
    """The victim's seconds with this aggressor in this place (None: no
    aggressor). The victim and the aggressor run detached (node1's channel
    stays free for the other one's commands); node0 first looks for the
    victim's end after expect_s."""
    vhow = PLACES["same node"][0]
    how = PLACES[place][0] if place else None
    if aggressor and aggressor != "crash":
        _, disk, peer = PLACES[place]
        detach(m, how, loop_until_stopped(AGGRESSORS[aggressor].format(disk=disk, peer=peer)),
               "aggressor")
        time.sleep(ramp_s)
    detach(m, vhow, program, "victim")
    if aggressor == "crash":
        time.sleep(CRASH_AT * expect_s / 0.8)
        if place == "another node":
            # exec ends with the node, non-zero: restore() checks the state.
            m.run("mintctl exec node2 -- sh -c 'echo c > /proc/sysrq-trigger'", 120)
        elif place == "guest on the same node's KVM":
            node0(m, "mintctl vm kill node1 g1")
        else:
            node0(m, "mintctl vm kill node2 g2")
    status, vtext = collect(m, vhow, "victim", 3600, first_look=expect_s)
    secs = victim_seconds(vtext) if status == 0 else None
    if aggressor and aggressor != "crash":
        astatus, atext = stop(m, how, "aggressor")
        if astatus != 0:
            raise BenchError("the %s aggressor in %s failed: %s"
                             % (aggressor, place, atext.strip()[-400:]))
    if secs is None:
        raise BenchError("the victim gave no figure (aggressor %s in %s, exit %d): %s"
                         % (aggressor, place, status, vtext.strip()[-400:]))
    return secs


def restore(m, place):
    """Brings back what a crash cell ended."""
    if place == "another node":
        node0(m, "d=$(dirname $(grep -lx node2 /sys/kernel/mint/nodes/*/name)); i=0; "
               "until [ \"$(cat $d/state)\" = crashed ]; do i=$((i+1)); "
               "[ $i -gt 600 ] && exit 1; sleep 0.1; done; mintctl restart node2", 600)
        _start_guest(m, "g2")
    elif place == "guest on the same node's KVM":
        _start_guest(m, "g1")
    else:
        _start_guest(m, "g2")


# --quick: a cover of the matrix, every aggressor and every place at least
# once and every kind of crash, so the smoke run goes through each path.
QUICK_CELLS = [("cpu", "same node"), ("memory", "another node"),
               ("disk", "guest on the same node's KVM"),
               ("network", "guest on another node's KVM"), ("crash", "another node"),
               ("crash", "guest on the same node's KVM"),
               ("crash", "guest on another node's KVM")]


def cells(quick):
    if quick:
        return QUICK_CELLS
    # the same node's crash takes the victim with it
    return [(a, p) for a in AGGRESSORS for p in PLACES if (a, p) != ("crash", "same node")]


def run_matrix(m, program, runs, quick):
    rows = []
    for run in range(1, runs + 1):
        base = cell(m, None, None, program)
        expect = 0.8 * base
        rows.append({"aggressor": "none", "place": "-", "run": run, "victim_s": round(base, 3)})
        for aggressor, place in cells(quick):
            secs = cell(m, aggressor, place, program, expect, 1 if quick else RAMP_S)
            if aggressor == "crash":
                restore(m, place)
            rows.append({"aggressor": aggressor, "place": place, "run": run,
                         "victim_s": round(secs, 3), "slowdown": round(secs / base - 1, 4)})
            sys.stderr.write("bench isolation: %s in %s: victim %.2f s (alone %.2f s)\n"
                             % (aggressor, place, secs, base))
    return rows


def summarize(rows):
    summary = {}
    for aggressor in ["none"] + list(AGGRESSORS):
        for place in ["-"] + list(PLACES):
            vals = [r["slowdown"] if "slowdown" in r else r["victim_s"] for r in rows
                    if r["aggressor"] == aggressor and r["place"] == place]
            if vals:
                key = ("victim_s|alone" if aggressor == "none"
                       else "slowdown|%s|%s" % (aggressor, place))
                summary[key] = {"n": len(vals), "median": round(statistics.median(vals), 4),
                                "min": round(min(vals), 4), "max": round(max(vals), 4)}
    return summary


def report(summary):
    lines = ["", "## Victim in node1: slowdown by aggressor and place (median over runs)", "",
             "| aggressor | " + " | ".join(PLACES) + " |",
             "|---|" + "---|" * len(PLACES)]
    for aggressor in AGGRESSORS:
        cells = []
        for place in PLACES:
            f = summary.get("slowdown|%s|%s" % (aggressor, place))
            cells.append("%+.1f %%" % (100 * f["median"]) if f else
                         "- (victim lost)" if (aggressor, place) == ("crash", "same node")
                         else "- (not run)")
        lines.append("| %s | %s |" % (aggressor, " | ".join(cells)))
    alone = summary.get("victim_s|alone")
    if alone:
        lines += ["", "The victim alone: %.2f s (min %.2f, max %.2f)."
                  % (alone["median"], alone["min"], alone["max"])]
    lines += ["", "Reading: the columns of another node are the partitioning's claim "
              "(no shared CPU, memory range, disk or NIC); the same node's columns are what a "
              "hypervisor shares. Under TCG all six lab vCPUs share 2 host cores, so any busy "
              "partition slows every other one: on real hardware the another-node columns "
              "should be near 0 %, and here they show the emulator's share, not mint's."]
    return lines


def run_suite(args, out):
    """bench/run isolation: returns (rows, summary, meta, report text, ok)."""
    quick = getattr(args, "quick", False)
    counts = {k: max(1, v // thesis.QUICK) if quick else v for k, v in thesis.COUNTS.items()}
    program = thesis.program(counts, 1)
    meta = {"quick": quick, "victim": program,
            "host_load_start": loadavg()}
    with lab_session(args, meta) as m:
        bring_up(m)
        rows = run_matrix(m, program, args.runs, quick)
    meta["host_load_end"] = loadavg()
    summary = summarize(rows)
    save_json(out, "matrix.json",
              {k: v["median"] for k, v in summary.items() if k.startswith("slowdown")})
    images = plots.heatmap(summary, list(AGGRESSORS), list(PLACES), out)
    lines = report(summary) + [""] + plots.markdown(images)
    return rows, summary, meta, "\n".join(lines) + "\n", True
