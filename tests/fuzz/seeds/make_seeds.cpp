// Writes the seed corpora of the frame and JSON harnesses with the
// product's own encoders (mint/channel/frame.h, mint/vm.h), so a seed is
// byte for byte what mintctl, mint-agent and mint-agent vm send:
//   fuzz_make_seeds <tests/fuzz>   (rewrites <dir>/<harness>/corpus/*.seed)
// The ctest fuzz_seeds_current runs it into the build dir and compares with
// the committed files, so a change of the encoders shows up as stale seeds.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "mint/channel/frame.h"
#include "mint/vm.h"

namespace {

namespace channel = mint::channel;
namespace vm = mint::vm;
using Bytes = std::vector<uint8_t>;
using channel::FrameType;

constexpr uint32_t kSession = 0x5e55;  // exec_client's session

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes Frame(FrameType type, uint32_t session, const Bytes& payload = {}) {
  return channel::EncodeFrame(type, session, payload);
}

Bytes Exec(uint32_t session, const std::vector<std::string>& argv) {
  return Frame(FrameType::kExec, session, *channel::EncodeArgv(argv, "seed"));
}

Bytes Exit(uint32_t session, int32_t code, int32_t signal = 0) {
  return Frame(FrameType::kExit, session, channel::EncodeExit({code, signal}));
}

Bytes Error(uint32_t session, int32_t err, const std::string& message) {
  return Frame(FrameType::kError, session, channel::EncodeError({err, message}));
}

// Records as the exec_client and agent_frame harnesses read them:
// [u16 little-endian length][record] each; {} is an empty poll.
Bytes Records(const std::vector<Bytes>& records) {
  Bytes out;
  for (const Bytes& r : records) {
    out.push_back(static_cast<uint8_t>(r.size() & 0xff));
    out.push_back(static_cast<uint8_t>(r.size() >> 8));
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

vm::GuestStatus Guest(const std::string& name, const std::string& state) {
  vm::GuestStatus g;
  g.name = name;
  g.state = state;
  g.vcpus = 1;
  g.memory = mint::ByteSize{256ull << 20};
  g.uptime_s = state == "running" ? 12.5 : 1.5;
  g.pid = state == "running" ? 412 : 0;
  if (state == "crashed") g.reason = "QEMU killed by signal 11 (SIGSEGV)";
  g.disk = "/var/lib/mint-vm/" + name + ".img";
  g.ports = {{8080, 80}};
  g.console = "/run/mint-vm/" + name + "/console.log";
  return g;
}

mint::GuestSpec Spec() {
  mint::GuestSpec s;
  s.name = "g1a";
  s.vcpus = 1;
  s.memory = mint::ByteSize{256ull << 20};
  s.disk = "/var/lib/mint-vm/g1a.img";
  s.net = true;
  s.ports = {{8080, 80}};
  return s;
}

bool Write(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) std::fprintf(stderr, "fuzz_make_seeds: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <tests/fuzz dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  const Bytes uname = Text("Linux node1 6.12.57-mint #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n");
  const Bytes list = Text(vm::GuestListToJson({Guest("g1a", "running"), Guest("g1b", "crashed")}));
  bool ok = true;
  auto put = [&](const std::string& harness, const std::string& name, const Bytes& bytes) {
    ok = Write(dir + "/" + harness + "/corpus/" + name + ".seed", bytes) && ok;
  };

  // One record each: what travels in both directions.
  put("channel_frame", "hello", Frame(FrameType::kHello, 0, Text("mint-agent 1 pid 97")));
  put("channel_frame", "exec", Exec(7, {"uname", "-a"}));
  put("channel_frame", "stdout", Frame(FrameType::kStdout, 7, uname));
  put("channel_frame", "stderr",
      Frame(FrameType::kStderr, 7, Text("cat: /nonexistent: No such file or directory\n")));
  put("channel_frame", "exit", Exit(7, 0));
  put("channel_frame", "exit-signal", Exit(7, 0, 9));
  put("channel_frame", "error", Error(7, ENOENT, "cannot run nosuch: No such file or directory"));
  put("channel_frame", "kill", Frame(FrameType::kKill, 7));
  const Bytes seq{3, 0, 0, 0, 0, 0, 0, 0};
  put("channel_frame", "ping", Frame(FrameType::kPing, 7, seq));
  put("channel_frame", "pong", Frame(FrameType::kPong, 7, seq));
  put("channel_frame", "exec-input",
      Frame(FrameType::kExecInput, 7, *channel::EncodeArgv({"tar", "x"}, "seed")));
  put("channel_frame", "input", Frame(FrameType::kInput, 7, Text("echo hi; exit 3\n")));
  put("channel_frame", "input-end", Frame(FrameType::kInput, 7));
  put("channel_frame", "input-ack", Frame(FrameType::kInputAck, 7, channel::EncodeAck(17)));
  put("channel_frame", "exec-pty",
      Frame(FrameType::kExecPty, 7, *channel::EncodePty({{24, 80}, "xterm", {"sh", "-l"}}, "seed")));
  put("channel_frame", "winsize", Frame(FrameType::kWinsize, 7, channel::EncodeWinsize({40, 120})));
  put("channel_frame", "output-ack", Frame(FrameType::kOutputAck, 7, channel::EncodeAck(4080)));

  // node -> node0 conversations, as exec and vm list see them.
  put("exec_client", "uname",
      Records({Frame(FrameType::kHello, 0, Text("mint-agent 1 pid 97")),
               Frame(FrameType::kStdout, kSession, uname), Exit(kSession, 0)}));
  put("exec_client", "vm-list",
      Records({{}, Frame(FrameType::kStdout, kSession, list), Exit(kSession, 0)}));
  put("exec_client", "stale-and-stderr",
      Records({Frame(FrameType::kStdout, 1234, Text("left by a killed mintctl\n")), Exit(1234, 0),
               Frame(FrameType::kStderr, kSession, Text("mint-agent vm: g9: no such guest\n")),
               Exit(kSession, 2)}));
  put("exec_client", "not-found",
      Records({Error(kSession, ENOENT, "cannot run nosuch: No such file or directory")}));
  put("exec_client", "killed", Records({{}, {}, Exit(kSession, 0, 9)}));
  put("exec_client", "crash-mid-output",
      Records({Frame(FrameType::kStdout, kSession, Text("counting 1\ncounting 2\n"))}));

  // node -> node0 as the relay routes it: its client's sessions 7 (a PING)
  // and 8 (an EXEC), others, and what is not a frame.
  put("relay", "two-sessions",
      Records({Frame(FrameType::kHello, 0, Text("mint-agent 1 pid 97")),
               Frame(FrameType::kPong, 7), Frame(FrameType::kStdout, 8, uname), {},
               Frame(FrameType::kStdout, 1234, Text("left by a killed mintctl\n")),
               Exit(8, 0)}));
  put("relay", "garbage-between",
      Records({Text("not a frame at all"), Frame(FrameType::kStderr, 8, Text("warning\n")),
               Frame(FrameType::kKill, 8), Exit(8, 3)}));

  // node0 -> node: what the agent's frame handler decides on.
  put("agent_frame", "exec", Records({Exec(7, {"uname", "-a"})}));
  put("agent_frame", "exec-kill",
      Records({Exec(7, {"sleep", "100"}),
               Exec(7, {"true"}),
               Frame(FrameType::kKill, 7),
               {},
               Exec(8, {"mint-agent", "vm", "list"}),
               {},
               {},
               Frame(FrameType::kKill, 8)}));
  put("agent_frame", "ping-while-exec",
      Records({Exec(7, {"sleep", "1"}), Frame(FrameType::kPing, 8, seq),
               Frame(FrameType::kPing, 0, seq), Frame(FrameType::kPong, 8, seq)}));
  put("agent_frame", "vm-start",
      Records({Exec(9, {"mint-agent", "vm", "start", vm::GuestSpecToJson(Spec())})}));
  put("agent_frame", "exec-input",
      Records({Frame(FrameType::kExecInput, 7, *channel::EncodeArgv({"sh"}, "seed")),
               Frame(FrameType::kInput, 7, Text("echo hi; exit 3\n")), Frame(FrameType::kInput, 7),
               {}, Frame(FrameType::kInput, 7, Text("after the end")),
               Frame(FrameType::kInput, 9, Text("no such session"))}));
  put("agent_frame", "exec-pty",
      Records({Frame(FrameType::kExecPty, 7,
                     *channel::EncodePty({{24, 80}, "xterm", {"sh", "-l"}}, "seed")),
               Frame(FrameType::kInput, 7, Text("sleep 100\n\x03")),
               Frame(FrameType::kWinsize, 7, channel::EncodeWinsize({40, 120})),
               Frame(FrameType::kWinsize, 7, channel::EncodeWinsize({0, 120})),
               Frame(FrameType::kWinsize, 8, channel::EncodeWinsize({40, 120}))}));
  put("agent_frame", "output-ack",
      Records({Frame(FrameType::kExec, 7, *channel::EncodeArgv({"yes"}, "seed")),
               Frame(FrameType::kOutputAck, 7, channel::EncodeAck(4080)),
               Frame(FrameType::kOutputAck, 7, channel::EncodeAck(0)),
               Frame(FrameType::kOutputAck, 7, Text("xx")),
               Frame(FrameType::kOutputAck, 9, channel::EncodeAck(16))}));
  put("agent_frame", "not-for-the-agent",
      Records({Frame(FrameType::kStdout, 7, uname), Frame(FrameType::kHello, 0)}));

  // mint-agent vm's stdout: [decoder tag][JSON] (vm_json_fuzz.cpp).
  auto tagged = [](uint8_t tag, const std::string& json) {
    Bytes out{tag};
    out.insert(out.end(), json.begin(), json.end());
    return out;
  };
  put("vm_json", "status", tagged(0, vm::GuestStatusToJson(Guest("g1a", "running"))));
  put("vm_json", "status-crashed", tagged(0, vm::GuestStatusToJson(Guest("g2b", "crashed"))));
  put("vm_json", "list", tagged(1, std::string(list.begin(), list.end())));
  vm::NodeFacts facts;
  facts.node = "node1";
  facts.cpus = 2;
  facts.mem_available = mint::ByteSize{300ull << 20};
  facts.has_kvm = facts.cpu_virt = facts.has_qemu = true;
  facts.guests = {Guest("g1a", "running")};
  put("vm_json", "facts", tagged(2, vm::NodeFactsToJson(facts)));
  put("vm_json", "spec", tagged(3, vm::GuestSpecToJson(Spec())));
  return ok ? 0 : 1;
}
