// PrintableText: what a crashed node's console can hold, byte for byte —
// real escape sequences (xterm's title, clear screen, colours, a hyperlink),
// bare controls, 8-bit C1, and broken UTF-8 — and what is left to print.
#include "mint/text.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

TEST(PrintableText, KeepsPlainTextNewlinesAndTabs) {
  EXPECT_EQ(PrintableText("Kernel panic - not syncing: x\n\tcpu 1\n"),
            "Kernel panic - not syncing: x\n\tcpu 1\n");
  EXPECT_EQ(PrintableText(""), "");
}

TEST(PrintableText, KeepsValidUtf8) {
  EXPECT_EQ(PrintableText("grüße 日本 \xF0\x9F\x90\xA7"), "grüße 日本 \xF0\x9F\x90\xA7");
}

TEST(PrintableText, RemovesCsiSequencesWhole) {
  EXPECT_EQ(PrintableText("\x1b[2Jcleared"), "cleared");
  EXPECT_EQ(PrintableText("\x1b[1;31mred\x1b[0m text"), "red text");
  EXPECT_EQ(PrintableText("a\x1b[?1049hb"), "ab");  // alternate screen
  EXPECT_EQ(PrintableText("x\x1b[6n"), "x");        // asks the terminal to answer
  EXPECT_EQ(PrintableText("\x1b[ q"), "");          // intermediate byte, then final
  EXPECT_EQ(PrintableText("cut\x1b["), "cut");
  EXPECT_EQ(PrintableText("cut\x1b[12"), "cut");
  // A control inside ends the sequence; the text after it stays.
  EXPECT_EQ(PrintableText("\x1b[12\nnext"), "\nnext");
}

TEST(PrintableText, RemovesOscAndOtherControlStrings) {
  EXPECT_EQ(PrintableText("\x1b]0;title\aafter"), "after");  // \a: BEL
  EXPECT_EQ(PrintableText("\x1b]0;title\x1b\\after"), "after");
  EXPECT_EQ(PrintableText("\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\"), "link");
  EXPECT_EQ(PrintableText("\x1bPq#0;2;0;0;0\x1b\\dcs"), "dcs");  // DCS (sixel)
  EXPECT_EQ(PrintableText("\x1b_apc\x07\x1b^pm\x1b\\\x1bXsos\x1b\\ok"), "ok");
  // Unterminated: it ends with its line, the next line is kept.
  EXPECT_EQ(PrintableText("a\x1b]0;never ends\nnext line"), "a\nnext line");
}

TEST(PrintableText, RemovesShortEscapeSequences) {
  EXPECT_EQ(PrintableText("\033creset"), "reset");   // RIS: full reset
  EXPECT_EQ(PrintableText("\x1b(Bascii"), "ascii");  // designate G0
  EXPECT_EQ(PrintableText("\0337save\0338"), "save");
  EXPECT_EQ(PrintableText("\x1bMup"), "up");  // ESC M: C1 RI
  EXPECT_EQ(PrintableText("end\x1b"), "end");
  EXPECT_EQ(PrintableText("\x1b\nx"), "\nx");
}

TEST(PrintableText, RemovesOtherControlsAndDel) {
  // CR, BS, BEL, DEL, NUL, FF, SO.
  EXPECT_EQ(PrintableText(std::string_view("a\rb\bc\ad\177e\0f\fg\016h", 16)), "abcdefgh");
  EXPECT_EQ(PrintableText("line\r\n"), "line\n");
}

TEST(PrintableText, RemovesC1ControlsInBothForms) {
  // In octal: U+009B (CSI) as UTF-8 (302 233) with its parameters, a
  // U+009D (OSC) string (302 235 ... BEL), U+0085 (NEL).
  EXPECT_EQ(PrintableText("a\302\2332Jb"), "ab");
  EXPECT_EQ(PrintableText("a\302\2350;t\ab"), "ab");
  EXPECT_EQ(PrintableText("a\302\205b"), "ab");
  // Raw 8-bit C1 bytes are not UTF-8: shown as U+FFFD, never acted on.
  EXPECT_EQ(PrintableText("a\2332Jb"), "a\uFFFD2Jb");
}

TEST(PrintableText, ReplacesInvalidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(PrintableText("\xff"), r);
  EXPECT_EQ(PrintableText("ok\xc3"), "ok" + r);                 // cut off
  EXPECT_EQ(PrintableText("\xc3(x"), r + "(x");                 // bad continuation
  EXPECT_EQ(PrintableText("\xc0\xaf"), r + r);                  // overlong '/'
  EXPECT_EQ(PrintableText("\xe0\x80\xaf"), r + r + r);          // overlong, 3 bytes
  EXPECT_EQ(PrintableText("\xed\xa0\x80"), r + r + r);          // surrogate D800
  EXPECT_EQ(PrintableText("\xf4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(PrintableText("\xf5\x80\x80\x80"), r + r + r + r);
  EXPECT_EQ(PrintableText("\x80panic"), r + "panic");
  // One U+FFFD for a sequence cut off after a good start, as nlohmann's
  // JSON dump replaces it (so status and status --json agree).
  EXPECT_EQ(PrintableText("\xe2\x82\n"), r + "\n");
  EXPECT_EQ(PrintableText("\xf0\x9f\x90!"), r + "!");
  EXPECT_EQ(PrintableText("\xf0\x9f\x90\xa7\xf0\x9f"), "\xf0\x9f\x90\xa7" + r);
}

}  // namespace
}  // namespace mint
