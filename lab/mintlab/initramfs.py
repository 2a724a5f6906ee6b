"""Builds the lab's two initramfs images from staging directories in the
cache (gzip'ed newc cpio, files owned by root):

  node-initrd.img   busybox-static + lab/initramfs/node-init: what a node
                    boots by default (mint-agent added when it is built)
  node0-initrd.img  three archives one after the other (the kernel unpacks
                    concatenated archives):
                    node0-base.img (gzip): busybox-static +
                      lab/initramfs/node0-init, kexec, lspci, mintctl (when
                      the loader has it) with their shared libraries and the
                      dynamic loader, pci.ids, and the node defaults of
                      docs/abi.md: /boot/mint/bzImage and
                      /boot/mint/node-initrd.img
                    vmm-initrd.img (lab/mintlab/guest.py): QEMU, its
                      libraries and firmware, the default guest in
                      /boot/mint/guest/, so node0 runs guests on its own KVM
                    node0-vmm.img (uncompressed): the file
                      /boot/mint/vmm-initrd.img, which mintctl appends to the
                      initramfs of a node that hosts guests

node-initrd.img and node0-base.img are rebuilt on every `mint-lab build` (a
second or two), so they always carry the current mintctl and mint-agent."""

import os
import shutil
import subprocess

from .common import REPO, LabError, lab_out_dir, log, output, need_tool, Stopwatch

HERE = os.path.join(REPO, "lab", "initramfs")


def lab_dir():
    return lab_out_dir()


def outputs():
    d = lab_dir()
    return {"node0": os.path.join(d, "node0-initrd.img"),
            "node": os.path.join(d, "node-initrd.img")}


