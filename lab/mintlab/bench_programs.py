"""Builds what the bench suites run in the lab (bench/README.md):

  programs     bench/programs/*.c (and number.h, their argument rule), and
               lab/programs/mint-dma.c (the e2e tests' DMA hook), each
               a static binary, so the very same
               file runs in node0, in every node and in every guest: the
               initramfs images and the guest's initrd carry it at
               /usr/bin/<name> (~0.8 MiB each: static glibc)
  bench layer  <lab dir>/bench-layer.img, an UNCOMPRESSED newc cpio of the
               Debian tools the RT suite runs (rt-tests' cyclictest,
               stress-ng) with their libraries and the dynamic loader: 30 MiB,
               so it is in no image a test boots. bench/rt.py boots node0
               from <lab dir>/node0-bench.img, node0's initramfs with the
               layer appended and the layer itself at
               /boot/mint/bench-layer.img, which node0 appends to a node's
               initramfs (mintctl boot --initrd) and to a guest's (mintctl vm
               start --initrd) in turn.

In the lab's output directory; each keyed by what it is made of (a source
by content, a host file by path, size and mtime): an unchanged key is not
built again."""

import os
import shutil

from .common import (REPO, LabError, build_key, lab_out_dir, log, run, need_tool, up_to_date,
                     write_atomic, Stopwatch)
from .initramfs import Stage, concat

SOURCES = {"mint-thesis": os.path.join(REPO, "bench", "programs", "mint-thesis.c"),
           "mint-bench": os.path.join(REPO, "bench", "programs", "mint-bench.c"),
           # not a benchmark: the lab's DMA test hook (test_node_iommu), built
           # and carried the same way
           "mint-dma": os.path.join(REPO, "lab", "programs", "mint-dma.c")}
# included by every program (its content enters each program's key)
HEADERS = [os.path.join(REPO, "bench", "programs", "number.h")]
RECIPE = "mint-bench-programs-recipe-1"
# Debian package -> the programs of it the layer carries
TOOLS = {"rt-tests": ["/usr/bin/cyclictest"], "stress-ng": ["/usr/bin/stress-ng"]}
LAYER_RECIPE = "mint-bench-layer-recipe-1"


def outputs():
    d = lab_out_dir()
    out = {name: os.path.join(d, name) for name in SOURCES}
    out.update(layer=os.path.join(d, "bench-layer.img"),
               node0=os.path.join(d, "node0-bench.img"))
    return out


def programs():
    """{name: path} of the static programs."""
    return {name: path for name, path in outputs().items() if name in SOURCES}


def build():
    """Compiles every program whose source changed; returns programs()."""
    gcc = need_tool("gcc", "build-essential")
    out = programs()
    os.makedirs(lab_out_dir(), exist_ok=True)
    for name, src in sorted(SOURCES.items()):
        key = build_key(RECIPE, files=[src] + HEADERS)
        key_path = out[name] + ".key"
        if up_to_date(key_path, key, [out[name]]):
            continue
        run([gcc, "-static", "-O2", "-s", "-Wall", "-Wextra", "-Werror", "-o",
             out[name] + ".tmp", src], what="compiling %s" % os.path.relpath(src, REPO))
        os.replace(out[name] + ".tmp", out[name])
        write_atomic(key_path, key + "\n")
    return out


def build_layer(node0_initrd):
    """The bench layer and node0's bench initramfs (node0_initrd + the
    layer + the layer as a file); returns outputs()."""
    sw = Stopwatch()
    out = outputs()
    tools = [p for paths in TOOLS.values() for p in paths]
    missing = [p for p in tools if not os.path.isfile(p)]
    if missing:
        raise LabError("the bench layer needs %s (Debian packages %s); run tools/install-deps "
                       "(as root)" % (", ".join(missing), ", ".join(sorted(TOOLS))))
    key = build_key(LAYER_RECIPE, stat_files=tools + [node0_initrd])
    key_path = out["node0"] + ".key"
    if up_to_date(key_path, key, [out["layer"], out["node0"]]):
        return out
    st = Stage(os.path.join(lab_out_dir(), "stage-bench"), skeleton=False)
    for p in tools:
        st.binary(p, p)
    st.pack(out["layer"], compress=False)
    shutil.rmtree(st.root, ignore_errors=True)
    w = Stage(os.path.join(lab_out_dir(), "stage-bench-file"), skeleton=False)
    w.copy(out["layer"], "/boot/mint/bench-layer.img", 0o644)
    wrapper = os.path.join(lab_out_dir(), "bench-layer-file.img")
    w.pack(wrapper, compress=False)
    shutil.rmtree(w.root, ignore_errors=True)
    concat(out["node0"], [node0_initrd, out["layer"], wrapper])
    os.unlink(wrapper)
    write_atomic(key_path, key + "\n")
    log("bench layer built in %s: %s (%d KiB)" % (sw, out["layer"],
                                                  os.path.getsize(out["layer"]) // 1024))
    return out
