// mint::cli::ReadBytes: mintctl reads the node's kernel, initrd and nodeconf
// with it; the bytes must come back exactly (any value, any length, across
// its internal block size) and a missing file must be named.
#include <gtest/gtest.h>
#include <sys/stat.h>
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

// --kernel /dev/zero ended in an uncaught std::bad_alloc: ReadBytes read
// until the end that never comes. What is no regular file is refused first.
TEST_F(ReadBytesTest, WhatIsNotARegularFileIsRefusedBeforeReading) {
  auto zero = ReadBytes("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(zero.error().ToString(),
            "/dev/zero: a character device, not a regular file; give the file itself (a kernel "
            "image, an initramfs or a nodeconf file)");
  auto dir = ReadBytes(dir_);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().ToString(), dir_ +
                                        ": a directory, not a regular file; give the file itself "
                                        "(a kernel image, an initramfs or a nodeconf file)");
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  written_.push_back(fifo);
  auto from_fifo = ReadBytes(fifo);  // and the open does not wait for a writer
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_EQ(from_fifo.error().message.rfind("a FIFO, not a regular file", 0), 0u);
}

// A sparse file one byte over the limit: refused by its size, nothing read.
TEST_F(ReadBytesTest, AFileOverTheLimitIsRefusedBeforeReading) {
  std::string path = Write("huge", {});
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(kMaxReadBytes + 1)), 0);
  auto got = ReadBytes(path);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(got.error().ToString(),
            path +
                ": 1073741825 bytes, more than the 1 GiB mintctl reads (a node's kernel and "
                "initramfs are megabytes, a nodeconf file kilobytes); give the right file");
}

}  // namespace
}  // namespace mint::cli
