// The wire format: round trips of GuestSpec, GuestStatus, lists and
// NodeFacts, the exact bytes of one status, absent optional spec fields,
// and hostile inputs (never a throw, always an Error naming the field).
#include <gtest/gtest.h>

#include "mint/vm.h"

namespace mint::vm {
namespace {

GuestSpec FullSpec() {
  GuestSpec s;
  s.name = "guest1";
  s.vcpus = 2;
  s.memory = ByteSize{512ull << 20};
  s.kernel = "/srv/vmlinuz";
  s.initrd = "/srv/initrd";
  s.cmdline = "quiet";
  s.disk = "/var/g1.img";
  s.disk_size = ByteSize{1ull << 30};
  s.net = true;
  s.ports = {{8080, 80}, {2222, 22}};
  s.autostart = false;
  return s;
}

GuestStatus Status1() {
  GuestStatus g;
  g.name = "guest1";
  g.state = "crashed";
  g.vcpus = 1;
  g.memory = ByteSize{256ull << 20};
  g.uptime_s = 1.5;
  g.reason = "QEMU killed by signal 11 (SIGSEGV)";
  g.pid = 0;
  g.disk = "/var/g1.img";
  g.ports = {{8080, 80}};
  g.console = "/run/mint-vm/guest1/console.log";
  return g;
}

void ExpectSame(const GuestSpec& a, const GuestSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.vcpus, b.vcpus);
  EXPECT_EQ(a.memory, b.memory);
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.initrd, b.initrd);
  EXPECT_EQ(a.cmdline, b.cmdline);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.disk, b.disk);
  EXPECT_EQ(a.disk_size, b.disk_size);
  EXPECT_EQ(a.net, b.net);
  EXPECT_EQ(a.ports, b.ports);
  EXPECT_EQ(a.autostart, b.autostart);
}

void ExpectSame(const GuestStatus& a, const GuestStatus& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.vcpus, b.vcpus);
  EXPECT_EQ(a.memory, b.memory);
  EXPECT_DOUBLE_EQ(a.uptime_s, b.uptime_s);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.disk, b.disk);
  EXPECT_EQ(a.ports, b.ports);
  EXPECT_EQ(a.console, b.console);
}

