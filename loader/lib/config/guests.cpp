// The guest checks both front doors share (`mintctl vm start` flags and
// nodeconf `guests:` entries), so both accept the same things with the same
// words; the rules of a spec itself are mint::vm::CheckSpec's, the ones the
// node applies again. Syntax and self-consistency only: whether the node has room, KVM
// and the image files is plan's (nodeconf) and mint::vm's (in the node).
#include <algorithm>

#include "checks.h"
#include "mint/config.h"
#include "mint/vm.h"

namespace mint::config {
namespace internal {
namespace {

Error Invalid(const SourceLoc& where, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, where.ToString(), std::move(message));
}

}  // namespace

Result<std::string> GuestName(std::string_view text, const SourceLoc& where) {
  if (!IsValidGuestName(text))
    return Invalid(where, "\"" + std::string(text) + "\" is not a guest name; " + kGuestNameRule +
                              ", e.g. guest1");
  return std::string(text);
}

Result<uint32_t> GuestVcpus(std::string_view text, const SourceLoc& where) {
  auto n = ParseDecimal(text, 255);
  if (!n || *n == 0)
    return Invalid(where, "vcpus \"" + std::string(text) +
                              "\" is not a vCPU count; write a number from 1 to 255, e.g. 1");
  return static_cast<uint32_t>(*n);
}

Result<GuestPort> GuestPortForward(std::string_view text, const SourceLoc& where) {
  auto colon = text.find(':');
  std::optional<uint64_t> host, guest;
  if (colon != std::string_view::npos) {
    host = ParseDecimal(text.substr(0, colon), 65535);
    guest = ParseDecimal(text.substr(colon + 1), 65535);
  }
  if (!host || !guest || *host == 0 || *guest == 0)
    return Invalid(where, "port \"" + std::string(text) +
                              "\" is not a forward; write NODEPORT:GUESTPORT with TCP ports "
                              "1-65535, e.g. 8080:80");
  return GuestPort{static_cast<uint16_t>(*host), static_cast<uint16_t>(*guest)};
}

Result<void> CheckGuest(GuestSpec& guest) {
  const SourceLoc& where = guest.where;
  if (guest.name.empty()) return Invalid(where, "a guest needs a name, e.g. name: guest1");
  // The spec's own rules are mint::vm's, which the node applies again.
  auto rules = vm::CheckSpec(guest);
  if (!rules.ok()) return Invalid(where, rules.error().message);
  for (size_t i = 0; i < guest.ports.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (guest.ports[i].host == guest.ports[j].host)
        return Invalid(where, "guest " + guest.name + " forwards node port " +
                                  std::to_string(guest.ports[i].host) +
                                  " twice; each node port goes to one guest port");
  if (!guest.ports.empty()) guest.net = true;
  return Ok();
}

Result<void> AddGuest(NodeSpec& spec, GuestSpec guest) {
  MINT_CHECK(CheckGuest(guest));
  for (const GuestSpec& other : spec.guests)
    if (other.name == guest.name)
      return Invalid(guest.where, "guest " + guest.name + " is declared twice (first at " +
                                      other.where.ToString() + "); give each guest its own name");
  spec.guests.push_back(std::move(guest));
  return Ok();
}

}  // namespace internal

Result<GuestSpec> GuestFromFlags(const GuestFlags& flags) {
  auto flag = [](std::string_view f) { return SourceLoc{"", 0, 0, std::string(f)}; };
  GuestSpec guest;
  guest.where = flag("GUEST");
  MINT_TRY(guest.name, internal::GuestName(flags.name, flag("GUEST")));
  if (flags.vcpus) {
    MINT_TRY(guest.vcpus, internal::GuestVcpus(*flags.vcpus, flag("--vcpus")));
  }
  if (flags.memory) {
    MINT_TRY(guest.memory, internal::Size("memory", *flags.memory, flag("--mem")));
  }
  if (flags.kernel) {
    MINT_TRY(guest.kernel, internal::ImagePath("kernel", *flags.kernel, flag("--kernel")));
  }
  if (flags.initrd) {
    MINT_TRY(guest.initrd, internal::ImagePath("initrd", *flags.initrd, flag("--initrd")));
  }
  if (flags.image) {
    MINT_TRY(guest.image, internal::ImagePath("image", *flags.image, flag("--image")));
  }
  if (flags.disk) {
    MINT_TRY(guest.disk, internal::ImagePath("disk", *flags.disk, flag("--disk")));
  }
  if (flags.disk_size) {
    MINT_TRY(guest.disk_size, internal::Size("disk-size", *flags.disk_size, flag("--disk-size")));
  }
  if (flags.cmdline) guest.cmdline = *flags.cmdline;
  guest.net = flags.net;
  for (const std::string& port : flags.ports) {
    MINT_TRY(GuestPort p, internal::GuestPortForward(port, flag("--port")));
    guest.ports.push_back(p);
  }
  MINT_CHECK(internal::CheckGuest(guest));
  return guest;
}

}  // namespace mint::config
