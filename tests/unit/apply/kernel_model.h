// KernelModel: the two recording fakes of apply (RecordingMintDevice,
// RecordingPciDriver) behind decorators that write ONE ordered log of every
// call across both seams, and hold them to the kernel's ABI 2 rules
// (docs/abi.md): NODE_ASSIGN_PCI refuses (EBUSY) a function on a driver
// other than pci-stub, and holds it (mint-owned) until NODE_DESTROY leaves
// it unbound; NODE_START refuses a function that is not held; node0 must
// never rebind (Restore) a function a node still owns, which is recorded as
// a violation. ABI 4's IOMMU fence: NODE_ASSIGN_PCI to a node created
// without MINT_CREATE_NO_IOMMU refuses (ENODEV) a function the test marked
// as having no IOMMU group (set_no_iommu_group). Tests then assert the
// order and that no rule was broken.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fake_mint_device.h"
#include "mint/apply.h"
#include "mint/ledger.h"
#include "mint/sys/mint_device.h"
#include "mint/sys/pci_driver.h"

namespace mint::testing {

// apply::MakeDryRun's seams for `host`, as test fakes (they can fail at call N).
struct FakeSeams {
  std::unique_ptr<FakeMintDevice> device;
  std::unique_ptr<FakePciDriver> pci;
};
inline FakeSeams MakeFakeSeams(const HostTopology& host, uint64_t fallback_pool) {
  apply::DryRun dry = apply::MakeDryRun(host, fallback_pool);
  return FakeSeams{std::make_unique<FakeMintDevice>(std::move(*dry.device)),
                   std::make_unique<FakePciDriver>(std::move(*dry.pci))};
}

class KernelModel {
 public:
  KernelModel(sys::RecordingMintDevice& device, sys::RecordingPciDriver& pci)
      : device_(*this, device), pci_(*this, pci) {}

  sys::MintDevice& device() { return device_; }
  sys::PciDriverControl& pci() { return pci_; }
  // Every call on either seam, in order: "CREATE" ("CREATE NO_IOMMU" with
  // MINT_CREATE_NO_IOMMU), "ASSIGN 0000:00:03.0",
  // "STUB 0000:00:03.0", "LOAD", "START", "DESTROY", "RESTORE 0000:..".
  const std::vector<std::string>& order() const { return order_; }
  const std::vector<std::string>& violations() const { return violations_; }
  // Called with each call's name ("CREATE", "STUB 0000:...") before it runs.
  void set_before(std::function<void(const std::string&)> before) { before_ = std::move(before); }
  // node0's IOMMU has no group for `bdf`: a fenced node cannot be given it.
  void set_no_iommu_group(const PciBdf& bdf) { no_group_.push_back(bdf); }

