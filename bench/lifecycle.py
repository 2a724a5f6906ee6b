"""mint's own lifecycle figures, measured in the lab (DESIGN.md section 6,
issue 16): node boot time and its phases, exec round trip, crash-detection
latency, restart time after a panic and its phases, with a sibling node's
heartbeat watched across every crash; the times of mintctl topology, plan,
status and destroy; node0's own boot; and the issue's goals, each with the
figure it is judged on.

Clocks: node0's /proc/uptime (10 ms resolution; the serial console between
the host and node0 adds nothing) for the whole of each command, and
mintctl's own monotonic clock for the phases (`mintctl boot --json` and
`mintctl restart --json` carry them, docs/mintctl.md "Timings"), with the
node kernel's phases read from its console timestamps. Crash detection is
bounded from above by the node's own panic path, on its printk clock (its
"sysrq: Trigger a crash" line to the panic's last line, which comes after
the notifier that writes `crashed` into its region), plus one period of
node0's tightest read of nodes/<id>/state (the kernel adopts what the node
wrote at the first read). The raw channel round trip is `mintctl ping`'s
(PING to the node's agent and PONG back, nothing run); the CPU loop is the
same shell arithmetic loop in node0 and in a node, each timed by its own
/proc/uptime.

A poll that timed out, a mintctl that failed or printed no JSON is no
sample: the event is counted as a failure (report.md lists each) and left
out of the figures."""

import json
import statistics

# node0 shell: t = seconds since node0 booted, 10 ms resolution.
_NOW = "now() { cut -d' ' -f1 /proc/uptime; }\n"
_NODE = "--cores 2 --mem 512M"
_NODE_GIB = 0.5
_POLL_LIMIT = 200000  # busy-poll rounds before a poll gives up ("timeout: WHAT")
_LOOP_ITERATIONS = 100000  # the CPU loop: about 6 s under the lab's TCG


class Failure(Exception):
    """One event that gave no valid sample."""


def _ms(a, b):
    return round((float(b) - float(a)) * 1000.0)


def _fields(out):
    """'key: value' lines printed by the node0 scripts -> dict (the last
    line of a key wins); `timeout: WHAT` lines are collected in 'timeouts'."""
    d = {"timeouts": []}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].endswith(":"):
            if parts[0] == "timeout:":
                d["timeouts"].append(parts[1].strip())
            else:
                d[parts[0][:-1]] = parts[1].strip()
    return d


def _poll(path, want, what):
    # Polls without sleeping: the loop itself is the resolution.
    return ("i=0; until [ \"$(cat %s)\" = %s ]; do i=$((i+1)); "
            "[ $i -gt %d ] && echo 'timeout: %s' && break; done\n"
            % (path, want, _POLL_LIMIT, what))


def _state_poll(node_id, want):
    return _poll("/sys/kernel/mint/nodes/%d/state" % node_id, want, "state %s" % want)


def _checked(f, keys):
    if f["timeouts"]:
        raise Failure("poll timed out: %s" % ", ".join(f["timeouts"]))
    missing = [k for k in keys if k not in f]
    if missing:
        raise Failure("no %s in the output" % ", ".join(missing))
    return f


def _timed_json(m, command, timeout):
    """Runs `command` (a mintctl printing one JSON document) in node0 between
    two reads of its clock; returns (wall ms, the JSON)."""
    status, out = m.run(_NOW + "t0=$(now); %s > /tmp/bench.json 2>/tmp/bench.err; s=$?; "
                        "t1=$(now)\necho t0: $t0; echo t1: $t1; echo status: $s\n"
                        "echo '@@json'; cat /tmp/bench.json; echo '@@err'; "
                        "tail -c 300 /tmp/bench.err\n" % command, timeout=timeout)
    head, _, rest = out.partition("\n@@json\n")
    text, _, err = rest.partition("\n@@err")  # run() drops the last newline
    f = _fields(head)
    if status != 0 or "status" not in f:
        raise Failure("node0 script for %r exited %d: %s" % (command, status, out[-300:]))
    if f["status"] != "0":
        raise Failure("%r exited %s: %s" % (command, f["status"], err.strip()))
    try:
        j = json.loads(text)
    except ValueError:
        raise Failure("%r printed no JSON: %s" % (command, text[:200]))
    return _ms(f["t0"], f["t1"]), j


