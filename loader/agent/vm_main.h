// `mint-agent vm VERB ...`: the node's guests, for node0's mintctl, which
// runs this through the exec channel and parses its stdout (JSON, the
// wire format of mint/vm.h and docs/vm.md). The only place mint::vm's
// results are printed and turned into exit codes.
#pragma once

namespace mint::agent {

// Exit codes: 0 done; 2 refused (invalid input, not found, conflict,
// insufficient, unsupported; also a bad command line); 1 another failure.
// `vm exec` exits with the command's status, and 255 for its own failures.
inline constexpr int kVmExitOk = 0;
inline constexpr int kVmExitFailed = 1;
inline constexpr int kVmExitRefused = 2;
inline constexpr int kVmExecFailed = 255;

// argv[0] is "vm".
int VmMain(int argc, char** argv);

}  // namespace mint::agent
