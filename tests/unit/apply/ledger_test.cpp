// The ledger (mint/ledger.h): what each call leaves on file, the file
// removed once it records nothing, every refusal with its exact text.
#include "mint/ledger.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mint::testing {
namespace {

namespace fs = std::filesystem;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mintledger.XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string File(const std::string& node) {
    std::ifstream in(dir_ + "/ledger/" + node + ".json");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
  apply::Ledger ledger_{""};
  apply::Ledger& L() { return ledger_ = apply::Ledger(dir_ + "/ledger"); }
};

const PciBdf kA{0, 0, 3, 0};
const PciBdf kB{0, 0, 7, 0};

TEST_F(LedgerTest, RecordsAndForgetsAndRemovesTheFileWhenEmpty) {
  auto& l = L();
  EXPECT_FALSE(l.Read("node1").value());
  ASSERT_TRUE(l.TakeCpus("node1", 1, {CpuId{2}, CpuId{3}}).ok());
  ASSERT_TRUE(l.AddFunction("node1", kA, "virtio-pci").ok());
  ASSERT_TRUE(l.AddFunction("node1", kB, "").ok());
  ASSERT_TRUE(l.AddFunction("node1", kB, "pci-stub").ok());  // the first driver stays
  EXPECT_EQ(File("node1"),
            "{\n  \"cpus\": [\n    2,\n    3\n  ],\n  \"functions\": [\n    {\n      \"driver\": "
            "\"virtio-pci\",\n      \"pci\": \"0000:00:03.0\"\n    },\n    {\n      \"driver\": "
            "\"\",\n      \"pci\": \"0000:00:07.0\"\n    }\n  ],\n  \"id\": 1,\n  \"node\": "
            "\"node1\",\n  \"restarting\": false,\n  \"version\": 1\n}\n");
  ASSERT_TRUE(l.SetRestarting("node1", 1, {}, true).ok());
  auto e = l.Read("node1").value();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, 1u);
  EXPECT_EQ(e->cpus, (std::vector<CpuId>{CpuId{2}, CpuId{3}}));
  ASSERT_EQ(e->functions.size(), 2u);
  EXPECT_EQ(e->functions[1].bdf, kB);
  EXPECT_EQ(e->functions[1].driver, "");
  EXPECT_TRUE(e->restarting);
  ASSERT_TRUE(l.ForgetCpus("node1").ok());
  ASSERT_TRUE(l.ForgetFunction("node1", kA).ok());
  EXPECT_TRUE(fs::exists(dir_ + "/ledger/node1.json"));
  ASSERT_TRUE(l.ForgetFunction("node1", kB).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/ledger/node1.json"));
  ASSERT_TRUE(l.ForgetFunction("node1", kB).ok());  // forgetting twice is fine
  EXPECT_EQ(fs::directory_iterator(dir_ + "/ledger"), fs::directory_iterator());  // no temp files
}

TEST_F(LedgerTest, RestartOfANodeWithoutAnEntryRecordsItsCpus) {
  auto& l = L();
  ASSERT_TRUE(l.SetRestarting("node2", 2, {CpuId{4}}, true).ok());
  auto e = l.Read("node2").value();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, 2u);
  EXPECT_EQ(e->cpus, std::vector<CpuId>{CpuId{4}});
  EXPECT_TRUE(e->restarting);
}

TEST_F(LedgerTest, ReadAllSkipsAndNamesAFileThatIsNotALedger) {
  auto& l = L();
  std::vector<Error> errors;
  EXPECT_TRUE(l.ReadAll(errors).empty());  // no directory yet
  ASSERT_TRUE(l.TakeCpus("node1", 1, {CpuId{2}}).ok());
  ASSERT_TRUE(l.TakeCpus("node3", 3, {CpuId{5}}).ok());
  std::ofstream(dir_ + "/ledger/node2.json") << "{\"version\": 1, \"node\": \"node9\", \"id\": 2, "
                                                "\"cpus\": [], \"functions\": [], "
                                                "\"restarting\": false}";
  auto all = l.ReadAll(errors);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].node, "node1");
  EXPECT_EQ(all[1].node, "node3");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            dir_ +
                "/ledger/node2.json: not a mint ledger (it names node9); it records what mint "
                "changed on node0: see docs/mintctl.md (Locking and recovery) before removing it");
  std::ofstream(dir_ + "/ledger/node2.json") << "[1, 2";
  EXPECT_EQ(l.Read("node2").error().code, ErrorCode::kInvalidArgument);
  std::ofstream(dir_ + "/ledger/node2.json") << "{\"version\": 1, \"node\": \"node2\", \"id\": 2, "
                                                "\"cpus\": [], \"functions\": [{\"pci\": \"x\", "
                                                "\"driver\": \"\"}], \"restarting\": false}";
  EXPECT_EQ(l.Read("node2").error().message,
            "not a mint ledger (function x); it records what mint changed on node0: see "
            "docs/mintctl.md (Locking and recovery) before removing it");
}

TEST_F(LedgerTest, ANewNodeRefusesAnEarlierOnesFunctionsStillOnPciStub) {
  auto& l = L();
  ASSERT_TRUE(l.AddFunction("node1", kA, "virtio-pci").ok());
  EXPECT_EQ(l.TakeCpus("node1", 1, {CpuId{2}}).error().ToString(),
            dir_ +
                "/ledger/node1.json: mint's ledger says an earlier node1 left 0000:00:03.0 on "
                "pci-stub; mintctl recover gives them back (or says why it cannot)");
  // Only CPUs on file (a destroy killed before forgetting them): replaced.
  ASSERT_TRUE(l.ForgetFunction("node1", kA).ok());
  ASSERT_TRUE(l.TakeCpus("node1", 1, {CpuId{2}}).ok());
  ASSERT_TRUE(l.TakeCpus("node1", 4, {CpuId{3}}).ok());
  EXPECT_EQ(l.Read("node1").value()->id, 4u);
}

TEST_F(LedgerTest, AWriteThatCannotBeMadeNamesTheDirectory) {
  std::ofstream(dir_ + "/ledger") << "not a directory";
  auto& l = L();
  auto r = l.TakeCpus("node1", 1, {CpuId{2}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().context, dir_ + "/ledger");
  EXPECT_NE(r.error().message.find("; mint records there what it changes on node0, before "
                                   "changing it"),
            std::string::npos)
      << r.error().ToString();
}

}  // namespace
}  // namespace mint::testing
