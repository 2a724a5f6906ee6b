// JsonText (mint/json_text.h).
#include "mint/json_text.h"

namespace mint {

std::string JsonText(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mint
