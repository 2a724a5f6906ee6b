// mintctl ping NODE [-c COUNT] [-i SECONDS]: PING frames to the node's
// mint-agent, one at a time, each answered by a PONG (mint::channel::Ping),
// and the round trips as ping(8) prints them; --json for scripts (the
// bench's raw channel round trip: through the node's relay, like exec, so
// it runs beside them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "channel_port.h"
#include "commands.h"
#include "mint/channel.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {
namespace {

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms);
  return buf;
}

}  // namespace

Result<void> RunPing(const Globals& globals, const std::string& name, uint32_t count,
                     double interval_s, std::ostream& out) {
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  const channel::NodeRef ref = node.Ref();
  MINT_CHECK(channel::CheckReady(*fs, ref, "mintctl ping"));
  MINT_TRY(auto port, OpenChannel(globals, ref));
  const uint32_t session = channel::NewSession();
  if (!globals.json) out << "PING " << name << " (node " << ref.id << "): its mint-agent\n";
  std::vector<double> ms;
  for (uint32_t seq = 1; seq <= count; ++seq) {
    if (seq > 1 && interval_s > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(interval_s));
    MINT_TRY(std::chrono::nanoseconds rtt, channel::Ping(*port, *fs, ref, session, seq));
    ms.push_back(std::chrono::duration<double, std::milli>(rtt).count());
    if (!globals.json)
      out << "PONG from " << name << ": seq=" << seq << " time=" << Ms(ms.back()) << " ms\n"
          << std::flush;
  }
  const double min = *std::min_element(ms.begin(), ms.end());
  const double max = *std::max_element(ms.begin(), ms.end());
  const double avg = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  if (globals.json) {
    nlohmann::json j = {{"node", name},
                        {"id", ref.id},
                        {"count", count},
                        {"round_trip_ms", {{"min", min}, {"avg", avg}, {"max", max}}},
                        {"samples_ms", ms}};
    out << j.dump(2) << "\n";
    return Ok();
  }
  out << "--- " << name << " ping ---\n"
      << count << " sent, " << count << " answered; round trip min/avg/max = " << Ms(min) << "/"
      << Ms(avg) << "/" << Ms(max) << " ms\n";
  return Ok();
}

}  // namespace mint::cli