def _phase_fields(prefix, timings):
    """The phases of mintctl's --json 'timings' -> row fields, with the
    time to running and to agent on mintctl's clock."""
    row = {}
    total = 0.0
    for p in timings["phases"]:
        row["%s_%s_ms" % (prefix, p["phase"])] = p["ms"]
        total += p["ms"]
        if p["phase"] == "running":
            row["%s_to_running_mintctl_ms" % prefix] = round(total, 1)
    for p in timings["node_kernel"]:
        row["%s_node_%s_ms" % (prefix, p["phase"])] = p["ms"]
    row["%s_mintctl_total_ms" % prefix] = timings["total_ms"]
    return row


def boot_once(m, name):
    wall, j = _timed_json(m, "mintctl boot %s %s --json --timings" % (name, _NODE), 300)
    if not j.get("started"):
        raise Failure("boot printed started=false")
    row = {"boot_to_agent_ms": wall}
    row.update(_phase_fields("boot", j["timings"]))
    # What mintctl's clock does not see: the process's start (exec, dynamic
    # linking) and end, at node0's 10 ms resolution.
    row["boot_startup_ms"] = round(wall - j["timings"]["total_ms"])
    return row


def exec_round_trip(m, name, count):
    out = m.check(_NOW + (
        "t0=$(now); i=0; while [ $i -lt %d ]; do mintctl exec %s -- true || exit 3; "
        "i=$((i+1)); done; t1=$(now); echo t0: $t0; echo t1: $t1\n" % (count, name)),
        timeout=300)
    f = _checked(_fields(out), ["t0", "t1"])
    return _ms(f["t0"], f["t1"]) / count


_PANIC_LINE = "sysrq: Trigger a crash"


def _panic_path_ms(console):
    """The node's own time (printk clock) from its last 'sysrq: Trigger a
    crash' line to the last timestamped line after it: its panic path up to
    the moment it tells node0 (the notifier that writes `crashed` runs
    after the panic's output). None if the console does not show it."""
    lines = console.splitlines()
    at = max((i for i, line in enumerate(lines) if _PANIC_LINE in line), default=None)
    if at is None:
        return None
    stamps = []
    for line in lines[at:]:
        head = line.partition("]")[0].lstrip("[ ")
        try:
            stamps.append(float(head))
        except ValueError:
            continue
    return round((stamps[-1] - stamps[0]) * 1000, 1) if len(stamps) >= 2 else None


def crash_and_restart(m, name, node_id, sibling_id):
    hb = "/sys/kernel/mint/nodes/%d/heartbeat" % sibling_id
    d = "/sys/kernel/mint/nodes/%d" % node_id
    # The panic comes 1 s after the exec arrived; node0 meanwhile reads the
    # node's state as fast as it can (read builtin, no fork), so it sees
    # `crashed` within one read of the node writing it: the poll's period.
    out = m.check((
        "now() { read u _ < /proc/uptime; echo $u; }\n"
        "h0=$(cat %s)\n" % hb
        + "mintctl exec %s -- sh -c 'sleep 1; echo c > /proc/sysrq-trigger' "
          ">/dev/null 2>&1 &\n" % name
        + "t0=$(now); i=0\n"
        "while read st < %s/state; [ \"$st\" != crashed ]; do i=$((i+1)); "
        "[ $i -gt %d ] && echo 'timeout: state crashed' && break; done\n" % (d, _POLL_LIMIT)
        + "t1=$(now)\nwait\nh1=$(cat %s)\n" % hb
        + "echo t0: $t0; echo crashed: $t1; echo reads: $i; echo h0: $h0; echo h1: $h1\n"),
        timeout=300)
    f = _checked(_fields(out), ["t0", "crashed", "reads", "h0", "h1"])
    row = {"crash_poll_period_ms": round(_ms(f["t0"], f["crashed"]) / max(int(f["reads"]), 1), 2),
           "sibling_heartbeat_delta_during_crash": int(f["h1"]) - int(f["h0"])}
    # Detection: the node's panic path on its own clock (its panic line to
    # its last line, which comes after the notifier that writes `crashed`),
    # then at most one of node0's reads.
    panic_ms = _panic_path_ms(m.check("mintctl console %s" % name, timeout=120))
    if panic_ms is None:
        raise Failure("%s's console shows no '%s' line after the crash" % (name, _PANIC_LINE))
    row["crash_node_panic_path_ms"] = panic_ms
    row["crash_detect_ms"] = round(panic_ms + row["crash_poll_period_ms"], 1)
    h1 = int(f["h1"])
    wall, j = _timed_json(m, "mintctl restart %s --json --timings" % name, 300)
    if not j.get("started"):
        raise Failure("restart printed started=false")
    row["restart_to_agent_ms"] = wall
    row.update(_phase_fields("restart", j["timings"]))
    row["restart_startup_ms"] = round(wall - j["timings"]["total_ms"])
    h2 = int(m.check("cat %s" % hb))
    row["sibling_heartbeat_delta_during_restart"] = h2 - h1
    return row


