// Kill, Restart and WaitForAgent (mint/lifecycle.h).
#include <cerrno>
#include <cstdio>

#include "mint/boot.h"
#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

std::string Who(const NodeStatus& n) { return n.name + " (id " + std::to_string(n.id) + ")"; }

}  // namespace

Result<void> Kill(sys::MintDevice& device, const NodeStatus& node) {
  auto r = device.Stop(node.id, true, 0);
  if (!r.ok() && r.error().sys_errno != EALREADY) return r;
  return Ok();
}

Result<std::vector<uint8_t>> ReadInitrd(const std::string& initrd,
                                        const std::vector<std::string>& layers,
                                        const ReadFileFn& read_file) {
  MINT_TRY(std::vector<uint8_t> bytes, read_file(initrd));
  for (const std::string& layer : layers) {
    auto more = read_file(layer);
    if (!more.ok()) {
      Error e = more.take_error();
      e.message +=
          "; it is the VMM layer (QEMU and the default guest) that a node hosting "
          "guests boots with: install it there, or boot the node without guests and "
          "--kvm";
      return e;
    }
    boot::AppendInitrdLayer(bytes, *more);
  }
  return bytes;
}

Result<void> Restart(const std::string& root, sys::HostFs& fs, sys::MintDevice& device,
                     const std::string& name, const ReadFileFn& read_file,
                     const RestartOptions& options, std::vector<std::string>& log,
                     timing::Timeline* timeline) {
  using timing::Phase;
  MINT_TRY(NodeStatus node, FindNode(fs, name));
  MINT_TRY(Recipe recipe, ReadRecipe(root, name));
  std::optional<timing::Span> reading(std::in_place, timeline, Phase::kReadImages);
  auto kernel = read_file(recipe.kernel);
  if (!kernel.ok()) {
    Error e = kernel.take_error();
    e.message = "cannot read the kernel of " + name + "'s boot recipe (" + e.message +
                "); nothing was changed";
    return e;
  }
  auto initrd = ReadInitrd(recipe.initrd, recipe.initrd_layers, read_file);
  if (!initrd.ok()) {
    Error e = initrd.take_error();
    e.message = "cannot read the initramfs of " + name + "'s boot recipe (" + e.message +
                "); nothing was changed";
    return e;
  }
  reading.reset();
  if (!node.devices.empty() && !recipe.ecam)
    return MakeError(ErrorCode::kInvalidArgument, RecipePath(root, name),
                     "the node owns PCI functions but its boot recipe has no ECAM window; "
                     "destroy the node and boot it again");

  std::optional<timing::Span> stopping(std::in_place, timeline, Phase::kStop);
  if (node.state == NodeState::kRunning) {
    log.push_back("NODE_STOP " + Who(node) + ": asked to shut down (up to " +
                  std::to_string(options.stop_timeout_ms) + " ms)");
    auto stopped = device.Stop(node.id, false, options.stop_timeout_ms);
    if (!stopped.ok()) {
      log.push_back("   " + stopped.error().ToString() + "; forcing it");
      log.push_back("NODE_STOP " + Who(node) + ": forced");
      MINT_CHECK(Kill(device, node));
    }
  } else if (!NeverStarted(node.state)) {
    log.push_back("NODE_STOP " + Who(node) + ": forced (it is " +
                  std::string(NodeStateName(node.state)) + "), so its CPUs wait for a new start");
    MINT_CHECK(Kill(device, node));
  }
  stopping.reset();

  auto left = [&](Error e) {
    e.message += "; " + name + " is left stopped: mintctl restart " + name +
                 " tries again, mintctl destroy " + name + " frees it";
    return e;
  };
  std::optional<timing::Span> building(std::in_place, timeline, Phase::kBuildImage);
  auto info = device.GetNode(node.id);
  if (!info.ok()) return left(info.take_error());
  boot::NodeLayout layout;
  layout.node_id = node.id;
  layout.ram = info->created.ram;
  layout.low = info->created.low;
  layout.shared = info->created.shared;
  layout.apic_ids = info->created.apic_ids;
  layout.tsc_khz = info->created.tsc_khz;
  layout.lapic_khz = info->created.lapic_khz;
  layout.x2apic = info->created.host_x2apic;
  if (!node.devices.empty()) layout.ecam = recipe.ecam;
  layout.pci = node.devices;
  KernelExpansion expanded = ExpandKernel(root, *kernel, true);
  boot::Expansion expansion;
  if (expanded.decompressed) expansion = {*expanded.decompressed, KaslrRandom()};
  auto image = boot::BuildBootImage(*kernel, *initrd, recipe.cmdline, layout,
                                    expanded.decompressed ? &expansion : nullptr);
  if (!image.ok()) return left(image.take_error());
  building.reset();
  std::string initrd_files = recipe.initrd;
  for (const auto& layer : recipe.initrd_layers) initrd_files += " + " + layer;
  log.push_back("build the boot image: " + recipe.kernel + ", " + initrd_files + ", cmdline \"" +
                recipe.cmdline + "\"");
  log.push_back("   " + expanded.note + "; " + boot::DescribeTextPlace(*image));
  std::vector<sys::LoadSegment> segments;
  std::string pieces;
  for (const auto& s : image->segments) {
    segments.push_back(sys::LoadSegment{s.bytes, s.phys, s.memsz});
    pieces += (pieces.empty() ? "" : ", ") + s.what + " at " + Hex(s.phys.value);
  }
  // NODE_LOAD makes the node `loaded`, which recovery would take for a
  // half-made boot: the ledger says it is this node, restarting.
  apply::Ledger ledger(LedgerDir(root));
  if (auto r = ledger.SetRestarting(name, node.id, info->cpus, true); !r.ok())
    return left(r.take_error());
  log.push_back("NODE_LOAD " + Who(node) + ": " + pieces);
  auto loaded =
      timing::Timed(timeline, Phase::kLoad, [&] { return device.Load(node.id, segments); });
  if (!loaded.ok()) return left(loaded.take_error());
  log.push_back("NODE_START " + Who(node) + ": entry " + Hex(image->entry.value));
  auto started = timing::Timed(timeline, Phase::kStart, [&] {
    return device.Start(node.id, image->entry, image->boot_params);
  });
  if (!started.ok()) return left(started.take_error());
  // A mark that stays is harmless: only a `created`/`loaded` node is read
  // for it, and the next restart clears it.
  if (auto r = ledger.SetRestarting(name, node.id, info->cpus, false); !r.ok())
    log.push_back("   ledger: " + r.error().ToString());
  return Ok();
}

