"""The soak (issue 17): node1 goes round boot -> work -> failure -> back,
many times, while node2 runs beside it and a `mintctl watch` serves both; after
every cycle node0 is compared with how it was before the first one.

A cycle, with node1 running and its agent ready:
  work     a 4 MiB random block written to node1's own disk with O_DIRECT, read
           back and compared (md5), then 5 `mintctl exec node1 -- true`;
  failure  rotating: a panic (sysrq c), a hang (LKDTM HARDLOCKUP on every CPU,
           seen after mint.hung_timeout, left at its default: a soak on a
           loaded host once saw node2's heartbeat pause for 2 s, and the
           watcher rightly stopped it), a `poweroff -f`;
  back     after a panic or a hang the watcher restarts node1 (on_crash
           restart); after the poweroff (`stopped`, which on_crash does not
           cover) the soak runs `mintctl restart`. Every --destroy-every'th
           cycle node1 is then also stopped, destroyed and booted afresh.
Then the cycle waits for node1 running with its agent ready and takes the
snapshot: node0's online CPUs, pool_free, every PCI function's driver, each
node's name, CPUs and owned functions, the names under /run/mint, the open
file descriptors of the watcher and of a `mintctl console -f node2` that
follows node2 all along, node2's state (it must stay running) and node0's
new dmesg lines that name a WARN, BUG, Oops, a dying CPU or a leak. A value
that differs from the first snapshot is drift; the report lists each with
the cycle it first appeared in (a new bad dmesg line is drift at once)."""

import statistics
import time

NODE1_CONF = ("name: node1\ncores: 2\nmemory: 512M\ndevices: [{disk: sdb}]\n"
              "on-crash: restart\nrestart-budget: 1000000\n")
NODE1 = "mintctl boot -f /tmp/soak-node1.yaml --wait 120"
NODE2 = "mintctl boot node2 --cores 2 --mem 512M --disk sdc --wait 120"
MODES = ("panic", "hang", "poweroff")
FAIL = {
    "panic": "sh -c 'sleep 0.2; echo c > /proc/sysrq-trigger'",
    # The same wedge as tests/e2e/test_node_lifecycle.py: every CPU spins
    # with interrupts off, CPU 0 last.
    "hang": ("sh -c 'mount -t debugfs none /sys/kernel/debug 2>/dev/null; "
             "d=/sys/kernel/debug/provoke-crash/DIRECT; n=$(nproc); i=1; "
             "while [ $i -lt $n ]; do taskset -c $i sh -c \"echo HARDLOCKUP > $d\" & "
             "i=$((i+1)); sleep 0.5; done; taskset -c 0 sh -c \"echo HARDLOCKUP > $d\"'"),
    "poweroff": "sh -c 'sleep 0.2; poweroff -f'",
}
# What a healthy node0 never logs.
BAD_DMESG = r"WARNING:|BUG:|Oops|general protection|Dying CPU|leak|Call Trace|UBSAN|KASAN"
WORK = ("sh -c 'head -c 4194304 /dev/urandom > /tmp/soak.blk && "
        "dd if=/tmp/soak.blk of=/dev/sda bs=64k oflag=direct conv=fsync 2>/dev/null && "
        "a=$(md5sum < /tmp/soak.blk) && "
        "b=$(dd if=/dev/sda bs=64k count=64 iflag=direct 2>/dev/null | md5sum) && "
        "[ \"$a\" = \"$b\" ] && echo work-ok'")

_NOW = "now() { cut -d' ' -f1 /proc/uptime; }\n"
_NODE_ID = ("nid() { for d in /sys/kernel/mint/nodes/*; do [ \"$(cat $d/name)\" = $1 ] && "
            "echo ${d##*/}; done; }\n")


class SoakError(Exception):
    pass


def _wait_ready(m, name, what, timeout=300):
    """Until node `name` is running with its agent ready; seconds waited."""
    out = m.run(_NOW + _NODE_ID + (
        "t0=$(now); end=$(( $(cut -d. -f1 /proc/uptime) + %d ))\n"
        "while :; do i=$(nid %s); [ -n \"$i\" ] && "
        "[ \"$(cat /sys/kernel/mint/nodes/$i/state)\" = running ] && "
        "[ \"$(cat /sys/kernel/mint/nodes/$i/agent)\" = ready ] && break\n"
        "  [ $(cut -d. -f1 /proc/uptime) -gt $end ] && { mintctl status; exit 7; }\n"
        "  sleep 0.1; done; echo waited: $t0 $(now)\n") % (timeout, name), timeout + 60)
    if out[0] != 0:
        raise SoakError("%s: %s not running with its agent ready within %d s:\n%s"
                        % (what, name, timeout, out[1]))
    t0, t1 = out[1].split("waited:")[-1].split()[:2]
    return float(t1) - float(t0)


