// mintctl's entry point: the command line (CLI11), one call into the
// subcommand, and the one place an error is printed ("mintctl: <context>:
// <message>" on stderr, once) and turned into the exit code.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <map>

#include "commands.h"
#include "exit_codes.h"

namespace mint::cli {
namespace {

// A CLI11 validator: the option's text must be a number `ok` takes (NaN
// never is); CLI11 then says "--OPTION: TEXT is not WANT" (exit 1, exec 255).
CLI::Validator NumberCheck(std::function<bool(double)> ok, const std::string& want) {
  return CLI::Validator(
      [ok, want](std::string& text) -> std::string {
        double value = 0;
        if (CLI::detail::lexical_cast(text, value) && ok(value)) return "";
        return text + " is not " + want;
      },
      "", "NUMBER");
}

// Seconds for exec's and vm exec's --timeout: above 0 (at most ~31 years, so
// the milliseconds fit).
constexpr double kMaxTimeoutS = 1e9;
const CLI::Validator& TimeoutSeconds() {
  static const CLI::Validator check =
      NumberCheck([](double s) { return s > 0 && s <= kMaxTimeoutS; },
                  "a number of seconds above 0 (at most 1000000000), e.g. 30");
  return check;
}

void AddNodeOptions(CLI::App* cmd, NodeArgs& a) {
  cmd->add_option("NODE", a.flags.name, "Node name, e.g. node1 (or name: in the file)");
  cmd->add_option("-f,--file", a.file, "nodeconf YAML file describing the node");
  cmd->add_option("--cores", a.flags.cores, "CPU count (2) or list of CPUs (2-3)");
  cmd->add_option("--numa,--numa-node", a.flags.numa_node,
                  "NUMA node to take CPUs and memory from");
  cmd->add_option("--mem", a.flags.memory, "Memory, e.g. 512M or 1G (default 512M)");
  cmd->add_option("--disk", a.flags.disks, "Disk to give the node, e.g. sdb (repeatable)");
  cmd->add_option("--nic", a.flags.nics, "Network interface to give the node (repeatable)");
  cmd->add_option("--pci", a.flags.pcis,
                  "PCI function to give the node, 0000:03:00.0 (repeatable)");
  cmd->add_option("--kernel", a.flags.kernel, "Kernel image (default /boot/mint/bzImage)");
  cmd->add_option("--initrd", a.flags.initrd, "Initramfs (default /boot/mint/node-initrd.img)");
  cmd->add_option("--cmdline", a.flags.cmdline, "Extra kernel command line for the node");
  cmd->add_option("--on-crash", a.flags.on_crash, "stop or restart");
  cmd->add_flag("--kvm", a.flags.kvm,
                "Boot the node able to host guests (adds the VMM layer) with none declared");
  cmd->add_flag("--no-iommu", a.flags.no_iommu,
                "Do not fence the node's devices with node0's IOMMU (their DMA reaches all of "
                "memory; node0 needs iommu=pt or no IOMMU)");
}

struct VmArgs {
  std::string node, guest;
  config::GuestFlags flags;
  std::optional<std::string> list_node;
  bool follow = false;
  uint32_t stop_timeout_s = 30;
  double exec_timeout_s = 60;
  std::vector<std::string> argv;
};

// mintctl vm VERB NODE GUEST ...: one CLI11 subcommand per verb.
CLI::App* AddVm(CLI::App& app, VmArgs& a, std::map<std::string, CLI::App*>& verbs) {
  auto* vm = app.add_subcommand("vm", "KVM guests inside a node (NODE node0: node0's own KVM)");
  vm->require_subcommand(1);
  auto node_guest = [&](CLI::App* cmd) {
    cmd->add_option("NODE", a.node, "Node name (node0 for node0's own KVM)")->required();
    cmd->add_option("GUEST", a.guest, "Guest name")->required();
  };
  auto* start = verbs["start"] = vm->add_subcommand("start", "Start a guest in a node");
  node_guest(start);
  start->add_option("--vcpus", a.flags.vcpus, "vCPUs (default 1)");
  start->add_option("--mem", a.flags.memory, "Guest memory (default 256M)");
  start->add_option("--kernel", a.flags.kernel, "Guest kernel, a path in the node");
  start->add_option("--initrd", a.flags.initrd, "Guest initramfs, a path in the node");
  start->add_option("--cmdline", a.flags.cmdline, "Extra guest kernel command line");
  start->add_option("--image", a.flags.image, "Bootable raw disk image (instead of --kernel)");
  start->add_option("--disk", a.flags.disk,
                    "Raw disk file for the guest, a path in the node (created if missing)");
  start->add_option("--disk-size", a.flags.disk_size, "Size of a new disk file (default 64M)");
  start->add_flag("--net", a.flags.net, "User networking on the node's own network");
  start->add_option("--port", a.flags.ports,
                    "Forward the node's TCP port to the guest, NODEPORT:GUESTPORT (repeatable)");
  auto* list = verbs["list"] = vm->add_subcommand("list", "Show guests (of every node, or NODE)");
  list->add_option("NODE", a.list_node, "Only this node's guests");
  auto* stop = verbs["stop"] =
      vm->add_subcommand("stop", "Ask a guest to power off (forced after --timeout)");
  node_guest(stop);
  stop->add_option("--timeout", a.stop_timeout_s, "Seconds before it is forced")
      ->capture_default_str();
  node_guest(verbs["kill"] = vm->add_subcommand("kill", "Kill a guest's VMM at once"));
  node_guest(verbs["rm"] = vm->add_subcommand("rm", "Forget a guest that is not running"));
  auto* console = verbs["console"] =
      vm->add_subcommand("console", "Print a guest's serial console");
  node_guest(console);
  console->add_flag("-f,--follow", a.follow, "Keep printing while the guest runs");
  auto* exec = verbs["exec"] =
      vm->add_subcommand("exec", "Run a command in a guest: mintctl vm exec NODE GUEST -- CMD...");
  node_guest(exec);
  exec->add_option("CMD", a.argv, "The command and its arguments, after --")->required();
  exec->add_option("--timeout", a.exec_timeout_s, "Give up after S seconds (exit 255)")
      ->capture_default_str()
      ->check(TimeoutSeconds());
  for (auto& [name, cmd] : verbs) cmd->footer(kExitCodesHelp);
  return vm;
}

int Run(int argc, char** argv) {
  CLI::App app{"mintctl: run several Linux kernels side by side on this machine (mint)", "mintctl"};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  Globals g;
  app.add_option("--root", g.root,
                 "Read host state (/proc, /sys, /dev/mint) under DIR instead of /")
      ->option_text("DIR");
  app.add_flag("--json", g.json, "Print JSON for scripts instead of tables");
  app.add_option("--lock-wait", g.lock_wait_s,
                 "Seconds to wait for another mintctl holding /run/mint/lock")
      ->capture_default_str();

  NodeArgs plan_args, boot_args;
  auto* topology = app.add_subcommand("topology", "Show CPUs, memory, PCI functions, disks, NICs");
  auto* plan = app.add_subcommand("plan", "Show what booting a node would do (changes nothing)");
  AddNodeOptions(plan, plan_args);
  auto* boot = app.add_subcommand("boot", "Plan a node, then create and start it");
  AddNodeOptions(boot, boot_args);
  uint32_t wait_s = 60;
  boot->add_option("--wait", wait_s, "Seconds to wait for the node to report running (0: none)")
      ->capture_default_str();
  bool boot_timings = false;
  boot->add_flag("--timings", boot_timings,
                 "After the rest, each phase's time (mintctl's and the node kernel's)");
  auto* status = app.add_subcommand("status", "Show the nodes, their state and heartbeat");
  std::string console_node;
  bool follow = false;
  auto* console = app.add_subcommand("console", "Print a node's console");
  console->add_option("NODE", console_node, "Node name")->required();
  console->add_flag("-f,--follow", follow, "Keep printing what the node writes");
  std::string stop_node, destroy_node;
  bool force = false;
  uint32_t timeout_ms = 10000;
  auto* stop = app.add_subcommand("stop", "Stop a node (ask it; --force: INIT its CPUs)");
  stop->add_option("NODE", stop_node, "Node name")->required();
  stop->add_flag("--force", force, "Do not ask the node; stop its CPUs at once");
  stop->add_option("--timeout-ms", timeout_ms, "How long a graceful stop waits")
      ->capture_default_str();
  auto* destroy = app.add_subcommand("destroy", "Give a stopped node's CPUs, memory, devices back");
  destroy->add_option("NODE", destroy_node, "Node name")->required();
  std::string kill_node, restart_node, exec_node;
  auto* kill = app.add_subcommand("kill", "Stop a node at once (INIT its CPUs): for hung nodes");
  kill->add_option("NODE", kill_node, "Node name")->required();
  auto* restart = app.add_subcommand(
      "restart", "Boot a node again: same CPUs, memory, devices, kernel, initrd and cmdline");
  restart->add_option("NODE", restart_node, "Node name")->required();
  uint32_t restart_wait_s = 60, restart_timeout_ms = 10000;
  restart
      ->add_option("--wait", restart_wait_s, "Seconds to wait for running and the agent (0: none)")
      ->capture_default_str();
  restart
      ->add_option("--timeout-ms", restart_timeout_ms,
                   "How long a running node may take to stop before it is forced")
      ->capture_default_str();
  bool restart_timings = false;
  restart->add_flag("--timings", restart_timings,
                    "After the rest, each phase's time (mintctl's and the node kernel's)");
  auto* exec = app.add_subcommand("exec", "Run a command in a node: mintctl exec NODE -- CMD...");
  exec->add_option("NODE", exec_node, "Node name")->required();
  std::vector<std::string> exec_argv;
  exec->add_option("CMD", exec_argv,
                   "The command and its arguments, after -- (with -t, default: a login shell)");
  std::optional<double> exec_timeout;
  exec->add_option("--timeout", exec_timeout, "Kill the command after S seconds (exit 255)")
      ->check(TimeoutSeconds());
  bool exec_input = false, exec_tty = false;
  exec->add_flag("-i,--interactive", exec_input,
                 "Forward mintctl's stdin to the command (without it: /dev/null)");
  exec->add_flag("-t,--tty", exec_tty,
                 "Run the command on a terminal in the node, ours in raw mode (implies -i)");
  auto* ping = app.add_subcommand(
      "ping", "Time round trips to a node's mint-agent over the channel (nothing runs)");
  std::string ping_node;
  ping->add_option("NODE", ping_node, "Node name")->required();
  uint32_t ping_count = 4;
  double ping_interval_s = 1.0;
  ping->add_option("-c,--count", ping_count, "How many PINGs")
      ->capture_default_str()
      ->check(NumberCheck(
          [](double n) { return n >= 1 && n <= 100000 && n == static_cast<uint32_t>(n); },
          "a whole number from 1 to 100000"));
  ping->add_option("-i,--interval", ping_interval_s, "Seconds between PINGs (0: none)")
      ->capture_default_str()
      ->check(NumberCheck([](double s) { return s >= 0 && s <= 3600; }, "seconds from 0 to 3600"));
  auto* watch =
      app.add_subcommand("watch", "Apply each node's on_crash (restart|stop); one line per event");
  uint32_t interval_ms = 200;
  // Each look reads every node's sysfs files: 0 would spin a CPU of node0.
  watch->add_option("--interval", interval_ms, "Milliseconds between looks at the nodes")
      ->capture_default_str()
      ->check(NumberCheck(
          [](double ms) { return ms >= 10 && ms <= 3600000 && ms == static_cast<uint32_t>(ms); },
          "a whole number of milliseconds from 10 to 3600000"));
  auto* relay = app.add_subcommand(
      "relay", "Serve a node's channel to exec, ping and vm (they start it; runs until the node ends)");
  std::string relay_node;
  relay->add_option("NODE", relay_node, "Node name")->required();
  auto* recover = app.add_subcommand(
      "recover", "Undo what a killed mintctl left (half-made nodes, stranded devices)");
  VmArgs vm_args;
  std::map<std::string, CLI::App*> vm_verbs;
  auto* vm = AddVm(app, vm_args, vm_verbs);
  for (auto* sub : {topology, plan, boot, status, console, stop, destroy, kill, restart, exec, ping,
                    watch, relay, recover, vm})
    sub->footer(kExitCodesHelp);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mintctl: " << e.what() << "\nRun mintctl --help for usage.\n";
    // exec's own failures are 255, so a command's status 1 stays unambiguous.
    for (int i = 1; i < argc && std::string(argv[i]) != "--"; ++i)
      if (std::string(argv[i]) == "exec") return kExecFailed;
    return kExitUsage;
  }
  if (*exec) return RunExec(g, exec_node, exec_timeout, {exec_input, exec_tty}, exec_argv);
  if (*vm_verbs["exec"])
    return RunVmExec(g, vm_args.node, vm_args.guest, vm_args.exec_timeout_s, vm_args.argv);