Result<void> WaitForAgent(sys::HostFs& fs, const NodeStatus& node,
                          std::chrono::milliseconds deadline, channel::Clock& clock) {
  const auto until = clock.Now() + deadline;
  std::string agent;
  while (true) {
    auto state_text = fs.ReadFile(node.dir + "/state");
    auto parsed = state_text.ok() ? ParseNodeState(*state_text, node.dir + "/state")
                                  : Result<NodeState>(state_text.take_error());
    if (!parsed.ok() || *parsed != NodeState::kRunning) {
      std::string state = parsed.ok() ? std::string(NodeStateName(*parsed)) : "gone";
      auto reason = fs.ReadFile(node.dir + "/reason");
      std::string why = reason.ok() ? TrimTrailing(*reason) : "";
      return MakeError(ErrorCode::kIo, node.name,
                       "the node is " + state + (why.empty() ? "" : " (" + why + ")") +
                           " instead of running; its mint-agent never reported ready");
    }
    auto text = fs.ReadFile(node.dir + "/agent");
    if (!text.ok()) {
      if (text.error().code == ErrorCode::kNotFound) return Ok();  // no channel in this kernel
      return text.take_error();
    }
    agent = TrimTrailing(*text);
    if (agent == "ready") return Ok();
    if (clock.Now() >= until) break;
    clock.Sleep(std::chrono::milliseconds(50));
  }
  auto ms = deadline.count();
  return MakeError(
      ErrorCode::kIo, node.name,
      "the node is running but its mint-agent did not report ready within " +
          (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") + " (" +
          node.dir + "/agent says " + agent + "); mintctl console " + node.name + " shows why");
}

}  // namespace mint::lifecycle
