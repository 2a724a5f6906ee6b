// Pure parsers for the text files topology reads: each takes the file's
// text and its host path (the error context) and returns values or an
// Error that says which line was unexpected. No I/O here, so the unit tests
// feed them garbage directly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"

namespace mint::topology::internal {

// A decimal (or 0x-hex when hex_ok) number alone in the file, blanks
// around it allowed.
Result<uint64_t> ParseNumber(std::string_view text, std::string_view path, bool hex_ok = false);
// A kernel cpulist file ("0-3,8\n"); empty means no CPUs.
Result<std::vector<CpuId>> ParseCpuListFile(std::string_view text, std::string_view path);

Result<std::vector<IomemRange>> ParseIomem(std::string_view text, std::string_view path);
// "PCI ECAM 0000 [bus 00-ff]" (older kernels: "PCI MMCONFIG ...") at any
// depth; nullopt if there is none.
Result<std::optional<Ecam>> FindEcam(const std::vector<IomemRange>& iomem, std::string_view path);

// "MemTotal:  16318480 kB" (key "MemTotal"), or in a node's meminfo
// "Node 0 MemTotal:  16318480 kB" (the "Node N" prefix is skipped).
Result<ByteSize> ParseMeminfoField(std::string_view text, std::string_view key,
                                   std::string_view path);

// processor number -> apicid, for every "processor" block that has one.
Result<std::map<uint32_t, ApicId>> ParseCpuinfoApicIds(std::string_view text,
                                                       std::string_view path);

// A sysfs "dev" file: "8:2\n".
Result<DevNum> ParseDevNum(std::string_view text, std::string_view path);
// /proc/self/mountinfo; each Mount's dev is mountinfo's MAJOR:MINOR as is.
Result<std::vector<Mount>> ParseMountinfo(std::string_view text, std::string_view path);
// /proc/swaps; dev is left 0:0 (the caller resolves the source).
Result<std::vector<Swap>> ParseSwaps(std::string_view text, std::string_view path);

// /sys/kernel/iommu_groups/<id>/type: one word of letters and '-' (the
// kernel's "DMA", "DMA-FQ", "identity", "unmanaged", "blocked", ...), at
// most 16 characters.
Result<std::string> ParseIommuGroupType(std::string_view text, std::string_view path);

// /sys/kernel/mint files (docs/abi.md).
Result<std::vector<PhysRange>> ParseRangeLines(std::string_view text, std::string_view path);
Result<std::vector<ApicId>> ParseApicIdList(std::string_view text, std::string_view path);
Result<std::vector<PciBdf>> ParseBdfLines(std::string_view text, std::string_view path);
// nodes/<id>/iommu: "DDDD:BB:DD.F fenced GROUP" or "DDDD:BB:DD.F unfenced"
// per line, at most MINT_MAX_PCI lines.
Result<std::vector<PciFence>> ParseIommuLines(std::string_view text, std::string_view path);

// Lexical join of a directory and a relative link target ("../x"), as the
// kernel's sysfs links are meant to be resolved.
std::string JoinLink(std::string_view link_path, std::string_view target);
// The last path component that is a PCI address ("0000:00:02.0").
std::optional<PciBdf> LastBdfComponent(std::string_view path);

// The text without trailing newline/blanks.
std::string_view Trim(std::string_view text);

}  // namespace mint::topology::internal
