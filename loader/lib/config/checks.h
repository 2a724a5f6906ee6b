// The value checks nodeconf files and command-line flags share, so both
// front doors accept the same things and say the same words. Each takes the
// text as the user wrote it and where it came from (the error's context).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mint/model.h"

namespace mint::config::internal {

// "2" -> a count; "2-3" / "2,3" -> a CPU list. Fills spec's cores fields.
Result<void> SetCores(NodeSpec& spec, std::string_view text, const SourceLoc& where);
// A YAML list of CPU numbers, already split (each with its own location).
Result<void> SetCoreList(NodeSpec& spec, const std::vector<CpuId>& cpus, const SourceLoc& where);
Result<int> NumaNode(std::string_view text, const SourceLoc& where);
// A size (ByteSize::Parse) above 0; errors name `key` ("memory", "disk-size").
Result<ByteSize> Size(std::string_view key, std::string_view text, const SourceLoc& where);
Result<OnCrash> OnCrashPolicy(std::string_view text, const SourceLoc& where);
Result<uint32_t> RestartBudget(std::string_view text, const SourceLoc& where);
// kernel / initrd: a non-empty path.
Result<std::string> ImagePath(std::string_view key, std::string_view text, const SourceLoc& where);
// Normalizes the name ("/dev/sdb" -> "sdb", "03:00.0" -> "0000:03:00.0")
// and appends it, refusing a device the spec already has.
Result<void> AddDevice(NodeSpec& spec, DeviceKind kind, std::string_view text,
                       const SourceLoc& where);
// Guests (guests.cpp): one value each, then the whole entry.
Result<std::string> GuestName(std::string_view text, const SourceLoc& where);
Result<uint32_t> GuestVcpus(std::string_view text, const SourceLoc& where);
// "NODEPORT:GUESTPORT".
Result<GuestPort> GuestPortForward(std::string_view text, const SourceLoc& where);
// A name, mint::vm::CheckSpec's rules, node ports unique; ports imply net.
Result<void> CheckGuest(GuestSpec& guest);
// CheckGuest, then appends it, refusing a name the spec already has.
Result<void> AddGuest(NodeSpec& spec, GuestSpec guest);
// Digits only, no sign, fits in max; nullopt otherwise.
std::optional<uint64_t> ParseDecimal(std::string_view text, uint64_t max);

}  // namespace mint::config::internal
