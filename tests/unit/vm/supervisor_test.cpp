// The supervisor against a fake QEMU (fake_qemu.cpp) in a temp root:
// start -> running (the argv QemuArgv makes) -> kill; a QEMU that
// SEGVs, exits 1 at once, powers off, panics, outlives a stop request,
// or loses its supervisor; stop through the guest agent; exec (binary
// output, statuses, quoting, timeout); console (whole and followed);
// refusals that create nothing; disks created sparse, kept by rm and never
// truncated. Waits are on conditions with generous deadlines, never fixed
// sleeps.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "fake_node.h"
#include "mint/vm.h"
#include "state_dir.h"

namespace mint::vm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using testing::ReadAll;
using testing::WriteText;

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeFakeNode(MINT_FAKE_QEMU);
    ASSERT_FALSE(root_.empty());
    host_.root = root_;
    host_.qemu = "/usr/bin/qemu-run";
    host_.node = "node1";
  }

  void TearDown() override {
    auto guests = List(host_);
    if (guests.ok())
      for (const GuestStatus& g : *guests)
        if (g.Live()) (void)Kill(host_, g.name);
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  GuestSpec Spec(const std::string& name = "guest1") {
    GuestSpec s;
    s.name = name;
    s.memory = ByteSize{128ull << 20};
    return s;
  }

  std::string Dir(const std::string& name = "guest1") { return root_ + "/run/mint-vm/" + name; }

  // Waits (up to 20 s) until the guest's status satisfies `done`.
  GuestStatus WaitUntil(const std::string& name,
                        const std::function<bool(const GuestStatus&)>& done) {
    GuestStatus last;
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      auto s = Status(host_, name);
      if (s.ok()) {
        last = *s;
        if (done(last)) return last;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << name << " never reached the condition; last state " << last.state << ": "
                  << last.reason;
    return last;
  }
  GuestStatus WaitEnded(const std::string& name) {
    return WaitUntil(name, [](const GuestStatus& g) { return !g.Live(); });
  }

  GuestStatus StartOk(const GuestSpec& spec) {
    auto s = Start(host_, "node1", spec);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? *s : GuestStatus{};
  }

  std::string root_;
  VmHost host_;
};

TEST_F(SupervisorTest, StartRunsQemuAndKillIsRecorded) {
  GuestSpec spec = Spec();
  spec.vcpus = 2;
  spec.ports = {{8080, 80}};
  GuestStatus s = StartOk(spec);
  EXPECT_EQ(s.state, "running");
  EXPECT_GT(s.pid, 0);
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.vcpus, 2u);
  EXPECT_EQ(s.console, Dir() + "/console.log");
  EXPECT_EQ(::kill(s.pid, 0), 0);

  // QEMU got exactly QemuArgv's arguments, the boot files under root.
  GuestSpec resolved = spec;
  resolved.kernel = root_ + kDefaultGuestKernel;
  resolved.initrd = root_ + kDefaultGuestInitrd;
  std::vector<std::string> argv = QemuArgv(resolved, Dir());
  std::string expected;
  for (size_t i = 1; i < argv.size(); ++i) expected += argv[i] + "\n";
  EXPECT_EQ(ReadAll(Dir() + "/argv.txt"), expected);
  auto spec_back = GuestSpecFromJson(ReadAll(Dir() + "/spec.json"));
  ASSERT_TRUE(spec_back.ok());
  EXPECT_EQ(spec_back->ports, spec.ports);

  auto list = List(host_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, "running");
  EXPECT_EQ((*list)[0].pid, s.pid);

  auto killed = Kill(host_, "guest1");
  ASSERT_TRUE(killed.ok()) << killed.error().ToString();
  EXPECT_EQ(killed->state, "stopped");
  EXPECT_EQ(killed->reason, "killed by mintctl vm kill");
  EXPECT_EQ(killed->pid, 0);
  EXPECT_GT(killed->uptime_s, 0);
  list = List(host_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].reason, "killed by mintctl vm kill");

  auto again = Kill(host_, "guest1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "guest1 is not running in node1 (stopped: killed by mintctl vm kill), so there is "
            "nothing to kill; start it with mintctl vm start node1 guest1");
}

