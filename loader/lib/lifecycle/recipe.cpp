// Boot recipes: /run/mint/nodes/<name>.json (mint/lifecycle.h), JSON with
// a version, written atomically.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mint/lifecycle.h"
#include "mint/sys/state_file.h"
#include "mint/vm.h"

namespace mint::lifecycle {
namespace {

constexpr int kRecipeVersion = 1;

}  // namespace

Recipe RecipeFromPlan(const Plan& plan) {
  Recipe r;
  r.name = plan.name;
  r.kernel = plan.kernel;
  r.initrd = plan.initrd;
  r.initrd_layers = plan.initrd_layers;
  r.guests = plan.guests;
  r.cmdline = plan.cmdline;
  r.on_crash = plan.on_crash;
  r.restart_budget = plan.restart_budget;
  r.ecam = plan.ecam;
  r.devices = plan.devices;
  return r;
}

Result<void> WriteRecipe(const std::string& root, const Recipe& recipe) {
  nlohmann::json j;
  j["version"] = kRecipeVersion;
  j["name"] = recipe.name;
  j["kernel"] = recipe.kernel;
  j["initrd"] = recipe.initrd;
  j["initrd_layers"] = recipe.initrd_layers;
  j["guests"] = nlohmann::json::array();
  for (const GuestSpec& g : recipe.guests)
    j["guests"].push_back(nlohmann::json::parse(vm::GuestSpecToJson(g)));
  j["cmdline"] = recipe.cmdline;
  j["on_crash"] = std::string(OnCrashName(recipe.on_crash));
  j["restart_budget"] = recipe.restart_budget;
  if (recipe.ecam)
    j["ecam"] = {{"base", recipe.ecam->base.value},
                 {"segment", recipe.ecam->segment},
                 {"bus_start", recipe.ecam->bus_start},
                 {"bus_end", recipe.ecam->bus_end}};
  else
    j["ecam"] = nullptr;
  j["devices"] = nlohmann::json::array();
  for (const auto& d : recipe.devices)
    j["devices"].push_back({{"pci", d.bdf.ToString()},
                            {"kind", std::string(DeviceKindName(d.request.kind))},
                            {"name", d.request.name},
                            {"node0_driver", d.node0_driver}});
  const std::string path = RecipePath(root, recipe.name);
  std::string text;
  try {
    text = j.dump(2) + "\n";
  } catch (const nlohmann::json::exception&) {  // a path that is not UTF-8
    return MakeError(ErrorCode::kInvalidArgument, path,
                     "the node's kernel, initramfs or command line is not UTF-8 text, so its boot "
                     "recipe cannot be written; rename the file (or fix the text) and boot again");
  }
  return sys::WriteStateFile(path, text);
}

Result<Recipe> ReadRecipe(const std::string& root, const std::string& name) {
  std::string path = RecipePath(root, name);
  std::ifstream in(path);
  if (!in)
    return MakeError(ErrorCode::kNotFound, path,
                     "no boot recipe for " + name +
                         ": mintctl restart and watch know only nodes booted by mintctl since "
                         "node0 booted; destroy the node and boot it again");
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](const std::string& why) {
    return MakeError(
        ErrorCode::kInvalidArgument, path,
        "not a boot recipe (" + why + "); mintctl destroy " + name + " removes it with the node");
  };
  try {
    auto j = nlohmann::json::parse(text.str());
    if (j.value("version", 0) != kRecipeVersion)
      return bad("version " + std::to_string(j.value("version", 0)) + ", expected " +
                 std::to_string(kRecipeVersion));
    Recipe r;
    r.name = j.at("name").get<std::string>();
    r.kernel = j.at("kernel").get<std::string>();
    r.initrd = j.at("initrd").get<std::string>();
    r.cmdline = j.at("cmdline").get<std::string>();
    r.initrd_layers = j.value("initrd_layers", std::vector<std::string>{});
    for (const auto& g : j.value("guests", nlohmann::json::array())) {
      auto guest = vm::GuestSpecFromJson(g.dump());
      if (!guest.ok()) return bad("guest: " + guest.error().message);
      r.guests.push_back(std::move(*guest));
    }
    std::string on_crash = j.at("on_crash").get<std::string>();
    if (on_crash != "stop" && on_crash != "restart") return bad("on_crash " + on_crash);
    r.on_crash = on_crash == "restart" ? OnCrash::kRestart : OnCrash::kStop;
    r.restart_budget = j.at("restart_budget").get<uint32_t>();
    if (!j.at("ecam").is_null()) {
      const auto& e = j["ecam"];
      r.ecam = Ecam{PhysAddr{e.at("base").get<uint64_t>()}, e.at("segment").get<uint16_t>(),
                    e.at("bus_start").get<uint8_t>(), e.at("bus_end").get<uint8_t>()};
    }
    for (const auto& d : j.at("devices")) {
      PlannedDevice pd;
      auto bdf = PciBdf::Parse(d.at("pci").get<std::string>());
      if (!bdf.ok()) return bad("device " + d.at("pci").get<std::string>());
      pd.bdf = *bdf;
      pd.request.name = d.value("name", "");
      pd.node0_driver = d.value("node0_driver", "");
      r.devices.push_back(pd);
    }
    if (r.name != name) return bad("it names " + r.name);
    return r;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

Result<void> RemoveRecipe(const std::string& root, const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(RecipePath(root, name), ec);
  if (ec) return MakeError(ErrorCode::kIo, RecipePath(root, name), "cannot remove it", ec.value());
  return Ok();
}

std::vector<std::string> ListRecipes(const std::string& root) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(RunDir(root) + "/nodes", ec)) {
    std::string f = e.path().filename().string();
    if (f.size() > 5 && f.ends_with(".json")) names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mint::lifecycle
