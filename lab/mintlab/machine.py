"""The lab machine: the QEMU q35 command line that is mint's embedded
default, and LabMachine, which boots it, runs commands in node0 over the
serial console and always leaves no QEMU process behind.

Layout of the machine (docs/lab.md has the why):
  6 vCPUs (TCG, -cpu max: AMD SVM+NPT, xAPIC), 6 GiB, node0 cmdline with
  console=ttyS0 mint_pool=4G scsi_mod.scan=manual
  00:02.0 virtio-scsi  sda (target 0, node0's disk) + sdd (target 1, shared)
  each node function behind its own pcie-root-port (00:1c.0-00:1c.3), so it
  has FLR and a bus reset (mint resets it when its node is destroyed):
  01:00.0 virtio-scsi  sdb          02:00.0 virtio-scsi  sdc
  03:00.0 virtio-net   node1's NIC  04:00.0 virtio-net   node2's NIC
          (both on QEMU hub 0: one virtual switch)
  00:07.0 edu          00:08.0 + 00:08.1 edu (one IOMMU group): DMA tests
  an intel-iommu (DMA remapping, no interrupt remapping)
  ttyS0 = node0 console (stdio), ttyS1/ttyS2 -> node1/node2-serial.log
  QMP on <workdir>/qmp.sock

Commands run through ash on ttyS0: the command is sent base64-encoded,
then `echo "@@B""<token>"`, the command, and `echo "@@E""<token>:$?"`. The
echo of the typed line never contains the joined markers, so the output
between them and the exit code are unambiguous."""

import atexit
import base64
import ctypes
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import disks, initramfs, kernel
from .common import LabError, need_tool

# intel_iommu=on iommu=pt: node0's IOMMU is on, its own devices in identity
# domains; each function a node owns gets a domain of its own (docs/lab.md).
NODE0_CMDLINE = ("console=ttyS0 mint_pool=4G scsi_mod.scan=manual panic=-1 "
                 "intel_iommu=on iommu=pt")
SMP = 6
MEM = "6G"
READY = "mint-lab: node0 up"
DISK_FAIL = "mint-lab: DISK SETUP FAILED"
NODES = (1, 2)
# slots of the edu devices on the root bus (qemu_argv)
EDU = ("07.0", "08.0", "08.1")
# The functions meant for nodes, each behind its own pcie-root-port on
# pcie.0 (docs/lab.md "Why root ports"): (the port's address, the BDF the
# firmware gives the function behind it, the device). SeaBIOS numbers the
# ports' secondary buses in slot order, 1 to 4; node0's /init checks that
# each disk is on the function disks.DISKS names, so a different numbering
# fails the boot. disable-legacy=on: a modern-only virtio device (a PCIe
# endpoint); iommu_platform=on: VIRTIO_F_ACCESS_PLATFORM, so its DMA goes
# through an IOMMU once the machine has one (plain physical DMA without).
NODE_DEVICE_OPTS = "disable-legacy=on,iommu_platform=on"
NODE_FUNCTIONS = (
    ("1c.0", "0000:01:00.0", "virtio-scsi-pci,id=scsi1"),
    ("1c.1", "0000:02:00.0", "virtio-scsi-pci,id=scsi2"),
    ("1c.2", "0000:03:00.0", "virtio-net-pci,netdev=net1,mac=52:54:00:6d:00:01"),
    ("1c.3", "0000:04:00.0", "virtio-net-pci,netdev=net2,mac=52:54:00:6d:00:02"),
)
NODE0_SCSI = ("0000:00:02.0", "02.0", "scsi0")  # node0's own controller, on pcie.0

# QEMU 10 from bookworm-backports, unpacked by tools/install-qemu10, and
# where its data, firmware and option ROMs are (its compiled-in paths are
# the system QEMU 7.2's).
QEMU10 = "/opt/mint/qemu10"


