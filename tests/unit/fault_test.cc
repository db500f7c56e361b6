// SQLite's fault-simulation pattern: for every k, the k-th statement step (or Exec) of an
// operation fails as a disk error would; the operation must return a clean error and leave
// every table exactly as it was. Then k+1, until the operation completes without meeting the
// fault. Operations: a data import (values, summary and audit row), a metadata import (with its
// audit row), publishing an article, and a user change.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "portal/site.h"
#include "storage/sqlite/sqlite_db.h"
#include "unit/test_support.h"

namespace weijian {
namespace {

using nlohmann::json;

// Every row of every table, hashed (order-independent within a table).
std::string Fingerprint(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  std::vector<std::string> tables;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                     "'sqlite_%' AND name NOT LIKE '%fts%' ORDER BY name",
                     -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    tables.push_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  std::string out;
  for (const auto& t : tables) {
    std::string sql = "SELECT * FROM \"" + t + "\"";  // names from sqlite_master itself
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    std::size_t sum = 0, n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const unsigned char* v = sqlite3_column_text(s, i);
        row += v ? reinterpret_cast<const char*>(v) : "∅";
        row += '\x1f';
      }
      sum += std::hash<std::string>{}(row);
      ++n;
    }
    sqlite3_finalize(s);
    out += t + ":" + std::to_string(n) + ":" + std::to_string(sum) + ";";
  }
  sqlite3_close(db);
  return out;
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("f.db");
    store_ = weijian::testing::MakeOrdosStore(path_, false);
    json bundle = weijian::testing::DemoMetadataBundle();
    for (auto& ds : bundle["dataSets"])
      if (ds["code"] == "DS_VILLAGE_MONTHLY")
        ds["organisationUnits"] =
            json::parse(R"([{"code":"150624100001"},{"code":"150624100002"}])");
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(bundle, **empty, *store_).ok());
    cat_ = *metadata::Catalog::Load(*store_);
  }
  void TearDown() override { storage::FailNthSqliteCall(0); }

  // Runs `op` with the k-th call failing, k = 1, 2, …: each failure must leave the file as it
  // was; returns how many faults were injected before the operation got through.
  int EveryFault(const std::function<Status()>& op) {
    for (int k = 1; k < 2000; ++k) {
      const std::string before = Fingerprint(path_);
      storage::FailNthSqliteCall(k);
      Status s = op();
      const bool fired = storage::SqliteFaultFired();
      storage::FailNthSqliteCall(0);
      if (!fired) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        return k - 1;
      }
      if (s.ok()) {
        // The fault hit a read that the operation may retry or ignore; it must still be whole.
        continue;
      }
      EXPECT_EQ(Fingerprint(path_), before) << "fault " << k << ": " << s.ToString();
      if (HasFailure()) return k;
    }
    ADD_FAILURE() << "the operation never completed";
    return 0;
  }

  weijian::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

storage::AuditRecord Audit(const std::string& type, const std::string& object) {
  storage::AuditRecord r;
  r.type = type;
  r.username = "tester";
  r.object = object;
  r.detail = "fault test";
  r.address = "test";
  r.created = 1;
  return r;
}

TEST_F(FaultTest, ADataImport) {
  exchange::DataValueService values(*store_);
  int round = 0;
  int faults = EveryFault([&]() -> Status {
    exchange::ImportOptions o;
    o.user = "tester";
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    o.audit = [](const exchange::ImportSummary& s) { return Audit("IMPORT", s.import_id); };
    // A new value each round (and one that is updated), in a new period too.
    std::string rows =
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
        "VC_VISITS,2019" +
        std::string(round % 12 < 9 ? "0" : "") + std::to_string(round % 12 + 1) +
        ",150624100001,,," + std::to_string(100 + round) + "\nVC_VISITS,202301,150624100002,,," +
        std::to_string(round) + "\n";
    ++round;
    auto r = exchange::ImportDataValues(exchange::OpenString(rows), exchange::ImportFormat::kCsv, o,
                                        *cat_, values);
    return r.ok() ? Status::Ok() : r.status();
  });
  EXPECT_GT(faults, 5);
}

// Only writes are counted (reads of the stored metadata are not), so a metadata import meets a
// bounded number of faults.
TEST_F(FaultTest, AMetadataImport) {
  int round = 0;
  int faults = EveryFault([&]() -> Status {
    json bundle = {
        {"dataElements",
         {{{"code", "F_" + std::to_string(round)}, {"name", "故障" + std::to_string(round)}}}},
        {"organisationUnits",
         {{{"code", "150624100H" + std::to_string(10 + round)},
           {"name", "故障卫生院" + std::to_string(round)},
           {"parent", {{"code", "150624100"}}},
           {"facilityType", "卫生院"}}}}};
    ++round;
    auto cat = metadata::Catalog::Load(*store_);
    if (!cat.ok()) return cat.status();
    auto r = metadata::ImportMetadata(
        bundle, **cat, *store_,
        [](const metadata::MetadataImportReport&) { return Audit("METADATA", "bundle"); });
    return r.ok() ? Status::Ok() : r.status();
  });
  EXPECT_GT(faults, 5);
}

