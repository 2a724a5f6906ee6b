"""PNG plots of the bench suites (Debian's python3-matplotlib, no display:
the Agg backend). Each function writes its files into the result directory
and returns [(title, path)] for report.md to embed."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

def markdown(images):
    """report.md's lines embedding [(title, path)], paths relative to it."""
    return ["![%s](%s)" % (title, os.path.basename(path)) for title, path in images]


def _save(fig, out, name):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


_TITLES = {"io": "I/O: random lseek + read of 4 KiB blocks (L)",
           "cpu": "CPU: register increments (M)",
           "mem": "memory: memcpy (N)"}


def thesis(summary, configs, workloads, label, khz, out):
    """The shapes of the thesis's figures 6.1-6.3: per workload, the median
    execution time of every series measured (configuration and site), one
    bar per data size, min-max as error bars; label(number, site) names a
    series."""
    images = []
    for workload, sizes in workloads:
        series = []
        for number, (_, _, sites) in configs.items():
            for site in sites:
                if any("%d|%s|%s|%d" % (number, site, workload, s) in summary for s in sizes):
                    series.append((number, site))
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(series) + 2), 4.5))
        width = 0.8 / len(sizes)
        scale = (1.0 / khz) if khz else 1e-6
        for j, size in enumerate(sizes):
            xs, ys, lo, hi = [], [], [], []
            for i, (number, site) in enumerate(series):
                f = summary.get("%d|%s|%s|%d" % (number, site, workload, size))
                if not f:
                    continue
                xs.append(i + (j - (len(sizes) - 1) / 2) * width)
                ys.append(f["median"] * scale)
                lo.append((f["median"] - f["min"]) * scale)
                hi.append((f["max"] - f["median"]) * scale)
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2,
                   label="%d KiB" % size if size else None)
        ax.set_xticks(range(len(series)))
        ax.set_xticklabels(["(%d)\n%s" % (n, label(n, s).replace(" on ", "\non "))
                            for n, s in series],
                           fontsize=7)
        ax.set_ylabel("ms (TSC)" if khz else "Mcycles (TSC)")
        ax.set_title(_TITLES[workload])
        if len(sizes) > 1:
            ax.legend(fontsize=8)
        images.append((workload, _save(fig, out, "thesis-%s.png" % workload)))
    return images


def rt_histograms(hists, out):
    """The RT suite's latency histograms: one plot per timer mode, a step
    line per (partitions, load); cyclictest's 1 us buckets gathered into 40
    log-spaced bins from 1 us to 100 ms."""
    bins = [10 ** (i / 8.0) for i in range(41)]
    images = []
    for mode in sorted({mode for _, mode, _ in hists}):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for (kind, m, load), buckets in sorted(hists.items()):
            if m != mode or not buckets:
                continue
            xs = sorted(buckets)
            ax.hist([max(x, 1) for x in xs], bins=bins, weights=[buckets[x] for x in xs],
                    histtype="step", linewidth=1.5, label="%s, %s" % (kind, load))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("lateness of a 10 ms wake-up (us)")
        ax.set_ylabel("wake-ups")
        ax.set_title("cyclictest, %s timer" % mode)
        ax.legend(fontsize=8)
        images.append(("latency, %s" % mode, _save(fig, out, "rt-%s.png" % mode)))
    return images


def passthrough(summary, setups, loads, mib, out):
    """The passthrough suite: read time per set-up, one bar per neighbour
    load, min-max as error bars."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.8 / len(loads)
    for j, load in enumerate(loads):
        xs, ys, lo, hi = [], [], [], []
        for i, setup in enumerate(setups):
            f = summary.get("%s|%s" % (setup, load))
            if f:
                xs.append(i + (j - (len(loads) - 1) / 2) * width)
                ys.append(f["median"])
                lo.append(f["median"] - f["min"])
                hi.append(f["max"] - f["median"])
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label="neighbour: %s" % load)
    ax.set_xticks(range(len(setups)))
    ax.set_xticklabels(setups)
    ax.set_ylabel("seconds for %d MiB" % mib)
    ax.set_title("a disk read beside a busy neighbour")
    ax.legend(fontsize=8)
    return [("read time", _save(fig, out, "passthrough.png"))]


def heatmap(summary, aggressors, places, out):
    """The interference matrix: the victim's median slowdown (%) per
    aggressor (rows) and place (columns); a cell without a figure (the
    victim lost with its node, or not run) is grey."""
    grid = []
    for a in aggressors:
        row = []
        for p in places:
            f = summary.get("slowdown|%s|%s" % (a, p))
            row.append(100 * f["median"] if f else float("nan"))
        grid.append(row)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cmap = matplotlib.colormaps["Reds"].copy()
    cmap.set_bad("lightgrey")
    finite = [v for r in grid for v in r if v == v]
    top = max([abs(v) for v in finite] + [1.0])
    im = ax.imshow(grid, cmap=cmap, vmin=0, vmax=top, aspect="auto")
    for i, r in enumerate(grid):
        for j, v in enumerate(r):
            ax.text(j, i, "-" if v != v else "%+.0f %%" % v, ha="center", va="center",
                    fontsize=8)
    ax.set_xticks(range(len(places)))
    ax.set_xticklabels([p.replace(" on ", "\non ") for p in places], fontsize=8)
    ax.set_yticks(range(len(aggressors)))
    ax.set_yticklabels(aggressors)
    ax.set_title("slowdown of a victim in node1, by aggressor and place")
    fig.colorbar(im, ax=ax, label="%")
    return [("interference matrix", _save(fig, out, "isolation.png"))]


def scaling(summary, max_nodes, out):
    """Node-count scaling: the last node's boot time and the per-node
    throughput (median, min-max) over the number of nodes."""
    ks = [k for k in range(1, max_nodes + 1) if "boot_s|%d nodes" % k in summary]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4))
    for ax, figure, ylabel in ((a1, "boot_s", "boot of the k-th node (s)"),
                               (a2, "stones_per_s", "stones/s per node")):
        fs = [summary["%s|%d nodes" % (figure, k)] for k in ks]
        ax.errorbar(ks, [f["median"] for f in fs],
                    yerr=[[f["median"] - f["min"] for f in fs],
                          [f["max"] - f["median"] for f in fs]], marker="o", capsize=3)
        ax.set_xticks(ks)
        ax.set_xlabel("nodes booted")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
    fig.suptitle("scaling with the number of nodes")
    return [("scaling", _save(fig, out, "scaling.png"))]
