"""The Mint thesis's evaluation (Okayama, 2013), re-run in the lab
(issue 15, DESIGN.md section 6): its evaluation program
(bench/programs/mint-thesis.c, the same static binary in node0, in node1 and
in every guest) in the thesis's seven configurations, our ratios beside the
published ones, and the shapes of its figures 6.1-6.3 as PNG plots.

Two lab boots: the vanilla kernel (the same source and mint.config without
the series, lab/mintlab/kernel.py build_vanilla) for configurations 1 and 4,
then the mint kernel for 2, 3, 5, 6 and 7. `--quick` (the smoke run) skips
the vanilla boot and its kernel build: 1 and 4 are then listed as not run,
as with `--host` (a real host runs the kernel it booted: bench/host.py).

Clock: the TSC (rdtsc, as the thesis), read in the partition that runs the
program; in a guest it is the host's TSC plus KVM's offset, at the same
rate. Milliseconds are TSC cycles over the host's TSC rate. The program also
reads CLOCK_MONOTONIC; results.csv keeps both.

Where two partitions run at once (3, 6, 7), each runs the whole sequence
RUNS times, started together from node0; the first start is up to one
mintctl exec (~0.3 s) ahead of the other, which the sequence's length
(seconds) makes small."""

import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))

from mintlab import kernel as lab_kernel  # noqa: E402
from mintlab.common import LabError  # noqa: E402
from mintlab.machine import host_tsc_khz  # noqa: E402

import plots  # noqa: E402
from common import (BenchError, at_once, lab_session, loadavg, node0, save_json,  # noqa: E402
                    start_guest)

# L, M, N of the thesis's program: the lab's TCG runs each timed run in
# roughly 1 s (a sequence of 7 in ~7 s, long beside the ~0.3 s by which two
# partitions' starts differ); --quick divides them by QUICK.
COUNTS = {"io": 100000, "cpu": 500000000, "mem": 1000}
QUICK = 20
SIZES = (256, 512, 1024)
WORKLOADS = (("io", SIZES), ("cpu", (0,)), ("mem", SIZES))

NODE = "--cores 2 --mem 1G --kvm"
GUEST_MEM = "128M"

# Where a run happens: (label, how node0 runs a command there).
SITES = {
    "node0": "{cmd}",
    "node1": "mintctl exec node1 -- {cmd}",
    "guest on node0": "mintctl vm exec node0 g0a --timeout {t} -- {cmd}",
    "2nd guest on node0": "mintctl vm exec node0 g0b --timeout {t} -- {cmd}",
    "guest on node1": "mintctl vm exec node1 g1a --timeout {t} -- {cmd}",
}

# number -> (kernel, what, sites running at once)
CONFIGS = {
    1: ("vanilla", "vanilla Linux", ["node0"]),
    2: ("mint", "node0 alone", ["node0"]),
    3: ("mint", "node0 and node1 at once", ["node0", "node1"]),
    4: ("vanilla", "a KVM guest on vanilla", ["guest on node0"]),
    5: ("mint", "a KVM guest on node0", ["guest on node0"]),
    6: ("mint", "a guest on node0's KVM and one on node1's, at once",
        ["guest on node0", "guest on node1"]),
    7: ("mint", "two guests on node0's KVM, at once", ["guest on node0", "2nd guest on node0"]),
}

# The comparisons the thesis published: (name, configuration, site, its
# baseline configuration, site, {workload: published ratio}, source).
PUBLISHED = [
    ("node0 vs vanilla", 2, "node0", 1, "node0", {"cpu": 1.00, "mem": 1.00, "io": 1.00},
     "a node performs like vanilla Linux on CPU, memory and I/O"),
    ("node1 (beside node0) vs vanilla", 3, "node1", 1, "node0",
     {"cpu": 1.00, "mem": 1.00, "io": 1.00},
     "a node performs like vanilla Linux on CPU, memory and I/O"),
    ("KVM guest on vanilla vs vanilla", 4, "guest on node0", 1, "node0",
     {"cpu": 1.00, "mem": 1.20, "io": 1.16}, "KVM adds ~20 % to memory and ~16 % to I/O"),
    ("KVM guest on node0 vs node0", 5, "guest on node0", 2, "node0",
     {"cpu": 1.00, "mem": 1.20, "io": 1.16}, "KVM adds ~20 % to memory and ~16 % to I/O"),
    ("two guests on one KVM (7) vs one guest per node (6)", 7, "guest on node0", 6,
     "guest on node0", {"cpu": 1.00, "mem": 1.00, "io": 1.08},
     "with two guests doing I/O at once, one KVM is ~8 % slower; CPU and memory equal"),
]
AGREE = 0.05  # |ours - published| at most this: "agrees"

