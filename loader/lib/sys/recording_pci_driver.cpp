// RecordingPciDriver: a PciDriverControl that touches nothing. It records
// each call as one line, keeps which driver every function would be bound
// to (probing binds the driver a function had when recording began), and
// fails on request at call N, so apply's tests can check that each function
// ends up back on its original driver.
#include "mint/sys/pci_driver.h"

namespace mint::sys {

RecordingPciDriver::RecordingPciDriver(std::map<PciBdf, std::string> drivers)
    : drivers_(std::move(drivers)) {
  for (const auto& [bdf, driver] : drivers_)
    if (driver != kStubDriver) probed_[bdf] = driver;
}

void RecordingPciDriver::FailAtCall(size_t n, Error error) {
  fail_at_ = n;
  fail_error_ = std::move(error);
}

std::optional<Error> RecordingPciDriver::Record(std::string line) {
  calls_.push_back(std::move(line));
  if (fail_at_ != 0 && calls_.size() == fail_at_) return fail_error_;
  return std::nullopt;
}

Result<void> RecordingPciDriver::Stub(const PciBdf& bdf, std::string_view current) {
  std::string from = current.empty() ? "no driver" : std::string(current);
  if (auto e = Record("stub " + bdf.ToString() + ": " + from + " -> pci-stub")) return *e;
  drivers_[bdf] = std::string(kStubDriver);
  return Ok();
}

Result<void> RecordingPciDriver::Restore(const PciBdf& bdf, std::string_view original) {
  if (original.empty()) {
    // driver_override cleared, drivers_probe: the matching driver binds, or
    // the one already bound stays.
    if (auto e = Record("give back " + bdf.ToString() + ": probe")) return *e;
    auto probed = probed_.find(bdf);
    if (drivers_[bdf].empty() || drivers_[bdf] == kStubDriver)
      drivers_[bdf] = probed == probed_.end() ? "" : probed->second;
    return Ok();
  }
  if (auto e = Record("restore " + bdf.ToString() + ": pci-stub -> " + std::string(original)))
    return *e;
  drivers_[bdf] = std::string(original);
  return Ok();
}

}  // namespace mint::sys
