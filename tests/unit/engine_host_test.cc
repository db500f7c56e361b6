// The analytics engine's snapshots under concurrency (analytics/engine_host.h): queries racing
// single-value writes, imports and metadata changes. Every query checks an invariant that holds
// in every consistent state (a transfer between two units keeps their township's sum), writers
// check that they read their own writes, and at the end every answer equals a naive oracle over
// the store. Built and run under ThreadSanitizer by `make test` (build-tsan).
#include "analytics/engine_host.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "core/period.h"
#include "core/thread_priority.h"
#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::analytics {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

// Holds the builder thread at a hook: Hold() (on the builder) signals that it got there and
// waits for Open() (on the test); Reached() waits for the signal.
class Gate {
 public:
  void Hold() {
    reached_.set_value();
    opened_.wait();
  }
  void Reached() { reached_.get_future().wait(); }
  void Open() { open_.set_value(); }

 private:
  std::promise<void> reached_, open_;
  std::shared_future<void> opened_ = open_.get_future().share();
};

// Paced work under a test's clock: the builder thread looks at the clock at every step, each look
// moves it 1 ms, so that every stretch is 1 ms of work and earns 2 ms of rest, which is recorded
// instead of slept. The test reads `rests` once the host is idle (WaitIdle).
struct OneMsStretches {
  std::vector<Pacer::Clock::duration> rests;
  Pacer::Clock::time_point clock{};
  Pacer::Options Options() {
    Pacer::Options o;
    o.check_every = 1;
    o.stretch = std::chrono::milliseconds(1);
    o.now = [this] { return clock += std::chrono::milliseconds(1); };
    o.rest = [this](Pacer::Clock::duration d) { rests.push_back(d); };
    return o;
  }
};

class EngineHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeOrdosStore(dir_.File("h.db"), false);
    json bundle = weijian::testing::DemoMetadataBundle();
    for (auto& ds : bundle["dataSets"])
      if (ds["code"] == "DS_VILLAGE_MONTHLY")
        ds["organisationUnits"] = json::parse(
            R"([{"code":"150624100001"},{"code":"150624100002"},{"code":"150624101001"}])");
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(bundle, **empty, *store_).ok());
    cat_ = *metadata::Catalog::Load(*store_);
    values_ = std::make_unique<exchange::DataValueService>(*store_);
    ASSERT_TRUE(Csv(Transfer(0)).ok());
  }

  // Two values that always add up to 1000 over township 150624100, written in one import.
  static std::string Transfer(int x) {
    return "VC_VISITS,202301,150624100001,,," + std::to_string(500 + x) +
           "\nVC_VISITS,202301,150624100002,,," + std::to_string(500 - x) + "\n";
  }
  Result<exchange::ImportSummary> Csv(const std::string& rows) {
    exchange::ImportOptions o;
    o.user = "tester";
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    return exchange::ImportDataValues(
        exchange::OpenString("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n" + rows),
        exchange::ImportFormat::kCsv, o, *cat_, *values_);
  }
  Operand Op(const char* code) const {
    return {Operand::Kind::kDataElement, cat_->DataElements().ByCode(code)->uid, "", "", "", 0, ""};
  }
  std::int64_t Unit(const char* code) const { return cat_->OrgUnits().ByCode(code)->id; }
  static std::pair<Date, Date> Month(const std::string& iso) {
    auto p = *ParsePeriod(iso);
    return {p.start, p.end};
  }
  // The oracle: the sum of the stored live values of an element in a unit's children (the
  // villages used here are leaves under their township) for one month, read the slow way.
  double OracleSum(const char* de, const std::vector<const char*>& villages,
                   const std::string& month) {
    double sum = 0;
    auto periods = *store_->LoadPeriods();
    for (const char* v : villages) {
      storage::DataValueFilter f;
      f.data_element_id = cat_->DataElements().ByCode(de)->id;
      f.org_unit_id = Unit(v);
      auto rows = store_->ListDataValues(f).value();
      for (const auto& r : rows)
        for (const auto& p : periods)
          if (p.id == r.key.period_id && p.iso == month) sum += std::stod(r.value);
    }
    return sum;
  }

  void Race(EngineHost& host, bool own_writes_seen);
  // The store reports its commits to `host` (until SetDataValueListener(nullptr)).
  void Listen(EngineHost& host) {
    store_->SetDataValueListener([&host](std::vector<storage::DataValueChange>&& c, bool overflow) {
      host.OnChanges(std::move(c), overflow);
    });
  }
  // Listens, publishes the first engine, and from then on holds the builder at `gate` when it is
  // about to apply its first batch off to the side (the hook's second call: the first is the
  // first build's).
  ::testing::AssertionResult StartHoldingTheFirstBatch(EngineHost& host, Gate& gate) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    host.set_before_build([calls, &gate] {
      if ((*calls)++ == 1) gate.Hold();
    });
    Listen(host);
    Status s = host.SetCatalog(cat_, true);
    if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
    return ::testing::AssertionSuccess();
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<exchange::DataValueService> values_;
};