def channel_round_trip(m, name, count):
    """`mintctl ping` back to back: the raw channel round trip (PING to the
    node's agent, PONG back, nothing run), mintctl's monotonic clock."""
    status, out = m.run("mintctl --json ping %s -c %d -i 0" % (name, count), timeout=300)
    if status != 0:
        raise Failure("mintctl ping %s exited %d: %s" % (name, status, out[-300:]))
    try:
        rtt = json.loads(out)["round_trip_ms"]
    except (ValueError, KeyError):
        raise Failure("mintctl ping printed no round trips: %s" % out[:200])
    return {"channel_round_trip_ms": round(rtt["avg"], 3),
            "channel_round_trip_min_ms": round(rtt["min"], 3)}


# A CPU-bound loop of the shell's own arithmetic (no fork, no syscall in
# the loop), timed by the kernel it runs on: its /proc/uptime.
_LOOP = ("read a _ < /proc/uptime; i=0; while [ $i -lt %d ]; do i=$((i+1)); done; "
         "read b _ < /proc/uptime; echo loop_s: $a $b")


def cpu_loop(m, name, iterations):
    """The same loop in node0 and in node `name` (one after the other, the
    other side idle): milliseconds each, by its own clock. The node's loop
    runs detached, and node0 sleeps instead of polling the channel while it
    runs: under TCG, exec's 2 ms polls would take host CPU from the node's
    vCPUs (a cost real CPUs do not share)."""
    status, out = m.run("sh -c '%s'" % (_LOOP % iterations), timeout=600)
    f = _fields(out)
    if status != 0 or "loop_s" not in f:
        raise Failure("the CPU loop in node0 exited %d: %s" % (status, out[-200:]))
    a, b = f["loop_s"].split()
    row = {"cpu_loop_node0_ms": _ms(a, b)}
    m.check("mintctl exec %s -- sh -c 'rm -f /tmp/cpu-loop.out; (%s) > /tmp/cpu-loop.out "
            "2>&1 &'" % (name, _LOOP % iterations))
    status, out = m.run("sleep %.1f; i=0; until mintctl exec %s -- cat /tmp/cpu-loop.out | "
                        "grep loop_s:; do i=$((i+1)); [ $i -gt 300 ] && break; sleep 1; done"
                        % (row["cpu_loop_node0_ms"] / 1000.0, name), timeout=900)
    f = _fields(out)
    if status != 0 or "loop_s" not in f:
        raise Failure("the CPU loop in %s gave no time: %s" % (name, out[-200:]))
    a, b = f["loop_s"].split()
    row["cpu_loop_node_ms"] = _ms(a, b)
    return row


def command_ms(m, command, count=3):
    """node0's clock around `count` runs of a mintctl command; the mean."""
    status, out = m.run(_NOW + (
        "t0=$(now); i=0; while [ $i -lt %d ]; do %s >/dev/null 2>&1 || exit 3; i=$((i+1)); "
        "done; t1=$(now); echo t0: $t0; echo t1: $t1\n" % (count, command)), timeout=300)
    if status != 0:
        raise Failure("%r failed (exit %d)" % (command, status))
    f = _checked(_fields(out), ["t0", "t1"])
    return round(_ms(f["t0"], f["t1"]) / count, 1)


def loads(m):
    with open("/proc/loadavg") as f:
        host = " ".join(f.read().split()[:3])
    node0 = " ".join(m.check("cat /proc/loadavg").split()[:3])
    return host, node0


