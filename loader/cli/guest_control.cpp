// GuestControl's two implementations (guest_control.h) and node0's guest
// record. The remote one runs `mint-agent vm VERB ...` in the node through
// mint::channel::Exec through the node's relay, like `mintctl exec`;
// what the node prints is untrusted: stdout is bounded and parsed by
// mint::vm's checked JSON decoders, stderr is bounded and shown as text.
#include "guest_control.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "channel_port.h"
#include "mint/channel.h"

namespace mint::cli {
namespace {

constexpr size_t kMaxReply = 1 << 20;  // JSON from a node: far more than 64 guests need
constexpr size_t kMaxStderr = 4096;
// mint-agent vm's exit codes (docs/vm.md): 2 refused, 1 failed, 255 its own
// failure where the status is the guest command's (vm exec). Its error is
// one line on stderr: "mint-agent vm: <context>: <message>".
constexpr int kAgentRefused = 2;

// Ctrl-C or SIGTERM during a verb (vm console -f, vm exec): the verb's
// process in the node is killed (channel::Exec's cancel), then mintctl ends.
std::atomic<bool> g_cancel{false};
void OnSignal(int) { g_cancel = true; }

class Collect : public channel::OutputSink {
 public:
  explicit Collect(std::function<void(std::string_view)> stream = {})
      : stream_(std::move(stream)) {}
  void Stdout(std::span<const uint8_t> bytes) override {
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (stream_) {
      stream_(text);
      return;
    }
    if (out.size() + text.size() <= kMaxReply)
      out.append(text);
    else
      overflow = true;
  }
  void Stderr(std::span<const uint8_t> bytes) override {
    size_t room = kMaxStderr > err.size() ? kMaxStderr - err.size() : 0;
    err.append(reinterpret_cast<const char*>(bytes.data()), std::min(room, bytes.size()));
  }
  std::string out, err;
  bool overflow = false;

 private:
  std::function<void(std::string_view)> stream_;
};

// The agent's one error line, made printable (it came from the node).
std::string Printable(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) c = '?';
  return text;
}

// What node0 last heard from a node about its guests (guest_control.h).
void WriteGuestRecord(const std::string& root, const std::string& node,
                      const std::vector<vm::GuestStatus>& guests) {
  std::string path = GuestRecordPath(root, node);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << vm::GuestListToJson(guests) << "\n";
    if (!out.flush()) return;  // a record is a courtesy: the live list is the truth
  }
  std::filesystem::rename(tmp, path, ec);
}

// node0's errors read like a node's: "node0: <context>: <message>", as the
// agent's one line does for a node (the spec's flag locations are mintctl's
// own business and were checked before).
Error AsNode0(Error e) {
  if (!e.context.empty()) e.message = e.context + ": " + e.message;
  e.context = "node0";
  return e;
}
template <typename T>
Result<T> Here(Result<T> r) {
  if (r.ok()) return r;
  return AsNode0(r.take_error());
}

class LocalGuests : public GuestControl {
 public:
  explicit LocalGuests(const Globals& globals) {
    if (globals.root != "/") host_.root = globals.root;
  }
  Result<std::vector<vm::GuestStatus>> List() override { return Here(vm::List(host_)); }
  Result<vm::GuestStatus> Start(const GuestSpec& spec) override {
    GuestSpec sent = spec;
    sent.where = {};
    return Here(vm::Start(host_, "node0", sent));
  }
  Result<vm::GuestStatus> Stop(const std::string& guest,
                               std::chrono::milliseconds timeout) override {
    return Here(vm::Stop(host_, guest, timeout));
  }
  Result<vm::GuestStatus> Kill(const std::string& guest) override {
    return Here(vm::Kill(host_, guest));
  }
  Result<void> Remove(const std::string& guest) override {
    auto r = vm::Remove(host_, guest);
    if (!r.ok()) return AsNode0(r.take_error());
    return Ok();
  }
  Result<int> Exec(const std::string& guest, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout,
                   const std::function<void(std::string_view)>& out) override {
    std::string output;
    MINT_TRY(int status, Here(vm::Exec(host_, guest, argv, output, timeout)));
    out(output);
    return status;
  }
  Result<void> Console(const std::string& guest, bool follow,
                       const std::function<void(std::string_view)>& out) override {
    auto r = vm::Console(host_, guest, follow, [&](std::string_view bytes) {
      out(bytes);
      return true;
    });
    if (!r.ok()) return AsNode0(r.take_error());
    return Ok();
  }

