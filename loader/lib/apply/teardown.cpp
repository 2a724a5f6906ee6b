// Teardown and GiveBack: the end of a node. NODE_DESTROY first (the kernel
// resets the node's functions and drops their ownership), then each function
// back on node0's drivers through PciDriverControl::Restore. Used by
// `mintctl destroy` and `mintctl recover`; the ordering rule (destroy, then
// give back; nothing given back if destroy failed) lives only here.
#include <cerrno>

#include "mint/apply.h"

namespace mint::apply {

Result<void> GiveBack(const std::string& who, const std::vector<PciBdf>& functions,
                      sys::PciDriverControl& pci, std::vector<std::string>& log) {
  std::vector<std::pair<PciBdf, Error>> failed;
  for (const auto& bdf : functions) {
    log.push_back("give " + bdf.ToString() +
                  " back to node0: driver_override cleared, drivers_probe, SCSI hosts scanned");
    auto back = pci.Restore(bdf, "");
    if (!back.ok()) {
      log.push_back("   failed: " + back.error().ToString());
      failed.emplace_back(bdf, back.take_error());
    }
  }
  if (failed.empty()) return Ok();
  std::string message = std::to_string(failed.size()) + " of " + std::to_string(functions.size()) +
                        " function(s) did not come back to node0:";
  std::string by_hand;
  for (const auto& [bdf, error] : failed) {
    std::string name = bdf.ToString();
    message += " " + name + ": " + error.ToString() + ";";
    by_hand += " echo > /sys/bus/pci/devices/" + name + "/driver_override; echo " + name +
               " > /sys/bus/pci/drivers/pci-stub/unbind; echo " + name +
               " > /sys/bus/pci/drivers_probe;";
  }
  message += " finish by hand:" + by_hand;
  message.pop_back();
  int err = failed.front().second.sys_errno;
  return MakeError(ErrorCode::kIo, who, message, err != 0 ? err : EIO);
}

Result<void> Teardown(const MintNode& node, sys::MintDevice& device, sys::PciDriverControl& pci,
                      std::vector<std::string>& log) {
  log.push_back("NODE_DESTROY " + node.name + " (id " + std::to_string(node.id) + ")");
  auto destroyed = device.Destroy(node.id);
  if (!destroyed.ok()) {
    Error e = destroyed.take_error();
    log.push_back("   failed: " + e.ToString());
    if (!node.devices.empty()) e.message += "; nothing was given back to node0";
    return e;
  }
  return GiveBack(node.name, node.devices, pci, log);
}

std::vector<PciBdf> StrandedFunctions(const HostTopology& host) {
  std::vector<PciBdf> stranded;
  for (const auto& f : host.pci)
    if (f.driver == sys::kStubDriver && host.OwnerOf(f.bdf) == nullptr) stranded.push_back(f.bdf);
  return stranded;
}

}  // namespace mint::apply
