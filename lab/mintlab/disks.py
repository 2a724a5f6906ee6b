"""Builds the lab's disk images with known content: raw ext4 files made
with `mkfs.ext4 -d` from staging directories (no loop mounts), in the cache.
Each disk holds /MINT-DISK whose one line names the disk ("mint lab disk
sdb"), so tests and the demo can tell disks apart. QEMU opens them with
snapshot=on, so a boot never changes them. Rebuilt only when DISKS changes."""

import json
import os
import shutil

from .common import LabError, lab_out_dir, log, run, need_tool, write_atomic

SIZE_MIB = 64
# name -> (PCI function of its controller, SCSI target on it, filesystem label)
DISKS = {
    "sda": ("0000:00:02.0", 0, "mint-sda"),
    "sdb": ("0000:01:00.0", 0, "mint-sdb"),
    "sdc": ("0000:02:00.0", 0, "mint-sdc"),
    "sdd": ("0000:00:02.0", 1, "mint-sdd"),
}
UUIDS = {"sda": "6d696e74-0000-4000-8000-00000000000a",
         "sdb": "6d696e74-0000-4000-8000-00000000000b",
         "sdc": "6d696e74-0000-4000-8000-00000000000c",
         "sdd": "6d696e74-0000-4000-8000-00000000000d"}
RECIPE = 1


def disk_dir():
    return os.path.join(lab_out_dir(), "disks")


def marker_text(name):
    return "mint lab disk %s\n" % name


def outputs():
    return {n: os.path.join(disk_dir(), n + ".img") for n in DISKS}


def build():
    d = disk_dir()
    os.makedirs(d, exist_ok=True)
    spec = json.dumps({"recipe": RECIPE, "size": SIZE_MIB, "disks": DISKS, "uuids": UUIDS},
                      sort_keys=True)
    stamp = os.path.join(d, "spec.json")
    out = outputs()
    if (os.path.isfile(stamp) and open(stamp).read() == spec
            and all(os.path.isfile(p) for p in out.values())):
        return out
    mkfs = need_tool("mkfs.ext4", "e2fsprogs")
    for name, (pci, target, label) in DISKS.items():
        stage = os.path.join(d, "stage-" + name)
        shutil.rmtree(stage, ignore_errors=True)
        os.makedirs(stage)
        with open(os.path.join(stage, "MINT-DISK"), "w") as f:
            f.write(marker_text(name))
        with open(os.path.join(stage, "README"), "w") as f:
            f.write("This is %s of the mint lab: controller %s, SCSI target %d.\n"
                    % (name, pci, target))
        img = out[name]
        if os.path.exists(img):
            os.unlink(img)
        env = dict(os.environ, E2FSPROGS_FAKE_TIME="1700000000")
        run([mkfs, "-q", "-F", "-t", "ext4", "-L", label, "-U", UUIDS[name],
             "-E", "root_owner=0:0", "-d", stage, img, "%dM" % SIZE_MIB], env=env,
            quiet=True, what="mkfs.ext4 for %s" % name)
        shutil.rmtree(stage)
    write_atomic(stamp, spec)
    log("disk images built in %s" % d)
    return out