// Queries racing transfers, single-value writes, bulk imports and metadata changes (rebuilds);
// `own_writes_seen`: a query right after a single write must see it (not so when every batch
// is applied off to the side).
void EngineHostTest::Race(EngineHost& host, bool own_writes_seen) {
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  const auto township = Unit("150624100");
  // Not a structured binding: the lambdas below capture these (clang 14 cannot capture those).
  const Date jan1 = Month("202301").first, jan31 = Month("202301").second;
  const Operand visits = Op("VC_VISITS");

  std::atomic<bool> stop{false};
  std::atomic<int> queries{0}, torn{0}, errors{0};
  auto reader = [&](int hold_every) {
    std::mt19937 rng(static_cast<unsigned>(hold_every));
    while (!stop.load()) {
      auto snap = host.Current();
      if (!snap.ok()) {
        ++errors;
        ADD_FAILURE() << "query: " << snap.status().ToString();
        continue;
      }
      auto sum = (*snap)->Aggregate(visits, township, jan1, jan31);
      if (!sum || *sum != 1000) {
        ++torn;
        ADD_FAILURE() << "torn sum " << sum.value_or(-1);
      }
      ++queries;
      // Now and then keep the snapshot a while, so that writers cannot reuse it.
      if (rng() % hold_every == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader, 3 + i * 4);

  // Transfers between two units, each in one import.
  std::thread transfers([&] {
    for (int i = 1; i <= 60 && !HasFailure(); ++i) {
      auto r = Csv(Transfer(i * 7 % 400));
      if (!r.ok() || r->status != "SUCCESS") {
        ++errors;
        ADD_FAILURE() << "transfer: " << (r.ok() ? r->ToJson().dump() : r.status().ToString());
      }
    }
  });
  // Single-value writes, each followed by a query that must see it (read-your-writes).
  std::thread singles([&] {
    for (int i = 0; i < 40; ++i) {
      exchange::DataValueInput in;
      in.data_element = "SMI_MANAGED";
      in.period = "2023" + std::string(i % 12 < 9 ? "0" : "") + std::to_string(i % 12 + 1);
      in.org_unit = "150624101001";
      in.value = std::to_string(10 + i);
      exchange::DataValueInput by_uid = in;
      by_uid.data_element = cat_->DataElements().ByCode("SMI_MANAGED")->uid;
      by_uid.org_unit = cat_->OrgUnits().ByCode("150624101001")->uid;
      // Disaggregated by sex: one combination (the query sums over all of them).
      by_uid.category_option_combo =
          cat_->CombosOf(cat_->DataElements().ByCode("SMI_MANAGED")->combo_uid)[0]->uid;
      if (auto saved = values_->Save(*cat_, by_uid, "tester"); !saved.ok()) {
        ++errors;
        ADD_FAILURE() << "save: " << saved.status().ToString();
        continue;
      }
      auto snap = host.Current();
      auto [s, e] = Month(in.period);
      auto got = snap.ok() ? (*snap)->Aggregate(Op("SMI_MANAGED"), Unit("150624101001"), s, e)
                           : std::nullopt;
      if (own_writes_seen && (!got || *got != 10 + i)) {
        ++torn;
        ADD_FAILURE() << "own write " << i << " not seen: " << got.value_or(-1);
      }
    }
  });
  // Imports of many values, and metadata changes that rebuild the engine in the background.
  const std::string registered_coc =
      cat_->CombosOf(cat_->DataElements().ByCode("SMI_REGISTERED")->combo_uid)[0]->uid;
  std::thread bulk([&] {
    for (int round = 0; round < 4; ++round) {
      std::string rows;
      for (int m = 1; m <= 12; ++m)
        for (const char* v : {"150624100001", "150624100002", "150624101001"})
          rows += std::string("SMI_REGISTERED,2022") + (m < 10 ? "0" : "") + std::to_string(m) +
                  "," + v + "," + registered_coc + ",," + std::to_string(round * 100 + m) + "\n";
      auto r = Csv(rows);
      if (!r.ok() || r->status != "SUCCESS") {
        ++errors;
        ADD_FAILURE() << "bulk: " << (r.ok() ? r->ToJson().dump() : r.status().ToString());
      }
      json extra = {{"dataElements",
                     {{{"code", "T_EXTRA_" + std::to_string(round)},
                       {"name", "临时指标" + std::to_string(round)},
                       {"valueType", "NUMBER"},
                       {"aggregationType", "SUM"}}}}};
      auto cat = metadata::Catalog::Load(*store_);
      auto imported = cat.ok() ? metadata::ImportMetadata(extra, **cat, *store_)
                               : Result<metadata::MetadataImportReport>(cat.status());
      if (!imported.ok()) {
        ++errors;
        ADD_FAILURE() << "metadata: " << imported.status().ToString();
        continue;
      }
      auto next = metadata::Catalog::Load(*store_);
      if (!next.ok() || !host.SetCatalog(*next, round % 2 == 0).ok()) ++errors;
    }
  });
  transfers.join();
  singles.join();
  bulk.join();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(torn.load(), 0) << "a query saw a half-applied change or missed its own write";
  EXPECT_GT(queries.load(), 0);

  // At rest: the answers equal the oracle over the store, and an engine built afresh.
  host.WaitIdle();
  auto snap = host.Current().value();
  cat_ = *metadata::Catalog::Load(*store_);
  auto fresh = Engine::Build(*store_, cat_).value();
  EXPECT_EQ(snap->size(), fresh->size());
  for (int m = 1; m <= 12; ++m)
    for (const char* de : {"SMI_REGISTERED", "SMI_MANAGED", "VC_VISITS"})
      for (int year : {2022, 2023}) {
        std::string iso = std::to_string(year) + (m < 10 ? "0" : "") + std::to_string(m);
        auto [s, e] = Month(iso);
        for (const char* u : {"150624100", "150624101"}) {
          auto got = snap->Aggregate(Op(de), Unit(u), s, e);
          double want = std::string(u) == "150624100"
                            ? OracleSum(de, {"150624100001", "150624100002"}, iso)
                            : OracleSum(de, {"150624101001"}, iso);
          EXPECT_EQ(got.value_or(0), want) << de << " " << iso << " " << u;
          EXPECT_EQ(got, fresh->Aggregate(Op(de), Unit(u), s, e)) << de << " " << iso;
        }
      }
  EXPECT_GE(host.stats().builds, 2u);  // the first engine and at least one metadata rebuild
  store_->SetDataValueListener(nullptr);
}

TEST_F(EngineHostTest, QueriesRacingWritesImportsAndMetadataSeeConsistentSnapshots) {
  EngineHost host(*store_);
  host.set_merge_threshold(8);  // the new values' tail merged off to the side during the race
  Race(host, true);
  EXPECT_GT(host.stats().applied, 0u);
}

// The same with every batch of more than one change applied off to the side by the builder
// (an import's way past max_pending): snapshots stay whole, and at rest equal the store.
TEST_F(EngineHostTest, QueriesRacingBatchesAppliedOffToTheSideSeeConsistentSnapshots) {
  EngineHost host(*store_, 1);
  Race(host, false);
  EXPECT_GT(host.stats().deferred, 0u);
}

// Once an engine is published, the builder's work (builds from the store, imports applied off to
// the side and the merges they bring) runs below the priority of the threads that query: on two
// cores a 1.1M-value import otherwise takes the CPU the portal's pages wait for (issue 13). The
// first build does not: every query waits for it (niced, it held the first queries 1.3 s at load
// 6). The caller's thread keeps its own.
TEST_F(EngineHostTest, TheBuilderWorksBelowThePriorityOfTheQueriesOnceAnEngineIsPublished) {
  const int caller = ThisThreadsNice();
  EngineHost host(*store_);
  std::vector<int> builder;  // the builder's nice value at each build (read after WaitIdle)
  host.set_before_build([&] { builder.push_back(ThisThreadsNice()); });
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());  // new metadata: a second build
  host.WaitIdle();
  ASSERT_EQ(builder.size(), 2u);
  EXPECT_EQ(builder[0], caller);
  EXPECT_EQ(builder[1], std::max(caller, kBackgroundNice));
  EXPECT_EQ(ThisThreadsNice(), caller);
}

// A batch too large for a query to apply is applied to a copy by the builder thread: no rebuild
// from the store, queries meanwhile answer at once from the engine before it, and batches
// reported after it (here while the builder is held) land after it, not before.
TEST_F(EngineHostTest, ALargeBatchIsAppliedOffToTheSideInOrderWithoutARebuild) {
  EngineHost host(*store_, 1);
  Gate gate;
  ASSERT_TRUE(StartHoldingTheFirstBatch(host, gate));
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  ASSERT_TRUE(Csv(Transfer(9)).ok());  // two changes: more than a query applies
  gate.Reached();                      // the builder is about to apply them, and held
  ASSERT_TRUE(Csv(Transfer(7)).ok());  // later: must win over the held batch
  auto during = host.Current();
  ASSERT_TRUE(during.ok());
  EXPECT_EQ((*during)->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  EXPECT_FALSE(host.Idle());
  gate.Open();
  host.WaitIdle();
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 507);
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), Unit("150624100"), jan1, jan31),
            1000);
  auto stats = host.stats();
  EXPECT_EQ(stats.builds, 1u);
  EXPECT_EQ(stats.deferred, 1u);
  EXPECT_EQ(stats.dropped, 0u);
  // Past max_background, the changes give way to a build from the store.
  EngineHost tiny(*store_, 1, 1);
  Listen(tiny);
  ASSERT_TRUE(tiny.SetCatalog(cat_, true).ok());
  ASSERT_TRUE(Csv(Transfer(3)).ok());
  tiny.WaitIdle();
  EXPECT_EQ(tiny.stats().dropped, 1u);
  EXPECT_EQ(tiny.stats().builds, 2u);
  EXPECT_EQ(tiny.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 503);
  store_->SetDataValueListener(nullptr);
}

