// NewConsoleText: following a ring that is read whole each time.
#include "console_follow.h"

#include <gtest/gtest.h>

namespace mint::cli {
namespace {

TEST(ConsoleFollow, AppendedTextIsNew) {
  EXPECT_EQ(NewConsoleText("", "boot\n"), "boot\n");
  EXPECT_EQ(NewConsoleText("boot\n", "boot\nup\n"), "up\n");
  EXPECT_EQ(NewConsoleText("boot\n", "boot\n"), "");
}

TEST(ConsoleFollow, AWrappedRingResumesAfterWhatWasPrinted) {
  // An 8-byte ring: "abcdefgh" then 3 more bytes pushed the oldest out.
  EXPECT_EQ(NewConsoleText("abcdefgh", "defghijk"), "ijk");
}

TEST(ConsoleFollow, AWrappedRingThatAlsoGrewIsHandled) {
  std::string before(300, 'x');
  before += "line A\n";
  std::string now = before.substr(100) + "line B\n";
  EXPECT_EQ(NewConsoleText(before, now), "line B\n");
}

TEST(ConsoleFollow, BinaryBytesAreKept) {
  std::string before("a\0b", 3);
  std::string now("a\0b\0c", 5);
  EXPECT_EQ(NewConsoleText(before, now), std::string("\0c", 2));
}

TEST(ConsoleFollow, ARingThatMovedOnByMoreThanItHoldsIsPrintedWhole) {
  EXPECT_EQ(NewConsoleText("abcdefgh", "01234567"), "01234567");
}

}  // namespace
}  // namespace mint::cli