def _wait_left_running(m, name, timeout=120):
    """Until node `name` is no longer running; returns its state then."""
    status, out = m.run(_NODE_ID + (
        "i=$(nid %s); end=$(( $(cut -d. -f1 /proc/uptime) + %d ))\n"
        "while [ \"$(cat /sys/kernel/mint/nodes/$i/state)\" = running ]; do\n"
        "  [ $(cut -d. -f1 /proc/uptime) -gt $end ] && exit 7; sleep 0.05; done\n"
        "echo left: $(cat /sys/kernel/mint/nodes/$i/state)\n") % (name, timeout), timeout + 60)
    if status != 0:
        raise SoakError("%s still running %d s after its failure was triggered:\n%s"
                        % (name, timeout, out))
    return out.split("left:")[-1].split()[0]


def snapshot(m, watch_pid, follow_pid):
    """node0's state as a dict of comparable strings (module docstring)."""
    out = m.check(
        "echo '@@cpus_online'; cat /sys/devices/system/cpu/online\n"
        "echo '@@pool_free'; cat /sys/kernel/mint/pool_free\n"
        "echo '@@pci_drivers'; for d in /sys/bus/pci/devices/*; do "
        "drv=-; [ -e $d/driver ] && drv=$(basename $(readlink $d/driver)); "
        "echo ${d##*/} $drv; done\n"
        "echo '@@nodes'; for d in /sys/kernel/mint/nodes/*; do [ -d $d ] || continue; "
        "echo $(cat $d/name) cpus=$(cat $d/cpus) devices=$(cat $d/devices | tr '\\n' ,); done\n"
        "echo '@@node2_state'; for d in /sys/kernel/mint/nodes/*; do "
        "[ \"$(cat $d/name)\" = node2 ] && cat $d/state; done\n"
        "echo '@@run_mint'; find /run/mint | sort\n"
        # The fewest of 5 looks 0.1 s apart: a descriptor a process holds
        # for a moment is not a leak (one look once caught the watcher's).
        "fds() { n=100000; for i in 1 2 3 4 5; do set -- /proc/$1/fd/*; "
        "[ $# -lt $n ] && n=$#; sleep 0.1; done; echo $n; }\n"
        "echo '@@watch_fds'; fds %d\n"
        "echo '@@follow_fds'; fds %d\n" % (watch_pid, follow_pid), 120)
    snap, key = {}, None
    for line in out.splitlines():
        if line.startswith("@@"):
            key = line[2:].strip()
            snap[key] = []
        elif key is not None:
            snap[key].append(line.rstrip())
    return {k: "\n".join(v) for k, v in snap.items()}


def differs(key, was, now):
    """Whether a snapshot value drifted. /run/mint may lose the watcher's
    restart count (a destroy starts it afresh, docs/mintctl.md "watch");
    any other name that comes or goes is drift, and so is any change of
    the other values."""
    if key != "run_mint" or was is None or now is None:
        return was != now
    was, now = set(was.splitlines()), set(now.splitlines())
    gone = {n for n in was - now if not n.startswith("/run/mint/watch/")}
    return bool(now - was or gone)


def new_bad_dmesg(m, since):
    """node0's dmesg lines stamped after `since` (seconds) that match
    BAD_DMESG, and the newest stamp. By stamp, not by line count: the ring
    wraps in a long soak."""
    out = m.check(
        "dmesg > /tmp/soak.dmesg; awk '{print substr($0, 2, index($0, \"]\") - 2) + 0}' "
        "/tmp/soak.dmesg | tail -n 1; "
        "awk -v t=%r '(substr($0, 2, index($0, \"]\") - 2) + 0) > t' /tmp/soak.dmesg "
        "> /tmp/soak.new; grep -E '%s' /tmp/soak.new; [ $? -le 1 ]" % (since, BAD_DMESG))
    lines = out.splitlines()
    return float(lines[0]), [line for line in lines[1:] if line.strip()]


def _start_background(m, command, log):
    return int(m.check("%s > %s 2>&1 & echo $!" % (command, log)).split()[-1])


def _fail_node1(m, mode):
    # exec of a command that takes the node down returns an error (the node
    # left); its status says nothing, the node's state does.
    m.run("mintctl exec node1 --timeout 60 -- %s > /tmp/soak.fail.out 2>&1 &" % FAIL[mode], 60)
    return _wait_left_running(m, "node1")


