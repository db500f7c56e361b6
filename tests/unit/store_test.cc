#include "storage/store.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "analytics/engine_host.h"
#include "core/date.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "storage/open_store.h"
#include "storage/postgres/pg_db.h"
#include "tracker/immunization.h"
#include "unit/pg_cluster.h"
#include "unit/test_support.h"

namespace weijian::storage {
namespace {

using weijian::testing::TempDir;

int ReadUserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
  sqlite3_step(s);
  int v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

using weijian::testing::CodedUnit;
using weijian::testing::CoverageChild;
using weijian::testing::CoverageDose;
using weijian::testing::ExecSqlite;

TEST(StoreTest, NewFileIsAtLatestSchemaWithWalAndForeignKeys) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir.File("a.db-wal")));
}

TEST(StoreTest, NewerBinaryUpgradesOlderFileKeepingData) {
  TempDir dir;
  std::string path = dir.File("old.db");
  {
    auto v1 = OpenSqliteStoreAtVersion(path, 1);
    ASSERT_TRUE(v1.ok());
    EXPECT_EQ(*(*v1)->SchemaVersion(), 1);
    std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2)};
    ASSERT_TRUE((*v1)->InsertOrgUnits(units).ok());
  }
  EXPECT_EQ(ReadUserVersion(path), 1);
  auto upgraded = OpenSqliteStore(path);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  EXPECT_EQ(*(*upgraded)->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(*(*upgraded)->CountOrgUnits(), 2);
  // The tables of migration 2 exist now.
  EXPECT_TRUE((*upgraded)->ListUsers().ok());
}

TEST(StoreTest, OlderBinaryRefusesNewerFileClearly) {
  TempDir dir;
  std::string path = dir.File("future.db");
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  ExecSqlite(path, "PRAGMA user_version = 999");
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer weijian"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
  EXPECT_EQ(ReadUserVersion(path), 999);  // untouched
}

// Addresses are printed (start-up line, errors, /api/system/info): never with their password,
// whether it is in the user part, a parameter, or a keyword=value string.
TEST(StoreTest, AnAddressIsShownWithoutItsPassword) {
  EXPECT_EQ(RedactAddress("postgresql://wj:s3cret@db:5432/weijian"),
            "postgresql://wj:***@db:5432/weijian");
  EXPECT_EQ(RedactAddress("postgresql://db/weijian?user=wj&password=s3cret&sslmode=require"),
            "postgresql://db/weijian?user=wj&password=***&sslmode=require");
  EXPECT_EQ(RedactAddress("postgresql://db/weijian?password=s3cret"),
            "postgresql://db/weijian?password=***");
  EXPECT_EQ(RedactAddress("host=db password=s3cret dbname=weijian"),
            "host=db password=*** dbname=weijian");
  EXPECT_EQ(RedactAddress("postgresql://wj@db/weijian"), "postgresql://wj@db/weijian");
  EXPECT_EQ(RedactAddress("postgresql://wj@db:5432/weijian"), "postgresql://wj@db:5432/weijian");
  // A password typed with '@', '%', ':' or '/' unencoded is masked whole (before session 33 only
  // up to its first '@').
  EXPECT_EQ(RedactAddress("postgresql://wj:Secret1@Secret2@127.0.0.1:5432/weijian"),
            "postgresql://wj:***@127.0.0.1:5432/weijian");
  EXPECT_EQ(RedactAddress("postgresql://wj:p@ss%w:rd/x@127.0.0.1:5432/weijian"),
            "postgresql://wj:***@127.0.0.1:5432/weijian");
  // libpq's own error repeats a malformed password, or a piece of it that it read as the host:
  // masked as typed, decoded, and piece by piece.
  EXPECT_EQ(RedactSecretsIn("invalid percent-encoded token: \"Secret1%zz\"",
                            "postgresql://wj:Secret1%zz@127.0.0.1/weijian"),
            "invalid percent-encoded token: \"***\"");
  EXPECT_EQ(RedactSecretsIn("could not translate host name \"Secret2@127.0.0.1\"",
                            "postgresql://wj:Secret1@Secret2@127.0.0.1/weijian"),
            "could not translate host name \"***@127.0.0.1\"");
  EXPECT_EQ(RedactSecretsIn("password authentication failed for user \"wj\" (p@ss w0rd)",
                            "postgresql://wj:p%40ss%20w0rd@db/weijian"),
            "password authentication failed for user \"wj\" (***)");
  // Opening such an address: the error names the address without any of it.
  auto opened = OpenStore("postgresql://wj:Secret1%zz@127.0.0.1:1/weijian");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message().find("Secret1"), std::string::npos)
      << opened.status().message();
  EXPECT_NE(opened.status().message().find("postgresql://wj:***@127.0.0.1:1/weijian"),
            std::string::npos)
      << opened.status().message();
}

TEST(StoreTest, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::string path = dir.File("notes.db");
  std::ofstream(path)
      << "这不是数据库 — just some text that happens to be long enough to look like a header";
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not a weijian database"), std::string::npos)
      << store.status().message();
}

// --- The contract both stores keep (SQLite and PostgreSQL, one SqlStore) ---
// Each test runs once per store: ".../sqlite" on a temporary file, ".../postgres" on a fresh
// database of the process's own PostgreSQL cluster (unit/pg_cluster.h; skipped only when the
// postgres binaries are not installed). ctest runs the postgres half as one entry
// (store_contract_postgres), so one cluster serves them all.
class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      std::string why;
      if (!weijian::testing::PgCluster::Get(&why)) {
        if (why.find("not installed") != std::string::npos) GTEST_SKIP() << why;
        FAIL() << why;
      }
      store_ = weijian::testing::NewPostgresStore(&why, &address_);
      ASSERT_TRUE(store_) << why;
    } else {
      auto s = OpenSqliteStore(dir_.File("v.db"));
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(*s);
    }
  }
  TempDir dir_;
  std::string address_;  // the PostgreSQL database's
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(StoreContractTest, OrgUnitInsertIsAllOrNothing) {
  Store* store = store_.get();
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2),
                                      CodedUnit("150624", "9999", 3)};  // unknown parent
  Status s = store->InsertOrgUnits(units);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "organisationUnits[2].parent");
  EXPECT_EQ(*store->CountOrgUnits(), 0);
  std::vector<OrgUnitRecord> dup = {CodedUnit("15", "", 1), CodedUnit("15", "", 1)};
  EXPECT_EQ(store->InsertOrgUnits(dup).code(), StatusCode::kConflict);
  EXPECT_EQ(*store->CountOrgUnits(), 0);
  std::vector<OrgUnitRecord> ok = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2)};
  ASSERT_TRUE(store->InsertOrgUnits(ok).ok());
  auto loaded = store->LoadOrgUnits();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[1].parent_id, (*loaded)[0].id);
  EXPECT_EQ((*loaded)[1].name, "单位1506");
}

// Vaccine stock (issue 17): a batch of movements, and a dose with its movement, are written
// whole or not at all; a balance never goes below zero; a lot's expiry is the one it came with.
TEST_P(StoreContractTest, StockMovementsAndTheirDoseAreAllOrNothing) {
  Store* store = store_.get();
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store->InsertOrgUnits(units).ok());
  const std::int64_t ou = (*store->LoadOrgUnits())[0].id;
  AuditRecord audit;
  audit.type = "STOCK";
  audit.username = "tester";
  audit.created = 1;
  TrackedEntityRecord te;
  te.uid = "teStock0001";
  te.org_unit_id = ou;
  te.birth_date = "2024-01-10";
  te.sex = "F";
  te.sealed = "sealed";
  te.key_id = "k1";
  te.name_birth_index = "nb";
  te.created = te.updated = 1;
  te.created_by = "tester";
  ASSERT_TRUE(store->CreateTrackedEntity(te, audit).ok());
  int n = 0;
  auto movement = [&](const std::string& kind, const std::string& lot, std::int64_t quantity,
                      const std::string& expiry = "") {
    VaccineStockMovementRecord m;
    m.uid = "mv" + std::to_string(100000000 + ++n);
    m.org_unit_id = ou;
    m.vaccine = "HepB";
    m.lot = lot;
    m.expiry = expiry;
    m.manufacturer = expiry.empty() ? "" : "华北制药";
    m.kind = kind;
    m.quantity = quantity;
    m.moved_on = "2024-02-01";
    m.created = 1;
    m.created_by = "tester";
    return m;
  };
  auto balance = [&]() -> std::int64_t {
    auto lots = store->ListVaccineLots(std::span(&ou, 1));
    EXPECT_TRUE(lots.ok());
    return lots->empty() ? -1 : lots->front().balance;
  };
  auto apply = [&](std::vector<VaccineStockMovementRecord>& moves,
                   ImmunizationDoseRecord* dose = nullptr) {
    std::vector<AuditRecord> audits(moves.size(), audit);
    return store->ApplyStockMovements(moves, audits, dose, dose ? &audit : nullptr);
  };

  std::vector<VaccineStockMovementRecord> in = {movement("RECEIPT", "L1", 10, "2025-06-30")};
  ASSERT_TRUE(apply(in).ok());
  EXPECT_EQ(in[0].balance_after, 10);
  // Two issues that together exceed the balance: neither is applied.
  std::vector<VaccineStockMovementRecord> out = {movement("ISSUE", "L1", -4),
                                                 movement("ISSUE", "L1", -7)};
  Status s = apply(out);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.field(), "quantity");
  EXPECT_EQ(balance(), 10);
  // A receipt into the lot with another expiry.
  std::vector<VaccineStockMovementRecord> other = {movement("RECEIPT", "L1", 5, "2025-07-31")};
  EXPECT_EQ(apply(other).field(), "expiry");
  EXPECT_EQ(balance(), 10);

  // A dose from a lot the unit does not hold: neither the dose nor a movement is written.
  ImmunizationDoseRecord dose;
  dose.uid = "doseStock01";
  dose.tracked_entity_id = te.id;
  dose.vaccine = "HepB";
  dose.given_on = "2024-03-15";
  dose.org_unit_id = ou;
  dose.lot = "L9";
  dose.created = 1;
  dose.created_by = "tester";
  std::vector<VaccineStockMovementRecord> wrong = {movement("DOSE", "L9", -1)};
  EXPECT_EQ(apply(wrong, &dose).field(), "lot");
  EXPECT_TRUE(store->ListImmunizationDoses(te.id)->empty());
  // From L1: the dose and its movement, which points at it.
  dose.lot = "L1";
  std::vector<VaccineStockMovementRecord> given = {movement("DOSE", "L1", -1)};
  ASSERT_TRUE(apply(given, &dose).ok());
  EXPECT_GT(dose.id, 0);
  EXPECT_EQ(given[0].balance_after, 9);
  EXPECT_EQ(balance(), 9);
  auto ledger = store->ListStockMovements(ou, "HepB", "L1", 10);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 2u);
  EXPECT_EQ((*ledger)[0].kind, "DOSE");
  EXPECT_EQ((*ledger)[0].dose_id, dose.id);
  EXPECT_EQ((*ledger)[0].expiry, "2025-06-30");
  EXPECT_EQ(store->ListImmunizationDoses(te.id)->size(), 1u);

  // Holds and AEFI reports come back as written.
  ImmunizationHoldRecord hold{
      0, "holdStock01", te.id, "HepB", "DEFERRAL", "2024-03-01", "2024-03-20", "发热", ou,
      1, "tester"};
  ASSERT_TRUE(store->AddImmunizationHold(hold, audit).ok());
  auto holds = store->ListImmunizationHoldsManagedBy(std::span(&ou, 1));
  ASSERT_TRUE(holds.ok());
  ASSERT_EQ(holds->size(), 1u);
  EXPECT_EQ((*holds)[0].until_date, "2024-03-20");
  AefiReportRecord aefi;
  aefi.uid = "aefiStock01";
  aefi.dose_id = dose.id;
  aefi.tracked_entity_id = te.id;
  aefi.onset_date = "2024-03-16";
  aefi.reported_on = "2024-03-17";
  aefi.symptoms = "低热";
  aefi.serious = true;
  aefi.outcome = "RECOVERED";
  aefi.org_unit_id = ou;
  aefi.created = 1;
  aefi.created_by = "tester";
  ASSERT_TRUE(store->AddAefiReport(aefi, audit).ok());
  auto reports = store->ListAefiReports(te.id);
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].serious);
  EXPECT_EQ((*reports)[0].dose_id, dose.id);
}

// The defaults, unit 15, data elements with the default combo ({uid, code, name} each) and the
// period 202407: the key of a value of each element there, in their order.
std::vector<DataValueKey> ElementsWithAPeriod(
    Store& store, const std::vector<std::array<std::string, 3>>& elements) {
  EXPECT_TRUE(metadata::EnsureDefaults(store).ok());
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  EXPECT_TRUE(store.InsertOrgUnits(units).ok());
  MetadataRecords r;
  for (const auto& [uid, code, name] : elements) {
    DataElementRecord de;
    de.uid = uid;
    de.code = code;
    de.name = de.short_name = name;
    de.combo_uid = metadata::kDefaultCategoryComboUid;
    r.data_elements.push_back(de);
  }
  EXPECT_TRUE(store.UpsertMetadata(r).ok());
  auto cat = metadata::Catalog::Load(store);
  auto pe = store.EnsurePeriod({0, "202407", "Monthly", "2024-07-01", "2024-07-31"});
  std::vector<DataValueKey> keys;
  if (!cat.ok() || !pe.ok()) {
    ADD_FAILURE() << "catalog or period";
    return keys;
  }
  for (const auto& e : elements)
    keys.push_back({(*cat)->DataElements().ByUid(e[0])->id, *pe, (*cat)->org_units().front().id,
                    (*cat)->DefaultCoc()->id, (*cat)->DefaultCoc()->id});
  return keys;
}

class DataValueStoreTest : public StoreContractTest {
 protected:
  void SetUp() override {
    StoreContractTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto keys = ElementsWithAPeriod(*store_, {{"deAAAAAAAAA", "TC_DONE", "两癌筛查完成人数"}});
    ASSERT_EQ(keys.size(), 1u);
    key_ = keys[0];
  }

  Result<WriteCounts> Write(const std::string& value, bool remove = false) {
    DataValueWrite w;
    w.key = key_;
    w.value = value;
    if (remove) w.mode = WriteMode::kDelete;
    return store_->WriteDataValues({&w, 1}, "tester", 1000);
  }

  // key_ in the months 2021-01 … (n of them), their periods made.
  std::vector<DataValueKey> MonthKeys(int n) {
    std::vector<DataValueKey> keys;
    for (int m = 0; m < n; ++m) {
      const std::string year = std::to_string(2021 + m / 12);
      const std::string mm = (m % 12 < 9 ? "0" : "") + std::to_string(m % 12 + 1);
      auto pe = store_->EnsurePeriod(
          {0, year + mm, "Monthly", year + "-" + mm + "-01", year + "-" + mm + "-28"});
      EXPECT_TRUE(pe.ok()) << pe.status().ToString();
      DataValueKey k = key_;
      k.period_id = pe.ok() ? *pe : 0;
      keys.push_back(k);
    }
    return keys;
  }

  // Starts each of `saves` on a thread of its own while this thread holds the writer (in one
  // transaction), each once the ones before it wait for the writer, so that they queue in that
  // order; lets the writer go and waits for them all. Returns how many waited together.
  std::size_t SaveBehindTheWriter(const std::vector<std::function<void()>>& saves) {
    std::vector<std::thread> savers;
    std::size_t waiting = 0;
    Status held = store_->InOneTransaction([&] {
      for (const auto& save : saves) {
        savers.emplace_back(save);
        for (int ms = 0; ms < 30'000 && (waiting = store_->SavesWaiting()) < savers.size(); ++ms)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return Status::Ok();
    });
    for (auto& t : savers) t.join();
    EXPECT_TRUE(held.ok()) << held.ToString();
    return waiting;
  }

  DataValueKey key_;
};

INSTANTIATE_TEST_SUITE_P(Stores, DataValueStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(DataValueStoreTest, CreateUpdateDeleteKeepHistory) {
  EXPECT_EQ(Write("10")->imported, 1);
  // Unchanged: counted as updated, as DHIS2 2.39-2.41 counts it, but not written (the history
  // below has no entry for it).
  auto same = Write("10");
  EXPECT_EQ(same->updated, 1);
  EXPECT_EQ(same->ignored, 0);
  EXPECT_EQ(Write("12")->updated, 1);
  EXPECT_EQ(Write("", true)->deleted, 1);
  EXPECT_EQ(Write("", true)->ignored, 1);  // already deleted
  EXPECT_EQ(*store_->CountDataValues(false), 0);
  EXPECT_EQ(*store_->CountDataValues(true), 1);
  auto history = store_->DataValueHistory(key_);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].audit_type, "CREATE");
  EXPECT_EQ((*history)[1].audit_type, "UPDATE");
  EXPECT_EQ(*(*history)[1].previous_value, "10");
  EXPECT_EQ(*(*history)[1].value, "12");
  EXPECT_EQ((*history)[2].audit_type, "DELETE");
  EXPECT_EQ(*(*history)[2].previous_value, "12");
  EXPECT_FALSE((*history)[2].value.has_value());
  EXPECT_EQ(Write("15")->imported, 1);  // re-entry after delete
  auto v = store_->GetDataValue(key_);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ((*v)->value, "15");
  EXPECT_FALSE((*v)->deleted);
  EXPECT_EQ((*v)->stored_by, "tester");
}

TEST_P(DataValueStoreTest, ConstraintFailureInABatchWritesNothing) {
  DataValueWrite good;
  good.key = key_;
  good.value = "5";
  DataValueWrite bad = good;
  bad.key.period_id = 424242;  // no such period: the foreign key fails
  std::vector<DataValueWrite> batch = {good, bad};
  auto r = store_->WriteDataValues(batch, "tester", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(*store_->CountDataValues(true), 0);
  EXPECT_TRUE(store_->DataValueHistory(key_)->empty());
}

// data_value keeps no foreign keys on PostgreSQL (migration 0009) and SQLite turns its own off
// for imports: the writer checks each batch's references itself. A write naming a unit, element
// or option combo the store does not have refuses its batch, naming the write (field
// dataValues[i].…), before anything of the batch is written; the transaction stays usable.
TEST_P(DataValueStoreTest, AWriteNamingAMissingReferenceRefusesItsBatchNamingIt) {
  const std::vector<DataValueKey> keys = MonthKeys(40);  // PostgreSQL's bulk path from 32 writes
  std::vector<DataValueWrite> batch(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    batch[i].key = keys[i];
    batch[i].value = std::to_string(i);
  }
  batch[37].key.org_unit_id = 987654;
  auto single = store_->WriteDataValues(batch, "tester", 1);
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.status().code(), StatusCode::kConflict);
  EXPECT_EQ(single.status().field(), "dataValues[37].orgUnit");
  EXPECT_NE(single.status().message().find("机构（id 987654）不存在"), std::string::npos)
      << single.status().message();
  EXPECT_EQ(*store_->CountDataValues(true), 0);
  batch[37].key = keys[37];

  // An import (SQLite's foreign keys are off for it): an attribute option combo that is not.
  auto writer = store_->BeginDataValueImport("tester", "importGone1", 2, ImportWriter::kBeside);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  batch[5].key.aoc_id = 424242;
  auto refused = (*writer)->Write(batch, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "dataValues[5].attributeOptionCombo");
  batch.erase(batch.begin() + 5);
  auto rest = (*writer)->Write(batch, nullptr);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->imported, 39);
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(*store_->CountDataValues(false), 39);
  EXPECT_FALSE(store_->GetDataValue(keys[5])->has_value());
  // A delete naming nothing stored is not refused: it changes nothing.
  DataValueWrite gone;
  gone.key = key_;
  gone.key.data_element_id = 31337;
  gone.mode = WriteMode::kDelete;
  auto deleted = store_->WriteDataValues({&gone, 1}, "tester", 3);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->ignored, 1);
}

