// CheckStart: every refusal with its exact words and code, and what passes.
#include <gtest/gtest.h>

#include "mint/vm.h"

namespace mint::vm {
namespace {

NodeFacts Facts() {
  NodeFacts f;
  f.node = "node1";
  f.cpus = 2;
  f.mem_available = ByteSize{1ull << 30};
  f.has_kvm = f.cpu_virt = f.has_qemu = true;
  return f;
}

GuestSpec Spec() {
  GuestSpec s;
  s.name = "guest1";
  return s;
}

GuestStatus Running(std::string name, int pid) {
  GuestStatus g;
  g.name = std::move(name);
  g.state = "running";
  g.pid = pid;
  return g;
}

void ExpectRefused(const NodeFacts& f, const GuestSpec& s, ErrorCode code,
                   const std::string& message, const std::string& context = "") {
  auto r = CheckStart(f, s);
  ASSERT_FALSE(r.ok()) << message;
  EXPECT_EQ(r.error().code, code);
  EXPECT_EQ(r.error().message, message);
  EXPECT_EQ(r.error().context, context);
}

TEST(CheckStart, PassesAGuestThatFits) {
  NodeFacts f = Facts();
  f.guests = {Running("guest2", 7)};
  f.guests[0].ports = {{2222, 22}};
  f.guests[0].disk = "/d2";
  GuestSpec s = Spec();
  s.vcpus = 2;
  s.memory = ByteSize{(1ull << 30) - (64ull << 20)};  // exactly what is left with the VMM's
  s.ports = {{8080, 80}};
  s.disk = "/d1";
  EXPECT_TRUE(CheckStart(f, s).ok());
  // A stopped guest of the same name is replaced, its port and disk are free.
  f.guests = {Running("guest1", 0)};
  f.guests[0].state = "stopped";
  f.guests[0].ports = {{8080, 80}};
  f.guests[0].disk = "/d1";
  EXPECT_TRUE(CheckStart(f, s).ok());
}

TEST(CheckStart, InvalidName) {
  GuestSpec s = Spec();
  s.name = "Guest 1";
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "\"Guest 1\" is not a guest name; a guest name is 1 to 32 characters of a-z, "
                "0-9, '-' and '_', starting with a letter or digit, e.g. guest1");
}

TEST(CheckStart, ContextIsWhereTheGuestWasDeclared) {
  GuestSpec s = Spec();
  s.name = "";
  s.where = SourceLoc{"node1.yaml", 7, 5, ""};
  auto r = CheckStart(Facts(), s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().context, "node1.yaml:7:5");
}

TEST(CheckStart, SameNameAlreadyRuns) {
  NodeFacts f = Facts();
  f.guests = {Running("guest1", 123)};
  ExpectRefused(f, Spec(), ErrorCode::kConflict,
                "guest1 already runs in node1 (pid 123); pick another name, or stop it first: "
                "mintctl vm stop node1 guest1");
  f.guests[0].state = "starting";
  f.guests[0].pid = 0;
  ExpectRefused(f, Spec(), ErrorCode::kConflict,
                "guest1 already runs in node1 (starting); pick another name, or stop it first: "
                "mintctl vm stop node1 guest1");
}

TEST(CheckStart, ImageAndKernel) {
  GuestSpec s = Spec();
  s.image = "/img";
  s.kernel = "/k";
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest guest1 has both an image and a kernel/initrd; boot it from one or the "
                "other");
  s = Spec();
  s.initrd = "/i";
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest guest1 has an initrd but no kernel; give its kernel too");
}

TEST(CheckStart, RelativePath) {
  GuestSpec s = Spec();
  s.disk = "guest1.img";
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest1's disk guest1.img is not an absolute path; give the path from / in the "
                "node");
}

TEST(CheckStart, MemoryNotWholeMib) {
  GuestSpec s = Spec();
  s.memory = ByteSize{(256ull << 20) + 4096};
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest guest1's memory 262148 KiB is too small or not whole MiB; give at least "
                "16M in MiB (--mem), e.g. 256M");
}

TEST(CheckStart, DiskOfSizeZero) {
  GuestSpec s = Spec();
  s.disk = "/d";
  s.disk_size = ByteSize{0};
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest guest1's disk /d would be created with size 0; give it a size "
                "(--disk-size), e.g. 64M");
}

TEST(CheckStart, NoVmm) {
  NodeFacts f = Facts();
  f.has_qemu = false;
  ExpectRefused(f, Spec(), ErrorCode::kUnsupported,
                "node1 has no VMM: /usr/bin/qemu-system-x86_64 is missing; boot the node with "
                "guests in its nodeconf or with --kvm, so mintctl adds the VMM layer");
  f.node = "node0";
  ExpectRefused(f, Spec(), ErrorCode::kUnsupported,
                "node0 has no VMM: /usr/bin/qemu-system-x86_64 is missing; install QEMU in node0 "
                "(apt-get install qemu-system-x86)");
}

