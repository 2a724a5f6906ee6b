// The host lock as every mutating mintctl command takes it: flock on
// /run/mint/lock (under --root), then automatic recovery of what a killed
// mintctl left behind, each recovered thing said on stderr.
#pragma once

#include <ostream>
#include <set>
#include <string>

#include "host.h"
#include "mint/lifecycle.h"

namespace mint::cli {

struct HostLock {
  lifecycle::Lock lock;
  std::set<std::string> recovered;  // names of nodes torn down by the recovery
  std::vector<std::string> log;     // what recovery did
};

// What a failed recovery means for the command that took the lock.
enum class IfRecoveryFails {
  kRefuse,  // the command fails with the recovery's error (it may take resources)
  kWarn,    // "mintctl: warning: ..." on `note`, and the command goes on (stop, kill:
            // parking a node's own CPUs must work whatever else is left over)
};

// Without /dev/mint under the root nothing can be changed, so nothing is
// locked (and no /run/mint is created under a captured --root tree).
// `what` goes into the lock file ("boot node1"). `note` gets "waiting for
// ..." and one "recover: ..." line per recovery action.
Result<HostLock> LockHost(const Globals& globals, const std::string& what, std::ostream& note,
                          IfRecoveryFails if_fails = IfRecoveryFails::kRefuse);

}  // namespace mint::cli
