"""Builds what KVM guests in mint need (kvm-per-node/README.md):

  guest kernel   UNPATCHED Linux from the same linux-source tarball as the
                 mint kernel (kernel/pristine, never written: make O=), no
                 kernel-patches/series, `make tinyconfig` + kvm-per-node/guest.config
                 -> ${MINT_CACHE}/guest-kernel/bzImage (+ config, key)
  guest initrd   busybox-static + kvm-per-node/guest-init as /init + the
                 benchmark programs (lab/mintlab/bench_programs.py) in /usr/bin
                 -> <lab dir>/guest-initrd.img (gzip'ed newc cpio)
  VMM layer      an UNCOMPRESSED newc cpio, <lab dir>/vmm-initrd.img, to append
                 to a node's initramfs (the kernel unpacks concatenated
                 archives): /usr/bin/qemu-system-x86_64 with its shared
                 libraries and the dynamic loader, the firmware QEMU loads for
                 microvm and for a disk image booted by SeaBIOS (q35/pc), and
                 the default guest at /boot/mint/guest/{bzImage,initrd.img},
                 and the lab's hand tools mint-uds (`nc -U`) and
                 mint-guest-exec (the agent protocol in sh)

Each output has a key (a hash of what it is made of); an unchanged key is a
no-op, so a warm `mint-lab build` spends milliseconds here. Host files
(QEMU, its libraries, firmware, busybox) enter the key by path, size and
mtime; the repository's files and the guest kernel by content."""

import os
import shutil
import subprocess

from . import kernel
from .common import (REPO, LabError, build_key, cache_dir, lab_out_dir, log, run, need_tool,
                     up_to_date, write_atomic, Stopwatch)
from .initramfs import Stage

KVM = os.path.join(REPO, "kvm-per-node")
FRAGMENT = os.path.join(KVM, "guest.config")
GUEST_INIT = os.path.join(KVM, "guest-init")
UDS_SRC = os.path.join(KVM, "mint-uds.c")
GUEST_EXEC = os.path.join(KVM, "mint-guest-exec")
# Bump when a recipe below changes in a way that must rebuild.
KERNEL_RECIPE = "mint-guest-kernel-recipe-1"
INITRD_RECIPE = "mint-guest-initrd-recipe-1"
LAYER_RECIPE = "mint-vmm-layer-recipe-2"

QEMU = "/usr/bin/qemu-system-x86_64"
# Where QEMU looks (qemu-system-x86_64 -L help): ../share/qemu,
# ../share/seabios, ../lib/ipxe/qemu relative to the binary. Symlinks are
# resolved (copied as the file they point to). What QEMU 7.2 opens was
# read with strace: microvm loads qboot.rom (Debian also has the name
# bios-microvm.bin, a link to it: the layer has the same link) and
# linuxboot_dma.bin.
FIRMWARE = (
    # microvm: qboot, and the option ROMs that load -kernel (bzImage / PVH)
    "/usr/share/qemu/qboot.rom",
    "/usr/share/qemu/linuxboot_dma.bin",
    "/usr/share/qemu/pvh.bin",
    # pc/q35 booting a disk image (--image): SeaBIOS, the TPR patching ROM
    # KVM loads on pc machines, iPXE's ROM of virtio-net-pci
    "/usr/share/seabios/bios-256k.bin",
    "/usr/share/qemu/kvmvapic.bin",
    "/usr/lib/ipxe/qemu/efi-virtio.rom",
)
# A fallback if KVM is missing in a node: `-accel tcg` is a module in Debian.
QEMU_MODULES = ("/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so",)


def kdir():
    return os.path.join(cache_dir(), "guest-kernel")


def kernel_outputs():
    return kernel.outputs_in(kdir())


def outputs():
    d = lab_out_dir()
    return {"kernel": kernel_outputs()["bzImage"],
            "initrd": os.path.join(d, "guest-initrd.img"),
            "layer": os.path.join(d, "vmm-initrd.img")}


def build_kernel(jobs=2):
    """Builds (or reuses) the guest kernel; returns kernel_outputs()."""
    return kernel.build_unpatched(kdir(), KERNEL_RECIPE, FRAGMENT, "guest kernel", jobs=jobs)


