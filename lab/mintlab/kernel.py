"""Builds the mint kernel: Debian's linux-source tarball (version pinned in
kernel-patches/BASE) + kernel-patches/series + `make tinyconfig` merged with
kernel-patches/mint.config, `make bzImage`. Everything lives in the cache
(never in the repository), keyed by a content hash of BASE, series, every
patch in it and mint.config:

  kernel/pristine/   the extracted tarball, never modified
  kernel/src/        working tree = pristine + series (re-created on a key change
                     with rsync, so unchanged files keep their mtimes)
  kernel/obj/        the O= object directory (kept across keys: incremental)
  kernel/state.json  key of the tree in src/obj + hash/mtime of patched files
  kernel/bzImage, kernel/vmlinux, kernel/config, kernel/key   the outputs

An unchanged key is a no-op; a changed patch recompiles only what the change
touches, because files whose content is identical to the previous build get
their previous mtime back and changed ones get a fresh one.

build_unpatched() builds UNPATCHED Linux from the same pristine tree (make
O=, the tree is never written): the guest kernel (lab/mintlab/guest.py) and
the vanilla kernel, the thesis suite's configuration 1 (bench/thesis.py):
mint.config without the symbols the series adds, in ${MINT_CACHE}/vanilla-kernel."""

import hashlib
import json
import os
import re
import shutil
import time

from .common import (REPO, LabError, cache_dir, log, run, output, need_tool, need_space,
                     sha256_file, write_atomic, copy_atomic, Stopwatch)

PATCHES = os.path.join(REPO, "kernel-patches")
TARBALL = "/usr/src/linux-source-6.12.tar.xz"
PACKAGE = "linux-source-6.12"
# Bump when the build recipe itself changes in a way that must rebuild.
RECIPE = "mint-kernel-recipe-1"
VANILLA_RECIPE = "mint-vanilla-kernel-recipe-1"


def kdir():
    return os.path.join(cache_dir(), "kernel")


def outputs_in(d):
    """The outputs of a kernel build kept in directory d (this one's and the
    guest kernel's, lab/mintlab/guest.py)."""
    return {"bzImage": os.path.join(d, "bzImage"), "vmlinux": os.path.join(d, "vmlinux"),
            "config": os.path.join(d, "config")}


def outputs():
    return outputs_in(kdir())


def read_base():
    with open(os.path.join(PATCHES, "BASE")) as f:
        return f.read().strip()


