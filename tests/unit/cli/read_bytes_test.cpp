// mint::cli::ReadBytes: mintctl reads the node's kernel, initrd and nodeconf
// with it; the bytes must come back exactly (any value, any length, across
// its internal block size) and a missing file must be named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "host.h"

namespace mint::cli {
namespace {

class ReadBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/mint-read-bytes-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    for (const auto& path : written_) std::remove(path.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    written_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> written_;
};

std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 131 + i / 251) & 0xff);
  return bytes;
}

TEST_F(ReadBytesTest, EveryLengthAroundTheBlockSizeComesBackExactly) {
  constexpr size_t kMiB = 1 << 20;
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{4095}, kMiB - 1, kMiB, kMiB + 1, 3 * kMiB + 12345}) {
    SCOPED_TRACE(size);
    std::vector<uint8_t> want = Pattern(size);
    auto got = ReadBytes(Write("f" + std::to_string(size), want));
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(got->size(), want.size());
    EXPECT_TRUE(*got == want);
  }
}

TEST_F(ReadBytesTest, ZeroAndHighBytesAreKept) {
  std::vector<uint8_t> want = {0x00, 0xff, 0x1a, 0x0a, 0x0d, 0x00, 0x80};
  auto got = ReadBytes(Write("binary", want));
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, want);
}

TEST_F(ReadBytesTest, AMissingFileIsNamed) {
  auto got = ReadBytes(dir_ + "/absent");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(got.error().ToString(), dir_ + "/absent: cannot read it (No such file or directory)");
}

}  // namespace
}  // namespace mint::cli
