"""mintlab: builds and runs mint's lab machine (the kernel, the initramfs
images, the disk images and the QEMU q35 machine), driven by lab/mint-lab and
by the e2e tests' LabMachine. Python 3 standard library only."""
