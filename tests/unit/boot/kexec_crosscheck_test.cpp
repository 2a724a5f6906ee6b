// Cross-check of mint::boot against a loader no one here wrote: kexec-tools'
// bzImage64 loader (`kexec -d -l --type=bzImage64 IMAGE --initrd=F
// --append=CMDLINE`, kexec_load path), run on the SAME image, initrd and
// command line. kexec runs under the LD_PRELOAD shim kexec_capture.c: it
// sees a fake host whose /proc/iomem is exactly the node's e820, and its
// kexec_load(2) is replaced by a dump of every segment, so this runs
// unprivileged and loads nothing anywhere.
//
// Compared (must agree):
//   - the setup header copy: every byte from 0x1f1 to 0x202 + image[0x201]
//     (setup_sects, syssize, vid_mode, version, kernel_alignment,
//     relocatable_kernel, min_alignment, xloadflags, cmdline_size,
//     initrd_addr_max, pref_address, init_size, ...) and that nothing past
//     the header end is copied;
//   - ramdisk_size / ext_ramdisk_size, the initrd bytes, page alignment;
//   - the command line bytes (NUL terminated) at cmd_line_ptr/ext_cmd_line_ptr;
//   - the kernel segment: the bytes after the (setup_sects + 1) * 512 real-mode
//     part, its memory window align_up(init_size, 4 KiB), placement on a
//     kernel_alignment boundary;
//   - the e820 in the zeropage (e820_entries, e820_table), given the same map;
//   - which images are refused for protocol < 2.12, a missing "HdrS" or a
//     missing LOADED_HIGH (zImage), and
//     the command-line length limit below cmdline_size.
// Differs on purpose (asserted, so a change on either side is noticed):
//   - type_of_loader: kexec 0xd0 (its registered id 0xD << 4), mint 0xff
//     (boot.rst: "undefined" loader);
//   - loadflags: kexec clears them, mint keeps the image's (LOADED_HIGH...);
//   - root_flags / root_dev / byte 0x1ff: kexec writes legacy defaults
//     (0xffff, /dev/hda = 0x0300, aux_device_info 0 over the high byte of
//     boot_flag); mint leaves the image's values (boot.rst: optional fields);
//   - ramdisk_image, cmd_line_ptr: each loader's own placement (kexec fills
//     host RAM top-down around its purgatory; mint fills node RAM: kernel
//     lowest, initrd highest);
//   - setup_data: kexec chains a SETUP_RNG_SEED (and SETUP_EFI on EFI hosts;
//     none on the fake host), mint chains SETUP_MINT (a node seeds its RNG
//     itself);
//   - outside the header kexec fills BIOS-style defaults (80x25 VGA
//     screen_info, cl_magic/cl_offset, ext_mem_k); mint leaves them zero: a
//     node has no VGA and no BIOS;
//   - a command line of exactly cmdline_size characters: boot.rst allows it
//     (the NUL is not counted), kexec counts the NUL and refuses it;
//   - a non-relocatable kernel with XLF_CAN_BE_LOADED_ABOVE_4G: kexec takes
//     the XLF bits as enough, mint refuses (a node runs wherever its memory
//     is); an image without XLF_CAN_BE_LOADED_ABOVE_4G: kexec refuses,
//     mint loads it and keeps its initrd below initrd_addr_max.
#include <asm/bootparam.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_bzimage.h"
#include "mint/boot.h"

extern char** environ;

