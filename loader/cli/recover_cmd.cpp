// mintctl recover: what a killed mintctl left, recovered under the host
// lock (the lock does it: every mutating mintctl recovers first), and said.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "host_lock.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {

Result<void> RunRecover(const Globals& globals, std::ostream& out) {
  if (!std::filesystem::exists(sys::MintDevicePath(globals.root)))
    return MakeError(ErrorCode::kUnsupported, "/dev/mint",
                     "this kernel has no mint support: /dev/mint is missing; boot node0 with the "
                     "mint kernel (see README)");
  std::ostringstream notes;
  MINT_TRY(HostLock held, LockHost(globals, "recover", notes));
  if (held.log.empty()) {
    out << "nothing to recover: no node is left created or loaded, mint's ledger lists nothing "
           "left to give back, no boot recipe is orphaned\n";
    return Ok();
  }
  for (const auto& line : held.log) out << line << "\n";
  return Ok();
}

}  // namespace mint::cli