// A large batch that arrives behind pending changes, and the writes reported while the builder
// waits to apply it, are applied in the order reported and none is lost: the pending changes,
// the batch, then each later write (the later one wins where two write the same cell). Since
// session 28 they wait as a list of whole batches, joined by the builder, not as one list
// appended to under the lock.
TEST_F(EngineHostTest, ABatchBehindPendingChangesAndTheWritesAfterItAreAppliedInOrder) {
  EngineHost host(*store_, 2);
  Gate gate;
  ASSERT_TRUE(StartHoldingTheFirstBatch(host, gate));
  const auto [jan1, jan31] = Month("202301");
  const auto a = Unit("150624100001"), b = Unit("150624100002"), c = Unit("150624101001");
  // Two changes, each alone: pending (max_pending 2), not applied by any query.
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624101001,,,11\n").ok());  // written by nothing later
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624100001,,,1\n").ok());   // the batch writes it next
  ASSERT_TRUE(Csv(Transfer(9)).ok());  // two more: past max_pending, after the pending ones
  gate.Reached();                      // the builder is about to apply them, and held
  // Later writes join the list, one batch each.
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624100002,,,600\n").ok());
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624100002,,,601\n").ok());
  auto during = host.Current();  // the queries go on with the engine before them meanwhile
  ASSERT_TRUE(during.ok());
  EXPECT_EQ((*during)->Aggregate(Op("VC_VISITS"), a, jan1, jan31), 500);
  gate.Open();
  host.WaitIdle();
  auto after = host.Current().value();
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), c, jan1, jan31), 11);   // a pending one, kept
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), a, jan1, jan31), 509);  // the batch after the 1
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), b, jan1, jan31), 601);  // the later writes after it
  const auto stats = host.stats();
  EXPECT_EQ(stats.deferred, 1u);
  EXPECT_EQ(stats.builds, 1u);
  EXPECT_EQ(stats.dropped, 0u);
  store_->SetDataValueListener(nullptr);
}

// A write reported after the builder took an import to apply off to the side reaches the
// queries at once (applied to the published engine) and is applied again to the engine the
// builder publishes: the publish does not take it back.
TEST_F(EngineHostTest, AWriteWhileTheBuilderAppliesAnImportIsNotLostWhenItPublishes) {
  EngineHost host(*store_, 1);
  Gate gate;
  host.set_after_take([&] { gate.Hold(); });
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624101001");
  ASSERT_TRUE(Csv(Transfer(9)).ok());  // two changes: more than a query applies
  gate.Reached();                      // the builder has them and is held
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624101001,,,42\n").ok());  // one: a query applies it
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 42);
  gate.Open();
  host.WaitIdle();
  auto after = host.Current().value();
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 42);
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), Unit("150624100001"), jan1, jan31), 509);
  EXPECT_EQ(host.stats().deferred, 1u);
  EXPECT_EQ(host.stats().builds, 1u);
  store_->SetDataValueListener(nullptr);
}

// Another process's import, read from the store by the builder, is read in paced stretches
// (core/pacer.h): after each stretch the builder rests twice as long as the stretch took, so the
// database's cores are left to the saves meanwhile; with set_pace_applies (a database in another
// process) the apply of the values read is paced too. The import's values all arrive.
TEST_F(EngineHostTest, AnotherProcesssImportIsReadPacedAndAppliedPacedWhenAsked) {
  for (const bool applies : {false, true}) {
    SCOPED_TRACE(applies ? "applies paced" : "the read only");
    OneMsStretches stretches;
    EngineHost host(*store_);
    host.set_pacing(stretches.Options());
    host.set_pace_applies(applies);
    ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
    // Written by "another process": this host is not listening, so it hears only the import's
    // uid.
    const int x = applies ? 9 : 7;
    auto summary = Csv(Transfer(x));
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    host.RequestImports({summary->import_id});
    host.WaitIdle();
    const auto [jan1, jan31] = Month("202301");
    auto engine = host.Current().value();
    EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit("150624100001"), jan1, jan31), 500 + x);
    EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit("150624100002"), jan1, jan31), 500 - x);
    EXPECT_EQ(host.stats().imports, 1u);
    // Two rows read, and with the applies paced the two changes applied and the apply's pause:
    // one stretch each (a stretch starts at a look at the clock and ends at the next), 2 ms of
    // rest after each.
    const std::vector<Pacer::Clock::duration> expected(applies ? 5 : 2,
                                                       std::chrono::milliseconds(2));
    EXPECT_EQ(stretches.rests, expected);
  }
}

