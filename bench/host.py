"""`bench/run SUITE --host`: the suites on a real mint host, where node0 is
this machine, instead of the lab. The suites' steps are node0 shell
commands (mintctl, the programs); HostMachine runs them here with `sh -c`,
as LabMachine runs them over the lab's console.

What a host needs, checked before anything runs (preflight): root, a
kernel with mint (/sys/kernel/mint/abi_version), mintctl and the bench
programs on PATH, and the programs in the node and guest initramfs mintctl
boots by default (`lab/mint-lab build` makes both with them: install
<lab>/node-initrd.img as /boot/mint/node-initrd.img and the VMM layer,
bench/README.md "On a real host").

Suites that name the lab's own disks and NICs (rt, passthrough, isolation:
sdb, eth0, 10.0.0.x) refuse --host; the thesis runs its mint
configurations (2, 3, 5, 6, 7) on the kernel the host runs, and scaling
runs as in the lab."""

import os
import shutil
import subprocess

from common import BenchError

HOST_SUITES = {"thesis", "scaling"}
_DEVICES = ("this suite uses the lab's own disks and NICs (sdb, sdc, eth0, 10.0.0.x), which a "
            "real host does not have under those names")
# why each other lab suite refuses --host
LAB_ONLY = {"rt": _DEVICES, "passthrough": _DEVICES, "isolation": _DEVICES,
            "lifecycle": "this suite times the lab machine itself (node0's own boot, read "
                         "from the lab's console)",
            "soak": "this suite gives node1 the lab's disk sdb and compares the lab's node0 "
                    "after every cycle"}
PROGRAMS = ("mintctl", "mint-thesis", "mint-bench")


def preflight(suite, root="/"):
    """Raises BenchError naming the first thing this host lacks."""
    if suite not in HOST_SUITES:
        why = (LAB_ONLY.get(suite) or "this suite runs in the lab only")
        raise BenchError("bench/run %s --host: %s; run it in the lab (without --host). "
                         "--host runs: %s" % (suite, why, ", ".join(sorted(HOST_SUITES))))
    if os.geteuid() != 0:
        raise BenchError("bench/run --host boots nodes: run it as root")
    abi = os.path.join(root, "sys/kernel/mint/abi_version")
    if not os.path.isfile(abi):
        raise BenchError("bench/run --host: %s is missing: this host does not run the mint "
                         "kernel (node0); boot it first (README \"Running mint on real "
                         "hardware\")" % abi)
    missing = [p for p in PROGRAMS if not shutil.which(p)]
    if missing:
        raise BenchError("bench/run --host: %s not on PATH; install them from `lab/mint-lab "
                         "build` (mintctl from its loader build, the programs from the lab's "
                         "output directory) into /usr/local/bin" % ", ".join(missing))


class HostMachine:
    """node0 = this machine: run() as LabMachine.run(), boot() a no-op."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False

    def boot(self):
        return 0.0

    def run(self, command, timeout=120):
        """Runs a shell command here (stdin /dev/null, stderr merged);
        returns (exit status, output without its last newline)."""
        try:
            p = subprocess.run(["sh", "-c", command], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError("command %r ran longer than %d s" % (command[:60], timeout))
        out = p.stdout.decode(errors="replace")
        # as the lab's shell says it: 128 + N for a command killed by signal N
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return status, out[:-1] if out.endswith("\n") else out


def machine(args, **lab):
    """The machine a suite runs on: this host with --host, else a lab
    machine (LabMachine(**lab): the kernel and initramfs node0 boots)."""
    if getattr(args, "host", False):
        return HostMachine()
    from mintlab.machine import LabMachine
    return LabMachine(**lab)