 private:
  vm::VmHost host_;
};

class RemoteGuests : public GuestControl {
 public:
  RemoteGuests(const Globals& globals, lifecycle::NodeStatus node, std::unique_ptr<sys::HostFs> fs)
      : globals_(globals), node_(std::move(node)), fs_(std::move(fs)) {}

  Result<std::vector<vm::GuestStatus>> List() override {
    MINT_TRY(std::string json, Call({"list"}));
    MINT_TRY(auto guests, vm::GuestListFromJson(json));
    WriteGuestRecord(globals_.root, node_.name, guests);
    return guests;
  }
  Result<vm::GuestStatus> Start(const GuestSpec& spec) override {
    return Changed(Call({"start", vm::GuestSpecToJson(spec)}));
  }
  Result<vm::GuestStatus> Stop(const std::string& guest,
                               std::chrono::milliseconds timeout) override {
    return Changed(Call({"stop", guest, "--timeout-ms", std::to_string(timeout.count())},
                        timeout + std::chrono::seconds(30)));
  }
  Result<vm::GuestStatus> Kill(const std::string& guest) override {
    return Changed(Call({"kill", guest}));
  }
  Result<void> Remove(const std::string& guest) override {
    MINT_CHECK(Call({"rm", guest}));
    (void)List();
    return Ok();
  }
  Result<int> Exec(const std::string& guest, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout,
                   const std::function<void(std::string_view)>& out) override {
    std::vector<std::string> args = {"exec", guest, "--timeout-ms", std::to_string(timeout.count()),
                                     "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    Collect sink(out);
    MINT_TRY(int status, Run(args, sink, timeout + std::chrono::seconds(30)));
    if (status == 255) return AgentError(sink);
    return status;
  }
  Result<void> Console(const std::string& guest, bool follow,
                       const std::function<void(std::string_view)>& out) override {
    std::vector<std::string> args = {"console", guest};
    if (follow) args.push_back("-f");
    Collect sink(out);
    MINT_TRY(int status, Run(args, sink, std::nullopt));
    if (status != 0) return AgentError(sink, status);
    return Ok();
  }

 private:
  Error AgentError(const Collect& sink, int status = 1) const {
    std::string text = Printable(sink.err);
    constexpr std::string_view kPrefix = "mint-agent vm: ";
    if (text.starts_with(kPrefix)) text = text.substr(kPrefix.size());
    if (text.empty())
      text = "mint-agent vm failed (exit " + std::to_string(status) +
             ") without saying why; mintctl console " + node_.name + " may show it";
    return MakeError(status == kAgentRefused ? ErrorCode::kConflict : ErrorCode::kIo, node_.name,
                     text);
  }

  Result<int> Run(const std::vector<std::string>& args, Collect& sink,
                  std::optional<std::chrono::milliseconds> timeout) {
    MINT_TRY(auto port, OpenChannel(globals_, node_.Ref()));
    channel::ExecRequest request;
    request.argv = {"mint-agent", "vm"};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.timeout = timeout;
    request.cancel = &g_cancel;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    MINT_TRY(channel::ExecResult result, channel::Exec(*port, *fs_, node_.Ref(), request, sink));
    if (!result.ran)
      return MakeError(ErrorCode::kUnsupported, node_.name,
                       "cannot run mint-agent vm in the node (" + result.run_error.message +
                           "); its initramfs needs a mint-agent that knows vm (the lab's does)");
    return result.ExitCode();
  }

  Result<std::string> Call(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    Collect sink;
    MINT_TRY(int status, Run(args, sink, timeout));
    if (status != 0) return AgentError(sink, status);
    if (sink.overflow)
      return MakeError(ErrorCode::kIo, node_.name,
                       "mint-agent vm " + args.front() + " answered more than " +
                           std::to_string(kMaxReply) + " bytes; ignored");
    return sink.out;
  }

  Result<vm::GuestStatus> Changed(Result<std::string> reply) {
    if (!reply.ok()) return reply.take_error();
    MINT_TRY(vm::GuestStatus status, vm::GuestStatusFromJson(*reply));
    (void)List();  // refresh node0's record
    return status;
  }

  const Globals& globals_;
  lifecycle::NodeStatus node_;
  std::unique_ptr<sys::HostFs> fs_;
};

// Starts each autostart guest in `node` (after boot or restart); one line
// per guest in `out`. After every guest was tried, the failures are
// returned as one error (the first's, naming the others' too), which the
// caller reports: `out` says which guest did not start, not why again.
Result<void> StartAutostartGuests(const Globals& globals, const std::string& node,
                                  const std::vector<GuestSpec>& guests, std::ostream& out) {
  std::optional<Error> first;
  bool any = false;
  for (const GuestSpec& g : guests) any = any || g.autostart;
  if (!any) return Ok();
  auto control = OpenGuests(globals, node);
  if (!control.ok()) return control.take_error();
  for (const GuestSpec& g : guests) {
    if (!g.autostart) continue;
    auto started = (*control)->Start(g);
    if (started.ok()) {
      out << "guest " << g.name << " started in " << node << " (pid " << started->pid << ", "
          << g.vcpus << " vCPU, " << g.memory.ToString() << ")\n";
    } else {
      out << "guest " << g.name << " did NOT start in " << node << "\n";
      Error e = started.take_error();
      if (!first)
        first = std::move(e);
      else
        first->message += "; guest " + g.name + " did not start either: " + e.ToString();
    }
  }
  if (first) return *first;
  return Ok();
}

}  // namespace