TEST_F(SupervisorTest, QemuSegvIsACrashWithItsSignal) {
  StartOk(Spec());
  WriteText(Dir() + "/segv", "");
  GuestStatus s = WaitEnded("guest1");
  EXPECT_EQ(s.state, "crashed");
  EXPECT_EQ(s.reason, "QEMU killed by signal 11 (SIGSEGV)");
}

TEST_F(SupervisorTest, QemuThatExitsAtOnceFailsStartWithItsLog) {
  host_.qemu = "/usr/bin/qemu-exit1";
  auto s = Start(host_, "node1", Spec());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().context, Dir() + "/qemu.log");
  EXPECT_EQ(s.error().message,
            "guest1 did not start: QEMU exited with status 1: qemu-system-x86_64: -accel kvm: "
            "failed to initialize kvm: Permission denied; QEMU's log ends: qemu-system-x86_64: "
            "warming up | qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission "
            "denied");
  auto status = Status(host_, "guest1");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, "crashed");
  EXPECT_EQ(status->reason,
            "QEMU exited with status 1: qemu-system-x86_64: -accel kvm: failed to initialize "
            "kvm: Permission denied");
}

TEST_F(SupervisorTest, QemuThatCannotRunFailsStart) {
  host_.qemu = "/usr/bin/no-such-qemu";
  // ReadFacts sees no QEMU: refused before anything.
  auto s = Start(host_, "node1", Spec());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(SupervisorTest, StopPowersOffThroughTheAgent) {
  StartOk(Spec());
  auto s = Stop(host_, "guest1", 20s);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->state, "stopped");
  EXPECT_EQ(s->reason, "stopped by mintctl vm stop");
  EXPECT_NE(ReadAll(Dir() + "/console.log").find("reboot: Restarting system"), std::string::npos);
  EXPECT_EQ(ReadAll(Dir() + "/qemu.log").find("terminating on signal"), std::string::npos);
}

TEST_F(SupervisorTest, StopOfADeafGuestFallsBackToSigterm) {
  host_.qemu = "/usr/bin/qemu-deaf";
  StartOk(Spec());
  auto s = Stop(host_, "guest1", 200ms);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->state, "stopped");
  EXPECT_EQ(s->reason, "stopped by mintctl vm stop");
  EXPECT_NE(ReadAll(Dir() + "/qemu.log").find("terminating on signal 15"), std::string::npos);
}

TEST_F(SupervisorTest, GuestEndsOnItsOwn) {
  StartOk(Spec("guest1"));
  StartOk(Spec("guest2"));
  WriteText(Dir("guest1") + "/poweroff", "");
  WriteText(Dir("guest2") + "/panic", "");
  GuestStatus one = WaitEnded("guest1");
  EXPECT_EQ(one.state, "stopped");
  EXPECT_EQ(one.reason, "powered off by itself");
  GuestStatus two = WaitEnded("guest2");
  EXPECT_EQ(two.state, "crashed");
  EXPECT_EQ(two.reason, "the guest kernel panicked: Attempted to kill init! exitcode=0x00000009");
}