TEST_F(FaultTest, PublishingAnArticle) {
  portal::Articles a(*store_);
  portal::ArticleInput in;
  in.column = "gzdt";
  in.title = "故障注入";
  in.body = "正文";
  auto draft = a.Create(in, "editor", NowMillis());
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  int faults = EveryFault([&]() -> Status {
    auto p = a.Publish(draft->uid, 0, "editor", NowMillis());
    return p.ok() ? Status::Ok() : p.status();
  });
  EXPECT_GT(faults, 1);
}

// Article and report actions with their audit row, as the handlers run them
// (Store::InOneTransaction): at every fault, neither is kept; when the action gets through,
// both are, and exactly one audit row more.
class AuditedActionFaultTest : public FaultTest {
 protected:
  long long Audits(const std::string& type) {
    storage::AuditFilter f;
    f.type = type;
    f.limit = 100000;
    auto list = store_->ListAudits(f);
    return list.ok() ? static_cast<long long>(list->size()) : -1;
  }
  // Runs `action` with its audit row in one transaction under EveryFault; afterwards exactly
  // one `type` audit row more exists and `applied()` holds.
  void BothOrNeither(const std::string& type, const std::function<Status()>& action,
                     const std::string& object, const std::function<bool()>& applied) {
    const long long before = Audits(type);
    ASSERT_FALSE(applied());
    int faults = EveryFault([&]() -> Status {
      return store_->InOneTransaction([&]() -> Status {
        WJ_RETURN_IF_ERROR(action());
        return store_->AppendAudit(Audit(type, object));
      });
    });
    EXPECT_GT(faults, 1);
    EXPECT_EQ(Audits(type), before + 1);
    EXPECT_TRUE(applied());
  }
};

TEST_F(AuditedActionFaultTest, PublishWithdrawAndTheirAudits) {
  portal::Articles a(*store_);
  portal::ArticleInput in;
  in.column = "gzdt";
  in.title = "审计与发布同在";
  in.body = "正文";
  auto draft = a.Create(in, "editor", NowMillis());
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  auto published = [&] {
    auto v = store_->ListArticleVersions(draft->id);
    return v.ok() && !v->empty();
  };
  BothOrNeither(
      "PUBLISH",
      [&]() -> Status {
        auto p = a.Publish(draft->uid, 0, "editor", NowMillis());
        return p.ok() ? Status::Ok() : p.status();
      },
      draft->uid, published);
  auto withdrawn = [&] {
    auto f = store_->FindArticle(draft->uid);
    return f.ok() && *f && (*f)->status != "published";
  };
  BothOrNeither(
      "WITHDRAW",
      [&]() -> Status {
        auto w = a.Withdraw(draft->uid, "editor", NowMillis());
        return w.ok() ? Status::Ok() : w.status();
      },
      draft->uid, withdrawn);
}

TEST_F(AuditedActionFaultTest, TemplateSaveWithOwnerAndAudit) {
  const std::int64_t unit = cat_->OrgUnits().ByCode("150624100")->id;
  auto saved = [&] {
    auto owner = store_->FindObjectOwner("report_template", "fault-tpl");
    auto list = store_->ListReportTemplates();
    bool found = false;
    if (list.ok())
      for (const auto& t : *list) found = found || t.name == "fault-tpl";
    return found && owner.ok() && owner->has_value();
  };
  BothOrNeither(
      "REPORT_TEMPLATE",
      [&]() -> Status {
        WJ_RETURN_IF_ERROR(store_->SaveReportTemplate({"fault-tpl", "{}", 1, "editor"}));
        return store_->SetObjectOwner("report_template", "fault-tpl", unit);
      },
      "fault-tpl", saved);
}

TEST_F(AuditedActionFaultTest, SiteSettingsAndAudit) {
  auto changed = [&] {
    auto s = store_->LoadSiteSettings();
    return s.ok() && s->count("site_name") && s->at("site_name") == "故障注入站";
  };
  BothOrNeither(
      "SITE_SETTINGS",
      [&]() -> Status {
        return portal::SaveSettings(*store_, {{"site_name", "故障注入站"}});
      },
      "site", changed);
}