Result<std::unique_ptr<GuestControl>> OpenGuests(const Globals& globals, const std::string& node) {
  if (node == "node0") return std::unique_ptr<GuestControl>(new LocalGuests(globals));
  auto fs = sys::OpenHostFs(globals.root);
  MINT_TRY(lifecycle::NodeStatus status, lifecycle::FindNode(*fs, node));
  MINT_CHECK(channel::CheckReady(*fs, status.Ref()));
  // A usable device first: the node's relay needs it.
  if (auto device = sys::OpenMintDevice(sys::MintDevicePath(globals.root)); !device.ok())
    return device.take_error();
  return std::unique_ptr<GuestControl>(new RemoteGuests(globals, std::move(status), std::move(fs)));
}

std::string GuestRecordPath(const std::string& root, const std::string& node) {
  return lifecycle::RunDir(root) + "/guests/" + node + ".json";
}

std::vector<vm::GuestStatus> ReadGuestRecord(const std::string& root, const std::string& node) {
  std::ifstream in(GuestRecordPath(root, node));
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  auto guests = vm::GuestListFromJson(text.str());
  return guests.ok() ? *guests : std::vector<vm::GuestStatus>{};
}

void RemoveGuestRecord(const std::string& root, const std::string& node) {
  std::error_code ec;
  std::filesystem::remove(GuestRecordPath(root, node), ec);
}

GuestView ViewGuests(const Globals& globals, const lifecycle::NodeStatus* node,
                     const std::string& name) {
  GuestView view;
  std::string why;
  const bool running = node && node->state == NodeState::kRunning;
  if (name == "node0" || (running && node->agent == "ready")) {
    // A look, not a change: do not wait long behind another mintctl using
    // the node's channel (a `vm console -f`), show what node0 knows instead.
    Globals quick = globals;
    quick.lock_wait_s = std::min<uint32_t>(globals.lock_wait_s, 2);
    auto control = OpenGuests(quick, name);
    auto list = control.ok() ? (*control)->List()
                             : Result<std::vector<vm::GuestStatus>>(control.take_error());
    if (list.ok()) {
      view.guests = std::move(*list);
      view.live = true;
      return view;
    }
    why = "cannot ask " + name + ": " + list.error().message;
  } else if (node == nullptr) {
    why = name + " no longer exists";
  } else {
    why = name + " is " + std::string(NodeStateName(node->state)) +
          (node->reason.empty() ? "" : ": " + node->reason);
    if (node->state == NodeState::kRunning) why = name + "'s mint-agent is " + node->agent;
  }
  view.why = why;
  view.guests = ReadGuestRecord(globals.root, name);
  if (running) return view;  // alive but not answering now: the record as it was
  for (auto& g : view.guests)
    if (g.state == "starting" || g.state == "running") {
      g.state = "lost";
      g.reason = why;
      g.uptime_s = 0;
    }
  return view;
}

Result<void> StartRecipeGuests(const Globals& globals, const std::string& node, std::ostream& out) {
  MINT_TRY(lifecycle::Recipe recipe, lifecycle::ReadRecipe(globals.root, node));
  return StartAutostartGuests(globals, node, recipe.guests, out);
}

}  // namespace mint::cli
