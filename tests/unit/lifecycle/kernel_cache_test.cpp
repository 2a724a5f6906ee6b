// lifecycle::ExpandKernel: the expanded-kernel cache in a temp root.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fake_vmlinux.h"
#include "mint/lifecycle.h"

namespace mint::lifecycle {
namespace {

using boot::testing::CompressForKernel;
using boot::testing::FakeCompression;
using boot::testing::MakeBzImageWithPayload;
using boot::testing::MakeFakeVmlinux;
namespace fs = std::filesystem;

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mint-kcache-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(root_); }
  std::vector<fs::path> Entries() {
    std::vector<fs::path> out;
    if (fs::exists(KernelCacheDir(root_)))
      for (const auto& e : fs::directory_iterator(KernelCacheDir(root_))) out.push_back(e.path());
    return out;
  }
  std::string root_;
};

TEST_F(KernelCacheTest, ExpandsOnceThenReadsTheCache) {
  auto vmlinux = MakeFakeVmlinux();
  auto image = MakeBzImageWithPayload(CompressForKernel(vmlinux, FakeCompression::kXz));
  KernelExpansion first = ExpandKernel(root_, image, true);
  ASSERT_TRUE(first.decompressed);
  EXPECT_EQ(*first.decompressed, vmlinux);
  EXPECT_EQ(first.note.rfind("kernel expanded (xz, ", 0), 0u) << first.note;
  ASSERT_EQ(Entries().size(), 1u);
  EXPECT_NE(first.note.find(Entries()[0].string()), std::string::npos);
  KernelExpansion again = ExpandKernel(root_, image, false);  // plan: the cache only
  ASSERT_TRUE(again.decompressed);
  EXPECT_EQ(*again.decompressed, vmlinux);
  EXPECT_EQ(again.note, "kernel expanded, from the cache (" + Entries()[0].string() + ")");
}

TEST_F(KernelCacheTest, KeyedByTheImagesBytes) {
  auto image = MakeBzImageWithPayload(CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz));
  ASSERT_TRUE(ExpandKernel(root_, image, true).decompressed);
  auto other = image;
  other[0x1f2] ^= 1;  // one byte of the setup header: another image
  KernelExpansion x = ExpandKernel(root_, other, false);
  EXPECT_FALSE(x.decompressed);
  EXPECT_EQ(x.note, "kernel not expanded yet: mintctl boot expands it and caches it in " +
                        KernelCacheDir(root_));
  ASSERT_TRUE(ExpandKernel(root_, other, true).decompressed);
  EXPECT_EQ(Entries().size(), 2u);
}

TEST_F(KernelCacheTest, ADamagedEntryIsMadeAgainNeverBooted) {
  auto vmlinux = MakeFakeVmlinux();
  auto image = MakeBzImageWithPayload(CompressForKernel(vmlinux, FakeCompression::kZstd));
  ASSERT_TRUE(ExpandKernel(root_, image, true).decompressed);
  const fs::path entry = Entries().at(0);
  for (auto size : {uintmax_t{100}, fs::file_size(entry) + 1}) {
    {
      std::ofstream f(entry, std::ios::binary | std::ios::trunc);
      f << std::string(size, 'x');
    }
    EXPECT_FALSE(ExpandKernel(root_, image, false).decompressed) << size;
    KernelExpansion x = ExpandKernel(root_, image, true);
    ASSERT_TRUE(x.decompressed);
    EXPECT_EQ(*x.decompressed, vmlinux);
    EXPECT_EQ(x.note.rfind("kernel expanded (zstd, ", 0), 0u) << x.note;
  }
}

TEST_F(KernelCacheTest, KeepsTheFourMostRecent) {
  for (int i = 0; i < 6; ++i) {
    auto image =
        MakeBzImageWithPayload(CompressForKernel(MakeFakeVmlinux(), FakeCompression::kGzip));
    image[0x1f2] = static_cast<uint8_t>(i);
    ASSERT_TRUE(ExpandKernel(root_, image, true).decompressed);
  }
  EXPECT_EQ(Entries().size(), 4u);
}

TEST_F(KernelCacheTest, WhatCannotBeExpandedBootsCompressed) {
  std::vector<uint8_t> bz = {'B', 'Z', 'h', '9', 0, 0, 0, 0, 0x10, 0, 0, 0};
  KernelExpansion x = ExpandKernel(root_, MakeBzImageWithPayload(bz), true);
  EXPECT_FALSE(x.decompressed);
  EXPECT_EQ(x.note,
            "kernel boots compressed: is compressed with bzip2; mint expands gzip, xz and zstd "
            "kernels (CONFIG_KERNEL_GZIP, _XZ, _ZSTD)");
  EXPECT_TRUE(Entries().empty());
  KernelExpansion junk = ExpandKernel(root_, std::vector<uint8_t>(100, 0), true);
  EXPECT_FALSE(junk.decompressed);
  EXPECT_EQ(junk.note.rfind("kernel boots compressed: ", 0), 0u);
}

TEST_F(KernelCacheTest, AnUnwritableCacheStillExpands) {
  fs::create_directories(fs::path(KernelCacheDir(root_)).parent_path());
  std::ofstream(KernelCacheDir(root_)) << "a file where the directory should be";
  auto image = MakeBzImageWithPayload(CompressForKernel(MakeFakeVmlinux(), FakeCompression::kXz));
  KernelExpansion x = ExpandKernel(root_, image, true);
  ASSERT_TRUE(x.decompressed);
  EXPECT_NE(x.note.find("; not cached ("), std::string::npos) << x.note;
}

}  // namespace
}  // namespace mint::lifecycle
