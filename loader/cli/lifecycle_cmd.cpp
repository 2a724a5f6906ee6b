// mintctl stop and mintctl destroy: the end of a node's life. stop asks the
// node to shut down (or, with --force, INITs its CPUs); destroy gives its
// CPUs, memory and PCI functions back to node0 and puts each function back
// on the driver the kernel picks for it (driver_override cleared, probe).
#include "commands.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"
#include "mint_fs.h"

namespace mint::cli {
namespace {

Result<MintNode> FindNode(const Host& host, const std::string& name) {
  if (!host.topology.mint.present) return NoMintError();
  for (const auto& n : host.topology.mint.nodes)
    if (n.name == name) return n;
  return MakeError(ErrorCode::kNotFound, name,
                   "no node with this name; mintctl status lists the nodes");
}

}  // namespace

Result<void> RunStop(const Globals& globals, const std::string& name, bool force,
                     uint32_t timeout_ms, std::ostream& out) {
  MINT_TRY(Host host, LoadHost(globals));
  MINT_TRY(MintNode node, FindNode(host, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  MINT_CHECK(device->Stop(node.id, force, timeout_ms));
  out << name << (force ? " stopped (forced)" : " stopped") << "; mintctl destroy " << name
      << " gives its resources back to node0\n";
  return Ok();
}

Result<void> RunDestroy(const Globals& globals, const std::string& name, std::ostream& out) {
  MINT_TRY(Host host, LoadHost(globals));
  MINT_TRY(MintNode node, FindNode(host, name));
  if (node.state == "running" || node.state == "booting" || node.state == "stopping")
    return MakeError(ErrorCode::kConflict, name,
                     "the node is " + node.state + "; stop it first (mintctl stop " + name +
                         ", or mintctl stop --force " + name + ")");
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  MINT_CHECK(device->Destroy(node.id));
  auto pci = sys::MakePciDriverControl(*host.fs);
  for (const auto& bdf : node.devices) {
    auto back = pci->Restore(bdf, "");
    if (!back.ok()) {
      Error e = back.take_error();
      e.message += "; " + name + " is destroyed but " + bdf.ToString() +
                   " is still on pci-stub: bind it by hand";
      return e;
    }
  }
  out << name << " destroyed: CPUs " << FormatCpuList(node.cpus) << " back in node0";
  if (!node.devices.empty()) out << ", " << node.devices.size() << " PCI function(s) reprobed";
  out << "\n";
  return Ok();
}

}  // namespace mint::cli
