// libFuzzer entry for the nodeconf parser. Besides "no crash", it checks
// two properties on every accepted input: the result re-validates through
// ApplyFlags unchanged, and every error has a file:line:col context.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mint/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto spec = mint::config::ParseNodeConf(yaml, "fuzz.yaml");
  if (!spec.ok()) {
    if (!std::string_view(spec.error().context).starts_with("fuzz.yaml:")) std::abort();
    return 0;
  }
  // A spec the parser accepted must pass the flag checks untouched.
  auto again = mint::config::ApplyFlags(*spec, {});
  if (!again.ok()) std::abort();
  if (!spec->name.empty() && !mint::config::CheckNodeName(spec->name, {}).ok()) std::abort();
  return 0;
}