def run(m, runs):
    """Returns (rows, summary, meta, failures): one row per measured event,
    one failure per event that gave no sample."""
    rows, failures = [], []
    meta = {}
    meta["host_load_start"], meta["node0_load_start"] = loads(m)
    meta["node0_boot_s"] = m.node0_uptime_s

    def attempt(metric, i, fn, *args):
        try:
            r = fn(*args)
        except Failure as e:
            failures.append({"metric": metric, "run": i, "why": str(e)})
            return None
        rows.append(dict(metric=metric, run=i, **r))
        return r

    for i in range(3):
        attempt("commands_no_node", i, lambda: {
            "topology_ms": command_ms(m, "mintctl topology", 1),
            "plan_ms": command_ms(m, "mintctl plan node1 %s" % _NODE, 1),
            "status_no_node_ms": command_ms(m, "mintctl status", 1),
            # mintctl doing nothing but start, parse and print its help.
            "mintctl_startup_ms": command_ms(m, "mintctl --help", 1)})
    for i in range(runs):
        attempt("boot", i, boot_once, m, "node1")
        if i == 0:
            attempt("status_one_node", 0, lambda: {
                "status_one_node_ms": command_ms(m, "mintctl status", 3)})
        m.run("mintctl stop --force node1 >/dev/null 2>&1")  # no node1 if its boot failed
        attempt("destroy", i, lambda: {"destroy_ms": command_ms(m, "mintctl destroy node1", 1)})
        m.run("mintctl destroy node1 >/dev/null 2>&1")  # a destroy that failed above
    m.check("mintctl boot node1 %s --wait 60 >/dev/null" % _NODE, timeout=180)
    m.check("mintctl boot node2 %s --wait 60 >/dev/null" % _NODE, timeout=180)
    attempt("exec_true", 0, lambda: {"round_trip_ms": round(exec_round_trip(m, "node1", 20), 1)})
    attempt("ping", 0, channel_round_trip, m, "node1", 200)
    # Pairs, node0 then node1, so a drift of the host's speed (a shared
    # machine's steal time) falls on both sides alike.
    for i in range(runs):
        attempt("cpu_loop", i, cpu_loop, m, "node1", _LOOP_ITERATIONS)
    for i in range(runs):
        if attempt("crash_restart", i, crash_and_restart, m, "node1", 1, 2) is None:
            # Whatever state it was left in: the next run starts from a running node1.
            m.run("mintctl restart node1 >/dev/null 2>&1", timeout=300)
    m.check("for n in node1 node2; do mintctl stop --force $n >/dev/null; "
            "mintctl destroy $n >/dev/null; done")
    meta["host_load_end"], meta["node0_load_end"] = loads(m)

    def stats(metric, key):
        xs = [r[key] for r in rows if r["metric"] == metric and key in r]
        return {"n": len(xs), "median": round(statistics.median(xs), 1), "min": min(xs),
                "max": max(xs)} if xs else None

    def keys(metric, prefix):
        seen = []
        for r in rows:
            if r["metric"] == metric:
                seen += [k for k in r if k.startswith(prefix) and k not in seen]
        return seen

    summary = {
        "boot_to_agent_ms": stats("boot", "boot_to_agent_ms"),
        "boot_to_running_mintctl_ms": stats("boot", "boot_to_running_mintctl_ms"),
        "boot_startup_ms": stats("boot", "boot_startup_ms"),
    }
    for k in keys("boot", "boot_"):  # each phase, mintctl's then the node kernel's
        if k not in summary:
            summary[k] = stats("boot", k)
    summary.update({
        "exec_true_round_trip_ms": stats("exec_true", "round_trip_ms"),
        "channel_round_trip_ms": stats("ping", "channel_round_trip_ms"),
        "channel_round_trip_min_ms": stats("ping", "channel_round_trip_min_ms"),
        "cpu_loop_node0_ms": stats("cpu_loop", "cpu_loop_node0_ms"),
        "cpu_loop_node_ms": stats("cpu_loop", "cpu_loop_node_ms"),
        "crash_detect_ms": stats("crash_restart", "crash_detect_ms"),
        "crash_node_panic_path_ms": stats("crash_restart", "crash_node_panic_path_ms"),
        "crash_poll_period_ms": stats("crash_restart", "crash_poll_period_ms"),
        "restart_to_agent_ms": stats("crash_restart", "restart_to_agent_ms"),
        "restart_to_running_mintctl_ms": stats("crash_restart", "restart_to_running_mintctl_ms"),
        "restart_startup_ms": stats("crash_restart", "restart_startup_ms"),
    })
    for k in keys("crash_restart", "restart_"):
        if k not in summary:
            summary[k] = stats("crash_restart", k)
    summary.update({
        "sibling_heartbeat_delta_during_crash": stats(
            "crash_restart", "sibling_heartbeat_delta_during_crash"),
        "topology_ms": stats("commands_no_node", "topology_ms"),
        "plan_ms": stats("commands_no_node", "plan_ms"),
        "status_no_node_ms": stats("commands_no_node", "status_no_node_ms"),
        "mintctl_startup_ms": stats("commands_no_node", "mintctl_startup_ms"),
        "status_one_node_ms": stats("status_one_node", "status_one_node_ms"),
        "destroy_ms": stats("destroy", "destroy_ms"),
    })
    return rows, summary, meta, failures