TEST(GuestJson, SpecRoundTrip) {
  auto back = GuestSpecFromJson(GuestSpecToJson(FullSpec()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ExpectSame(*back, FullSpec());
}

TEST(GuestJson, SpecBytes) {
  GuestSpec s;
  s.name = "g";
  EXPECT_EQ(GuestSpecToJson(s),
            R"({"autostart":true,"cmdline":"","disk":"","disk_size":67108864,"image":"",)"
            R"("initrd":"","kernel":"","memory":268435456,"name":"g","net":false,"ports":[],)"
            R"("vcpus":1})");
}

TEST(GuestJson, SpecWithOnlyANameGetsTheDefaults) {
  auto s = GuestSpecFromJson(R"({"name":"guest7"})");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  GuestSpec expected;
  expected.name = "guest7";
  ExpectSame(*s, expected);
}

TEST(GuestJson, StatusRoundTripAndBytes) {
  EXPECT_EQ(
      GuestStatusToJson(Status1()),
      R"({"console":"/run/mint-vm/guest1/console.log","disk":"/var/g1.img",)"
      R"("memory":268435456,"name":"guest1","pid":0,"ports":[{"guest":80,"host":8080}],)"
      "\"reason\":\"QEMU killed by signal 11 (SIGSEGV)\",\"state\":\"crashed\",\"uptime_s\":1.5,"
      R"("vcpus":1})");
  auto back = GuestStatusFromJson(GuestStatusToJson(Status1()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ExpectSame(*back, Status1());
}

TEST(GuestJson, ListRoundTrip) {
  GuestStatus two = Status1();
  two.name = "guest2";
  two.state = "running";
  two.reason = "";
  two.pid = 4242;
  auto back = GuestListFromJson(GuestListToJson({Status1(), two}));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), 2u);
  ExpectSame((*back)[0], Status1());
  ExpectSame((*back)[1], two);
  EXPECT_EQ(GuestListToJson({}), "[]");
}

TEST(GuestJson, FactsRoundTrip) {
  NodeFacts f;
  f.node = "node1";
  f.cpus = 4;
  f.mem_available = ByteSize{3ull << 30};
  f.has_kvm = true;
  f.cpu_virt = true;
  f.has_qemu = false;
  f.missing_files = {"/boot/mint/guest/bzImage"};
  f.guests = {Status1()};
  auto back = NodeFactsFromJson(NodeFactsToJson(f));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->node, "node1");
  EXPECT_EQ(back->cpus, 4u);
  EXPECT_EQ(back->mem_available, f.mem_available);
  EXPECT_TRUE(back->has_kvm);
  EXPECT_TRUE(back->cpu_virt);
  EXPECT_FALSE(back->has_qemu);
  EXPECT_EQ(back->missing_files, f.missing_files);
  ASSERT_EQ(back->guests.size(), 1u);
  ExpectSame(back->guests[0], Status1());
}

TEST(GuestJson, InvalidUtf8IsReplacedNotThrown) {
  GuestStatus g = Status1();
  g.reason = "bad \xff\xfe bytes";
  std::string text = GuestStatusToJson(g);
  auto back = GuestStatusFromJson(text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->reason, "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
}

// One hostile input and the message it must get.
struct Hostile {
  const char* what;
  std::string text;
  std::string message;
};

const std::string kBuild = "; mintctl and mint-agent must come from one mint build";

TEST(GuestJson, HostileSpecs) {
  std::string long_string(257, 'a');
  const Hostile cases[] = {
      {"empty", "", "not JSON"},
      {"garbage", "\x01\x02garbage", "not JSON"},
      {"truncated", R"({"name":"g1")", "not JSON"},
      {"invalid utf-8", "{\"name\":\"g\xff\"}", "not JSON"},
      {"nul byte", std::string("{\"name\":\"g1\"}\0x", 15), "a NUL byte in the text"},
      {"array", "[]", "the top level is not a JSON object"},
      {"number", "7", "the top level is not a JSON object"},
      {"no name", "{}", "name is missing"},
      {"bad name", R"({"name":"../../etc"})",
       "name is not a guest name (a guest name is 1 to 32 characters of a-z, 0-9, '-' and '_', "
       "starting with a letter or digit)"},
      {"name type", R"({"name":7})", "name is not a string"},
      {"long string", R"({"name":"g","cmdline":")" + long_string + R"("})",
       "cmdline is longer than 256 bytes"},
      {"negative memory", R"({"name":"g","memory":-1})",
       "memory is not a whole number from 0 to 1125899906842624"},
      {"float vcpus", R"({"name":"g","vcpus":1.5})", "vcpus is not a whole number from 0 to 1024"},
      {"huge vcpus", R"({"name":"g","vcpus":4294967297})",
       "vcpus is not a whole number from 0 to 1024"},
      {"string net", R"({"name":"g","net":"yes"})", "net is not true or false"},
      {"port range", R"({"name":"g","ports":[{"host":70000,"guest":80}]})",
       "ports[0].host is not a whole number from 0 to 65535"},
      {"port shape", R"({"name":"g","ports":[8080]})", "ports[0] is not a JSON object"},
      {"port extra", R"({"name":"g","ports":[{"host":1,"guest":2,"udp":true}]})",
       "ports[0].udp is not a field mint knows"},
      {"ports not array", R"({"name":"g","ports":{}})", "ports is not an array"},
      {"unknown field", R"({"name":"g","gpu":true})", "gpu is not a field mint knows"},
  };
  for (const Hostile& h : cases) {
    auto r = GuestSpecFromJson(h.text);
    ASSERT_FALSE(r.ok()) << h.what;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << h.what;
    EXPECT_EQ(r.error().context, "guest spec") << h.what;
    EXPECT_EQ(r.error().message, h.message + kBuild) << h.what;
  }
}

TEST(GuestJson, HostileStatusesAndLists) {
  std::string ok = GuestStatusToJson(Status1());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = ok;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const Hostile statuses[] = {
      {"state", with(R"("crashed")", R"("zombie")"),
       "state is \"zombie\", not starting, running, stopped, crashed or lost"},
      {"pid", with(R"("pid":0)", R"("pid":-5)"), "pid is not a whole number from 0 to 4194304"},
      {"uptime", with(R"("uptime_s":1.5)", R"("uptime_s":-1)"),
       "uptime_s is not a number from 0 to 10000000000"},
      {"missing", with(R"("console":"/run/mint-vm/guest1/console.log",)", ""),
       "console is missing"},
  };
  for (const Hostile& h : statuses) {
    auto r = GuestStatusFromJson(h.text);
    ASSERT_FALSE(r.ok()) << h.what;
    EXPECT_EQ(r.error().message, h.message + kBuild) << h.what;
  }

  std::string many = "[";
  for (size_t i = 0; i <= kMaxGuests; ++i) {
    GuestStatus g = Status1();
    g.name = "g" + std::to_string(i);
    many += (i ? "," : "") + GuestStatusToJson(g);
  }
  many += "]";
  const Hostile lists[] = {
      {"object", "{}", "the top level is not an array"},
      {"too many", many, "the list has 65 guests, more than the 64 allowed"},
      {"twice", "[" + ok + "," + ok + "]", "[1].name guest1 appears twice"},
      {"bad entry", "[" + ok + ",3]", "[1] is not a JSON object"},
      {"too big", "[" + std::string(kMaxJson, ' ') + "]",
       "1048578 bytes, more than the 1048576 allowed"},
  };
  for (const Hostile& h : lists) {
    auto r = GuestListFromJson(h.text);
    ASSERT_FALSE(r.ok()) << h.what;
    EXPECT_EQ(r.error().context, "guest list") << h.what;
    EXPECT_EQ(r.error().message, h.message + kBuild) << h.what;
  }
}

TEST(GuestJson, DeepNestingIsRefusedWithoutCrashing) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  auto r = GuestListFromJson(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "[0] is not a JSON object" + kBuild);
  EXPECT_FALSE(GuestSpecFromJson(std::string(300000, '{')).ok());
}

TEST(GuestJson, HostileFacts) {
  NodeFacts f;
  f.node = "node1";
  std::string ok = NodeFactsToJson(f);
  ASSERT_TRUE(NodeFactsFromJson(ok).ok());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = ok;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const Hostile cases[] = {
      {"node", with(R"("node1")", R"("")"), "node is empty"},
      {"file", with(R"("missing_files":[])", R"("missing_files":[7])"),
       "missing_files[0] is not a string of at most 256 bytes"},
      {"guests", with(R"("guests":[])", R"("guests":[{}])"), "guests[0].name is missing"},
      {"kvm", with(R"("has_kvm":false)", R"("has_kvm":1)"), "has_kvm is not true or false"},
  };
  for (const Hostile& h : cases) {
    auto r = NodeFactsFromJson(h.text);
    ASSERT_FALSE(r.ok()) << h.what;
    EXPECT_EQ(r.error().context, "node facts") << h.what;
    EXPECT_EQ(r.error().message, h.message + kBuild) << h.what;
  }
}

}  // namespace
}  // namespace mint::vm
