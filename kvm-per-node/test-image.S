/* kvm-per-node/test-image.S: the boot sector lab-verify boots to check the
 * firmware path (--image: q35 + SeaBIOS + virtio-blk-pci). It prints one line
 * on COM1 and triple-faults, which ends QEMU (-no-reboot). Build:
 *   as --32 -o t.o test-image.S && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o t.bin t.o
 * lab-verify carries the result (gzip + base64) so it needs no assembler. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $msg, %si
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $0x3fd, %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3f8, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:  # triple fault: load an empty IDT and raise an interrupt -> reset (-no-reboot exits)
    lidt idt
    int $3
4:  hlt
    jmp 4b
idt: .word 0
     .long 0
msg: .asciz "mint-image: booted by firmware\r\n"
.org 510
.byte 0x55, 0xaa
