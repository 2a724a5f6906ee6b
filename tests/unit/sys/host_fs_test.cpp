// Tests for the real HostFs: paths are joined under the root, directory
// listings are sorted, links are returned as their text, and failures are
// kNotFound / kIo errors naming the host path and the tree.
#include "mint/sys/host_fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mint::sys {
namespace {

class HostFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mint-hostfs-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + path).parent_path());
    std::ofstream(root_ + path, std::ios::binary) << text;
  }
  std::string root_;
};

TEST_F(HostFsTest, ReadsFilesUnderTheRoot) {
  Write("/proc/cmdline", "console=ttyS0\n");
  auto fs = OpenHostFs(root_ + "/");  // a trailing slash is dropped
  EXPECT_EQ(fs->root(), root_);
  auto text = fs->ReadFile("/proc/cmdline");
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  EXPECT_EQ(*text, "console=ttyS0\n");
}

TEST_F(HostFsTest, ReadsBinaryAndLargeFilesWhole) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Write("/sys/bus/pci/devices/x/config", data);
  auto fs = OpenHostFs(root_);
  auto text = fs->ReadFile("/sys/bus/pci/devices/x/config");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, data);
}

TEST_F(HostFsTest, ListsSortedWithoutDots) {
  Write("/sys/block/vdb/size", "1\n");
  Write("/sys/block/sda/size", "1\n");
  Write("/sys/block/loop0/size", "1\n");
  auto fs = OpenHostFs(root_);
  auto names = fs->ListDir("/sys/block");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"loop0", "sda", "vdb"}));
}

TEST_F(HostFsTest, ReadsLinkTextAndFollowsLinksForReads) {
  Write("/sys/devices/pci0000:00/0000:00:02.0/vendor", "0x1af4\n");
  std::filesystem::create_directories(root_ + "/sys/bus/pci/devices");
  ASSERT_EQ(symlink("../../../devices/pci0000:00/0000:00:02.0",
                    (root_ + "/sys/bus/pci/devices/0000:00:02.0").c_str()),
            0);
  auto fs = OpenHostFs(root_);
  auto target = fs->ReadLink("/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, "../../../devices/pci0000:00/0000:00:02.0");
  auto vendor = fs->ReadFile("/sys/bus/pci/devices/0000:00:02.0/vendor");
  ASSERT_TRUE(vendor.ok());
  EXPECT_EQ(*vendor, "0x1af4\n");
  EXPECT_TRUE(fs->Exists("/sys/bus/pci/devices/0000:00:02.0/vendor"));
  EXPECT_FALSE(fs->Exists("/sys/bus/pci/devices/0000:00:03.0"));
}

TEST_F(HostFsTest, MissingFileIsNotFoundNamingPathAndTree) {
  auto fs = OpenHostFs(root_);
  auto text = fs->ReadFile("/proc/iomem");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(text.error().sys_errno, ENOENT);
  EXPECT_EQ(text.error().context, "/proc/iomem");
  EXPECT_EQ(text.error().message, "cannot open (host tree under " + root_ + ")");
  auto names = fs->ListDir("/sys/block");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(names.error().message, "cannot list directory (host tree under " + root_ + ")");
}

TEST_F(HostFsTest, ReadLinkOfAFileIsAnIoError) {
  Write("/sys/block/vda/size", "8\n");
  auto fs = OpenHostFs(root_);
  auto target = fs->ReadLink("/sys/block/vda/size");
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.error().code, ErrorCode::kIo);
  EXPECT_EQ(target.error().sys_errno, EINVAL);
  EXPECT_EQ(target.error().message, "cannot read link (host tree under " + root_ + ")");
}

TEST_F(HostFsTest, ReadingADirectoryIsAnIoError) {
  Write("/sys/block/vda/size", "8\n");
  auto fs = OpenHostFs(root_);
  auto text = fs->ReadFile("/sys/block/vda");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kIo);
  EXPECT_EQ(text.error().sys_errno, EISDIR);
}

TEST_F(HostFsTest, RelativePathsAreRefused) {
  auto fs = OpenHostFs(root_);
  auto text = fs->ReadFile("proc/iomem");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kInternal);
  EXPECT_EQ(text.error().message, "host paths must be absolute (this is a bug in mint)");
  EXPECT_FALSE(fs->Exists("proc"));
}

TEST(HostFsLive, RootSlashReadsTheRealPathsUnchanged) {
  auto fs = OpenHostFs("/");
  EXPECT_EQ(fs->root(), "/");
  // A file every Linux machine has; the contents are not asserted.
  EXPECT_TRUE(fs->Exists("/proc/self"));
  auto missing = fs->ReadFile("/nonexistent-mint-test-path");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot open");  // no tree suffix for the live host
}

}  // namespace
}  // namespace mint::sys
