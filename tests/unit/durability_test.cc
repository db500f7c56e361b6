// Imports and their records: the summary counts in every mode (finding 9), the values, the
// summary and the audit row committed in one transaction (finding 8), and the store's read pool
// (finding 2): reads and a single-value write complete while an import is open.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <thread>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::exchange {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

constexpr char kHeader[] = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n";

// Runs SQL on the file directly (a second connection, as a test's saboteur).
void Sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}
long long Count(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  long long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("d.db");
    store_ = MakeOrdosStore(path_, false);
    json bundle = weijian::testing::DemoMetadataBundle();
    for (auto& ds : bundle["dataSets"])
      if (ds["code"] == "DS_VILLAGE_MONTHLY")
        ds["organisationUnits"] =
            json::parse(R"([{"code":"150624100001"},{"code":"150624100002"}])");
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(bundle, **empty, *store_).ok());
    cat_ = *metadata::Catalog::Load(*store_);
    values_ = std::make_unique<DataValueService>(*store_);
  }
  Result<ImportSummary> Import(const std::string& rows, bool atomic = true,
                               bool with_audit = false) {
    ImportOptions o;
    o.user = "tester";
    o.atomic = atomic;
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    if (with_audit)
      o.audit = [](const ImportSummary& s) {
        storage::AuditRecord r;
        r.type = "IMPORT";
        r.username = "tester";
        r.object = s.import_id;
        r.detail = s.status;
        r.address = "test";
        r.created = 1;
        return r;
      };
    return ImportDataValues(OpenString(kHeader + rows), ImportFormat::kCsv, o, *cat_, *values_);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<DataValueService> values_;
};

const std::string kTwoGoodOneBad =
    "VC_VISITS,202301,150624100001,,,5\n"
    "VC_VISITS,202301,150624100002,,,6\n"
    "VC_VISITS,202301,NO_SUCH_UNIT,,,7\n";

TEST_F(DurabilityTest, ARefusedAtomicImportIgnoresEveryRowAndDeletesNothing) {
  auto r = Import(kTwoGoodOneBad, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "ERROR");
  EXPECT_EQ(r->counts.deleted, 0);
  EXPECT_EQ(r->counts.ignored, 3);
  EXPECT_EQ(r->counts.imported + r->counts.updated, 0);
  auto stored = FindImportSummary(*store_, r->import_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["importCount"]["deleted"], 0);
  EXPECT_EQ((*stored)["importCount"]["ignored"], 3);
}

TEST_F(DurabilityTest, UnderAtomicModeNoneRejectedRowsAreCountedAsIgnored) {
  auto r = Import(kTwoGoodOneBad, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "WARNING");
  EXPECT_EQ(r->counts.imported, 2);
  EXPECT_EQ(r->counts.ignored, 1);
  EXPECT_EQ(r->counts.deleted, 0);
  // Again: the two stored values are unchanged (updated, as DHIS2 counts them), the bad row
  // still ignored.
  auto again = Import(kTwoGoodOneBad, false);
  EXPECT_EQ(again->counts.imported, 0);
  EXPECT_EQ(again->counts.updated, 2);
  EXPECT_EQ(again->counts.ignored, 1);
  // Deletions under NONE: one existing value deleted, one bad row ignored.
  auto del = Import("VC_VISITS,202301,150624100001,,,\nVC_VISITS,202301,NO_SUCH_UNIT,,,\n", false);
  ASSERT_TRUE(del.ok());
  // A row without a value deletes under DHIS2's rules only with importStrategy=DELETE; count
  // whatever happened to the good row and check the bad one is ignored.
  EXPECT_EQ(del->counts.imported + del->counts.updated + del->counts.deleted + del->counts.ignored,
            2);
  EXPECT_GE(del->counts.ignored, 1);
  // A successful atomic import: everything imported, nothing ignored.
  auto ok = Import("VC_VISITS,202302,150624100001,,,8\n", true);
  EXPECT_EQ(ok->status, "SUCCESS");
  EXPECT_EQ(ok->counts.imported, 1);
  EXPECT_EQ(ok->counts.ignored, 0);
}