TEST_F(SupervisorTest, SupervisorDeathIsACrashAndTakesQemu) {
  GuestStatus s = StartOk(Spec());
  auto g = internal::LoadGuest(host_, "guest1");
  ASSERT_TRUE(g.ok());
  int supervisor = g->record.owner_pid;
  ASSERT_GT(supervisor, 0);
  ASSERT_NE(supervisor, ::getpid());
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  GuestStatus after = WaitEnded("guest1");
  EXPECT_EQ(after.state, "crashed");
  EXPECT_THAT(after.reason,
              ::testing::MatchesRegex("its supervisor died \\(pid [0-9]+ is (gone|a zombie)\\)"));
  EXPECT_EQ(after.pid, 0);
  // QEMU went with it (PR_SET_PDEATHSIG).
  const auto deadline = Clock::now() + 20s;
  while (internal::ProcessStart(s.pid) && Clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(internal::ProcessStart(s.pid).has_value());
}

TEST_F(SupervisorTest, ExecRunsCommandsInTheGuest) {
  StartOk(Spec());
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes += static_cast<char>(i * 7 % 256);
  WriteText(root_ + "/blob", bytes);
  std::string out;
  auto st = Exec(host_, "guest1", {"cat", root_ + "/blob"}, out, 20s);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*st, 0);
  EXPECT_EQ(out.size(), bytes.size());
  EXPECT_TRUE(out == bytes);

  st = Exec(host_, "guest1", {"sh", "-c", "echo to-out; echo to-err >&2; exit 3"}, out, 20s);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*st, 3);
  EXPECT_EQ(out, "to-out\nto-err\n");

  st = Exec(host_, "guest1", {"printf", "%s|", "a b", "it's", "$HOME", ""}, out, 20s);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(out, "a b|it's|$HOME||");

  st = Exec(host_, "guest1", {"sleep", "3"}, out, 300ms);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kIo);
  EXPECT_EQ(st.error().message,
            "guest1 did not answer within 300 ms; is its agent up? (mintctl vm console node1 "
            "guest1 shows its boot) A longer command needs a longer --timeout-ms");

  // The late answer to the timed-out command does not become the next one's.
  st = Exec(host_, "guest1", {"echo", "next"}, out, 20s);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(out, "next\n");

  st = Exec(host_, "guest1", {}, out, 1s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(Kill(host_, "guest1").ok());
  st = Exec(host_, "guest1", {"true"}, out, 1s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_EQ(st.error().message,
            "guest1 is not running in node1 (stopped: killed by mintctl vm kill), so it cannot "
            "run commands; start it with mintctl vm start node1 guest1");
  st = Exec(host_, "nosuch", {"true"}, out, 1s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(st.error().message,
            "node1 has no guest nosuch; mintctl vm list node1 shows its guests");
}

TEST_F(SupervisorTest, ExecOfADeafGuestTimesOut) {
  host_.qemu = "/usr/bin/qemu-deaf";
  StartOk(Spec());
  std::string out;
  auto st = Exec(host_, "guest1", {"true"}, out, 200ms);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("did not answer within 200 ms"), std::string::npos);
}

TEST_F(SupervisorTest, Console) {
  StartOk(Spec());
  std::string whole;
  ASSERT_TRUE(Console(host_, "guest1", false, [&](std::string_view b) {
                whole += b;
                return true;
              }).ok());
  EXPECT_EQ(whole, "fake guest booting\n");

  std::mutex m;
  std::string followed;
  Result<void> result = Ok();
  std::thread reader([&] {
    result = Console(host_, "guest1", true, [&](std::string_view b) {
      std::lock_guard<std::mutex> lock(m);
      followed += b;
      return true;
    });
  });
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(m);
      if (!followed.empty()) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  WriteText(Dir() + "/poweroff", "");  // the fake says "reboot: Power down" and exits
  reader.join();                       // follow ends with the guest
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(followed, "fake guest booting\nreboot: Power down\n");

  // A sink that says stop ends it at once.
  int calls = 0;
  ASSERT_TRUE(Console(host_, "guest1", true, [&](std::string_view) { return ++calls < 0; }).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(Console(host_, "nosuch", false, [](std::string_view) { return true; }).ok());
}

TEST_F(SupervisorTest, RefusalsCreateNothing) {
  auto r = Start(host_, "node1", Spec("Bad!"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ + "/run/mint-vm"));

  GuestSpec s = Spec();
  s.vcpus = 5;
  s.disk = "/var/g1.img";
  fs::create_directories(root_ + "/var");
  r = Start(host_, "node1", s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInsufficient);
  EXPECT_EQ(r.error().message,
            "guest1 wants 5 vCPUs, node1 has 4 CPUs; give it at most 4 (--vcpus) or run it on a "
            "bigger node");
  EXPECT_FALSE(fs::exists(Dir()));
  EXPECT_FALSE(fs::exists(root_ + "/var/g1.img"));

  s = Spec();
  s.disk = "/nodir/g1.img";
  r = Start(host_, "node1", s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().context, "/nodir/g1.img");
  EXPECT_EQ(r.error().message,
            "the directory of guest1's disk does not exist in node1; create it first, or give "
            "--disk a path in a directory that exists");
  EXPECT_FALSE(fs::exists(Dir()));

  fs::remove(root_ + kDefaultGuestInitrd);
  r = Start(host_, "node1", Spec());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().context, kDefaultGuestInitrd);
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(SupervisorTest, ASecondStartOfALiveGuestIsRefused) {
  GuestStatus s = StartOk(Spec());
  auto again = Start(host_, "node1", Spec());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "guest1 already runs in node1 (pid " + std::to_string(s.pid) +
                "); pick another name, or stop it first: mintctl vm stop node1 guest1");
  // The first one is untouched.
  auto now = Status(host_, "guest1");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->state, "running");
  EXPECT_EQ(now->pid, s.pid);
}