class Profile:
    """What node0's machine looks like (lab/mint-lab --machine NAME,
    LabTestCase.machine; docs/lab.md, "Machine profiles")."""

    def __init__(self, name, what, iommu, qemu10=False):
        self.name = name
        self.what = what
        self.iommu = iommu      # the -device intel-iommu options
        self.qemu10 = qemu10    # QEMU 10: x2APIC in TCG, single-threaded TCG

    def qemu(self):
        if not self.qemu10:
            return [need_tool("qemu-system-x86_64", "qemu-system-x86")]
        binary = os.path.join(QEMU10, "usr/bin/qemu-system-x86_64")
        if not os.access(binary, os.X_OK):
            raise LabError("%s missing: the %s profile runs QEMU 10 from bookworm-backports; "
                           "run tools/install-deps (or tools/install-qemu10) as root"
                           % (binary, self.name))
        argv = [binary]
        for d in ("usr/share/qemu", "usr/share/seabios", "usr/lib/ipxe/qemu"):
            argv += ["-L", os.path.join(QEMU10, d)]
        return argv

    def accel(self):
        # QEMU 10's multi-threaded TCG aborts while node0 probes PCI
        # (iotlb_to_section assertion): one thread for all vCPUs.
        return "tcg,thread=single" if self.qemu10 else "tcg"


PROFILES = {p.name: p for p in (
    Profile("default", "QEMU 7.2, IOMMU without interrupt remapping, xAPIC",
            "intel-iommu,intremap=off"),
    Profile("intremap", "QEMU 7.2, IOMMU with interrupt remapping, xAPIC (TCG has no x2APIC)",
            "intel-iommu,intremap=on"),
    Profile("server", "QEMU 10, IOMMU with interrupt remapping and x2APIC (eim), "
            "single-threaded TCG", "intel-iommu,intremap=on,eim=on", qemu10=True),
)}


def profile(name):
    if name not in PROFILES:
        raise LabError("no machine profile %r; there are %s" % (name, ", ".join(PROFILES)))
    return PROFILES[name]


CPU_RESET_LOG = "qemu-cpu-reset.log"

_live = set()


def _kill_all_live():
    for m in list(_live):
        m.kill()


atexit.register(_kill_all_live)


def _pdeathsig():
    # QEMU dies with the process that started it, even on SIGKILL.
    os.setsid()
    # A QEMU that crashes leaves a core in the workdir (its cwd, when the
    # host's core_pattern is a plain name); Machine.death() reads it.
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# Where a crash of QEMU itself is recorded (one line each) when the e2e
# runner (tests/e2e/run_test.py) asks: not a finding about mint (what a
# guest does cannot make QEMU segfault), so that runner runs the test once
# more in a fresh lab (docs/lab.md "QEMU's own crashes").
QEMU_CRASH_LOG_ENV = "MINT_LAB_QEMU_CRASH_LOG"


def _record_qemu_crash(what):
    path = os.environ.get(QEMU_CRASH_LOG_ENV)
    if path:
        with open(path, "a") as f:
            f.write(what.splitlines()[0] + "\n")


