"""mint's own node-count scaling (issue 15), in one lab boot: node1 to
node4 booted one after the other (1 core, 768 MiB each), each boot timed
with the nodes before it running, then all booted nodes running the same
CPU workload at once (mint-bench stones): each node's throughput with 1,
2, 3 and 4 nodes busy. Every run boots them afresh and destroys them at
its end.

Clocks: node0's /proc/uptime around `mintctl boot` (to its return: the
node's agent answers), mint-bench's CLOCK_MONOTONIC in each node. Under
TCG the lab's 6 vCPUs share 2 host cores, so per-node throughput falls once
more than two vCPUs are busy (node0's too); on real hardware each node has
its own core."""

import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))


import plots  # noqa: E402
from common import BenchError, at_once, bench_line, lab_session, loadavg, node0  # noqa: E402

NODES = ["node1", "node2", "node3", "node4"]
STONES = 20000000
QUICK = 10


def boot_seconds(m, node):
    out = node0(m, "t0=$(cut -d' ' -f1 /proc/uptime); mintctl boot %s --cores 1 --mem 768M "
                 "> /tmp/scale.boot 2>&1 || { cat /tmp/scale.boot; exit 1; }; "
                 "echo \"t: $t0 $(cut -d' ' -f1 /proc/uptime)\"" % node, 600)
    t = re.search(r"^t: ([\d.]+) ([\d.]+)$", out, re.M)
    return float(t.group(2)) - float(t.group(1))


def throughput(m, nodes, stones):
    """stones/s of every node of `nodes`, all running at once."""
    got = {}
    results = at_once(m, ["mintctl exec %s -- mint-bench stones %d" % (n, stones)
                          for n in nodes], 1800)
    for n, (status, text) in zip(nodes, results):
        line = bench_line("stones", text)
        if status != 0 or not line:
            raise BenchError("stones in %s (%d nodes busy) gave no figure: %s"
                             % (n, len(nodes), text.strip()[-300:]))
        got[n] = line["per_s"]
    return got


def run_suite(args, out):
    """bench/run scaling: returns (rows, summary, meta, report text, ok)."""
    quick = getattr(args, "quick", False)
    stones = STONES // (QUICK if quick else 1)
    meta = {"quick": quick, "stones": stones,
            "host_load_start": loadavg()}
    rows = []
    with lab_session(args, meta) as m:
        for run in range(1, args.runs + 1):
            for k, node in enumerate(NODES, 1):
                rows.append({"figure": "boot_s", "nodes": k, "node": node, "run": run,
                             "value": round(boot_seconds(m, node), 2)})
                for n, v in throughput(m, NODES[:k], stones).items():
                    rows.append({"figure": "stones_per_s", "nodes": k, "node": n,
                                 "run": run, "value": v})
                sys.stderr.write("bench scaling: run %d, %d nodes up\n" % (run, k))
            for node in reversed(NODES):
                node0(m, "mintctl stop %s && mintctl destroy %s" % (node, node), 600)
    meta["host_load_end"] = loadavg()
    summary = {}
    for figure in ("boot_s", "stones_per_s"):
        for k in range(1, len(NODES) + 1):
            # stones: every node's figure of every run (the median per node)
            vals = [r["value"] for r in rows if r["figure"] == figure and r["nodes"] == k]
            if vals:
                summary["%s|%d nodes" % (figure, k)] = {
                    "n": len(vals), "median": statistics.median(vals), "min": min(vals),
                    "max": max(vals)}
    lines = ["", "## Boot time and per-node CPU throughput with 1-4 nodes", "",
             "| nodes | boot of the last (s) | stones/s per node (median) | vs 1 node |",
             "|---|---|---|---|"]
    one = summary.get("stones_per_s|1 nodes")
    for k in range(1, len(NODES) + 1):
        b = summary.get("boot_s|%d nodes" % k)
        s = summary.get("stones_per_s|%d nodes" % k)
        if b and s:
            lines.append("| %d | %.2f | %.4g | %.2f |" % (k, b["median"], s["median"],
                                                         s["median"] / one["median"]))
    images = plots.scaling(summary, len(NODES), out)
    lines += ["", "Under TCG the lab's 6 vCPUs share 2 host cores: past two busy vCPUs each "
              "node gets a share of them, which is the emulator's limit, not mint's."]
    lines += [""] + plots.markdown(images)
    return rows, summary, meta, "\n".join(lines) + "\n", True
