// Teardown and GiveBack: the end of a node. NODE_DESTROY first (the kernel
// resets the node's functions and drops their ownership), then each
// function the ledger says mint moved back where it was, through
// PciDriverControl::Restore. Used by `mintctl destroy` and `mintctl
// recover`; the ordering rule (destroy, then give back; nothing given back
// if destroy failed) lives only here.
#include <algorithm>
#include <cerrno>

#include "mint/apply.h"

namespace mint::apply {

Result<void> GiveBack(const std::string& node, const std::vector<LedgerFunction>& functions,
                      sys::PciDriverControl& pci, Ledger& ledger, std::vector<std::string>& log) {
  std::vector<std::pair<LedgerFunction, Error>> failed;
  for (const auto& f : functions) {
    log.push_back("give " + f.bdf.ToString() + " back to node0: driver_override cleared, " +
                  (f.driver.empty() ? "left without a driver, as it was"
                                    : "bound to " + f.driver + ", SCSI hosts scanned"));
    auto back = pci.Restore(f.bdf, f.driver);
    if (!back.ok()) {
      log.push_back("   failed: " + back.error().ToString());
      failed.emplace_back(f, back.take_error());
      continue;
    }
    if (auto forgot = ledger.ForgetFunction(node, f.bdf); !forgot.ok())
      log.push_back("   ledger: " + forgot.error().ToString());
  }
  if (failed.empty()) return Ok();
  std::string message = std::to_string(failed.size()) + " of " + std::to_string(functions.size()) +
                        " function(s) did not come back to node0:";
  std::string by_hand;
  for (const auto& [f, error] : failed) {
    std::string name = f.bdf.ToString();
    message += " " + name + ": " + error.ToString() + ";";
    by_hand += " echo > /sys/bus/pci/devices/" + name + "/driver_override; echo " + name +
               " > /sys/bus/pci/drivers/pci-stub/unbind;";
    if (!f.driver.empty())
      by_hand += " echo " + name + " > /sys/bus/pci/drivers/" + f.driver + "/bind;";
  }
  message += " finish by hand:" + by_hand;
  message.pop_back();
  int err = failed.front().second.sys_errno;
  return MakeError(ErrorCode::kIo, node, message, err != 0 ? err : EIO);
}

Result<void> Teardown(const MintNode& node, sys::MintDevice& device, sys::PciDriverControl& pci,
                      Ledger& ledger, std::vector<std::string>& log) {
  auto entry = ledger.Read(node.name);
  if (!entry.ok()) return entry.take_error();  // nothing done: mend or move the file first
  log.push_back("NODE_DESTROY " + node.name + " (id " + std::to_string(node.id) + ")");
  auto destroyed = device.Destroy(node.id);
  if (!destroyed.ok()) {
    Error e = destroyed.take_error();
    log.push_back("   failed: " + e.ToString());
    if (!node.devices.empty()) e.message += "; nothing was given back to node0";
    return e;
  }
  if (auto forgot = ledger.ForgetCpus(node.name); !forgot.ok())
    log.push_back("   ledger: " + forgot.error().ToString());
  std::vector<LedgerFunction> moved = *entry ? (*entry)->functions : std::vector<LedgerFunction>{};
  for (const auto& bdf : node.devices) {
    bool listed = std::any_of(moved.begin(), moved.end(),
                              [&](const LedgerFunction& f) { return f.bdf == bdf; });
    if (!listed)
      log.push_back(bdf.ToString() +
                    ": mint's ledger has no record of moving it off a node0 driver, so it is left "
                    "as it is (if it is on pci-stub and node0 should have it: echo > "
                    "/sys/bus/pci/devices/" +
                    bdf.ToString() + "/driver_override; echo " + bdf.ToString() +
                    " > /sys/bus/pci/drivers/pci-stub/unbind; echo " + bdf.ToString() +
                    " > /sys/bus/pci/drivers_probe)");
  }
  return GiveBack(node.name, moved, pci, ledger, log);
}

}  // namespace mint::apply
