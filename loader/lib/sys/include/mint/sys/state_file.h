// The files mint keeps under /run/mint about what it did (boot recipes,
// the ledger, watch's restart counts) are replaced whole, atomically and
// durably: written to a temporary file beside the old one, fsync'd,
// renamed over it, and the directory fsync'd; a crash or a killed mintctl
// leaves the old file or the new one, never a part of either.
#pragma once

#include <string>
#include <string_view>

#include "mint/result.h"

namespace mint::sys {

// Creates the file's directory if needed. Errors name the path: "cannot
// create its directory (...)", "cannot write it", "cannot rename TMP to it".
Result<void> WriteStateFile(const std::string& path, std::string_view text);

// fsyncs `dir`, so a rename or removal in it is durable (best effort: a
// directory that cannot be opened is left as it is).
void SyncDirectory(const std::string& dir);

}  // namespace mint::sys