TEST_F(SupervisorTest, DiskIsCreatedSparseNeverTruncatedAndKeptByRemove) {
  fs::create_directories(root_ + "/var/disks");
  GuestSpec s = Spec();
  s.disk = "/var/disks/g1.img";
  s.disk_size = ByteSize{64ull << 20};
  const std::string disk = root_ + "/var/disks/g1.img";
  StartOk(s);
  struct stat st;
  ASSERT_EQ(::stat(disk.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);  // sparse

  auto rm = Remove(host_, "guest1");
  ASSERT_FALSE(rm.ok());
  EXPECT_EQ(rm.error().code, ErrorCode::kConflict);
  EXPECT_NE(rm.error().message.find("guest1 is running in node1 (pid "), std::string::npos);

  ASSERT_TRUE(Kill(host_, "guest1").ok());
  {
    int fd = ::open(disk.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "data", 4, 4096), 4);
    ::close(fd);
  }
  // A restart keeps what the guest wrote, and a smaller disk_size truncates nothing.
  s.disk_size = ByteSize{1ull << 20};
  StartOk(s);
  ASSERT_TRUE(Kill(host_, "guest1").ok());
  ASSERT_EQ(::stat(disk.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_EQ(ReadAll(disk).substr(4096, 4), "data");

  // Remove deletes only the files mint makes: the fake's argv.txt would keep the directory.
  fs::remove(Dir() + "/argv.txt");
  ASSERT_TRUE(Remove(host_, "guest1").ok());
  EXPECT_FALSE(fs::exists(Dir()));
  EXPECT_TRUE(fs::exists(disk));
  auto list = List(host_);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  auto gone = Remove(host_, "guest1");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(SupervisorTest, RestartAfterAStopStartsAfresh) {
  StartOk(Spec());
  ASSERT_TRUE(Kill(host_, "guest1").ok());
  GuestStatus s = StartOk(Spec());
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(ReadAll(Dir() + "/console.log"), "fake guest booting\n");
  EXPECT_FALSE(fs::exists(Dir() + "/kill-requested"));
}

TEST_F(SupervisorTest, ReadFacts) {
  WriteText(root_ + "/srv/k", "k");
  auto f = ReadFacts(host_, "node1", {"/srv/k", "/srv/nope"});
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->node, "node1");
  EXPECT_EQ(f->cpus, 4u);
  EXPECT_EQ(f->mem_available, ByteSize{4ull << 30});
  EXPECT_TRUE(f->cpu_virt);
  EXPECT_TRUE(f->has_kvm);
  EXPECT_TRUE(f->has_qemu);
  EXPECT_EQ(f->missing_files, std::vector<std::string>{"/srv/nope"});
  EXPECT_TRUE(f->guests.empty());

  // A running guest's memory counts as taken although its QEMU has not touched it.
  GuestSpec big = Spec();
  big.memory = ByteSize{1ull << 30};
  StartOk(big);
  f = ReadFacts(host_, "node1");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->guests.size(), 1u);
  const uint64_t left = (4ull << 30) - (1ull << 30) - kVmmOverhead.bytes;
  EXPECT_GE(f->mem_available.bytes, left);  // + what the fake QEMU holds (a few MiB)
  EXPECT_LT(f->mem_available.bytes, left + kVmmOverhead.bytes);
  ASSERT_TRUE(Kill(host_, "guest1").ok());
  f = ReadFacts(host_, "node1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->mem_available, ByteSize{4ull << 30});

  WriteText(root_ + "/proc/cpuinfo", "flags\t\t: fpu vme svmx\n");
  fs::remove(root_ + "/dev/kvm");
  f = ReadFacts(host_, "node1");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->cpu_virt);
  EXPECT_FALSE(f->has_kvm);

  WriteText(root_ + "/proc/meminfo", "MemTotal: 1 kB\n");
  f = ReadFacts(host_, "node1");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, "has no MemAvailable line in kB");
}

