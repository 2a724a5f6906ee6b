// QEMU's command line for a guest (mint/vm.h QemuArgv), the one place it is
// made. Two shapes: direct kernel boot on a microvm machine (virtio-mmio
// devices, `*-device`), and firmware boot of a raw disk image on q35 (PCI
// devices, `*-pci`). Both: KVM with the host's CPU model, no default
// devices, no user config, the console (ttyS0) into console.log, the guest
// agent's virtio-serial port on a Unix socket QEMU serves, a guest reset
// ends QEMU (-no-reboot). docs/vm.md shows the result.
#include <string>
#include <vector>

#include "mint/vm.h"

namespace mint::vm {

std::vector<std::string> GuestFiles(const GuestSpec& spec) {
  if (!spec.image.empty()) return {spec.image};
  if (spec.kernel.empty() && spec.initrd.empty()) return {kDefaultGuestKernel, kDefaultGuestInitrd};
  std::vector<std::string> files;
  if (!spec.kernel.empty()) files.push_back(spec.kernel);
  if (!spec.initrd.empty()) files.push_back(spec.initrd);
  return files;
}

std::vector<std::string> QemuArgv(const GuestSpec& spec, const std::string& dir) {
  const bool firmware = !spec.image.empty();
  const std::string bus = firmware ? "-pci" : "-device";  // virtio transport suffix
  const uint64_t mib = (spec.memory.bytes + (1ull << 20) - 1) >> 20;
  // acpi=off: only then does QEMU put the virtio-mmio devices on the kernel
  // command line (virtio_mmio.device=), which is how the ACPI-less default
  // guest (kvm-per-node/guest.config) finds them.
  // clang-format off
  std::vector<std::string> a = {
      "qemu-system-x86_64",
      "-machine", firmware ? "q35" : "microvm,acpi=off",
      "-accel", "kvm",
      "-cpu", "host",
      "-smp", std::to_string(spec.vcpus),
      "-m", std::to_string(mib) + "M",
      "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"};
  // clang-format on
  if (firmware) {
    a.insert(a.end(), {"-drive", "file=" + spec.image + ",format=raw,if=virtio"});
  } else {
    bool defaults = spec.kernel.empty() && spec.initrd.empty();
    std::string kernel = defaults ? kDefaultGuestKernel : spec.kernel;
    std::string initrd = defaults ? kDefaultGuestInitrd : spec.initrd;
    a.insert(a.end(), {"-kernel", kernel});
    if (!initrd.empty()) a.insert(a.end(), {"-initrd", initrd});
    std::string append = "console=ttyS0 reboot=t panic=-1 mint_guest=" + spec.name;
    if (!spec.cmdline.empty()) append += " " + spec.cmdline;
    a.insert(a.end(), {"-append", append});
  }
  a.insert(a.end(), {"-serial", "file:" + dir + "/console.log"});
  a.insert(a.end(), {"-device", "virtio-serial" + bus, "-chardev",
                     "socket,id=agent,path=" + dir + "/agent.sock,server=on,wait=off", "-device",
                     std::string("virtserialport,chardev=agent,name=") + kAgentPortName});
  if (!spec.disk.empty())
    a.insert(a.end(), {"-drive", "file=" + spec.disk + ",format=raw,if=none,id=disk0", "-device",
                       "virtio-blk" + bus + ",drive=disk0"});
  if (spec.net || !spec.ports.empty()) {
    std::string netdev = "user,id=net0";
    for (const GuestPort& p : spec.ports)
      netdev += ",hostfwd=tcp::" + std::to_string(p.host) + "-:" + std::to_string(p.guest);
    a.insert(a.end(), {"-netdev", netdev, "-device", "virtio-net" + bus + ",netdev=net0"});
  }
  return a;
}

}  // namespace mint::vm
