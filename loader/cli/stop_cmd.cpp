// mintctl stop and mintctl kill: ask a node to shut down, or park its CPUs
// at once (INIT) when it is hung. Both hold the host lock; a leftover that
// cannot be recovered only warns, so a hung node can always be killed.
#include <iostream>

#include "commands.h"
#include "host_lock.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {

Result<void> RunStop(const Globals& globals, const std::string& name, bool force,
                     uint32_t timeout_ms, std::ostream& out) {
  // Parking a node's own CPUs takes nothing: a leftover that cannot be
  // recovered must not keep the operator from killing a hung node.
  MINT_TRY(HostLock held, LockHost(globals, (force ? "kill " : "stop ") + name, std::cerr,
                                   IfRecoveryFails::kWarn));
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  if (force)
    MINT_CHECK(lifecycle::Kill(*device, node));
  else
    MINT_CHECK(device->Stop(node.id, false, timeout_ms));
  if (force)
    out << name << " killed (its CPUs are parked); mintctl restart " << name
        << " boots it again, mintctl destroy " << name << " gives its resources back to node0\n";
  else
    out << name << " stopped; mintctl destroy " << name << " gives its resources back to node0\n";
  return Ok();
}

}  // namespace mint::cli