namespace mint::boot {
namespace {

namespace fs = std::filesystem;
using testing::FakeBzImageSpec;
using testing::MakeFakeBzImage;

constexpr uint64_t kMiB = 1ull << 20;

std::vector<uint8_t> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

void WriteBytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A node of 256 MiB at 4 GiB, shared region first: room for a real kernel.
NodeLayout Layout() {
  NodeLayout l;
  l.node_id = 1;
  l.ram = {{PhysAddr{0x100000000}, ByteSize{256 * kMiB}}};
  l.shared = {PhysAddr{0x100000000}, ByteSize{kMiB}};
  l.low = {PhysAddr{0x90000}, ByteSize{0x10000}};
  l.apic_ids = {ApicId{2}, ApicId{3}};
  l.tsc_khz = 2'000'000;
  l.lapic_khz = 1'000'000;
  return l;
}

// /proc/iomem text for an e820: what kexec will take as the host's memory.
std::string IomemFor(const std::vector<E820Entry>& e820) {
  std::string out;
  char line[128];
  for (const E820Entry& e : e820) {
    std::snprintf(line, sizeof line, "%llx-%llx : %s\n",
                  static_cast<unsigned long long>(e.addr.value),
                  static_cast<unsigned long long>(e.addr.value + e.size.bytes - 1),
                  e.type == E820Type::kRam ? "System RAM" : "Reserved");
    out += line;
  }
  return out;
}

struct KexecSegment {
  uint64_t mem = 0;
  uint64_t memsz = 0;
  std::vector<uint8_t> bytes;
};

struct KexecRun {
  int exit_code = -1;
  std::string output;  // kexec's stdout + stderr (the -d dump)
  bool captured = false;
  std::vector<KexecSegment> segments;
};

// Runs kexec under the capture shim in a fresh directory.
KexecRun RunKexec(const std::vector<uint8_t>& kernel, const std::vector<uint8_t>& initrd,
                  const std::string& cmdline, const NodeLayout& layout) {
  KexecRun run;
  static int counter = 0;
  fs::path dir = fs::temp_directory_path() / ("mint-kexec-crosscheck-" + std::to_string(getpid()) +
                                              "-" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir / "capture");
  WriteBytes(dir / "bzImage", kernel);
  WriteBytes(dir / "initrd", initrd);
  auto e820 = BuildE820(layout);
  EXPECT_TRUE(e820.ok());
  std::ofstream(dir / "iomem") << IomemFor(*e820);

  std::vector<std::string> args = {MINT_KEXEC_PATH,
                                   "-d",
                                   "-l",
                                   "--type=bzImage64",
                                   (dir / "bzImage").string(),
                                   "--initrd=" + (dir / "initrd").string(),
                                   "--append=" + cmdline};
  std::vector<std::string> env = {"MINT_KEXEC_CAPTURE=" + (dir / "capture").string(),
                                  "MINT_KEXEC_IOMEM=" + (dir / "iomem").string(),
                                  std::string("LD_PRELOAD=") + MINT_KEXEC_CAPTURE_SHIM,
                                  "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::string out_path = (dir / "output").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot run " << argv[0] << ": " << std::strerror(rc);
  if (rc != 0) return run;
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = ReadText(out_path);

  std::ifstream index(dir / "capture" / "segments.txt");
  std::string word;
  if (index >> word && word == "entry") {
    run.captured = true;
    std::string line;
    std::getline(index, line);
    while (std::getline(index, line)) {
      unsigned long long i, mem, memsz, bufsz;
      if (std::sscanf(line.c_str(), "segment %llu mem 0x%llx memsz 0x%llx bufsz 0x%llx", &i, &mem,
                      &memsz, &bufsz) != 4) {
        continue;
      }
      KexecSegment s;
      s.mem = mem;
      s.memsz = memsz;
      s.bytes = ReadBytes(dir / "capture" / ("segment" + std::to_string(i) + ".bin"));
      EXPECT_EQ(s.bytes.size(), bufsz);
      run.segments.push_back(std::move(s));
    }
  }
  fs::remove_all(dir);
  return run;
}

const KexecSegment* FindKexecSegment(const KexecRun& run, const std::vector<uint8_t>& bytes) {
  for (const KexecSegment& s : run.segments) {
    if (s.bytes == bytes) return &s;
  }
  return nullptr;
}

// kexec's real_mode segment: the one with the setup header's "HdrS".
const KexecSegment* FindKexecZeropage(const KexecRun& run) {
  for (const KexecSegment& s : run.segments) {
    if (s.bytes.size() >= sizeof(boot_params) && std::memcmp(&s.bytes[0x202], "HdrS", 4) == 0) {
      return &s;
    }
  }
  return nullptr;
}

std::string CmdlineAt(const std::vector<uint8_t>& segment, uint64_t segment_phys, uint64_t ptr) {
  if (ptr < segment_phys || ptr - segment_phys >= segment.size()) return "<outside the segment>";
  const uint8_t* p = segment.data() + (ptr - segment_phys);
  const uint8_t* end = segment.data() + segment.size();
  const uint8_t* nul = std::find(p, end, 0);
  if (nul == end) return "<no NUL>";
  return std::string(p, nul);
}

// Header offsets where the two loaders write different values on purpose
// (see the file comment); each is asserted separately below.
bool DiffersOnPurpose(size_t off) {
  return (off >= 0x1f2 && off < 0x1f4) ||  // root_flags
         (off >= 0x1fc && off < 0x1fe) ||  // root_dev
         off == 0x1ff ||                   // kexec's aux_device_info
         off == 0x210 || off == 0x211 ||   // type_of_loader, loadflags
         (off >= 0x218 && off < 0x21c) ||  // ramdisk_image
         (off >= 0x228 && off < 0x22c) ||  // cmd_line_ptr
         (off >= 0x250 && off < 0x258);    // setup_data
}

void CrossCheck(const std::vector<uint8_t>& kernel, const std::string& what) {
  SCOPED_TRACE(what);
  const NodeLayout layout = Layout();
  std::vector<uint8_t> initrd(123457);
  for (size_t i = 0; i < initrd.size(); ++i) initrd[i] = static_cast<uint8_t>(i * 31 + 7);
  const std::string cmdline = "console=mint earlyprintk=serial,ttyS1 nokaslr quiet";

  auto info = ProbeBzImage(kernel, what);
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  auto ours = BuildBootImage(kernel, initrd, cmdline, layout);
  ASSERT_TRUE(ours.ok()) << ours.error().ToString();
  KexecRun theirs = RunKexec(kernel, initrd, cmdline, layout);
  ASSERT_TRUE(theirs.captured) << "kexec exited " << theirs.exit_code << ":\n" << theirs.output;
  // What kexec's -d dump says about this load (printed before the syscall).
  EXPECT_NE(theirs.output.find("kernel init_size 0x" +
                               [&] {
                                 std::ostringstream os;
                                 os << std::hex << info->init_size;
                                 return os.str();
                               }()),
            std::string::npos)
      << theirs.output;
  EXPECT_NE(theirs.output.find("kexec_load failed: Function not implemented"), std::string::npos);

  const KexecSegment* kzp = FindKexecZeropage(theirs);
  ASSERT_NE(kzp, nullptr) << theirs.output;
  const Segment* ozp_seg = nullptr;
  for (const Segment& s : ours->segments) {
    if (s.what == "boot_params") ozp_seg = &s;
  }
  ASSERT_NE(ozp_seg, nullptr);
  const std::vector<uint8_t>& k = kzp->bytes;
  const std::vector<uint8_t>& o = ozp_seg->bytes;

  // The setup header copy: same length, same bytes but the documented ones.
  const size_t hdr_end = 0x202u + kernel[0x201];
  for (size_t off = 0x1f1; off < hdr_end; ++off) {
    if (DiffersOnPurpose(off)) continue;
    EXPECT_EQ(o[off], k[off]) << "setup header byte 0x" << std::hex << off;
    // ramdisk_size is written by both (compared below); the rest is the image's.
    if (off < 0x21c || off >= 0x220) {
      EXPECT_EQ(o[off], kernel[off]) << "setup header byte 0x" << std::hex << off;
    }
  }
  if (hdr_end < 0x290) {
    EXPECT_EQ(k[hdr_end], 0);
    EXPECT_EQ(o[hdr_end], 0);
  }
  boot_params kb, ob;
  std::memcpy(&kb, k.data(), sizeof kb);
  std::memcpy(&ob, o.data(), sizeof ob);
  EXPECT_EQ(ob.hdr.version, info->protocol);
  EXPECT_EQ(kb.hdr.version, info->protocol);
  EXPECT_EQ(kb.hdr.setup_sects, ob.hdr.setup_sects);
  EXPECT_EQ(kb.hdr.kernel_alignment, ob.hdr.kernel_alignment);
  EXPECT_EQ(kb.hdr.relocatable_kernel, ob.hdr.relocatable_kernel);
  EXPECT_EQ(kb.hdr.init_size, ob.hdr.init_size);
  // The documented differences, value by value.
  EXPECT_EQ(kb.hdr.type_of_loader, 0xd0);
  EXPECT_EQ(ob.hdr.type_of_loader, 0xff);
  EXPECT_EQ(kb.hdr.loadflags, 0);
  EXPECT_EQ(ob.hdr.loadflags, kernel[0x211]);
  EXPECT_EQ(kb.hdr.root_flags, 0xffff);
  EXPECT_EQ(kb.hdr.root_dev, 0x0300);
  EXPECT_EQ(ob.hdr.root_flags, kernel[0x1f2] | kernel[0x1f3] << 8);
  EXPECT_EQ(ob.hdr.root_dev, kernel[0x1fc] | kernel[0x1fd] << 8);
  EXPECT_EQ(k[0x1ff], 0);
  EXPECT_EQ(o[0x1ff], 0xaa);
  // kexec's chain: one SETUP_RNG_SEED (32 random bytes for the next kernel's
  // RNG; no EFI data on the fake host). mint's: SETUP_MINT (boot_test.cpp).
  const KexecSegment* kseed = nullptr;
  for (const KexecSegment& s : theirs.segments) {
    if (kb.hdr.setup_data >= s.mem && kb.hdr.setup_data < s.mem + s.bytes.size()) kseed = &s;
  }
  ASSERT_NE(kseed, nullptr) << "kexec's setup_data points at no segment";
  setup_data kseed_head;
  std::memcpy(&kseed_head, &kseed->bytes[kb.hdr.setup_data - kseed->mem], sizeof kseed_head);
  EXPECT_EQ(kseed_head.type, static_cast<uint32_t>(SETUP_RNG_SEED));
  EXPECT_EQ(kseed_head.next, 0u);
  EXPECT_EQ(ob.hdr.setup_data,
            ours->boot_params.value + 0x1000 + ((cmdline.size() + 1 + 7) & ~7ull));
  EXPECT_EQ(kb.screen_info.orig_video_isVGA, 1);
  EXPECT_EQ(ob.screen_info.orig_video_isVGA, 0);

  // initrd: same size fields, same bytes, page aligned in both.
  EXPECT_EQ(kb.hdr.ramdisk_size, initrd.size());
  EXPECT_EQ(ob.hdr.ramdisk_size, initrd.size());
  EXPECT_EQ(kb.ext_ramdisk_size, 0u);
  EXPECT_EQ(ob.ext_ramdisk_size, 0u);
  const KexecSegment* kinitrd = FindKexecSegment(theirs, initrd);
  ASSERT_NE(kinitrd, nullptr);
  uint64_t kinitrd_ptr = kb.hdr.ramdisk_image | uint64_t{kb.ext_ramdisk_image} << 32;
  uint64_t oinitrd_ptr = ob.hdr.ramdisk_image | uint64_t{ob.ext_ramdisk_image} << 32;
  EXPECT_EQ(kinitrd_ptr, kinitrd->mem);
  EXPECT_EQ(oinitrd_ptr, ours->initrd.start.value);
  EXPECT_EQ(kinitrd_ptr % 4096, 0u);
  EXPECT_EQ(oinitrd_ptr % 4096, 0u);

  // Command line: the same bytes at each one's cmd_line_ptr.
  uint64_t kcmd = kb.hdr.cmd_line_ptr | uint64_t{kb.ext_cmd_line_ptr} << 32;
  uint64_t ocmd = ob.hdr.cmd_line_ptr | uint64_t{ob.ext_cmd_line_ptr} << 32;
  EXPECT_EQ(CmdlineAt(k, kzp->mem, kcmd), cmdline);
  EXPECT_EQ(CmdlineAt(o, ours->boot_params.value, ocmd), cmdline);

  // Kernel: same payload bytes, same memory window, both on kernel_alignment.
  std::vector<uint8_t> payload(kernel.begin() + static_cast<ptrdiff_t>(info->payload_offset),
                               kernel.end());
  const KexecSegment* kkernel = FindKexecSegment(theirs, payload);
  ASSERT_NE(kkernel, nullptr) << "kexec loaded no segment equal to the 64-bit kernel";
  EXPECT_EQ(ours->segments[0].bytes, payload);
  EXPECT_EQ(kkernel->memsz, (uint64_t{info->init_size} + 4095) & ~4095ull);
  EXPECT_EQ(ours->kernel.size.bytes, kkernel->memsz);
  EXPECT_EQ(kkernel->mem % info->kernel_alignment, 0u);
  EXPECT_EQ(ours->kernel.start.value % info->kernel_alignment, 0u);

  // e820: the same map, encoded the same way in the zeropage.
  EXPECT_EQ(kb.e820_entries, ob.e820_entries);
  EXPECT_EQ(
      std::memcmp(&k[offsetof(boot_params, e820_table)], &o[offsetof(boot_params, e820_table)],
                  ob.e820_entries * sizeof(boot_e820_entry)),
      0);
}

TEST(KexecCrosscheck, SyntheticImageAgrees) { CrossCheck(MakeFakeBzImage(), "synthetic bzImage"); }

TEST(KexecCrosscheck, SyntheticImageWithShortSetupAgrees) {
  FakeBzImageSpec spec;
  spec.setup_sects = 0x1b;  // a real kernel's size: setup part past 4 KiB
  spec.payload_bytes = 64 * 1024;
  spec.init_size = 0x1400000;
  CrossCheck(MakeFakeBzImage(spec), "synthetic bzImage, 27 setup sectors");
}

// A real bzImage: MINT_CROSSCHECK_KERNEL=<path>, by default the lab's kernel
// ${MINT_CACHE:-/var/cache/mint}/kernel/bzImage. Not a unit test (it needs
// the lab build): ctest runs it as boot_kexec_crosscheck_lab_kernel.
TEST(KexecCrosscheckReal, RealKernelAgrees) {
  std::string path;
  if (const char* p = std::getenv("MINT_CROSSCHECK_KERNEL")) {
    path = p;
  } else {
    const char* cache = std::getenv("MINT_CACHE");
    path = std::string(cache && *cache ? cache : "/var/cache/mint") + "/kernel/bzImage";
  }
  ASSERT_TRUE(fs::exists(path)) << path
                                << " does not exist; build the lab kernel (lab/mint-lab build) "
                                   "or set MINT_CROSSCHECK_KERNEL to a bzImage";
  CrossCheck(ReadBytes(path), path);
}

TEST(KexecCrosscheck, CmdlineLimitAgreesBelowCmdlineSize) {
  FakeBzImageSpec spec;
  spec.cmdline_size = 64;
  auto kernel = MakeFakeBzImage(spec);
  std::vector<uint8_t> initrd(4096, 1);
  for (size_t len : {size_t{1}, size_t{63}}) {
    std::string cmdline(len, 'c');
    EXPECT_TRUE(BuildBootImage(kernel, initrd, cmdline, Layout()).ok()) << len;
    EXPECT_TRUE(RunKexec(kernel, initrd, cmdline, Layout()).captured) << len;
  }
  std::string too_long(65, 'c');
  EXPECT_FALSE(BuildBootImage(kernel, initrd, too_long, Layout()).ok());
  KexecRun run = RunKexec(kernel, initrd, too_long, Layout());
  EXPECT_FALSE(run.captured);
  EXPECT_NE(run.output.find("Kernel command line too long for kernel!"), std::string::npos)
      << run.output;
  // Exactly cmdline_size: boot.rst allows it, kexec counts the NUL.
  std::string exact(64, 'c');
  EXPECT_TRUE(BuildBootImage(kernel, initrd, exact, Layout()).ok());
  EXPECT_FALSE(RunKexec(kernel, initrd, exact, Layout()).captured);
}

TEST(KexecCrosscheck, BothRefuseOldProtocolsAndNonBzImages) {
  std::vector<uint8_t> initrd(4096, 1);
  FakeBzImageSpec old;
  old.version = 0x020b;
  FakeBzImageSpec no_magic;
  no_magic.hdrs_magic = false;
  FakeBzImageSpec zimage;
  zimage.loadflags = 0;  // no LOADED_HIGH
  for (const FakeBzImageSpec& spec : {old, no_magic, zimage}) {
    auto kernel = MakeFakeBzImage(spec);
    EXPECT_FALSE(ProbeBzImage(kernel, "k").ok());
    KexecRun run = RunKexec(kernel, initrd, "x", Layout());
    EXPECT_FALSE(run.captured);
    EXPECT_NE(run.exit_code, 0);
  }
}

TEST(KexecCrosscheck, RelocationPoliciesDifferAsDocumented) {
  std::vector<uint8_t> initrd(4096, 1);
  FakeBzImageSpec fixed;
  fixed.relocatable = 0;  // XLF bits still say 64-bit, above 4G
  EXPECT_FALSE(ProbeBzImage(MakeFakeBzImage(fixed), "k").ok());
  EXPECT_TRUE(RunKexec(MakeFakeBzImage(fixed), initrd, "x", Layout()).captured);
  FakeBzImageSpec below4g;
  below4g.xloadflags = 0x1;  // XLF_KERNEL_64 only
  NodeLayout low_node = Layout();
  low_node.ram = {{PhysAddr{0x40000000}, ByteSize{256 * kMiB}}};
  low_node.shared = {PhysAddr{0x40000000}, ByteSize{kMiB}};
  EXPECT_TRUE(BuildBootImage(MakeFakeBzImage(below4g), initrd, "x", low_node).ok());
  EXPECT_FALSE(RunKexec(MakeFakeBzImage(below4g), initrd, "x", low_node).captured);
}

}  // namespace
}  // namespace mint::boot