// With a database in another process (PostgreSQL: http::App asks for it), this process's own
// large batch is applied off to the side in paced stretches too; with SQLite (the default) it is
// not. The values arrive either way.
TEST_F(EngineHostTest, ALargeBatchOfThisProcesssIsAppliedInPacedStretchesWhenAsked) {
  for (const bool paced : {false, true}) {
    SCOPED_TRACE(paced ? "paced" : "unpaced");
    OneMsStretches stretches;
    EngineHost host(*store_, 1);
    host.set_pacing(stretches.Options());
    host.set_pace_applies(paced);
    Listen(host);
    ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
    ASSERT_TRUE(Csv(Transfer(paced ? 9 : 7)).ok());  // two changes: more than a query applies
    host.WaitIdle();
    const auto [jan1, jan31] = Month("202301");
    EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), Unit("150624100001"), jan1, jan31),
              paced ? 509 : 507);
    EXPECT_EQ(host.stats().deferred, 1u);
    // Two changes and the apply's pause: a stretch of 1 ms each, then 2 ms of rest.
    const std::vector<Pacer::Clock::duration> expected(paced ? 3 : 0, std::chrono::milliseconds(2));
    EXPECT_EQ(stretches.rests, expected);
    store_->SetDataValueListener(nullptr);
  }
}

// Values new to the engine, applied in paced stretches and merged into the base at once (a merge
// threshold of one: the rows gathered, the base and the rollup laid out again, each phase paced),
// give the figures the store holds; the merge's phases rest too.
TEST_F(EngineHostTest, NewValuesAppliedAndMergedInPacedStretchesAgreeWithTheStore) {
  OneMsStretches stretches;
  EngineHost host(*store_, 1);
  host.set_merge_threshold(1);
  host.set_pacing(stretches.Options());
  host.set_pace_applies(true);
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  ASSERT_TRUE(Csv("VC_VISITS,202302,150624100001,,,5\nVC_VISITS,202302,150624100002,,,7\n"
                  "VC_VISITS,202302,150624101001,,,11\n")
                  .ok());
  host.WaitIdle();
  EXPECT_EQ(host.stats().deferred, 1u);
  auto engine = host.Current().value();
  for (const std::string month : {"202301", "202302"}) {
    SCOPED_TRACE(month);
    const auto [start, end] = Month(month);
    for (const char* v : {"150624100001", "150624100002", "150624101001"})
      EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit(v), start, end).value_or(0),
                OracleSum("VC_VISITS", {v}, month))
          << v;
    EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit("150624100"), start, end).value_or(0),
              OracleSum("VC_VISITS", {"150624100001", "150624100002"}, month));
  }
  // Three changes, the pause after them and the one after the rows' merge make five rests; the
  // others come from gathering the rows and laying out the base and the rollup.
  EXPECT_GT(stretches.rests.size(), 5u) << stretches.rests.size();
  store_->SetDataValueListener(nullptr);
}

// Ends the process with `what` unless it is destroyed within `limit`: for a test whose failure
// is a hang.
class Watchdog {
 public:
  Watchdog(std::chrono::seconds limit, const char* what)
      : thread_([limit, what, done = done_.get_future()] {
          if (done.wait_for(limit) == std::future_status::ready) return;
          std::fprintf(stderr, "%s: %s\n",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), what);
          std::abort();
        }) {}
  ~Watchdog() {
    done_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> done_;
  std::thread thread_;
};

// A host that stops while resting between two stretches of a paced read ends the read at once:
// the server's shutdown does not wait out the rest of it (about 20 s for a million values). Here
// a stretch of one millisecond earns an hour of rest; before session 30 the host's destructor
// slept through it.
TEST_F(EngineHostTest, AStopEndsAPacedReadOfAnotherProcesssImport) {
  Pacer::Clock::time_point clock{};
  std::atomic<int> looks{0};
  std::promise<void> resting;
  Pacer::Options pacing;
  pacing.check_every = 1;
  pacing.stretch = std::chrono::milliseconds(1);
  pacing.rest_per_work = 3'600'000.0;
  // The second look at the clock ends the first stretch: the rest comes next.
  pacing.now = [&] {
    if (++looks == 2) resting.set_value();
    return clock += std::chrono::milliseconds(1);
  };
  auto summary = Csv(Transfer(7));  // "another process's": no host is listening yet
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  {
    // The host is stopped first, then the watchdog: a hang there is this test's failure, after
    // a minute (the rest is an hour), with a message rather than ctest's timeout.
    Watchdog watchdog(std::chrono::minutes(1),
                      "the host's destructor is waiting out a paced read's rest");
    EngineHost host(*store_);
    host.set_pacing(pacing);
    ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
    host.RequestImports({summary->import_id});
    resting.get_future().wait();
  }
  EXPECT_GE(looks.load(), 2);
}

// A host that stops during a paced apply of its own large batch ends the apply at its next step
// (the copy is dropped), paced or not: before session 33 the rests ended at once but the rest of
// the apply and of its merge ran on, unpaced, before the destructor returned (seconds at ten
// million values) and published the engine. Here each stretch is one change and earns an hour of
// rest.
TEST_F(EngineHostTest, AStopEndsAnApplyOfThisProcesssBatchAtItsNextStep) {
  std::string rows;
  for (int month = 1; month <= 12; ++month)
    for (const char* v : {"150624100001", "150624100002", "150624101001"})
      rows += "VC_VISITS,2024" + std::string(month < 10 ? "0" : "") + std::to_string(month) + "," +
              v + ",,,3\n";
  Pacer::Clock::time_point clock{};
  std::atomic<int> looks{0};
  std::atomic<bool> batch_begun{false};
  std::promise<void> resting;
  std::atomic<std::size_t> works{0}, published{0};
  Pacer::Options pacing;
  pacing.check_every = 1;
  pacing.stretch = std::chrono::milliseconds(1);
  pacing.rest_per_work = 3'600'000.0;
  pacing.now = [&] {
    // The build before the batch is not paced: only the batch's apply looks at this clock. Its
    // second look ends the first stretch (one change): the rest comes next.
    if (batch_begun && ++looks == 2) resting.set_value();
    return clock += std::chrono::milliseconds(1);
  };
  {
    Watchdog watchdog(std::chrono::minutes(1),
                      "the host's destructor is waiting out a paced apply's rest");
    EngineHost host(*store_, 1);
    host.set_pacing(pacing);
    host.set_pace_applies(true);
    host.set_after_work([&] {  // the builder's, after each piece of work, the stop's included
      ++works;
      published = host.stats().deferred;
    });
    Listen(host);
    ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
    host.WaitIdle();
    batch_begun = true;
    ASSERT_TRUE(Csv(rows).ok());  // 36 changes: more than a query applies
    resting.get_future().wait();
    store_->SetDataValueListener(nullptr);
  }
  // The first build and the batch's apply were done, and the apply published nothing: the stop
  // ended it at its next step, the second of 36 changes.
  EXPECT_EQ(works.load(), 2u);
  EXPECT_EQ(published.load(), 0u);
  EXPECT_EQ(looks.load(), 2);
}

