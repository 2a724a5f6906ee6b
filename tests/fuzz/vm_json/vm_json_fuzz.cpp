// libFuzzer target for mint::vm's JSON decoders (mint/vm.h "wire format"):
// what a node's `mint-agent vm` prints on stdout, which mintctl vm (through
// the channel) and mint::vm decode. The first byte picks the decoder
// (guest status, guest list, node facts, guest spec); the rest is the text.
// Contracts beyond "no crash": no exception escapes (the decoders promise
// none); an accepted value keeps the limits (kMaxGuests guests, kMaxString
// bytes a string) and round-trips: encoded and decoded again it is
// accepted and encodes to the same text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "mint/vm.h"

namespace {

using mint::fuzz::Check;
namespace vm = mint::vm;

void CheckStatus(const vm::GuestStatus& g) {
  for (const std::string* s : {&g.name, &g.state, &g.reason, &g.disk, &g.console})
    Check(s->size() <= vm::kMaxString);
}

template <typename Decode, typename Encode>
void RoundTrip(std::string_view text, Decode decode, Encode encode) {
  auto value = decode(text);
  if (!value.ok()) {
    Check(!value.error().message.empty());
    return;
  }
  std::string once = encode(*value);
  auto again = decode(once);
  Check(again.ok());
  Check(encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      RoundTrip(text, vm::GuestStatusFromJson, vm::GuestStatusToJson);
      if (auto g = vm::GuestStatusFromJson(text); g.ok()) CheckStatus(*g);
      break;
    case 1:
      RoundTrip(text, vm::GuestListFromJson, vm::GuestListToJson);
      if (auto list = vm::GuestListFromJson(text); list.ok()) {
        Check(list->size() <= vm::kMaxGuests);
        for (const auto& g : *list) CheckStatus(g);
      }
      break;
    case 2:
      RoundTrip(text, vm::NodeFactsFromJson, vm::NodeFactsToJson);
      break;
    case 3:
      RoundTrip(text, vm::GuestSpecFromJson, vm::GuestSpecToJson);
      break;
  }
  return 0;
}
