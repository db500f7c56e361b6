// weijian migrate at the store level (storage/migrate.h): a SQLite store with a bit of every
// kind of row copied into PostgreSQL and read back through the Store on both sides; a failure
// half-way leaves the target as it was (its identity counters included); refusals touch
// nothing. Runs in the ctest entry store_contract_postgres (one PostgreSQL for the process); the
// demo-sized migration, the command and `serve` afterwards are tests/cli/migrate_test.sh.
#include "storage/migrate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "storage/open_store.h"
#include "unit/pg_cluster.h"
#include "unit/test_support.h"

namespace weijian::storage {
namespace {

using weijian::testing::CodedUnit;
using weijian::testing::PgCluster;
using weijian::testing::TempDir;

using weijian::testing::ExecSqlite;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    cluster_ = PgCluster::Get(&why);
    if (!cluster_) {
      if (why.find("not installed") != std::string::npos) GTEST_SKIP() << why;
      FAIL() << why;
    }
    source_ = dir_.File("county.db");
    auto opened = OpenSqliteStore(source_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Store& s = **opened;
    ASSERT_TRUE(metadata::EnsureDefaults(s).ok());
    std::vector<OrgUnitRecord> units = {CodedUnit("15", "", 1), CodedUnit("1506", "15", 2),
                                        CodedUnit("150624", "1506", 3)};
    ASSERT_TRUE(s.InsertOrgUnits(units).ok());
    MetadataRecords r;
    DataElementRecord de;
    de.uid = "deAAAAAAAAA";
    de.code = "TC_DONE";
    de.name = de.short_name = "两癌筛查完成人数";
    de.combo_uid = metadata::kDefaultCategoryComboUid;
    r.data_elements.push_back(de);
    ConstantRecord pi;
    pi.uid = "coAAAAAAAAA";
    pi.code = "C_TENTH";
    pi.name = "十分之一";
    pi.value = 0.1;  // not exact in binary: it must come back as the same double
    r.constants.push_back(pi);
    r.documents.push_back({"optionSets", "osBBBBBBBBB", "OS_B", "性别", R"({"id":"osBBBBBBBBB"})"});
    r.documents.push_back({"optionSets", "osAAAAAAAAA", "OS_A", "民族", R"({"id":"osAAAAAAAAA"})"});
    ASSERT_TRUE(s.UpsertMetadata(r).ok());
    auto cat = metadata::Catalog::Load(s);
    ASSERT_TRUE(cat.ok());
    const std::int64_t coc = (*cat)->DefaultCoc()->id;
    const std::int64_t de_id = (*cat)->DataElements().ByCode("TC_DONE")->id;
    for (int m = 1; m <= 6; ++m) {
      const std::string iso = "2024" + std::string(m < 10 ? "0" : "") + std::to_string(m);
      auto pe = s.EnsurePeriod({0, iso, "Monthly", "2024-0" + std::to_string(m) + "-01",
                                "2024-0" + std::to_string(m) + "-28"});
      ASSERT_TRUE(pe.ok());
      for (const auto& u : (*cat)->org_units()) {
        DataValueWrite w;
        w.key = {de_id, *pe, u.id, coc, coc};
        w.value = std::to_string(m * 10 + u.level);
        w.comment = m == 2 ? "含\t制表符\n和换行 \\ 反斜杠" : "";
        keys_.push_back(w.key);
        ASSERT_TRUE(s.WriteDataValues({&w, 1}, "clerk", 1'700'000'000'000 + m).ok());
        if (m == 3) {  // history: an update, then a delete
          w.value = "99";
          ASSERT_TRUE(s.WriteDataValues({&w, 1}, "officer", 1'700'000'100'000).ok());
          w.mode = WriteMode::kDelete;
          ASSERT_TRUE(s.WriteDataValues({&w, 1}, "officer", 1'700'000'200'000).ok());
        }
      }
    }
    for (int i = 0; i < 4; ++i) {
      AuditRecord a;
      a.type = i ? "USER" : "LOGIN";
      a.username = "审计员";
      if (i % 2) a.org_unit_id = (*cat)->org_units().front().id;
      a.detail = "第" + std::to_string(i) + "次";
      a.created = 1'700'000'300'000 + i;
      ASSERT_TRUE(s.AppendAudit(a).ok());
    }
    UserRecord user;
    user.uid = "usAAAAAAAAA";
    user.username = "wang.li";
    user.display_name = "王丽";
    user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$c29tZWhhc2g";
    user.roles = {"entry"};
    user.capture_org_unit_ids = {(*cat)->org_units().back().id};
    user.created = 1'700'000'000'001;
    auto uid = s.CreateUser(user);
    ASSERT_TRUE(uid.ok());
    ASSERT_TRUE(s.CreateSession({"sessionhash", *uid, "csrf", 1, 2, "127.0.0.1"}).ok());
    ASSERT_TRUE(
        s.CreateApiToken({0, "tkAAAAAAAAA", *uid, "脚本", "tokenhash", 9'000'000'000'000, 3}).ok());
    ArticleRecord a;
    a.uid = "arAAAAAAAAA";
    a.column_code = "gzdt";
    a.title = "全旗两癌筛查工作进展";
    a.body_md = "# 标题\n\n正文";
    a.status = "published";
    a.created = a.updated = a.publish_at = 1'700'000'400'000;
    a.version = 1;
    a.search_title = "全旗 旗两 两癌";
    a.search_body = "正文";
    ArticleVersionRecord v{0, 1, a.title, a.body_md, a.publish_at, "editor"};
    auto article = s.SaveArticle(a, &v);
    ASSERT_TRUE(article.ok());
    AttachmentRecord att;
    att.uid = "atAAAAAAAAA";
    att.article_id = *article;
    att.name = "附件.bin";
    att.content_type = "application/octet-stream";
    for (int i = 0; i < 256; ++i) att.bytes.push_back(static_cast<char>(i));
    att.created_by = "editor";
    ASSERT_TRUE(s.SaveAttachment(att).ok());
    ASSERT_TRUE(s.SaveSiteSettings({{"site.name", "鄂托克旗卫生健康委员会"}}).ok());
  }

