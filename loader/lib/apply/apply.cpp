// Apply: the committing sequence, one Transaction step per change to the
// host, in the order the kernel needs them: NODE_CREATE; each function
// handed from its node0 driver to pci-stub (the ledger records it first, so
// a mintctl killed from here on leaves a node, or a ledger entry, that
// `mintctl recover` can see and undo); NODE_ASSIGN_PCI for each, which
// takes it off pci-stub and holds it for the node (mint-owned: no node0
// driver, sysfs reset or remove reaches it; the kernel refuses a function
// on any other driver); the image from NODE_CREATE's ranges; NODE_LOAD;
// NODE_START. Undo: NODE_DESTROY (it also lets go of the functions, which
// end unbound), and only after it worked each function back on its node0
// driver (or on none, as it was), newest first. The ledger records the
// CPUs before NODE_CREATE and each function before its stub, and forgets
// each once it is undone.
#include "mint/apply.h"

#include <cstdio>

#include "mint/boot.h"
#include "transaction.h"

namespace mint::apply {
namespace {

std::string Ranges(const std::vector<PhysRange>& ranges) {
  std::string out;
  for (const auto& r : ranges)
    out += (out.empty() ? "" : ", ") + Hex(r.start.value) + " (" + r.size.ToString() + ")";
  return out;
}

std::string Apics(const std::vector<ApicId>& ids) {
  std::string out;
  for (const auto& a : ids) out += (out.empty() ? "" : ",") + std::to_string(a.value);
  return out;
}

std::string Driver(const std::string& d) { return d.empty() ? "no driver" : d; }

boot::NodeLayout LayoutOf(const Plan& plan, const sys::CreatedNode& created) {
  boot::NodeLayout layout;
  layout.node_id = plan.node_id;
  layout.name = plan.name;
  layout.ram = created.ram;
  layout.low = created.low;
  layout.shared = created.shared;
  layout.apic_ids = created.apic_ids;
  layout.tsc_khz = created.tsc_khz;
  layout.lapic_khz = created.lapic_khz;
  layout.x2apic = created.host_x2apic;
  layout.ecam = plan.ecam;
  for (const auto& d : plan.devices) layout.pci.push_back(d.bdf);
  return layout;
}

}  // namespace

Result<Applied> Apply(const Plan& plan, const BootFiles& files, sys::MintDevice& device,
                      sys::PciDriverControl& pci, Ledger* ledger, std::vector<std::string>& log,
                      timing::Timeline* timeline) {
  using timing::Phase;
  Transaction tx(log);
  // A forgotten entry that stays (its file could not be rewritten) is
  // harmless: recovery finds the change undone and drops it.
  auto forget = [&](Result<void> r) {
    if (!r.ok()) log.push_back("   ledger: " + r.error().ToString());
  };
  const std::string node = plan.name + " (id " + std::to_string(plan.node_id) + ")";

  sys::CreatedNode created;
  sys::CreateNodeRequest request{plan.node_id, plan.name,   plan.cpus,
                                 plan.numa_node, plan.memory, plan.no_iommu};
  std::string numa = plan.numa_node >= 0 ? ", NUMA node " + std::to_string(plan.numa_node) : "";
  auto made = tx.Do(
      "NODE_CREATE " + node + ": CPUs " + FormatCpuList(plan.cpus) + ", " + plan.memory.ToString() +
          numa + (plan.no_iommu ? ", devices unfenced (MINT_CREATE_NO_IOMMU)" : ""),
      [&]() -> Result<void> {
        if (ledger) MINT_CHECK(ledger->TakeCpus(plan.name, plan.node_id, plan.cpus));
        auto result =
            timing::Timed(timeline, Phase::kCpuOffline, [&] { return device.CreateNode(request); });
        if (!result.ok()) {
          if (ledger) forget(ledger->ForgetCpus(plan.name));  // all or nothing: none taken
          return result.take_error();
        }
        created = std::move(*result);
        log.push_back("   got RAM " + Ranges(created.ram) + ", APIC ids " +
                      Apics(created.apic_ids) + ", low " + Ranges({created.low}) + ", shared " +
                      Ranges({created.shared}) + ", TSC " + std::to_string(created.tsc_khz) +
                      " kHz, LAPIC " + std::to_string(created.lapic_khz) + " kHz");
        return Ok();
      },
      "NODE_DESTROY " + node,
      [&]() -> Result<void> {
        MINT_CHECK(device.Destroy(plan.node_id));
        if (ledger) forget(ledger->ForgetCpus(plan.name));
        return Ok();
      });
  if (!made.ok()) return tx.Abort(made.take_error());

  const size_t create_step = tx.last_step();

  std::optional<timing::Span> devices;
  if (!plan.devices.empty()) devices.emplace(timeline, Phase::kDevices);
  // A failed Stub puts the function back on its driver by itself.
  for (const auto& d : plan.devices) {
    auto done = tx.DoUnder(
        create_step,
        "stub " + d.bdf.ToString() + " (" + d.description + "): " + Driver(d.node0_driver) +
            " -> pci-stub",
        [&]() -> Result<void> {
          if (ledger) MINT_CHECK(ledger->AddFunction(plan.name, d.bdf, d.node0_driver));
          return pci.Stub(d.bdf, d.node0_driver);
        },
        "restore " + d.bdf.ToString() + ": pci-stub -> " + Driver(d.node0_driver),
        [&]() -> Result<void> {
          MINT_CHECK(pci.Restore(d.bdf, d.node0_driver));
          if (ledger) forget(ledger->ForgetFunction(plan.name, d.bdf));
          return Ok();
        },
        d.bdf.ToString() + " stays off node0's drivers while " + plan.name +
            " exists; mintctl destroy " + plan.name + " gives it back to node0");
    if (!done.ok()) return tx.Abort(done.take_error());
  }

  // The kernel takes each function off pci-stub and holds it (mint-owned)
  // until NODE_DESTROY. No undo of its own: NODE_DESTROY lets go of it.
  for (const auto& d : plan.devices) {
    auto done = tx.Do("NODE_ASSIGN_PCI " + node + ": " + d.bdf.ToString(),
                      [&] { return device.AssignPci(plan.node_id, d.bdf); });
    if (!done.ok()) return tx.Abort(done.take_error());
  }
  devices.reset();

  Applied applied{plan.node_id, {}, created.ram};
  std::string initrd = plan.initrd;
  for (const auto& layer : plan.initrd_layers) initrd += " + " + layer;
  std::string image_what =
      "build the boot image: " + plan.kernel + ", " + initrd + ", cmdline \"" + plan.cmdline + "\"";
  if (!files.kernel || !files.initrd) {
    tx.Skip(image_what + ": not built here, " + (files.kernel ? plan.initrd : plan.kernel) +
            " was not read");
    tx.Skip("NODE_LOAD " + node + ": the boot image");
    tx.Skip("NODE_START " + node);
    return applied;
  }
  boot::BootImage image;
  auto built = tx.Do(image_what, [&]() -> Result<void> {
    timing::Span span(timeline, Phase::kBuildImage);
    boot::Expansion expansion;
    if (files.expanded) expansion = {*files.expanded, files.kaslr_random};
    MINT_TRY(image, boot::BuildBootImage(*files.kernel, *files.initrd, plan.cmdline,
                                         LayoutOf(plan, created),
                                         files.expanded ? &expansion : nullptr));
    if (!files.expanded_note.empty()) log.push_back("   " + files.expanded_note);
    log.push_back("   kernel at " + Hex(image.kernel.start.value) + ", initrd at " +
                  Hex(image.initrd.start.value) + ", boot_params at " +
                  Hex(image.boot_params.value) + ", entry " + Hex(image.entry.value) + ", " +
                  boot::DescribeTextPlace(image));
    return Ok();
  });
  if (!built.ok()) return tx.Abort(built.take_error());

  std::vector<sys::LoadSegment> segments;
  std::string pieces;
  for (const auto& s : image.segments) {
    segments.push_back(sys::LoadSegment{s.bytes, s.phys, s.memsz});
    pieces += (pieces.empty() ? "" : ", ") + s.what + " " + ByteSize{s.bytes.size()}.ToString() +
              " at " + Hex(s.phys.value);
  }
  auto loaded = tx.Do("NODE_LOAD " + node + ": " + pieces, [&] {
    timing::Span span(timeline, Phase::kLoad);
    return device.Load(plan.node_id, segments);
  });
  if (!loaded.ok()) return tx.Abort(loaded.take_error());

  auto started = tx.Do("NODE_START " + node + ": entry " + Hex(image.entry.value) +
                           ", boot_params " + Hex(image.boot_params.value),
                       [&] {
                         timing::Span span(timeline, Phase::kStart);
                         return device.Start(plan.node_id, image.entry, image.boot_params);
                       });
  if (!started.ok()) return tx.Abort(started.take_error());
  applied.entry = image.entry;
  return applied;
}

}  // namespace mint::apply