def _cycle(m, cycle, mode, destroy_every):
    """One cycle (module docstring) from node1 ready to node1 ready; its row."""
    row = {"cycle": cycle, "failure": mode}
    t0 = time.monotonic()
    work = m.check("mintctl exec node1 --timeout 120 -- %s" % WORK, 240)
    if "work-ok" not in work:
        raise SoakError("cycle %d: node1's disk did not read back what was written:\n%s"
                        % (cycle, work))
    m.check("for i in 1 2 3 4 5; do mintctl exec node1 -- true || exit 1; done", 120)
    row["work_s"] = round(time.monotonic() - t0, 2)
    t1 = time.monotonic()
    row["left_as"] = _fail_node1(m, mode)
    row["fail_detect_s"] = round(time.monotonic() - t1, 2)
    t2 = time.monotonic()
    if row["left_as"] == "stopped":
        m.check("mintctl restart node1 --wait 0", 300)
        row["back_by"] = "mintctl restart"
    else:
        row["back_by"] = "watch (on_crash restart)"
    _wait_ready(m, "node1", "cycle %d" % cycle)
    row["back_s"] = round(time.monotonic() - t2, 2)
    if cycle and cycle % destroy_every == 0:
        t3 = time.monotonic()
        m.check("mintctl stop node1 && mintctl destroy node1", 240)
        m.check(NODE1, 300)
        _wait_ready(m, "node1", "cycle %d, booted afresh" % cycle)
        row["back_by"] += ", destroy + boot"
        row["destroy_boot_s"] = round(time.monotonic() - t3, 2)
    row["cycle_s"] = round(time.monotonic() - t0, 2)
    return row


def run(m, cycles, destroy_every=10):
    """Runs the soak in the booted lab `m`; returns (rows, summary, drift),
    drift a list of {"what", "cycle", "was", "now"}."""
    m.check("cat > /tmp/soak-node1.yaml <<'EOF'\n%sEOF" % NODE1_CONF)
    m.check(NODE2, 300)
    m.check(NODE1, 300)
    watch = follow = ""
    try:
        watch = _start_background(m, "mintctl watch", "/tmp/soak.watch.log")
        follow = _start_background(m, "mintctl console -f node2", "/tmp/soak.follow.log")
        _wait_ready(m, "node1", "before the first cycle")
        # Cycle 0, the warm-up, is not counted: it makes what mint creates
        # once and keeps (the node's channel lock and relay log at the first
        # exec, the watcher's restart count at its first restart), so the
        # baseline is a node0 that has been round once.
        warm = _cycle(m, 0, "panic", destroy_every)
        seen, bad = new_bad_dmesg(m, 0.0)
        base = snapshot(m, watch, follow)
        drift = [{"what": "dmesg", "cycle": 0, "was": "", "now": line} for line in bad]
        drifted = set()
        rows = []
        for cycle in range(1, cycles + 1):
            try:
                row = _cycle(m, cycle, MODES[(cycle - 1) % len(MODES)], destroy_every)
            except SoakError as e:
                # A cycle that did not come back ends the soak; what node0
                # and the watcher said is the finding.
                _, said = m.run("mintctl status; echo '--- watch'; tail -n 20 "
                                "/tmp/soak.watch.log; echo '--- node1 console'; "
                                "mintctl console node1 | tail -n 30", 120)
                drift.append({"what": "cycle failed", "cycle": cycle, "was": "",
                              "now": "%s\n%s" % (e, said)})
                break
            seen, bad = new_bad_dmesg(m, seen)
            drift += [{"what": "dmesg", "cycle": cycle, "was": "", "now": line} for line in bad]
            now = snapshot(m, watch, follow)
            for key in sorted(set(base) | set(now)):
                if key not in drifted and differs(key, base.get(key), now.get(key)):
                    drifted.add(key)
                    drift.append({"what": key, "cycle": cycle, "was": base.get(key),
                                  "now": now.get(key)})
            row["drift_so_far"] = len(drift)
            rows.append(row)
    finally:
        m.run("kill %s %s" % (watch, follow))
    summary = {}
    for key in ("work_s", "fail_detect_s", "back_s", "destroy_boot_s", "cycle_s"):
        values = [r[key] for r in rows if key in r]
        summary[key] = {"n": len(values), "median": round(statistics.median(values), 2),
                        "min": min(values), "max": max(values)} if values else {}
    return [warm] + rows, summary, drift


def report(drift):
    """report.md's drift section."""
    if not drift:
        return "\n## Drift\n\nnone: every snapshot equals the first one.\n"
    text = "\n## Drift\n\n| what | first in cycle | was | now |\n|---|---|---|---|\n"
    for d in drift:
        text += "| %s | %d | `%s` | `%s` |\n" % (d["what"], d["cycle"],
                                                  str(d["was"]).replace("\n", "; "),
                                                  str(d["now"]).replace("\n", "; "))
    return text
