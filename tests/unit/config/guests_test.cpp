// Guests through both front doors: nodeconf `guests:` entries and `mintctl
// vm start` flags (GuestFromFlags) accept the same values with the same
// words; every refusal's exact text.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mint/config.h"

namespace mint::config {
namespace {

std::string ErrorOf(std::string_view yaml) {
  auto spec = ParseNodeConf(yaml, "n.yaml");
  if (spec.ok()) return "(parsed)";
  return spec.error().context + ": " + spec.error().message;
}

std::string FlagErrorOf(const GuestFlags& flags) {
  auto g = GuestFromFlags(flags);
  if (g.ok()) return "(ok)";
  return g.error().context + ": " + g.error().message;
}

TEST(NodeConfGuests, FullEntry) {
  auto spec = ParseNodeConf(
      "name: node1\nmemory: 1G\nguests:\n"
      "  - {name: g1, vcpus: 2, memory: 128M, disk: /srv/g1.img, disk-size: 32M, net: true,\n"
      "     ports: [\"8080:80\"], autostart: false, cmdline: quiet}\n"
      "  - name: g2\n",
      "n.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  ASSERT_EQ(spec->guests.size(), 2u);
  const GuestSpec& g1 = spec->guests[0];
  EXPECT_EQ(g1.name, "g1");
  EXPECT_EQ(g1.vcpus, 2u);
  EXPECT_EQ(g1.memory.bytes, 128ull << 20);
  EXPECT_EQ(g1.disk, "/srv/g1.img");
  EXPECT_EQ(g1.disk_size.bytes, 32ull << 20);
  EXPECT_TRUE(g1.net);
  ASSERT_EQ(g1.ports.size(), 1u);
  EXPECT_EQ(g1.ports[0], (GuestPort{8080, 80}));
  EXPECT_FALSE(g1.autostart);
  EXPECT_EQ(g1.cmdline, "quiet");
  EXPECT_EQ(g1.where.ToString(), "n.yaml:4:5");
  const GuestSpec& g2 = spec->guests[1];
  EXPECT_EQ(g2.vcpus, kDefaultGuestVcpus);
  EXPECT_EQ(g2.memory.bytes, kDefaultGuestMemory);
  EXPECT_TRUE(g2.autostart);
  EXPECT_FALSE(g2.net);
}

TEST(NodeConfGuests, KvmKey) {
  auto spec = ParseNodeConf("kvm: true\n", "n.yaml");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->kvm);
  EXPECT_EQ(ErrorOf("kvm: maybe\n"), "n.yaml:1:6: kvm must be true or false, not \"maybe\"");
}

TEST(NodeConfGuests, Refusals) {
  EXPECT_EQ(ErrorOf("guests: g1\n"),
            "n.yaml:1:9: guests must be a list of mappings like [{name: guest1}]");
  EXPECT_EQ(ErrorOf("guests: [g1]\n"),
            "n.yaml:1:10: each guest is a mapping like {name: guest1, memory: 256M}");
  EXPECT_EQ(ErrorOf("guests: [{vcpus: 1}]\n"),
            "n.yaml:1:10: a guest needs a name, e.g. name: guest1");
  EXPECT_EQ(ErrorOf("guests: [{name: G1}]\n"),
            "n.yaml:1:17: \"G1\" is not a guest name; a guest name is 1 to 32 characters of a-z, "
            "0-9, '-' and '_', starting with a letter or digit, e.g. guest1");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, cpus: 2}]\n"),
            "n.yaml:1:21: unknown guest key \"cpus\"; the keys are name, vcpus, memory, kernel, "
            "initrd, cmdline, image, disk, disk-size, net, ports, autostart");
  EXPECT_EQ(ErrorOf("guests: [{name: g1}, {name: g1}]\n"),
            "n.yaml:1:22: guest g1 is declared twice (first at n.yaml:1:10); give each guest "
            "its own name");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, name: g2}]\n"),
            "n.yaml:1:21: guest key name is given twice (first at n.yaml:1:11)");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, vcpus: 0}]\n"),
            "n.yaml:1:28: vcpus \"0\" is not a vCPU count; write a number from 1 to 255, e.g. 1");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, memory: 8M}]\n"),
            "n.yaml:1:10: guest g1's memory 8 MiB is too small or not whole MiB; give at least "
            "16M in MiB (--mem), e.g. 256M");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, disk: srv/g1.img}]\n"),
            "n.yaml:1:10: g1's disk srv/g1.img is not an absolute path; give the path from / in "
            "the node");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, ports: [\"80\"]}]\n"),
            "n.yaml:1:29: port \"80\" is not a forward; write NODEPORT:GUESTPORT with TCP ports "
            "1-65535, e.g. 8080:80");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, ports: [\"80:80\", \"80:81\"]}]\n"),
            "n.yaml:1:10: guest g1 forwards node port 80 twice; each node port goes to one "
            "guest port");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, image: /a.img, kernel: /k}]\n"),
            "n.yaml:1:10: guest g1 has both an image and a kernel/initrd; boot it from one or "
            "the other");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, initrd: /i}]\n"),
            "n.yaml:1:10: guest g1 has an initrd but no kernel; give its kernel too");
  EXPECT_EQ(ErrorOf("guests: [{name: g1, disk-size: 1IB}]\n")
                .find("n.yaml:1:32: disk-size \"1IB\" is not a size; "),
            0u);
  EXPECT_EQ(ErrorOf("guests: [{name: g1, net: 1}]\n"),
            "n.yaml:1:26: net must be true or false, not \"1\"");
}