// Session 29: saves of one cell that wait for the writer at the same time are written in one
// transaction by whichever of them gets the writer next (before, each committed alone, one WAL
// flush each, while the others waited: bench/README.md (c), session 28). Each keeps its own
// answer and its own history row, with its user and its time; a save that fails (a unit that
// does not exist) leaves the others written; the listener and the change log hear the group
// once, and the value history stays one chain.
TEST_P(DataValueStoreTest, SavesWaitingForTheWriterAreWrittenTogether) {
  const std::vector<DataValueKey> keys = MonthKeys(4);
  ASSERT_TRUE(Write("1").ok());  // key_: the group's save of it is an update
  auto before = store_->ChangesSince(0, 1000);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  const std::int64_t seq = before->empty() ? 0 : before->back().seq;
  std::mutex heard_mu;
  std::vector<std::size_t> heard;  // changes per report
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool) {
    std::lock_guard l(heard_mu);
    heard.push_back(changes.size());
  });
  constexpr int kSaves = 6;  // keys[0..3], key_, and one naming a missing unit
  std::vector<Result<WriteCounts>> answers(kSaves, Internal("not run"));
  // They all wait for the writer, in this order: the failing one third, so that the two before
  // it are written again without it.
  std::vector<std::function<void()>> saves;
  for (int i : {0, 1, 5, 2, 3, 4})
    saves.push_back([&, i] {
      DataValueWrite w;
      w.key = i < 4 ? keys[static_cast<std::size_t>(i)] : key_;
      if (i == 5) w.key.org_unit_id = 987654;
      w.value = std::to_string(10 + i);
      answers[static_cast<std::size_t>(i)] =
          store_->WriteDataValues({&w, 1}, "clerk" + std::to_string(i), 2000 + i);
    });
  const std::size_t waiting = SaveBehindTheWriter(saves);
  store_->SetDataValueListener(nullptr);
  ASSERT_EQ(waiting, static_cast<std::size_t>(kSaves));
  EXPECT_EQ(store_->SavesWaiting(), 0u);
  for (int i = 0; i < 5; ++i) {
    const auto& a = answers[static_cast<std::size_t>(i)];
    ASSERT_TRUE(a.ok()) << i << ": " << a.status().ToString();
    EXPECT_EQ(a->imported, i < 4 ? 1 : 0) << i;
    EXPECT_EQ(a->updated, i < 4 ? 0 : 1) << i;
  }
  ASSERT_FALSE(answers[5].ok());
  EXPECT_EQ(answers[5].status().code(), StatusCode::kConflict);
  EXPECT_EQ(answers[5].status().field(), "dataValues[0].orgUnit");
  EXPECT_EQ(heard, std::vector<std::size_t>{5});
  auto after = store_->ChangesSince(seq, 1000);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].kind, "values");
  EXPECT_TRUE((*after)[0].keys_listed);
  EXPECT_EQ((*after)[0].keys.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) {
    auto history = store_->DataValueHistory(keys[i]);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 1u) << i;
    EXPECT_EQ((*history)[0].audit_type, "CREATE");
    EXPECT_EQ((*history)[0].modified_by, "clerk" + std::to_string(i));
    EXPECT_EQ((*history)[0].created, 2000 + static_cast<std::int64_t>(i));
    auto v = store_->GetDataValue(keys[i]);
    ASSERT_TRUE(v.ok() && v->has_value());
    EXPECT_EQ((*v)->value, std::to_string(10 + i));
    EXPECT_EQ((*v)->stored_by, "clerk" + std::to_string(i));
  }
  auto history = store_->DataValueHistory(key_);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].audit_type, "UPDATE");
  EXPECT_EQ(*(*history)[1].previous_value, "1");
  EXPECT_EQ((*history)[1].modified_by, "clerk4");
  EXPECT_EQ((*history)[1].created, 2004);
  auto chains = store_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  for (const auto& c : *chains)
    EXPECT_FALSE(c.first_broken_id) << c.table << " broken at " << *c.first_broken_id;
}

// A group of saves is at most 64 (kMaxSaveGroup): one transaction does not grow with the queue,
// and the saves behind the first 64 are the next group's. 70 saves wait for the writer here:
// they are written as 64 and 6, each group with its one report, every save with its answer.
TEST_P(DataValueStoreTest, SavesBeyondAGroupsSixtyFourAreTheNextGroup) {
  constexpr int kSaves = 70;
  const std::vector<DataValueKey> keys = MonthKeys(kSaves);
  std::mutex heard_mu;
  std::vector<std::size_t> heard;  // changes per report
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool) {
    std::lock_guard l(heard_mu);
    heard.push_back(changes.size());
  });
  std::vector<Result<WriteCounts>> answers(kSaves, Internal("not run"));
  std::vector<std::function<void()>> saves;
  for (int i = 0; i < kSaves; ++i)
    saves.push_back([&, i] {
      DataValueWrite w;
      w.key = keys[static_cast<std::size_t>(i)];
      w.value = std::to_string(i);
      answers[static_cast<std::size_t>(i)] = store_->WriteDataValues({&w, 1}, "clerk", 3000 + i);
    });
  const std::size_t waiting = SaveBehindTheWriter(saves);
  store_->SetDataValueListener(nullptr);
  ASSERT_EQ(waiting, static_cast<std::size_t>(kSaves));
  EXPECT_EQ(heard, (std::vector<std::size_t>{64, 6}));
  for (int i = 0; i < kSaves; ++i) {
    const auto& a = answers[static_cast<std::size_t>(i)];
    ASSERT_TRUE(a.ok()) << i << ": " << a.status().ToString();
    EXPECT_EQ(a->imported, 1) << i;
    auto v = store_->GetDataValue(keys[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
    EXPECT_EQ((*v)->value, std::to_string(i));
  }
}

// A group of saves whose COMMIT fails is written again save by save: what sank the commit sinks
// only the save it still sinks alone. Here a value of "fails-at-commit" makes a deferred foreign
// key (a table of this test's) fail at COMMIT, on either store.
TEST_P(DataValueStoreTest, AGroupWhoseCommitFailsIsWrittenAgainSaveBySave) {
  const std::vector<DataValueKey> keys = MonthKeys(3);
  const std::string tables =
      "CREATE TABLE t_parent(id INTEGER PRIMARY KEY);"
      " CREATE TABLE t_child(pid INTEGER REFERENCES t_parent(id) DEFERRABLE INITIALLY DEFERRED);";
  if (GetParam() == "postgres") {
    std::string why;
    auto* cluster = weijian::testing::PgCluster::Get(&why);
    ASSERT_NE(cluster, nullptr) << why;
    ASSERT_TRUE(cluster->Psql(
        address_.substr(address_.rfind('/') + 1),
        tables + " CREATE FUNCTION t_fails() RETURNS trigger LANGUAGE plpgsql AS"
                 " $$ BEGIN INSERT INTO t_child VALUES (42); RETURN NULL; END $$;"
                 " CREATE TRIGGER t_fails_at_commit AFTER INSERT ON data_value FOR EACH ROW"
                 " WHEN (NEW.value = 'fails-at-commit') EXECUTE FUNCTION t_fails();"));
  } else {
    ExecSqlite(
        dir_.File("v.db"),
        (tables + " CREATE TRIGGER t_fails_at_commit AFTER INSERT ON data_value"
                  " WHEN NEW.value = 'fails-at-commit' BEGIN INSERT INTO t_child VALUES (42); END;")
            .c_str());
  }
  std::mutex heard_mu;
  std::vector<std::size_t> heard;  // changes per report
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool) {
    std::lock_guard l(heard_mu);
    heard.push_back(changes.size());
  });
  const std::vector<std::string> values = {"10", "fails-at-commit", "12"};
  std::vector<Result<WriteCounts>> answers(values.size(), Internal("not run"));
  std::vector<std::function<void()>> saves;
  for (std::size_t i = 0; i < values.size(); ++i)
    saves.push_back([&, i] {
      DataValueWrite w;
      w.key = keys[i];
      w.value = values[i];
      answers[i] = store_->WriteDataValues({&w, 1}, "clerk", 4000);
    });
  const std::size_t waiting = SaveBehindTheWriter(saves);
  store_->SetDataValueListener(nullptr);
  ASSERT_EQ(waiting, values.size());
  EXPECT_TRUE(answers[0].ok()) << answers[0].status().ToString();
  EXPECT_FALSE(answers[1].ok());
  EXPECT_TRUE(answers[2].ok()) << answers[2].status().ToString();
  EXPECT_EQ(heard, (std::vector<std::size_t>{1, 1}));  // the two saves, each its own commit
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto v = store_->GetDataValue(keys[i]);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->has_value(), i != 1) << i;
    if (i != 1 && v->has_value()) {
      EXPECT_EQ((*v)->value, values[i]);
    }
  }
}

// A data element or option combo (alone or with its category combo) that values refer to, live
// or deleted, is not deleted, on both stores alike (on PostgreSQL without foreign keys on
// data_value since migration 0009); org units are never deleted this way; once nothing refers
// to them they go.
TEST_P(DataValueStoreTest, DeletingWhatValuesReferToIsRefusedAlikeOnBothStores) {
  MetadataRecords r;
  CategoryOptionRecord young, old;
  young.uid = "coYoung0001";
  young.name = young.short_name = "0-4岁";
  old.uid = "coOld000001";
  old.name = old.short_name = "5岁以上";
  r.category_options = {young, old};
  CategoryRecord age;
  age.uid = "caAge000001";
  age.name = "年龄";
  age.option_uids = {young.uid, old.uid};
  r.categories = {age};
  CategoryComboRecord combo;
  combo.uid = "ccAge000001";
  combo.name = "年龄组";
  combo.category_uids = {age.uid};
  r.category_combos = {combo};
  for (const auto& o : {young, old}) {
    CategoryOptionComboRecord c;
    c.uid = "cc" + o.uid.substr(2);
    c.name = o.name;
    c.combo_uid = combo.uid;
    c.option_uids = {o.uid};
    r.category_option_combos.push_back(c);
  }
  DataElementRecord de;
  de.uid = "deByAge0001";
  de.name = de.short_name = "按年龄接诊人数";
  de.combo_uid = combo.uid;
  r.data_elements = {de};
  ASSERT_TRUE(store_->UpsertMetadata(r).ok());
  auto cat = metadata::Catalog::Load(*store_);
  ASSERT_TRUE(cat.ok());
  DataValueWrite w;
  w.key = key_;
  w.key.data_element_id = (*cat)->DataElements().ByUid(de.uid)->id;
  w.key.coc_id = (*cat)->CategoryOptionCombos().ByUid("ccYoung0001")->id;
  w.value = "3";
  ASSERT_TRUE(store_->WriteDataValues({&w, 1}, "tester", 1).ok());
  ASSERT_EQ(Write("1")->imported, 1);  // key_: TC_DONE with the default combo
  w.mode = WriteMode::kDelete;
  ASSERT_EQ(store_->WriteDataValues({&w, 1}, "tester", 2)->deleted, 1);  // deleted, still there

  const std::string refused = "other records still refer to it (data values of the ";
  for (const auto& [collection, uid, what] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"dataElements", "deAAAAAAAAA", "data element)"},
           {"dataElements", de.uid, "data element)"},
           {"categoryOptionCombos", "ccYoung0001", "option combo)"},
           {"categoryCombos", combo.uid, "option combo)"}}) {
    Status s = store_->DeleteMetadataObject(collection, uid);
    EXPECT_EQ(s.code(), StatusCode::kConflict) << collection << " " << uid;
    EXPECT_EQ(s.message(), refused + what) << collection << " " << uid;
  }
  Status unit = store_->DeleteMetadataObject("organisationUnits", "15");
  EXPECT_EQ(unit.code(), StatusCode::kInvalidArgument) << unit.ToString();
  auto kept = metadata::Catalog::Load(*store_);
  ASSERT_TRUE(kept.ok());
  EXPECT_NE((*kept)->DataElements().ByUid(de.uid), nullptr);
  EXPECT_NE((*kept)->DataElements().ByUid("deAAAAAAAAA"), nullptr);
  EXPECT_EQ((*kept)->CombosOf(combo.uid).size(), 2u);
  EXPECT_EQ((*kept)->org_units().size(), 1u);
  EXPECT_EQ(*store_->CountDataValues(true), 2);
  // Nothing refers to the other option combo: it goes.
  EXPECT_TRUE(store_->DeleteMetadataObject("categoryOptionCombos", "ccOld000001").ok());
}

TEST_P(DataValueStoreTest, ListenerHearsCommitsAndAnUncommittedImportLeavesNothing) {
  std::vector<DataValueChange> heard;
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool) {
    for (auto& c : changes) heard.push_back(std::move(c));
  });
  ASSERT_EQ(Write("7")->imported, 1);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].value, "7");
  {
    auto writer =
        store_->BeginDataValueImport("importer", "imp00000001", 2000, ImportWriter::kBeside);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    DataValueWrite w;
    w.key = key_;
    w.value = "99";
    ASSERT_TRUE((*writer)->Write({&w, 1}, nullptr).ok());
  }  // destroyed without Commit: rolled back, nobody hears of it
  EXPECT_EQ((*store_->GetDataValue(key_))->value, "7");
  EXPECT_EQ(heard.size(), 1u);
  auto writer =
      store_->BeginDataValueImport("importer", "imp00000002", 3000, ImportWriter::kBeside);
  ASSERT_TRUE(writer.ok());
  DataValueWrite w;
  w.key = key_;
  w.value = "8";
  ASSERT_EQ((*writer)->Write({&w, 1}, nullptr)->updated, 1);
  DataImportRecord summary{"imp00000002", "importer", "json", 3000, "SUCCESS", "{}"};
  AuditRecord audit;
  audit.type = "IMPORT";
  audit.username = "importer";
  audit.created = 3000;
  ASSERT_TRUE((*writer)->CommitWith(&summary, &audit).ok());
  EXPECT_EQ((*store_->GetDataValue(key_))->import_id, "imp00000002");
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1].value, "8");
  EXPECT_EQ((*store_->FindImport("imp00000002"))->status, "SUCCESS");
  EXPECT_GE(*store_->LatestChangeSeq(), 2);
}

// The change log lists the keys of the values each transaction changed (migration 0030), so
// that another server applies them instead of rebuilding its engine from the whole table.
std::vector<DataValueKey> LoggedValueKeys(Store& store, std::int64_t after, bool* listed) {
  auto rows = store.ChangesSince(after, 1000);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<DataValueKey> keys;
  *listed = true;
  if (!rows.ok()) return keys;
  for (const auto& r : *rows) {
    if (r.kind != "values") continue;
    *listed = *listed && r.keys_listed;
    keys.insert(keys.end(), r.keys.begin(), r.keys.end());
  }
  return keys;
}

TEST_P(DataValueStoreTest, TheChangeLogListsTheKeysOfTheValuesATransactionChanged) {
  bool listed = false;
  std::int64_t seen = *store_->LatestChangeSeq();
  ASSERT_EQ(Write("10")->imported, 1);
  EXPECT_EQ(LoggedValueKeys(*store_, seen, &listed), std::vector<DataValueKey>{key_});
  EXPECT_TRUE(listed);
  seen = *store_->LatestChangeSeq();
  ASSERT_EQ(Write("10")->updated, 1);  // unchanged: nothing written, no row
  EXPECT_EQ(*store_->LatestChangeSeq(), seen);
  ASSERT_EQ(Write("", true)->deleted, 1);
  EXPECT_EQ(LoggedValueKeys(*store_, seen, &listed), std::vector<DataValueKey>{key_});
  EXPECT_TRUE(listed);
  // Two writes in one transaction: every key they changed (PostgreSQL writes one row for both).
  const auto months = MonthKeys(2);
  seen = *store_->LatestChangeSeq();
  Status both = store_->InOneTransaction([&]() -> Status {
    for (const auto& k : months) {
      DataValueWrite w;
      w.key = k;
      w.value = "3";
      WJ_RETURN_IF_ERROR(store_->WriteDataValues({&w, 1}, "tester", 2000).status());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(both.ok()) << both.ToString();
  EXPECT_EQ(LoggedValueKeys(*store_, seen, &listed), months);
  EXPECT_TRUE(listed);
  // Metadata rows list no values.
  seen = *store_->LatestChangeSeq();
  std::vector<OrgUnitRecord> unit = {CodedUnit("1501", "15", 2)};
  ASSERT_TRUE(store_->InsertOrgUnits(unit).ok());
  auto rows = store_->ChangesSince(seen, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].kind, "metadata");
  EXPECT_FALSE((*rows)[0].keys_listed);
  // A change of the site's content: a row of its own, naming no value.
  seen = *store_->LatestChangeSeq();
  ASSERT_TRUE(store_->LogContentChange().ok());
  rows = store_->ChangesSince(seen, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].kind, "content");
  EXPECT_EQ((*rows)[0].origin, store_->ChangeOrigin());
  EXPECT_TRUE((*rows)[0].keys.empty());
}

// The change log is pruned (App::PruneChangeLog, hourly): only a prefix of the oldest rows goes
// (the first row written since `before` stops it, so an old row after it stays), in bounded
// batches, never the newest (so LatestChangeSeq stays); a reader that had not seen what went is
// told ("pruned"), exactly when the hole is after the last row it saw.
TEST_P(DataValueStoreTest, APrunedChangeLogKeepsItsNewestRowAndTellsAReaderItMissedRows) {
  // Dates rows through another connection, as if written at other times.
  auto sql = [&](const std::string& text) {
    if (GetParam() == "sqlite") {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(dir_.File("v.db").c_str(), &db), SQLITE_OK);
      sqlite3_busy_timeout(db, 5000);
      EXPECT_EQ(sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << text;
      sqlite3_close(db);
    } else {
      auto db = PgDb::Open(address_);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      EXPECT_TRUE(db->Exec(text.c_str()).ok()) << text;
    }
  };
  const std::int64_t start = *store_->LatestChangeSeq();
  for (int i = 0; i < 5; ++i) {
    std::vector<OrgUnitRecord> unit = {CodedUnit("P" + std::to_string(1500 + i), "15", 2)};
    ASSERT_TRUE(store_->InsertOrgUnits(unit).ok());
  }
  auto all = store_->ChangesSince(0, 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_GE(all->size(), 5u);
  ASSERT_EQ(all->front().kind, "metadata");  // nothing pruned yet: no marker
  const std::int64_t first = all->front().seq, newest = all->back().seq;
  ASSERT_EQ(*store_->LatestChangeSeq(), newest);
  std::vector<std::int64_t> mine;  // the five rows written here
  for (const auto& r : *all)
    if (r.seq > start) mine.push_back(r.seq);
  ASSERT_EQ(mine.size(), 5u);
  // Every row written two days ago but the third of these five, written an hour from now.
  const std::int64_t now = NowMillis();
  sql("UPDATE change_log SET created = " + std::to_string(now - 2 * 86'400'000));
  sql("UPDATE change_log SET created = " + std::to_string(now + 3'600'000) +
      " WHERE seq = " + std::to_string(mine[2]));

  // Rows written from `before` on stay: every row is younger than three days.
  EXPECT_EQ(*store_->PruneChangeLog(now - 3 * 86'400'000, 100), 0);
  // A batch of one deletes the oldest row only.
  EXPECT_EQ(*store_->PruneChangeLog(now, 1), 1);
  // A reader that had seen it misses nothing; one that had not is told, first.
  auto rows = store_->ChangesSince(first, 1000);
  ASSERT_TRUE(rows.ok());
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ(rows->front().seq, first + 1);
  EXPECT_NE(rows->front().kind, "pruned");
  rows = store_->ChangesSince(first - 1, 1000);
  ASSERT_TRUE(rows.ok());
  ASSERT_GE(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].kind, "pruned");
  EXPECT_EQ((*rows)[0].seq, first);
  EXPECT_EQ((*rows)[1].seq, first + 1);

  // The rest of the prefix goes, up to the young row: it and the old rows after it stay.
  auto pruned = store_->PruneChangeLog(now, 1000);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, static_cast<int>(std::count_if(all->begin(), all->end(), [&](const auto& r) {
    return r.seq > first && r.seq < mine[2];
  })));
  rows = store_->ChangesSince(mine[1], 1000);  // had seen the last row that went
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].seq, mine[2]);
  EXPECT_EQ((*rows)[1].seq, mine[3]);
  EXPECT_EQ((*rows)[2].seq, mine[4]);

  // Once the young row is old too, everything goes but the newest row.
  sql("UPDATE change_log SET created = " + std::to_string(now - 2 * 86'400'000) +
      " WHERE seq = " + std::to_string(mine[2]));
  EXPECT_EQ(*store_->PruneChangeLog(now, 1000), 2);
  EXPECT_EQ(*store_->PruneChangeLog(now, 1000), 0);
  EXPECT_EQ(*store_->LatestChangeSeq(), newest);
  rows = store_->ChangesSince(mine[2], 1000);  // had not seen mine[3]
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].kind, "pruned");
  EXPECT_EQ((*rows)[0].seq, newest - 1);
  EXPECT_EQ((*rows)[1].seq, newest);
  EXPECT_EQ((*rows)[1].kind, "metadata");
  rows = store_->ChangesSince(mine[3], 1000);  // had seen all but the newest
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].seq, newest);
  rows = store_->ChangesSince(newest, 1000);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST_P(DataValueStoreTest, AWriteOfMoreValuesThanAreWorthListingListsNone) {
  // kMaxLoggedValueKeys + 1 values: one a unit, units made in one call.
  std::vector<OrgUnitRecord> units;
  for (std::size_t i = 0; i <= kMaxLoggedValueKeys; ++i)
    units.push_back(CodedUnit("V" + std::to_string(100000 + i), "15", 2));
  ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
  auto loaded = store_->LoadOrgUnits();
  ASSERT_TRUE(loaded.ok());
  std::vector<DataValueWrite> writes;
  for (const auto& u : *loaded) {
    if (u.code == "15") continue;
    DataValueWrite w;
    w.key = key_;
    w.key.org_unit_id = u.id;
    w.value = "1";
    writes.push_back(w);
  }
  ASSERT_EQ(writes.size(), kMaxLoggedValueKeys + 1);
  const std::int64_t seen = *store_->LatestChangeSeq();
  auto wrote = store_->WriteDataValues(writes, "tester", 3000);
  ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
  bool listed = true;
  EXPECT_TRUE(LoggedValueKeys(*store_, seen, &listed).empty());
  EXPECT_FALSE(listed) << "a reader must rebuild: the row cannot say what changed";
  // One value fewer is listed whole.
  const DataValueWrite last = writes.back();  // still stored, as "1"
  writes.pop_back();
  for (auto& w : writes) w.value = "2";
  const std::int64_t next = *store_->LatestChangeSeq();
  ASSERT_TRUE(store_->WriteDataValues(writes, "tester", 4000).ok());
  EXPECT_EQ(LoggedValueKeys(*store_, next, &listed).size(), kMaxLoggedValueKeys);
  EXPECT_TRUE(listed);
  auto plain = store_->ChangesSince(seen, 1);
  ASSERT_TRUE(plain.ok() && plain->size() == 1u);
  EXPECT_EQ((*plain)[0].import_uid, "");  // not an import: nothing to read but the whole table

  // An import of as many names itself instead, and its values are read alone (another server
  // applies them to its engine without a rebuild), a deletion among them, and a value written
  // since by anyone else no more.
  writes.push_back(last);
  writes.back().mode = WriteMode::kDelete;
  for (std::size_t i = 0; i + 1 < writes.size(); ++i) writes[i].value = std::to_string(1000 + i);
  const std::int64_t before_import = *store_->LatestChangeSeq();
  {
    auto writer =
        store_->BeginDataValueImport("tester", "ImportUid01", 5000, ImportWriter::kBeside);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    auto counts = (*writer)->Write(writes, nullptr);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  auto rows = store_->ChangesSince(before_import, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0].keys_listed);
  EXPECT_EQ((*rows)[0].import_uid, "ImportUid01");
  DataValueWrite since = writes[1];
  since.value = "written since";
  ASSERT_TRUE(store_->WriteDataValues({&since, 1}, "tester", 6000).ok());
  std::map<std::int64_t, std::pair<std::string, bool>> read;  // by unit: one value a unit
  ASSERT_TRUE(store_
                  ->ScanImportValues(
                      "ImportUid01",
                      [&](const DataValueKey& k, std::string_view v, bool deleted) {
                        EXPECT_EQ(k.period_id, key_.period_id);
                        read[k.org_unit_id] = {std::string(v), deleted};
                        return Status::Ok();
                      },
                      nullptr)
                  .ok());
  ASSERT_EQ(read.size(), writes.size() - 1);
  EXPECT_EQ(read.count(since.key.org_unit_id), 0u);
  EXPECT_EQ(read[writes[0].key.org_unit_id], std::make_pair(std::string("1000"), false));
  EXPECT_EQ(read[writes[2].key.org_unit_id], std::make_pair(std::string("1002"), false));
  EXPECT_TRUE(read[last.key.org_unit_id].second);  // deleted by the import
  // An import that wrote nothing reads nothing; nor does an empty uid, which the values saved
  // one by one carry.
  for (const char* uid : {"NoSuchImprt", ""}) {
    std::size_t none = 0;
    ASSERT_TRUE(store_
                    ->ScanImportValues(
                        uid,
                        [&](const DataValueKey&, std::string_view, bool) {
                          ++none;
                          return Status::Ok();
                        },
                        nullptr)
                    .ok());
    EXPECT_EQ(none, 0u) << "uid \"" << uid << "\"";
  }
  if (GetParam() == "postgres") {
    // PostgreSQL finds an import's rows through an index (migration 0014), not by a pass over
    // the whole table: that pass, at 10.5M values, took two seconds of the database's CPU from
    // every save just after a month-end import (bench/README.md, (c), session 27).
    auto db = PgDb::Open(address_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("ANALYZE data_value").ok());
    auto plan = db->Prepare(
        "EXPLAIN SELECT value FROM data_value WHERE import_id = 'NoSuchImprt' AND import_id <> ''");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    std::string lines;
    for (auto row = plan->Step(); row.ok() && *row; row = plan->Step()) lines += plan->Text(0);
    EXPECT_NE(lines.find("data_value_import"), std::string::npos) << lines;
  }
}