_LINE = re.compile(r"^mint-thesis: workload=(\w+) size_kib=(\d+) count=(\d+) run=(\d+) "
                   r"tsc=(\d+) ns=(\d+)$")


def parse(text):
    """mint-thesis's lines -> [dict]; anything else in text is ignored."""
    rows = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            rows.append({"workload": m.group(1), "size_kib": int(m.group(2)),
                         "count": int(m.group(3)), "run": int(m.group(4)),
                         "tsc": int(m.group(5)), "ns": int(m.group(6))})
    return rows


# glibc picks memcpy's strategy by the cache sizes the CPU reports: rep
# movsb below its non-temporal threshold, a vector loop with non-temporal
# stores above. A guest's CPUID differs from its host's, and under TCG rep
# movsb costs several times the loop (measured: 256 KiB copies 4x slower in
# node0 than in a guest on it). Both thresholds pinned out of reach, every
# partition runs the same vector loop.
TUNABLES = ("GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1073741824:"
            "glibc.cpu.x86_non_temporal_threshold=1073741824")


def program(counts, runs):
    return "env %s mint-thesis all %d %d %d %d" % (TUNABLES, counts["io"], counts["cpu"],
                                                  counts["mem"], runs)


def expected_lines(runs):
    return runs * sum(len(sizes) for _, sizes in WORKLOADS)


def run_config(m, number, counts, runs, timeout):
    """Runs the program at every site of the configuration at once; returns
    rows tagged with the configuration and the site."""
    _, _, sites = CONFIGS[number]
    cmd = program(counts, runs)
    t0 = time.monotonic()
    results = at_once(m, [SITES[site].format(cmd=cmd, t=timeout) for site in sites], timeout)
    wall = time.monotonic() - t0
    rows = []
    for site, (status, text) in zip(sites, results):
        got = parse(text)
        if status != 0 or len(got) != expected_lines(runs):
            raise BenchError("configuration %d, %s: mint-thesis gave %d of %d lines (exit %d): "
                             "%s" % (number, site, len(got), expected_lines(runs), status,
                                     text.strip()[-400:]))
        for r in got:
            r.update(config=number, site=site)
        rows += got
    sys.stderr.write("bench thesis: configuration %d (%s) in %.0f s\n"
                     % (number, CONFIGS[number][1], wall))
    return rows


def lab_run(args, kernel_image, numbers, counts, runs, timeout):
    """One lab boot: every configuration of `numbers` in turn, each after
    the partitions it needs are up; returns (rows, lab meta)."""
    rows = []
    meta = {}
    with lab_session(args, meta, kernel_image=kernel_image) as m:
        meta["node0_kernel"] = node0(m, "uname -r").strip()
        up = set()
        try:
            for number in numbers:
                for site in CONFIGS[number][2]:
                    if site in up:
                        continue
                    if site == "node1":
                        node0(m, "mintctl boot node1 %s" % NODE, 600)
                    elif site == "guest on node0":
                        start_guest(m, "node0", "g0a", "--mem %s" % GUEST_MEM)
                    elif site == "2nd guest on node0":
                        start_guest(m, "node0", "g0b", "--mem %s" % GUEST_MEM)
                    elif site == "guest on node1":
                        if "node1" not in up:
                            node0(m, "mintctl boot node1 %s" % NODE, 600)
                            up.add("node1")
                        start_guest(m, "node1", "g1a", "--mem %s" % GUEST_MEM)
                    up.add(site)
                rows += run_config(m, number, counts, runs, timeout)
        finally:
            tear_down(m, up)
    return rows, meta