def host_tsc_khz(cpuinfo="/proc/cpuinfo"):
    """The host's TSC rate in kHz when it is constant (TCG's guest TSC is the
    host's), else None."""
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return None
    flags = re.search(r"^flags\s*:(.*)$", text, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([0-9.]+)$", text, re.M)
    if not flags or not mhz or "constant_tsc" not in flags.group(1).split():
        return None
    return int(round(float(mhz.group(1)) * 1000))


def node0_cmdline(cmdline_extra=""):
    """node0's command line. Under TCG node0 has no constant_tsc, so KVM in
    node0 keeps the TSC rate of the early calibration (PIT, noisy under TCG
    on a busy host) for every VM; when the refined rate differs by more than
    KVM's 250 ppm tolerance ("kvm: user requested TSC rate below hardware
    speed") a guest on node0's KVM stops answering. The host's own TSC rate
    as the early calibration avoids that (docs/lab.md)."""
    cmdline = NODE0_CMDLINE
    khz = host_tsc_khz()
    if khz:
        cmdline += " tsc_early_khz=%d" % khz
    return cmdline + (" " + cmdline_extra if cmdline_extra else "")


def qemu_argv(workdir, kernel_image, initrd, disk_images, cmdline_extra="",
              snapshot=True, machine="default"):
    """The lab machine's QEMU command line, as the named profile has it."""
    prof = profile(machine)
    cmdline = node0_cmdline(cmdline_extra)
    # dump-guest-core=off: a core of QEMU itself, without the 6 GiB of guest RAM.
    argv = prof.qemu() + [
        "-machine", "q35,dump-guest-core=off", "-accel", prof.accel(), "-cpu", "max",
        "-smp", str(SMP), "-m", MEM, "-nographic", "-nodefaults", "-no-reboot",
        "-kernel", kernel_image, "-initrd", initrd, "-append", cmdline,
        "-serial", "mon:stdio"]
    for n in NODES:
        argv += ["-serial", "file:%s" % os.path.join(workdir, "node%d-serial.log" % n)]
    argv += ["-qmp", "unix:%s,server=on,wait=off" % os.path.join(workdir, "qmp.sock")]
    # A vCPU's reset (a triple fault in a node's CPU ends the whole machine
    # under -no-reboot) is logged with its registers: the one trace such a
    # death leaves (Machine.death()).
    argv += ["-d", "cpu_reset", "-D", os.path.join(workdir, CPU_RESET_LOG)]
    # The IOMMU comes before the devices it translates.
    argv += ["-device", prof.iommu]
    bdf0, addr0, id0 = NODE0_SCSI
    argv += ["-device", "virtio-scsi-pci,id=%s,addr=%s" % (id0, addr0)]
    ctrl = {bdf0: id0}
    for n in NODES:
        argv += ["-netdev", "hubport,id=net%d,hubid=0" % n]
    for i, (addr, bdf, device) in enumerate(NODE_FUNCTIONS, 1):
        # chassis/slot: unique per port; multifunction on the first, so the
        # four ports share slot 1c like a PCH's root ports.
        argv += ["-device", "pcie-root-port,id=rp%d,chassis=%d,slot=%d,bus=pcie.0,addr=%s%s"
                 % (i, i, i, addr, ",multifunction=on" if addr.endswith(".0") else ""),
                 "-device", "%s,bus=rp%d,%s" % (device, i, NODE_DEVICE_OPTS)]
        if device.startswith("virtio-scsi-pci,id="):
            ctrl[bdf] = device.split("id=", 1)[1].split(",")[0]
    for name, (pci, target, _label) in disks.DISKS.items():
        argv += ["-drive", "if=none,id=%s,file=%s,format=raw%s"
                 % (name, disk_images[name], ",snapshot=on" if snapshot else ""),
                 "-device", "scsi-hd,bus=%s.0,channel=0,scsi-id=%d,lun=0,drive=%s,"
                 "serial=MINT-%s" % (ctrl[pci], target, name, name.upper())]
    # QEMU's edu devices, whose DMA engine the DMA test hook drives
    # (lab/programs/mint-dma.c): 07.0 alone in its IOMMU group, 08.0 and
    # 08.1 one multi-function device, so one group.
    for addr in EDU:
        argv += ["-device", "edu,dma_mask=0xffffffffffffffff,addr=%s%s"
                 % (addr, ",multifunction=on" if addr == "08.0" else "")]
    return argv


def node_smoke_argv(workdir, smp=2, mem="512M"):
    """A plain QEMU booting the mint kernel with the node initramfs directly
    (console=ttyS0): the smoke test of what nodes boot."""
    qemu = need_tool("qemu-system-x86_64", "qemu-system-x86")
    k = kernel.outputs()["bzImage"]
    i = initramfs.outputs()["node"]
    for p in (k, i):
        if not os.path.isfile(p):
            raise LabError("%s missing; run lab/mint-lab build first" % p)
    return [qemu, "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", str(smp),
            "-m", mem, "-nographic", "-nodefaults", "-no-reboot", "-kernel", k, "-initrd", i,
            "-append", "console=ttyS0 panic=-1 mint_node_name=smoke", "-serial", "mon:stdio"]


def default_images(kernel_image=None, initrd=None):
    """node0's kernel (the mint kernel unless kernel_image names another:
    the vanilla kernel of bench/thesis.py), its initramfs (node0's unless
    initrd names another: bench/rt.py's with the bench layer) and the disks."""
    k = kernel_image or kernel.outputs()["bzImage"]
    i = initrd or initramfs.outputs()["node0"]
    d = disks.outputs()
    missing = [p for p in [k, i] + list(d.values()) if not os.path.isfile(p)]
    if missing:
        raise LabError("lab images missing (%s); run lab/mint-lab build first"
                       % ", ".join(missing))
    return k, i, d


class CommandTimeout(LabError):
    pass


class LabMachine:
    """One boot of the lab machine. Use as a context manager:

        with LabMachine() as m:
            m.boot()
            status, out = m.run("nproc")

    QEMU runs in its own process group with PDEATHSIG; kill() on every exit
    path (context exit, atexit, errors) ends it. The workdir (console log,
    node serial logs, QMP socket) is removed on a clean close and kept, with
    its path printed, when something failed or keep=True."""

    def __init__(self, cmdline_extra="", workdir=None, keep=False, echo=None,
                 boot_timeout=180, argv=None, ready=None, kernel_image=None, initrd=None,
                 machine="default"):
        self.cmdline_extra = cmdline_extra
        self.machine = profile(machine).name
        self.kernel_image = kernel_image  # node0's kernel; None = the mint kernel
        self.initrd = initrd  # node0's initramfs; None = the lab's
        self.argv = argv      # another machine (e.g. node_smoke_argv); None = the lab
        self.ready = ready    # regex marking "booted" for such a machine
        self.keep = keep or bool(os.environ.get("MINT_LAB_KEEP"))
        self.echo = echo
        self.boot_timeout = boot_timeout
        self.workdir = os.path.abspath(workdir or tempfile.mkdtemp(prefix="mint-lab-"))
        os.makedirs(self.workdir, exist_ok=True)
        self.proc = None
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.eof = False
        self.failed = False
        self.boot_seconds = None
        self.node0_uptime_s = None  # node0's /proc/uptime at its first shell prompt
        self._reader = None
        self._console_log = None

    # -- lifecycle -------------------------------------------------------
    def start(self):
        if self.argv is not None:
            argv = self.argv(self.workdir) if callable(self.argv) else list(self.argv)
        else:
            kimg, initrd, dimgs = default_images(self.kernel_image, self.initrd)
            argv = qemu_argv(self.workdir, kimg, initrd, dimgs, self.cmdline_extra,
                             machine=self.machine)
        with open(os.path.join(self.workdir, "qemu-argv"), "w") as f:
            f.write(" ".join(argv) + "\n")
        self.argv_used = argv
        self._console_log = open(os.path.join(self.workdir, "node0-console.log"), "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, preexec_fn=_pdeathsig,
                                     cwd=self.workdir)
        _live.add(self)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        return self

    def _read_loop(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.eof = True
                    self.cond.notify_all()
                return
            self._console_log.write(data)
            self._console_log.flush()
            if self.echo is not None:
                self.echo.write(data.decode(errors="replace"))
                self.echo.flush()
            with self.cond:
                self.buf += data
                self.cond.notify_all()

    def boot(self):
        """Starts QEMU and waits for node0's shell; returns boot seconds."""
        if self.proc is None:
            self.start()
        try:
            if self.ready is not None:
                self.wait_for(self.ready, self.boot_timeout, what="the machine to boot")
                self.boot_seconds = time.monotonic() - self.t0
                return self.boot_seconds
            text = self.wait_for(re.escape(READY) + r"[^\n]*\n|" + re.escape(DISK_FAIL)
                                 + r"[^\n]*\n", self.boot_timeout, what="node0 to boot")
            if DISK_FAIL in text:
                raise LabError("node0 booted but its disk setup failed: %s"
                               % text.strip().splitlines()[-1])
            self.boot_seconds = time.monotonic() - self.t0
            up = re.search(re.escape(READY) + r"[^\n]*, uptime ([\d.]+) s\n", text)
            self.node0_uptime_s = float(up.group(1)) if up else None
            # Kernel messages would interleave with command output.
            self.check("dmesg -n 1", timeout=60)
        except BaseException:
            self.failed = True
            raise
        return self.boot_seconds

    def kill(self):
        p = self.proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        _live.discard(self)

    def poweroff(self, timeout=30):
        """Asks node0 to power off (ACPI ends QEMU), kills QEMU if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.send("poweroff -f\n")
            self.proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, OSError):
            pass
        self.kill()

    def close(self):
        try:
            # After a failure node0's shell may be stuck: do not wait on it.
            if not self.failed:
                self.poweroff(timeout=15)
        finally:
            self.kill()
            if self._reader is not None:
                self._reader.join(timeout=5)
            if self._console_log:
                self._console_log.close()
            if self.proc is not None:
                for pipe in (self.proc.stdin, self.proc.stdout):
                    try:
                        pipe.close()
                    except OSError:
                        pass
            if self.failed or self.keep:
                sys.stderr.write("mint-lab: kept the lab's logs in %s\n" % self.workdir)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.close()
        return False

    # -- console -------------------------------------------------------------
    def console(self):
        """Everything node0's console printed so far ('\\r' removed)."""
        with self.cond:
            return self.buf.decode(errors="replace").replace("\r", "")

    def serial_log(self, node):
        """What node<N> wrote to its debug UART (ttyS<N>) so far."""
        try:
            with open(os.path.join(self.workdir, "node%d-serial.log" % node), "rb") as f:
                return f.read().decode(errors="replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def send(self, text):
        if "\x01" in text:
            raise ValueError("Ctrl-A is QEMU's monitor escape; it cannot be sent")
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.failed = True
            raise LabError("%s before %r could be sent; console tail:\n%s"
                           % (self.death(), text[:200], self._tail())) from None

    def death(self):
        """How QEMU ended: its status; after a triple fault, the faulting
        vCPU's registers from the CPU reset log; after a crash of QEMU itself,
        the signal and the backtrace of its core."""
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        status = self.proc.poll()
        if status is not None and status < 0:
            where, trace = self._core_backtrace()
            what = "QEMU itself crashed (%s%s)" % (signal.Signals(-status).name, where)
            _record_qemu_crash(what)
            return what + trace
        what = "QEMU exited (status %s)" % status
        path = os.path.join(self.workdir, CPU_RESET_LOG)
        try:
            with open(path, errors="replace") as f:
                log = f.read()
        except FileNotFoundError:
            return what
        # vCPUs also log a reset at power-on and at every INIT (a node's
        # start); only a triple fault ends the machine.
        start = log.rfind("Triple fault")
        if start < 0:
            return "%s; no triple fault in %s" % (what, path)
        return "%s after a triple fault (%s):\n%s" % (what, path, log[start:start + 4000])

    def _core_backtrace(self):
        """(' in FUNCTION', '; backtrace of CORE: ...') from QEMU's core (the
        whole backtrace is written beside it), or ('', where no core was)."""
        cores = sorted(f for f in os.listdir(self.workdir) if re.fullmatch(r"core(\.\d+)?", f))
        if not cores:
            with open("/proc/sys/kernel/core_pattern") as f:
                pattern = f.read().strip()
            return "", "; no core in %s (kernel.core_pattern is %r)" % (self.workdir, pattern)
        core = os.path.join(self.workdir, cores[-1])
        gdb = shutil.which("gdb")
        if gdb is None:
            return "", "; core in %s (install gdb for its backtrace)" % core
        trace = subprocess.run([gdb, "-batch", "-nx", "-ex", "bt 30", "-ex", "info threads",
                                "-ex", "thread apply all bt 12", self.argv_used[0], core],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=120).stdout
        with open(core + ".backtrace", "w") as f:
            f.write(trace)
        # The core holds TCG's code buffer (about 1 GiB): the backtrace is
        # what a stripped QEMU's core tells; MINT_LAB_KEEP=1 keeps it too.
        if not os.environ.get("MINT_LAB_KEEP"):
            os.remove(core)
        top = re.search(r"^#0\s+(?:0x[0-9a-f]+ in )?([\w.@]+)", trace, re.M)
        frames = [line for line in trace.splitlines() if re.match(r"#\d+ ", line)]
        return (" in %s" % top.group(1).split("@")[0] if top else "",
                "; backtrace of %s (all threads in %s.backtrace):\n%s"
                % (core, core, "\n".join(frames[:30])))

    def wait_for(self, pattern, timeout, start=0, what=None):
        """Waits until regex `pattern` matches the console from byte `start`;
        returns the console text up to the end of the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return self.buf[:m.end()].decode(errors="replace").replace("\r", "")
                if self.eof:
                    self.failed = True
                    raise LabError("%s while waiting for %s; console tail:\n%s"
                                   % (self.death(), what or pattern, self._tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    self.failed = True
                    raise CommandTimeout("timed out after %d s waiting for %s; console tail:"
                                         "\n%s" % (timeout, what or pattern, self._tail()))
                self.cond.wait(min(left, 1.0))

    def _tail(self, n=3000):
        return self.buf[-n:].decode(errors="replace").replace("\r", "")

    def run(self, command, timeout=120):
        """Runs a shell command in node0 (stdin /dev/null, stderr merged);
        returns (exit status, output)."""
        tok = secrets.token_hex(6)
        script = base64.b64encode(command.encode()).decode()
        f = "/tmp/.lab-%s" % tok
        lines = ["rm -f %s.b64" % f]
        for i in range(0, len(script), 400):
            lines.append("printf %%s '%s' >> %s.b64" % (script[i:i + 400], f))
        lines.append('base64 -d %s.b64 > %s.sh; echo "@@B""%s"; sh %s.sh </dev/null 2>&1; '
                     's=$?; rm -f %s.sh %s.b64; echo; echo "@@E""%s:$s"'
                     % (f, f, tok, f, f, f, tok))
        with self.cond:
            start = len(self.buf)
        self.send("\n".join(lines) + "\n")
        what = "command %r" % (command if len(command) < 60 else command[:57] + "...")
        text = self.wait_for(r"@@E%s:(\d+)\r?\n" % tok, timeout, start=start, what=what)
        begin = text.index("@@B%s\n" % tok) + len("@@B%s\n" % tok)
        end = text.rindex("\n@@E%s:" % tok)
        status = int(re.search(r"@@E%s:(\d+)" % tok, text[end:]).group(1))
        out = text[begin:end]
        return status, out[:-1] if out.endswith("\n") else out

    def check(self, command, timeout=120):
        """run() that raises LabError unless the command exits 0."""
        status, out = self.run(command, timeout)
        if status != 0:
            raise LabError("node0: %r exited %d:\n%s" % (command, status, out))
        return out

    # -- QMP -----------------------------------------------------------------
    def qmp(self, command, **arguments):
        """One QMP command on the lab's QMP socket; returns its 'return'."""
        path = os.path.join(self.workdir, "qmp.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            f = s.makefile("rwb")

            def reply():
                while True:
                    msg = json.loads(f.readline())
                    if "return" in msg or "error" in msg or "QMP" in msg:
                        return msg

            reply()
            f.write(json.dumps({"execute": "qmp_capabilities"}).encode() + b"\n")
            f.flush()
            reply()
            f.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
            f.flush()
            msg = reply()
            if "error" in msg:
                raise LabError("QMP %s failed: %s" % (command, msg["error"]))
            return msg["return"]