  std::unique_ptr<Store> Open(const std::string& address) {
    auto s = OpenStore(address);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  PgCluster* cluster_ = nullptr;
  TempDir dir_;
  std::string source_;
  std::vector<DataValueKey> keys_;
};

TEST_F(MigrateTest, CopiesEveryRowFieldByFieldAndTheTargetKeepsWorking) {
  const std::string target = cluster_->NewEmptyDatabase();  // no schema: migrate makes it
  auto report = MigrateSqliteToPostgres(source_, target);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  bool saw_values = false, saw_search = false;
  for (const auto& t : report->tables) {
    EXPECT_NE(t.source, "session");
    saw_values |= t.target == "data_value" && t.rows == 18;
    saw_search |= t.source == "article_fts" && t.target == "article_search" && t.rows == 1;
  }
  EXPECT_TRUE(saw_values && saw_search);
  ASSERT_EQ(report->chains.size(), 2u);
  for (const auto& c : report->chains) EXPECT_FALSE(c.first_broken_id) << c.table;

  auto src = Open(source_);
  auto dst = Open(target);
  ASSERT_TRUE(src && dst);
  // Org units, ids included.
  auto su = src->LoadOrgUnits(), du = dst->LoadOrgUnits();
  ASSERT_TRUE(su.ok() && du.ok());
  ASSERT_EQ(su->size(), du->size());
  for (std::size_t i = 0; i < su->size(); ++i) {
    EXPECT_EQ((*su)[i].id, (*du)[i].id);
    EXPECT_EQ((*su)[i].uid, (*du)[i].uid);
    EXPECT_EQ((*su)[i].parent_id, (*du)[i].parent_id);
    EXPECT_EQ((*su)[i].name, (*du)[i].name);
  }
  // Values (deleted ones too) and their history, field by field.
  DataValueFilter all;
  all.include_deleted = true;
  auto sv = src->ListDataValues(all), dv = dst->ListDataValues(all);
  ASSERT_TRUE(sv.ok() && dv.ok());
  ASSERT_EQ(sv->size(), 18u);
  ASSERT_EQ(sv->size(), dv->size());
  for (std::size_t i = 0; i < sv->size(); ++i) {
    const auto &a = (*sv)[i], &b = (*dv)[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(a.comment, b.comment);
    EXPECT_EQ(a.stored_by, b.stored_by);
    EXPECT_EQ(a.created, b.created);
    EXPECT_EQ(a.last_updated, b.last_updated);
    EXPECT_EQ(a.deleted, b.deleted);
  }
  for (const auto& k : keys_) {
    auto sh = src->DataValueHistory(k), dh = dst->DataValueHistory(k);
    ASSERT_TRUE(sh.ok() && dh.ok());
    ASSERT_EQ(sh->size(), dh->size());
    for (std::size_t i = 0; i < sh->size(); ++i) {
      EXPECT_EQ((*sh)[i].id, (*dh)[i].id);
      EXPECT_EQ((*sh)[i].audit_type, (*dh)[i].audit_type);
      EXPECT_EQ((*sh)[i].previous_value, (*dh)[i].previous_value);
      EXPECT_EQ((*sh)[i].value, (*dh)[i].value);
      EXPECT_EQ((*sh)[i].modified_by, (*dh)[i].modified_by);
      EXPECT_EQ((*sh)[i].created, (*dh)[i].created);
    }
  }
  // The audit trail, hashes included.
  auto sa = src->ListAudits({}), da = dst->ListAudits({});
  ASSERT_TRUE(sa.ok() && da.ok());
  ASSERT_EQ(sa->size(), da->size());
  for (std::size_t i = 0; i < sa->size(); ++i) {
    EXPECT_EQ((*sa)[i].id, (*da)[i].id);
    EXPECT_EQ((*sa)[i].org_unit_id, (*da)[i].org_unit_id);
    EXPECT_EQ((*sa)[i].detail, (*da)[i].detail);
    EXPECT_EQ((*sa)[i].created, (*da)[i].created);
    EXPECT_EQ((*sa)[i].hash, (*da)[i].hash);
  }
  // Users with their tokens, not their sessions.
  auto user = dst->FindUser("wang.li");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->password_hash, (*src->FindUser("wang.li"))->password_hash);
  EXPECT_EQ((*user)->capture_org_unit_ids, (*src->FindUser("wang.li"))->capture_org_unit_ids);
  EXPECT_TRUE(dst->FindApiToken("tokenhash")->has_value());
  EXPECT_TRUE(src->FindSession("sessionhash")->has_value());
  EXPECT_FALSE(dst->FindSession("sessionhash")->has_value());
  // Articles with their versions, attachments byte for byte, search, settings.
  auto article = dst->FindArticle("arAAAAAAAAA");
  ASSERT_TRUE(article.ok() && article->has_value());
  EXPECT_EQ((*article)->body_md, "# 标题\n\n正文");
  EXPECT_EQ((*article)->publish_at, 1'700'000'400'000);
  auto versions = dst->ListArticleVersions((*article)->id);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].published_by, "editor");
  auto att = dst->FindAttachment("atAAAAAAAAA");
  ASSERT_TRUE(att.ok() && att->has_value());
  EXPECT_EQ((*att)->bytes, (*src->FindAttachment("atAAAAAAAAA"))->bytes);
  ArticleFilter search;
  search.published_only = false;
  search.search = "\"两癌\"";
  auto found = dst->ListArticles(search, nullptr);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 1u);
  EXPECT_EQ(dst->LoadSiteSettings()->at("site.name"), "鄂托克旗卫生健康委员会");
  // Metadata: the constant's double exactly, documents in their order.
  auto sm = src->LoadMetadata(), dm = dst->LoadMetadata();
  ASSERT_TRUE(sm.ok() && dm.ok());
  ASSERT_EQ(dm->constants.size(), 1u);
  EXPECT_EQ(dm->constants[0].value, 0.1);
  ASSERT_EQ(dm->documents.size(), sm->documents.size());
  for (std::size_t i = 0; i < sm->documents.size(); ++i)
    EXPECT_EQ(dm->documents[i].uid, sm->documents[i].uid);

  // Written after the migration: new rows take the next ids, the chains stay whole.
  std::vector<OrgUnitRecord> more = {CodedUnit("150602", "1506", 3)};
  ASSERT_TRUE(dst->InsertOrgUnits(more).ok()) << "the org unit counter was not moved on";
  EXPECT_EQ(dst->LoadOrgUnits()->back().id, su->back().id + 1);
  DataValueWrite w;
  w.key = keys_.front();
  w.value = "123";
  ASSERT_TRUE(dst->WriteDataValues({&w, 1}, "after", 1'800'000'000'000).ok());
  auto history = dst->DataValueHistory(w.key);
  ASSERT_TRUE(history.ok() && !history->empty());
  std::int64_t highest = 0;
  for (const auto& k : keys_) {
    auto h = src->DataValueHistory(k);
    ASSERT_TRUE(h.ok());
    for (const auto& row : *h) highest = std::max(highest, row.id);
  }
  EXPECT_EQ(history->back().id, highest + 1);
  AuditRecord later;
  later.type = "USER";
  later.username = "after";
  later.created = 1'800'000'000'000;
  ASSERT_TRUE(dst->AppendAudit(later).ok());
  EXPECT_EQ(dst->ListAudits({})->front().id, sa->front().id + 1);
  auto checks = dst->VerifyAuditChains();
  ASSERT_TRUE(checks.ok());
  for (const auto& c : *checks) EXPECT_FALSE(c.first_broken_id) << c.table;
}

