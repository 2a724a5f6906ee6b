// How mint prints JSON (`mintctl ... --json`): indented, and safe for text
// the nodes wrote. A node's console, its reason, its agent's words may be
// any bytes: a byte that is not UTF-8 becomes U+FFFD, so the output is
// always valid JSON (nlohmann's default would throw instead).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mint {

// Never throws for any content of `j`'s strings.
std::string JsonText(const nlohmann::json& j);

}  // namespace mint