// A query that must apply a write copies the published engine (sharing its columns) and applies
// the write to the copy: it never waits for the readers of earlier engines, whatever they hold,
// and what they hold never changes. (Until session 16 two engines took turns, and a query waited
// up to 50 ms for a reader of the other one to let go.)
TEST_F(EngineHostTest, AWriteIsAppliedToACopyWhileReadersHoldEveryEarlierEngine) {
  EngineHost host(*store_);
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  std::vector<std::shared_ptr<const Engine>> held{host.Current().value()};
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Csv(Transfer(i)).ok());
    held.push_back(host.Current().value());
    EXPECT_EQ(held.back()->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500 + i);
  }
  for (int i = 0; i <= 3; ++i)
    EXPECT_EQ(held[static_cast<std::size_t>(i)]->Aggregate(Op("VC_VISITS"), village, jan1, jan31),
              500 + i);
  EXPECT_EQ(host.stats().applied, 3u);
  store_->SetDataValueListener(nullptr);
}

// A rebuild that fails while an engine is published is tried again until one succeeds: the
// changes it was to read from the store (here a write no listener reported; in a server an
// import handed to the build) reach the answers once the store can be read again.
TEST_F(EngineHostTest, AFailedRebuildIsTriedAgainUntilTheStoreCanBeRead) {
  EngineHost host(*store_);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  const std::string db = dir_.File("h.db");
  weijian::testing::ExecSqlite(db, "UPDATE data_value SET value = '777' WHERE value = '500'");
  weijian::testing::ExecSqlite(db, "ALTER TABLE data_value RENAME TO data_value_away");
  host.RequestRebuild();
  // Idle again: the build has failed (it cannot read the table); the answers are the old ones.
  for (int i = 0; i < 3000 && !host.Idle(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(host.Idle());
  EXPECT_TRUE(host.Building());  // the engine lacks what the build was to read: not settled
  std::optional<double> got =
      host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31);
  EXPECT_EQ(got, 500);
  EXPECT_EQ(host.stats().builds, 1u);
  weijian::testing::ExecSqlite(db, "ALTER TABLE data_value_away RENAME TO data_value");
  for (int i = 0; i < 3000 && got != 777; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31);
  }
  EXPECT_EQ(got, 777) << "the failed rebuild was not tried again";
  EXPECT_GE(host.stats().builds, 2u);
}

// A copy of an engine (what EngineHost makes to apply a batch of writes or an import)
// shares its columns instead of copying them (at 10M values a deep copy cost 0.76 s of CPU and
// 220 MB, and queries waited for it after an import); a write to the copy copies only the chunks
// it changes, and the engine it was copied from answers as before.
TEST_F(EngineHostTest, ACopyOfTheEngineSharesItsColumnsUntilOneOfThemIsWritten) {
  std::unique_ptr<Engine> engine = Engine::Build(*store_, cat_).value();
  EXPECT_EQ(engine->own_bytes(), engine->memory_bytes());  // nothing shared yet
  auto copy = std::make_unique<Engine>(*engine);
  // Each owns only its tables (blocks, periods, the tail's map): the columns are shared.
  const std::size_t tables = copy->own_bytes();
  EXPECT_LT(tables, copy->memory_bytes()) << "the columns were copied";
  EXPECT_EQ(engine->own_bytes(), tables);

  std::vector<storage::DataValueChange> changes;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool) {
    changes.insert(changes.end(), c.begin(), c.end());
  });
  ASSERT_TRUE(Csv(Transfer(9)).ok());
  store_->SetDataValueListener(nullptr);
  ASSERT_TRUE(copy->Apply(changes, *store_).ok());
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  EXPECT_EQ(copy->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 509);
  EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  EXPECT_GT(copy->own_bytes(), tables);                // the chunk of values it changed
  EXPECT_LT(copy->own_bytes(), copy->memory_bytes());  // not the units, periods, combinations
  engine.reset();  // the chunks it shared stay alive for the copy
  EXPECT_EQ(copy->Aggregate(Op("VC_VISITS"), Unit("150624100"), jan1, jan31), 1000);
}

// Values new since the base was laid out (the tail) are shared columns too, not a map each copy
// copies: at 656k tail values a copy of the map took 0.5 s (load 9), on the builder's path for
// every import and on a query's path when it had to copy the engine (issue 13).
TEST_F(EngineHostTest, ACopySharesTheTailOfNewValuesAsWell) {
  // The months of 2023 in the base (one village's values), so that the tail adds no period.
  auto month = [](int m) { return "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m); };
  std::string base_rows, tail_rows;
  for (int m = 2; m <= 12; ++m) {
    base_rows += "VC_VISITS," + month(m) + ",150624101001,,,1\n";
    tail_rows += "VC_VISITS," + month(m) + ",150624100001,,," + std::to_string(m) + "\n" +
                 "VC_VISITS," + month(m) + ",150624100002,,," + std::to_string(100 + m) + "\n";
  }
  ASSERT_TRUE(Csv(base_rows).ok());
  std::unique_ptr<Engine> engine = Engine::Build(*store_, cat_).value();
  const std::size_t tables = Engine(*engine).own_bytes();  // a copy's own: blocks and periods
  std::vector<storage::DataValueChange> changes;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool) {
    changes.insert(changes.end(), c.begin(), c.end());
  });
  ASSERT_TRUE(Csv(tail_rows).ok());  // new keys: the tail
  ASSERT_TRUE(engine->Apply(changes, *store_).ok());
  ASSERT_EQ(engine->tail_size(), 22u);

  auto copy = std::make_unique<Engine>(*engine);
  EXPECT_EQ(copy->own_bytes(), tables) << "the copy owns something of the tail";
  const auto [jan1, dec31] = std::pair{Month("202301").first, Month("202312").second};
  const auto township = Unit("150624100");
  const auto total = engine->Aggregate(Op("VC_VISITS"), township, jan1, dec31);
  ASSERT_EQ(total, 1000 + 2 * 77 + 11 * 100);  // January's two values and the tail's
  EXPECT_EQ(copy->Aggregate(Op("VC_VISITS"), township, jan1, dec31), total);
  // A tail value changed in the copy and another deleted leave the original as it was.
  changes.clear();
  ASSERT_TRUE(Csv("VC_VISITS,202305,150624100001,,,1000\n").ok());
  store_->SetDataValueListener(nullptr);
  ASSERT_EQ(changes.size(), 1u);
  storage::DataValueChange gone = changes.front();  // the other village's May, deleted
  gone.key.org_unit_id = cat_->OrgUnits().ByCode("150624100002")->id;
  gone.deleted = true;
  changes.push_back(gone);
  ASSERT_TRUE(copy->Apply(changes, *store_).ok());
  EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), township, jan1, dec31), total);
  EXPECT_EQ(copy->Aggregate(Op("VC_VISITS"), township, jan1, dec31), *total - 5 + 1000 - 105);
  EXPECT_EQ(copy->size(), engine->size() - 1);
}

