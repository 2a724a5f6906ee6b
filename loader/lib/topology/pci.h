// PCI functions through libpci's sysfs back end, pointed at a root
// directory ("/" or a captured tree). Internal to mint_topology.
#pragma once

#include <string>
#include <vector>

#include "mint/model.h"

namespace mint::topology::internal {

// Every function under ROOT/sys/bus/pci/devices with class, ids, bound
// driver, MSI/MSI-X capability, IOMMU group, NUMA node and libpci's name.
// An empty list when ROOT has no /sys/bus/pci/devices.
Result<std::vector<PciFunction>> ReadPciFunctions(const std::string& root);

}  // namespace mint::topology::internal
