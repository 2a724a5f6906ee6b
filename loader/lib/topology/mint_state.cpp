// ReadMintState (mint/topology.h): the pool and every
// node of /sys/kernel/mint, each file through the parsers of parse.h.
#include <algorithm>

#include "mint/topology.h"
#include "parse.h"

namespace mint::topology {
namespace {

using namespace internal;  // NOLINT: the parsers of this module

Result<uint64_t> ReadNumber(sys::HostFs& fs, const std::string& path) {
  MINT_TRY(std::string text, fs.ReadFile(path));
  return ParseNumber(text, path);
}

}  // namespace

Result<MintState> ReadMintState(sys::HostFs& fs) {
  const std::string dir = "/sys/kernel/mint";
  MintState mint;
  if (!fs.Exists(dir + "/abi_version")) return mint;  // a kernel without mint
  mint.present = true;
  MINT_TRY(uint64_t abi, ReadNumber(fs, dir + "/abi_version"));
  mint.abi_version = static_cast<uint32_t>(abi);
  MINT_TRY(std::string pool, fs.ReadFile(dir + "/pool"));
  MINT_TRY(mint.pool, ParseRangeLines(pool, dir + "/pool"));
  MINT_TRY(uint64_t total, ReadNumber(fs, dir + "/pool_total"));
  MINT_TRY(uint64_t free_bytes, ReadNumber(fs, dir + "/pool_free"));
  mint.pool_total = ByteSize{total};
  mint.pool_free = ByteSize{free_bytes};
  std::vector<std::string> ids;
  auto listed = fs.ListDir(dir + "/nodes");
  if (listed.ok()) {
    ids = std::move(*listed);
  } else if (listed.error().code != ErrorCode::kNotFound) {
    return listed.take_error();
  }
  for (const std::string& id_text : ids) {
    std::string node_dir = dir + "/nodes/" + id_text;
    MintNode node;
    // lifecycle::ListNodes skips what is not a node; status names it.
    std::optional<uint32_t> id = NodeIdOfEntry(id_text);
    if (!id) {
      return MakeError(ErrorCode::kIo, node_dir,
                       "not a node directory: the kernel names them by node id in decimal "
                       "(1 to 3 digits); this tree is not the mint kernel's own");
    }
    node.id = *id;
    MINT_TRY(std::string name, fs.ReadFile(node_dir + "/name"));
    node.name = std::string(Trim(name));
    MINT_TRY(std::string state, fs.ReadFile(node_dir + "/state"));
    MINT_TRY(node.state, ParseNodeState(state, node_dir + "/state"));
    MINT_TRY(std::string cpus, fs.ReadFile(node_dir + "/cpus"));
    MINT_TRY(node.cpus, ParseCpuListFile(cpus, node_dir + "/cpus"));
    MINT_TRY(std::string apic, fs.ReadFile(node_dir + "/apic_ids"));
    MINT_TRY(node.apic_ids, ParseApicIdList(apic, node_dir + "/apic_ids"));
    MINT_TRY(std::string memory, fs.ReadFile(node_dir + "/memory"));
    MINT_TRY(node.memory, ParseRangeLines(memory, node_dir + "/memory"));
    MINT_TRY(std::string devices, fs.ReadFile(node_dir + "/devices"));
    MINT_TRY(node.devices, ParseBdfLines(devices, node_dir + "/devices"));
    // iommu came with ABI 4 (patch 0037): absent on older kernels.
    auto iommu = fs.ReadFile(node_dir + "/iommu");
    if (iommu.ok()) {
      MINT_TRY(node.iommu, ParseIommuLines(*iommu, node_dir + "/iommu"));
    } else if (iommu.error().code != ErrorCode::kNotFound) {
      return iommu.take_error();
    }
    MINT_TRY(node.heartbeat, ReadNumber(fs, node_dir + "/heartbeat"));
    // heartbeat_age_ms came with kernel patch 0035 (still ABI 2): optional,
    // and an empty line unless the node is running or hung.
    auto age = fs.ReadFile(node_dir + "/heartbeat_age_ms");
    if (age.ok()) {
      if (!Trim(*age).empty()) {
        MINT_TRY(uint64_t ms, ParseNumber(*age, node_dir + "/heartbeat_age_ms"));
        node.heartbeat_age_ms = ms;
      }
    } else if (age.error().code != ErrorCode::kNotFound) {
      return age.take_error();
    }
    MINT_TRY(std::string reason, fs.ReadFile(node_dir + "/reason"));
    node.reason = std::string(Trim(reason));
    // uptime came after the first mint kernels (still ABI 1): optional.
    auto uptime = fs.ReadFile(node_dir + "/uptime");
    if (uptime.ok()) {
      node.uptime = std::string(Trim(*uptime));
    } else if (uptime.error().code != ErrorCode::kNotFound) {
      return uptime.take_error();
    }
    mint.nodes.push_back(std::move(node));
  }
  std::sort(mint.nodes.begin(), mint.nodes.end(),
            [](const MintNode& a, const MintNode& b) { return a.id < b.id; });
  return mint;
}

}  // namespace mint::topology