TEST_P(DataValueStoreTest, StoredValuesAreReportedToTheListenerAsTheyStand) {
  std::vector<DataValueChange> heard;
  EXPECT_TRUE(store_->ReportStoredValues({&key_, 1}).ok());  // no listener: nothing
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool overflow) {
    EXPECT_FALSE(overflow);
    for (auto& c : changes) heard.push_back(std::move(c));
  });
  ASSERT_EQ(Write("7")->imported, 1);
  heard.clear();
  DataValueKey never = key_;
  never.period_id = MonthKeys(1)[0].period_id;
  const std::vector<DataValueKey> keys = {key_, never};
  ASSERT_TRUE(store_->ReportStoredValues(keys).ok());
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[0].key, key_);
  EXPECT_EQ(heard[0].value, "7");
  EXPECT_FALSE(heard[0].deleted);
  EXPECT_EQ(heard[1].key, never);
  EXPECT_TRUE(heard[1].deleted) << "a value never stored is reported as none";
  ASSERT_EQ(Write("", true)->deleted, 1);
  heard.clear();
  ASSERT_TRUE(store_->ReportStoredValues({&key_, 1}).ok());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_TRUE(heard[0].deleted);
  store_->SetDataValueListener(nullptr);
}

// A unit's values by each combination of filters (one prepared statement per combination).
TEST_P(DataValueStoreTest, AUnitsValuesAreListedByPeriodElementBothOrNeither) {
  const auto months = MonthKeys(3);
  for (const auto& k : months) {
    DataValueWrite w;
    w.key = k;
    w.value = "4";
    ASSERT_TRUE(store_->WriteDataValues({&w, 1}, "tester", 1000).ok());
  }
  DataValueWrite gone;
  gone.key = months[2];
  gone.mode = WriteMode::kDelete;
  ASSERT_TRUE(store_->WriteDataValues({&gone, 1}, "tester", 1001).ok());
  const std::int64_t ou = key_.org_unit_id, pe = months[0].period_id, de = key_.data_element_id;
  auto count = [&](std::optional<std::int64_t> p, std::optional<std::int64_t> d) {
    auto rows = store_->ListUnitValues(ou, p, d);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? rows->size() : 0u;
  };
  EXPECT_EQ(count(std::nullopt, std::nullopt), 2u);  // the deleted one left out
  EXPECT_EQ(count(pe, std::nullopt), 1u);
  EXPECT_EQ(count(std::nullopt, de), 2u);
  EXPECT_EQ(count(pe, de), 1u);
  EXPECT_EQ(count(pe, de + 1000), 0u);
  EXPECT_EQ(count(std::nullopt, de + 1000), 0u);
  EXPECT_EQ(store_->ListUnitValues(ou + 1000, std::nullopt, de)->size(), 0u);
}

TEST_P(DataValueStoreTest, AuditChainsHoldAndActionsAreAllOrNothing) {
  ASSERT_EQ(Write("1")->imported, 1);
  ASSERT_EQ(Write("2")->updated, 1);
  for (int i = 0; i < 3; ++i) {
    AuditRecord a;
    a.type = "USER";
    a.username = "审计员";
    a.org_unit_id = key_.org_unit_id;
    a.detail = "第" + std::to_string(i) + "次";
    a.created = 100 + i;
    ASSERT_TRUE(store_->AppendAudit(a).ok());
  }
  // An action that fails half-way keeps nothing, its audit row included.
  Status failed = store_->InOneTransaction([&]() -> Status {
    AuditRecord a;
    a.type = "USER";
    a.username = "x";
    a.created = 200;
    WJ_RETURN_IF_ERROR(store_->AppendAudit(a));
    WJ_RETURN_IF_ERROR(store_->SaveSiteSettings({{"site.name", "不应留下"}}));
    return Internal("changed my mind");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(store_->LoadSiteSettings()->empty());
  auto audits = store_->ListAudits({});
  ASSERT_TRUE(audits.ok());
  ASSERT_EQ(audits->size(), 3u);
  EXPECT_EQ((*audits)[0].detail, "第2次");  // newest first
  EXPECT_EQ((*audits)[1].prev_hash, (*audits)[2].hash);
  auto checks = store_->VerifyAuditChains();
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 2u);
  for (const auto& c : *checks) EXPECT_FALSE(c.first_broken_id.has_value()) << c.table;
  EXPECT_EQ((*checks)[0].rows, 3);
  EXPECT_EQ((*checks)[1].rows, 2);  // CREATE and UPDATE of the value
}

TEST_P(StoreContractTest, UsersAreUniqueRegardlessOfCaseAndSessionsRevoke) {
  UserRecord u;
  u.uid = "userAAAAAAA";
  u.username = "Clerk";
  u.password_hash = "h";
  u.roles = {"entry", "viewer"};
  u.created = 1;
  auto id = store_->CreateUser(u);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  u.uid = "userBBBBBBB";
  u.username = "clerk";
  EXPECT_EQ(store_->CreateUser(u).status().code(), StatusCode::kConflict);
  auto found = store_->FindUser("Clerk");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->roles, (std::vector<std::string>{"entry", "viewer"}));
  ASSERT_TRUE(store_->CreateSession({"s1", *id, "c", 1, 1, ""}).ok());
  ASSERT_TRUE(store_->CreateSession({"s2", *id, "c", 1, 1, ""}).ok());
  ASSERT_TRUE(store_->CreateApiToken({0, "tokAAAAAAAA", *id, "t", "th", 9, 1}).ok());
  ASSERT_TRUE(store_->RevokeUserCredentials(*id, "s2").ok());
  EXPECT_FALSE(store_->FindSession("s1")->has_value());
  EXPECT_TRUE(store_->FindSession("s2")->has_value());
  EXPECT_TRUE(store_->ListApiTokens(*id)->empty());
  EXPECT_EQ(store_->DeleteApiToken("tokAAAAAAAA", *id).code(), StatusCode::kNotFound);
}

// Every request signed in by a session or a token reads its user by id in one statement: the
// record is the one read by name (roles in order, capture and view units each in order), a user
// without roles or units has none, and an id nobody has finds nobody.
TEST_P(StoreContractTest, AUserReadByIdIsTheUserReadByName) {
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2),
                                      CodedUnit("1507", "15", 2)};
  ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
  auto loaded = store_->LoadOrgUnits();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::vector<std::int64_t> ids;
  for (const auto& r : *loaded) ids.push_back(r.id);
  ASSERT_EQ(ids.size(), 3u);
  UserRecord u;
  u.uid = "userIdRead1";
  u.username = "officer";
  u.display_name = "苏和";
  u.password_hash = "h1";
  u.roles = {"viewer", "approver", "entry"};
  u.capture_org_unit_ids = {ids[2], ids[1]};
  u.view_org_unit_ids = {ids[0], ids[2]};
  u.created = 7;
  auto id = store_->CreateUser(u);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  UserRecord bare;
  bare.uid = "userIdRead2";
  bare.username = "bare";
  bare.password_hash = "h2";
  bare.created = 8;
  auto bare_id = store_->CreateUser(bare);
  ASSERT_TRUE(bare_id.ok()) << bare_id.status().ToString();
  auto fields = [](const UserRecord& r) {
    return std::tie(r.id, r.uid, r.username, r.display_name, r.password_hash, r.disabled, r.roles,
                    r.capture_org_unit_ids, r.view_org_unit_ids, r.created);
  };
  auto by_id = store_->FindUserById(*id);
  auto by_name = store_->FindUser("officer");
  ASSERT_TRUE(by_id.ok() && by_id->has_value()) << by_id.status().ToString();
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_TRUE(fields(**by_id) == fields(**by_name));
  EXPECT_EQ((*by_id)->roles, (std::vector<std::string>{"approver", "entry", "viewer"}));
  std::vector<std::int64_t> capture = {ids[1], ids[2]}, view = {ids[0], ids[2]};
  EXPECT_EQ((*by_id)->capture_org_unit_ids, capture);
  EXPECT_EQ((*by_id)->view_org_unit_ids, view);
  EXPECT_EQ((*by_id)->display_name, "苏和");
  auto bare_by_id = store_->FindUserById(*bare_id);
  ASSERT_TRUE(bare_by_id.ok() && bare_by_id->has_value());
  EXPECT_TRUE(fields(**bare_by_id) == fields(**store_->FindUser("bare")));
  EXPECT_TRUE((*bare_by_id)->roles.empty());
  EXPECT_TRUE((*bare_by_id)->capture_org_unit_ids.empty());
  EXPECT_TRUE((*bare_by_id)->view_org_unit_ids.empty());
  auto nobody = store_->FindUserById(*bare_id + 1000);
  ASSERT_TRUE(nobody.ok()) << nobody.status().ToString();
  EXPECT_FALSE(nobody->has_value());
}

TEST_P(StoreContractTest, ArticleSearchFindsTheSameArticlesOnBothStores) {
  // The tokens are portal::SearchTokens' bigrams, as portal/site.cc writes them; queries are
  // portal::SearchQuery's quoted phrases.
  auto save = [&](const std::string& uid, const std::string& title, const std::string& tokens) {
    ArticleRecord a;
    a.uid = uid;
    a.column_code = "news";
    a.title = title;
    a.body_md = title;
    a.status = "published";
    a.search_title = tokens;
    a.search_body = "";
    return store_->SaveArticle(a, nullptr);
  };
  ASSERT_TRUE(save("artAAAAAAAA", "两癌筛查", "两癌 癌筛 筛查").ok());
  ASSERT_TRUE(save("artBBBBBBBB", "筛查两癌", "筛查 查两 两癌").ok());
  ASSERT_TRUE(save("artCCCCCCCC", "癌症 covid19", "癌症 covid19").ok());
  auto search = [&](const std::string& q) {
    ArticleFilter f;
    f.search = q;
    f.now = 10;
    std::int64_t total = 0;
    std::vector<std::string> uids;
    auto list = store_->ListArticles(f, &total);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok())
      for (const auto& a : *list) uids.push_back(a.uid);
    std::sort(uids.begin(), uids.end());
    EXPECT_EQ(total, static_cast<std::int64_t>(uids.size()));
    return uids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search("\"两癌 癌筛\""), (V{"artAAAAAAAA"}));                     // a phrase, in order
  EXPECT_EQ(search("\"两癌\""), (V{"artAAAAAAAA", "artBBBBBBBB"}));           // one token
  EXPECT_EQ(search("\"两癌\" \"筛查\""), (V{"artAAAAAAAA", "artBBBBBBBB"}));  // every phrase
  EXPECT_EQ(search("\"癌筛 两癌\""), V{});                                    // not adjacent
  EXPECT_EQ(search("\"covid19\""), (V{"artCCCCCCCC"}));
  EXPECT_EQ(search("\"covid\""), V{});  // whole tokens only
  EXPECT_EQ(search(""), (V{"artAAAAAAAA", "artBBBBBBBB", "artCCCCCCCC"}));
}

TEST_P(StoreContractTest, AttachmentBytesComeBackUnchanged) {
  std::string bytes;
  for (int i = 0; i < 512; ++i) bytes.push_back(static_cast<char>(i % 256));
  AttachmentRecord a;
  a.uid = "attAAAAAAAA";
  a.name = "表.bin";
  a.content_type = "application/octet-stream";
  a.bytes = bytes;
  a.created_by = "x";
  ASSERT_TRUE(store_->SaveAttachment(a).ok());
  auto back = store_->FindAttachment("attAAAAAAAA");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->bytes, bytes);
  EXPECT_EQ((*back)->size, 512);
}

TEST_P(DataValueStoreTest, LockedDatabaseGivesCleanUnavailableAndNoChange) {
  ASSERT_EQ(Write("1")->imported, 1);
  Result<WriteCounts> r = WriteCounts{};
  if (GetParam() == "sqlite") {
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.File("v.db").c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    r = Write("2");  // waits for the busy timeout, then gives up
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
  } else {
    // Another server's transaction holds the table: the write waits lock_timeout (5 s, as
    // SQLite's busy timeout), then gives up.
    auto other = PgDb::Open(address_);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    ASSERT_TRUE(other->Exec("BEGIN").ok());
    ASSERT_TRUE(other->Exec("LOCK TABLE data_value IN ACCESS EXCLUSIVE MODE").ok());
    r = Write("2");
    ASSERT_TRUE(other->Exec("ROLLBACK").ok());
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("busy"), std::string::npos) << r.status().message();
  EXPECT_EQ((*store_->GetDataValue(key_))->value, "1");
}

// A batch large enough for PostgreSQL's bulk path (COPY, then one INSERT … SELECT): the same
// counts, values, history and chain as writing the rows one by one, on both stores — a key
// written twice, a delete before a create of the same key, a create-only on a stored value.
TEST_P(DataValueStoreTest, ABatchOfManyWritesEndsAsWrittenOneByOne) {
  ASSERT_EQ(Write("5")->imported, 1);                    // key_ (202407) is stored before the batch
  const std::vector<DataValueKey> keys = MonthKeys(40);  // 2021-01 … 2024-04
  std::vector<DataValueWrite> batch;
  auto add = [&](const DataValueKey& k, const std::string& v, WriteMode mode) {
    DataValueWrite w;
    w.key = k;
    w.value = v;
    w.comment = v == "tab" ? "a\tb\nc\\d" : "";
    w.mode = mode;
    batch.push_back(w);
  };
  add(keys[1], "0", WriteMode::kDelete);  // nothing to delete yet: ignored, then created below
  for (std::size_t i = 0; i < keys.size(); ++i)
    add(keys[i], i == 3 ? "tab" : std::to_string(i), WriteMode::kUpsert);
  add(keys[0], "100", WriteMode::kUpsert);  // written twice: updated
  add(keys[2], "0", WriteMode::kDelete);    // created earlier in the batch: deleted
  add(key_, "6", WriteMode::kCreateOnly);   // stored before: ignored
  add(keys[4], "4", WriteMode::kUpsert);    // unchanged: counted as updated, not written
  auto counts = store_->WriteDataValues(batch, "tester", 2000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->imported, 40);
  EXPECT_EQ(counts->updated, 2);
  EXPECT_EQ(counts->deleted, 1);
  EXPECT_EQ(counts->ignored, 2);
  EXPECT_EQ((*store_->GetDataValue(keys[0]))->value, "100");
  EXPECT_EQ((*store_->GetDataValue(keys[1]))->value, "1");
  EXPECT_TRUE((*store_->GetDataValue(keys[2]))->deleted);
  EXPECT_EQ((*store_->GetDataValue(keys[3]))->comment, "a\tb\nc\\d");
  EXPECT_EQ((*store_->GetDataValue(key_))->value, "5");
  auto history = store_->DataValueHistory(keys[0]);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);  // CREATE 0, UPDATE 0 → 100
  auto checks = store_->VerifyAuditChains();
  ASSERT_TRUE(checks.ok());
  for (const auto& c : *checks) EXPECT_FALSE(c.first_broken_id.has_value()) << c.table;
  EXPECT_EQ((*checks)[1].rows, 1 + 40 + 1 + 1);  // key_, 40 creates, an update, a delete
}

