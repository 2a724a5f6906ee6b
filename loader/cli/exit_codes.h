// mintctl's exit codes, and the one place an Error becomes one; how an
// error is printed.
#pragma once

#include <ostream>

#include "mint/result.h"

namespace mint::cli {

enum ExitCode : int {
  kExitOk = 0,       // done
  kExitUsage = 1,    // bad command line, or a malformed/contradictory node description
  kExitRefused = 2,  // the plan refused: this host cannot do what was asked
  kExitFailed = 3,   // a host or kernel operation failed (I/O, ioctl, a bug)
  kExitNoMint = 4,   // this kernel has no mint support (/dev/mint, /sys/kernel/mint)
};

// mintctl exec returns the command's own status; its own failures are 255.
inline constexpr int kExecFailed = 255;

// The text `mintctl --help` ends with; docs/mintctl.md says the same.
extern const char* const kExitCodesHelp;

int ExitCodeFor(const Error& error);

// "mintctl: <context>: <message>\n" on `err`, as PrintableText: errors
// carry what nodes wrote (a reason, console lines, an agent's words).
void PrintError(const Error& error, std::ostream& err);

}  // namespace mint::cli
