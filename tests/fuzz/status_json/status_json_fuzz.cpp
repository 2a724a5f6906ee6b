// libFuzzer target for `mintctl status --json` on a node that went down:
// its console tail (lifecycle::ConsoleTail of nodes/<id>/console, any
// bytes) and its reason go into the JSON that mint::JsonText prints, the
// one printer of every mintctl --json. Input: [u8 reason length][reason]
// [console bytes].
//
// Contracts beyond "no crash": JsonText never throws, its output parses
// back with nlohmann (strict: valid UTF-8 and JSON), the tail comes back
// with as many lines, each line that was valid UTF-8 exactly as the node
// wrote it, and each line that was not with U+FFFD where PrintableText
// puts it (both replace each maximal ill-formed subpart, mint/text.h).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "memory_fs.h"
#include "mint/json_text.h"
#include "mint/lifecycle.h"
#include "mint/text.h"

namespace {

using mint::fuzz::Check;

bool IsUtf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();  // strict: throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t reason_len = std::min<size_t>(data[0], bytes.size());
  std::string reason(bytes.substr(0, reason_len));
  std::string console(bytes.substr(reason_len));

  const std::string dir = "/sys/kernel/mint/nodes/1";
  mint::fuzz::MemoryFs fs;
  fs.Put(dir + "/console", console);
  std::vector<std::string> tail = mint::lifecycle::ConsoleTail(fs, dir, 12);

  nlohmann::json node = {{"id", 1}, {"name", "node1"}, {"state", "crashed"}, {"reason", reason}};
  node["console_tail"] = tail;
  nlohmann::json status = {{"nodes", nlohmann::json::array({node})}};
  std::string text = mint::JsonText(status);

  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    Check(false);  // mintctl printed something that is not JSON
  }
  const nlohmann::json& back = parsed["nodes"][0];
  Check(back["console_tail"].is_array() && back["console_tail"].size() == tail.size());
  for (size_t i = 0; i < tail.size(); ++i) {
    const std::string line = back["console_tail"][i].get<std::string>();
    if (IsUtf8(tail[i]))
      Check(line == tail[i]);
    else
      Check(mint::PrintableText(line) == mint::PrintableText(tail[i]));
  }
  const std::string reason_back = back["reason"].get<std::string>();
  Check(IsUtf8(reason) ? reason_back == reason
                       : mint::PrintableText(reason_back) == mint::PrintableText(reason));
  return 0;
}