def _median(summary, key):
    s = summary.get(key)
    return s["median"] if s else None


# mintctl's phases of a boot or restart, in order (docs/mintctl.md "Timings").
_BEFORE_START = ("lock", "topology", "read_images", "plan", "rehearse", "stop", "cpu_offline",
                 "devices", "build_image", "load", "start")
_NODE_PHASES = ("before_clock", "early_setup", "smp", "initcalls", "init")


def _top(summary, keys, n=3):
    """'a 120 ms, b 80 ms, c 40 ms': the n biggest of the summary's medians."""
    found = [(k, _median(summary, k)) for k in keys if _median(summary, k) is not None]
    found.sort(key=lambda kv: -kv[1])
    return ", ".join("%s %s ms" % (k, _fmt(v)) for k, v in found[:n])


def _phase_keys(prefix):
    return (["%s_startup_ms" % prefix] + ["%s_%s_ms" % (prefix, p) for p in _BEFORE_START]
            + ["%s_node_%s_ms" % (prefix, p) for p in _NODE_PHASES])


def first_console_byte_ms(summary):
    """mintctl's start-up, its phases up to START and the node's
    before_clock (its first console line is at its clock's 0): when the
    first byte can appear, an upper bound like before_clock itself."""
    parts = [_median(summary, k) for k in ["boot_startup_ms", "boot_node_before_clock_ms"]
             + ["boot_%s_ms" % p for p in _BEFORE_START]]
    if parts[0] is None or parts[1] is None:
        return None
    return round(sum(x for x in parts if x is not None))


