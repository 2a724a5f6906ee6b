// Following a console ring that node0 reads whole each time: what of the
// new text has not been printed yet, also after the ring wrapped.
#pragma once

#include <string>

namespace mint::cli {

// `before` was printed; `now` is the ring's content now (oldest byte
// first). Returns the part of `now` that is new. When the ring moved on
// between reads, the last bytes of `before` are found again in `now`;
// when they are gone too (the ring moved by more than it holds), all of
// `now` is new.
std::string NewConsoleText(const std::string& before, const std::string& now);

}  // namespace mint::cli