def build_initrd(programs):
    """The guest's initramfs: busybox + guest-init + programs ({name: path})."""
    out = outputs()["initrd"]
    key = build_key(INITRD_RECIPE, files=[GUEST_INIT] + [programs[n] for n in sorted(programs)],
               stat_files=["/bin/busybox"])
    key_path = out + ".key"
    if up_to_date(key_path, key, [out]):
        return out
    st = Stage(os.path.join(lab_out_dir(), "stage-guest"))
    st.busybox()
    st.copy(GUEST_INIT, "/init", 0o755)
    for name, path in sorted(programs.items()):
        st.copy(path, "/usr/bin/" + name, 0o755)
    os.makedirs(st.path("/etc"), exist_ok=True)
    st.pack(out)
    shutil.rmtree(st.root, ignore_errors=True)
    write_atomic(key_path, key + "\n")
    return out


def build_uds():
    """mint-uds (kvm-per-node/mint-uds.c), static: `nc -U` for the lab."""
    out = os.path.join(lab_out_dir(), "mint-uds")
    key = build_key(LAYER_RECIPE, files=[UDS_SRC])
    if up_to_date(out + ".key", key, [out]):
        return out
    run([need_tool("gcc", "build-essential"), "-static", "-Os", "-s", "-Wall", "-Wextra",
         "-o", out + ".tmp", UDS_SRC], what="compiling kvm-per-node/mint-uds.c")
    os.replace(out + ".tmp", out)
    write_atomic(out + ".key", key + "\n")
    return out


def _layer_host_files():
    missing = [p for p in (QEMU,) + FIRMWARE if not os.path.exists(p)]
    if missing:
        raise LabError("the VMM layer needs %s (Debian packages qemu-system-x86, "
                       "qemu-system-data, seabios, ipxe-qemu); run tools/install-deps (as root)"
                       % ", ".join(missing))
    files = [QEMU] + [os.path.realpath(p) for p in FIRMWARE] + [
        p for p in QEMU_MODULES if os.path.exists(p)]
    # The libraries too (an apt upgrade of one of them rebuilds the layer).
    for b in [QEMU] + [p for p in QEMU_MODULES if os.path.exists(p)]:
        ldd = subprocess.run(["ldd", b], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for line in ldd.stdout.decode().splitlines():
            for w in line.split():
                if w.startswith("/") and os.path.exists(w):
                    files.append(os.path.realpath(w))
    return sorted(set(files))


def build_layer(guest_kernel, guest_initrd, uds):
    """The VMM layer (uncompressed cpio, see the module doc)."""
    out = outputs()["layer"]
    host = _layer_host_files()
    key = build_key(LAYER_RECIPE, files=[guest_kernel, guest_initrd, uds, GUEST_EXEC],
               stat_files=host)
    key_path = out + ".key"
    if up_to_date(key_path, key, [out]):
        return out
    # No skeleton: only what the layer adds (the base has the standard dirs).
    st = Stage(os.path.join(lab_out_dir(), "stage-vmm"), skeleton=False)
    st.binary(QEMU, QEMU)
    for p in QEMU_MODULES:
        if os.path.exists(p):
            st.binary(p, p)
    for p in FIRMWARE:
        st.copy(os.path.realpath(p), p, 0o644)
    os.symlink("qboot.rom", st.path("/usr/share/qemu/bios-microvm.bin"))
    st.copy(uds, "/usr/bin/mint-uds", 0o755)
    st.copy(GUEST_EXEC, "/usr/bin/mint-guest-exec", 0o755)
    st.copy(guest_kernel, "/boot/mint/guest/bzImage", 0o644)
    st.copy(guest_initrd, "/boot/mint/guest/initrd.img", 0o644)
    st.pack(out, compress=False)
    shutil.rmtree(st.root, ignore_errors=True)
    write_atomic(key_path, key + "\n")
    return out


def build(programs, jobs=2):
    """Guest kernel, guest initramfs (with programs, {name: path}) and the
    VMM layer; returns outputs()."""
    sw = Stopwatch()
    need_tool("cpio", "cpio")
    os.makedirs(lab_out_dir(), exist_ok=True)
    k = build_kernel(jobs)
    initrd = build_initrd(programs)
    layer = build_layer(k["bzImage"], initrd, build_uds())
    out = outputs()
    log("guest images ready in %s: %s (%d KiB), %s (%d KiB), %s (%d KiB)" % (
        sw, k["bzImage"], os.path.getsize(k["bzImage"]) // 1024, initrd,
        os.path.getsize(initrd) // 1024, layer, os.path.getsize(layer) // 1024))
    return out