// An engine build scans the whole table: every live value once, and, on PostgreSQL, through a
// cursor a batch at a time instead of one result holding the table (libpq keeps a result whole,
// about 280 bytes a value here: 5-6 GB at the 20M values of bench/pg_analytics.bench.sh). The
// heap in use when the first value reaches the sink says which: the whole table (about 28 MB for
// these 100,000 values) or one batch (about 6 MB).
TEST_P(DataValueStoreTest, AWholeTableScanHoldsABatchNotTheTable) {
  std::vector<OrgUnitRecord> units;
  for (int u = 0; u < 1000; ++u) {
    char code[16];
    std::snprintf(code, sizeof code, "15%07d", u);
    units.push_back(CodedUnit(code, "15", 2));
  }
  ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
  auto cat = metadata::Catalog::Load(*store_);
  ASSERT_TRUE(cat.ok());
  std::vector<DataValueWrite> batch;
  for (int m = 1; m <= 100; ++m) {
    const std::string iso =
        std::to_string(2000 + m / 12) + (m % 12 < 9 ? "0" : "") + std::to_string(m % 12 + 1);
    auto pe = store_->EnsurePeriod({0, iso, "Monthly", "2000-01-01", "2000-01-28"});
    ASSERT_TRUE(pe.ok()) << pe.status().ToString();
    for (const auto& u : units) {
      DataValueWrite w;
      w.key = key_;
      w.key.period_id = *pe;
      w.key.org_unit_id = (*cat)->OrgUnits().ByCode(u.code)->id;
      w.value = std::to_string(m);
      batch.push_back(std::move(w));
    }
  }
  ASSERT_EQ(store_->WriteDataValues(batch, "tester", 1000)->imported, 100'000);
  ASSERT_EQ(Write("1", /*remove=*/false)->imported, 1);
  ASSERT_EQ(Write("", /*remove=*/true)->deleted, 1);  // a deleted value is not scanned
  const DataValueKey first = batch.front().key;       // its value is "1"
  batch = {};

  const auto heap = [] {
    struct mallinfo2 m = mallinfo2();
    return static_cast<std::int64_t>(m.uordblks + m.hblkhd);
  };
  const std::int64_t before = heap();
  std::int64_t at_first = -1, count = 0, sum = 0;
  Status s = store_->ScanDataValues([&](const DataValueRecord& v) {
    if (at_first < 0) at_first = heap();
    ++count;
    sum += std::stoll(v.value);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(count, 100'000);
  EXPECT_EQ(sum, 1000 * 5050);
  EXPECT_LT(at_first - before, 12 << 20) << "bytes in use at the first value";

  // The engine's scan of keys and values (ScanValueCells; one COPY on PostgreSQL): the same
  // values, nothing held whole either, and one snapshot: a write that commits through another
  // thread while the scan runs (a new value, a value deleted) is not seen, and is not stalled
  // by the scan.
  auto pe = store_->EnsurePeriod({0, "199912", "Monthly", "1999-12-01", "1999-12-31"});
  ASSERT_TRUE(pe.ok()) << pe.status().ToString();
  std::vector<DataValueWrite> during(2);
  during[0].key = key_;
  during[0].key.period_id = *pe;
  during[0].value = "1000000";
  during[1].key = first;
  during[1].mode = WriteMode::kDelete;
  ASSERT_TRUE(store_->GetDataValue(during[1].key)->has_value());
  at_first = -1, count = 0, sum = 0;
  Result<WriteCounts> wrote = WriteCounts{};
  s = store_->ScanValueCells([&](const DataValueKey& k, std::string_view value) {
    if (at_first < 0) {
      at_first = heap();
      std::thread([&] { wrote = store_->WriteDataValues(during, "tester", 2000); }).join();
    }
    EXPECT_NE(k.period_id, *pe);
    ++count;
    sum += std::stoll(std::string(value));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
  EXPECT_EQ(wrote->imported, 1);
  EXPECT_EQ(wrote->deleted, 1);
  EXPECT_EQ(count, 100'000);
  EXPECT_EQ(sum, 1000 * 5050);
  EXPECT_LT(at_first - before, 12 << 20) << "bytes in use at the first value";
  count = 0;
  ASSERT_TRUE(store_
                  ->ScanValueCells([&](const DataValueKey&, std::string_view) {
                    ++count;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(count, 100'000);  // one more, one fewer: seen by the next scan
  EXPECT_FALSE(store_->GetDataValue(first)->has_value() &&
               !(*store_->GetDataValue(first))->deleted);
}

// ScanValueCells gives each live value's key and its text exactly as stored, whatever bytes it
// holds (PostgreSQL's COPY escapes tabs, newlines and backslashes; they are read back), the same
// as ScanDataValues.
TEST_P(DataValueStoreTest, ValueCellsAreTheLiveValuesAndTheirTextAsStored) {
  const std::vector<std::string> texts = {
      "12.5", "", "a\tb\\c\nd\re", "\\N", "\\x41\\101", "两癌筛查 \x01\x7f", "-0", "true"};
  auto keys = MonthKeys(static_cast<int>(texts.size()) + 1);
  std::vector<DataValueWrite> writes(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    writes[i].key = keys[i];
    writes[i].value = i < texts.size() ? texts[i] : "gone";
  }
  ASSERT_TRUE(store_->WriteDataValues(writes, "tester", 1000).ok());
  writes.back().mode = WriteMode::kDelete;
  ASSERT_EQ(store_->WriteDataValues({&writes.back(), 1}, "tester", 1001)->deleted, 1);
  std::set<
      std::pair<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>,
                std::string>>
      cells, records, written;
  auto tuple = [](const DataValueKey& k) {
    return std::make_tuple(k.data_element_id, k.period_id, k.org_unit_id, k.coc_id, k.aoc_id);
  };
  for (std::size_t i = 0; i < texts.size(); ++i) written.insert({tuple(keys[i]), texts[i]});
  ASSERT_TRUE(store_
                  ->ScanValueCells([&](const DataValueKey& k, std::string_view v) {
                    EXPECT_TRUE(cells.insert({tuple(k), std::string(v)}).second);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(store_
                  ->ScanDataValues([&](const DataValueRecord& v) {
                    records.insert({tuple(v.key), v.value});
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(cells, written);
  EXPECT_EQ(cells, records);
  // An error from the sink ends the scan and is returned; the store goes on working.
  int calls = 0;
  Status stopped = store_->ScanValueCells([&](const DataValueKey&, std::string_view) {
    ++calls;
    return Conflict("enough");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kConflict);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*store_->CountDataValues(false), static_cast<std::int64_t>(texts.size()));
}

// --- Several servers on one PostgreSQL (issue 16 item 3) ---
// Each "server" is a store opened on the same database, as `serve` opens one.
// The children marked from `from` (CoverageMarksFrom), without their sequence numbers.
std::set<std::int64_t> MarkedFrom(Store& store, std::int64_t from) {
  auto m = store.CoverageMarksFrom(from, true);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  std::set<std::int64_t> out;
  if (m.ok())
    for (const auto& [id, seq] : m->marks) out.insert(id);
  return out;
}

// Immunization coverage kept (migration 0028 / PostgreSQL 0008): every write of a child's
// record, doses or holds marks the child in its own transaction, a rolled-back one leaves no
// mark, a key rotation (sealed text only) none either; the inputs come back per child.
TEST_P(StoreContractTest, CoverageMarksFollowEveryWriteOfAChild) {
  Store* store = store_.get();
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2)};
  ASSERT_TRUE(store->InsertOrgUnits(units).ok());
  const auto loaded = *store->LoadOrgUnits();
  const std::int64_t ou = loaded[0].id, other_ou = loaded[1].id;
  AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "tester";
  audit.created = 1;
  auto horizon = [&] {
    auto m = store->CoverageMarksFrom(0, false);
    EXPECT_TRUE(m.ok());
    EXPECT_TRUE(m->marks.empty());
    return m.ok() ? m->next : 0;
  };
  const std::int64_t h0 = horizon();
  auto a = CoverageChild(ou, "teCover0001"), b = CoverageChild(ou, "teCover0002");
  ASSERT_TRUE(store->CreateTrackedEntity(a, audit).ok());
  ASSERT_TRUE(store->CreateTrackedEntity(b, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h0), (std::set<std::int64_t>{a.id, b.id}));

  std::int64_t h = horizon();
  EXPECT_TRUE(MarkedFrom(*store, h).empty());
  auto dose = CoverageDose(a.id, ou, "doseCover01", "HepB", "2024-01-10");
  ASSERT_TRUE(store->AddImmunizationDose(dose, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h), std::set<std::int64_t>{a.id});
  // A write that is rolled back marks nobody.
  h = horizon();
  Status s = store->InOneTransaction([&]() -> Status {
    auto bcg = CoverageDose(b.id, ou, "doseCover02", "BCG", "2024-01-11");
    WJ_RETURN_IF_ERROR(store->AddImmunizationDose(bcg, audit));
    return Conflict("changed my mind");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(MarkedFrom(*store, h).empty());
  // A hold, a move to another unit, a dose removed: each marks its child.
  ImmunizationHoldRecord hold{
      0, "holdCover01", b.id, "MMR", "CONTRAINDICATION", "2024-09-01", "", "过敏", ou, 1, "tester"};
  ASSERT_TRUE(store->AddImmunizationHold(hold, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h), std::set<std::int64_t>{b.id});
  h = horizon();
  auto moved = *store->FindTrackedEntityById(b.id);
  moved->org_unit_id = other_ou;
  moved->updated = 2;
  ASSERT_TRUE(store->UpdateTrackedEntity(*moved, 1, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h), std::set<std::int64_t>{b.id});
  h = horizon();
  ASSERT_TRUE(store->DeleteImmunizationDose(dose.id, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h), std::set<std::int64_t>{a.id});
  // A key rotation rewrites sealed text only: no mark.
  h = horizon();
  auto resealed = *store->FindTrackedEntityById(a.id);
  resealed->sealed = "sealed again";
  ASSERT_TRUE(store->ResealTrackedEntities(std::span(&*resealed, 1), audit).ok());
  EXPECT_TRUE(MarkedFrom(*store, h).empty());

  // The inputs: every child with its doses, or the ones asked for (an unknown id is left out).
  auto more = CoverageDose(b.id, other_ou, "doseCover03", "HepB", "2024-01-12");
  ASSERT_TRUE(store->AddImmunizationDose(more, audit).ok());
  std::vector<CoverageInputRecord> all;
  ASSERT_TRUE(store
                  ->ScanCoverageInputs(nullptr,
                                       [&](const CoverageInputRecord& r) {
                                         all.push_back(r);
                                         return Status::Ok();
                                       })
                  .ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, a.id);
  EXPECT_TRUE(all[0].doses.empty());
  EXPECT_EQ(all[1].id, b.id);
  EXPECT_EQ(all[1].org_unit_id, other_ou);
  EXPECT_EQ(all[1].birth_date, "2024-01-10");
  EXPECT_EQ(all[1].status, "ACTIVE");
  ASSERT_EQ(all[1].doses.size(), 1u);
  EXPECT_EQ(all[1].doses[0], std::make_pair(std::string("HepB"), std::string("2024-01-12")));
  const std::vector<std::int64_t> ids = {b.id, 999999};
  std::vector<std::int64_t> got;
  ASSERT_TRUE(store
                  ->ScanCoverageInputs(&ids,
                                       [&](const CoverageInputRecord& r) {
                                         got.push_back(r.id);
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(got, std::vector<std::int64_t>{b.id});
}

// One value to write to a cell.
DataValueWrite CellWrite(const DataValueKey& key, std::string value) {
  DataValueWrite w;
  w.key = key;
  w.value = std::move(value);
  return w;
}

class SeveralServersTest : public StoreContractTest {
 protected:
  void SetUp() override {
    StoreContractTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto b = OpenStore(address_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    other_ = std::move(*b);
  }
  // A clerk's save of one cell through the first server.
  Result<WriteCounts> Save(const DataValueKey& key, const std::string& value) {
    DataValueWrite w = CellWrite(key, value);
    return store_->WriteDataValues({&w, 1}, "clerk", 1000);
  }
  // An import beside the others through the first server, left open after writing `value` into
  // `key`: it holds that row's lock until it commits.
  Result<std::unique_ptr<DataValueBulkWriter>> ImportHolding(const std::string& uid,
                                                             const DataValueKey& key,
                                                             const std::string& value) {
    auto import = store_->BeginDataValueImport("importer", uid, 2000, ImportWriter::kBeside);
    if (!import.ok()) return import;
    DataValueWrite w = CellWrite(key, value);
    WJ_RETURN_IF_ERROR((*import)->Write({&w, 1}, nullptr).status());
    return import;
  }
  std::unique_ptr<Store> other_;
};

INSTANTIATE_TEST_SUITE_P(Stores, SeveralServersTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

// A transaction that logs its change first but commits last must not be skipped by a reader
// that took the other server's row in between (`seq > last`): the sequence follows commits.
TEST_P(SeveralServersTest, TheChangeLogFollowsTheCommitOrder) {
  const std::int64_t start = *other_->LatestChangeSeq();
  std::int64_t seen = start;
  Status s = store_->InOneTransaction([&]() -> Status {
    std::vector<OrgUnitRecord> mine = {CodedUnit("15", "", 1)};
    WJ_RETURN_IF_ERROR(store_->InsertOrgUnits(mine));  // logs a change, not yet committed
    std::vector<OrgUnitRecord> theirs = {CodedUnit("16", "", 1)};
    WJ_RETURN_IF_ERROR(other_->InsertOrgUnits(theirs));  // the other server commits first
    auto rows = other_->ChangesSince(seen, 100);
    WJ_RETURN_IF_ERROR(rows.status());
    EXPECT_EQ(rows->size(), 1u);
    for (const auto& r : *rows) {
      EXPECT_EQ(r.origin, other_->ChangeOrigin());
      seen = r.seq;
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto rows = other_->ChangesSince(seen, 100);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u) << "the later commit was skipped";
  EXPECT_EQ((*rows)[0].origin, store_->ChangeOrigin());
  EXPECT_EQ(*other_->LatestChangeSeq(), (*rows)[0].seq);
}

// Coverage marks across servers: a child written by a transaction that was running when the
// other server read the marks is in that server's next read (its horizon is the oldest running
// transaction, not the newest mark).
TEST_P(SeveralServersTest, ACoverageMarkCommittedLateIsNotSkipped) {
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
  const std::int64_t ou = (*store_->LoadOrgUnits())[0].id;
  AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "tester";
  audit.created = 1;
  auto a = CoverageChild(ou, "teLate00001"), b = CoverageChild(ou, "teLate00002");
  ASSERT_TRUE(store_->CreateTrackedEntity(a, audit).ok());
  ASSERT_TRUE(store_->CreateTrackedEntity(b, audit).ok());
  auto start = other_->CoverageMarksFrom(0, false);
  ASSERT_TRUE(start.ok());
  std::int64_t next = start->next;
  // A third connection's transaction adds a dose of `a` (its trigger marks a) and stays open; a
  // store's own write would hold the audit chain's lock, which the other server's write waits
  // for.
  auto late = PgDb::Open(address_);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  ASSERT_TRUE(late->Exec("BEGIN").ok());
  {
    auto q = late->Prepare(
        "INSERT INTO immunization_dose(uid, tracked_entity_id, vaccine, given_on, org_unit_id,"
        " created, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)");
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    q->Bind(1, "doseLate001").Bind(2, a.id).Bind(3, "HepB").Bind(4, "2024-01-10");
    q->Bind(5, ou).Bind(6, std::int64_t{1}).Bind(7, "tester");
    ASSERT_TRUE(q->Run().ok());
  }
  auto theirs = CoverageDose(b.id, ou, "doseLate002", "HepB", "2024-01-10");
  ASSERT_TRUE(other_->AddImmunizationDose(theirs, audit).ok());  // b, committed first
  auto seen = other_->CoverageMarksFrom(next, true);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  std::set<std::int64_t> ids;
  for (const auto& [id, seq] : seen->marks) ids.insert(id);
  EXPECT_EQ(ids, std::set<std::int64_t>{b.id});
  next = seen->next;
  ASSERT_TRUE(late->Exec("COMMIT").ok());
  EXPECT_TRUE(MarkedFrom(*other_, next).contains(a.id)) << "the later commit was skipped";
}

// The change log's rows go with the COMMIT as one query (its lock, the rows, the COMMIT): the
// values are quoted, a row that cannot be written leaves the transaction uncommitted (its
// rollback then undoes all of it) and the connection serves the next transaction.
TEST_P(SeveralServersTest, TheChangeLogRowsSentWithTheCommitAreAllOrNothing) {
  auto db = PgDb::Open(address_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::int64_t start = *other_->LatestChangeSeq();
  auto add_period = [&](const char* iso) {
    auto q = db->Prepare(
        "INSERT INTO period(iso, period_type, start_date, end_date) VALUES (?, ?, ?, ?)");
    if (!q.ok()) return q.status();
    q->Bind(1, iso).Bind(2, "Monthly").Bind(3, "2099-01-01").Bind(4, "2099-01-31");
    return q->Run();
  };
  auto has_period = [&](const char* iso) {
    auto periods = other_->LoadPeriods();
    return periods.ok() && std::any_of(periods->begin(), periods->end(),
                                       [&](const auto& p) { return p.iso == iso; });
  };
  ASSERT_TRUE(db->Exec("BEGIN").ok());
  ASSERT_TRUE(add_period("209901").ok());
  db->DeferChangeLog("no such kind", "origin", 1);  // refused by the table's CHECK
  EXPECT_FALSE(db->Exec("COMMIT").ok());
  ASSERT_TRUE(db->Exec("ROLLBACK").ok());
  EXPECT_FALSE(has_period("209901"));
  EXPECT_EQ(*other_->LatestChangeSeq(), start);

  ASSERT_TRUE(db->Exec("BEGIN").ok());
  ASSERT_TRUE(add_period("209902").ok());
  std::string keys;
  AppendValueKey(keys, DataValueKey{1, 2, 3, 4, 5});
  const std::string origin = "o'rigin \\ 服务器", import = "imp'ort";
  db->DeferChangeLog("values", origin, 7, &keys);
  db->DeferChangeLog("content", origin, 8);
  ASSERT_TRUE(db->Exec("COMMIT").ok());
  EXPECT_TRUE(has_period("209902"));
  ASSERT_TRUE(db->Exec("BEGIN").ok());
  db->DeferChangeLog("values", origin, 9, nullptr, &import);
  ASSERT_TRUE(db->Exec("COMMIT").ok());
  auto rows = other_->ChangesSince(start, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  // (A log that held no row before reads as pruned up to its first.)
  std::erase_if(*rows, [](const ChangeLogEntry& r) { return r.kind == "pruned"; });
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].kind, "values");
  EXPECT_EQ((*rows)[0].origin, origin);
  EXPECT_TRUE((*rows)[0].keys_listed);
  ASSERT_EQ((*rows)[0].keys.size(), 1u);
  EXPECT_EQ((*rows)[0].keys[0].org_unit_id, 3);
  EXPECT_EQ((*rows)[1].kind, "content");
  EXPECT_FALSE((*rows)[2].keys_listed);
  EXPECT_EQ((*rows)[2].import_uid, import);
}

// A commit on one server wakes the other's wait (LISTEN/NOTIFY); without a commit the wait
// runs out. No time is asserted: a wait that was not woken returns false after 30 s.
TEST_P(SeveralServersTest, ACommitWakesTheOtherServersWait) {
  ASSERT_TRUE(other_->HearsChanges());
  auto first = other_->WaitForChange(50);  // opens the listening connection
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);  // opened: the caller must look
  auto idle = other_->WaitForChange(50);
  ASSERT_TRUE(idle.ok());
  EXPECT_FALSE(*idle);
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
  auto woken = other_->WaitForChange(30'000);
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
  EXPECT_TRUE(*woken);
}

// data_value has no foreign keys on PostgreSQL (migration 0009); two servers racing still never
// leave a value without its data element. A delete waits for a writer that checked the element
// (FOR UPDATE against its FOR KEY SHARE) and then sees its value: refused. A writer checking an
// element whose delete is not yet committed waits, then finds it gone: refused, nothing written.
TEST_P(SeveralServersTest, ADeleteAndAWriteOfItsValuesNeverLeaveAValueWithoutItsElement) {
  const auto keys = ElementsWithAPeriod(*store_, {{"deRaceKept1", "RACE_KEPT", "留下的数据元"},
                                                  {"deRaceGone1", "RACE_GONE", "删去的数据元"}});
  ASSERT_EQ(keys.size(), 2u);
  auto value_of = [&](const char* uid) {
    DataValueWrite w;
    w.key = keys[std::string(uid) == "deRaceKept1" ? 0 : 1];
    w.value = "7";
    return w;
  };
  std::atomic<bool> done = false;

  // The writer first: its element's delete through the other server waits for its commit.
  auto writer = store_->BeginDataValueImport("tester", "importRace1", 1, ImportWriter::kBeside);
  ASSERT_TRUE(writer.ok());
  DataValueWrite kept = value_of("deRaceKept1");
  ASSERT_TRUE((*writer)->Write({&kept, 1}, nullptr).ok());
  Status deleted;
  std::thread remover([&] {
    deleted = other_->DeleteMetadataObject("dataElements", "deRaceKept1");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(done) << "the delete did not wait for the writer";
  ASSERT_TRUE((*writer)->Commit().ok());
  writer->reset();  // the writer holds its store until it goes
  remover.join();
  EXPECT_EQ(deleted.code(), StatusCode::kConflict) << deleted.ToString();
  EXPECT_EQ(deleted.message(), "other records still refer to it (data values of the data element)");

  // The delete first: a write of its element through the other server waits, then is refused.
  done = false;
  Result<WriteCounts> wrote = WriteCounts{};
  std::thread adder;
  Status gone = other_->InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(other_->DeleteMetadataObject("dataElements", "deRaceGone1"));
    adder = std::thread([&] {
      DataValueWrite w = value_of("deRaceGone1");
      wrote = store_->WriteDataValues({&w, 1}, "tester", 2);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_FALSE(done) << "the write did not wait for the delete";
    return Status::Ok();
  });
  if (adder.joinable()) adder.join();
  ASSERT_TRUE(gone.ok()) << gone.ToString();
  ASSERT_FALSE(wrote.ok());
  EXPECT_EQ(wrote.status().field(), "dataValues[0].dataElement");
  EXPECT_EQ(*store_->CountDataValues(true), 1);
}

// A category combo `combo` with one category of `options.size()` options and an option combo
// per option (uids `combo` + "O0", "O1", …, made in that order); their ids.
std::vector<std::int64_t> ComboWithOptionCombos(Store& store, const std::string& combo,
                                                const std::vector<std::string>& options) {
  MetadataRecords r;
  CategoryRecord category;
  category.uid = combo.substr(0, 9) + "Ca";
  category.name = "分类" + combo;
  for (std::size_t i = 0; i < options.size(); ++i) {
    CategoryOptionRecord o;
    o.uid = combo.substr(0, 9) + "P" + std::to_string(i);
    o.name = o.short_name = options[i];
    category.option_uids.push_back(o.uid);
    r.category_options.push_back(o);
    CategoryOptionComboRecord coc;
    coc.uid = combo.substr(0, 9) + "O" + std::to_string(i);
    coc.name = options[i];
    coc.combo_uid = combo;
    coc.option_uids = {o.uid};
    r.category_option_combos.push_back(coc);
  }
  CategoryComboRecord cc;
  cc.uid = combo;
  cc.name = "组合" + combo;
  cc.category_uids = {category.uid};
  r.categories.push_back(category);
  r.category_combos.push_back(cc);
  std::vector<std::int64_t> ids;
  if (Status s = store.UpsertMetadata(r); !s.ok()) {
    ADD_FAILURE() << s.ToString();
    return ids;
  }
  auto loaded = store.LoadMetadata();
  if (!loaded.ok()) return ids;
  for (const auto& coc : r.category_option_combos)
    for (const auto& c : loaded->category_option_combos)
      if (c.uid == coc.uid) ids.push_back(c.id);
  return ids;
}

// True once a backend of `db`'s database waits for a lock (polled for up to `ms`).
bool SomeoneWaitsForALock(PgDb& db, int ms) {
  for (int waited = 0; waited < ms; waited += 20) {
    auto q = db.Prepare(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'");
    if (!q.ok()) return false;
    auto row = q->Step();
    if (row.ok() && *row && q->Int(0) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Waits up to `ms` for `flag`: a liveness check (a thread that should not be held up), never a
// measure of speed.
bool BecomesTrue(const std::atomic<bool>& flag, int ms) {
  for (int waited = 0; waited < ms && !flag; waited += 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return flag;
}

// The value history's lock is taken once a writer's rows are written (at its commit): an import
// that has written its rows, whose history waits for its commit, holds nothing that another
// server's save of another cell waits for (before session 22 it held the lock from its first
// batch, and every save on every server waited for the whole import); a save of a cell the
// import wrote waits for the import's commit, and both histories are one chain.
TEST_P(SeveralServersTest, AnOpenImportHoldsUpOnlyTheSavesOfItsOwnCells) {
  const auto keys = ElementsWithAPeriod(
      *store_, {{"deChainA001", "CHAIN_A", "链甲"}, {"deChainB001", "CHAIN_B", "链乙"}});
  ASSERT_EQ(keys.size(), 2u);
  auto write = [](Store& store, const DataValueKey& key, const std::string& value) {
    DataValueWrite w;
    w.key = key;
    w.value = value;
    return store.WriteDataValues({&w, 1}, "tester", 1000);
  };
  ASSERT_TRUE(write(*store_, keys[0], "1").ok());
  ASSERT_TRUE(write(*store_, keys[1], "1").ok());
  auto import =
      ImportHolding("impChain001", keys[0], "2");  // an update: a history row, at the commit
  ASSERT_TRUE(import.ok()) << import.status().ToString();
  // Another cell, through the other server, while the import is open: not held up (the row
  // locks are the import's; the chain's lock was held by it and a save waited up to PostgreSQL's
  // lock_timeout, 5 s, and was refused as busy).
  auto other_cell = write(*other_, keys[1], "3");
  EXPECT_TRUE(other_cell.ok()) << other_cell.status().ToString();
  // The import's cell waits for the import's commit.
  Result<WriteCounts> same_cell = Internal("not run");
  std::thread saver([&] { same_cell = write(*other_, keys[0], "4"); });
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok());
  EXPECT_TRUE(SomeoneWaitsForALock(*probe, 3000));
  ASSERT_TRUE((*import)->Commit().ok());
  saver.join();
  EXPECT_TRUE(same_cell.ok()) << same_cell.status().ToString();
  import->reset();
  EXPECT_EQ((*other_->GetDataValue(keys[0]))->value, "4");
  EXPECT_EQ((*other_->GetDataValue(keys[1]))->value, "3");
  auto chains = other_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  for (const auto& c : *chains)
    EXPECT_FALSE(c.first_broken_id) << c.table << " broken at " << *c.first_broken_id;
  auto history = other_->DataValueHistory(keys[0]);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);  // CREATE 1, UPDATE 2 (the import's), UPDATE 4
}

// Session 23: an import held the writer lock of its server for its whole length, so the month-end
// import of one county held up every save made through that server (bench/README.md (c): clerks
// waiting over 10 s). An import now writes beside the server's other writes (ImportWriter::
// kBeside, its own connection): a save of another cell through the same server goes through
// while it is open; a save of a cell it wrote waits for its commit (since session 26 on a
// connection of its own once a short wait under the server's writer lock ran out), and the
// import still commits (it takes only the commit order's lock); the listener hears the three
// commits in the order they were made.
TEST_P(SeveralServersTest, AnImportWritesBesideTheSavesOfItsOwnServer) {
  const auto keys = ElementsWithAPeriod(
      *store_, {{"deBeside001", "BESIDE_A", "并行甲"}, {"deBeside002", "BESIDE_B", "并行乙"}});
  ASSERT_EQ(keys.size(), 2u);
  std::mutex heard_mu;
  std::vector<std::pair<std::int64_t, std::string>> heard;  // (data element, value)
  store_->SetDataValueListener([&](std::vector<DataValueChange>&& changes, bool) {
    std::lock_guard l(heard_mu);
    for (const auto& c : changes) heard.emplace_back(c.key.data_element_id, c.value);
  });
  auto import = ImportHolding("impBeside01", keys[0], "2");
  ASSERT_TRUE(import.ok()) << import.status().ToString();

  // Another cell, through the same server, while the import is open.
  Result<WriteCounts> other_cell = Internal("not run");
  std::atomic<bool> other_done = false;
  std::thread other_saver([&] {
    other_cell = Save(keys[1], "3");
    other_done = true;
  });
  EXPECT_TRUE(BecomesTrue(other_done, 30'000))
      << "a save through the importing server waited for the import";
  // The import's cell: waits for the import's row lock.
  Result<WriteCounts> same_cell = Internal("not run");
  std::thread same_saver([&] { same_cell = Save(keys[0], "4"); });
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok());
  // (Before the change the first save still waits here for the writer lock, not a row lock.)
  if (other_done) {
    EXPECT_TRUE(SomeoneWaitsForALock(*probe, 3000));
  }
  ASSERT_TRUE((*import)->Commit().ok());
  import->reset();
  other_saver.join();
  same_saver.join();
  EXPECT_TRUE(other_cell.ok()) << other_cell.status().ToString();
  EXPECT_TRUE(same_cell.ok()) << same_cell.status().ToString();
  store_->SetDataValueListener(nullptr);
  EXPECT_EQ((*other_->GetDataValue(keys[0]))->value, "4");
  EXPECT_EQ((*other_->GetDataValue(keys[1]))->value, "3");
  const std::vector<std::pair<std::int64_t, std::string>> in_order = {
      {keys[1].data_element_id, "3"},
      {keys[0].data_element_id, "2"},
      {keys[0].data_element_id, "4"}};
  EXPECT_EQ(heard, in_order);
  auto chains = other_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  for (const auto& c : *chains)
    EXPECT_FALSE(c.first_broken_id) << c.table << " broken at " << *c.first_broken_id;
}

// Session 26: a save of a cell an open import wrote waits for the import's row, and until then it
// waited holding its server's writer lock: every other save through that server waited behind
// it, and the first save was refused when PostgreSQL's lock_timeout (5 s) ran out. Now it waits
// under the writer lock only briefly, then again on a connection of its own: the other saves go
// on while it waits, and it goes through once the import commits.
TEST_P(SeveralServersTest, ASaveWaitingForAnImportsCellHoldsUpNoOtherSaveOfItsServer) {
  const auto keys = ElementsWithAPeriod(
      *store_, {{"deBeside011", "BESIDE_K", "并行癸"}, {"deBeside012", "BESIDE_L", "并行子"}});
  ASSERT_EQ(keys.size(), 2u);
  ASSERT_TRUE(Save(keys[0], "1").ok());
  auto import = ImportHolding("impBeside11", keys[0], "2");
  ASSERT_TRUE(import.ok()) << import.status().ToString();

  Result<WriteCounts> same_cell = Internal("not run");
  std::atomic<bool> same_done = false;
  std::thread same_saver([&] {
    same_cell = Save(keys[0], "4");
    same_done = true;
  });
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(SomeoneWaitsForALock(*probe, 30'000));
  // Another cell, through the same server, while that save waits: it goes through before the
  // waiting save ends (before: only once the waiting save had been refused, 5 s later).
  Result<WriteCounts> other_cell = Save(keys[1], "3");
  const bool same_done_before_other = same_done;
  EXPECT_TRUE(other_cell.ok()) << other_cell.status().ToString();
  EXPECT_FALSE(same_done_before_other)
      << "the other save waited for the save of the import's cell: "
      << same_cell.status().ToString();
  ASSERT_TRUE((*import)->Commit().ok());
  import->reset();
  same_saver.join();
  EXPECT_TRUE(same_cell.ok()) << same_cell.status().ToString();
  EXPECT_EQ((*other_->GetDataValue(keys[0]))->value, "4");
  EXPECT_EQ((*other_->GetDataValue(keys[1]))->value, "3");
  auto history = other_->DataValueHistory(keys[0]);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);  // CREATE 1, UPDATE 2 (the import's), UPDATE 4 (from 2)
  auto chains = other_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  for (const auto& c : *chains)
    EXPECT_FALSE(c.first_broken_id) << c.table << " broken at " << *c.first_broken_id;
}

// A transaction begun after PgDb::ShortenNextLockWait gives up on a row lock after the short
// wait (and says that was why), but waits for an audit chain's lock, and commits, as long as
// any writer: a save's commit that waits for another writer's history is not cut short.
TEST_P(SeveralServersTest, AShortenedLockWaitIsForRowsOnly) {
  auto holder = PgDb::Open(address_);
  auto waiter = PgDb::Open(address_);
  ASSERT_TRUE(holder.ok() && waiter.ok());
  ASSERT_TRUE(holder->Exec("CREATE TABLE wj_wait_test (id bigint PRIMARY KEY)").ok());
  ASSERT_TRUE(holder->Exec("INSERT INTO wj_wait_test VALUES (1)").ok());
  // A row another transaction holds: refused after the short wait, as a lock timeout.
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  ASSERT_TRUE(holder->Exec("UPDATE wj_wait_test SET id = 1 WHERE id = 1").ok());
  waiter->ShortenNextLockWait("50ms");
  ASSERT_TRUE(waiter->Exec("BEGIN").ok());
  Status row = waiter->Exec("UPDATE wj_wait_test SET id = 1 WHERE id = 1");
  EXPECT_EQ(row.code(), StatusCode::kUnavailable) << row.ToString();
  EXPECT_TRUE(waiter->LastFailureWasLockTimeout());
  ASSERT_TRUE(waiter->Exec("ROLLBACK").ok());
  ASSERT_TRUE(holder->Exec("ROLLBACK").ok());
  // An audit chain's lock another transaction holds for longer than the short wait: waited for.
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  ASSERT_TRUE(holder->Exec("SELECT pg_advisory_xact_lock(1953103999)").ok());
  waiter->ShortenNextLockWait("50ms");
  ASSERT_TRUE(waiter->Exec("BEGIN").ok());
  std::atomic<bool> locked = false;
  Result<std::string> head = Internal("not run");
  std::thread t([&] {
    head = waiter->LockAndReadHead("SELECT pg_advisory_xact_lock(1953103999)", "SELECT 'head'");
    locked = true;
  });
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok());
  EXPECT_TRUE(SomeoneWaitsForALock(*probe, 30'000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // four short waits
  EXPECT_FALSE(locked);
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  t.join();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(*head, "head");
  EXPECT_TRUE(waiter->Exec("COMMIT").ok());
  // A failure that is not a lock wait says so too, and a new transaction forgets the last one's.
  ASSERT_FALSE(waiter->Exec("SELECT * FROM wj_no_such_table").ok());
  EXPECT_FALSE(waiter->LastFailureWasLockTimeout());
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  ASSERT_TRUE(holder->Exec("UPDATE wj_wait_test SET id = 1 WHERE id = 1").ok());
  waiter->ShortenNextLockWait("50ms");
  ASSERT_TRUE(waiter->Exec("BEGIN").ok());
  ASSERT_FALSE(waiter->Exec("UPDATE wj_wait_test SET id = 1 WHERE id = 1").ok());
  EXPECT_TRUE(waiter->LastFailureWasLockTimeout());
  ASSERT_TRUE(waiter->Exec("ROLLBACK").ok());
  ASSERT_TRUE(holder->Exec("ROLLBACK").ok());
  ASSERT_TRUE(waiter->Exec("BEGIN").ok());
  EXPECT_FALSE(waiter->LastFailureWasLockTimeout());
  ASSERT_TRUE(waiter->Exec("ROLLBACK").ok());
  ASSERT_TRUE(holder->Exec("DROP TABLE wj_wait_test").ok());
}

// An import beside the others that is dropped without its commit leaves nothing, and its
// connection, back in the pool, serves the next import whole (no transaction left open on it).
TEST_P(SeveralServersTest, AnImportBesideTheOthersThatIsDroppedLeavesNothing) {
  const auto keys = ElementsWithAPeriod(
      *store_, {{"deBeside003", "BESIDE_C", "并行丙"}, {"deBeside008", "BESIDE_H", "并行辛"}});
  ASSERT_EQ(keys.size(), 2u);
  // The first writes one cell and is dropped; the second, on the connection given back, writes
  // the other and commits: a transaction left open on that connection would commit both.
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string uid = i == 0 ? "impBesideR1" : "impBesideR2";
    auto import = store_->BeginDataValueImport("importer", uid, 2000, ImportWriter::kBeside);
    ASSERT_TRUE(import.ok()) << import.status().ToString();
    DataValueWrite w = CellWrite(keys[i], "5");
    ASSERT_TRUE((*import)->Write({&w, 1}, nullptr).ok());
    if (i == 1) {
      ASSERT_TRUE((*import)->Commit().ok());
    }
    import->reset();
  }
  EXPECT_FALSE(other_->GetDataValue(keys[0])->has_value());
  auto stored = other_->GetDataValue(keys[1]);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->import_id, "impBesideR2");
}

// A thread with an import beside the others open that begins another (no caller does today) gets
// the exclusive writer for the second: waiting for the imports' turn, which it holds itself,
// would never end.
TEST_P(SeveralServersTest, ASecondImportOfAThreadDoesNotWaitForItsFirst) {
  const auto keys = ElementsWithAPeriod(
      *store_, {{"deBeside006", "BESIDE_F", "并行己"}, {"deBeside007", "BESIDE_G", "并行庚"}});
  ASSERT_EQ(keys.size(), 2u);
  auto first = store_->BeginDataValueImport("importer", "impBesideT1", 2000, ImportWriter::kBeside);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  DataValueWrite a = CellWrite(keys[0], "8");
  ASSERT_TRUE((*first)->Write({&a, 1}, nullptr).ok());
  std::atomic<bool> began = false;
  std::thread watchdog([&] {
    if (!BecomesTrue(began, 30'000)) {
      std::fprintf(stderr, "the second import waited for the first of its own thread\n");
      std::abort();
    }
  });
  auto second =
      store_->BeginDataValueImport("importer", "impBesideT2", 2000, ImportWriter::kBeside);
  began = true;
  watchdog.join();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  DataValueWrite b = CellWrite(keys[1], "9");
  ASSERT_TRUE((*second)->Write({&b, 1}, nullptr).ok());
  ASSERT_TRUE((*second)->Commit().ok());
  second->reset();
  ASSERT_TRUE((*first)->Commit().ok());
  first->reset();
  EXPECT_EQ((*other_->GetDataValue(keys[0]))->value, "8");
  EXPECT_EQ((*other_->GetDataValue(keys[1]))->value, "9");
}

// Session 23's review: an import beside the others created a new period inside its transaction,
// so a save into that period through the same server (the month-end import creates the month)
// waited for the period's row until PostgreSQL's lock timeout and failed. The period is now
// committed at once; the import still rolls back whole.
TEST_P(SeveralServersTest, ANewPeriodOfAnImportBesideTheOthersIsThereAtOnce) {
  const auto keys = ElementsWithAPeriod(*store_, {{"deBeside004", "BESIDE_D", "并行丁"}});
  ASSERT_EQ(keys.size(), 1u);
  const PeriodRecord month{0, "203011", "Monthly", "2030-11-01", "2030-11-30"};
  auto import =
      store_->BeginDataValueImport("importer", "impBesideP1", 2000, ImportWriter::kBeside);
  ASSERT_TRUE(import.ok()) << import.status().ToString();
  auto created = (*import)->EnsurePeriod(month);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  DataValueWrite w;
  w.key = keys[0];
  w.key.period_id = *created;
  w.value = "6";
  ASSERT_TRUE((*import)->Write({&w, 1}, nullptr).ok());
  Result<std::int64_t> seen = Internal("not run");
  std::atomic<bool> done = false;
  std::thread clerk([&] {
    seen = store_->EnsurePeriod(month);
    done = true;
  });
  EXPECT_TRUE(BecomesTrue(done, 30'000)) << "the period of an open import held up a save into it";
  import->reset();  // rolled back: its value goes, the period stays
  clerk.join();
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(*seen, *created);
  EXPECT_FALSE(store_->GetDataValue(w.key)->has_value());
  EXPECT_EQ(*other_->EnsurePeriod(month), *created);
}

// Session 23's review: a writer read a stored cell before replacing it without locking it, so a
// writer of the same cell on another connection that had not yet committed was waited for only
// at the UPDATE: a delete's history named the value before that writer's as the one deleted,
// and kept it in the deleted row. The cell is now locked as it is read.
TEST_P(SeveralServersTest, AWriterReplacesTheValueOfTheWriterBeforeIt) {
  const auto keys = ElementsWithAPeriod(*store_, {{"deBeside005", "BESIDE_E", "并行戊"}});
  ASSERT_EQ(keys.size(), 1u);
  DataValueWrite w = CellWrite(keys[0], "1");
  ASSERT_TRUE(store_->WriteDataValues({&w, 1}, "clerk", 1000).ok());
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok());
  Status imported = Internal("not run");
  std::thread importer;
  Status first = other_->InOneTransaction([&]() -> Status {
    DataValueWrite two = w;
    two.value = "2";
    WJ_RETURN_IF_ERROR(other_->WriteDataValues({&two, 1}, "clerk", 2000).status());
    importer = std::thread([&] {
      auto import =
          store_->BeginDataValueImport("importer", "impBesideU1", 3000, ImportWriter::kBeside);
      if (!import.ok()) {
        imported = import.status();
        return;
      }
      DataValueWrite gone = w;  // a delete reads the stored row first (no INSERT to wait)
      gone.mode = WriteMode::kDelete;
      auto wrote = (*import)->Write({&gone, 1}, nullptr);
      imported = wrote.ok() ? (*import)->Commit() : wrote.status();
    });
    EXPECT_TRUE(SomeoneWaitsForALock(*probe, 3000));
    return Status::Ok();
  });
  ASSERT_TRUE(first.ok()) << first.ToString();
  importer.join();
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  auto history = other_->DataValueHistory(keys[0]);
  ASSERT_TRUE(history.ok());
  ASSERT_FALSE(history->empty());
  const auto& last = *std::max_element(history->begin(), history->end(),
                                       [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(last.audit_type, "DELETE");
  EXPECT_EQ(last.previous_value, std::optional<std::string>("2"));
  auto row = other_->GetDataValue(keys[0]);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_TRUE((*row)->deleted);
  EXPECT_EQ((*row)->value, "2");
}

// Session 12's review: a metadata delete holding some of its rows FOR UPDATE while waiting for
// the rest could close a cycle with an import that locks the same option combos FOR KEY SHARE
// batch by batch; PostgreSQL then aborts one of the two, and when that was the import, the whole
// import was refused. Here the delete's server checks for deadlocks only after 60 s, so that if
// a cycle forms it is the import's check (after the default 1 s) that finds it. The import's
// first batch takes the option combo the delete locks second; its second batch the one the
// delete locks first. The delete now never waits for a row lock (NOWAIT, tried again): the
// import commits, and the delete is then refused because of its values.
TEST_P(SeveralServersTest, AnImportIsNotTheDeadlockVictimOfADeleteOfItsOptionCombos) {
  const auto keys = ElementsWithAPeriod(*store_, {{"deLockOrd01", "LOCK_ORDER", "锁顺序数据元"}});
  ASSERT_EQ(keys.size(), 1u);
  const auto cocs = ComboWithOptionCombos(*store_, "ccLockOrd01", {"男", "女"});
  ASSERT_EQ(cocs.size(), 2u);
  auto deleter = OpenStore(address_ + "?options=-c%20deadlock_timeout%3D60s");
  ASSERT_TRUE(deleter.ok()) << deleter.status().ToString();
  auto probe = PgDb::Open(address_);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  // The order in which the delete's statement meets (and locks) the two option combos.
  std::vector<std::int64_t> order;
  {
    auto q = probe->Prepare(
        "SELECT x.id FROM category_option_combo x JOIN category_combo c ON c.id = x.combo_id"
        " WHERE c.uid = ?1");
    ASSERT_TRUE(q.ok());
    q->Bind(1, "ccLockOrd01");
    while (*q->Step()) order.push_back(q->Int(0));
  }
  ASSERT_EQ(order.size(), 2u);
  auto value = [&](std::int64_t coc) {
    DataValueWrite w;
    w.key = keys[0];
    w.key.coc_id = coc;
    w.value = "3";
    return w;
  };
  auto writer = store_->BeginDataValueImport("tester", "importLock1", 1, ImportWriter::kBeside);
  ASSERT_TRUE(writer.ok());
  DataValueWrite second = value(order[1]), first = value(order[0]);
  ASSERT_TRUE((*writer)->Write({&second, 1}, nullptr).ok());
  Status deleted;
  std::thread remover(
      [&] { deleted = (*deleter)->DeleteMetadataObject("categoryCombos", "ccLockOrd01"); });
  // The delete, if it waits, now holds order[0] and waits for order[1]; else it is trying again.
  (void)SomeoneWaitsForALock(*probe, 1000);
  Result<WriteCounts> wrote = (*writer)->Write({&first, 1}, nullptr);
  Status committed = wrote.ok() ? (*writer)->Commit() : wrote.status();
  writer->reset();
  remover.join();
  EXPECT_TRUE(committed.ok()) << "the import was refused: " << committed.ToString();
  EXPECT_EQ(deleted.code(), StatusCode::kConflict) << deleted.ToString();
  EXPECT_EQ(*store_->CountDataValues(false), committed.ok() ? 2 : 0);
}

// Session 12's review: a category combo's delete checked the values of the option combos it had
// locked, then deleted every option combo of the combo, including one another server added in
// between, with values of it written meanwhile: those values were left pointing at a deleted
// option combo. Here a third connection holds the combo's one option combo FOR KEY SHARE (as an
// import's check does) while the delete starts; meanwhile another server adds a second option
// combo and writes a value of it. The delete now locks the combo's own row first: it sees the
// new option combo with its value and is refused.
TEST_P(SeveralServersTest, ADeleteOfACategoryComboNeverLeavesAValueWithoutItsOptionCombo) {
  const auto keys = ElementsWithAPeriod(*store_, {{"deComboGo01", "COMBO_GONE", "组合删除数据元"}});
  ASSERT_EQ(keys.size(), 1u);
  const auto cocs = ComboWithOptionCombos(*store_, "ccComboGo01", {"城镇"});
  ASSERT_EQ(cocs.size(), 1u);
  auto holder = PgDb::Open(address_);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  {
    auto q = holder->Prepare("SELECT id FROM category_option_combo WHERE id = ? FOR KEY SHARE");
    ASSERT_TRUE(q.ok());
    q->Bind(1, cocs[0]);
    ASSERT_TRUE(*q->Step());
  }
  Status deleted;
  std::thread remover(
      [&] { deleted = other_->DeleteMetadataObject("categoryCombos", "ccComboGo01"); });
  (void)SomeoneWaitsForALock(*holder, 1000);
  MetadataRecords added;
  CategoryOptionComboRecord rural;
  rural.uid = "ccComboGoON";
  rural.name = "乡村";
  rural.combo_uid = "ccComboGo01";
  added.category_option_combos.push_back(rural);
  Status upserted = store_->UpsertMetadata(added);
  Result<WriteCounts> wrote = WriteCounts{};
  if (upserted.ok()) {
    auto loaded = store_->LoadMetadata();
    ASSERT_TRUE(loaded.ok());
    DataValueWrite w;
    w.key = keys[0];
    for (const auto& c : loaded->category_option_combos)
      if (c.uid == rural.uid) w.key.coc_id = c.id;
    w.value = "5";
    wrote = store_->WriteDataValues({&w, 1}, "tester", 2);
  }
  ASSERT_TRUE(holder->Exec("ROLLBACK").ok());
  remover.join();
  // Whatever the order, no value may be left without its option combo.
  auto orphans = holder->Prepare(
      "SELECT count(*) FROM data_value v WHERE NOT EXISTS (SELECT 1 FROM category_option_combo"
      " x WHERE x.id = v.coc_id)");
  ASSERT_TRUE(orphans.ok());
  ASSERT_TRUE(*orphans->Step());
  EXPECT_EQ(orphans->Int(0), 0) << "a value points at a deleted option combo";
  ASSERT_TRUE(upserted.ok()) << upserted.ToString();
  ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
  EXPECT_EQ(deleted.code(), StatusCode::kConflict) << deleted.ToString();
}

// The database drops every connection (a restart, a failover, an administrator): the writer,
// the readers (a read of one statement too) and the listener open again at their next use, and
// the reader catches up with what was committed meanwhile.
TEST_P(SeveralServersTest, DroppedConnectionsReopenAndTheReaderCatchesUp) {
  const std::int64_t seen = *other_->LatestChangeSeq();
  ASSERT_TRUE(other_->WaitForChange(10).ok());
  std::vector<OrgUnitRecord> first = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store_->InsertOrgUnits(first).ok());
  ASSERT_TRUE(other_->FindSession(std::string(64, '0')).ok());  // a read connection is open
  std::string why;
  auto* cluster = weijian::testing::PgCluster::Get(&why);
  ASSERT_NE(cluster, nullptr) << why;
  const std::string db = address_.substr(address_.rfind('/') + 1);
  ASSERT_TRUE(cluster->Psql(db,
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  // A read of one statement (no BEGIN, which finds a dropped connection otherwise) opens its
  // connection again and reads.
  auto session = other_->FindSession(std::string(64, '0'));
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  std::vector<OrgUnitRecord> second = {CodedUnit("16", "", 1)};
  Status wrote = store_->InsertOrgUnits(second);
  ASSERT_TRUE(wrote.ok()) << wrote.ToString();
  auto rows = other_->ChangesSince(seen, 100);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 2u);
  EXPECT_EQ(*other_->CountOrgUnits(), 2);
  auto woken = other_->WaitForChange(10);  // opened again: the caller must look
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
  EXPECT_TRUE(*woken);
}

// The database stops taking connections (stopped, restarting) after dropping them: every call
// fails with Unavailable while it cannot be reached (before session 33 the first statement after
// a reopen that failed used a connection that was not there, and every server on PostgreSQL died
// with SIGSEGV when the database stopped), and once it takes connections again the writer, the
// readers and the listener open again and read what was committed.
TEST_P(SeveralServersTest, CallsFailWhileTheDatabaseIsUnreachableAndReopenAfter) {
  std::vector<OrgUnitRecord> first = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store_->InsertOrgUnits(first).ok());
  ASSERT_TRUE(other_->FindSession(std::string(64, '0')).ok());  // a read connection is open
  const std::int64_t seen = *other_->LatestChangeSeq();
  std::string why;
  auto* cluster = weijian::testing::PgCluster::Get(&why);
  ASSERT_NE(cluster, nullptr) << why;
  const std::string db = address_.substr(address_.rfind('/') + 1);
  ASSERT_TRUE(cluster->Psql("postgres", "ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS false"));
  ASSERT_TRUE(cluster->Psql("postgres",
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE datname = '" +
                                db + "'"));
  // Twice each: the second call meets a connection whose reopen failed.
  for (int i = 0; i < 2; ++i) {
    auto session = other_->FindSession(std::string(64, '0'));
    EXPECT_EQ(session.status().code(), StatusCode::kUnavailable) << session.status().ToString();
    auto changes = other_->ChangesSince(seen, 100);
    EXPECT_EQ(changes.status().code(), StatusCode::kUnavailable) << changes.status().ToString();
    std::vector<OrgUnitRecord> more = {CodedUnit("16", "", 1)};
    Status wrote = store_->InsertOrgUnits(more);
    EXPECT_EQ(wrote.code(), StatusCode::kUnavailable) << wrote.ToString();
    auto count = store_->CountOrgUnits();
    EXPECT_EQ(count.status().code(), StatusCode::kUnavailable) << count.status().ToString();
    EXPECT_FALSE(other_->WaitForChange(10).ok());
  }
  ASSERT_TRUE(cluster->Psql("postgres", "ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS true"));
  std::vector<OrgUnitRecord> second = {CodedUnit("16", "", 1)};
  Status wrote = store_->InsertOrgUnits(second);
  ASSERT_TRUE(wrote.ok()) << wrote.ToString();
  auto session = other_->FindSession(std::string(64, '0'));
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  auto rows = other_->ChangesSince(seen, 100);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 1u);
  EXPECT_EQ(*other_->CountOrgUnits(), 2);
  auto woken = other_->WaitForChange(10);
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
}

// --- Opening PostgreSQL: what a bad address gets ---
class PostgresOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    cluster_ = weijian::testing::PgCluster::Get(&why);
    if (!cluster_) {
      if (why.find("not installed") != std::string::npos) GTEST_SKIP() << why;
      FAIL() << why;
    }
  }
  weijian::testing::PgCluster* cluster_ = nullptr;
};

TEST_F(PostgresOpenTest, EmptyDatabaseIsMigratedAndASchemaFromANewerBinaryIsRefused) {
  const std::string address = cluster_->NewEmptyDatabase();
  const std::string db = address.substr(address.rfind('/') + 1);
  {
    auto store = OpenStore(address);  // the address picks PostgreSQL
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(*(*store)->SchemaVersion(), LatestPostgresSchemaVersion());
    std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
    ASSERT_TRUE((*store)->InsertOrgUnits(units).ok());
  }
  ASSERT_TRUE(cluster_->Psql(db, "UPDATE weijian_schema SET version = 999"));
  auto store = OpenPostgresStore(address);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer weijian"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
  std::string out;
  ASSERT_TRUE(cluster_->Psql(db, "SELECT version FROM weijian_schema", &out));
  EXPECT_EQ(out.substr(0, 3), "999");  // untouched
}

TEST_F(PostgresOpenTest, UnreachableServerAndWrongPasswordAreOneClearLine) {
  auto nobody = OpenStore("postgresql://weijian@127.0.0.1:1/none");
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(nobody.status().message().find("cannot connect to postgresql://weijian@127.0.0.1:1"),
            std::string::npos)
      << nobody.status().message();
  EXPECT_EQ(nobody.status().message().find('\n'), std::string::npos);
  // A wrong password: refused, one line, and the password given appears nowhere.
  const std::string wrong =
      std::string("postgresql://") + weijian::testing::PgCluster::kPasswordRole +
      ":not-the-password@127.0.0.1:" + std::to_string(cluster_->port()) + "/postgres";
  auto refused = OpenStore(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("password authentication failed"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().message().find("not-the-password"), std::string::npos);
  EXPECT_EQ(refused.status().message().find('\n'), std::string::npos);
  // The right one opens (and migrates) a database the role owns: no superuser needed.
  const std::string empty = cluster_->NewEmptyDatabase();
  const std::string name = empty.substr(empty.rfind('/') + 1);
  ASSERT_TRUE(cluster_->Psql("postgres", "ALTER DATABASE " + name + " OWNER TO " +
                                             weijian::testing::PgCluster::kPasswordRole));
  auto opened =
      OpenStore(std::string("postgresql://") + weijian::testing::PgCluster::kPasswordRole + ":" +
                weijian::testing::PgCluster::kPassword +
                "@127.0.0.1:" + std::to_string(cluster_->port()) + "/" + name);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*(*opened)->SchemaVersion(), LatestPostgresSchemaVersion());
}

// A read replica (issue 16 item 4) at the store's level. The "replica" here is a second database
// with the same schema and other values, so what a read returns shows which database served it
// (tests/cli/replica_test.sh has a real streaming replica). Its change-log head is moved by hand.
std::unique_ptr<Store> StoreWithOneValue(const std::string& address, const std::string& value,
                                         DataValueKey* key) {
  auto store = OpenStore(address);
  if (!store.ok() || !metadata::EnsureDefaults(**store).ok()) return nullptr;
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  MetadataRecords r;
  DataElementRecord de;
  de.uid = "deAAAAAAAAA";
  de.code = "TC_DONE";
  de.name = de.short_name = "两癌筛查完成人数";
  de.combo_uid = metadata::kDefaultCategoryComboUid;
  r.data_elements.push_back(de);
  if (!(*store)->InsertOrgUnits(units).ok() || !(*store)->UpsertMetadata(r).ok()) return nullptr;
  auto cat = metadata::Catalog::Load(**store);
  auto pe = (*store)->EnsurePeriod({0, "202407", "Monthly", "2024-07-01", "2024-07-31"});
  if (!cat.ok() || !pe.ok()) return nullptr;
  *key = {(*cat)->DataElements().ByCode("TC_DONE")->id, *pe, (*cat)->org_units().front().id,
          (*cat)->DefaultCoc()->id, (*cat)->DefaultCoc()->id};
  DataValueWrite w;
  w.key = *key;
  w.value = value;
  if (!(*store)->WriteDataValues({&w, 1}, "tester", 1000).ok()) return nullptr;
  return std::move(*store);
}

std::string ScannedValues(Store& store) {
  std::string out;
  Status s = store.ScanDataValues([&](const DataValueRecord& v) {
    out += v.value + ";";
    return Status::Ok();
  });
  return s.ok() ? out : s.ToString();
}

TEST_F(PostgresOpenTest, AReadReplicaServesValueReadsOnlyWhileItHasEveryWrite) {
  const std::string primary_address = cluster_->NewEmptyDatabase();
  const std::string replica_address = cluster_->NewEmptyDatabase();
  const std::string replica_db = replica_address.substr(replica_address.rfind('/') + 1);
  const std::string primary_db = primary_address.substr(primary_address.rfind('/') + 1);
  DataValueKey key;
  auto primary = StoreWithOneValue(primary_address, "10", &key);
  ASSERT_NE(primary, nullptr);
  ASSERT_NE(StoreWithOneValue(replica_address, "77", &key), nullptr);
  const auto add_log_rows = [&](const std::string& db, int n, int age_ms) {
    return cluster_->Psql(db,
                          "INSERT INTO change_log(kind, origin, created) SELECT 'values', 'x',"
                          " (extract(epoch FROM now()) * 1000)::bigint - " +
                              std::to_string(age_ms) + " FROM generate_series(1, " +
                              std::to_string(n) + ")");
  };
  ASSERT_TRUE(add_log_rows(replica_db, 50, 0));  // the replica has every write of the primary
  // Another database with the same schema is refused: its store id is not the primary's.
  ASSERT_TRUE(cluster_->Psql(primary_db,
                             "INSERT INTO server_secret(name, value)"
                             " VALUES ('store_id', 'one-store')"));
  ASSERT_TRUE(cluster_->Psql(replica_db,
                             "INSERT INTO server_secret(name, value)"
                             " VALUES ('store_id', 'next-county')"));
  Status other = AttachReadReplica(*primary, replica_address, 5);
  EXPECT_EQ(other.code(), StatusCode::kConflict);
  EXPECT_NE(other.message().find("not a replica"), std::string::npos) << other.message();
  EXPECT_FALSE(primary->ReadReplica().attached);
  // (Here the second database stands in for a replica: it is given the primary's id.)
  ASSERT_TRUE(cluster_->Psql(replica_db,
                             "UPDATE server_secret SET value = 'one-store'"
                             " WHERE name = 'store_id'"));

  // Refused: a SQLite store, an address nobody answers at (one line, the address as given).
  TempDir dir;
  auto file = OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(file.ok());
  Status sqlite = AttachReadReplica(**file, replica_address, 5);
  EXPECT_EQ(sqlite.code(), StatusCode::kConflict);
  EXPECT_NE(sqlite.message().find("SQLite"), std::string::npos) << sqlite.message();
  EXPECT_EQ((*file)->ReadFromReplica(), nullptr);
  Status nobody = AttachReadReplica(*primary, "postgresql://postgres@127.0.0.1:1/none", 5);
  EXPECT_EQ(nobody.code(), StatusCode::kUnavailable);
  EXPECT_NE(nobody.message().find("cannot connect to postgresql://postgres@127.0.0.1:1/none:"),
            std::string::npos)
      << nobody.message();
  EXPECT_EQ(nobody.message().find('\n'), std::string::npos);
  EXPECT_FALSE(primary->ReadReplica().attached);

  // Caught up: inside a scope the value reads go to the replica, every other read (here one
  // made while the replica's scan is running) to the primary; outside it, all to the primary.
  ASSERT_TRUE(AttachReadReplica(*primary, replica_address, 0.5).ok());
  auto state = primary->ReadReplica();
  EXPECT_TRUE(state.attached && state.in_use) << state.reason;
  EXPECT_EQ(state.lag_seconds, 0);
  EXPECT_EQ(ScannedValues(*primary), "10;");
  {
    auto scope = primary->ReadFromReplica();
    ASSERT_NE(scope, nullptr);
    std::string nested;
    ASSERT_TRUE(primary
                    ->ScanDataValues([&](const DataValueRecord&) {
                      auto v = primary->GetDataValue(key);
                      nested = v.ok() && *v ? (*v)->value : "?";
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(nested, "10");
    EXPECT_EQ(ScannedValues(*primary), "77;");
    EXPECT_EQ((*primary->GetDataValue(key))->value, "10");
  }
  EXPECT_EQ(ScannedValues(*primary), "10;");

  // The primary moves ahead (writes committed 5 s ago the replica lacks): a scope waits at
  // most the bound for it, then reads the primary; the check finds the lag, says so once.
  ASSERT_TRUE(add_log_rows(primary_db, 100, 5000));
  auto t0 = std::chrono::steady_clock::now();
  {
    auto scope = primary->ReadFromReplica();
    EXPECT_EQ(scope, nullptr);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(450));
    EXPECT_EQ(ScannedValues(*primary), "10;");
  }
  auto line = primary->CheckReadReplica();
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("behind the primary (bound 0.5 s)"), std::string::npos) << *line;
  state = primary->ReadReplica();
  EXPECT_FALSE(state.in_use);
  EXPECT_GE(state.lag_seconds, 4.5);
  EXPECT_LT(state.replica_seq, state.primary_seq);
  EXPECT_FALSE(primary->CheckReadReplica().has_value());  // one line, not one a check
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(primary->ReadFromReplica(), nullptr);  // out of use: no wait
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));

  // Caught up again: back in use, said once.
  ASSERT_TRUE(add_log_rows(replica_db, 200, 0));
  line = primary->CheckReadReplica();
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("caught up"), std::string::npos) << *line;
  EXPECT_TRUE(primary->ReadReplica().in_use);
  EXPECT_NE(primary->ReadFromReplica(), nullptr);

  // Unreachable: the scope reads the primary; the check says so once.
  ASSERT_TRUE(
      cluster_->Psql("postgres", "ALTER DATABASE " + replica_db + " ALLOW_CONNECTIONS false"));
  ASSERT_TRUE(cluster_->Psql("postgres",
                             "SELECT count(pg_terminate_backend(pid)) FROM"
                             " pg_stat_activity WHERE datname = '" +
                                 replica_db + "'"));
  {
    auto scope = primary->ReadFromReplica();
    EXPECT_EQ(scope, nullptr);
    EXPECT_EQ(ScannedValues(*primary), "10;");
  }
  line = primary->CheckReadReplica();
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("unreachable"), std::string::npos) << *line;
  EXPECT_FALSE(primary->CheckReadReplica().has_value());
  state = primary->ReadReplica();
  EXPECT_FALSE(state.in_use);
  EXPECT_GE(state.primary_scopes, 3);
  EXPECT_GE(state.replica_scopes, 2);
  ASSERT_TRUE(
      cluster_->Psql("postgres", "ALTER DATABASE " + replica_db + " ALLOW_CONNECTIONS true"));
}

// A build whose scan the replica cannot finish (here its values table is gone; in practice a
// dropped connection or a scan cancelled by a conflict with recovery) is made again from the
// primary: the server's analytics are not left without the change that asked for the build.
TEST_F(PostgresOpenTest, AnEngineBuildTheReplicaCannotFinishIsMadeFromThePrimary) {
  const std::string primary_address = cluster_->NewEmptyDatabase();
  const std::string replica_address = cluster_->NewEmptyDatabase();
  const std::string replica_db = replica_address.substr(replica_address.rfind('/') + 1);
  DataValueKey key;
  auto primary = StoreWithOneValue(primary_address, "10", &key);
  ASSERT_NE(primary, nullptr);
  ASSERT_NE(StoreWithOneValue(replica_address, "77", &key), nullptr);
  ASSERT_TRUE(cluster_->Psql(replica_db,
                             "INSERT INTO change_log(kind, origin, created) SELECT 'values', 'x',"
                             " (extract(epoch FROM now()) * 1000)::bigint"
                             " FROM generate_series(1, 50)"));
  const std::string primary_db = primary_address.substr(primary_address.rfind('/') + 1);
  for (const std::string& db : {primary_db, replica_db})
    ASSERT_TRUE(cluster_->Psql(db,
                               "INSERT INTO server_secret(name, value)"
                               " VALUES ('store_id', 'one-store')"));
  ASSERT_TRUE(AttachReadReplica(*primary, replica_address, 5).ok());
  ASSERT_TRUE(primary->ReadReplica().in_use);
  ASSERT_TRUE(cluster_->Psql(replica_db, "DROP TABLE data_value CASCADE"));
  auto cat = metadata::Catalog::Load(*primary);
  ASSERT_TRUE(cat.ok());
  analytics::EngineHost host(*primary);
  ASSERT_TRUE(host.SetCatalog(*cat, /*wait=*/true).ok());
  auto engine = host.Current();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ((*engine)->size(), 1u);                     // the primary's one value
  EXPECT_GE(primary->ReadReplica().replica_scopes, 1);  // the replica was tried first
}

}  // namespace
}  // namespace weijian::storage

namespace weijian::storage {
namespace {

// The due index the engine gives a child for the doses the store holds of his now.
DueIndexRecord DueIndexOfStoredDoses(Store& store, const TrackedEntityRecord& te) {
  std::vector<tracker::RecordedDose> doses;
  auto recorded = store.ListImmunizationDoses(te.id);
  EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
  if (recorded.ok())
    for (const auto& d : *recorded) doses.push_back({d.vaccine, ParseIsoDate(d.given_on).value()});
  return tracker::DueIndexOf(ParseIsoDate(te.birth_date).value(), doses);
}

// The due index (issue 17, migration 0027): every write that changes a child's doses or birth
// date recomputes it in its own transaction, as tracker::DueIndexOf computes it from what is
// stored; holds and transfers leave it; ListDueCandidates reads through it; a child written
// without an indexer is "not known" (always read) until RefreshDueIndex.
TEST_P(StoreContractTest, TheDueIndexFollowsEveryWriteThatMovesIt) {
  Store* store = store_.get();
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2)};
  ASSERT_TRUE(store->InsertOrgUnits(units).ok());
  const std::int64_t ou = (*store->LoadOrgUnits())[0].id;
  const std::int64_t other = (*store->LoadOrgUnits())[1].id;
  AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "tester";
  audit.created = 1;
  auto child = [&](const std::string& uid, const std::string& birth) {
    TrackedEntityRecord te = CoverageChild(ou, uid);
    te.birth_date = birth;
    te.sex = "F";
    return te;
  };
  int n = 0;
  auto dose = [&](std::int64_t person, const std::string& vaccine, const std::string& day) {
    return CoverageDose(person, ou, "dueIx" + std::to_string(100000 + ++n), vaccine, day);
  };
  auto stored = [&](const std::string& uid) {
    auto found = store->FindTrackedEntity(uid);
    EXPECT_TRUE(found.ok() && found->has_value()) << uid;
    return found.ok() && found->has_value() ? **found : TrackedEntityRecord{};
  };
  // The index the engine gives for what the store holds now.
  auto expected = [&](const std::string& uid) {
    return DueIndexOfStoredDoses(*store, stored(uid));
  };
  auto candidates = [&](const std::string& from, const std::string& to) {
    std::vector<std::string> uids;
    auto found = store->ListDueCandidates(std::span(&ou, 1), from, to);
    EXPECT_TRUE(found.ok());
    for (const auto& r : found.value()) uids.push_back(r.uid);
    return uids;
  };
  using Uids = std::vector<std::string>;

  // Without an indexer: not known, so always a candidate.
  TrackedEntityRecord early = child("teDueIx0001", "2023-05-01");
  ASSERT_TRUE(store->CreateTrackedEntity(early, audit).ok());
  EXPECT_EQ(stored(early.uid).due, DueIndexRecord{});
  EXPECT_EQ(candidates("2030-01-01", "2030-01-01"), Uids{early.uid});

  tracker::InstallDueIndexer(*store);
  // Registered: HepB 1 and BCG are due at birth.
  TrackedEntityRecord te = child("teDueIx0002", "2024-01-10");
  ASSERT_TRUE(store->CreateTrackedEntity(te, audit).ok());
  EXPECT_EQ(stored(te.uid).due.next, "2024-01-10");
  EXPECT_EQ(stored(te.uid).due.until, "2042-01-09");  // catch-up before 18 years
  EXPECT_EQ(stored(te.uid).due.basis, "2024-01-10");
  // Both given at birth: next is HepB 2, at one month.
  ImmunizationDoseRecord hepb = dose(te.id, "HepB", "2024-01-10");
  ASSERT_TRUE(store->AddImmunizationDose(hepb, audit).ok());
  ImmunizationDoseRecord bcg = dose(te.id, "BCG", "2024-01-10");
  ASSERT_TRUE(store->AddImmunizationDose(bcg, audit).ok());
  EXPECT_EQ(stored(te.uid).due.next, "2024-02-10");
  EXPECT_EQ(stored(te.uid).due, expected(te.uid));
  // The windows that may list him from his last dose on, and the ones before it.
  EXPECT_EQ(candidates("2024-02-01", "2024-02-09"), (Uids{early.uid}));
  EXPECT_EQ(candidates("2024-02-01", "2024-02-10"), (Uids{early.uid, te.uid}));
  EXPECT_EQ(candidates("2024-01-09", "2024-01-09"), (Uids{early.uid, te.uid}));
  EXPECT_EQ(candidates("2042-01-10", "2042-03-01"), (Uids{early.uid}));  // past catch-up

  // A dose corrected to a later day: HepB 2 moves with it (28 days on).
  hepb.given_on = "2024-01-20";
  ASSERT_TRUE(store->UpdateImmunizationDose(hepb, audit).ok());
  EXPECT_EQ(stored(te.uid).due.next, "2024-02-17");
  EXPECT_EQ(stored(te.uid).due.basis, "2024-01-20");
  EXPECT_EQ(stored(te.uid).due, expected(te.uid));
  // A dose from stock (ApplyStockMovements): HepB 2 given, next is polio 1 at two months.
  VaccineStockMovementRecord receipt;
  receipt.uid = "mvDueIx0001";
  receipt.org_unit_id = ou;
  receipt.vaccine = "HepB";
  receipt.lot = "L1";
  receipt.expiry = "2026-06-30";
  receipt.manufacturer = "华北制药";
  receipt.kind = "RECEIPT";
  receipt.quantity = 5;
  receipt.moved_on = "2024-02-01";
  receipt.created = 1;
  receipt.created_by = "tester";
  VaccineStockMovementRecord taken = receipt;
  taken.uid = "mvDueIx0002";
  taken.kind = "DOSE";
  taken.quantity = -1;
  taken.expiry = taken.manufacturer = "";
  taken.moved_on = "2024-02-17";
  std::vector<VaccineStockMovementRecord> in = {receipt}, out = {taken};
  std::vector<AuditRecord> one = {audit};
  ASSERT_TRUE(store->ApplyStockMovements(in, one, nullptr, nullptr).ok());
  ImmunizationDoseRecord hepb2 = dose(te.id, "HepB", "2024-02-17");
  hepb2.lot = "L1";
  ASSERT_TRUE(store->ApplyStockMovements(out, one, &hepb2, &audit).ok());
  EXPECT_EQ(stored(te.uid).due.next, "2024-03-10");
  EXPECT_EQ(stored(te.uid).due, expected(te.uid));
  // BCG struck out (recorded in error): due again from birth.
  ASSERT_TRUE(store->DeleteImmunizationDose(bcg.id, audit).ok());
  EXPECT_EQ(stored(te.uid).due.next, "2024-01-10");
  EXPECT_EQ(stored(te.uid).due, expected(te.uid));

  // Holds and transfers do not move it; a child transferred out is no candidate.
  const DueIndexRecord before = stored(te.uid).due;
  ImmunizationHoldRecord hold{
      0, "holdDueIx01", te.id, "*", "CONTRAINDICATION", "2024-02-01", "", "过敏", ou, 1, "tester"};
  ASSERT_TRUE(store->AddImmunizationHold(hold, audit).ok());
  hold.lifted_on = "2024-02-20";
  hold.lifted_by = "tester";
  ASSERT_TRUE(store->LiftImmunizationHold(hold, audit).ok());
  EXPECT_EQ(stored(te.uid).due, before);
  TrackedEntityRecord moved = stored(te.uid);
  moved.org_unit_id = other;
  moved.updated = 2;
  TrackedEntityTransferRecord t;
  t.tracked_entity_id = te.id;
  t.direction = "MOVE";
  t.from_org_unit_id = ou;
  t.to_org_unit_id = other;
  t.transferred_on = "2024-03-01";
  t.created = 2;
  t.created_by = "tester";
  ASSERT_TRUE(store->TransferTrackedEntity(moved, 1, t, audit).ok());
  EXPECT_EQ(stored(te.uid).due, before);
  EXPECT_EQ(candidates("2024-03-01", "2024-03-01"), Uids{early.uid});
  auto there = store->ListDueCandidates(std::span(&other, 1), "2024-03-01", "2024-03-01");
  ASSERT_EQ(there->size(), 1u);
  moved = stored(te.uid);
  moved.status = "TRANSFERRED_OUT";
  moved.updated = 3;
  t.direction = "OUT";
  t.from_org_unit_id = other;
  t.to_org_unit_id = 0;
  ASSERT_TRUE(store->TransferTrackedEntity(moved, 2, t, audit).ok());
  EXPECT_TRUE(store->ListDueCandidates(std::span(&other, 1), "2024-03-01", "2024-03-01")->empty());

  // A birth date corrected (UpdateTrackedEntity): every age moves with it.
  TrackedEntityRecord fixed = stored(early.uid);
  ASSERT_TRUE(store->RefreshDueIndex(std::span(&fixed.id, 1)).ok());
  EXPECT_EQ(stored(early.uid).due.next, "2023-05-01");
  fixed.birth_date = "2023-04-01";
  fixed.updated = 2;
  ASSERT_TRUE(store->UpdateTrackedEntity(fixed, 1, audit).ok());
  EXPECT_EQ(stored(early.uid).due.next, "2023-04-01");
  EXPECT_EQ(stored(early.uid).due, expected(early.uid));

  // Not known until RefreshDueIndex: a child written before any indexer.
  TrackedEntityRecord later = child("teDueIx0003", "2024-06-01");
  store->SetDueIndexer(nullptr);
  ASSERT_TRUE(store->CreateTrackedEntity(later, audit).ok());
  EXPECT_EQ(stored(later.uid).due, DueIndexRecord{});
  auto unknown = store->ListUnindexedTrackedEntities(0, 10);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, std::vector<std::int64_t>{later.id});
  tracker::InstallDueIndexer(*store);
  ASSERT_TRUE(store->RefreshDueIndex(*unknown).ok());
  EXPECT_EQ(stored(later.uid).due.next, "2024-06-01");
  EXPECT_TRUE(store->ListUnindexedTrackedEntities(0, 10)->empty());

  // The bulk path computes it once per child, from the doses it writes with him.
  std::vector<Store::BulkChild> bulk(1);
  bulk[0].person = child("teDueIx0004", "2024-01-10");
  bulk[0].doses = {dose(0, "HepB", "2024-01-10"), dose(0, "BCG", "2024-01-10")};
  ASSERT_TRUE(store->AddTrackedEntitiesBulk(bulk, std::span(&audit, 1)).ok());
  EXPECT_GT(bulk[0].person.id, 0);
  EXPECT_EQ(store->ListImmunizationDoses(bulk[0].person.id)->size(), 2u);
  EXPECT_EQ(stored("teDueIx0004").due.next, "2024-02-10");
  EXPECT_EQ(stored("teDueIx0004").due, expected("teDueIx0004"));

  // Children without doses (the tracker import writes its children before their doses): the
  // index of each depends on his birth date alone (DueIndexer is pure), computed once per birth
  // date of the batch; a child with doses has his own.
  int calls = 0;
  store->SetDueIndexer([&calls](const std::string& birth, std::span<const DoseDay> days) {
    ++calls;
    return DueIndexRecord{birth, "2099-01-0" + std::to_string(days.size()), birth};
  });
  std::vector<Store::BulkChild> undosed(4);
  undosed[0].person = child("teDueIx0005", "2024-02-01");
  undosed[1].person = child("teDueIx0006", "2024-02-02");
  undosed[2].person = child("teDueIx0007", "2024-02-01");
  undosed[3].person = child("teDueIx0008", "2024-02-01");
  undosed[3].doses = {dose(0, "HepB", "2024-02-01")};
  ASSERT_TRUE(store->AddTrackedEntitiesBulk(undosed, std::span(&audit, 1)).ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(stored("teDueIx0005").due, (DueIndexRecord{"2024-02-01", "2099-01-00", "2024-02-01"}));
  EXPECT_EQ(stored("teDueIx0006").due, (DueIndexRecord{"2024-02-02", "2099-01-00", "2024-02-02"}));
  EXPECT_EQ(stored("teDueIx0007").due, (DueIndexRecord{"2024-02-01", "2099-01-00", "2024-02-01"}));
  EXPECT_EQ(stored("teDueIx0008").due, (DueIndexRecord{"2024-02-01", "2099-01-01", "2024-02-01"}));
  tracker::InstallDueIndexer(*store);
}

// The tracker import's bulk path (AddImmunizationDosesBulk): the doses of several children in the
// caller's transaction, each child's due index and coverage mark as the one-dose write gives
// them, ONE audit row for the batch (the chain still verifies), and nothing at all when the
// caller's transaction is rolled back.
// The set-up of the bulk-dose tests: the due indexer and one unit (its id), and the audit
// record of a tester's tracker writes.
std::int64_t OneUnitForDoses(Store& store) {
  tracker::InstallDueIndexer(store);
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  EXPECT_TRUE(store.InsertOrgUnits(units).ok());
  auto loaded = store.LoadOrgUnits();
  EXPECT_TRUE(loaded.ok() && !loaded->empty());
  return loaded.ok() && !loaded->empty() ? (*loaded)[0].id : 0;
}
AuditRecord TesterTrackerAudit() {
  AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "tester";
  audit.created = 1;
  return audit;
}

// A batch larger than one multi-row INSERT (SQLite writes 32 doses per statement, the rest one
// by one): every field of every dose is stored as given, the ids follow the batch's order, and
// a dose refused in the middle of a multi-row statement (a uid already on record) leaves nothing
// of the batch once the caller's transaction is rolled back.
TEST_P(StoreContractTest, ABatchOfManyDosesIsStoredAsGivenInItsOrder) {
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  std::vector<TrackedEntityRecord> children;
  for (int c = 0; c < 3; ++c) {
    children.push_back(CoverageChild(ou, "teManyDose" + std::to_string(c)));
    ASSERT_TRUE(store->CreateTrackedEntity(children.back(), audit).ok());
  }
  std::vector<ImmunizationDoseRecord> doses;
  for (int i = 0; i < 75; ++i) {
    char uid[16];
    std::snprintf(uid, sizeof uid, "doseMany%03d", i);
    auto d = CoverageDose(children[i % 3].id, ou, uid, i % 2 ? "HepB" : "BCG",
                          "2024-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10));
    d.vaccinator = "接种者" + std::to_string(i);
    d.site = "site" + std::to_string(i);
    d.route = "route" + std::to_string(i);
    d.lot = "L" + std::to_string(i);
    d.manufacturer = "M" + std::to_string(i);
    d.lot_expiry = "2030-01-" + std::to_string(10 + i % 20);
    d.trace_code = std::to_string(10000000000000000000ull + static_cast<unsigned>(i));
    d.created = 1000 + i;
    d.created_by = "by" + std::to_string(i);
    doses.push_back(d);
  }
  AuditRecord batch = audit;
  batch.object = "tracker import many #1";
  // A uid already on record at the 40th dose (in the second statement of 32): nothing is kept.
  auto refused = doses;
  ASSERT_TRUE(store
                  ->InOneTransaction([&] {
                    return store->AddImmunizationDosesBulk(std::span(doses).first(1), batch);
                  })
                  .ok());
  refused[40].uid = doses[0].uid;
  refused.erase(refused.begin());
  EXPECT_FALSE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(refused, batch); })
          .ok());
  for (const auto& c : children)
    EXPECT_EQ(store->ListImmunizationDoses(c.id)->size(), c.id == children[0].id ? 1u : 0u);

  auto rest = std::span(doses).subspan(1);
  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(rest, batch); }).ok());
  std::map<std::string, ImmunizationDoseRecord> stored;
  for (const auto& c : children) {
    auto of_child = store->ListImmunizationDoses(c.id);
    ASSERT_TRUE(of_child.ok());
    for (const auto& d : *of_child) stored[d.uid] = d;
  }
  ASSERT_EQ(stored.size(), doses.size());
  std::int64_t last_id = 0;
  for (const auto& want : doses) {
    const ImmunizationDoseRecord& got = stored.at(want.uid);
    EXPECT_GT(got.id, last_id) << want.uid;
    last_id = got.id;
    EXPECT_EQ(std::tie(got.tracked_entity_id, got.vaccine, got.given_on, got.org_unit_id,
                       got.vaccinator, got.site, got.route, got.lot, got.manufacturer,
                       got.lot_expiry, got.trace_code, got.created, got.created_by),
              std::tie(want.tracked_entity_id, want.vaccine, want.given_on, want.org_unit_id,
                       want.vaccinator, want.site, want.route, want.lot, want.manufacturer,
                       want.lot_expiry, want.trace_code, want.created, want.created_by))
        << want.uid;
  }
}

// A tracker import asks once which of its payload's event uids doses have.
TEST_P(StoreContractTest, ExistingDoseUidsAreTheOnesDosesHave) {
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  auto a = CoverageChild(ou, "teUidsDose1");
  ASSERT_TRUE(store->CreateTrackedEntity(a, audit).ok());
  std::vector<ImmunizationDoseRecord> doses = {
      CoverageDose(a.id, ou, "doseUids001", "HepB", "2024-01-10"),
      CoverageDose(a.id, ou, "doseUids002", "BCG", "2024-01-11")};
  AuditRecord batch = audit;
  batch.object = "tracker import test #1";
  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(doses, batch); }).ok());
  auto none = store->ExistingImmunizationDoseUids({});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  auto some = store->ExistingImmunizationDoseUids(
      {"doseUids003", "doseUids002", "teUidsDose1", "doseUids001", "doseUids002", "x\"'y"});
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ(std::set<std::string>(some->begin(), some->end()),
            (std::set<std::string>{"doseUids001", "doseUids002"}));
  // The same for children, by their uid and by their enrollment's.
  const std::string enrollment = (*store->FindTrackedEntity(a.uid))->enrollment_uid;
  ASSERT_FALSE(enrollment.empty());
  using Key = Store::PersonKey;
  EXPECT_TRUE(store->ExistingTrackedEntityKeys({}, Key::kUid)->empty());
  auto children = store->ExistingTrackedEntityKeys(
      {"teUidsNone1", a.uid, enrollment, a.uid, "x\"'y"}, Key::kUid);
  ASSERT_TRUE(children.ok()) << children.status().ToString();
  EXPECT_EQ(*children, std::vector<std::string>{a.uid});
  auto enrollments = store->ExistingTrackedEntityKeys(
      {a.uid, enrollment, "EnNone00001", enrollment}, Key::kEnrollment);
  ASSERT_TRUE(enrollments.ok()) << enrollments.status().ToString();
  EXPECT_EQ(*enrollments, std::vector<std::string>{enrollment});
}

TEST_P(StoreContractTest, ABatchOfDosesIsWrittenWithOneAuditRow) {
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  auto a = CoverageChild(ou, "teBulkDose1"), b = CoverageChild(ou, "teBulkDose2");
  ASSERT_TRUE(store->CreateTrackedEntity(a, audit).ok());
  ASSERT_TRUE(store->CreateTrackedEntity(b, audit).ok());
  const std::size_t audits_before = store->ListAudits({})->size();
  const std::int64_t h = store->CoverageMarksFrom(0, false)->next;
  std::vector<ImmunizationDoseRecord> doses = {
      CoverageDose(a.id, ou, "doseBulk001", "HepB", "2024-01-10"),
      CoverageDose(a.id, ou, "doseBulk002", "BCG", "2024-01-11"),
      CoverageDose(b.id, ou, "doseBulk003", "HepB", "2024-01-10"),
      CoverageDose(a.id, ou, "doseBulk004", "HepB", "2024-02-10")};
  AuditRecord batch = audit;
  batch.object = "tracker import test #1";
  batch.detail = "登记接种 4 条";
  // Rolled back with the caller's transaction: no dose, no mark, no audit row.
  Status s = store->InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store->AddImmunizationDosesBulk(doses, batch));
    return Conflict("changed my mind");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(store->ListImmunizationDoses(a.id)->empty());
  EXPECT_TRUE(MarkedFrom(*store, h).empty());
  EXPECT_EQ(store->ListAudits({})->size(), audits_before);

  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(doses, batch); }).ok());
  auto of_a = store->ListImmunizationDoses(a.id);
  ASSERT_EQ(of_a->size(), 3u);
  EXPECT_EQ((*of_a)[2].uid, "doseBulk004");
  EXPECT_EQ((*of_a)[2].created_by, "tester");
  EXPECT_EQ(store->ListImmunizationDoses(b.id)->size(), 1u);
  EXPECT_EQ(MarkedFrom(*store, h), (std::set<std::int64_t>{a.id, b.id}));
  // Each child's due index as his doses give it.
  for (const auto& te : {a, b})
    EXPECT_EQ((*store->FindTrackedEntity(te.uid))->due, DueIndexOfStoredDoses(*store, te))
        << te.uid;
  auto audits = store->ListAudits({});
  ASSERT_EQ(audits->size(), audits_before + 1);
  EXPECT_EQ(audits->front().object, "tracker import test #1");
  auto chains = store->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& c : *chains) EXPECT_FALSE(c.first_broken_id) << c.table;
  // An empty batch writes nothing.
  ASSERT_TRUE(store->AddImmunizationDosesBulk({}, batch).ok());
  EXPECT_EQ(store->ListAudits({})->size(), audits_before + 1);
}

// A dose recorded through one server while another server's import of the same child's doses
// is open: the dose's save waits for the import (at the child's row, which the import locks
// before it reads his doses, and at his coverage mark), then indexes the child with both. A
// guard: it passes without the row lock too, as the mark already makes the save wait; the lock
// is for a save committed between the import's read and its mark, which a test cannot time.
TEST_P(SeveralServersTest, ADoseBesideAnImportOfTheSameChildIsIndexedWithTheImportsDoses) {
  const std::int64_t ou = OneUnitForDoses(*store_);
  ASSERT_NE(ou, 0);
  tracker::InstallDueIndexer(*other_);
  const AuditRecord audit = TesterTrackerAudit();
  TrackedEntityRecord child = CoverageChild(ou, "teBeside001");
  ASSERT_TRUE(store_->CreateTrackedEntity(child, audit).ok());
  std::vector<ImmunizationDoseRecord> imported = {
      CoverageDose(child.id, ou, "doseBsd0001", "HepB", "2024-01-10"),
      CoverageDose(child.id, ou, "doseBsd0002", "BCG", "2024-01-10"),
      CoverageDose(child.id, ou, "doseBsd0003", "HepB", "2024-02-10")};
  std::thread clerk;
  Status clerk_status;
  Status s = store_->InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store_->AddImmunizationDosesBulk(imported, audit));
    clerk = std::thread([&] {
      ImmunizationDoseRecord dose = CoverageDose(child.id, ou, "doseBsd0004", "IPV", "2024-03-10");
      clerk_status = other_->AddImmunizationDose(dose, audit);
    });
    // Long enough for the clerk's save to reach the child and wait; it passes however long.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Status::Ok();
  });
  clerk.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(clerk_status.ok()) << clerk_status.ToString();
  ASSERT_EQ(store_->ListImmunizationDoses(child.id)->size(), 4u);
  EXPECT_EQ((*store_->FindTrackedEntity(child.uid))->due, DueIndexOfStoredDoses(*store_, child));
}

// Every audit row, newest first.
std::vector<AuditRecord> AllAudits(Store& store) {
  AuditFilter all;
  all.limit = 1'000'000;
  return store.ListAudits(all).value();
}

// A tracker import's transaction takes the audit chain's lock at its end, not at its first batch:
// a dose saved through another server while the import runs, for a child of the import's next
// batch, is saved at once, and the import's next batch then waits for nothing. Until session 25
// the import held the chain from its first batch on: the save, holding the child, waited for the
// chain (every audited write on every server waited for the whole import), and the import's
// next batch waited for the save's child: a deadlock, ended by PostgreSQL (or, the save alone
// waiting, by its lock_timeout) with one of them refused.
TEST_P(SeveralServersTest, ADoseSavedBesideAnImportIsNotKeptWaitingForItsAuditChain) {
  const std::int64_t ou = OneUnitForDoses(*store_);
  ASSERT_NE(ou, 0);
  tracker::InstallDueIndexer(*other_);
  const AuditRecord audit = TesterTrackerAudit();
  TrackedEntityRecord first = CoverageChild(ou, "teChain0001");
  TrackedEntityRecord second = CoverageChild(ou, "teChain0002");
  ASSERT_TRUE(store_->CreateTrackedEntity(first, audit).ok());
  ASSERT_TRUE(store_->CreateTrackedEntity(second, audit).ok());
  const std::size_t audits_before = AllAudits(*store_).size();
  Status clerk_status = Internal("the clerk's save did not run");
  Status s = store_->InOneTransaction([&]() -> Status {
    std::vector<ImmunizationDoseRecord> batch1 = {
        CoverageDose(first.id, ou, "doseChn0001", "HepB", "2024-01-10")};
    WJ_RETURN_IF_ERROR(store_->AddImmunizationDosesBulk(batch1, audit));
    std::thread clerk([&] {
      ImmunizationDoseRecord dose = CoverageDose(second.id, ou, "doseChn0002", "BCG", "2024-01-10");
      clerk_status = other_->AddImmunizationDose(dose, audit);
    });
    clerk.join();  // before: waited for the chain until lock_timeout, and was refused
    std::vector<ImmunizationDoseRecord> batch2 = {
        CoverageDose(second.id, ou, "doseChn0003", "HepB", "2024-01-10")};
    return store_->AddImmunizationDosesBulk(batch2, audit);
  });
  ASSERT_TRUE(clerk_status.ok()) << clerk_status.ToString();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store_->ListImmunizationDoses(second.id)->size(), 2u);
  EXPECT_EQ(AllAudits(*store_).size(), audits_before + 3);
  const auto chains = store_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& chain : *chains) EXPECT_FALSE(chain.first_broken_id) << chain.table;
  EXPECT_EQ((*store_->FindTrackedEntity(second.uid))->due, DueIndexOfStoredDoses(*store_, second));
}

// A dose from stock saved through one server while another's transaction holds the lot (a stock
// count, or a tracker import's dose from stock) waits for that lot without holding the audit
// chain, so the other transaction, which appends its audit rows at its end, commits and the
// dose follows. Until session 25 the dose's save appended its audit row (taking the chain's
// lock) before it updated the lot: the two waited for each other until PostgreSQL refused one.
TEST_P(SeveralServersTest, ADoseFromStockBesideATransactionHoldingItsLotWaitsOnlyForTheLot) {
  const std::int64_t ou = OneUnitForDoses(*store_);
  ASSERT_NE(ou, 0);
  tracker::InstallDueIndexer(*other_);
  const AuditRecord audit = TesterTrackerAudit();
  TrackedEntityRecord child = CoverageChild(ou, "teLotWait01");
  ASSERT_TRUE(store_->CreateTrackedEntity(child, audit).ok());
  auto movement = [&](const std::string& uid, const std::string& kind, std::int64_t quantity) {
    VaccineStockMovementRecord m;
    m.uid = uid;
    m.org_unit_id = ou;
    m.vaccine = "HepB";
    m.lot = "LW1";
    m.expiry = kind == "RECEIPT" ? "2026-06-30" : "";
    m.manufacturer = kind == "RECEIPT" ? "华北制药" : "";
    m.kind = kind;
    m.quantity = quantity;
    m.moved_on = "2024-01-10";
    m.created = 1;
    m.created_by = "tester";
    return m;
  };
  std::vector<VaccineStockMovementRecord> receipt = {movement("mvLotWait01", "RECEIPT", 10)};
  const std::vector<AuditRecord> one = {audit};
  ASSERT_TRUE(store_->ApplyStockMovements(receipt, one, nullptr, nullptr).ok());
  std::thread clerk;
  Status clerk_status = Internal("the clerk's save did not run");
  Status s = store_->InOneTransaction([&]() -> Status {
    std::vector<VaccineStockMovementRecord> issue = {movement("mvLotWait02", "ISSUE", -2)};
    WJ_RETURN_IF_ERROR(store_->ApplyStockMovements(issue, one, nullptr, nullptr));  // holds LW1
    clerk = std::thread([&] {
      std::vector<VaccineStockMovementRecord> taken = {movement("mvLotWait03", "DOSE", -1)};
      ImmunizationDoseRecord dose = CoverageDose(child.id, ou, "doseLotW001", "HepB", "2024-01-10");
      dose.lot = "LW1";
      clerk_status = other_->ApplyStockMovements(taken, one, &dose, &audit);
    });
    // Long enough for the clerk's save to reach the lot and wait; it passes however long.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Status::Ok();
  });
  clerk.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(clerk_status.ok()) << clerk_status.ToString();
  auto lots = store_->ListVaccineLots(std::span(&ou, 1));
  ASSERT_TRUE(lots.ok());
  ASSERT_EQ(lots->size(), 1u);
  EXPECT_EQ(lots->front().balance, 7);
  const auto chains = store_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& chain : *chains) EXPECT_FALSE(chain.first_broken_id) << chain.table;
}

// An audit row written inside InOneTransaction is kept with the writes it describes: not when the
// transaction is rolled back, nor when a nested transaction or a write method that failed after
// its audit row (a dose from stock refused for want of stock) rolled its savepoint back while the
// transaction went on. PostgreSQL keeps the rows for the commit (their savepoints' marks: PgDb::
// DeferredMark); SQLite writes them in place. The same rows either way.
TEST_P(StoreContractTest, AnAuditRowInsideOneTransactionIsKeptWithItsTransaction) {
  const std::int64_t ou = OneUnitForDoses(*store_);
  ASSERT_NE(ou, 0);
  TrackedEntityRecord child = CoverageChild(ou, "teKeptRow01");
  ASSERT_TRUE(store_->CreateTrackedEntity(child, TesterTrackerAudit()).ok());
  const std::size_t before = AllAudits(*store_).size();
  auto row = [](const std::string& object) {
    AuditRecord a = TesterTrackerAudit();
    a.object = object;
    return a;
  };
  Status rolled = store_->InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store_->AppendAudit(row("gone 1")));
    return Conflict("refused");
  });
  EXPECT_EQ(rolled.code(), StatusCode::kConflict);
  Status kept = store_->InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store_->AppendAudit(row("kept 1")));
    (void)store_->InOneTransaction([&]() -> Status {
      WJ_RETURN_IF_ERROR(store_->AppendAudit(row("gone 2")));
      return Conflict("the nested one refused");
    });
    // A dose from a lot the unit does not hold: the dose is written, then the movement is
    // refused and the method's savepoint rolled back. (Its audit rows come after the lots, so
    // none was kept; until 69bd5c2 the dose's was, and had to go with the savepoint.)
    ImmunizationDoseRecord dose = CoverageDose(child.id, ou, "doseKept001", "HepB", "2024-01-10");
    dose.lot = "NONE";
    VaccineStockMovementRecord taken;
    taken.uid = "mvKeptRow01";
    taken.org_unit_id = ou;
    taken.vaccine = "HepB";
    taken.lot = "NONE";
    taken.kind = "DOSE";
    taken.quantity = -1;
    taken.moved_on = "2024-01-10";
    taken.created = 1;
    taken.created_by = "tester";
    std::vector<VaccineStockMovementRecord> out = {taken};
    const std::vector<AuditRecord> movement = {row("gone 3 (movement)")};
    const AuditRecord dose_row = row("gone 3 (dose)");
    EXPECT_EQ(store_->ApplyStockMovements(out, movement, &dose, &dose_row).code(),
              StatusCode::kConflict);
    WJ_RETURN_IF_ERROR(
        store_->InOneTransaction([&] { return store_->AppendAudit(row("kept 2")); }));
    return store_->AppendAudit(row("kept 3"));
  });
  ASSERT_TRUE(kept.ok()) << kept.ToString();
  EXPECT_TRUE(store_->ListImmunizationDoses(child.id)->empty());
  const auto after = AllAudits(*store_);
  std::vector<std::string> objects;
  for (std::size_t i = 0; i + before < after.size(); ++i) objects.push_back(after[i].object);
  EXPECT_EQ(objects, (std::vector<std::string>{"kept 3", "kept 2", "kept 1"}));  // newest first
  const auto chains = store_->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& chain : *chains) EXPECT_FALSE(chain.first_broken_id) << chain.table;
}