def tear_down(m, up):
    """Stops what lab_run started (guests on node0, node1 and its guest
    with it), so a real host (--host) is left as it was; a failure is said
    on stderr and does not hide the suite's own error."""
    steps = [(g, "mintctl vm stop node0 %s && mintctl vm rm node0 %s" % (g, g))
             for site, g in (("guest on node0", "g0a"), ("2nd guest on node0", "g0b"))
             if site in up]
    if "node1" in up:
        steps.append(("node1 (and its guest)", "mintctl stop node1 && mintctl destroy node1"))
    done = []
    for what, step in steps:
        status, out = m.run(step, 600)
        if status != 0:
            sys.stderr.write("bench thesis: tearing down, %r exited %d: %s\n"
                             % (step, status, out[-300:]))
        else:
            done.append(what)
    if done:
        sys.stderr.write("bench thesis: removed %s\n" % ", ".join(done))


def label(number, site):
    """A series' name in tables and plots: in the vanilla lab node0 runs the
    vanilla kernel, so it is called that."""
    if CONFIGS[number][0] == "vanilla":
        site = site.replace("node0", "vanilla")
    return site


def figure(rows, config, site, workload, size):
    vals = [r["tsc"] for r in rows if r["config"] == config and r["site"] == site
            and r["workload"] == workload and r["size_kib"] == size]
    if not vals:
        return None
    return {"n": len(vals), "median": statistics.median(vals), "min": min(vals),
            "max": max(vals)}


def summarize(rows):
    """{'<config>|<site>|<workload>|<size>': figure} for every series measured."""
    out = {}
    for number, (_, _, sites) in CONFIGS.items():
        for site in sites:
            for workload, sizes in WORKLOADS:
                for size in sizes:
                    f = figure(rows, number, site, workload, size)
                    if f:
                        out["%d|%s|%s|%d" % (number, site, workload, size)] = f
    return out


def reading(ours, published, a, b, workload, guest, at_once, in_lab=True):
    """One line: agrees, or differs and the likeliest reason in the lab
    (none is guessed on a real host)."""
    if abs(ours - published) <= AGREE:
        return "agrees"
    overlap = a["min"] <= b["max"] and b["min"] <= a["max"]
    if overlap and abs(published - 1.0) <= AGREE:
        return "agrees within the runs' spread (their min-max ranges overlap)"
    why = []
    if overlap:
        why.append("the two overlap over the runs, so even 1.00 is not ruled out")
    if in_lab and guest and workload == "cpu":
        why.append("a guest's exits (its timer's, every interrupt) go through the lab's "
                   "emulated SVM, far dearer than on hardware")
    elif in_lab and guest:
        why.append("under TCG the guest's nested paging is QEMU's software page walk, not "
                   "hardware NPT/EPT, so its %s cost is not the hardware's" % workload)
    if at_once and in_lab:
        why.append("partitions running at once share the lab's 2 host cores")
    return "differs" + (": " + "; ".join(why) if why else "")


def comparisons(summary, khz, in_lab=True):
    """One row per (comparison, workload, size): ours, published, reading."""
    out = []
    for name, c, s, bc, bs, pub, source in PUBLISHED:
        for workload, sizes in WORKLOADS:
            for size in sizes:
                a = summary.get("%d|%s|%s|%d" % (c, s, workload, size))
                b = summary.get("%d|%s|%s|%d" % (bc, bs, workload, size))
                row = {"comparison": name, "workload": workload, "size_kib": size,
                       "published": pub[workload], "source": source}
                if a and b:
                    ratio = a["median"] / b["median"]
                    at_once = len(CONFIGS[c][2]) > 1 or len(CONFIGS[bc][2]) > 1
                    row.update(ours=round(ratio, 3),
                               ms=round(a["median"] / khz, 2) if khz else None,
                               base_ms=round(b["median"] / khz, 2) if khz else None,
                               reading=reading(ratio, pub[workload], a, b, workload,
                                               "guest" in s and "guest" not in bs, at_once,
                                               in_lab))
                else:
                    missing = [n for n, f in ((c, a), (bc, b)) if not f]
                    row.update(ours=None, reading="not run (configuration%s %s)" % (
                        "s" if len(missing) > 1 else "",
                        " and ".join(str(n) for n in sorted(missing))))
                out.append(row)
    return out


