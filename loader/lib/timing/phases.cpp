// The table of phases (mint/timing.h): names and what each one covers.
#include <array>

#include "mint/timing.h"

namespace mint::timing {
namespace {

constexpr std::array kPhases{
    PhaseInfo{Phase::kLock, "lock", ClockOf::kMintctl,
              "the host lock, with the recovery of what a killed mintctl left"},
    PhaseInfo{Phase::kTopology, "topology", ClockOf::kMintctl,
              "the host read: /proc, /sys, PCI, rtnetlink (topology::Discover)"},
    PhaseInfo{Phase::kReadImages, "read_images", ClockOf::kMintctl,
              "the kernel and initramfs files read"},
    PhaseInfo{Phase::kPlan, "plan", ClockOf::kMintctl,
              "the node description checked and planned (plan::MakePlan)"},
    PhaseInfo{Phase::kRehearse, "rehearse", ClockOf::kMintctl,
              "the dry run of the whole apply, boot image included"},
    PhaseInfo{Phase::kStop, "stop", ClockOf::kMintctl, "NODE_STOP of the node's old kernel"},
    PhaseInfo{Phase::kCpuOffline, "cpu_offline", ClockOf::kMintctl,
              "NODE_CREATE: node0 takes the CPUs offline and carves the memory"},
    PhaseInfo{Phase::kDevices, "devices", ClockOf::kMintctl,
              "each PCI function to pci-stub, NODE_ASSIGN_PCI"},
    PhaseInfo{Phase::kBuildImage, "build_image", ClockOf::kMintctl,
              "the boot image built (boot_params, SETUP_MINT, segments)"},
    PhaseInfo{Phase::kLoad, "load", ClockOf::kMintctl,
              "NODE_LOAD: the image copied into the node's memory"},
    PhaseInfo{Phase::kStart, "start", ClockOf::kMintctl,
              "NODE_START: trampoline written, INIT-SIPI-SIPI sent"},
    PhaseInfo{Phase::kRunning, "running", ClockOf::kMintctl,
              "NODE_START returned until nodes/<id>/state says running"},
    PhaseInfo{Phase::kAgent, "agent", ClockOf::kMintctl,
              "running until nodes/<id>/agent says ready"},
    PhaseInfo{Phase::kGuests, "guests", ClockOf::kMintctl, "the node's autostart guests started"},
    PhaseInfo{Phase::kBeforeClock, "before_clock", ClockOf::kNode,
              "NODE_START returned until the node's clock started (decompression, earliest "
              "setup); an upper bound"},
    PhaseInfo{Phase::kEarlySetup, "early_setup", ClockOf::kNode,
              "the node's clock at 0 until \"smp: Bringing up secondary CPUs\""},
    PhaseInfo{Phase::kSmp, "smp", ClockOf::kNode, "until \"smp: Brought up\""},
    PhaseInfo{Phase::kInitcalls, "initcalls", ClockOf::kNode,
              "until \"Run /init as init process\""},
    PhaseInfo{Phase::kInit, "init", ClockOf::kNode, "until \"mint-node: NAME up\" (node-init)"},
};

constexpr bool InOrder() {
  for (size_t i = 0; i < kPhases.size(); ++i)
    if (static_cast<size_t>(kPhases[i].phase) != i) return false;
  return true;
}
static_assert(InOrder(), "kPhases lists every Phase once, in enum order");
static_assert(static_cast<size_t>(Phase::kInit) + 1 == kPhases.size());

}  // namespace

std::span<const PhaseInfo> Phases() { return kPhases; }

const PhaseInfo& Info(Phase phase) { return kPhases[static_cast<size_t>(phase)]; }

}  // namespace mint::timing
