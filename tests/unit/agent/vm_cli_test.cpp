// `mint-agent vm` as node0's mintctl runs it: the static binary itself, in
// a fake node (tests/unit/vm/fake_node.h) with a fake QEMU. stdout is the
// JSON of the wire format and reaches end of file although a supervisor
// stays behind; errors are one line on stderr; exit codes 0, 1, 2, and for
// exec the command's status or 255.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fake_node.h"
#include "mint/vm.h"

namespace mint::agent {
namespace {

struct Outcome {
  int code = -1;
  std::string out, err;
};

class VmCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = vm::testing::MakeFakeNode(MINT_FAKE_QEMU);
    ASSERT_FALSE(root_.empty());
  }
  void TearDown() override {
    auto guests = vm::List(Host());
    if (guests.ok())
      for (const auto& g : *guests)
        if (g.Live()) (void)vm::Kill(Host(), g.name);
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  vm::VmHost Host() const {
    vm::VmHost h;
    h.root = root_;
    h.node = "node1";
    return h;
  }

  // mint-agent vm --root ROOT --qemu /usr/bin/qemu-run ARGS...
  Outcome Agent(const std::vector<std::string>& args,
                const std::string& qemu = "/usr/bin/qemu-run") {
    std::vector<std::string> full = {MINT_AGENT, "vm", "--root", root_, "--qemu", qemu};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2], err[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    Outcome r;
    // Both pipes to end of file: nothing the agent left behind may hold them.
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open = 2;
    while (open > 0) {
      if (::poll(fds, 2, 30000) <= 0) {
        ADD_FAILURE() << "mint-agent vm's output did not end within 30 s";
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[65536];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open;
          continue;
        }
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    r.code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
  }

  std::string root_;
};

TEST_F(VmCliTest, StartListExecConsoleKillRm) {
  Outcome start = Agent(
      {"start", R"({"name":"guest1","memory":134217728,"ports":[{"host":8080,"guest":80}]})"});
  ASSERT_EQ(start.code, 0) << start.err;
  EXPECT_EQ(start.err, "");
  auto status = vm::GuestStatusFromJson(start.out);
  ASSERT_TRUE(status.ok()) << status.error().ToString() << "\n" << start.out;
  EXPECT_EQ(status->state, "running");
  EXPECT_GT(status->pid, 0);
  EXPECT_EQ(status->ports, (std::vector<GuestPort>{{8080, 80}}));

  Outcome list = Agent({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto guests = vm::GuestListFromJson(list.out);
  ASSERT_TRUE(guests.ok()) << guests.error().ToString();
  ASSERT_EQ(guests->size(), 1u);
  EXPECT_EQ((*guests)[0].pid, status->pid);

  Outcome exec = Agent({"exec", "guest1", "--", "sh", "-c", "printf 'a\\000b'; exit 4"});
  EXPECT_EQ(exec.code, 4);
  EXPECT_EQ(exec.out, std::string("a\0b", 3));
  EXPECT_EQ(exec.err, "");

  Outcome console = Agent({"console", "guest1"});
  EXPECT_EQ(console.code, 0);
  EXPECT_EQ(console.out, "fake guest booting\n");

  Outcome busy = Agent({"rm", "guest1"});
  EXPECT_EQ(busy.code, 2);
  EXPECT_EQ(busy.err, "mint-agent vm: guest1: guest1 is running in node1 (pid " +
                          std::to_string(status->pid) +
                          "); stop it first: mintctl vm stop node1 guest1\n");

  Outcome kill = Agent({"kill", "guest1"});
  ASSERT_EQ(kill.code, 0) << kill.err;
  auto killed = vm::GuestStatusFromJson(kill.out);
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->reason, "killed by mintctl vm kill");

  Outcome rm = Agent({"rm", "guest1"});
  EXPECT_EQ(rm.code, 0) << rm.err;
  EXPECT_EQ(rm.out, "");
  EXPECT_EQ(Agent({"list"}).out, "[]\n");
}

TEST_F(VmCliTest, StopThroughTheAgent) {
  ASSERT_EQ(Agent({"start", R"({"name":"guest1","memory":134217728})"}).code, 0);
  Outcome stop = Agent({"stop", "guest1", "--timeout-ms", "20000"});
  ASSERT_EQ(stop.code, 0) << stop.err;
  auto s = vm::GuestStatusFromJson(stop.out);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->state, "stopped");
  EXPECT_EQ(s->reason, "stopped by mintctl vm stop");
}

TEST_F(VmCliTest, RefusalsAreExit2WithOneLine) {
  Outcome bad_json = Agent({"start", "{"});
  EXPECT_EQ(bad_json.code, 2);
  EXPECT_EQ(bad_json.err,
            "mint-agent vm: guest spec: not JSON; mintctl and mint-agent must come from one mint "
            "build\n");
  Outcome big = Agent({"start", R"({"name":"guest1","vcpus":9})"});
  EXPECT_EQ(big.code, 2);
  EXPECT_EQ(big.err,
            "mint-agent vm: guest1 wants 9 vCPUs, node1 has 4 CPUs; give it at most 4 (--vcpus) "
            "or run it on a bigger node\n");
  EXPECT_EQ(big.out, "");
  Outcome unknown = Agent({"stop", "nosuch"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(unknown.err,
            "mint-agent vm: nosuch: node1 has no guest nosuch; mintctl vm list node1 shows its "
            "guests\n");
  EXPECT_EQ(Agent({"frobnicate"}).code, 2);
  EXPECT_EQ(Agent({"stop"}).code, 2);
}

TEST_F(VmCliTest, FailuresAreExit1) {
  Outcome r = Agent({"start", R"({"name":"guest1","memory":134217728})"}, "/usr/bin/qemu-exit1");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("mint-agent vm: " + root_ +
                            "/run/mint-vm/guest1/qemu.log: guest1 did "
                            "not start: QEMU exited with status 1: ",
                        0),
            0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(VmCliTest, ExecOwnFailuresAre255) {
  Outcome none = Agent({"exec", "nosuch", "--", "true"});
  EXPECT_EQ(none.code, 255);
  EXPECT_EQ(none.err,
            "mint-agent vm: nosuch: node1 has no guest nosuch; mintctl vm list node1 shows its "
            "guests\n");
  EXPECT_EQ(Agent({"exec", "nosuch"}).code, 255);  // no command: a usage error of exec
}

TEST_F(VmCliTest, Facts) {
  Outcome r = Agent({"facts", "--file", "/boot/mint/guest/bzImage", "--file", "/srv/none"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto f = vm::NodeFactsFromJson(r.out);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->node, "node1");
  EXPECT_EQ(f->cpus, 4u);
  EXPECT_EQ(f->mem_available, ByteSize{4ull << 30});
  EXPECT_TRUE(f->has_kvm && f->cpu_virt && f->has_qemu);
  EXPECT_EQ(f->missing_files, std::vector<std::string>{"/srv/none"});
}

}  // namespace
}  // namespace mint::agent
