// The phase table and Timeline, on a clock the test moves by hand.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "mint/timing.h"

namespace mint::timing {
namespace {

using std::chrono::milliseconds;

class FakeClock {
 public:
  Timeline::TimePoint Now() const { return now_; }
  void Advance(milliseconds d) { now_ += d; }
  Timeline::NowFn Fn() {
    return [this] { return now_; };
  }

 private:
  Timeline::TimePoint now_{std::chrono::seconds(100)};
};

TEST(Phases, EveryPhaseHasOneUniqueNameAndItsClock) {
  std::set<std::string> names;
  for (const auto& info : Phases()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_EQ(&Info(info.phase), &info);
    EXPECT_NE(std::string(info.what), "");
  }
  EXPECT_EQ(Info(Phase::kCpuOffline).name, std::string("cpu_offline"));
  EXPECT_EQ(Info(Phase::kRunning).clock, ClockOf::kMintctl);
  EXPECT_EQ(Info(Phase::kBeforeClock).clock, ClockOf::kNode);
  EXPECT_EQ(Info(Phase::kInit).clock, ClockOf::kNode);
}

TEST(Timeline, SpansMeasureTheirPhaseAndEntriesComeInPhaseOrder) {
  FakeClock clock;
  Timeline t(clock.Fn());
  {
    Span s(&t, Phase::kLoad);
    clock.Advance(milliseconds(30));
  }
  clock.Advance(milliseconds(5));  // between phases: in no phase
  {
    Span s(&t, Phase::kTopology);
    clock.Advance(milliseconds(7));
  }
  auto entries = t.Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, Phase::kTopology);
  EXPECT_EQ(entries[0].second, milliseconds(7));
  EXPECT_EQ(entries[1].first, Phase::kLoad);
  EXPECT_EQ(entries[1].second, milliseconds(30));
  EXPECT_EQ(t.Elapsed(), milliseconds(42));
  EXPECT_EQ(t.EndOf(Phase::kLoad), milliseconds(30));
  EXPECT_EQ(t.EndOf(Phase::kTopology), milliseconds(42));
  EXPECT_EQ(t.EndOf(Phase::kStart), std::nullopt);
  EXPECT_EQ(t.Of(Phase::kStart), std::nullopt);
}

TEST(Timeline, APhaseMeasuredTwiceAddsUpAndEndsAtItsLastEnd) {
  FakeClock clock;
  Timeline t(clock.Fn());
  {
    Span s(&t, Phase::kReadImages);
    clock.Advance(milliseconds(10));
  }
  {
    Span s(&t, Phase::kPlan);
    clock.Advance(milliseconds(1));
  }
  {
    Span s(&t, Phase::kReadImages);
    clock.Advance(milliseconds(4));
  }
  EXPECT_EQ(t.Of(Phase::kReadImages), milliseconds(14));
  EXPECT_EQ(t.EndOf(Phase::kReadImages), milliseconds(15));
  EXPECT_EQ(t.Entries().size(), 2u);
}

TEST(Timeline, TimedReturnsWhatItRanAndMeasuresIt) {
  FakeClock clock;
  Timeline t(clock.Fn());
  int got = Timed(&t, Phase::kStart, [&] {
    clock.Advance(milliseconds(3));
    return 7;
  });
  EXPECT_EQ(got, 7);
  EXPECT_EQ(t.Of(Phase::kStart), milliseconds(3));
}

TEST(Timeline, ANullTimelineMeasuresNothing) {
  int got = Timed(nullptr, Phase::kStart, [] { return 1; });
  EXPECT_EQ(got, 1);
  Span s(nullptr, Phase::kLoad);  // and does not crash when it ends
}

TEST(Timeline, NodePhasesAreAddedAsGiven) {
  FakeClock clock;
  Timeline t(clock.Fn());
  t.Add(Phase::kSmp, milliseconds(120));
  EXPECT_EQ(t.Of(Phase::kSmp), milliseconds(120));
  EXPECT_EQ(t.EndOf(Phase::kSmp), std::nullopt);  // not on mintctl's clock
  EXPECT_EQ(t.Elapsed(), milliseconds(0));
}

TEST(BeforeClockBound, IsTheReadTimeMinusTheNewestStampAndNeverNegative) {
  EXPECT_EQ(BeforeClockBound(milliseconds(2500), milliseconds(1800)), milliseconds(700));
  EXPECT_EQ(BeforeClockBound(milliseconds(1000), milliseconds(1000)), milliseconds(0));
  EXPECT_EQ(BeforeClockBound(milliseconds(1000), milliseconds(1001)), std::nullopt);
}

}  // namespace
}  // namespace mint::timing