// The host is not idle until the builder has counted the engine it published: a build's engine is
// published (PublishFromBuilder) a moment before the builder counts the build, and until session
// 25 Idle() and Stats::quiet were true in that moment. A test that took its counts then (the TSan
// flake of SeveralServers.ALargeImport…, sessions 22-25) found one build more a moment later.
TEST_F(EngineHostTest, TheHostIsNotIdleUntilTheBuilderHasCountedWhatItPublished) {
  EngineHost host(*store_);
  Gate gate;
  std::atomic<int> works{0};
  host.set_after_work([&] {
    if (++works == 2) gate.Hold();  // the second build: the first one published an engine
  });
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  host.WaitIdle();
  ASSERT_EQ(host.stats().builds, 1u);
  ASSERT_TRUE(host.SetCatalog(cat_, false).ok());  // metadata changed: built again
  gate.Reached();  // the second build's engine is published, not yet counted
  EXPECT_FALSE(host.Idle());
  const EngineHost::Stats during = host.stats();
  EXPECT_FALSE(during.quiet);
  EXPECT_EQ(during.builds, 1u);
  gate.Open();
  host.WaitIdle();
  const EngineHost::Stats after = host.stats();
  EXPECT_TRUE(after.quiet);
  EXPECT_EQ(after.builds, 2u);
  EXPECT_EQ(after.builds_asked, "#1 catalog; #2 catalog");
}

// A change whose period the store's periods do not list, even once read again, is an error and
// not a value silently left out. Applying one can meet that when its read of the periods ran in a
// snapshot older than the change's commit: skipped, as until session 25, the value would have been
// missing from that engine until the next build, with nothing said. The error has the host build
// the engine from the store (EngineHost::Current, the builder).
TEST_F(EngineHostTest, AChangeInAPeriodTheStoreDoesNotListIsAnErrorNotASkip) {
  ASSERT_TRUE(Csv("VC_VISITS,202302,150624100001,,,5\n").ok());
  std::unique_ptr<Engine> engine = Engine::Build(*store_, cat_).value();
  std::vector<storage::DataValueChange> changes;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool) {
    changes.insert(changes.end(), c.begin(), c.end());
  });
  ASSERT_TRUE(Csv("VC_VISITS,202303,150624100001,,,7\n").ok());
  store_->SetDataValueListener(nullptr);
  ASSERT_EQ(changes.size(), 1u);
  // A period the engine has not seen and the store does not list (an id past every period's).
  auto periods = store_->LoadPeriods();
  ASSERT_TRUE(periods.ok());
  std::int64_t past = 0;
  for (const auto& p : *periods) past = std::max(past, p.id);
  storage::DataValueChange unlisted = changes.front();
  unlisted.key.period_id = past + 1;
  std::vector<storage::DataValueChange> both = {changes.front(), unlisted};
  // (Applied to a copy, as the host applies: a failed Apply leaves its engine to be dropped.)
  const Status s = std::make_unique<Engine>(*engine)->Apply(both, *store_);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  // The listed period alone applies as before.
  ASSERT_TRUE(engine->Apply(changes, *store_).ok());
  EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit("150624100001"), Month("202303").first,
                              Month("202303").second),
            7);
}

// A query applies writes without merging the tail of new values into the base when it passes
// the threshold: a merge is a pass over every value that lays the base out again (10.5M values in
// the load benchmark), and that query and every query queued behind it would wait for it. The
// builder thread merges a copy instead and publishes it with the writes reported meanwhile.
TEST_F(EngineHostTest, ATailPastTheThresholdIsMergedByTheBuilderNotByAQuery) {
  EngineHost host(*store_);
  host.set_merge_threshold(4);
  Gate gate;
  host.set_after_take([&] { gate.Hold(); });
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  std::string rows;  // six values new to the engine: past the threshold of 4
  for (int m = 2; m <= 7; ++m)
    rows += "VC_VISITS,20230" + std::to_string(m) + ",150624100001,,," + std::to_string(m) + "\n";
  ASSERT_TRUE(Csv(rows).ok());
  const auto [jan1, dec31] = std::pair{Month("202301").first, Month("202312").second};
  const auto township = Unit("150624100");
  auto written = host.Current().value();
  ASSERT_EQ(written->tail_size(), 6u) << "the query merged the tail itself";
  EXPECT_EQ(written->Aggregate(Op("VC_VISITS"), township, jan1, dec31), 1000 + 27);
  gate.Reached();  // the builder has taken the published engine to merge, and is held
  ASSERT_TRUE(Csv("VC_VISITS,202301,150624101001,,,42\n").ok());  // new as well
  const auto village = Unit("150624101001");
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, dec31), 42);
  gate.Open();
  host.WaitIdle();
  auto merged = host.Current().value();
  EXPECT_EQ(merged->tail_size(), 1u);  // the six merged; the write made meanwhile applied after
  EXPECT_EQ(merged->Aggregate(Op("VC_VISITS"), township, jan1, dec31), 1000 + 27);
  EXPECT_EQ(merged->Aggregate(Op("VC_VISITS"), village, jan1, dec31), 42);
  EXPECT_EQ(merged->size(), written->size() + 1);
  const auto stats = host.stats();
  EXPECT_EQ(stats.merges, 1u);  // asked again by the query meanwhile: nothing left to merge
  EXPECT_EQ(stats.builds, 1u);
  EXPECT_EQ(stats.deferred, 0u);
  store_->SetDataValueListener(nullptr);
}