// A batch of doses for many children (at least kBesideMinItems: their due indexes are
// computed on a thread of their own while the doses are written) indexes each child from all of
// his doses: those on record before the batch and the batch's, with a dose of the batch on the
// day of one on record and one dated between two on record.
TEST_P(StoreContractTest, ALargeBatchOfDosesIndexesEachChildFromAllOfHisDoses) {
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  std::vector<TrackedEntityRecord> kids;
  std::vector<ImmunizationDoseRecord> batch;
  int n = 0;
  auto dose = [&](std::int64_t te, const std::string& vaccine, const std::string& day) {
    return CoverageDose(te, ou, "dl" + std::to_string(100000000 + n++), vaccine, day);
  };
  for (int k = 0; k < 80; ++k) {
    TrackedEntityRecord te = CoverageChild(ou, "teLarge" + std::to_string(1000 + k));
    const Date birth = ParseIsoDate("2023-01-01").value() + std::chrono::days(k * 5);
    te.birth_date = FormatIsoDate(birth);
    ASSERT_TRUE(store->CreateTrackedEntity(te, audit).ok());
    kids.push_back(te);
    auto day = [&](int d) { return FormatIsoDate(birth + std::chrono::days(d)); };
    if (k % 2 == 0) {  // HepB 1 and IPV 1 on record
      for (auto [vaccine, d] : {std::pair{"HepB", 0}, std::pair{"IPV", 60}}) {
        ImmunizationDoseRecord on_record = dose(te.id, vaccine, day(d));
        ASSERT_TRUE(store->AddImmunizationDose(on_record, audit).ok());
      }
    }
    batch.push_back(dose(te.id, "HepB", day(30)));
    if (k % 3 == 0) batch.push_back(dose(te.id, "BCG", day(0)));  // the day of HepB 1
    if (k % 4 == 0) batch.push_back(dose(te.id, "bOPV", day(90)));
    if (k % 5 == 0) batch.push_back(dose(te.id, "DTaP", day(61)));
  }
  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(batch, audit); }).ok());
  std::set<std::string> seen;
  for (const auto& te : kids) {
    const DueIndexRecord due = (*store->FindTrackedEntity(te.uid))->due;
    EXPECT_EQ(due, DueIndexOfStoredDoses(*store, te)) << te.uid;
    seen.insert(due.next + " " + due.until + " " + due.basis);
  }
  EXPECT_GT(seen.size(), 40u);  // the children differ, so a mix-up of children would show
}

