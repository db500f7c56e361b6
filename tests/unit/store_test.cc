#include "storage/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "metadata/bundle.h"
#include "metadata/catalog.h"
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

void Exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

OrgUnitRecord Unit(const std::string& code, const std::string& parent_code, int level) {
  OrgUnitRecord u;
  u.uid = "U" + code + std::string(10 - std::min<std::size_t>(code.size(), 10), 'x');
  u.uid.resize(11, 'x');
  u.code = code;
  u.name = "单位" + code;
  u.short_name = u.name;
  u.level = level;
  if (!parent_code.empty()) {
    u.parent_uid =
        "U" + parent_code + std::string(10 - std::min<std::size_t>(parent_code.size(), 10), 'x');
    u.parent_uid.resize(11, 'x');
  }
  u.path = "/" + u.uid;
  return u;
}

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
    std::vector<OrgUnitRecord> units = {Unit("15", "", 1), Unit("1506", "15", 2)};
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
  Exec(path, "PRAGMA user_version = 999");
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer weijian"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
  EXPECT_EQ(ReadUserVersion(path), 999);  // untouched
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

TEST(StoreTest, OrgUnitInsertIsAllOrNothing) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("a.db"));
  ASSERT_TRUE(store.ok());
  std::vector<OrgUnitRecord> units = {Unit("15", "", 1), Unit("1506", "15", 2),
                                      Unit("150624", "9999", 3)};  // unknown parent
  Status s = (*store)->InsertOrgUnits(units);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "organisationUnits[2].parent");
  EXPECT_EQ(*(*store)->CountOrgUnits(), 0);
  std::vector<OrgUnitRecord> dup = {Unit("15", "", 1), Unit("15", "", 1)};
  EXPECT_EQ((*store)->InsertOrgUnits(dup).code(), StatusCode::kConflict);
  EXPECT_EQ(*(*store)->CountOrgUnits(), 0);
}

class DataValueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(dir_.File("v.db"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(metadata::EnsureDefaults(*store_).ok());
    std::vector<OrgUnitRecord> units = {Unit("15", "", 1)};
    ASSERT_TRUE(store_->InsertOrgUnits(units).ok());
    MetadataRecords r;
    DataElementRecord de;
    de.uid = "deAAAAAAAAA";
    de.code = "TC_DONE";
    de.name = de.short_name = "两癌筛查完成人数";
    de.combo_uid = metadata::kDefaultCategoryComboUid;
    r.data_elements.push_back(de);
    ASSERT_TRUE(store_->UpsertMetadata(r).ok());
    auto cat = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(cat.ok());
    auto pe = store_->EnsurePeriod({0, "202407", "Monthly", "2024-07-01", "2024-07-31"});
    ASSERT_TRUE(pe.ok());
    key_ = {(*cat)->DataElements().ByCode("TC_DONE")->id, *pe, (*cat)->org_units().front().id,
            (*cat)->DefaultCoc()->id, (*cat)->DefaultCoc()->id};
  }

  Result<WriteCounts> Write(const std::string& value, bool remove = false) {
    DataValueWrite w;
    w.key = key_;
    w.value = value;
    if (remove) w.mode = WriteMode::kDelete;
    return store_->WriteDataValues({&w, 1}, "tester", 1000);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  DataValueKey key_;
};

TEST_F(DataValueStoreTest, CreateUpdateDeleteKeepHistory) {
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

TEST_F(DataValueStoreTest, ConstraintFailureInABatchWritesNothing) {
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

TEST_F(DataValueStoreTest, LockedDatabaseGivesCleanUnavailableAndNoChange) {
  ASSERT_EQ(Write("1")->imported, 1);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("v.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = Write("2");  // waits for the busy timeout, then gives up
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("busy"), std::string::npos) << r.status().message();
  EXPECT_EQ((*store_->GetDataValue(key_))->value, "1");
}

}  // namespace
}  // namespace weijian::storage
