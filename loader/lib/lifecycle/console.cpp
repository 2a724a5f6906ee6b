// A node's console ring as node0 reads it (mint/lifecycle.h): its tail of
// lines and the new part of it since the last read. NewConsoleText finds the
// longest prefix of `now` that is also a suffix of `before` with the
// Knuth-Morris-Pratt automaton of `now` run over `before`.
#include <vector>

#include "mint/lifecycle.h"

namespace mint::lifecycle {

std::vector<std::string> ConsoleTailLines(std::string_view text, size_t lines) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
    start = end + 1;
  }
  if (out.size() > lines) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(lines));
  return out;
}

Result<std::string> ReadConsole(sys::HostFs& fs, const std::string& node_dir) {
  return fs.ReadFile(node_dir + "/console");
}

std::vector<std::string> ConsoleTail(sys::HostFs& fs, const std::string& node_dir, size_t lines) {
  auto text = ReadConsole(fs, node_dir);
  if (!text.ok()) return {};
  return ConsoleTailLines(*text, lines);
}

std::string NewConsoleText(std::string_view before, std::string_view now) {
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
  return std::string(now.substr(state));
}

}  // namespace mint::lifecycle
