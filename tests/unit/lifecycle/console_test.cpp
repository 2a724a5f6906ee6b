// A node's console ring: NewConsoleText (following a ring that is read
// whole each time) and ConsoleTailLines.
#include <gtest/gtest.h>

#include "mint/lifecycle.h"

namespace mint::lifecycle {
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

TEST(ConsoleTail, LastNonEmptyLinesWithTrailingBlanksCut) {
  EXPECT_EQ(ConsoleTailLines("a\r\n\n  \nb  \nc", 2), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(ConsoleTailLines("one\n", 12), std::vector<std::string>{"one"});
  EXPECT_TRUE(ConsoleTailLines("", 12).empty());
}

}  // namespace
}  // namespace mint::lifecycle