// guest1's spec and a live record (`state`) owned by a process that is gone
// (a reaped child's pid), as a starter or supervisor that died leaves it.
internal::Record OrphanRecord(const std::string& dir, const GuestSpec& spec,
                              const std::string& state) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int ws;
  ::waitpid(child, &ws, 0);
  fs::create_directories(dir);
  WriteText(dir + "/spec.json", GuestSpecToJson(spec));
  internal::Record r;
  r.owner_pid = child;
  r.owner_start = 1;
  r.state = state;
  EXPECT_TRUE(internal::WriteRecord(dir, r).ok());
  return r;
}

TEST_F(SupervisorTest, AStartThatDiedBeforeItsSupervisorIsACrash) {
  internal::Record r = OrphanRecord(Dir(), Spec(), "starting");
  auto s = Status(host_, "guest1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->state, "crashed");
  EXPECT_EQ(s->reason, "its supervisor died (pid " + std::to_string(r.owner_pid) + " is gone)");
  // And it may be started again.
  EXPECT_EQ(StartOk(Spec()).state, "running");
}

TEST_F(SupervisorTest, ALastRecordWrittenJustAfterTheOwnerLooksGoneIsTheOneReported) {
  // A loaded host: the reader sees the live record, then finds its owner
  // gone before the owner's last record lands. That last record is the
  // answer, not "its supervisor died".
  internal::Record r = OrphanRecord(Dir(), Spec(), "running");
  std::thread last_words([&] {
    std::this_thread::sleep_for(50ms);
    internal::Record end = r;
    end.state = "stopped";
    end.reason = "stopped by mintctl vm stop";
    ASSERT_TRUE(internal::WriteRecord(Dir(), end).ok());
  });
  auto s = Status(host_, "guest1");
  last_words.join();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->state, "stopped");
  EXPECT_EQ(s->reason, "stopped by mintctl vm stop");
}

TEST_F(SupervisorTest, UnreadableRecordIsReportedNotFatal) {
  fs::create_directories(Dir("guest1"));
  WriteText(Dir("guest1") + "/spec.json", GuestSpecToJson(Spec()));
  WriteText(Dir("guest1") + "/status.json", "{garbage");
  fs::create_directories(Dir("notaguest"));  // no spec.json: not listed
  auto list = List(host_);
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, "crashed");
  EXPECT_EQ((*list)[0].reason.rfind("its record is unreadable: ", 0), 0u);
}

}  // namespace
}  // namespace mint::vm