// More children in one bulk write than one statement takes (PostgreSQL inserts 500 a statement
// and maps the ids it returns to the children by uid; SQLite one by one): each child gets his own
// id, his own fields and his own doses, and each is marked for coverage once.
TEST_P(StoreContractTest, ABulkOfMoreChildrenThanAStatementTakesGivesEachHisOwnIdAndDoses) {
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  const std::int64_t from = store->CoverageMarksFrom(0, false)->next;
  constexpr int kChildren = 503;  // a whole statement and part of another
  std::vector<Store::BulkChild> bulk(kChildren);
  const Date first = ParseIsoDate("2020-01-01").value();
  for (int k = 0; k < kChildren; ++k) {
    TrackedEntityRecord& te = bulk[static_cast<std::size_t>(k)].person;
    te = CoverageChild(ou, "teBulk" + std::to_string(10000 + k));
    te.birth_date = FormatIsoDate(first + std::chrono::days(k));
    te.sex = k % 2 ? "F" : "M";
    for (int d = 0; d < k % 3; ++d)
      bulk[static_cast<std::size_t>(k)].doses.push_back(CoverageDose(
          0, ou, "dlBulk" + std::to_string(100000 + k * 3 + d), d ? "BCG" : "HepB", te.birth_date));
  }
  ASSERT_TRUE(store
                  ->InOneTransaction(
                      [&] { return store->AddTrackedEntitiesBulk(bulk, std::span(&audit, 1)); })
                  .ok());
  std::set<std::int64_t> ids;
  for (int k = 0; k < kChildren; ++k) {
    const Store::BulkChild& c = bulk[static_cast<std::size_t>(k)];
    ASSERT_GT(c.person.id, 0) << k;
    ids.insert(c.person.id);
    auto stored = store->FindTrackedEntity(c.person.uid);
    ASSERT_TRUE(stored.ok() && stored->has_value()) << k;
    EXPECT_EQ((*stored)->id, c.person.id) << k;
    EXPECT_EQ((*stored)->birth_date, c.person.birth_date) << k;
    EXPECT_EQ((*stored)->sex, c.person.sex) << k;
    auto doses = store->ListImmunizationDoses(c.person.id);
    ASSERT_TRUE(doses.ok()) << k;
    ASSERT_EQ(doses->size(), c.doses.size()) << k;
    for (std::size_t d = 0; d < c.doses.size(); ++d) EXPECT_EQ((*doses)[d].uid, c.doses[d].uid);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kChildren));
  auto marks = store->CoverageMarksFrom(from, true);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  std::set<std::int64_t> marked;
  for (const auto& [te, seq] : marks->marks) marked.insert(te);
  EXPECT_EQ(marked, ids);
  // Then one more dose each, in one batch (PostgreSQL reads the children and writes their due
  // indexes 500 a statement): each child's due index is that of his own doses.
  std::vector<ImmunizationDoseRecord> batch;
  for (int k = 0; k < kChildren; ++k)
    batch.push_back(CoverageDose(bulk[static_cast<std::size_t>(k)].person.id, ou,
                                 "dlBulkIpv" + std::to_string(10000 + k), "IPV",
                                 FormatIsoDate(first + std::chrono::days(k + 60))));
  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(batch, audit); }).ok());
  std::set<std::string> seen;
  for (int k = 0; k < kChildren; ++k) {
    const TrackedEntityRecord& te = bulk[static_cast<std::size_t>(k)].person;
    const DueIndexRecord due = (*store->FindTrackedEntity(te.uid))->due;
    EXPECT_EQ(due, DueIndexOfStoredDoses(*store, te)) << k;
    seen.insert(due.next + " " + due.until + " " + due.basis);
  }
  EXPECT_GT(seen.size(), 400u);  // the children differ, so a mix-up of children would show
}