def read_series():
    names = []
    with open(os.path.join(PATCHES, "series")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    for n in names:
        if not os.path.isfile(os.path.join(PATCHES, n)):
            raise LabError("kernel-patches/series lists %s, which does not exist in "
                           "kernel-patches/; add the file or remove the line" % n)
    return names


def compute_key():
    h = hashlib.sha256()
    h.update(RECIPE.encode() + b"\0")
    for name in ["BASE", "series"] + read_series() + ["mint.config"]:
        h.update(name.encode() + b"\0")
        with open(os.path.join(PATCHES, name), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def check_source():
    base = read_base()
    try:
        have = output(["dpkg-query", "-W", "-f=${Version}", PACKAGE]).strip()
    except LabError:
        have = ""
    if have != base:
        raise LabError("kernel source: %s is %s, kernel-patches/BASE pins %s; run "
                       "tools/install-deps (as root) to install %s=%s"
                       % (PACKAGE, "version " + have if have else "not installed", base,
                          PACKAGE, base))
    if not os.path.isfile(TARBALL):
        raise LabError("kernel source: %s is missing although %s %s is installed; "
                       "reinstall it: apt-get install --reinstall %s=%s"
                       % (TARBALL, PACKAGE, base, PACKAGE, base))
    return base


def parse_fragment(path):
    """Returns [(symbol, value)] with value 'n' for '# CONFIG_X is not set'."""
    opts = []
    for line in open(path):
        line = line.strip()
        m = re.match(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$", line)
        if m:
            opts.append((m.group(1), "n"))
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
        if not m:
            raise LabError("kernel-patches/mint.config: cannot parse line %r; write "
                           "CONFIG_X=value or '# CONFIG_X is not set'" % line)
        opts.append((m.group(1), m.group(2)))
    return opts


def read_config(path):
    vals = {}
    for line in open(path):
        line = line.strip()
        m = re.match(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$", line)
        if m:
            vals[m.group(1)] = "n"
            continue
        m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
        if m:
            vals[m.group(1)] = m.group(2)
    return vals


def merge_fragment(config_path, opts):
    """Merges opts into .config (what merge_config.sh -m does): drops every
    existing line of each symbol, appends the fragment's value."""
    syms = {s for s, _ in opts}
    kept = []
    for line in open(config_path):
        m = re.match(r"^(?:# )?(CONFIG_[A-Za-z0-9_]+)[= ]", line)
        if m and m.group(1) in syms:
            continue
        kept.append(line)
    for sym, val in opts:
        kept.append("# %s is not set\n" % sym if val == "n" else "%s=%s\n" % (sym, val))
    write_atomic(config_path, "".join(kept))


def verify_config(config_path, opts):
    have = read_config(config_path)
    bad = []
    for sym, want in opts:
        got = have.get(sym, "n")
        if got != want:
            bad.append("%s=%s (asked %s)" % (sym, "unset" if got == "n" else got, want))
    if bad:
        raise LabError("kernel config: %d option(s) of kernel-patches/mint.config did not "
                       "stick after olddefconfig: %s; each needs its dependencies enabled "
                       "in the fragment too (see 'Depends on' in make menuconfig or the "
                       "Kconfig file)" % (len(bad), ", ".join(bad)))


def patch_files(patch_path):
    files = set()
    for line in open(patch_path, errors="replace"):
        m = re.match(r"^(?:\+\+\+|---) (?:[ab]/)?(\S+)", line)
        if m and m.group(1) != "/dev/null":
            files.add(m.group(1))
    return files


def load_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def ensure_pristine(base):
    d = kdir()
    pristine = os.path.join(d, "pristine")
    marker = os.path.join(d, "pristine.version")
    if os.path.isdir(pristine) and os.path.isfile(marker) and open(marker).read() == base:
        return pristine
    need_space(d, 6, "the kernel build (source 1.5 GiB twice + objects)")
    log("extracting %s (%s) into %s" % (TARBALL, base, pristine))
    sw = Stopwatch()
    for p in (pristine, pristine + ".tmp"):
        shutil.rmtree(p, ignore_errors=True)
    if os.path.exists(marker):
        os.unlink(marker)
    os.makedirs(pristine + ".tmp")
    run(["tar", "-xf", TARBALL, "-C", pristine + ".tmp", "--strip-components=1"],
        what="extracting the kernel source")
    os.rename(pristine + ".tmp", pristine)
    write_atomic(marker, base)
    # The object dir was built from another base: start it over.
    shutil.rmtree(os.path.join(d, "obj"), ignore_errors=True)
    log("extracted in %s" % sw)
    return pristine


def prepare_tree(pristine, series, state):
    """Makes src/ = pristine + series, keeping mtimes of unchanged files."""
    src = os.path.join(kdir(), "src")
    need_tool("rsync", "rsync")
    need_tool("patch", "patch")
    run(["rsync", "-a", "--delete", pristine + "/", src + "/"], what="syncing the kernel tree")
    touched = set()
    for name in series:
        p = os.path.join(PATCHES, name)
        log("applying %s" % name)
        run(["patch", "-p1", "-s", "-N", "-F0", "--no-backup-if-mismatch", "-d", src, "-i", p],
            what="applying kernel-patches/%s (refresh it against %s)" % (name, read_base()))
        touched |= patch_files(p)
    prev = state.get("patched", {})
    now_ns = time.time_ns()
    new_state = {}
    for rel in sorted(touched | set(prev)):
        path = os.path.join(src, rel)
        if not os.path.exists(path):
            continue
        digest = sha256_file(path)
        if rel in prev and prev[rel][0] == digest:
            os.utime(path, ns=(prev[rel][1], prev[rel][1]))
        elif rel not in touched:
            # Was patched last time, pristine now: make must see it as changed.
            os.utime(path, ns=(now_ns, now_ns))
        if rel in touched:
            new_state[rel] = [digest, os.stat(path).st_mtime_ns]
    return src, new_state


def build(jobs=2):
    """Builds (or reuses) the kernel; returns outputs()."""
    sw = Stopwatch()
    d = kdir()
    os.makedirs(d, exist_ok=True)
    key = compute_key()
    out = outputs()
    key_path = os.path.join(d, "key")
    if (os.path.isfile(key_path) and open(key_path).read().strip() == key
            and all(os.path.isfile(p) for p in out.values())):
        # Unchanged inputs: still verify the base is what BASE pins.
        check_source()
        log("kernel %s is up to date (%s)" % (key, sw))
        return out
    base = check_source()
    for tool, pkg in (("make", "make"), ("gcc", "build-essential"), ("flex", "flex"),
                      ("bison", "bison"), ("bc", "bc")):
        need_tool(tool, pkg)
    need_space(d, 3, "the kernel build")
    series = read_series()
    pristine = ensure_pristine(base)
    state_path = os.path.join(d, "state.json")
    state = load_state(state_path)
    if os.path.exists(key_path):
        os.unlink(key_path)
    src, patched = prepare_tree(pristine, series, state)
    state = {"key": key, "patched": patched}
    write_atomic(state_path, json.dumps(state, indent=1))
    obj = os.path.join(d, "obj")
    os.makedirs(obj, exist_ok=True)
    make = ["nice", "make", "-s", "-C", src, "O=" + obj]
    run(make + ["tinyconfig"], quiet=True, what="make tinyconfig")
    frag = os.path.join(PATCHES, "mint.config")
    opts = parse_fragment(frag)
    cfg = os.path.join(obj, ".config")
    merge_fragment(cfg, opts)
    run(make + ["olddefconfig"], quiet=True, what="make olddefconfig")
    verify_config(cfg, opts)
    log("kernel config: all %d options of mint.config are set" % len(opts))
    log("building the kernel (make -j%d bzImage) in %s" % (jobs, obj))
    run(make + ["-j%d" % jobs, "bzImage"], what="make bzImage")
    copy_atomic(os.path.join(obj, "arch/x86/boot/bzImage"), out["bzImage"])
    copy_atomic(os.path.join(obj, "vmlinux"), out["vmlinux"])
    copy_atomic(cfg, out["config"])
    write_atomic(key_path, key + "\n")
    log("kernel %s built in %s" % (key, sw))
    return out


def series_symbols():
    """The Kconfig symbols the series itself adds (`+config X` lines)."""
    syms = set()
    for name in read_series():
        for line in open(os.path.join(PATCHES, name), errors="replace"):
            m = re.match(r"^\+(?:menu)?config ([A-Za-z0-9_]+)\s*$", line)
            if m:
                syms.add("CONFIG_" + m.group(1))
    return syms


def build_unpatched(d, recipe, fragment, what, drop=(), jobs=2):
    """Builds (or reuses) UNPATCHED Linux (kernel/pristine, no series) with
    `make tinyconfig` + the fragment's options except the symbols in drop,
    into cache directory d; returns outputs_in(d). `what` names the kernel
    in messages ("guest kernel"); errors name the fragment's file."""
    sw = Stopwatch()
    os.makedirs(d, exist_ok=True)
    opts = [(s, v) for s, v in parse_fragment(fragment) if s not in set(drop)]
    h = hashlib.sha256(recipe.encode() + b"\0" + read_base().encode() + b"\0")
    h.update(bytes.fromhex(sha256_file(fragment)))
    h.update(("\0".join(sorted(drop))).encode())
    key = h.hexdigest()[:16]
    out = outputs_in(d)
    key_path = os.path.join(d, "key")
    if (os.path.isfile(key_path) and open(key_path).read().strip() == key
            and all(os.path.isfile(p) for p in out.values())):
        log("%s %s is up to date (%s)" % (what, key, sw))
        return out
    base = check_source()
    for tool, pkg in (("make", "make"), ("gcc", "build-essential"), ("flex", "flex"),
                      ("bison", "bison"), ("bc", "bc")):
        need_tool(tool, pkg)
    need_space(d, 1, "the %s build" % what)
    pristine = ensure_pristine(base)
    if os.path.exists(key_path):
        os.unlink(key_path)
    obj = os.path.join(d, "obj")
    base_path = os.path.join(d, "base")
    if not os.path.isfile(base_path) or open(base_path).read() != base:
        # Objects of another source version: start over.
        shutil.rmtree(obj, ignore_errors=True)
    os.makedirs(obj, exist_ok=True)
    write_atomic(base_path, base)
    make = ["nice", "make", "-s", "-C", pristine, "O=" + obj]
    run(make + ["tinyconfig"], quiet=True, what="make tinyconfig (%s)" % what)
    cfg = os.path.join(obj, ".config")
    rel = os.path.relpath(fragment, REPO)
    try:
        merge_fragment(cfg, opts)
        run(make + ["olddefconfig"], quiet=True, what="make olddefconfig (%s)" % what)
        verify_config(cfg, opts)
    except LabError as e:
        raise LabError(str(e).replace("kernel-patches/mint.config", rel)
                       .replace("kernel config:", "%s config:" % what))
    log("%s config: all %d options of %s are set" % (what, len(opts), rel))
    log("building the %s (make -j%d bzImage) in %s" % (what, jobs, obj))
    run(make + ["-j%d" % jobs, "bzImage"], what="make bzImage (%s)" % what)
    copy_atomic(os.path.join(obj, "arch/x86/boot/bzImage"), out["bzImage"])
    copy_atomic(os.path.join(obj, "vmlinux"), out["vmlinux"])
    copy_atomic(cfg, out["config"])
    write_atomic(key_path, key + "\n")
    log("%s %s built in %s" % (what, key, sw))
    return out


def build_vanilla(jobs=2):
    """The vanilla kernel: the same source and mint.config, without the
    series (and so without the series' own symbols)."""
    return build_unpatched(os.path.join(cache_dir(), "vanilla-kernel"), VANILLA_RECIPE,
                           os.path.join(PATCHES, "mint.config"), "vanilla kernel",
                           drop=sorted(series_symbols()), jobs=jobs)