TEST_F(DurabilityTest, ValuesSummaryAndAuditCommitTogether) {
  auto r = Import("VC_VISITS,202301,150624100001,,,5\n", true, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Count(path_, "SELECT count(*) FROM audit WHERE type = 'IMPORT'"), 1);
  EXPECT_EQ(Count(path_, "SELECT count(*) FROM data_import"), 1);
  // An audit row that cannot be written: the import fails whole, nothing of it is kept.
  Sql(path_,
      "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit gone'); "
      "END");
  const long long values = Count(path_, "SELECT count(*) FROM data_value");
  auto failed = Import("VC_VISITS,202302,150624100001,,,6\n", true, true);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(Count(path_, "SELECT count(*) FROM data_value"), values);
  EXPECT_EQ(Count(path_, "SELECT count(*) FROM data_import"), 1);
  // The same for a refused import: its summary is not kept without its audit row.
  auto refused = Import(kTwoGoodOneBad, true, true);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(Count(path_, "SELECT count(*) FROM data_import"), 1);
  Sql(path_, "DROP TRIGGER no_audit");
  auto checks = store_->VerifyAuditChains();
  ASSERT_TRUE(checks.ok());
  for (const auto& c : *checks) EXPECT_FALSE(c.first_broken_id.has_value()) << c.table;
}

// An import holds the one writer; reads meanwhile come from the read pool and do not wait for
// it, and a single-value write completes once the import is done (ordering, not timing).
TEST_F(DurabilityTest, ReadsDoNotWaitForAnOpenImport) {
  ASSERT_TRUE(Import("VC_VISITS,202301,150624100001,,,5\n").ok());
  auto writer =
      store_->BeginDataValueImport("tester", "IMPORTUID01", 1, storage::ImportWriter::kBeside);
  ASSERT_TRUE(writer.ok());
  auto pe = (*writer)->EnsurePeriod({0, "202303", "Monthly", "2023-03-01", "2023-03-31"});
  ASSERT_TRUE(pe.ok());
  storage::DataValueWrite w;
  // The default combination of the element for both combos.
  const auto* de = cat_->DataElements().ByCode("VC_VISITS");
  w.key = {de->id, *pe, cat_->OrgUnits().ByCode("150624100001")->id, 0, 0};
  w.key.coc_id = cat_->CombosOf(de->combo_uid)[0]->id;
  w.key.aoc_id = w.key.coc_id;
  w.value = "9";
  ASSERT_TRUE((*writer)->Write({&w, 1}, nullptr).ok());
  // While the import is open (uncommitted), another thread reads: done before the import ends.
  auto reads = std::async(std::launch::async, [&] {
    auto n = store_->CountDataValues(false);
    auto users = store_->ListUsers();
    auto periods = store_->LoadPeriods();
    return n.ok() && users.ok() && periods.ok() ? *n : -1;
  });
  ASSERT_EQ(reads.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "a read waited for the import";
  EXPECT_EQ(reads.get(), 1);  // the import's value is not visible before it commits
  // A single-value write from another thread completes after the import commits.
  std::atomic<bool> committed{false};
  auto single = std::async(std::launch::async, [&] {
    DataValueInput in{de->uid, "202301", cat_->OrgUnits().ByCode("150624100002")->uid, "", "", "4",
                      "",      {}};
    auto s = values_->Save(*cat_, in, "tester");
    return s.ok() && committed.load();
  });
  ASSERT_TRUE((*writer)->Commit().ok());
  committed = true;
  writer->reset();
  EXPECT_TRUE(single.get());
  EXPECT_EQ(*store_->CountDataValues(false), 3);
}

}  // namespace
}  // namespace weijian::exchange
