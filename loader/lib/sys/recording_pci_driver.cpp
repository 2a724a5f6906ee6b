// RecordingPciDriver: a PciDriverControl that touches nothing. It records
// each call as one line, keeps which driver every function would be bound
// to, for the dry run, and so apply's tests can check that each function
// ends up back on its original driver (or on none).
#include "mint/sys/pci_driver.h"

namespace mint::sys {

RecordingPciDriver::RecordingPciDriver(std::map<PciBdf, std::string> drivers)
    : drivers_(std::move(drivers)) {}

std::optional<Error> RecordingPciDriver::Record(std::string line) {
  calls_.push_back(std::move(line));
  return std::nullopt;
}

Result<void> RecordingPciDriver::Stub(const PciBdf& bdf, std::string_view current) {
  std::string from = current.empty() ? "no driver" : std::string(current);
  if (auto e = Record("stub " + bdf.ToString() + ": " + from + " -> pci-stub")) return *e;
  drivers_[bdf] = std::string(kStubDriver);
  return Ok();
}

Result<void> RecordingPciDriver::Restore(const PciBdf& bdf, std::string_view original) {
  std::string to = original.empty() ? "no driver" : std::string(original);
  if (auto e = Record("restore " + bdf.ToString() + ": pci-stub -> " + to)) return *e;
  // driver_override cleared, pci-stub unbound if it holds the function,
  // `original` bound (nothing bound when it had no driver).
  std::string& now = drivers_[bdf];
  if (now == kStubDriver) now.clear();
  if (!original.empty()) now = std::string(original);
  return Ok();
}

}  // namespace mint::sys