TEST_F(FaultTest, AUserChange) {
  storage::UserRecord u;
  u.uid = "FaultUser01";
  u.username = "fault.user";
  u.password_hash = "x";
  u.roles = {"entry", "viewer"};
  u.capture_org_unit_ids = {cat_->OrgUnits().ByCode("150624100")->id};
  u.created = 1;
  ASSERT_TRUE(store_->CreateUser(u).ok());
  int round = 0;
  int faults = EveryFault([&]() -> Status {
    auto found = store_->FindUser("fault.user");
    if (!found.ok()) return found.status();
    storage::UserRecord changed = **found;
    changed.display_name = "改名" + std::to_string(round++);
    changed.roles = {round % 2 ? "viewer" : "entry"};
    changed.view_org_unit_ids = {cat_->OrgUnits().ByCode("150624")->id};
    return store_->UpdateUser(changed);
  });
  EXPECT_GT(faults, 2);
}

// The statement cache of a connection (storage/sqlite/sqlite_db.h): a statement is compiled once
// and handed out again; two live uses of one text get two statements; DDL through Exec empties
// the cache, and a schema changed by another connection is caught by SQLite's own re-prepare;
// a new connection starts with an empty cache. Each time the answer is the current schema's.
TEST(SqliteStatementCache, ReusesStatementsAndFollowsTheSchema) {
  testing::TempDir dir;
  const std::string path = dir.File("cache.db");
  auto db = storage::Db::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a INTEGER)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  const char* kSelect = "SELECT * FROM t";
  // Every column of the one row; the row's width is the schema the statement was run under.
  auto row = [&](storage::Db& on) {
    std::vector<std::int64_t> out;
    auto q = on.Prepare(kSelect);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    auto stepped = q->Step();
    EXPECT_TRUE(stepped.ok() && *stepped);
    for (int c = 0; c < sqlite3_column_count(q->raw()); ++c) out.push_back(q->Int(c));
    return out;
  };
  const std::int64_t start = db->prepares(), process_start = storage::SqlitePrepareCount();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(row(*db), std::vector<std::int64_t>{1});
  EXPECT_EQ(db->prepares(), start + 1);
  EXPECT_EQ(storage::SqlitePrepareCount(), process_start + 1);
  EXPECT_EQ(db->cached_statements(), 1u);
  {
    // Held by a caller further up: the nested use compiles one of its own, finalized after.
    auto outer = db->Prepare(kSelect);
    ASSERT_TRUE(outer.ok());
    EXPECT_EQ(row(*db), std::vector<std::int64_t>{1});
    EXPECT_EQ(db->prepares(), start + 2);
    auto stepped = outer->Step();
    ASSERT_TRUE(stepped.ok() && *stepped);
    EXPECT_EQ(outer->Int(0), 1);
  }
  EXPECT_EQ(row(*db), std::vector<std::int64_t>{1});
  EXPECT_EQ(db->prepares(), start + 2);
  EXPECT_EQ(db->cached_statements(), 1u);
  // Transaction control runs through the cache as well.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(db->Exec("BEGIN IMMEDIATE").ok());
    ASSERT_TRUE(db->Exec("SAVEPOINT wj_nested").ok());
    ASSERT_TRUE(db->Exec("RELEASE wj_nested").ok());
    ASSERT_TRUE(db->Exec("COMMIT").ok());
  }
  EXPECT_EQ(db->prepares(), start + 2 + 4);

  // A schema change through this connection empties the cache.
  ASSERT_TRUE(db->Exec("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7").ok());
  EXPECT_EQ(db->cached_statements(), 0u);
  EXPECT_EQ(row(*db), (std::vector<std::int64_t>{1, 7}));
  const std::int64_t after_ddl = db->prepares();
  EXPECT_EQ(after_ddl, start + 2 + 4 + 1);
  // One through another connection: the cached statement is re-prepared by SQLite, not stale.
  {
    auto other = storage::Db::Open(path);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->Exec("ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 9").ok());
  }
  EXPECT_EQ(row(*db), (std::vector<std::int64_t>{1, 7, 9}));
  EXPECT_EQ(db->prepares(), after_ddl);

  // Reconnecting: a new connection has a cache of its own, filled again.
  db = storage::Db::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->cached_statements(), 0u);
  EXPECT_EQ(row(*db), (std::vector<std::int64_t>{1, 7, 9}));
  EXPECT_EQ(row(*db), (std::vector<std::int64_t>{1, 7, 9}));
  EXPECT_EQ(db->prepares(), 1);
}

// SQLite keeps no statistics of its allocations in this process (sqlite_db.cc: they took a
// process-wide mutex on every malloc and free of every connection; nothing reads them). Set
// before main, so whatever opened SQLite first in this test binary, the memory in use reads 0.
TEST(SqliteProcessSettings, SqliteKeepsNoAllocationStatistics) {
  testing::TempDir dir;
  auto db = storage::Db::Open(dir.File("memstatus.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a TEXT)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (hex(randomblob(5000)))").ok());
  EXPECT_EQ(sqlite3_memory_used(), 0);
  EXPECT_EQ(sqlite3_memory_highwater(0), 0);
}

}  // namespace
}  // namespace weijian
