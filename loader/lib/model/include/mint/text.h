// Text that mint did not write — a node's console, the reason its kernel
// recorded, what its mint-agent or a guest's says — made safe to show on
// the operator's terminal as part of mintctl's own output. A node is a
// kernel that may have crashed mid-write: its bytes may be any bytes.
// (`mintctl console` and `exec` pass a node's bytes through untouched:
// there the node's output is the output.)
#pragma once

#include <string>
#include <string_view>

namespace mint {

// `text` with every terminal control taken out and valid UTF-8 throughout:
//  - escape sequences (ECMA-48) removed whole: CSI (ESC [ or U+009B, up to
//    its final byte), OSC/DCS/SOS/PM/APC strings (ESC ] P X ^ _ or their
//    C1 forms, up to BEL, ST or the end of the line) and the short ESC
//    sequences (ESC c, ESC ( B, ...);
//  - the other C0 controls (including CR and backspace), DEL and the C1
//    controls U+0080..U+009F removed; newline and tab are kept;
//  - bytes that are not valid UTF-8 (overlong, surrogate, past U+10FFFF,
//    cut off) become U+FFFD, one for each maximal subpart as Unicode
//    recommends and nlohmann's JSON replace does, so what remains is
//    valid UTF-8.
std::string PrintableText(std::string_view text);

}  // namespace mint