 private:
  class Device : public sys::MintDevice {
   public:
    Device(KernelModel& m, sys::RecordingMintDevice& d) : m_(m), d_(d) {}
    Result<sys::MintInfo> GetInfo() override { return d_.GetInfo(); }
    Result<sys::CreatedNode> CreateNode(const sys::CreateNodeRequest& r) override {
      m_.Note(r.no_iommu ? "CREATE NO_IOMMU" : "CREATE");
      return d_.CreateNode(r);
    }
    Result<void> AssignPci(uint32_t id, const PciBdf& bdf) override {
      m_.Note("ASSIGN " + bdf.ToString());
      auto drv = m_.pci_.p_.drivers().find(bdf);
      if (drv != m_.pci_.p_.drivers().end() && !drv->second.empty() &&
          drv->second != sys::kStubDriver)
        return MakeError(ErrorCode::kConflict, "node id " + std::to_string(id),
                         "MINT_NODE_ASSIGN_PCI: " + bdf.ToString() + " is driven by " +
                             drv->second,
                         EBUSY);
      auto node = d_.nodes().find(id);
      bool fenced = node != d_.nodes().end() && !node->second.request.no_iommu;
      if (fenced && std::find(m_.no_group_.begin(), m_.no_group_.end(), bdf) != m_.no_group_.end())
        return MakeError(ErrorCode::kIo, bdf.ToString(),
                         "MINT_NODE_ASSIGN_PCI: no IOMMU group, so it cannot be fenced", ENODEV);
      MINT_CHECK(d_.AssignPci(id, bdf));
      m_.pci_.p_.SetDriver(bdf, sys::kOwnedDriver);
      return Ok();
    }
    Result<void> Load(uint32_t id, std::span<const sys::LoadSegment> s) override {
      m_.Note("LOAD");
      return d_.Load(id, s);
    }
    Result<void> Start(uint32_t id, PhysAddr entry, PhysAddr bp) override {
      m_.Note("START");
      auto node = d_.nodes().find(id);
      if (node != d_.nodes().end())
        for (const auto& bdf : node->second.devices) {
          auto drv = m_.pci_.p_.drivers().find(bdf);
          if (drv == m_.pci_.p_.drivers().end() || drv->second != sys::kOwnedDriver)
            return MakeError(ErrorCode::kConflict, "node id " + std::to_string(id),
                             "MINT_NODE_START: " + bdf.ToString() + " is not held", ENODEV);
        }
      return d_.Start(id, entry, bp);
    }
    Result<void> Stop(uint32_t id, bool force, uint32_t t) override {
      m_.Note("STOP");
      return d_.Stop(id, force, t);
    }
    Result<void> Destroy(uint32_t id) override {
      m_.Note("DESTROY");
      auto node = d_.nodes().find(id);
      std::vector<PciBdf> held;
      if (node != d_.nodes().end()) held = node->second.devices;
      MINT_CHECK(d_.Destroy(id));
      for (const auto& bdf : held) m_.pci_.p_.SetDriver(bdf, "");  // unbound
      return Ok();
    }
    Result<sys::NodeInfo> GetNode(uint32_t id) override { return d_.GetNode(id); }
    Result<sys::ChanResult> Chan(uint32_t id, std::span<const uint8_t> tx,
                                 std::span<uint8_t> rx) override {
      return d_.Chan(id, tx, rx);
    }

    KernelModel& m_;
    sys::RecordingMintDevice& d_;
  };

  class Pci : public sys::PciDriverControl {
   public:
    Pci(KernelModel& m, sys::RecordingPciDriver& p) : m_(m), p_(p) {}
    Result<void> Stub(const PciBdf& bdf, std::string_view current) override {
      m_.Note("STUB " + bdf.ToString());
      return p_.Stub(bdf, current);
    }
    Result<void> Restore(const PciBdf& bdf, std::string_view original) override {
      m_.Note("RESTORE " + bdf.ToString());
      for (const auto& [id, node] : m_.device_.d_.nodes())
        for (const auto& owned : node.devices)
          if (owned == bdf)
            m_.violations_.push_back("node0 rebound " + bdf.ToString() + " while node id " +
                                     std::to_string(id) + " owns it");
      return p_.Restore(bdf, original);
    }

    KernelModel& m_;
    sys::RecordingPciDriver& p_;
  };

  void Note(std::string call) {
    if (before_) before_(call);
    order_.push_back(std::move(call));
  }

  Device device_;
  Pci pci_;
  std::function<void(const std::string&)> before_;
  std::vector<std::string> order_;
  std::vector<std::string> violations_;
  std::vector<PciBdf> no_group_;
};

// A ledger in a fresh temp dir, removed with it (apply and teardown tests).
struct TempLedger {
  std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mintledger.XXXXXX").string();
    return std::string(::mkdtemp(tmpl.data()));
  }();
  apply::Ledger ledger{dir + "/ledger"};
  ~TempLedger() { std::filesystem::remove_all(dir); }
  std::optional<apply::LedgerEntry> Entry(const std::string& node) {
    return ledger.Read(node).value();
  }
};

}  // namespace mint::testing