TEST(GuestFlags, DefaultsAndValues) {
  GuestFlags f;
  f.name = "guest1";
  auto g = GuestFromFlags(f);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->vcpus, 1u);
  EXPECT_EQ(g->memory.bytes, 256ull << 20);
  EXPECT_TRUE(g->kernel.empty());
  EXPECT_FALSE(g->net);
  f.vcpus = "2";
  f.memory = "128M";
  f.ports = {"8080:80"};
  f.disk = "/srv/g.img";
  g = GuestFromFlags(f);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->vcpus, 2u);
  EXPECT_TRUE(g->net);  // a forward needs the network
  EXPECT_EQ(g->disk, "/srv/g.img");
}

TEST(GuestFlags, Refusals) {
  GuestFlags f;
  f.name = "a b";
  EXPECT_EQ(FlagErrorOf(f),
            "GUEST: \"a b\" is not a guest name; a guest name is 1 to 32 characters of a-z, "
            "0-9, '-' and '_', starting with a letter or digit, e.g. guest1");
  f.name = "g1";
  f.vcpus = "many";
  EXPECT_EQ(FlagErrorOf(f),
            "--vcpus: vcpus \"many\" is not a vCPU count; write a number from 1 to 255, e.g. 1");
  f.vcpus.reset();
  f.memory = "12Q";
  EXPECT_NE(FlagErrorOf(f).find("--mem: "), std::string::npos);
  f.memory.reset();
  // The size's own name, not "memory".
  f.disk_size = "3BB";
  EXPECT_EQ(FlagErrorOf(f).find("--disk-size: disk-size \"3BB\" is not a size; "), 0u);
  f.disk_size = "0";
  EXPECT_EQ(FlagErrorOf(f), "--disk-size: disk-size must be more than 0, e.g. 512M");
  f.disk_size.reset();
  f.ports = {"0:80"};
  EXPECT_EQ(FlagErrorOf(f),
            "--port: port \"0:80\" is not a forward; write NODEPORT:GUESTPORT with TCP ports "
            "1-65535, e.g. 8080:80");
  f.ports.clear();
  f.image = "/a.img";
  f.kernel = "/k";
  EXPECT_EQ(FlagErrorOf(f),
            "GUEST: guest g1 has both an image and a kernel/initrd; boot it from one or the "
            "other");
}

}  // namespace
}  // namespace mint::config

namespace mint::config {
namespace {

TEST(NodeConfGuests, TheGuestsExampleParses) {
  std::ifstream in(std::string(MINT_NODECONF_EXAMPLES) + "/guests.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto spec = ParseNodeConf(text.str(), "guests.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  ASSERT_EQ(spec->guests.size(), 2u);
  EXPECT_TRUE(spec->guests[0].net);  // ports imply net
  EXPECT_FALSE(spec->guests[1].autostart);
  EXPECT_EQ(spec->guests[1].vcpus, 2u);
}

}  // namespace
}  // namespace mint::config
