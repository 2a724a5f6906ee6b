// NewConsoleText: after a read, the ring holds a suffix of what was read
// before followed by what is new. The longest prefix of `now` that is also
// a suffix of `before` is found with the Knuth-Morris-Pratt automaton of
// `now` run over `before` (linear time, binary-safe).
#include "console_follow.h"

#include <vector>

namespace mint::cli {

std::string NewConsoleText(const std::string& before, const std::string& now) {
  if (now.empty()) return "";
  // fail[i]: length of the longest proper border of now[0..i].
  std::vector<size_t> fail(now.size(), 0);
  for (size_t i = 1, k = 0; i < now.size(); ++i) {
    while (k > 0 && now[i] != now[k]) k = fail[k - 1];
    if (now[i] == now[k]) ++k;
    fail[i] = k;
  }
  size_t state = 0;  // how much of now's prefix the text read so far ends with
  for (char c : before) {
    if (state == now.size()) state = fail[state - 1];
    while (state > 0 && c != now[state]) state = fail[state - 1];
    if (c == now[state]) ++state;
  }
  return now.substr(state);
}

}  // namespace mint::cli
