"""lab/mint-lab's command line: build, up, run, demo. Reports each error
once (a LabError message) and exits 2; `run` exits with the command's own
status."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

from . import bench_programs, demo, disks, guest, initramfs, kernel, loader, machine
from .common import LabError, CacheLock, cache_dir, log, need_space, need_tool, Stopwatch


def do_build(args):
    sw = Stopwatch()
    need_tool("qemu-system-x86_64", "qemu-system-x86")
    need_space(cache_dir(), 1, "the lab")
    with CacheLock():
        k = kernel.build(jobs=args.jobs)
        if args.no_loader:
            tools = {"mintctl": None, "mint-agent": None}
        else:
            tools = loader.build(args.loader_build)
        progs = bench_programs.build()
        g = guest.build(progs, jobs=args.jobs)
        i = initramfs.build(k["bzImage"], tools["mintctl"], tools["mint-agent"],
                            vmm_layer=g["layer"], programs=progs)
        b = bench_programs.build_layer(i["node0"])
        d = disks.build()
    print("kernel     %s" % k["bzImage"])
    print("vmlinux    %s" % k["vmlinux"])
    print("config     %s" % k["config"])
    print("node0 initramfs  %s" % i["node0"])
    print("node initramfs   %s" % i["node"])
    print("guest kernel     %s" % g["kernel"])
    print("guest initramfs  %s" % g["initrd"])
    print("vmm layer        %s" % g["layer"])
    print("bench layer      %s (node0 with it: %s)" % (b["layer"], b["node0"]))
    for name, path in sorted(d.items()):
        print("disk %s   %s" % (name, path))
    print("mintctl    %s" % (tools["mintctl"] or "(not built yet: loader/cli/ missing)"))
    log("build done in %s" % sw)
    return 0


def maybe_build(args):
    if not args.no_build:
        args.jobs = 2
        args.no_loader = False
        do_build(args)


def do_up(args):
    maybe_build(args)
    kimg, initrd, dimgs = machine.default_images()
    # Kept after exit (the node UART logs are what you debug a node with),
    # replaced by the next `up`.
    workdir = os.path.join(cache_dir(), "runs", "up")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    argv = machine.qemu_argv(workdir, kimg, initrd, dimgs, args.append or "",
                             machine=args.machine)
    log("node0 console follows; Ctrl-A x quits QEMU, Ctrl-A c the QEMU monitor; "
        "node1/node2 debug UARTs go to %s/node{1,2}-serial.log" % workdir)
    proc = subprocess.Popen(argv, preexec_fn=_pdeathsig_same_session)
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if sys.stdin.isatty():
            subprocess.run(["stty", "sane"])


def _pdeathsig_same_session():
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
    except OSError:
        pass


def _deadline_guard(seconds):
    def expire(_sig, _frm):
        raise LabError("gave up after %d s (--timeout); QEMU was killed" % seconds)
    signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)


def do_run(args):
    cmd = " ".join(args.command)
    if not cmd:
        raise LabError("run needs a command: lab/mint-lab run -- CMD")
    maybe_build(args)
    _deadline_guard(args.timeout)
    with machine.LabMachine(cmdline_extra=args.append or "", machine=args.machine,
                            echo=sys.stderr if args.verbose else None) as m:
        secs = m.boot()
        log("node0 booted in %.1f s" % secs)
        status, out = m.run(cmd, timeout=args.timeout)
        sys.stdout.write(out + ("\n" if out and not out.endswith("\n") else ""))
        sys.stdout.flush()
    return status


def do_demo(args):
    maybe_build(args)
    _deadline_guard(args.timeout)
    print("mint lab demo: booting node0 (QEMU q35, TCG, 6 vCPUs, 6 GiB, mint_pool=4G; "
          "machine %s: %s)" % (args.machine, machine.profile(args.machine).what))
    with machine.LabMachine(cmdline_extra=args.append or "", machine=args.machine,
                            echo=sys.stderr if args.verbose else None) as m:
        secs = m.boot()
        print("node0 is up after %.1f s" % secs)
        failed = demo.run(m, sys.stdout)
    print("\nmint lab demo: %s" % ("done" if not failed else "%d required step(s) FAILED" % failed))
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="mint-lab", description="mint's lab machine")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build kernel, tools, initramfs and disk images")
    b.add_argument("-j", "--jobs", type=int, default=2)
    b.add_argument("--loader-build", help="CMake build dir for mintctl "
                   "(default ${MINT_CACHE}/loader-build)")
    b.add_argument("--no-loader", action="store_true", help="do not build mintctl")
    for name, helptext in (("up", "boot the lab, interactive node0 console"),
                           ("run", "boot, run CMD in node0, print its output, exit with "
                                   "its status"),
                           ("demo", "scripted tour of mint in the lab")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("--no-build", action="store_true", help="use the images as built")
        s.add_argument("--loader-build", help=argparse.SUPPRESS)
        s.add_argument("--append", help="extra node0 kernel command line")
        s.add_argument("--machine", choices=list(machine.PROFILES), default="default",
                       help="the machine profile: " + "; ".join(
                           "%s: %s" % (p.name, p.what) for p in machine.PROFILES.values()))
        if name != "up":
            s.add_argument("--timeout", type=int, default=900,
                           help="seconds for boot + command (default 900)")
            s.add_argument("-v", "--verbose", action="store_true",
                           help="copy node0's console to stderr")
        if name == "run":
            s.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.cmd == "run" and args.command and args.command[0] == "--":
        args.command = args.command[1:]
    try:
        return {"build": do_build, "up": do_up, "run": do_run, "demo": do_demo}[args.cmd](args)
    except LabError as e:
        sys.stderr.write("mint-lab: error: %s\n" % e)
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("mint-lab: interrupted\n")
        return 130
