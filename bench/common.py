"""What the lab suites of bench/ share: their one error, node0's commands,
a guest's start and first answer, several commands started at once from node0, and
scripts left running in a partition (detach, collect, stop): one exec at
a time reaches a node (its channel) or a guest (its agent), so whatever
runs beside a measurement must not hold one."""

import contextlib
import json
import os
import re
import shlex
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lab"))
from mintlab.common import LabError  # noqa: E402


class BenchError(Exception):
    """A suite could not measure: the message names what and where."""


def node0(m, command, timeout=600):
    """Runs a shell command in node0; its output, or BenchError."""
    status, out = m.run(command, timeout)
    if status != 0:
        raise BenchError("node0: %r exited %d: %s" % (command, status, out[-400:]))
    return out


def wait_guest(m, node, guest, timeout=300):
    """Until the guest's agent answers `true` (its boot is done). Few, long
    tries: a request its host gave up on stays queued in the guest."""
    deadline = time.monotonic() + timeout
    while True:
        status, out = m.run("mintctl vm exec %s %s --timeout 120 -- true" % (node, guest), 240)
        if status == 0:
            return
        if time.monotonic() > deadline:
            raise BenchError("guest %s on %s did not answer within %d s: %s"
                             % (guest, node, timeout, out[-300:]))
        time.sleep(2)


# What `mintctl vm start` says of a guest that reset (or powered off)
# during its boot (loader/lib/vm/ending.cpp).
_ENDED_BY_ITSELF = "ended by itself without a poweroff or reboot line"


# Guests start_guest started twice in this lab session (lab_session puts
# them in the suite's meta, so its report says so).
_guest_restarts = []


def ended_by_itself(output):
    """Whether mintctl's words say a guest reset or powered off by itself."""
    return _ENDED_BY_ITSELF in output


def restart_guest(m, node, guest, options, when):
    """A guest that reset by itself `when` (e.g. "during cyclictest"):
    removed, started again (start_guest), and the suite's meta says so."""
    note = "%s on %s reset by itself %s" % (guest, node, when)
    _guest_restarts.append(note)
    print("bench: %s; starting it once more" % note, file=sys.stderr)
    node0(m, "mintctl vm rm %s %s" % (node, guest), 120)
    start_guest(m, node, guest, options)


def start_guest(m, node, guest, options=""):
    """`mintctl vm start NODE GUEST OPTIONS`, then until it answers. A guest
    that resets during its boot (seen once in CI, a nested guest under TCG:
    "ended by itself", the console's last line quoted) is removed and
    started once more, and the suite's meta says so (guest_restarts). Any
    other failure, or a second reset, is a BenchError."""
    command = "mintctl vm start %s %s %s" % (node, guest, options)
    status, out = m.run(command, 300)
    if status != 0 and _ENDED_BY_ITSELF in out:
        note = "%s on %s: %s" % (guest, node, " ".join(out.split())[-300:])
        _guest_restarts.append(note)
        print("bench: %s; starting it once more" % note, file=sys.stderr)
        node0(m, "mintctl vm rm %s %s" % (node, guest), 120)
        status, out = m.run(command, 300)
    if status != 0:
        raise BenchError("node0: %r exited %d: %s" % (command, status, out[-400:]))
    wait_guest(m, node, guest)


def at_once(m, commands, timeout):
    """Starts every node0 command at the same time and waits for all;
    returns [(exit status, output)] in their order (status -1: none)."""
    lines = []
    for i, command in enumerate(commands):
        lines.append("( %s > /tmp/bench.at.%d 2>&1; echo \"exit: $?\" >> /tmp/bench.at.%d ) &"
                     % (command, i, i))
    lines.append("wait")
    for i in range(len(commands)):
        lines.append("echo '@@at %d'; cat /tmp/bench.at.%d" % (i, i))
    out = node0(m, "\n".join(lines), timeout + 120)
    res = [(-1, "")] * len(commands)
    parts = re.split(r"^@@at (\d+)$", out, flags=re.M)
    for idx, text in zip(parts[1::2], parts[2::2]):
        ex = re.findall(r"^exit: (\d+)$", text, re.M)
        res[int(idx)] = (int(ex[-1]) if ex else -1, text)
    return res


