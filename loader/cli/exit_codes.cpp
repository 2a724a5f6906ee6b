// ErrorCode -> exit code, in one place.
#include "exit_codes.h"

#include "mint/text.h"

namespace mint::cli {

const char* const kExitCodesHelp =
    "Exit codes:\n"
    "  0  done\n"
    "  1  usage: bad command line, or a malformed or contradictory node description\n"
    "  2  refused: the plan refused (unknown, busy or unsuitable CPUs, memory or devices)\n"
    "  3  failed: a host or kernel operation failed (read, write, ioctl)\n"
    "  4  no mint: this kernel has no mint support (/dev/mint or /sys/kernel/mint missing)\n"
    "mintctl exec returns the command's exit status (128 + signal when it was killed, 127 when\n"
    "the program was not found, 126 when it could not run) and 255 for its own failures.\n";

int ExitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
    case ErrorCode::kInsufficient:
      return kExitRefused;
    case ErrorCode::kUnsupported:
      // sys and the status/console readers name these two when mint is absent.
      if (error.context == "/dev/mint" || error.context == "/sys/kernel/mint") return kExitNoMint;
      return kExitRefused;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return kExitFailed;
  }
  return kExitFailed;
}

void PrintError(const Error& error, std::ostream& err) {
  err << "mintctl: " << PrintableText(error.ToString()) << "\n";
}

}  // namespace mint::cli