  Result<void> result = Ok();
  if (*topology) result = RunTopology(g, std::cout);
  if (*plan) result = RunPlan(g, plan_args, std::cout);
  if (*boot) result = RunBootNode(g, boot_args, wait_s, boot_timings, std::cout);
  if (*stop) result = RunStop(g, stop_node, force, timeout_ms, std::cout);
  if (*kill) result = RunStop(g, kill_node, true, 0, std::cout);
  if (*restart)
    result =
        RunRestart(g, restart_node, restart_wait_s, restart_timeout_ms, restart_timings, std::cout);
  if (*watch) result = RunWatch(g, interval_ms, std::cout);
  if (*ping) result = RunPing(g, ping_node, ping_count, ping_interval_s, std::cout);
  if (*relay) result = RunRelay(g, relay_node, std::cerr);
  if (*recover) result = RunRecover(g, std::cout);
  if (*destroy) result = RunDestroy(g, destroy_node, std::cout);
  if (*status) result = RunStatus(g, std::cout);
  if (*console) result = RunConsole(g, console_node, follow, std::cout);
  vm_args.flags.name = vm_args.guest;
  if (*vm_verbs["start"]) result = RunVmStart(g, vm_args.node, vm_args.flags, std::cout);
  if (*vm_verbs["list"]) result = RunVmList(g, vm_args.list_node, std::cout);
  if (*vm_verbs["stop"] || *vm_verbs["kill"])
    result = RunVmStop(g, vm_args.node, vm_args.guest, vm_verbs["kill"]->parsed(),
                       vm_args.stop_timeout_s, std::cout);
  if (*vm_verbs["rm"]) result = RunVmRemove(g, vm_args.node, vm_args.guest, std::cout);
  if (*vm_verbs["console"]) result = RunVmConsole(g, vm_args.node, vm_args.guest, vm_args.follow);
  std::cout.flush();
  if (result.ok()) return kExitOk;
  PrintError(result.error(), std::cerr);
  return ExitCodeFor(result.error());
}

}  // namespace
}  // namespace mint::cli

int main(int argc, char** argv) {
  // Every error is a Result; an exception here is a bug. Say so instead of
  // aborting (exit 134) with a C++ runtime message.
  try {
    return mint::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mintctl: internal error: " << e.what()
              << "; please report it with the command that caused it\n";
    return mint::cli::kExitFailed;
  }
}
