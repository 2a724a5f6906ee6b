// libpci glue: scans ROOT/sys/bus/pci with PCI_ACCESS_SYS_BUS_PCI and turns
// each pci_dev into a PciFunction (all but the bound driver, see
// ReadPciDrivers in topology.cpp). libpci's error hook must not return (its
// default prints and exits), so it long-jumps back to a guard whose frames
// hold only trivially destructible locals; the message becomes an Error.
// Device names come from libpci's own pci.ids (a names database of the
// machine running mintctl, not host state, so it is not part of a capture).
#include "pci.h"

extern "C" {
#include <pci/pci.h>
}

#include <algorithm>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace mint::topology::internal {
namespace {

// One function as libpci reported it; plain data so the guarded phase can
// fill it without constructing C++ objects a long jump would skip.
struct RawFunction {
  int domain, bus, dev, func;
  unsigned vendor, device, device_class, prog_if;
  int msi, msix, numa_node, iommu_group;
  char name[128];
};

thread_local std::jmp_buf* g_jump = nullptr;
thread_local char g_message[512];

__attribute__((noreturn)) void OnPciError(char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_message, sizeof g_message, format, args);
  va_end(args);
  std::longjmp(*g_jump, 1);
}
// Warnings (a config file that cannot be opened, a missing names file)
// leave fields at their defaults; they are not errors for topology.
void OnPciWarning(char*, ...) {}
void OnPciDebug(char*, ...) {}

void CopyString(char* dest, size_t size, const char* src) {
  std::snprintf(dest, size, "%s", src != nullptr ? src : "");
}

// Returns 0 after scanning (count set), 1 if libpci reported an error.
int GuardedScan(pci_access* access, int* count) {
  std::jmp_buf jump;
  g_jump = &jump;
  if (setjmp(jump) != 0) return 1;
  pci_init(access);
  pci_scan_bus(access);
  *count = 0;
  for (pci_dev* dev = access->devices; dev != nullptr; dev = dev->next) ++*count;
  return 0;
}

int GuardedFill(pci_access* access, RawFunction* out, int max) {
  std::jmp_buf jump;
  g_jump = &jump;
  if (setjmp(jump) != 0) return 1;
  int i = 0;
  for (pci_dev* dev = access->devices; dev != nullptr && i < max; dev = dev->next, ++i) {
    RawFunction& raw = out[i];
    std::memset(&raw, 0, sizeof raw);
    pci_fill_info(dev, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_CAPS |
                           PCI_FILL_EXT_CAPS | PCI_FILL_IRQ | PCI_FILL_IOMMU_GROUP |
                           PCI_FILL_NUMA_NODE);
    raw.domain = dev->domain;
    raw.bus = dev->bus;
    raw.dev = dev->dev;
    raw.func = dev->func;
    raw.vendor = dev->vendor_id;
    raw.device = dev->device_id;
    raw.device_class = dev->device_class;
    raw.prog_if = dev->prog_if;
    raw.msi = pci_find_cap(dev, PCI_CAP_ID_MSI, PCI_CAP_NORMAL) != nullptr;
    raw.msix = pci_find_cap(dev, PCI_CAP_ID_MSIX, PCI_CAP_NORMAL) != nullptr;
    raw.numa_node = dev->numa_node;
    const char* group = pci_get_string_property(dev, PCI_FILL_IOMMU_GROUP);
    raw.iommu_group = -1;
    if (group != nullptr && group[0] >= '0' && group[0] <= '9') {
      raw.iommu_group = static_cast<int>(std::strtol(group, nullptr, 10));
    }
    char name[128];
    const char* looked_up = pci_lookup_name(
        access, name, sizeof name, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB, raw.vendor, raw.device);
    CopyString(raw.name, sizeof raw.name, looked_up);
  }
  return 0;
}

}  // namespace

Result<std::vector<PciFunction>> ReadPciFunctions(const std::string& root) {
  std::string sysfs = (root == "/" ? std::string() : root) + "/sys/bus/pci";
  pci_access* access = pci_alloc();
  access->error = OnPciError;
  access->warning = OnPciWarning;
  access->debug = OnPciDebug;
  access->method = PCI_ACCESS_SYS_BUS_PCI;
  // pci_set_param keeps the pointer: sysfs outlives access.
  pci_set_param(access, const_cast<char*>("sysfs.path"), sysfs.data());
  pci_set_param(access, const_cast<char*>("hwdb.disable"), const_cast<char*>("1"));

  int count = 0;
  std::vector<RawFunction> raw;
  bool failed = GuardedScan(access, &count) != 0;
  if (!failed) {
    raw.resize(static_cast<size_t>(count));
    failed = GuardedFill(access, raw.data(), count) != 0;
  }
  g_jump = nullptr;
  pci_cleanup(access);
  if (failed) {
    return MakeError(ErrorCode::kIo, "/sys/bus/pci",
                     std::string("libpci: ") + g_message +
                         "; the PCI tree is damaged or incomplete (capture the host again with "
                         "tools/collect-host)");
  }

  std::vector<PciFunction> functions;
  for (const RawFunction& r : raw) {
    PciFunction f;
    f.bdf = PciBdf{static_cast<uint16_t>(r.domain), static_cast<uint8_t>(r.bus),
                   static_cast<uint8_t>(r.dev), static_cast<uint8_t>(r.func)};
    f.class_code = (r.device_class << 8) | (r.prog_if & 0xff);
    f.vendor = static_cast<uint16_t>(r.vendor);
    f.device = static_cast<uint16_t>(r.device);
    // f.driver: read from the "driver" link by topology.cpp (ReadPciDrivers).
    f.msi = r.msi != 0;
    f.msix = r.msix != 0;
    if (r.iommu_group >= 0) f.iommu_group = r.iommu_group;
    f.numa_node = r.numa_node;
    f.description = r.name;
    functions.push_back(std::move(f));
  }
  std::sort(functions.begin(), functions.end(),
            [](const PciFunction& a, const PciFunction& b) { return a.bdf < b.bdf; });
  return functions;
}

}  // namespace mint::topology::internal