TEST(CheckStart, CpusWithoutVirtualization) {
  NodeFacts f = Facts();
  f.cpu_virt = false;
  f.has_kvm = false;
  ExpectRefused(f, Spec(), ErrorCode::kUnsupported,
                "node1's CPUs have neither svm nor vmx (/proc/cpuinfo): this node cannot run KVM "
                "guests; run the guest on a node whose CPUs do");
}

TEST(CheckStart, NoDevKvm) {
  NodeFacts f = Facts();
  f.has_kvm = false;
  ExpectRefused(f, Spec(), ErrorCode::kUnsupported,
                "node1 has no /dev/kvm, though its CPUs have svm or vmx: its kernel has no KVM or "
                "has not loaded it; load kvm_amd or kvm_intel, or boot the node with a kernel "
                "built with KVM");
}

TEST(CheckStart, MissingFiles) {
  NodeFacts f = Facts();
  f.missing_files = {"/boot/mint/guest/initrd.img"};
  ExpectRefused(f, Spec(), ErrorCode::kNotFound,
                "guest1's initrd /boot/mint/guest/initrd.img (the default guest's) is missing in "
                "node1; boot the node with guests in its nodeconf or with --kvm, so mintctl packs "
                "the default guest, or give --kernel and --initrd",
                "/boot/mint/guest/initrd.img");
  GuestSpec s = Spec();
  s.kernel = "/srv/vmlinuz";
  f.missing_files = {"/srv/vmlinuz"};
  ExpectRefused(f, s, ErrorCode::kNotFound,
                "guest1's kernel /srv/vmlinuz is missing in node1; copy it into the node or give "
                "--kernel a path that exists there",
                "/srv/vmlinuz");
  s = Spec();
  s.image = "/srv/debian.raw";
  f.missing_files = {"/srv/debian.raw"};
  ExpectRefused(f, s, ErrorCode::kNotFound,
                "guest1's image /srv/debian.raw is missing in node1; copy it into the node or "
                "give --image a path that exists there",
                "/srv/debian.raw");
}

TEST(CheckStart, Vcpus) {
  GuestSpec s = Spec();
  s.vcpus = 0;
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest1 has 0 vCPUs; give it 1 to 2 (--vcpus), the CPUs of node1");
  s.vcpus = 3;
  ExpectRefused(Facts(), s, ErrorCode::kInsufficient,
                "guest1 wants 3 vCPUs, node1 has 2 CPUs; give it at most 2 (--vcpus) or run it "
                "on a bigger node");
}

TEST(CheckStart, Memory) {
  NodeFacts f = Facts();
  f.mem_available = ByteSize{(180ull << 20) + 12345};
  ExpectRefused(f, Spec(), ErrorCode::kInsufficient,
                "guest1 wants 256 MiB + 64 MiB for its VMM, node1 has 180 MiB available; give it "
                "less (--mem) or boot the node with more memory");
  f.mem_available = ByteSize{(320ull << 20) - 1};  // one byte short
  EXPECT_FALSE(CheckStart(f, Spec()).ok());
}

TEST(CheckStart, PortForwardedByAnotherGuest) {
  NodeFacts f = Facts();
  f.guests = {Running("guest2", 9)};
  f.guests[0].ports = {{8080, 80}};
  GuestSpec s = Spec();
  s.ports = {{2222, 22}, {8080, 8000}};
  ExpectRefused(f, s, ErrorCode::kConflict,
                "node port 8080 is already forwarded to guest2 in node1; give guest1 another "
                "node port (--port), or stop guest2 first");
  f.guests[0].state = "crashed";
  EXPECT_TRUE(CheckStart(f, s).ok());
}

TEST(CheckStart, PortZero) {
  GuestSpec s = Spec();
  s.ports = {{0, 80}};
  ExpectRefused(Facts(), s, ErrorCode::kInvalidArgument,
                "guest guest1 forwards port 0:80; TCP ports are 1-65535 (--port 8080:80)");
}

TEST(CheckStart, DiskOfAnotherGuest) {
  NodeFacts f = Facts();
  f.guests = {Running("guest2", 9)};
  f.guests[0].disk = "/var/shared.img";
  GuestSpec s = Spec();
  s.disk = "/var/shared.img";
  ExpectRefused(f, s, ErrorCode::kConflict,
                "guest1's disk /var/shared.img is the disk of guest2, which runs in node1; give "
                "guest1 its own disk (--disk), or stop guest2 first");
}

TEST(CheckStart, TooManyGuests) {
  NodeFacts f = Facts();
  for (size_t i = 0; i < kMaxGuests; ++i) {
    f.guests.push_back(Running("g" + std::to_string(i), 0));
    f.guests.back().state = "stopped";
  }
  ExpectRefused(f, Spec(), ErrorCode::kInsufficient,
                "node1 keeps 64 guests already, the most mint reports; remove stopped ones "
                "first: mintctl vm rm node1 GUEST");
  GuestSpec again = Spec();
  again.name = "g3";  // replaces its own record
  EXPECT_TRUE(CheckStart(f, again).ok());
}

}  // namespace
}  // namespace mint::vm