// A tail left to grow for the builder (a query's apply) is merged by the apply itself once it is
// four times the threshold: each apply lays the tail out again, so a builder starved of CPU must
// not leave the queries an ever longer tail to lay out.
TEST_F(EngineHostTest, ATailLeftToGrowIsMergedAnywayPastFourTimesTheThreshold) {
  std::unique_ptr<Engine> engine = Engine::Build(*store_, cat_).value();
  engine->set_merge_threshold(2);
  std::vector<storage::DataValueChange> changes;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool) {
    changes.insert(changes.end(), c.begin(), c.end());
  });
  auto write = [&](int from, int to) {  // months [from, to] of 2023, new to the engine
    changes.clear();
    std::string rows;
    for (int m = from; m <= to; ++m)
      rows += "VC_VISITS,2023" + std::string(m < 10 ? "0" : "") + std::to_string(m) +
              ",150624100001,,,1\n";
    ASSERT_TRUE(Csv(rows).ok());
    ASSERT_TRUE(engine->Apply(changes, *store_, Engine::TailMerge::kLeaveTail).ok());
  };
  write(2, 9);  // 8 values: four times the threshold, left for the builder
  EXPECT_EQ(engine->tail_size(), 8u);
  EXPECT_TRUE(engine->TailWantsMerge());
  write(10, 10);  // a ninth: past four times the threshold, merged here
  EXPECT_EQ(engine->tail_size(), 0u) << "the tail was left to grow past four times the threshold";
  const auto [jan1, dec31] = std::pair{Month("202301").first, Month("202312").second};
  EXPECT_EQ(engine->Aggregate(Op("VC_VISITS"), Unit("150624100"), jan1, dec31), 1000 + 9);
  store_->SetDataValueListener(nullptr);
}

// The range check reads a cell's history from the engine unless it is Building: before the first
// engine, and while a build from the store is asked for or running (the published engine may
// then be stale by any amount). A large batch applied off to the side is no build: every value
// the published engine held, it still holds.
TEST_F(EngineHostTest, BuildingIsABuildFromTheStoreNotABatchAppliedOffToTheSide) {
  EngineHost host(*store_, 1);
  Gate batch, rebuild;
  std::atomic<int> calls{0};
  host.set_after_take([&] { batch.Hold(); });  // the builder holds the batch, applying it
  host.set_before_build([&] {
    if (calls++ == 2) rebuild.Hold();  // 0: the first build; 1: the batch; 2: the rebuild
  });
  Listen(host);
  EXPECT_TRUE(host.Building());  // no engine yet
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  EXPECT_FALSE(host.Building());
  ASSERT_TRUE(Csv(Transfer(9)).ok());  // two changes: applied off to the side
  batch.Reached();
  EXPECT_FALSE(host.Idle());
  EXPECT_FALSE(host.Building());
  batch.Open();
  host.WaitIdle();
  host.RequestRebuild();
  rebuild.Reached();
  EXPECT_TRUE(host.Building());
  rebuild.Open();
  host.WaitIdle();
  EXPECT_FALSE(host.Building());
  store_->SetDataValueListener(nullptr);
}

// A write reported before the builder takes the engine to merge, and applied by a query only
// after the take, is in the engine the merge publishes: it is not in the copy, so the builder
// applies what was pending at the take as well. (A hostile review found it lost: every later
// query skipped the update, the counts being equal.)
TEST_F(EngineHostTest, AWritePendingWhenTheBuilderTakesAMergeIsNotLost) {
  EngineHost host(*store_);
  host.set_merge_threshold(4);
  Gate before, after;
  std::atomic<int> calls{0};
  host.set_before_build([&] {
    if (calls++ == 1) before.Hold();  // the first call is the first build's
  });
  host.set_after_take([&] { after.Hold(); });
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  std::string rows;
  for (int m = 2; m <= 7; ++m)
    rows += "VC_VISITS,20230" + std::to_string(m) + ",150624100001,,," + std::to_string(m) + "\n";
  ASSERT_TRUE(Csv(rows).ok());
  ASSERT_TRUE(host.Current().ok());    // applies the six: a merge is asked for
  before.Reached();                    // the builder is about to take the engine, and held
  ASSERT_TRUE(Csv(Transfer(9)).ok());  // pending: no query applies it before the take
  before.Open();
  after.Reached();  // taken; now a query applies the transfer to the engine before the merge
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 509);
  after.Open();
  host.WaitIdle();
  auto merged = host.Current().value();
  EXPECT_EQ(host.stats().merges, 1u);
  EXPECT_EQ(merged->tail_size(), 0u);
  EXPECT_EQ(merged->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 509) << "the write was lost";
  store_->SetDataValueListener(nullptr);
}

// Writes reported while the builder merges are applied to the merged engine without merging
// again under update_mu_ (where queries with writes to apply wait): a tail they take past the
// threshold is merged by the builder's next round. And an import that arrives during a merge is
// applied off to the side after it, not by a build from the store (the merge is done again).
TEST_F(EngineHostTest, WritesAndAnImportDuringAMergeNeitherMergeUnderTheLockNorRebuild) {
  EngineHost host(*store_, 8);
  host.set_merge_threshold(4);
  Gate gate;
  std::atomic<int> takes{0};
  host.set_after_take([&] {
    if (takes++ == 0) gate.Hold();
  });
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  auto month = [](int m) { return "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m); };
  std::string rows;
  for (int m = 2; m <= 7; ++m)
    rows += "VC_VISITS," + month(m) + ",150624100001,,," + std::to_string(m) + "\n";
  ASSERT_TRUE(Csv(rows).ok());
  ASSERT_TRUE(host.Current().ok());  // the six applied: a merge asked for
  gate.Reached();                    // the builder has taken the engine to merge
  rows.clear();                      // five more new values, each in a batch a query applies
  for (int m = 2; m <= 6; ++m) {
    ASSERT_TRUE(Csv("VC_VISITS," + month(m) + ",150624100002,,,1\n").ok());
    ASSERT_TRUE(host.Current().ok());
  }
  rows.clear();  // then an import too large for a query (more than 8 changes)
  for (int m = 2; m <= 12; ++m) rows += "VC_VISITS," + month(m) + ",150624101001,,,3\n";
  ASSERT_TRUE(Csv(rows).ok());
  gate.Open();
  host.WaitIdle();
  const auto [jan1, dec31] = std::pair{Month("202301").first, Month("202312").second};
  auto after = host.Current().value();
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), Unit("150624100"), jan1, dec31), 1000 + 27 + 5);
  EXPECT_EQ(after->Aggregate(Op("VC_VISITS"), Unit("150624101001"), jan1, dec31), 33);
  EXPECT_EQ(after->tail_size(), 0u);
  const auto stats = host.stats();
  EXPECT_EQ(stats.builds, 1u) << "the import during the merge was read again from the store";
  EXPECT_EQ(stats.deferred, 1u);
  store_->SetDataValueListener(nullptr);
}

