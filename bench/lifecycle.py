"""mint's own lifecycle figures, measured in the lab (DESIGN.md section 6):
node boot time (mintctl boot to `running` and to mint-agent ready), exec round
trip, crash-detection latency, and restart time after a panic, with a sibling
node's heartbeat watched across every crash.

Every time is taken inside node0 from /proc/uptime (10 ms resolution), so the
serial console between the host and node0 adds nothing. Crash detection is
measured from the moment node0 has sent the panic trigger over the channel
(`mintctl exec` of `echo c > /proc/sysrq-trigger`) to the first read of
nodes/<id>/state that says `crashed`; it is an upper bound that includes the
exec's one-way delivery (half of the measured `exec true` round trip)."""

import statistics

# node0 shell: t = seconds since node0 booted, 10 ms resolution.
_NOW = "now() { cut -d' ' -f1 /proc/uptime; }\n"


def _ms(a, b):
    return round((float(b) - float(a)) * 1000.0)


def _fields(out):
    """'key value' lines printed by the node0 scripts -> dict."""
    d = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith(":"):
            d[parts[0][:-1]] = parts[1]
    return d


def _state_poll(node_id, want):
    # Polls without sleeping: the loop itself is the resolution.
    return ("i=0; until [ \"$(cat /sys/kernel/mint/nodes/%d/state)\" = %s ]; do "
            "i=$((i+1)); [ $i -gt 200000 ] && echo timeout: 1 && break; done\n"
            % (node_id, want))


def boot_once(m, name, node_id, args):
    out = m.check(_NOW + (
        "t0=$(now); mintctl boot %s %s --wait 0 >/dev/null || exit 3\n" % (name, args)
        + _state_poll(node_id, "running") + "t1=$(now)\n"
        "until [ \"$(cat /sys/kernel/mint/nodes/%d/agent)\" = ready ]; do :; done; t2=$(now)\n"
        % node_id + "echo t0: $t0; echo running: $t1; echo agent: $t2\n"), timeout=180)
    f = _fields(out)
    return {"boot_to_running_ms": _ms(f["t0"], f["running"]),
            "boot_to_agent_ms": _ms(f["t0"], f["agent"])}


def exec_round_trip(m, name, count):
    out = m.check(_NOW + (
        "t0=$(now); i=0; while [ $i -lt %d ]; do mintctl exec %s -- true || exit 3; "
        "i=$((i+1)); done; t1=$(now); echo t0: $t0; echo t1: $t1\n" % (count, name)),
        timeout=300)
    f = _fields(out)
    return _ms(f["t0"], f["t1"]) / count


def crash_and_restart(m, name, node_id, sibling_id):
    hb = "/sys/kernel/mint/nodes/%d/heartbeat" % sibling_id
    out = m.check(_NOW + (
        "h0=$(cat %s)\n" % hb
        + "mintctl exec %s -- sh -c 'echo c > /proc/sysrq-trigger' >/dev/null 2>&1 &\n" % name
        + "t0=$(now)\n" + _state_poll(node_id, "crashed") + "t1=$(now)\n"
        "wait\n"
        "h1=$(cat %s)\n" % hb
        + "t2=$(now); mintctl restart %s --wait 0 >/dev/null || exit 3\n" % name
        + _state_poll(node_id, "running") + "t3=$(now)\n"
        "until [ \"$(cat /sys/kernel/mint/nodes/%d/agent)\" = ready ]; do :; done; t4=$(now)\n"
        % node_id + "h2=$(cat %s)\n" % hb
        + "echo t0: $t0; echo crashed: $t1; echo restart: $t2; echo running: $t3; "
        "echo agent: $t4; echo h0: $h0; echo h1: $h1; echo h2: $h2\n"), timeout=300)
    f = _fields(out)
    return {"crash_detect_ms": _ms(f["t0"], f["crashed"]),
            "restart_to_running_ms": _ms(f["restart"], f["running"]),
            "restart_to_agent_ms": _ms(f["restart"], f["agent"]),
            "sibling_heartbeat_delta_during_crash": int(f["h1"]) - int(f["h0"]),
            "sibling_heartbeat_delta_during_restart": int(f["h2"]) - int(f["h1"])}


def run(m, runs):
    """Returns (rows, summary): one row per measured event."""
    rows = []
    for i in range(runs):
        r = boot_once(m, "node1", 1, "--cores 2 --mem 512M")
        rows.append(dict(metric="boot", run=i, **r))
        m.check("mintctl stop --force node1 >/dev/null && mintctl destroy node1 >/dev/null")
    m.check("mintctl boot node1 --cores 2 --mem 512M --wait 60 >/dev/null", timeout=180)
    m.check("mintctl boot node2 --cores 2 --mem 512M --wait 60 >/dev/null", timeout=180)
    rt = exec_round_trip(m, "node1", 20)
    rows.append({"metric": "exec_true", "run": 0, "round_trip_ms": round(rt, 1)})
    for i in range(runs):
        r = crash_and_restart(m, "node1", 1, 2)
        rows.append(dict(metric="crash_restart", run=i, **r))
    m.check("for n in node1 node2; do mintctl stop --force $n >/dev/null; "
            "mintctl destroy $n >/dev/null; done")

    def stats(metric, key):
        xs = [r[key] for r in rows if r["metric"] == metric and key in r]
        return {"n": len(xs), "median": statistics.median(xs), "min": min(xs),
                "max": max(xs)} if xs else None

    summary = {
        "boot_to_running_ms": stats("boot", "boot_to_running_ms"),
        "boot_to_agent_ms": stats("boot", "boot_to_agent_ms"),
        "exec_true_round_trip_ms": stats("exec_true", "round_trip_ms"),
        "crash_detect_ms": stats("crash_restart", "crash_detect_ms"),
        "restart_to_running_ms": stats("crash_restart", "restart_to_running_ms"),
        "restart_to_agent_ms": stats("crash_restart", "restart_to_agent_ms"),
        "sibling_heartbeat_delta_during_crash": stats(
            "crash_restart", "sibling_heartbeat_delta_during_crash"),
    }
    return rows, summary
