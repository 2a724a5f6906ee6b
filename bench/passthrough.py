"""The passthrough evaluation (Xen PCI passthrough), re-run in the lab
(issue 15): a 1 GiB read from a disk, with its neighbour idle, loading the
CPU, or doing I/O, in two set-ups, in one lab boot:

- passthrough: node1 owns its disk (mintctl boot --disk sdb: the PCI
  function of its controller) and reads it with O_DIRECT; the neighbour is
  node2, on its own disk (sdc) and core;
- shared virtual driver: a guest on node0 reads its virtio disk, which is
  node0's sdd through node0's QEMU and driver; the neighbour is a second
  guest on node0 whose disk is node0's sda, on the same controller.

Published: shared virtual drivers add up to 2.8 s to the read under I/O
load; passthrough keeps it flat.

The reader and the loads are mint-bench (readdev: 1 MiB O_DIRECT reads of
the device, again from its start after its last MiB; stones: the integer
mix), in loops left running in the neighbour (bench/common.py detach)
until node0 leaves /tmp/stop there. The
lab's disks are 64 MiB, so 1 GiB is the disk 16 times. QEMU opens a
guest's disk with the host's page cache (mint::vm's command line), so the
guest's reads after the first pass come from node0's memory: the shared
path's cost here is node0's CPU time (QEMU's, its driver's), not a disk's.

Clock: mint-bench's CLOCK_MONOTONIC in the reading partition."""

import os
import shlex
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))


import plots  # noqa: E402
from common import (BenchError, bench_line, detach, lab_session, loadavg,  # noqa: E402
                    loop_until_stopped, node0, save_json, start_guest, stop)

READ_MIB = 1024
QUICK_MIB = 64
PUBLISHED_IO_S = 2.8  # added by the shared driver under I/O load, for 1 GB
LOAD_RAMP_S = 2  # the load runs this long before the read starts

# set-up -> (reader, neighbour): (how node0 runs `sh -c S` there, its disk)
SETUPS = {
    "passthrough": (("node1", "mintctl exec node1 -- sh -c {s}", "/dev/sda"),
                    ("node2", "mintctl exec node2 -- sh -c {s}", "/dev/sda")),
    "shared virtual driver": (
        ("guest on node0", "mintctl vm exec node0 gr --timeout 3600 -- sh -c {s}", "/dev/vda"),
        ("2nd guest on node0", "mintctl vm exec node0 gn --timeout 3600 -- sh -c {s}",
         "/dev/vda")),
}
LOADS = {"none": None, "cpu": "mint-bench stones 50000000",
         "io": "mint-bench readdev {disk} 64"}


def bring_up(m):
    node0(m, "mintctl boot node1 --cores 1 --mem 512M --disk sdb", 600)
    node0(m, "mintctl boot node2 --cores 1 --mem 512M --disk sdc", 600)
    for guest, disk in (("gr", "/dev/sdd"), ("gn", "/dev/sda")):
        start_guest(m, "node0", guest, "--mem 256M --disk %s" % disk)
    # One read each, not timed: the first pass also fills QEMU's and the
    # host's caches, which the timed ones then find warm.
    for setup in SETUPS:
        read_once(m, setup, "none", 64)


def read_once(m, setup, load, mib):
    """One read of `mib` MiB in the set-up's reader with the load in its
    neighbour; returns seconds."""
    (_, rhow, rdisk), (_, nhow, ndisk) = SETUPS[setup]
    if LOADS[load]:
        detach(m, nhow, loop_until_stopped(LOADS[load].format(disk=ndisk)), "load")
        time.sleep(LOAD_RAMP_S)
    status, rd = m.run(rhow.format(s=shlex.quote("mint-bench readdev %s %d" % (rdisk, mib))),
                       3600)
    if LOADS[load]:
        lstatus, ld = stop(m, nhow, "load")
        if lstatus != 0:
            raise BenchError("%s: the %s load in the neighbour failed: %s"
                             % (setup, load, ld.strip()[-400:]))
    got = bench_line("readdev", rd)
    if status != 0 or not got or got["count"] != mib:
        raise BenchError("%s, load %s: the read gave no figure (exit %d): %s"
                         % (setup, load, status, rd.strip()[-400:]))
    return got["ns"] / 1e9


