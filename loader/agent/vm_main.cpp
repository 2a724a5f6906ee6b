// `mint-agent vm` (vm_main.h): argv (CLI11) -> one mint::vm call -> JSON or
// raw bytes on stdout, an Error's one line on stderr, the exit code.
#include "vm_main.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "mint/vm.h"

namespace mint::agent {
namespace {

using std::chrono::milliseconds;

bool WriteOut(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(1, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // stdout closed: the reader is gone
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int ExitFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
    case ErrorCode::kInsufficient:
    case ErrorCode::kUnsupported:
      return kVmExitRefused;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return kVmExitFailed;
  }
  return kVmExitFailed;
}

int Report(const Error& error, int code) {
  std::string line = "mint-agent vm: " + error.ToString();
  for (char& c : line)
    if (c == '\n') c = ' ';
  std::cerr << line << "\n";
  return code;
}

template <typename T>
int Print(const Result<T>& result, std::string (*encode)(const T&)) {
  if (!result.ok()) return Report(result.error(), ExitFor(result.error()));
  WriteOut(encode(*result) + "\n");
  return kVmExitOk;
}

// This node's name for messages: its hostname (node-init sets it from mint_node_name=).
std::string NodeName(const vm::VmHost& host) {
  std::string path = host.root + "/proc/sys/kernel/hostname";
  FILE* f = std::fopen(path.c_str(), "r");
  std::string name;
  if (f != nullptr) {
    char buf[256];
    if (std::fgets(buf, sizeof buf, f) != nullptr) name = TrimTrailing(buf);
    std::fclose(f);
  }
  return name.empty() ? "this node" : name;
}

}  // namespace

int VmMain(int argc, char** argv) {
  CLI::App app{"mint-agent vm: this node's KVM guests (node0's mintctl vm runs these)", "vm"};
  app.require_subcommand(1);
  app.footer(
      "Prints JSON (docs/vm.md). Exit codes: 0 done, 2 refused (invalid, not found, in use, too "
      "little room, unsupported), 1 failed; vm exec: the command's status, 255 for its own "
      "failures.");
  vm::VmHost host;
  app.add_option("--root", host.root, "Work under DIR instead of / (tests)")->option_text("DIR");
  app.add_option("--qemu", host.qemu, "QEMU to run (tests)")->capture_default_str();

  std::string spec_json, name;
  int64_t timeout_ms = 30000;
  bool follow = false;
  std::vector<std::string> cmd, files;
  auto* start = app.add_subcommand("start", "Start a guest: vm start SPEC-JSON");
  start->add_option("SPEC", spec_json, "The guest spec, JSON")->required();
  auto* list = app.add_subcommand("list", "Print every guest (a JSON array)");
  auto* stop = app.add_subcommand("stop", "Power a guest off, then SIGTERM, then SIGKILL");
  stop->add_option("NAME", name, "Guest name")->required();
  stop->add_option("--timeout-ms", timeout_ms, "How long the guest may take to power off")
      ->capture_default_str();
  auto* kill = app.add_subcommand("kill", "SIGKILL a guest's QEMU");
  kill->add_option("NAME", name, "Guest name")->required();
  auto* rm = app.add_subcommand("rm", "Forget a guest that is not running (its disk stays)");
  rm->add_option("NAME", name, "Guest name")->required();
  auto* console = app.add_subcommand("console", "Print a guest's console (raw bytes)");
  console->add_option("NAME", name, "Guest name")->required();
  console->add_flag("-f,--follow", follow, "Keep printing until the guest ends");
  auto* exec = app.add_subcommand("exec", "Run a command in a guest: vm exec NAME -- CMD...");
  exec->add_option("NAME", name, "Guest name")->required();
  exec->add_option("--timeout-ms", timeout_ms, "Give up after N ms (exit 255)")
      ->capture_default_str();
  exec->add_option("CMD", cmd, "The command and its arguments, after --")->required();
  auto* facts = app.add_subcommand("facts", "Print what a start is checked against (JSON)");
  facts->add_option("--file", files, "Report whether this file is missing (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mint-agent vm: " << e.what() << "\n";
    return exec->parsed() ? kVmExecFailed : kVmExitRefused;
  }
  host.node = NodeName(host);
  if (timeout_ms < 0) timeout_ms = 0;
  const milliseconds timeout{timeout_ms};

  if (*start) {
    auto spec = vm::GuestSpecFromJson(spec_json);
    if (!spec.ok()) return Report(spec.error(), kVmExitRefused);
    return Print(vm::Start(host, host.node, *spec), vm::GuestStatusToJson);
  }
  if (*list) return Print(vm::List(host), vm::GuestListToJson);
  if (*stop) return Print(vm::Stop(host, name, timeout), vm::GuestStatusToJson);
  if (*kill) return Print(vm::Kill(host, name), vm::GuestStatusToJson);
  if (*rm) {
    auto r = vm::Remove(host, name);
    return r.ok() ? kVmExitOk : Report(r.error(), ExitFor(r.error()));
  }
  if (*console) {
    auto r = vm::Console(host, name, follow, WriteOut);
    return r.ok() ? kVmExitOk : Report(r.error(), ExitFor(r.error()));
  }
  if (*exec) {
    std::string output;
    auto status = vm::Exec(host, name, cmd, output, timeout);
    if (!status.ok()) return Report(status.error(), kVmExecFailed);
    WriteOut(output);
    return *status;
  }
  if (*facts) {
    if (files.size() > vm::kMaxGuests)
      return Report(MakeError(ErrorCode::kInvalidArgument, "--file",
                              "more than " + std::to_string(vm::kMaxGuests) + " files"),
                    kVmExitRefused);
    return Print(vm::ReadFacts(host, host.node, files), vm::NodeFactsToJson);
  }
  return kVmExitRefused;
}

}  // namespace mint::agent
