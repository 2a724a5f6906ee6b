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

// Without /dev/mint under the root nothing can be changed, so nothing is
// locked (and no /run/mint is created under a captured --root tree).
// `what` goes into the lock file ("boot node1"). `note` gets "waiting for
// ..." and one "recovered: ..." line per recovery action.
Result<HostLock> LockHost(const Globals& globals, const std::string& what, std::ostream& note);

}  // namespace mint::cli