// PostgreSQL keeps every statement a connection prepares for the connection's life (5 MB for an
// INSERT of 500 children), and each statement's text names its parameters' types: a batch must
// not make statements of its own from its size or from which of its children have a NULL. Two
// bulk writes of other sizes and another mix of villages, after one of each kind, prepare
// nothing new. (Before session 30's review: an untyped NULL per child without a village, and
// any batch size, made a statement of each.)
TEST_P(StoreContractTest, BulkWritesOfChildrenPrepareNoStatementPerBatch) {
  if (GetParam() != "postgres") GTEST_SKIP() << "SQLite caches its statements per connection";
  Store* store = store_.get();
  const std::int64_t ou = OneUnitForDoses(*store);
  ASSERT_NE(ou, 0);
  const AuditRecord audit = TesterTrackerAudit();
  int next = 0;
  auto write = [&](int children, int with_village_every) {
    std::vector<Store::BulkChild> bulk(static_cast<std::size_t>(children));
    for (int k = 0; k < children; ++k) {
      TrackedEntityRecord& te = bulk[static_cast<std::size_t>(k)].person;
      te = CoverageChild(ou, "tePrep" + std::to_string(10000 + next++));
      te.village_id = k % with_village_every == 0 ? ou : 0;
    }
    ASSERT_TRUE(store
                    ->InOneTransaction(
                        [&] { return store->AddTrackedEntitiesBulk(bulk, std::span(&audit, 1)); })
                    .ok());
    std::vector<ImmunizationDoseRecord> doses;
    for (const auto& c : bulk)
      doses.push_back(CoverageDose(c.person.id, ou, "dlPrep" + std::to_string(next++), "HepB",
                                   c.person.birth_date));
    ASSERT_TRUE(
        store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(doses, audit); })
            .ok());
  };
  write(141, 2);  // 100 + 20 + 20 + 1: every size of statement once
  const std::int64_t before = PgPrepareCount();
  write(163, 3);  // 100 + 3 × 20 + 3 × 1, another mix of NULLs
  write(22, 7);
  EXPECT_EQ(PgPrepareCount() - before, 0);
}

