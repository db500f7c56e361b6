#include "core/pacer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace weijian {
namespace {

using std::chrono::milliseconds;

// A clock the test moves, and the rests the pacer asked for.
struct FakeTime {
  Pacer::Clock::time_point now{};
  std::vector<Pacer::Clock::duration> rests;
  Pacer::Options Options(double rest_per_work, milliseconds stretch, std::size_t check_every) {
    Pacer::Options o;
    o.rest_per_work = rest_per_work;
    o.stretch = stretch;
    o.check_every = check_every;
    o.now = [this] { return now; };
    o.rest = [this](Pacer::Clock::duration d) {
      rests.push_back(d);
      now += d;  // resting takes time too: it is not counted as work
    };
    return o;
  }
};

// The clock is read once every `check_every` steps; once a stretch has lasted `stretch`, the
// pacer rests `rest_per_work` times as long as it lasted, and the next stretch starts after the
// rest.
TEST(PacerTest, RestsAMultipleOfEachStretchOnceItIsLongEnough) {
  FakeTime t;
  Pacer pacer(t.Options(2.0, milliseconds(20), 4));
  for (int i = 0; i < 3; ++i) {  // 3 steps: the clock is not read yet
    t.now += milliseconds(10);
    pacer.Step();
  }
  EXPECT_TRUE(t.rests.empty());
  t.now += milliseconds(10);
  pacer.Step();  // 4th: read, 40 ms of work
  ASSERT_EQ(t.rests.size(), 1u);
  EXPECT_EQ(t.rests[0], milliseconds(80));
  for (int i = 0; i < 4; ++i) {  // 4 steps of 1 ms: a stretch too short to rest after
    t.now += milliseconds(1);
    pacer.Step();
  }
  EXPECT_EQ(t.rests.size(), 1u);
  for (int i = 0; i < 4; ++i) {  // 4 more of 5 ms: 24 ms since the last rest
    t.now += milliseconds(5);
    pacer.Step();
  }
  ASSERT_EQ(t.rests.size(), 2u);
  EXPECT_EQ(t.rests[1], milliseconds(48));
  EXPECT_EQ(pacer.rested(), milliseconds(128));
}

// Work that never reaches a stretch's length, and a pacer that rests nothing per work, never
// rest.
TEST(PacerTest, ShortWorkAndNoRestPerWorkNeverRest) {
  FakeTime t;
  Pacer short_work(t.Options(2.0, milliseconds(20), 1));
  for (int i = 0; i < 19; ++i) {
    t.now += milliseconds(1);
    short_work.Step();
  }
  EXPECT_TRUE(t.rests.empty());
  Pacer unpaced(t.Options(0.0, milliseconds(0), 1));
  for (int i = 0; i < 10; ++i) {
    t.now += milliseconds(50);
    unpaced.Step();
  }
  EXPECT_TRUE(t.rests.empty());
  EXPECT_EQ(unpaced.rested(), Pacer::Clock::duration::zero());
}

// A pause (a phase's end) reads the clock whatever the count of steps, and rests once a stretch
// has lasted long enough; the steps then count again from zero.
TEST(PacerTest, APauseRestsAfterALongPhaseWithoutWaitingForSteps) {
  FakeTime t;
  Pacer pacer(t.Options(2.0, milliseconds(20), 1000));
  for (int i = 0; i < 500; ++i) pacer.Step();  // counted, the clock not read
  t.now += milliseconds(5);
  pacer.Pause();  // a short phase: no rest
  EXPECT_TRUE(t.rests.empty());
  t.now += milliseconds(25);
  pacer.Pause();  // 30 ms since the stretch began, in phases that stepped no row
  ASSERT_EQ(t.rests.size(), 1u);
  EXPECT_EQ(t.rests[0], milliseconds(60));
  for (int i = 0; i < 999; ++i) pacer.Step();
  t.now += milliseconds(30);
  pacer.Step();  // the 1,000th step after the pause reads the clock
  ASSERT_EQ(t.rests.size(), 2u);
  EXPECT_EQ(t.rests[1], milliseconds(60));
}

// A stop, asked for at the end of each stretch (after its rest), ends the work: from then on the
// pacer reads no clock and rests nothing, so that the caller sees stopped() at its next step and
// leaves the work unfinished. It is asked also when nothing is rested per work (an unpaced
// builder on SQLite ends at a stop too).
TEST(PacerTest, AStopAskedAtAStretchsEndEndsTheWorkPacedOrNot) {
  for (const double rest_per_work : {2.0, 0.0}) {
    SCOPED_TRACE(rest_per_work);
    FakeTime t;
    int looks = 0, asked = 0;
    bool stop = false;
    Pacer::Options o = t.Options(rest_per_work, milliseconds(20), 1);
    o.now = [&] {
      ++looks;
      return t.now;
    };
    o.stop = [&] {
      ++asked;
      return stop;
    };
    Pacer pacer(std::move(o));
    t.now += milliseconds(10);
    pacer.Step();  // a stretch not yet over: no stop asked
    EXPECT_EQ(asked, 0);
    t.now += milliseconds(10);
    pacer.Step();  // 20 ms: the stretch's end
    EXPECT_EQ(asked, 1);
    EXPECT_FALSE(pacer.stopped());
    stop = true;
    t.now += milliseconds(20);
    pacer.Step();
    EXPECT_EQ(asked, 2);
    EXPECT_TRUE(pacer.stopped());
    EXPECT_EQ(t.rests.size(), rest_per_work > 0 ? 2u : 0u);
    const int looked = looks;
    for (int i = 0; i < 100; ++i) {
      t.now += milliseconds(20);
      pacer.Step();
      pacer.Pause();
    }
    EXPECT_EQ(looks, looked);
    EXPECT_EQ(asked, 2);
    EXPECT_EQ(t.rests.size(), rest_per_work > 0 ? 2u : 0u);
  }
}

}  // namespace
}  // namespace weijian