// Queries arriving while the first engine is being built wait for that build; they do not ask
// for another one (at 10M values each build costs tens of seconds of a core).
TEST_F(EngineHostTest, FirstQueriesWaitForTheStartBuildInsteadOfAskingForAnother) {
  EngineHost host(*store_);
  Gate gate;
  std::atomic<int> builds{0};
  host.set_before_build([&] {
    if (builds++ == 0) gate.Hold();
  });
  ASSERT_TRUE(host.SetCatalog(cat_, false).ok());  // as a server's start does
  gate.Reached();                                  // the build runs and holds
  std::vector<std::thread> queries;
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) queries.emplace_back([&] { answered += host.Current().ok(); });
  // Give the queries time to reach their wait (where a query that asked for a build of its own
  // would ask); none can be answered before the build is let go.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(answered.load(), 0);
  gate.Open();
  for (auto& t : queries) t.join();
  host.WaitIdle();
  EXPECT_EQ(answered.load(), 3);
  EXPECT_EQ(host.stats().builds, 1u);
  EXPECT_EQ(builds.load(), 1);
}

TEST_F(EngineHostTest, AHeldSnapshotNeverChanges) {
  EngineHost host(*store_);
  Listen(host);
  ASSERT_TRUE(host.SetCatalog(cat_, true).ok());
  const auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  auto held = host.Current().value();
  EXPECT_EQ(held->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(Csv(Transfer(i)).ok());
    auto now = host.Current().value();
    EXPECT_EQ(now->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500 + i);
    EXPECT_EQ(held->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  }
  EXPECT_EQ(host.stats().applied, 4u);
  store_->SetDataValueListener(nullptr);
}

}  // namespace
}  // namespace weijian::analytics

namespace weijian::analytics {
namespace {

// The engine written to a file and read back answers exactly as a fresh build; a file that is
// not current, damaged or cut short is refused (and the caller builds from the store).
TEST_F(EngineHostTest, ASnapshotFileRoundTripsAndABadOneIsRefused) {
  ASSERT_TRUE(Csv("SMI_REGISTERED,202201,150624100001,,,11\nSMI_REGISTERED,202202,150624100002,,,"
                  "12\nSMI_MANAGED,202201,150624101001,,,13\n")
                  .ok());
  auto fresh = Engine::Build(*store_, cat_).value();
  const std::string path = dir_.File("h.db.engine");
  ASSERT_TRUE(fresh->SaveSnapshot(path, 42).ok());
  auto loaded = Engine::LoadSnapshot(path, 42, cat_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->size(), fresh->size());
  for (const char* de : {"SMI_REGISTERED", "SMI_MANAGED", "VC_VISITS"})
    for (const char* u : {"15", "150624", "150624100", "150624100001", "150624101"})
      for (const char* pe : {"202201", "202202", "202301"}) {
        auto [s, e] = Month(pe);
        EXPECT_EQ((*loaded)->Aggregate(Op(de), Unit(u), s, e),
                  fresh->Aggregate(Op(de), Unit(u), s, e))
            << de << " " << u << " " << pe;
      }
  // Not current: another change-log sequence.
  EXPECT_FALSE(Engine::LoadSnapshot(path, 43, cat_).ok());
  // Damaged: one byte changed in the middle, or the file cut short.
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (int variant = 0; variant < 2; ++variant) {
    std::string bad = bytes;
    if (variant == 0)
      bad[bad.size() / 2] ^= 0x40;
    else
      bad.resize(bad.size() / 3);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bad.data(), static_cast<std::streamsize>(bad.size()));
    auto refused = Engine::LoadSnapshot(path, 42, cat_);
    EXPECT_FALSE(refused.ok()) << variant;
  }
  // A host adopts a loaded engine without building, and changes still reach it.
  ASSERT_TRUE(fresh->SaveSnapshot(path, 42).ok());
  EngineHost host(*store_);
  Listen(host);
  ASSERT_TRUE(host.Adopt(Engine::LoadSnapshot(path, 42, cat_).value(), cat_));
  ASSERT_TRUE(Csv(Transfer(3)).ok());
  auto [jan1, jan31] = Month("202301");
  EXPECT_EQ(host.Current().value()->Aggregate(Op("VC_VISITS"), Unit("150624100001"), jan1, jan31),
            503);
  EXPECT_EQ(host.stats().loaded, 1u);
  EXPECT_EQ(host.stats().builds, 0u);
  store_->SetDataValueListener(nullptr);
}

// A loaded engine reads its columns in place from the mapped file; a value changed in it
// afterwards never reaches the file, nor a copy taken before the change (which shares the
// mapping), nor another engine loaded from the same file.
TEST_F(EngineHostTest, ALoadedEngineReadsTheFileInPlaceAndItsChangesStayItsOwn) {
  const std::string path = dir_.File("h.db.engine");
  auto fresh = Engine::Build(*store_, cat_).value();
  EXPECT_FALSE(fresh->reads_snapshot_in_place());
  ASSERT_TRUE(fresh->SaveSnapshot(path, 7).ok());
  auto read_file = [&] {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string before = read_file();
  std::unique_ptr<Engine> loaded = Engine::LoadSnapshot(path, 7, cat_).value();
  EXPECT_TRUE(loaded->reads_snapshot_in_place());
  const Engine copy = *loaded;
  EXPECT_TRUE(copy.reads_snapshot_in_place());  // shares the mapped columns until written
  auto [jan1, jan31] = Month("202301");
  const auto village = Unit("150624100001");
  ASSERT_EQ(loaded->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);

  std::vector<storage::DataValueChange> changes;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool) {
    changes.insert(changes.end(), c.begin(), c.end());
  });
  ASSERT_TRUE(Csv(Transfer(9)).ok());
  store_->SetDataValueListener(nullptr);
  ASSERT_FALSE(changes.empty());
  ASSERT_TRUE(loaded->Apply(changes, *store_).ok());

  EXPECT_EQ(loaded->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 509);
  EXPECT_EQ(loaded->Aggregate(Op("VC_VISITS"), Unit("150624100"), jan1, jan31), 1000);
  EXPECT_EQ(copy.Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  EXPECT_EQ(read_file(), before);
  auto again = Engine::LoadSnapshot(path, 7, cat_).value();
  EXPECT_EQ(again->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 500);
  // The loaded engine outlives nothing it needs: dropping the other views keeps its own valid.
  again.reset();
  EXPECT_EQ(loaded->Aggregate(Op("VC_VISITS"), village, jan1, jan31), 509);
}

}  // namespace
}  // namespace weijian::analytics
