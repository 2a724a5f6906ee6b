// Ledger (mint/ledger.h): one JSON file per node, replaced atomically and
// durably (sys::WriteStateFile).
#include "mint/ledger.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mint/sys/state_file.h"

namespace mint::apply {
namespace {

constexpr int kLedgerVersion = 1;

std::string ToJson(const LedgerEntry& e) {
  nlohmann::json j;
  j["version"] = kLedgerVersion;
  j["node"] = e.node;
  j["id"] = e.id;
  j["cpus"] = nlohmann::json::array();
  for (const auto& c : e.cpus) j["cpus"].push_back(c.value);
  j["functions"] = nlohmann::json::array();
  for (const auto& f : e.functions)
    j["functions"].push_back({{"pci", f.bdf.ToString()}, {"driver", f.driver}});
  j["restarting"] = e.restarting;
  return j.dump(2) + "\n";
}

}  // namespace

std::string Ledger::PathOf(const std::string& node) const { return dir_ + "/" + node + ".json"; }

Result<std::optional<LedgerEntry>> Ledger::Read(const std::string& node) const {
  std::string path = PathOf(node);
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<LedgerEntry>{};
    return MakeError(ErrorCode::kIo, path, "cannot read it", errno);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, path,
                     "not a mint ledger (" + why +
                         "); it records what mint changed on node0: see docs/mintctl.md "
                         "(Locking and recovery) before removing it");
  };
  try {
    auto j = nlohmann::json::parse(text.str());
    if (!j.is_object() || j.value("version", 0) != kLedgerVersion)
      return bad("version " + std::to_string(j.is_object() ? j.value("version", 0) : 0) +
                 ", expected " + std::to_string(kLedgerVersion));
    LedgerEntry e;
    e.node = j.at("node").get<std::string>();
    e.id = j.at("id").get<uint32_t>();
    for (const auto& c : j.at("cpus")) e.cpus.push_back(CpuId{c.get<uint32_t>()});
    for (const auto& f : j.at("functions")) {
      auto bdf = PciBdf::Parse(f.at("pci").get<std::string>());
      if (!bdf.ok()) return bad("function " + f.at("pci").get<std::string>());
      e.functions.push_back(LedgerFunction{*bdf, f.at("driver").get<std::string>()});
    }
    e.restarting = j.at("restarting").get<bool>();
    if (e.node != node) return bad("it names " + e.node);
    return std::optional<LedgerEntry>(std::move(e));
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

std::vector<LedgerEntry> Ledger::ReadAll(std::vector<Error>& errors) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = f.path().filename().string();
    if (name.size() > 5 && name.ends_with(".json"))
      names.push_back(name.substr(0, name.size() - 5));
  }
  std::sort(names.begin(), names.end());
  std::vector<LedgerEntry> out;
  for (const auto& name : names) {
    auto e = Read(name);
    if (!e.ok())
      errors.push_back(e.take_error());
    else if (*e)
      out.push_back(std::move(**e));
  }
  return out;
}

Result<void> Ledger::Write(const LedgerEntry& entry) {
  std::string path = PathOf(entry.node);
  if (entry.cpus.empty() && entry.functions.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return MakeError(ErrorCode::kIo, path, "cannot remove it", ec.value());
    sys::SyncDirectory(dir_);
    return Ok();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return MakeError(ErrorCode::kIo, dir_,
                     "cannot create it (" + ec.message() +
                         "); mint records there what it changes on node0, before changing it",
                     ec.value());
  return sys::WriteStateFile(path, ToJson(entry));
}

Result<LedgerEntry> Ledger::Existing(const std::string& node) const {
  MINT_TRY(auto entry, Read(node));
  if (entry) return *entry;
  LedgerEntry fresh;
  fresh.node = node;
  return fresh;
}

Result<void> Ledger::TakeCpus(const std::string& node, uint32_t id,
                              const std::vector<CpuId>& cpus) {
  MINT_TRY(auto old, Read(node));
  if (old && !old->functions.empty()) {
    std::string left;
    for (const auto& f : old->functions) left += (left.empty() ? "" : ", ") + f.bdf.ToString();
    return MakeError(ErrorCode::kConflict, PathOf(node),
                     "mint's ledger says an earlier " + node + " left " + left +
                         " on pci-stub; mintctl recover gives them back (or says why it cannot)");
  }
  LedgerEntry e;
  e.node = node;
  e.id = id;
  e.cpus = cpus;
  return Write(e);
}

Result<void> Ledger::ForgetCpus(const std::string& node) {
  MINT_TRY(auto e, Existing(node));
  if (e.cpus.empty() && !e.restarting) return Ok();
  e.cpus.clear();
  e.restarting = false;
  return Write(e);
}

Result<void> Ledger::AddFunction(const std::string& node, const PciBdf& bdf,
                                 const std::string& driver) {
  MINT_TRY(auto e, Existing(node));
  for (const auto& f : e.functions)
    if (f.bdf == bdf) return Ok();  // recorded already: keep the driver it had first
  e.functions.push_back(LedgerFunction{bdf, driver});
  return Write(e);
}

Result<void> Ledger::ForgetFunction(const std::string& node, const PciBdf& bdf) {
  MINT_TRY(auto e, Existing(node));
  auto it = std::find_if(e.functions.begin(), e.functions.end(),
                         [&](const LedgerFunction& f) { return f.bdf == bdf; });
  if (it == e.functions.end()) return Ok();
  e.functions.erase(it);
  return Write(e);
}

Result<void> Ledger::SetRestarting(const std::string& node, uint32_t id,
                                   const std::vector<CpuId>& cpus, bool restarting) {
  MINT_TRY(auto e, Existing(node));
  if (e.cpus.empty() && e.functions.empty()) {
    e.id = id;
    e.cpus = cpus;
  }
  e.restarting = restarting;
  return Write(e);
}

}  // namespace mint::apply
