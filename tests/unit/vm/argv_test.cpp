// QemuArgv golden command lines (the contract docs/vm.md shows and the lab
// runs): the default guest on microvm with a disk, forwards and a command
// line; the smallest guest; a kernel without initrd; firmware boot of an
// image on q35 with PCI devices. GuestFiles for each boot kind.
#include <gtest/gtest.h>

#include "mint/vm.h"

namespace mint::vm {
namespace {

using Argv = std::vector<std::string>;
const std::string kDir = "/run/mint-vm/guest1";

GuestSpec Spec() {
  GuestSpec s;
  s.name = "guest1";
  return s;
}

const Argv kCommon = {"qemu-system-x86_64",
                      "-machine",
                      "microvm,acpi=off",
                      "-accel",
                      "kvm",
                      "-cpu",
                      "host",
                      "-smp",
                      "1",
                      "-m",
                      "256M",
                      "-nodefaults",
                      "-no-user-config",
                      "-nographic",
                      "-no-reboot"};

Argv Concat(Argv a, const Argv& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(QemuArgv, DefaultGuestWithDiskNetAndCmdline) {
  GuestSpec s = Spec();
  s.vcpus = 2;
  s.memory = ByteSize{512ull << 20};
  s.cmdline = "quiet loglevel=3";
  s.disk = "/var/lib/mint/guest1.img";
  s.ports = {{8080, 80}, {2222, 22}};
  EXPECT_EQ(QemuArgv(s, kDir),
            (Argv{"qemu-system-x86_64",
                  "-machine",
                  "microvm,acpi=off",
                  "-accel",
                  "kvm",
                  "-cpu",
                  "host",
                  "-smp",
                  "2",
                  "-m",
                  "512M",
                  "-nodefaults",
                  "-no-user-config",
                  "-nographic",
                  "-no-reboot",
                  "-kernel",
                  "/boot/mint/guest/bzImage",
                  "-initrd",
                  "/boot/mint/guest/initrd.img",
                  "-append",
                  "console=ttyS0 reboot=t panic=-1 mint_guest=guest1 quiet loglevel=3",
                  "-serial",
                  "file:/run/mint-vm/guest1/console.log",
                  "-device",
                  "virtio-serial-device",
                  "-chardev",
                  "socket,id=agent,path=/run/mint-vm/guest1/agent.sock,server=on,wait=off",
                  "-device",
                  "virtserialport,chardev=agent,name=org.mint.agent",
                  "-drive",
                  "file=/var/lib/mint/guest1.img,format=raw,if=none,id=disk0",
                  "-device",
                  "virtio-blk-device,drive=disk0",
                  "-netdev",
                  "user,id=net0,hostfwd=tcp::8080-:80,hostfwd=tcp::2222-:22",
                  "-device",
                  "virtio-net-device,netdev=net0"}));
}

TEST(QemuArgv, SmallestGuest) {
  EXPECT_EQ(
      QemuArgv(Spec(), kDir),
      Concat(kCommon,
             {"-kernel", "/boot/mint/guest/bzImage", "-initrd", "/boot/mint/guest/initrd.img",
              "-append", "console=ttyS0 reboot=t panic=-1 mint_guest=guest1", "-serial",
              "file:/run/mint-vm/guest1/console.log", "-device", "virtio-serial-device", "-chardev",
              "socket,id=agent,path=/run/mint-vm/guest1/agent.sock,server=on,wait=off", "-device",
              "virtserialport,chardev=agent,name=org.mint.agent"}));
}

TEST(QemuArgv, OwnKernelWithoutInitrdAndNetWithoutForwards) {
  GuestSpec s = Spec();
  s.kernel = "/srv/vmlinuz";
  s.net = true;
  Argv a = QemuArgv(s, kDir);
  EXPECT_EQ(Argv(a.begin() + 15, a.begin() + 19),
            (Argv{"-kernel", "/srv/vmlinuz", "-append",
                  "console=ttyS0 reboot=t panic=-1 mint_guest=guest1"}));
  EXPECT_EQ(Argv(a.end() - 4, a.end()),
            (Argv{"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"}));
}

TEST(QemuArgv, FirmwareBootOfAnImage) {
  GuestSpec s = Spec();
  s.image = "/srv/debian.raw";
  s.disk = "/srv/data.img";
  s.ports = {{8080, 80}};
  Argv expected = kCommon;
  expected[2] = "q35";
  expected = Concat(
      expected,
      {"-drive", "file=/srv/debian.raw,format=raw,if=virtio", "-serial",
       "file:/run/mint-vm/guest1/console.log", "-device", "virtio-serial-pci", "-chardev",
       "socket,id=agent,path=/run/mint-vm/guest1/agent.sock,server=on,wait=off", "-device",
       "virtserialport,chardev=agent,name=org.mint.agent", "-drive",
       "file=/srv/data.img,format=raw,if=none,id=disk0", "-device", "virtio-blk-pci,drive=disk0",
       "-netdev", "user,id=net0,hostfwd=tcp::8080-:80", "-device", "virtio-net-pci,netdev=net0"});
  EXPECT_EQ(QemuArgv(s, kDir), expected);
}

TEST(GuestFiles, PerBootKind) {
  GuestSpec s = Spec();
  EXPECT_EQ(GuestFiles(s), (Argv{"/boot/mint/guest/bzImage", "/boot/mint/guest/initrd.img"}));
  s.kernel = "/k";
  EXPECT_EQ(GuestFiles(s), (Argv{"/k"}));
  s.initrd = "/i";
  EXPECT_EQ(GuestFiles(s), (Argv{"/k", "/i"}));
  s = Spec();
  s.image = "/img";
  EXPECT_EQ(GuestFiles(s), (Argv{"/img"}));
}

}  // namespace
}  // namespace mint::vm
