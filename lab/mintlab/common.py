"""Shared plumbing of the lab: where the repository and the cache are, the
error type every step raises (its message names the problem and the way out),
logging to stderr, running commands, a cache lock, and the preflight checks
(disk space, tools) that turn a missing dependency into one clear sentence."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class LabError(Exception):
    """A failure with a message that names the thing and the way out."""


def cache_dir():
    return os.path.abspath(os.environ.get("MINT_CACHE", "/var/cache/mint"))


def lab_out_dir():
    """Where the initramfs images and disk images go: ${MINT_LAB_DIR}, or
    ${MINT_CACHE}/lab. A private MINT_LAB_DIR lets one engineer boot the lab
    with their own mintctl and images while the kernel (the slow part) stays
    in the shared cache."""
    return os.path.abspath(os.environ.get("MINT_LAB_DIR") or os.path.join(cache_dir(), "lab"))


def log(msg):
    sys.stderr.write("mint-lab: %s\n" % msg)
    sys.stderr.flush()


def run(cmd, cwd=None, env=None, quiet=False, what=None):
    """Runs cmd (a list); raises LabError naming `what` when it fails."""
    out = subprocess.DEVNULL if quiet else None
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out,
                              stderr=subprocess.PIPE if quiet else None)
    except FileNotFoundError:
        raise LabError("%s: command not found: %s; run tools/install-deps (as root)"
                       % (what or "run", cmd[0]))
    if proc.returncode != 0:
        detail = ""
        if quiet and proc.stderr:
            detail = "\n" + proc.stderr.decode(errors="replace")[-4000:]
        raise LabError("%s failed (exit %d): %s%s" % (what or cmd[0], proc.returncode,
                                                     " ".join(cmd), detail))


def output(cmd, what=None):
    try:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE).stdout.decode()
    except FileNotFoundError:
        raise LabError("%s: command not found: %s; run tools/install-deps (as root)"
                       % (what or "run", cmd[0]))
    except subprocess.CalledProcessError as e:
        raise LabError("%s failed: %s\n%s" % (what or cmd[0], " ".join(cmd),
                                              e.stderr.decode(errors="replace")))


def need_tool(name, package):
    path = shutil.which(name)
    if path is None:
        for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
        raise LabError("%s not found (Debian package %s); run tools/install-deps (as root)"
                       % (name, package))
    return path


def need_space(path, gib, why):
    os.makedirs(path, exist_ok=True)
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    if free < gib * (1 << 30):
        raise LabError("only %.1f GiB free in %s, %s needs %d GiB; free some space or point "
                       "MINT_CACHE at a bigger disk" % (free / (1 << 30), path, why, gib))


class CacheLock:
    """Exclusive lock on the cache, so two builds never write it at once."""

    def __init__(self, name="build"):
        self.path = os.path.join(cache_dir(), name + ".lock")
        self.fd = None

    def __enter__(self):
        os.makedirs(cache_dir(), exist_ok=True)
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another mint-lab build holding %s" % self.path)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_key(recipe, files=(), stat_files=()):
    """The key of a build output: a recipe string, `files` by content and
    `stat_files` (host files) by path, size and mtime."""
    h = hashlib.sha256(recipe.encode() + b"\0")
    for p in files:
        h.update(p.encode() + b"\0" + bytes.fromhex(sha256_file(p)))
    for p in stat_files:
        st = os.stat(p)
        h.update(("%s\0%d\0%d\0" % (p, st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()[:16]


def up_to_date(key_path, key, paths):
    """Whether key_path holds key and every output in paths exists."""
    try:
        with open(key_path) as f:
            return f.read().strip() == key and all(os.path.isfile(p) for p in paths)
    except OSError:
        return False


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)


def copy_atomic(src, dst):
    tmp = dst + ".tmp"
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)


class Stopwatch:
    def __init__(self):
        self.t0 = time.monotonic()

    def __str__(self):
        return "%.1f s" % (time.monotonic() - self.t0)
