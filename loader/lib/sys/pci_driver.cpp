// The real PciDriverControl: the sysfs dance that moves a PCI function to
// pci-stub and back (Documentation/ABI/testing/sysfs-bus-pci:
// driver_override, drivers_probe, bind, unbind), written under the HostFs
// root. Writes never create files: a missing sysfs attribute is an error.
#include "mint/sys/pci_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

namespace mint::sys {
namespace {

constexpr int kScsiHostTries = 40;  // 40 x 50 ms: 2 s for the HBA to register
constexpr auto kScsiHostPoll = std::chrono::milliseconds(50);

class SysfsPciDriver : public PciDriverControl {
 public:
  explicit SysfsPciDriver(HostFs& fs) : fs_(fs) {}

  Result<void> Stub(const PciBdf& bdf, std::string_view current) override {
    std::string name = bdf.ToString();
    std::string dev = "/sys/bus/pci/devices/" + name;
    MINT_CHECK(Write(dev + "/driver_override", std::string(kStubDriver)));
    auto moved = [&]() -> Result<void> {
      if (!current.empty()) MINT_CHECK(Write(dev + "/driver/unbind", name));
      MINT_CHECK(Write("/sys/bus/pci/drivers_probe", name));
      if (BoundDriver(bdf) != kStubDriver)
        return MakeError(ErrorCode::kIo, name,
                         "did not bind to pci-stub; load it (modprobe pci-stub) or build the "
                         "kernel with CONFIG_PCI_STUB=y");
      return Ok();
    }();
    if (!moved.ok()) {
      Error error = moved.take_error();
      auto back = Restore(bdf, current);
      if (!back.ok())
        error.message += "; putting it back on " +
                         std::string(current.empty() ? "no driver" : current) +
                         " also failed: " + back.error().ToString();
      return error;
    }
    return Ok();
  }

  Result<void> Restore(const PciBdf& bdf, std::string_view original) override {
    std::string name = bdf.ToString();
    std::string dev = "/sys/bus/pci/devices/" + name;
    MINT_CHECK(Write(dev + "/driver_override", "\n"));
    std::string bound = BoundDriver(bdf);
    if (bound == kStubDriver) MINT_CHECK(Write("/sys/bus/pci/drivers/pci-stub/unbind", name));
    // A function that had no driver gets none: probing would bind whatever
    // matches it, which node0 never had.
    if (original.empty()) return Ok();
    if (bound != original)
      MINT_CHECK(Write("/sys/bus/pci/drivers/" + std::string(original) + "/bind", name));
    return RescanScsiHosts(bdf);
  }

 private:
  // A SCSI controller that is bound again gets a new SCSI host, whose disks
  // appear only after a scan; on a host booted with scsi_mod.scan=manual
  // (the lab) nothing scans it, so the disk node0 had would stay missing.
  // Scanning an already scanned host finds nothing new, so always scan.
  // The host may show up a little after the bind returns (virtio-scsi
  // registers it from its own probe), so a mass-storage function is given
  // a short while. Hosts are <device>/hostN or <device>/<child>/hostN.
  Result<void> RescanScsiHosts(const PciBdf& bdf) {
    std::string dev = "/sys/bus/pci/devices/" + bdf.ToString();
    auto cls = fs_.ReadFile(dev + "/class");  // "0x010000\n"
    if (!cls.ok() || cls->rfind("0x01", 0) != 0 || cls->rfind("0x0108", 0) == 0) return Ok();
    std::vector<std::string> hosts;
    for (int tries = 0; hosts.empty() && tries < kScsiHostTries; ++tries) {
      if (tries > 0) std::this_thread::sleep_for(kScsiHostPoll);
      hosts = ScsiHosts(dev);
    }
    for (const auto& host : hosts) {
      auto scanned = Write("/sys/class/scsi_host/" + host + "/scan", "- - -");
      if (!scanned.ok()) {
        Error e = scanned.take_error();
        e.message += "; " + bdf.ToString() +
                     " is back on its driver but its disks were not "
                     "rescanned: echo '- - -' > /sys/class/scsi_host/" +
                     host + "/scan";
        return e;
      }
    }
    return Ok();
  }

  std::vector<std::string> ScsiHosts(const std::string& dev) {
    std::vector<std::string> hosts;
    auto note = [&](const std::string& dir, const std::string& entry) {
      if (entry.rfind("host", 0) == 0 && fs_.Exists(dir + "/" + entry + "/scsi_host"))
        hosts.push_back(entry);
    };
    auto children = fs_.ListDir(dev);
    if (!children.ok()) return hosts;
    for (const auto& child : *children) {
      note(dev, child);
      auto grandchildren = fs_.ListDir(dev + "/" + child);
      if (!grandchildren.ok()) continue;
      for (const auto& g : *grandchildren) note(dev + "/" + child, g);
    }
    return hosts;
  }

  // The driver the function is bound to now, "" if none.
  std::string BoundDriver(const PciBdf& bdf) {
    auto link = fs_.ReadLink("/sys/bus/pci/devices/" + bdf.ToString() + "/driver");
    if (!link.ok()) return "";
    auto slash = link->rfind('/');
    return slash == std::string::npos ? *link : link->substr(slash + 1);
  }

  Result<void> Write(const std::string& path, const std::string& text) {
    std::string full = fs_.root() == "/" ? path : fs_.root() + path;
    int fd = ::open(full.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return MakeError(ErrorCode::kIo, path, "cannot open it to write " + text, errno);
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size()))
      return MakeError(ErrorCode::kIo, path, "writing " + text + " failed", n < 0 ? err : EIO);
    return Ok();
  }

  HostFs& fs_;
};

}  // namespace

std::unique_ptr<PciDriverControl> MakePciDriverControl(HostFs& fs) {
  return std::make_unique<SysfsPciDriver>(fs);
}

}  // namespace mint::sys