class Stage:
    """A staging directory that becomes an initramfs. skeleton=False: no
    standard directories (for a layer appended to another archive)."""

    def __init__(self, root, skeleton=True):
        shutil.rmtree(root, ignore_errors=True)
        self.root = root
        os.makedirs(root)
        skel = ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp",
                "run", "mnt", "root", "lib/x86_64-linux-gnu", "lib64")
        for d in skel if skeleton else ():
            os.makedirs(os.path.join(root, d), exist_ok=True)

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def copy(self, src, dst, mode=None):
        p = self.path(dst)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        shutil.copy(src, p)
        if mode is not None:
            os.chmod(p, mode)

    def busybox(self):
        bb = "/bin/busybox"
        if not os.path.isfile(bb):
            raise LabError("/bin/busybox not found (Debian package busybox-static); run "
                           "tools/install-deps (as root)")
        if subprocess.run(["ldd", bb], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            raise LabError("/bin/busybox is dynamically linked; the initramfs needs the "
                           "static one from Debian package busybox-static (tools/install-deps)")
        self.copy(bb, "/bin/busybox", 0o755)
        # What `busybox --install -s` does at boot, done once here.
        for applet in output([bb, "--list-full"]).split():
            p = self.path(applet)
            if not os.path.lexists(p):
                os.makedirs(os.path.dirname(p), exist_ok=True)
                os.symlink("/bin/busybox", p)

    def binary(self, src, dst):
        """Copies a dynamically linked program with its libraries (ldd)."""
        self.copy(src, dst, 0o755)
        # Debug info is for the host's gdb; the initramfs is unpacked under TCG.
        subprocess.run([need_tool("strip", "binutils"), "--strip-debug", self.path(dst)],
                       check=True)
        ldd = subprocess.run(["ldd", src], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # A static program: ldd says "not a dynamic executable" and fails.
        for line in ldd.stdout.decode().splitlines() if ldd.returncode == 0 else []:
            parts = line.split()
            lib = None
            if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
                lib = parts[2]
            elif parts and parts[0].startswith("/"):
                lib = parts[0]
            if lib:
                if not os.path.exists(self.path(lib)):
                    self.copy(os.path.realpath(lib), lib, 0o755)

    def replace_symlink(self, dst):
        p = self.path(dst)
        if os.path.islink(p):
            os.unlink(p)

    def pack(self, out, compress=True):
        """newc cpio of the stage, gzip'ed unless compress=False. The file is
        zero-padded to a multiple of 4 bytes: the kernel unpacks concatenated
        archives (cat base.img layer.img), but an uncompressed one is only
        found at a 4-byte aligned offset (init/initramfs.c), and zeros
        between archives are skipped."""
        tmp = out + ".tmp"
        files = subprocess.run(["find", ".", "-mindepth", "1"], cwd=self.root, check=True,
                               stdout=subprocess.PIPE).stdout.decode().split("\n")
        files = "\n".join(sorted(f for f in files if f)) + "\n"
        with open(tmp, "wb") as f:
            cpio = subprocess.Popen(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                                    cwd=self.root, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE if compress else f)
            gz = None
            if compress:
                gz = subprocess.Popen(["gzip", "-6", "-n"], stdin=cpio.stdout, stdout=f)
                cpio.stdout.close()
            cpio.stdin.write(files.encode())
            cpio.stdin.close()
            if cpio.wait() != 0 or (gz is not None and gz.wait() != 0):
                raise LabError("packing %s with cpio%s failed" % (out, "|gzip" if compress else ""))
            f.write(b"\0" * (-f.seek(0, os.SEEK_END) % 4))
        os.replace(tmp, out)


def concat(out, parts):
    """Writes the archives `parts` one after the other into `out` (each part
    is 4-byte padded by Stage.pack, so every archive starts aligned)."""
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        for p in parts:
            if os.path.getsize(p) % 4:
                raise LabError("%s is not 4-byte padded; an archive after it would not be "
                               "found by the kernel" % p)
            with open(p, "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
    os.replace(tmp, out)


def build(kernel_image, mintctl, agent, vmm_layer=None, programs=None):
    """Builds both images; mintctl/agent/vmm_layer are paths or None
    (without vmm_layer node0 has no QEMU and no guests, as before);
    programs ({name: path}, the benchmark programs) go to /usr/bin of both."""
    programs = programs or {}
    sw = Stopwatch()
    need_tool("cpio", "cpio")
    need_tool("gzip", "gzip")
    out = outputs()
    os.makedirs(lab_dir(), exist_ok=True)

    node = Stage(os.path.join(lab_dir(), "stage-node"))
    node.busybox()
    node.copy(os.path.join(HERE, "node-init"), "/init", 0o755)
    node.copy(os.path.join(HERE, "profile"), "/etc/profile", 0o644)
    if agent:
        # binary(): debug info stripped (RelWithDebInfo makes it 20 MB, 3 MB
        # without), no libraries (static).
        node.binary(agent, "/usr/sbin/mint-agent")
    for name, path in sorted(programs.items()):
        node.copy(path, "/usr/bin/" + name, 0o755)
    node.pack(out["node"])

    n0 = Stage(os.path.join(lab_dir(), "stage-node0"))
    n0.busybox()
    n0.copy(os.path.join(HERE, "node0-init"), "/init", 0o755)
    n0.copy(os.path.join(HERE, "profile"), "/etc/profile", 0o644)
    kexec = need_tool("kexec", "kexec-tools")
    n0.replace_symlink("/usr/sbin/kexec")
    n0.binary(kexec, "/usr/sbin/kexec")
    lspci = need_tool("lspci", "pciutils")
    n0.replace_symlink("/usr/bin/lspci")
    n0.binary(lspci, "/usr/bin/lspci")
    if os.path.isfile("/usr/share/misc/pci.ids"):
        n0.copy("/usr/share/misc/pci.ids", "/usr/share/misc/pci.ids", 0o644)
    if mintctl:
        n0.binary(mintctl, "/usr/sbin/mintctl")
    else:
        log("WARNING: mintctl is not built yet (loader/cli/ has no CMakeLists.txt); "
            "node0's initramfs has no mintctl and the e2e tests that need it will FAIL")
    for name, path in sorted(programs.items()):
        n0.copy(path, "/usr/bin/" + name, 0o755)
    n0.copy(kernel_image, "/boot/mint/bzImage", 0o644)
    n0.copy(out["node"], "/boot/mint/node-initrd.img", 0o644)
    if vmm_layer is None:
        n0.pack(out["node0"])
    else:
        base = os.path.join(lab_dir(), "node0-base.img")
        n0.pack(base)
        # The layer as a file for mintctl (uncompressed: it is already packed).
        w = Stage(os.path.join(lab_dir(), "stage-node0-vmm"), skeleton=False)
        w.copy(vmm_layer, "/boot/mint/vmm-initrd.img", 0o644)
        wrapper = os.path.join(lab_dir(), "node0-vmm.img")
        w.pack(wrapper, compress=False)
        shutil.rmtree(w.root, ignore_errors=True)
        concat(out["node0"], [base, vmm_layer, wrapper])
    log("initramfs images built in %s: %s (%d KiB), %s (%d KiB)" % (
        sw, out["node0"], os.path.getsize(out["node0"]) // 1024, out["node"],
        os.path.getsize(out["node"]) // 1024))
    return out