def goals(summary, meta):
    """The issue's goals: (figure, goal, measured, met, held by) rows; the
    last names, for a goal not met, the phases that hold it (medians)."""
    out = []
    startup = _median(summary, "mintctl_startup_ms")
    startup_text = ("mintctl's own start-up, %s ms of it (mintctl_startup_ms, `mintctl --help`: "
                    "exec, dynamic linking and C++ start-up, code QEMU's TCG translates afresh "
                    "at every run)" % _fmt(startup)) if startup is not None else \
        "mintctl's own start-up"

    def row(name, goal, measured, met, held):
        out.append((name, goal, measured, met, "" if met in ("yes", "n/a") else held))

    def ratio(name, goal, num, den, held, why=""):
        if num is None or den is None or den == 0:
            row(name, "<= %s" % goal, "not measured" + why, "n/a", "")
            return
        r = num / den
        row(name, "<= %s" % goal, "%.2f (%s / %s)" % (r, _fmt(num), _fmt(den)),
            "yes" if r <= goal else "no", held)

    def limit(name, goal_ms, value, held, unit="ms"):
        if value is None:
            row(name, "<= %s %s" % (goal_ms, unit), "not measured", "n/a", "")
            return
        row(name, "<= %s %s" % (goal_ms, unit), "%s %s" % (_fmt(value), unit),
            "yes" if value <= goal_ms else "no", held)

    node0_ms = meta["node0_boot_s"] * 1000 if meta.get("node0_boot_s") else None
    ratio("boot_to_agent / node0 boot (its /proc/uptime at its first prompt)", 0.5,
          _median(summary, "boot_to_agent_ms"), node0_ms,
          "the biggest phases: " + _top(summary, _phase_keys("boot")))
    first = first_console_byte_ms(summary)
    limit("first console byte after `mintctl boot` starts (start-up + phases to START + "
          "before_clock: an upper bound)", 200, first,
          "what comes before it: " + _top(summary, _phase_keys("boot")[:-4], 4))
    ratio("restart_to_agent / boot_to_agent", 0.7, _median(summary, "restart_to_agent_ms"),
          _median(summary, "boot_to_agent_ms"),
          "the restarted node's own kernel (%s, against %s at the first boot) and %s"
          % (_top(summary, ["restart_node_%s_ms" % p for p in _NODE_PHASES], 2),
             _top(summary, ["boot_node_%s_ms" % p for p in _NODE_PHASES], 2),
             _top(summary, _phase_keys("restart")[:-5], 2)))
    execs = _median(summary, "exec_true_round_trip_ms")
    ratio("exec true / raw channel round trip (`mintctl ping`, mean)", 20, execs,
          _median(summary, "channel_round_trip_ms"), startup_text + "; the rest is the agent's "
          "fork and exec of the command and exec's 2 ms polls")
    limit("crash detection: the node's panic line to node0's `crashed` (its panic path plus "
          "one of node0's reads: an upper bound; goal: 2 heartbeat periods of 10 ms)", 20,
          _median(summary, "crash_detect_ms"),
          "the node's own panic path, %s ms (crash_node_panic_path_ms, on its clock: its panic "
          "line to the panic's last line), and node0's read period, %s ms"
          % (_fmt(_median(summary, "crash_node_panic_path_ms")),
             _fmt(_median(summary, "crash_poll_period_ms"))))
    limit("status (no node)", 100, _median(summary, "status_no_node_ms"), startup_text)
    limit("status (one node)", 100, _median(summary, "status_one_node_ms"), startup_text)
    limit("plan", 200, _median(summary, "plan_ms"), startup_text + " and the host's topology read "
          "(boot_topology_ms %s ms: CPUs, memory, PCI, disks, NICs)"
          % _fmt(_median(summary, "boot_topology_ms")))
    destroy = _median(summary, "destroy_ms")
    limit("destroy per GiB of node memory (%s GiB node)" % _NODE_GIB, 1000,
          None if destroy is None else round(destroy / _NODE_GIB),
          "NODE_DESTROY's scrub of the node's memory (a memset, about 70 MB/s under the lab's "
          "TCG: docs/speed.md; not broken down by the bench)", "ms/GiB")
    # The loop's own spread on this host: a ratio judged against 2 % means
    # nothing when one side's runs differ by more than that.
    spreads = [(summary[k]["max"] - summary[k]["min"]) / summary[k]["median"]
               for k in ("cpu_loop_node_ms", "cpu_loop_node0_ms")
               if summary.get(k) and summary[k]["n"] > 1 and summary[k]["median"]]
    name = "CPU loop in a node / the same loop in node0 (each on its own clock)"
    if spreads and max(spreads) > 0.02:
        num, den = _median(summary, "cpu_loop_node_ms"), _median(summary, "cpu_loop_node0_ms")
        row(name, "<= 1.02", "%.2f (%s / %s)" % (num / den, _fmt(num), _fmt(den)),
            "not judged", "the loop's runs spread by %d %% on this host (max - min over the "
            "median), more than the 2 %% the goal allows" % round(100 * max(spreads)))
    else:
        ratio(name, 1.02, _median(summary, "cpu_loop_node_ms"),
              _median(summary, "cpu_loop_node0_ms"), "not explained by the bench")
    return out


def _fmt(x):
    return ("%.1f" % x).rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def report(summary, meta, failures):
    """report.md's goals and failures sections."""
    lines = ["", "## Goals (issue 16)", "",
             "| figure | goal | measured (medians) | met | held by |", "|---|---|---|---|---|"]
    for name, goal, measured, met, held in goals(summary, meta):
        lines.append("| %s | %s | %s | %s | %s |" % (name, goal, measured, met, held))
    lines += ["", "## Failures (events that gave no sample: %d)" % len(failures), ""]
    if failures:
        lines += ["| metric | run | why |", "|---|---|---|"]
        lines += ["| %s | %s | %s |" % (f["metric"], f["run"], f["why"].replace("|", "/"))
                  for f in failures]
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"
