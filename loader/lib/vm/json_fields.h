// Checked reading of JSON objects that came from outside the process (a
// node's stdout, a state file): every access checks the type and range,
// nothing throws, unknown keys are refused, and the first problem is kept
// with the field's path ("guests[3].memory") for the Error.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "mint/result.h"

namespace mint::vm::internal {

// nlohmann's non-throwing parse of at most `max` bytes; nullopt (and `why`)
// when it is not JSON.
std::optional<nlohmann::json> ParseJson(std::string_view text, size_t max, std::string& why);

// Dumps without throwing: invalid UTF-8 becomes U+FFFD.
std::string DumpJson(const nlohmann::json& j);

class Fields {
 public:
  // `obj` must outlive this; `path` prefixes field names in messages.
  Fields(const nlohmann::json& obj, std::string path, std::string& error);

  bool ok() const { return error_.empty(); }
  // Each getter returns `fallback` when the key is absent and !required,
  // and records an error (returning fallback) when it is wrong.
  std::string String(const char* key, bool required, size_t max_bytes, std::string fallback = "");
  uint64_t Unsigned(const char* key, bool required, uint64_t max, uint64_t fallback = 0);
  int64_t Signed(const char* key, bool required, int64_t min, int64_t max, int64_t fallback = 0);
  double Number(const char* key, bool required, double max, double fallback = 0);
  bool Bool(const char* key, bool required, bool fallback = false);
  // An array of at most max_items, or nullptr (absent and !required, or wrong).
  const nlohmann::json* Array(const char* key, bool required, size_t max_items);
  // Records an error for every key not asked about. Call last.
  void NoOthers();
  void Fail(const std::string& key, const std::string& why);
  std::string Path(const std::string& key) const;

 private:
  const nlohmann::json* Find(const char* key, bool required);

  const nlohmann::json& obj_;
  std::string path_;
  std::string& error_;
  std::set<std::string> asked_;
};

}  // namespace mint::vm::internal
