// libFuzzer target for how node0 reads a node's console ring
// (nodes/<id>/console, any bytes): `mintctl console -f`'s position logic
// (lifecycle::NewConsoleText), the console tail status and boot show
// (lifecycle::ConsoleTailLines) and the text made printable for the
// terminal (mint::PrintableText). Input: [u16 split][bytes]; the bytes
// before `split` are what was read (and printed) before, the rest is new.
//
// Contracts beyond "no crash":
//  - NewConsoleText(before, now) is a suffix of now, and what was printed
//    then ends with the ring's content (before + new ends with now); the
//    overlap it skips is a suffix of before and the longest one (checked
//    against every shorter overlap for small inputs);
//  - a ring that kept a suffix of before and got `added` after it never
//    yields more than `added`;
//  - the tail has at most N lines, none empty, none with a newline or a
//    trailing blank/CR, and they are the last such lines of the text;
//  - PrintableText is valid UTF-8 without C0 (but \n, \t), DEL or C1
//    controls, keeps every newline, and is idempotent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "mint/lifecycle.h"
#include "mint/text.h"

namespace {

using mint::fuzz::Check;

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<uint8_t>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
      return false;
    i += len;
  }
  return true;
}

void CheckFollow(const std::string& before, const std::string& now) {
  std::string fresh = mint::lifecycle::NewConsoleText(before, now);
  Check(fresh.size() <= now.size());
  Check(std::string_view(now).ends_with(fresh));
  size_t overlap = now.size() - fresh.size();
  Check(std::string_view(before).ends_with(std::string_view(now).substr(0, overlap)));
  Check(std::string_view(before + fresh).ends_with(now));
  if (before.size() <= 512 && now.size() <= 512) {
    for (size_t k = overlap + 1; k <= std::min(before.size(), now.size()); ++k)
      Check(!std::string_view(before).ends_with(std::string_view(now).substr(0, k)));
  }
}

void CheckTail(std::string_view text, size_t n) {
  std::vector<std::string> tail = mint::lifecycle::ConsoleTailLines(text, n);
  Check(tail.size() <= n);
  // The lines the tail must end with, as the contract words them.
  std::vector<std::string> all;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string line(text.substr(start, end - start));
    line.erase(line.find_last_not_of("\r ") + 1);
    if (!line.empty()) all.push_back(line);
    start = end + 1;
  }
  Check(tail.size() == std::min(n, all.size()));
  Check(std::equal(tail.begin(), tail.end(), all.end() - static_cast<long>(tail.size())));
  for (const auto& line : tail)
    Check(!line.empty() && line.find('\n') == std::string::npos && line.back() != ' ' &&
          line.back() != '\r');
}

void CheckPrintable(std::string_view text) {
  std::string shown = mint::PrintableText(text);
  Check(ValidUtf8(shown));
  Check(std::count(shown.begin(), shown.end(), '\n') == std::count(text.begin(), text.end(), '\n'));
  Check(mint::PrintableText(shown) == shown);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  size_t split = std::min<size_t>(data[0] | (size_t{data[1]} << 8), bytes.size());
  std::string before(bytes.substr(0, split));
  std::string now(bytes.substr(split));

  CheckFollow(before, now);
  // The ring as it is after a read: a suffix of before, then what was added.
  size_t cut = before.empty() ? 0 : data[0] % (before.size() + 1);
  std::string ring = before.substr(cut) + now;
  std::string fresh = mint::lifecycle::NewConsoleText(before, ring);
  Check(fresh.size() <= now.size() && std::string_view(now).ends_with(fresh));
  CheckFollow(before, ring);

  CheckTail(bytes, 12);
  CheckTail(bytes, data[1] % 16);
  CheckPrintable(bytes);
  return 0;
}
