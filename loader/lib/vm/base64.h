// Base64 (RFC 4648, standard alphabet, padded) for the guest agent
// protocol: requests carry a script, answers carry the command's output.
// Written here because the static mint-agent has no library that does it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mint::vm::internal {

std::string Base64Encode(std::string_view bytes);  // one line, no newline
// Ignores ASCII whitespace anywhere (busybox base64 wraps at 76 columns);
// nullopt for any other byte outside the alphabet, a bad length or padding
// in the middle.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mint::vm::internal
