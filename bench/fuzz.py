"""Long fuzzing runs of every libFuzzer target (tests/fuzz), outside the
test run: `bench/run fuzz --seconds N` builds the clang fuzz configuration
(the same one tools/test's fuzz stage uses, <build>/fuzz), then runs each
target of its targets.txt for N seconds, one after another (the targets are
single-threaded; running them in turn keeps each figure that of one core),
over its committed seeds plus a corpus kept in the result directory, and
reports the inputs each one executed: libFuzzer's final
`stat::number_of_executed_units` (-print_final_stats=1). Any crash, leak,
sanitizer report or timeout is a failure: its reproducer is kept
(crash-*/leak-*/timeout-* in the result directory) and bench/run exits 1."""

import glob
import os
import re
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BUILD = os.path.join(os.environ.get("MINT_TEST_BUILD", os.path.join(REPO, "build-test")),
                             "fuzz")

_STAT = re.compile(r"^stat::(\w+):\s+(\d+)\s*$", re.M)


def add_arguments(ap):
    ap.add_argument("--seconds", type=int, default=60, help="seconds per target (fuzz)")
    ap.add_argument("--build", default=DEFAULT_BUILD,
                    help="fuzz build directory (fuzz; default %(default)s)")


def build(build_dir):
    subprocess.check_call(["cmake", "-S", REPO, "-B", build_dir, "-G", "Ninja", "-DMINT_FUZZ=ON",
                           "-DCMAKE_C_COMPILER=clang", "-DCMAKE_CXX_COMPILER=clang++"],
                          stdout=subprocess.DEVNULL)
    subprocess.check_call(["nice", "cmake", "--build", build_dir, "-j", "2", "--target", "fuzzers"])


def targets(build_dir):
    """(name, executable, seed corpus) of every product target."""
    with open(os.path.join(build_dir, "tests", "fuzz", "targets.txt")) as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]


def run_target(name, exe, seeds, seconds, out):
    work = os.path.join(out, name)
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run([exe, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
                        "-print_final_stats=1", "-artifact_prefix=%s/" % work, corpus, seeds],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    wall = time.monotonic() - t0
    with open(os.path.join(work, "fuzz.log"), "w") as f:
        f.write(p.stdout)
    stats = {k: int(v) for k, v in _STAT.findall(p.stdout)}
    found = sorted(os.path.basename(a) for pattern in ("crash-*", "leak-*", "timeout-*", "oom-*")
                   for a in glob.glob(os.path.join(work, pattern)))
    execs = stats.get("number_of_executed_units")
    return {"target": name, "seconds": seconds, "wall_s": round(wall, 1), "exit": p.returncode,
            "execs": execs, "execs_per_s": round(execs / wall) if execs and wall else None,
            "new_units": stats.get("new_units_added"), "peak_rss_mb": stats.get("peak_rss_mb"),
            "corpus_files": len(os.listdir(corpus)), "findings": " ".join(found),
            "ok": p.returncode == 0 and execs is not None and not found}


def run(args, out):
    """Returns (rows, summary, meta, ok)."""
    if not args.no_build:
        build(args.build)
    rows = []
    for name, exe, seeds in targets(args.build):
        row = run_target(name, exe, seeds, args.seconds, out)
        print("%-20s %12s execs in %4d s  exit %d%s" % (
            name, row["execs"] if row["execs"] is not None else "?", args.seconds, row["exit"],
            "  FOUND " + row["findings"] if row["findings"] else ""), flush=True)
        rows.append(row)
    summary = {"execs %s" % r["target"]: {"n": 1, "median": r["execs"], "min": r["execs"],
                                          "max": r["execs"]} for r in rows}
    meta = {"seconds_per_target": args.seconds, "build": args.build,
            "host": os.uname().nodename, "host_cpus": os.cpu_count(),
            "load_before": "%.2f %.2f %.2f" % os.getloadavg(),
            "failed": " ".join(r["target"] for r in rows if not r["ok"]) or "none"}
    return rows, summary, meta, all(r["ok"] for r in rows)