// The bulk writes of doses mark each child for coverage once, not once per dose (migration 0029 /
// PostgreSQL 0010): the marks of three children given four doses each in one batch are three
// consecutive ones (one per dose: each child's last mark four after the one before). The
// coverage keeper still sees every child of the batch, and a dose written on its own (after the
// batch, by the trigger) still marks its child.
TEST_P(StoreContractTest, ABatchOfDosesMarksEachChildOnce) {
  Store* store = store_.get();
  std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(store->InsertOrgUnits(units).ok());
  const std::int64_t ou = (*store->LoadOrgUnits())[0].id;
  AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "tester";
  audit.created = 1;
  std::vector<TrackedEntityRecord> kids = {CoverageChild(ou, "teMarkOnce1"),
                                           CoverageChild(ou, "teMarkOnce2"),
                                           CoverageChild(ou, "teMarkOnce3")};
  for (auto& k : kids) ASSERT_TRUE(store->CreateTrackedEntity(k, audit).ok());
  const std::int64_t h = store->CoverageMarksFrom(0, false)->next;
  std::vector<ImmunizationDoseRecord> doses;
  const char* vaccines[] = {"HepB", "BCG", "IPV", "DTaP"};
  for (std::size_t k = 0; k < kids.size(); ++k)
    for (int v = 0; v < 4; ++v)
      doses.push_back(CoverageDose(kids[k].id, ou, "doseMark" + std::to_string(k * 4 + v) + "xx",
                                   vaccines[v], "2024-03-1" + std::to_string(v)));
  ASSERT_TRUE(
      store->InOneTransaction([&] { return store->AddImmunizationDosesBulk(doses, audit); }).ok());
  auto marks = store->CoverageMarksFrom(h, true);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  std::map<std::int64_t, std::int64_t> seq;
  for (const auto& [id, s] : marks->marks) seq[id] = s;
  ASSERT_EQ(seq.size(), 3u);
  for (const auto& k : kids) ASSERT_EQ(seq.count(k.id), 1u) << k.uid;
  EXPECT_EQ(seq[kids[1].id] - seq[kids[0].id], 1);
  EXPECT_EQ(seq[kids[2].id] - seq[kids[1].id], 1);

  // The generator's bulk path: the child's own insert marks him, his doses no more (SQLite; on
  // PostgreSQL it inserts each dose by a statement of its own, each marking once).
  const std::int64_t h2 = store->CoverageMarksFrom(0, false)->next;
  std::vector<Store::BulkChild> bulk(2);
  bulk[0].person = CoverageChild(ou, "teMarkOnce4");
  bulk[1].person = CoverageChild(ou, "teMarkOnce5");
  for (int v = 0; v < 4; ++v)
    for (int k = 0; k < 2; ++k)
      bulk[k].doses.push_back(CoverageDose(0, ou, "doseMarkB" + std::to_string(k * 4 + v) + "x",
                                           vaccines[v], "2024-03-1" + std::to_string(v)));
  ASSERT_TRUE(store->AddTrackedEntitiesBulk(bulk, std::span(&audit, 1)).ok());
  auto marks2 = store->CoverageMarksFrom(h2, true);
  ASSERT_TRUE(marks2.ok());
  seq.clear();
  for (const auto& [id, s] : marks2->marks) seq[id] = s;
  ASSERT_EQ(seq.size(), 2u);
  if (GetParam() == "sqlite") {
    EXPECT_EQ(seq[bulk[1].person.id] - seq[bulk[0].person.id], 1);
  }

  // Any other write of a dose is marked by the trigger as before.
  const std::int64_t h3 = store->CoverageMarksFrom(0, false)->next;
  auto single = CoverageDose(kids[0].id, ou, "doseMarkOne", "MMR", "2024-03-20");
  ASSERT_TRUE(store->AddImmunizationDose(single, audit).ok());
  EXPECT_EQ(MarkedFrom(*store, h3), (std::set<std::int64_t>{kids[0].id}));
}

}  // namespace
}  // namespace weijian::storage