def loadavg():
    """The host's 1-minute load average, as /proc/loadavg says it."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def lab_loadavg(m):
    """node0's 1-minute load average."""
    return node0(m, "cat /proc/loadavg").split()[0]


@contextlib.contextmanager
def lab_session(args, meta, **lab):
    """One boot of the machine a suite runs on (host.machine: the lab, or
    this host with --host), yielded booted: meta gets its boot time
    (lab_boot_s) and, after the suite's work, node0's load (lab_load_end);
    the lab's own errors become BenchError; guests start_guest had to start
    twice go in meta (guest_restarts)."""
    from host import machine
    del _guest_restarts[:]
    try:
        with machine(args, **lab) as m:
            meta["lab_boot_s"] = round(m.boot(), 1)
            yield m
            meta["lab_load_end"] = lab_loadavg(m)
    except LabError as e:
        raise BenchError(str(e))
    finally:
        if _guest_restarts:
            meta["guest_restarts"] = "; ".join(_guest_restarts)


_BENCH_LINE = re.compile(r"^mint-bench: test=(\w+) count=(\d+) ns=(\d+) per_s=(\d+)$", re.M)


def bench_line(test, text):
    """mint-bench's result line for `test` in what a partition printed:
    {count, ns, per_s}, or None when there is none (anything else in text
    is ignored)."""
    for m in _BENCH_LINE.finditer(text):
        if m.group(1) == test:
            return {"count": int(m.group(2)), "ns": int(m.group(3)), "per_s": int(m.group(4))}
    return None


def save_json(out, name, obj):
    """Writes obj as out/name (a suite's own table beside results.json)."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name), "w") as f:
        json.dump(obj, f, indent=2)


def detach(m, how, script, tag):
    """Starts `script` in a partition without holding its exec: `how` is
    how node0 runs `sh -c {s}` there. Its output goes to /tmp/<tag>.out in
    the partition, `exit: N` last; collect() waits for it. So a node's
    channel and a guest's agent stay free for other commands meanwhile
    (stop(), a crash, polls)."""
    wrapped = ("rm -f /tmp/%s.out /tmp/%s.done; ( ( %s ) > /tmp/%s.out 2>&1; "
               "echo \"exit: $?\" >> /tmp/%s.out; touch /tmp/%s.done ) "
               "< /dev/null > /dev/null 2>&1 &" % (tag, tag, script, tag, tag, tag))
    node0(m, how.format(s=shlex.quote(wrapped)), 300)


def collect(m, how, tag, timeout, first_look=1.0):
    """Waits until the detached script `tag` ended (polls once a second,
    the first time after first_look seconds); returns (exit status, output)."""
    time.sleep(first_look)
    deadline = time.monotonic() + timeout
    look = how.format(s=shlex.quote("[ -e /tmp/%s.done ] && cat /tmp/%s.out" % (tag, tag)))
    while True:
        status, out = m.run(look, 300)
        if status == 0:
            ex = re.findall(r"^exit: (\d+)$", out, re.M)
            return (int(ex[-1]) if ex else -1), out
        if status != 1:
            raise BenchError("looking for %s's end: %r exited %d: %s"
                             % (tag, look, status, out[-300:]))
        if time.monotonic() > deadline:
            raise BenchError("%s did not end within %d s" % (tag, timeout))
        time.sleep(1)


def loop_until_stopped(command):
    """A script that runs `command` again and again until stop() (exit 1
    at the first failure of the command)."""
    return ("rm -f /tmp/stop; while [ ! -e /tmp/stop ]; do %s > /dev/null || exit 1; done"
            % command)


def stop(m, how, tag, timeout=600):
    """Ends the loop_until_stopped() detached as `tag` in that partition
    and waits for it; returns (exit status, output)."""
    node0(m, how.format(s=shlex.quote("touch /tmp/stop")), 300)
    return collect(m, how, tag, timeout, first_look=0)
