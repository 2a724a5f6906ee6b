// mint_boot's own helpers, shared by boot.cpp and expand.cpp (not public):
// message building without std::format (GCC 12 has none) and little-endian
// reads from an image.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <string>

namespace mint::boot::internal {

// Cat(a, b, ...): the arguments streamed into one string.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// The T at `offset` of `bytes`, little endian; the caller checked the bounds.
template <typename T>
T ReadLe(std::span<const uint8_t> bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}

}  // namespace mint::boot::internal
