// HostTopology as JSON for `mintctl topology --json` (schema in
// docs/mintctl.md), and the per-thing words both outputs share.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mint/json_text.h"  // how mintctl prints any JSON
#include "mint/model.h"

namespace mint::cli {

nlohmann::json TopologyJson(const HostTopology& host);
// Its "mint" member: the pool and every node (status --json's body).
nlohmann::json MintJson(const MintState& state);

// "1 GiB" when exact, else rounded to one decimal: "23.5 GiB".
std::string HumanSize(ByteSize size);
// "node0" or the name of the node that holds it.
std::string OwnerName(const HostTopology& host, CpuId cpu);
std::string OwnerName(const HostTopology& host, const PciBdf& bdf);
// Where node0 uses the disk (HostTopology::DiskUses): "sda1 on /",
// "dm-0 on /", "swap sda2", "swap file /swapfile on sda1", "md0
// assembled"; empty if unused.
std::vector<std::string> DiskUses(const HostTopology& host, const BlockDevice& disk);

}  // namespace mint::cli
