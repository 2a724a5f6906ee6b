// PciDriverControl: moves a PCI function off node0's driver onto pci-stub
// (where NODE_ASSIGN_PCI takes it from, to hold it for the node) and back
// once NODE_DESTROY has let go of it. The real
// implementation writes sysfs under the HostFs root (driver_override,
// unbind, drivers_probe, bind); RecordingPciDriver (the dry run's) records
// every call and models which driver each function is bound to. Failure
// injection for tests lives in tests/unit/support/fake_mint_device.h.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"
#include "mint/result.h"
#include "mint/sys/host_fs.h"

namespace mint::sys {

inline constexpr std::string_view kStubDriver = "pci-stub";
// The kernel's driver that holds a function from NODE_ASSIGN_PCI to
// NODE_DESTROY (no sysfs bind/unbind; docs/devices.md).
inline constexpr std::string_view kOwnedDriver = "mint-owned";

class PciDriverControl {
 public:
  virtual ~PciDriverControl() = default;
  // driver_override := pci-stub, unbind from `current` (if any), probe, and
  // check the function ended up on pci-stub. On failure the function is
  // put back on `current` before the error is returned.
  virtual Result<void> Stub(const PciBdf& bdf, std::string_view current) = 0;
  // Clears driver_override, unbinds pci-stub if it holds the function,
  // binds `original` unless it is bound to it already, and scans ("- - -")
  // every SCSI host under a storage function, so its disks reappear in
  // node0. `original` empty: the function had no driver, and it is left
  // with none (nothing is probed or bound).
  virtual Result<void> Restore(const PciBdf& bdf, std::string_view original) = 0;
};

// Writes under fs.root() ("/sys/bus/pci/..."); reads links through `fs`.
// `fs` must outlive the result.
std::unique_ptr<PciDriverControl> MakePciDriverControl(HostFs& fs);

class RecordingPciDriver : public PciDriverControl {
 public:
  // `drivers`: the driver each function is bound to now ("" for none).
  explicit RecordingPciDriver(std::map<PciBdf, std::string> drivers);

  Result<void> Stub(const PciBdf& bdf, std::string_view current) override;
  Result<void> Restore(const PciBdf& bdf, std::string_view original) override;

  const std::vector<std::string>& calls() const { return calls_; }
  const std::map<PciBdf, std::string>& drivers() const { return drivers_; }
  // What the kernel does to the model (a test's kernel model): mint-owned
  // at NODE_ASSIGN_PCI, no driver at NODE_DESTROY.
  void SetDriver(const PciBdf& bdf, std::string_view driver) { drivers_[bdf] = driver; }

 protected:
  // Logs the call's line; both methods return the error it gives, if any,
  // before touching the model (here: never; a test fake overrides it).
  virtual std::optional<Error> Record(std::string line);

 private:
  std::map<PciBdf, std::string> drivers_;
  std::vector<std::string> calls_;
};

}  // namespace mint::sys
