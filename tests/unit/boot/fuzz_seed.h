// A fuzz target's committed seed must be the bytes the tests' own maker
// gives; MINT_UPDATE_GOLDEN=1 rewrites it (and fails, so the rewrite is
// reviewed like the golden files). Returns the seed's bytes as read.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mint::boot::testing {

inline std::vector<uint8_t> ExpectSeedFile(const std::string& path,
                                           const std::vector<uint8_t>& want) {
  if (std::getenv("MINT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(want.data()),
               static_cast<std::streamsize>(want.size()));
    ADD_FAILURE() << "rewrote " << path;
    return want;
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, want) << path;
  return got;
}

}  // namespace mint::boot::testing