TEST_F(MigrateTest, AFailureHalfWayLeavesTheTargetAsItWasCountersIncluded) {
  // The value history's chain broken on the source: every row copies, the check before the
  // commit fails, and the whole transaction goes.
  ExecSqlite(source_,
             "DROP TRIGGER data_value_audit_no_update;"
             " UPDATE data_value_audit SET value = '7' WHERE id = 2");
  const std::string target = cluster_->NewDatabase();  // a fresh weijian schema
  auto report = MigrateSqliteToPostgres(source_, target);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_NE(report.status().message().find("data_value_audit does not verify"), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("nothing was written"), std::string::npos);
  auto dst = Open(target);
  ASSERT_TRUE(dst);
  EXPECT_EQ(*dst->CountOrgUnits(), 0);
  EXPECT_EQ(*dst->CountDataValues(true), 0);
  EXPECT_TRUE(dst->ListAudits({})->empty());
  // The identity counters were moved on inside the transaction, and went back with it.
  std::vector<OrgUnitRecord> first = {CodedUnit("15", "", 1)};
  ASSERT_TRUE(dst->InsertOrgUnits(first).ok());
  EXPECT_EQ(dst->LoadOrgUnits()->front().id, 1);
}

// data_value has no foreign keys on PostgreSQL (migration 0009): migrate checks the copied
// values' references itself. A source value naming a data element the source does not have (a
// file written with its foreign keys off) is refused, naming the value; nothing is written.
TEST_F(MigrateTest, AValueWithoutItsDataElementIsRefusedAndNothingIsWritten) {
  ExecSqlite(
      source_,
      "INSERT INTO data_value(data_element_id, period_id, org_unit_id, coc_id, aoc_id, value,"
      " stored_by, created, last_updated) SELECT 999, period_id, org_unit_id, coc_id,"
      " aoc_id, '1', 'x', 1, 1 FROM data_value LIMIT 1");
  const std::string target = cluster_->NewDatabase();
  auto report = MigrateSqliteToPostgres(source_, target);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_NE(report.status().message().find("(data_element_id 999, period_id "), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("refers to a data_element_id that does not exist"),
            std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("nothing was written"), std::string::npos);
  auto dst = Open(target);
  ASSERT_TRUE(dst);
  EXPECT_EQ(*dst->CountDataValues(true), 0);
  EXPECT_EQ(*dst->CountOrgUnits(), 0);
}

