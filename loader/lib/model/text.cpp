// PrintableText (mint/text.h): a strict UTF-8 decoder (RFC 3629) feeding
// a small ECMA-48 recogniser that drops what a terminal would act on.
#include "mint/text.h"

#include <cstdint>
#include <optional>

namespace mint {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kEsc = 0x1B, kBel = 0x07, kCsi = 0x9B, kSt = 0x9C;

// One code point of `text` at `at`, advancing `at`. An ill-formed
// sequence yields one U+FFFD for its maximal subpart (Unicode's
// recommended practice, as nlohmann's error_handler_t::replace does): the
// lead byte and the continuation bytes that could still have led to a
// valid character (so "\xE2\x82" cut off is one U+FFFD, "\xC0\xAF" two).
char32_t Decode(std::string_view text, size_t& at) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t b0 = byte(at);
  if (b0 < 0x80) {
    ++at;
    return b0;
  }
  // RFC 3629's table: the length, and the range of the second byte that
  // excludes overlongs (E0, F0), surrogates (ED) and past U+10FFFF (F4).
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  }
  if (len == 0) {
    ++at;
    return kReplacement;
  }
  char32_t cp = b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    uint8_t b = at + i < text.size() ? byte(at + i) : 0;
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      at += i;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  at += len;
  return cp;
}

void Encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// OSC, DCS, SOS, PM, APC: a control string, ended by ST (or BEL for OSC,
// as xterm takes it).
bool OpensString(char32_t c1) {
  return c1 == 0x9D || c1 == 0x90 || c1 == 0x98 || c1 == 0x9E || c1 == 0x9F;
}

// The C1 control ESC `c` stands for (ESC [ is CSI, ESC ] is OSC, ...).
std::optional<char32_t> C1For(char32_t c) {
  if (c >= 0x40 && c <= 0x5F) return c + 0x40;
  return std::nullopt;
}

}  // namespace

std::string PrintableText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (at < text.size()) {
    char32_t c = Decode(text, at);
    if (c == kEsc && at < text.size()) {
      size_t next = at;
      char32_t after = Decode(text, next);
      if (auto c1 = C1For(after)) {  // ESC [ -> CSI and friends: one control
        c = *c1;
        at = next;
      } else if (after >= 0x20 && after <= 0x7E) {
        // ESC, intermediates 0x20..0x2F, a final 0x30..0x7E (ESC ( B, ESC c).
        at = next;
        while (after >= 0x20 && after <= 0x2F && at < text.size()) {
          next = at;
          after = Decode(text, next);
          if (after < 0x20 || after > 0x7E) break;
          at = next;
        }
        continue;
      }
    }
    if (c == kCsi) {
      // Parameter bytes 0x30..0x3F, intermediates 0x20..0x2F, one final
      // byte 0x40..0x7E; anything else ends it early (and is looked at).
      while (at < text.size()) {
        size_t next = at;
        char32_t p = Decode(text, next);
        if (p < 0x20 || p > 0x7E) break;
        at = next;
        if (p >= 0x40) break;
      }
      continue;
    }
    if (OpensString(c)) {
      while (at < text.size()) {
        size_t next = at;
        char32_t s = Decode(text, next);
        if (s == '\n') break;  // the line ends it here: the rest stays text
        at = next;
        if (s == kBel || s == kSt) break;
        if (s == kEsc && at < text.size() && text[at] == '\\') {
          ++at;
          break;
        }
      }
      continue;
    }
    if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      continue;
    }
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) continue;
    Encode(c, out);
  }
  return out;
}

}  // namespace mint
