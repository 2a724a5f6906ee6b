// The real PciDriverControl: the sysfs dance that moves a PCI function to
// pci-stub and back (Documentation/ABI/testing/sysfs-bus-pci:
// driver_override, drivers_probe, bind, unbind), written under the HostFs
// root. Writes never create files: a missing sysfs attribute is an error.
#include "mint/sys/pci_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mint::sys {
namespace {

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
    if (BoundDriver(bdf) == kStubDriver)
      MINT_CHECK(Write("/sys/bus/pci/drivers/pci-stub/unbind", name));
    if (original.empty()) return Write("/sys/bus/pci/drivers_probe", name);
    return Write("/sys/bus/pci/drivers/" + std::string(original) + "/bind", name);
  }

 private:
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