TEST_F(MigrateTest, RefusesTargetsWithRowsForeignTablesNewerSchemasAndBadAddresses) {
  // A target with one row.
  const std::string busy = cluster_->NewDatabase();
  {
    auto dst = Open(busy);
    std::vector<OrgUnitRecord> one = {CodedUnit("15", "", 1)};
    ASSERT_TRUE(dst->InsertOrgUnits(one).ok());
  }
  auto r = MigrateSqliteToPostgres(source_, busy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_NE(r.status().message().find("is not empty: tables change_log, org_unit have rows"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  EXPECT_EQ(*Open(busy)->CountOrgUnits(), 1);
  EXPECT_EQ(*Open(busy)->CountDataValues(true), 0);
  // Tables that are not weijian's.
  const std::string other = cluster_->NewEmptyDatabase();
  ASSERT_TRUE(cluster_->Psql(other.substr(other.rfind('/') + 1), "CREATE TABLE patients(id int)"));
  r = MigrateSqliteToPostgres(source_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not weijian's (patients)"), std::string::npos)
      << r.status().message();
  // A target schema from a newer weijian.
  const std::string future = cluster_->NewDatabase();
  ASSERT_TRUE(cluster_->Psql(future.substr(future.rfind('/') + 1),
                             "UPDATE weijian_schema SET version = 999"));
  r = MigrateSqliteToPostgres(source_, future);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer weijian (schema version 999)"), std::string::npos)
      << r.status().message();
  // A source from a newer weijian: refused before the target is opened.
  const std::string newer = dir_.File("newer.db");
  std::filesystem::copy_file(source_, newer);
  ExecSqlite(newer, "PRAGMA user_version = 999");
  const std::string empty = cluster_->NewEmptyDatabase();
  r = MigrateSqliteToPostgres(newer, empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer weijian (schema version 999)"), std::string::npos);
  std::string tables;
  ASSERT_TRUE(cluster_->Psql(empty.substr(empty.rfind('/') + 1),
                             "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                             &tables));
  EXPECT_EQ(tables.substr(0, 1), "0");
  // A server that cannot be reached, a source that is not there.
  r = MigrateSqliteToPostgres(source_, "postgresql://weijian@127.0.0.1:1/none");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  r = MigrateSqliteToPostgres(dir_.File("none.db"), empty);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("none.db")));
}

}  // namespace
}  // namespace weijian::storage
