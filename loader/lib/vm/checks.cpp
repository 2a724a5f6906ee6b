// CheckStart (mint/vm.h): whether a guest may start on a node, from facts
// alone. Pure. The order is the order a person fixes things in: the spec
// itself, the name, the node's VMM and KVM, the boot files, then vCPUs,
// memory, node ports and the disk against what already runs.
#include <algorithm>
#include <string>
#include <utility>

#include "mint/vm.h"

namespace mint::vm {
namespace {

Error Fail(ErrorCode code, const GuestSpec& spec, std::string message) {
  return MakeError(code, spec.where.ToString(), std::move(message));
}

std::string Mib(ByteSize size) { return std::to_string(size.bytes >> 20) + " MiB"; }

// The flag that sets a boot file, for the way out.
const char* FileFlag(const GuestSpec& spec, const std::string& path) {
  if (path == spec.image) return "--image";
  if (path == spec.initrd) return "--initrd";
  return "--kernel";
}

const char* FileRole(const GuestSpec& spec, const std::string& path) {
  if (!spec.image.empty() && path == spec.image) return "image";
  if (path == spec.initrd || path == kDefaultGuestInitrd) return "initrd";
  return "kernel";
}

}  // namespace

Result<void> CheckSpec(const GuestSpec& spec) {
  if (!IsValidGuestName(spec.name))
    return Fail(ErrorCode::kInvalidArgument, spec,
                "\"" + spec.name + "\" is not a guest name; " + kGuestNameRule + ", e.g. guest1");
  if (!spec.image.empty() && (!spec.kernel.empty() || !spec.initrd.empty()))
    return Fail(ErrorCode::kInvalidArgument, spec,
                "guest " + spec.name +
                    " has both an image and a kernel/initrd; boot it from one or the other");
  if (!spec.initrd.empty() && spec.kernel.empty())
    return Fail(ErrorCode::kInvalidArgument, spec,
                "guest " + spec.name + " has an initrd but no kernel; give its kernel too");
  const std::pair<const char*, const std::string*> paths[] = {{"kernel", &spec.kernel},
                                                              {"initrd", &spec.initrd},
                                                              {"image", &spec.image},
                                                              {"disk", &spec.disk}};
  for (const auto& [role, path] : paths)
    if (!path->empty() && path->front() != '/')
      return Fail(ErrorCode::kInvalidArgument, spec,
                  spec.name + "'s " + role + " " + *path +
                      " is not an absolute path; give the path from / in the node");
  if (spec.memory.bytes < (16ull << 20) || spec.memory.bytes % (1ull << 20) != 0)
    return Fail(ErrorCode::kInvalidArgument, spec,
                "guest " + spec.name + "'s memory " + spec.memory.ToString() +
                    " is too small or not whole MiB; give at least 16M in MiB (--mem), e.g. 256M");
  if (!spec.disk.empty() && spec.disk_size.bytes == 0)
    return Fail(ErrorCode::kInvalidArgument, spec,
                "guest " + spec.name + "'s disk " + spec.disk +
                    " would be created with size 0; give it a size (--disk-size), e.g. 64M");
  for (const GuestPort& p : spec.ports)
    if (p.host == 0 || p.guest == 0)
      return Fail(ErrorCode::kInvalidArgument, spec,
                  "guest " + spec.name + " forwards port " + std::to_string(p.host) + ":" +
                      std::to_string(p.guest) + "; TCP ports are 1-65535 (--port 8080:80)");
  return Ok();
}

namespace {

Result<void> CheckKvm(const NodeFacts& facts, const GuestSpec& spec) {
  const std::string& node = facts.node;
  if (!facts.has_qemu) {
    std::string way = node == "node0"
                          ? "install QEMU in node0 (apt-get install qemu-system-x86)"
                          : "boot the node with guests in its nodeconf or with --kvm, so mintctl "
                            "adds the VMM layer";
    return Fail(ErrorCode::kUnsupported, spec,
                node + " has no VMM: " + kQemu + " is missing; " + way);
  }
  if (!facts.cpu_virt)
    return Fail(ErrorCode::kUnsupported, spec,
                node +
                    "'s CPUs have neither svm nor vmx (/proc/cpuinfo): this node cannot run "
                    "KVM guests; run the guest on a node whose CPUs do");
  if (!facts.has_kvm)
    return Fail(ErrorCode::kUnsupported, spec,
                node +
                    " has no /dev/kvm, though its CPUs have svm or vmx: its kernel has no KVM "
                    "or has not loaded it; load kvm_amd or kvm_intel, or boot the node with "
                    "a kernel built with KVM");
  return Ok();
}

Result<void> CheckFiles(const NodeFacts& facts, const GuestSpec& spec) {
  const bool defaults = spec.image.empty() && spec.kernel.empty() && spec.initrd.empty();
  for (const std::string& file : GuestFiles(spec)) {
    if (std::find(facts.missing_files.begin(), facts.missing_files.end(), file) ==
        facts.missing_files.end())
      continue;
    std::string what = spec.name + "'s " + FileRole(spec, file) + " " + file;
    if (defaults)
      return MakeError(ErrorCode::kNotFound, file,
                       what + " (the default guest's) is missing in " + facts.node +
                           "; boot the node with guests in its nodeconf or with --kvm, so "
                           "mintctl packs the default guest, or give --kernel and --initrd");
    return MakeError(ErrorCode::kNotFound, file,
                     what + " is missing in " + facts.node + "; copy it into the node or give " +
                         FileFlag(spec, file) + " a path that exists there");
  }
  return Ok();
}

Result<void> CheckRoom(const NodeFacts& facts, const GuestSpec& spec) {
  const std::string& node = facts.node;
  if (spec.vcpus == 0)
    return Fail(ErrorCode::kInvalidArgument, spec,
                spec.name + " has 0 vCPUs; give it 1 to " + std::to_string(facts.cpus) +
                    " (--vcpus), the CPUs of " + node);
  if (spec.vcpus > facts.cpus)
    return Fail(ErrorCode::kInsufficient, spec,
                spec.name + " wants " + std::to_string(spec.vcpus) + " vCPUs, " + node + " has " +
                    std::to_string(facts.cpus) + " CPUs; give it at most " +
                    std::to_string(facts.cpus) + " (--vcpus) or run it on a bigger node");
  if (spec.memory.bytes + kVmmOverhead.bytes > facts.mem_available.bytes)
    return Fail(ErrorCode::kInsufficient, spec,
                spec.name + " wants " + spec.memory.ToString() + " + " + kVmmOverhead.ToString() +
                    " for its VMM, " + node + " has " + Mib(facts.mem_available) +
                    " available; give it less (--mem) or boot the node with more memory");
  return Ok();
}

Result<void> CheckOthers(const NodeFacts& facts, const GuestSpec& spec) {
  for (const GuestStatus& g : facts.guests) {
    if (!g.Live() || g.name == spec.name) continue;
    for (const GuestPort& p : spec.ports)
      for (const GuestPort& q : g.ports)
        if (p.host == q.host)
          return Fail(ErrorCode::kConflict, spec,
                      "node port " + std::to_string(p.host) + " is already forwarded to " + g.name +
                          " in " + facts.node + "; give " + spec.name +
                          " another node port (--port), or stop " + g.name + " first");
    if (!spec.disk.empty() && spec.disk == g.disk)
      return Fail(ErrorCode::kConflict, spec,
                  spec.name + "'s disk " + spec.disk + " is the disk of " + g.name +
                      ", which runs in " + facts.node + "; give " + spec.name +
                      " its own disk (--disk), or stop " + g.name + " first");
  }
  return Ok();
}

}  // namespace

Result<void> CheckStart(const NodeFacts& facts, const GuestSpec& spec) {
  MINT_CHECK(CheckSpec(spec));
  for (const GuestStatus& g : facts.guests)
    if (g.name == spec.name && g.Live())
      return Fail(ErrorCode::kConflict, spec,
                  spec.name + " already runs in " + facts.node +
                      (g.pid != 0 ? " (pid " + std::to_string(g.pid) + ")" : " (starting)") +
                      "; pick another name, or stop it first: mintctl vm stop " + facts.node + " " +
                      spec.name);
  bool known = std::any_of(facts.guests.begin(), facts.guests.end(),
                           [&](const GuestStatus& g) { return g.name == spec.name; });
  if (!known && facts.guests.size() >= kMaxGuests)
    return Fail(ErrorCode::kInsufficient, spec,
                facts.node + " keeps " + std::to_string(facts.guests.size()) +
                    " guests already, the most mint reports; remove stopped ones first: "
                    "mintctl vm rm " +
                    facts.node + " GUEST");
  MINT_CHECK(CheckKvm(facts, spec));
  MINT_CHECK(CheckFiles(facts, spec));
  MINT_CHECK(CheckRoom(facts, spec));
  MINT_CHECK(CheckOthers(facts, spec));
  return Ok();
}

}  // namespace mint::vm