def report(summary, comps, meta, khz, images):
    lines = ["", "## The thesis's configurations", "",
             "| # | configuration | kernel | run here |", "|---|---|---|---|"]
    for number, (k, what, sites) in CONFIGS.items():
        ran = any(key.startswith("%d|" % number) for key in summary)
        why = ("no (--quick)" if meta.get("quick") else
               "no (--host runs on the kernel this host booted)"
               if meta.get("where") != "the lab" else "no")
        lines.append("| %d | %s | %s | %s |" % (number, what, k, "yes" if ran else why))
    lines += ["", "## Published figure, ours, reading", "",
              "Ratio = median TSC cycles of the configuration over its baseline's; "
              "1.00 = as fast. The published figures are the thesis's summary ratios "
              "(issue 15).", "",
              "| comparison | workload | KiB | published | ours | ms (ours / baseline) | reading |",
              "|---|---|---|---|---|---|---|"]
    for r in comps:
        size = str(r["size_kib"]) if r["size_kib"] else "-"
        if r["ours"] is None:
            lines.append("| %s | %s | %s | %.2f | - | - | %s |" % (
                r["comparison"], r["workload"], size, r["published"], r["reading"]))
        else:
            ms = ("%.2f / %.2f" % (r["ms"], r["base_ms"])) if r["ms"] is not None else "-"
            lines.append("| %s | %s | %s | %.2f | %.2f | %s | %s |" % (
                r["comparison"], r["workload"], size, r["published"], r["ours"], ms,
                r["reading"]))
    lines += ["", "## Execution time per configuration (the thesis's figures 6.1-6.3)", ""]
    lines += plots.markdown(images)
    if meta.get("where") == "the lab":
        lines += ["", "Under TCG absolute times mean little: only ratios measured in one run "
                  "are quoted. Whether a node really performs like the bare machine, and what "
                  "KVM costs with hardware NPT/EPT, needs a real mint host (bench/README.md)."]
    else:
        lines += ["", "Measured on this host (--host), on the kernel it booted as node0: "
                  "configurations 1 and 4 need the vanilla kernel booted instead."]
    lines.append("TSC rate used for milliseconds: %s kHz (the host's)." % (khz or "unknown"))
    return "\n".join(lines) + "\n"


def run_suite(args, out):
    """bench/run thesis: returns (rows, summary, meta, report text, ok)."""
    quick = getattr(args, "quick", False)
    on_host = getattr(args, "host", False)
    counts = {k: max(1, v // QUICK) if quick else v for k, v in COUNTS.items()}
    khz = host_tsc_khz()
    timeout = 3600
    meta = {"counts": "L=%d M=%d N=%d" % (counts["io"], counts["cpu"], counts["mem"]),
            "quick": quick, "where": "this host (--host)" if on_host else "the lab",
            "host_tsc_khz": khz,
            "host_load_start": loadavg()}
    rows = []
    try:
        if not quick and not on_host:
            vanilla = lab_kernel.build_vanilla()["bzImage"]
            got, lab = lab_run(args, vanilla, [1, 4], counts, args.runs, timeout)
            rows += got
            meta.update(("vanilla_lab_" + k, v) for k, v in lab.items())
        got, lab = lab_run(args, None, [2, 3, 5, 6, 7], counts, args.runs, timeout)
        rows += got
        meta.update(("mint_lab_" + k, v) for k, v in lab.items())
    except (LabError, subprocess.CalledProcessError) as e:
        raise BenchError(str(e))
    meta["host_load_end"] = loadavg()
    summary = summarize(rows)
    comps = comparisons(summary, khz, in_lab=not on_host)
    save_json(out, "comparisons.json", comps)
    images = plots.thesis(summary, CONFIGS, WORKLOADS, label, khz, out)
    text = report(summary, comps, meta, khz, images)
    return rows, summary, meta, text, True