def summarize(rows):
    summary = {}
    for setup in SETUPS:
        for load in LOADS:
            vals = [r["read_s"] for r in rows if r["setup"] == setup and r["load"] == load]
            if vals:
                summary["%s|%s" % (setup, load)] = {
                    "n": len(vals), "median": round(statistics.median(vals), 3),
                    "min": round(min(vals), 3), "max": round(max(vals), 3)}
    return summary


def comparisons(summary, mib):
    out = []
    for setup in SETUPS:
        base = summary.get("%s|none" % setup)
        for load in ("cpu", "io"):
            f = summary.get("%s|%s" % (setup, load))
            row = {"setup": setup, "load": load}
            if setup == "passthrough":
                row["published_added_s"] = 0.0
            elif load == "io":
                row["published_added_s"] = PUBLISHED_IO_S
            else:
                row["published_added_s"] = None
            if base and f:
                added = f["median"] - base["median"]
                row.update(alone_s=base["median"], loaded_s=f["median"],
                           added_s=round(added, 3),
                           added_per_gib_s=round(added * 1024.0 / mib, 3))
                flat = abs(added) <= 0.05 * base["median"]
                pct = 100 * added / base["median"]
                if flat:
                    row["reading"] = ("agrees: flat (within 5 %)" if setup == "passthrough"
                                      else "flat: the guest's reads come from node0's page "
                                      "cache, and node0's CPUs had time to spare")
                elif added < 0:
                    row["reading"] = ("differs: %.0f %% faster under load; the runs spread "
                                      "that much under TCG" % -pct)
                elif setup == "passthrough":
                    row["reading"] = ("differs: %.0f %% slower; under TCG the lab's vCPUs "
                                      "share 2 host cores, so a busy neighbour takes the "
                                      "reader's time too" % pct)
                else:
                    row["reading"] = "slower under load (+%.0f %%), as published" % pct
            out.append(row)
    return out


def report(summary, comps, mib):
    lines = ["", "## A %d MiB read with the neighbour idle, computing, doing I/O" % mib, "",
             "| set-up | neighbour | read (s) | min-max | added by the load (s) | "
             "published added (s, 1 GB) | reading |", "|---|---|---|---|---|---|---|"]
    for setup in SETUPS:
        f = summary.get("%s|none" % setup)
        if f:
            lines.append("| %s | idle | %.2f | %.2f-%.2f | - | - | - |"
                         % (setup, f["median"], f["min"], f["max"]))
        for c in comps:
            if c["setup"] != setup or "loaded_s" not in c:
                continue
            g = summary["%s|%s" % (setup, c["load"])]
            pub = "-" if c["published_added_s"] is None else "%.1f" % c["published_added_s"]
            lines.append("| %s | %s | %.2f | %.2f-%.2f | %+.2f | %s | %s |" % (
                setup, c["load"], g["median"], g["min"], g["max"], c["added_s"], pub,
                c["reading"]))
    return lines


def run_suite(args, out):
    """bench/run passthrough: returns (rows, summary, meta, report text, ok)."""
    quick = getattr(args, "quick", False)
    mib = QUICK_MIB if quick else READ_MIB
    meta = {"quick": quick, "read_mib": mib,
            "host_load_start": loadavg()}
    rows = []
    with lab_session(args, meta) as m:
        bring_up(m)
        for run in range(1, args.runs + 1):
            for setup in SETUPS:
                for load in LOADS:
                    s = read_once(m, setup, load, mib)
                    rows.append({"setup": setup, "load": load, "run": run,
                                 "read_mib": mib, "read_s": round(s, 3)})
                    sys.stderr.write("bench passthrough: %s, neighbour %s: %.2f s\n"
                                     % (setup, load, s))
    meta["host_load_end"] = loadavg()
    summary = summarize(rows)
    comps = comparisons(summary, mib)
    save_json(out, "comparisons.json", comps)
    images = plots.passthrough(summary, list(SETUPS), list(LOADS), mib, out)
    lines = report(summary, comps, mib)
    lines += [""] + plots.markdown(images)
    return rows, summary, meta, "\n".join(lines) + "\n", True
