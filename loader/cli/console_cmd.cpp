// mintctl console NODE [-f]: the node's console ring as node0 sees it in
// /sys/kernel/mint/nodes/<id>/console (oldest byte first). -f keeps
// reading and prints what is new until the node is destroyed; when the
// ring has wrapped between two reads, the last bytes already printed are
// found again in the new text and printing resumes after them.
#include <chrono>
#include <thread>

#include "commands.h"
#include "mint/lifecycle.h"
#include "mint_fs.h"

namespace mint::cli {
namespace {

constexpr auto kFollowPeriod = std::chrono::milliseconds(200);
}  // namespace

Result<void> RunConsole(const Globals& globals, const std::string& node, bool follow,
                        std::ostream& out) {
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus found, lifecycle::FindNode(*fs, node));
  const std::string dir = found.dir;
  MINT_TRY(std::string text, lifecycle::ReadConsole(*fs, dir));
  out << text << std::flush;
  while (follow) {
    std::this_thread::sleep_for(kFollowPeriod);
    auto now = lifecycle::ReadConsole(*fs, dir);
    if (!now.ok()) {
      if (!fs->Exists(dir)) return Ok();  // destroyed: nothing more will come
      return now.take_error();
    }
    out << lifecycle::NewConsoleText(text, *now) << std::flush;
    text = std::move(*now);
  }
  return Ok();
}

}  // namespace mint::cli
