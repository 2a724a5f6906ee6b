// mintctl relay NODE: serves NODE's channel ring to other mintctl commands
// (mint/channel/relay.h) until the node's channel ends (it stopped, crashed
// or was destroyed) or SIGTERM. mintctl starts it by itself when a command
// needs the node and no relay serves it (channel_port.h); an operator
// never has to. It holds /run/mint/<node>.channel.lock while it serves, so
// there is one per node, listens on /run/mint/<node>.channel.sock (0600),
// and writes a line when it starts and when it ends (with what it moved)
// to stderr: /run/mint/<node>.relay.log when mintctl started it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>

#include "commands.h"
#include "mint/channel/relay.h"
#include "mint/lifecycle.h"
#include "mint/sys/mint_device.h"

namespace mint::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// Another relay that got the lock first serves the node: this one is not needed.
constexpr auto kLockWait = std::chrono::seconds(2);

}  // namespace

Result<void> RunRelay(const Globals& globals, const std::string& name, std::ostream& log) {
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus node, lifecycle::FindNode(*fs, name));
  MINT_TRY(auto device, sys::OpenMintDevice(sys::MintDevicePath(globals.root)));
  MINT_TRY(auto lock, lifecycle::AcquireLock(lifecycle::ChannelLockPath(globals.root, name),
                                             "relay " + name, kLockWait, channel::RealClock()));
  const std::string path = lifecycle::RelaySocketPath(globals.root, name);
  MINT_TRY(int listen_fd, channel::ListenRelay(path));

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  log << "mintctl relay: serving " << name << " (node " << node.id << ") on " << path << ", pid "
      << ::getpid() << std::endl;
  channel::DevicePort ring(*device, node.id);
  channel::Relay relay(ring, listen_fd, 2);
  auto end = relay.Run(g_stop);
  ::unlink(path.c_str());
  ::close(listen_fd);
  const channel::RelayStats& s = relay.stats();
  log << "mintctl relay: " << name << ": "
      << (end.ok() ? std::string("stopped") : "its channel ended (" + end.error().message + ")")
      << "; " << s.clients << " client(s), " << s.to_node << " record(s) to the node, "
      << s.from_node << " from it (" << s.unrouted << " for no client, " << s.undecodable
      << " not frames), " << s.refused << " refused, " << s.dropped_clients
      << " client(s) dropped, " << s.orphan_kills << " command(s) killed for a client gone"
      << std::endl;
  // The node's end gone is the normal end of a relay.
  if (!end.ok() && end.error().sys_errno != ENOTCONN && end.error().sys_errno != ENOENT)
    return end.take_error();
  return Ok();
}

}  // namespace mint::cli
