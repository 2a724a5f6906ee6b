// What every fuzz harness shares: Check(), which traps on a broken
// contract so libFuzzer reports it as a crash (and so a failed contract is
// never mistaken for "the decoder refused the input"), and NulFields, the
// way a harness cuts its input into fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mint::fuzz {

inline void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Splits `data` at NUL bytes: the fields of a harness's input.
inline std::vector<std::string> NulFields(std::string_view data) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = data.find('\0', start);
    if (end == std::string_view::npos) end = data.size();
    out.emplace_back(data.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace mint::fuzz
