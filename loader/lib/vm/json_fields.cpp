// The checked JSON reader (json_fields.h).
#include "json_fields.h"

#include <cmath>

namespace mint::vm::internal {

std::optional<nlohmann::json> ParseJson(std::string_view text, size_t max, std::string& why) {
  if (text.size() > max) {
    why = std::to_string(text.size()) + " bytes, more than the " + std::to_string(max) + " allowed";
    return std::nullopt;
  }
  // nlohmann takes a NUL for the end of the input: what follows would pass unseen.
  if (text.find('\0') != std::string_view::npos) {
    why = "a NUL byte in the text";
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    why = "not JSON";
    return std::nullopt;
  }
  return j;
}

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Fields::Fields(const nlohmann::json& obj, std::string path, std::string& error)
    : obj_(obj), path_(std::move(path)), error_(error) {
  if (!obj_.is_object()) Fail("", "is not a JSON object");
}

std::string Fields::Path(const std::string& key) const {
  if (key.empty()) return path_.empty() ? "the top level" : path_;
  return path_.empty() ? key : path_ + "." + key;
}

void Fields::Fail(const std::string& key, const std::string& why) {
  if (error_.empty()) error_ = Path(key) + " " + why;
}

const nlohmann::json* Fields::Find(const char* key, bool required) {
  asked_.insert(key);
  if (!obj_.is_object()) return nullptr;
  auto it = obj_.find(key);
  if (it == obj_.end()) {
    if (required) Fail(key, "is missing");
    return nullptr;
  }
  return &*it;
}

std::string Fields::String(const char* key, bool required, size_t max_bytes, std::string fallback) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return fallback;
  if (!v->is_string()) {
    Fail(key, "is not a string");
    return fallback;
  }
  const std::string& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    Fail(key, "is longer than " + std::to_string(max_bytes) + " bytes");
    return fallback;
  }
  return s;
}

uint64_t Fields::Unsigned(const char* key, bool required, uint64_t max, uint64_t fallback) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return fallback;
  // nlohmann keeps a non-negative integer as number_unsigned.
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    Fail(key, "is not a whole number from 0 to " + std::to_string(max));
    return fallback;
  }
  return v->get<uint64_t>();
}

int64_t Fields::Signed(const char* key, bool required, int64_t min, int64_t max, int64_t fallback) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return fallback;
  bool fits = v->is_number_integer() &&
              (v->is_number_unsigned() ? v->get<uint64_t>() <= static_cast<uint64_t>(max)
                                       : v->get<int64_t>() >= min && v->get<int64_t>() <= max);
  if (!fits) {
    Fail(key, "is not a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return v->get<int64_t>();
}

double Fields::Number(const char* key, bool required, double max, double fallback) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return fallback;
  double d = v->is_number() ? v->get<double>() : -1;
  if (!v->is_number() || !std::isfinite(d) || d < 0 || d > max) {
    Fail(key, "is not a number from 0 to " + std::to_string(static_cast<uint64_t>(max)));
    return fallback;
  }
  return d;
}

bool Fields::Bool(const char* key, bool required, bool fallback) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    Fail(key, "is not true or false");
    return fallback;
  }
  return v->get<bool>();
}

const nlohmann::json* Fields::Array(const char* key, bool required, size_t max_items) {
  const nlohmann::json* v = Find(key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    Fail(key, "is not an array");
    return nullptr;
  }
  if (v->size() > max_items) {
    Fail(key, "has " + std::to_string(v->size()) + " entries, more than the " +
                  std::to_string(max_items) + " allowed");
    return nullptr;
  }
  return v;
}

void Fields::NoOthers() {
  if (!obj_.is_object()) return;
  for (auto it = obj_.begin(); it != obj_.end(); ++it)
    if (asked_.count(it.key()) == 0) {
      std::string key = it.key().size() > 64 ? it.key().substr(0, 64) + "..." : it.key();
      Fail(key, "is not a field mint knows");
      return;
    }
}

}  // namespace mint::vm::internal
