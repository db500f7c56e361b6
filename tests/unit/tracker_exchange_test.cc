// The DHIS2 tracker exchange of immunization records (issue 17, item 8) on the service: an export
// imported into an empty store gives the same children, enrollments, doses and dose states, and
// the new store's file names nobody.
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "core/date.h"
#include "core/uid.h"
#include "metadata/catalog.h"
#include "storage/sqlite/sqlite_db.h"
#include "tracker/exchange.h"
#include "tracker/immunization.h"
#include "unit/test_support.h"

namespace weijian::tracker {
namespace {

using nlohmann::json;

auth::Principal Superuser() {
  auth::Principal p;
  p.user.username = "tester";
  p.authorities = {auth::Authority::kAll};
  return p;
}

struct Site {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<ImmunizationService> service;
  std::shared_ptr<const metadata::Catalog> cat;
};

Site MakeSite(const testing::TempDir& dir, const std::string& name, const std::string& keys) {
  Site s;
  s.store = testing::MakeOrdosStore(dir.File(name), false);
  auto cat = metadata::Catalog::Load(*s.store);
  EXPECT_TRUE(cat.ok()) << cat.status().ToString();
  s.cat = std::move(*cat);
  s.service = std::make_unique<ImmunizationService>(*s.store);
  auto vault = PersonVault::Load(keys);
  EXPECT_TRUE(vault.ok()) << vault.status().ToString();
  s.service->set_vault(std::make_shared<const PersonVault>(std::move(*vault)));
  return s;
}

// One site with its key file, and who imports on which day, as most tests here need. (A key file
// that cannot be written shows in MakeSite, whose vault then does not load.)
struct OneSite {
  testing::TempDir dir;
  std::string keys = dir.File("keys");
  bool key_file = PersonVault::Init(keys).ok();
  Site a = MakeSite(dir, "a.db", keys);
  auth::Principal who = Superuser();
  Date today = ParseIsoDate("2024-09-01").value();
};

// What must survive the trip: everything but the server-set times and who stored it.
json Comparable(json list) {
  for (auto& te : list["trackedEntities"]) {
    te.erase("createdAt");
    te.erase("updatedAt");
    for (auto& en : te["enrollments"]) {
      en.erase("createdAt");
      en.erase("updatedAt");
      for (auto& ev : en["events"]) {
        ev.erase("createdAt");
        ev.erase("storedBy");
      }
    }
  }
  return list;
}

TEST(TrackerExchange, ExportImportedIntoAnEmptyStoreRoundTrips) {
  testing::TempDir dir;
  const std::string keys = dir.File("keys");
  ASSERT_TRUE(PersonVault::Init(keys).ok());
  Site a = MakeSite(dir, "a.db", keys);
  Site b = MakeSite(dir, "b.db", keys);
  const auto who = Superuser();
  const Date today = ParseIsoDate("2024-09-01").value();

  ChildInput c1{"150624100",         "其木格", "女", "", "150624202301050020", "",
                "乌兰镇某嘎查 3 号", "",       {}};
  c1.guardians = {{"王秀兰", "母亲", "13904770123"}, {"巴图", "父亲", "13904770124"}};
  ChildInput c2{"150624100", "阿拉坦", "男", "2024-01-10", "", "B150123456", "", "", {}};
  c2.guardians = {{"娜仁", "母亲", "13904770125"}};
  auto r1 = a.service->Register(who, *a.cat, c1, today, 1);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  auto r2 = a.service->Register(who, *a.cat, c2, today, 2);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  const std::string u1 = (*r1)["trackedEntity"], u2 = (*r2)["trackedEntity"];
  for (auto [uid, vaccine, date] :
       {std::tuple{u1, "HepB", "2023-01-05"}, std::tuple{u1, "BCG", "2023-01-06"},
        std::tuple{u2, "HepB", "2024-01-10"},
        std::tuple{u2, "HepB", "2024-01-20"}}) {  // before one month: invalid
    DoseInput d;
    d.person = uid;
    d.vaccine = vaccine;
    d.date = date;
    d.lot = "L1";
    auto r = a.service->RecordDose(who, *a.cat, d, today, 3);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  TrackerExportQuery q;
  q.org_unit = "150624";
  q.ou_mode = "DESCENDANTS";
  q.nested = true;
  q.page_size = 0;
  auto exported = a.service->ExportTrackedEntities(who, *a.cat, q, today, 4);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  ASSERT_EQ((*exported)["trackedEntities"].size(), 2u);

  auto report = b.service->ImportTracker(who, *b.cat, *exported, {}, today, 5);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["status"], "WARNING") << report->dump(1);  // the invalid HepB dose 2
  EXPECT_EQ((*report)["stats"]["created"], 2 + 2 + 4) << report->dump(1);
  ASSERT_EQ((*report)["validationReport"]["warningReports"].size(), 1u);
  EXPECT_NE((*report)["validationReport"]["warningReports"][0]["message"].get<std::string>().find(
                "未到最小接种年龄（1月龄）"),
            std::string::npos);

  auto again = b.service->ExportTrackedEntities(who, *b.cat, q, today, 6);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Comparable(*again), Comparable(*exported));
  // The same forecast in both stores.
  for (const auto& uid : {u1, u2}) {
    auto fa = a.service->Forecast(who, *a.cat, uid, today);
    auto fb = b.service->Forecast(who, *b.cat, uid, today);
    ASSERT_TRUE(fa.ok() && fb.ok());
    EXPECT_EQ(*fa, *fb);
  }
  // A second import of the same export creates nothing (CREATE_AND_UPDATE updates).
  auto second = b.service->ImportTracker(who, *b.cat, *exported, {}, today, 7);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["stats"]["created"], 0) << second->dump(1);
  EXPECT_EQ((*second)["stats"]["updated"], 8);

  // Still sealed: the imported store's file holds no ID number, name or phone in clear.
  b.store.reset();
  std::string bytes;
  for (const char* f : {"b.db", "b.db-wal"}) {
    std::ifstream in(dir.File(f), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    bytes += s.str();
  }
  if (!bytes.empty()) {  // empty on a PostgreSQL test store
    EXPECT_EQ(bytes.find("150624202301050020"), std::string::npos);
    EXPECT_EQ(bytes.find("其木格"), std::string::npos);
    EXPECT_EQ(bytes.find("13904770123"), std::string::npos);
  }
}

// DHIS2 tracker JSON for children [from, from + n) of unit 150624100, each with five doses.
json ChildrenPayload(int from, int n) {
  json tes = json::array();
  const Date first = ParseIsoDate("2023-01-01").value();
  for (int i = from; i < from + n; ++i) {
    const Date birth = first + std::chrono::days(i);
    json events = json::array();
    for (auto [vaccine, day] : {std::pair{"HepB", 0}, std::pair{"BCG", 1}, std::pair{"HepB", 31},
                                std::pair{"IPV", 60}, std::pair{"DTaP", 61}})
      events.push_back({{"event", RandomUid()},
                        {"orgUnit", "150624100"},
                        {"occurredAt", FormatIsoDate(birth + std::chrono::days(day))},
                        {"dataValues",
                         {{{"dataElement", "VACCINE"}, {"value", vaccine}},
                          {{"dataElement", "LOT"}, {"value", "L" + std::to_string(i % 7)}}}}});
    tes.push_back(
        {{"trackedEntity", RandomUid()},
         {"orgUnit", "150624100"},
         {"attributes",
          {{{"attribute", "NAME"}, {"value", "儿童" + std::to_string(i)}},
           {{"attribute", "SEX"}, {"value", i % 2 ? "F" : "M"}},
           {{"attribute", "BIRTH_DATE"}, {"value", FormatIsoDate(birth)}},
           {{"attribute", "GUARDIAN_NAME"}, {"value", "监护人" + std::to_string(i)}},
           {{"attribute", "GUARDIAN_PHONE"}, {"value", "139" + std::to_string(10000000 + i)}}}},
         {"enrollments", {{{"enrolledAt", FormatIsoDate(birth)}, {"events", events}}}}});
  }
  return {{"trackedEntities", tes}};
}

// POST /api/tracker reads its body with simdjson (TrackerPayload::Parse), the CSV register and
// other callers hand a nlohmann value: a payload full of odd shapes (objects that are not,
// values that are numbers, lists that are strings, a uid that is a number, nulls) gets the same
// report either way, object by object. A body with a key twice, or a number simdjson does not
// take, is left to nlohmann (Parse says no), which refuses or accepts it as before.
TEST(TrackerExchange, ABodyReadBySimdjsonReportsAsTheSameBodyReadByNlohmann) {
  const auto who = Superuser();
  const Date today = ParseIsoDate("2024-09-01").value();
  testing::TempDir dir;
  ASSERT_TRUE(PersonVault::Init(dir.File("keys")).ok());
  // Two stores, one key: one imports the nlohmann value, the other the text simdjson read.
  Site a = MakeSite(dir, "a.db", dir.File("keys")), b = MakeSite(dir, "b.db", dir.File("keys"));
  auto attrs = [](const std::string& name, const std::string& birth) {
    return json::array({{{"attribute", "NAME"}, {"value", name}},
                        {{"attribute", "SEX"}, {"value", "F"}},
                        {{"attribute", "BIRTH_DATE"}, {"value", birth}},
                        {{"attribute", "GUARDIAN_PHONE"}, {"value", nullptr}},
                        {{"attribute", "GUARDIAN_NAME"}, {"value", "监护人\n\"甲\""}}});
  };
  auto dose = [](const std::string& uid, const std::string& vaccine, json day) {
    return json{{"event", uid},
                {"orgUnit", "150624100"},
                {"status", "COMPLETED"},
                {"occurredAt", day},
                {"dataValues",
                 {{{"dataElement", "VACCINE"}, {"value", vaccine}},
                  {{"dataElement", "LOT"}, {"value", nullptr}}}}};
  };
  json odd_value = dose("Ev000000003", "BCG", "2024-01-02");
  odd_value["dataValues"][1]["value"] = 5;
  json values_text = dose("Ev000000004", "IPV", "2024-03-01");
  values_text["dataValues"] = "VACCINE=IPV";
  json stage = dose("Ev000000005", "IPV", "2024-03-01");
  stage["programStage"] = "NoSuchStage";
  json flat = dose("Ev000000006", "DTaP", "2024-03-02");
  flat["enrollment"] = "En000000001";
  json lost = dose("Ev000000007", "DTaP", "2024-03-02");
  lost["enrollment"] = "NoSuchEnrol";
  json payload = {
      {"trackedEntities",
       {{{"trackedEntity", "Te000000001"},
         {"trackedEntityType", ChildEntityTypeUid()},
         {"orgUnit", "150624100"},
         {"attributes", attrs("其其格", "2024-01-01")},
         {"geometry", nullptr},
         {"enrollments",
          {{{"enrollment", "En000000001"},
            {"program", ImmunizationProgramUid()},
            {"enrolledAt", "2024-01-01T00:00:00.000"},
            {"events",
             {dose("Ev000000001", "HepB", "2024-01-01"), dose("Ev000000002", "HepB", 20240201),
              odd_value, values_text, stage, "not an event", nullptr}}}}}},
        {{"trackedEntity", "Te000000002"},
         {"orgUnit", "150624100"},
         {"attributes", "NAME=乌日娜"},
         {"enrollments", json::array()}},
        {{"trackedEntity", 17},
         {"orgUnit", "150624100"},
         {"attributes", attrs("巴雅尔", "2024-02-02")}},
        {{"trackedEntity", "Te000000004"},
         {"orgUnit", "150624100"},
         {"inactive", false},
         {"attributes", attrs("苏日娜", "2024-02-30")}},
        "not a child"}},
      {"enrollments", {"not an enrollment", {{"enrollment", "En000000009"}, {"program", 3}}}},
      {"events", {flat, lost}}};
  for (const char* atomic : {"OBJECT", "ALL"}) {
    SCOPED_TRACE(atomic);
    TrackerImportOptions o;
    o.atomic = atomic;
    auto by_nlohmann = a.service->ImportTracker(who, *a.cat, payload, o, today, 1);
    ASSERT_TRUE(by_nlohmann.ok()) << by_nlohmann.status().ToString();
    TrackerPayload parsed;
    const std::string text = payload.dump();
    ASSERT_TRUE(parsed.Parse(text));
    auto by_simdjson = b.service->ImportTrackerPayload(who, *b.cat, parsed, o, today, 1);
    ASSERT_TRUE(by_simdjson.ok()) << by_simdjson.status().ToString();
    EXPECT_EQ(*by_simdjson, *by_nlohmann);
    EXPECT_GE((*by_nlohmann)["validationReport"]["errorReports"].size(), 8u)
        << by_nlohmann->dump(1);
  }
  // Not a JSON object at the top: the same refusal.
  TrackerPayload list;
  ASSERT_TRUE(list.Parse("[1, 2]"));
  EXPECT_EQ(
      b.service->ImportTrackerPayload(who, *b.cat, list, {}, today, 1).status().ToString(),
      a.service->ImportTracker(who, *a.cat, json::array({1, 2}), {}, today, 1).status().ToString());
  // Left to nlohmann: a key twice (at any depth), numbers simdjson refuses, text after the value.
  TrackerPayload refused;
  EXPECT_FALSE(refused.Parse(R"({"trackedEntities": [], "trackedEntities": []})"));
  EXPECT_FALSE(refused.Parse(R"({"events": [{"dataValues": [{"value": "a", "value": "b"}]}]})"));
  EXPECT_FALSE(refused.Parse(R"({"events": [], "x": 1e999})"));
  EXPECT_FALSE(refused.Parse(R"({"events": []} {})"));
  EXPECT_FALSE(refused.Parse("{\"events\": [\"a\tb\"]}"));
  EXPECT_TRUE(refused.Parse(R"({"events": [{"a": 1, "b": {"a": 2}}], "a": 3})"));
}

// An import runs the same statements for every object: through the connection's statement cache
// (storage/sqlite/sqlite_db.h) a second, larger import compiles next to none of them again (about
// a dozen per event without it), and every record it wrote is there.
TEST(TrackerExchange, AnImportReusesItsPreparedStatements) {
  testing::TempDir dir;
  const std::string keys = dir.File("keys");
  ASSERT_TRUE(PersonVault::Init(keys).ok());
  Site a = MakeSite(dir, "a.db", keys);
  if (!std::ifstream(dir.File("a.db")).good())
    GTEST_SKIP() << "SQLite's statement cache (PostgreSQL prepares once per connection)";
  const auto who = Superuser();
  const Date today = ParseIsoDate("2024-09-01").value();
  auto first = a.service->ImportTracker(who, *a.cat, ChildrenPayload(0, 2), {}, today, 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ((*first)["stats"]["created"], 2 + 2 + 10) << first->dump(1);

  const std::int64_t before = storage::SqlitePrepareCount();
  auto second = a.service->ImportTracker(who, *a.cat, ChildrenPayload(2, 20), {}, today, 2);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)["stats"]["created"], 20 + 20 + 100) << second->dump(1);
  // DTaP at 61 days is before the 2021 edition's 3 months: each child's is recorded, invalid.
  EXPECT_EQ((*second)["status"], "WARNING");
  ASSERT_EQ((*second)["validationReport"]["warningReports"].size(), 20u) << second->dump(1);
  for (const auto& w : (*second)["validationReport"]["warningReports"])
    EXPECT_NE(w["message"].get<std::string>().find("无效剂次"), std::string::npos) << w.dump();
  EXPECT_LT(storage::SqlitePrepareCount() - before, 20);

  TrackerExportQuery q;
  q.org_unit = "150624100";
  q.ou_mode = "SELECTED";
  q.nested = true;
  q.page_size = 0;
  auto exported = a.service->ExportTrackedEntities(who, *a.cat, q, today, 3);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  ASSERT_EQ((*exported)["trackedEntities"].size(), 22u);
  for (const auto& te : (*exported)["trackedEntities"])
    EXPECT_EQ(te["enrollments"][0]["events"].size(), 5u) << te.dump();
}

// A new child's nested enrollment is known without reading the store only when the import began
// with no child holding that enrollment uid and no other child of the import takes it
// (ImportRun::own_enrollments). Two new children nesting one enrollment uid, or a new child
// nesting one an earlier child holds, are checked against the store as before: the enrollment
// belongs to the child that had it first, and the other's is refused (E1080).
TEST(TrackerExchange, AnEnrollmentUidTwoChildrenClaimBelongsToTheFirst) {
  OneSite site;
  ASSERT_TRUE(site.key_file);
  Site& a = site.a;
  const auth::Principal& who = site.who;
  const Date today = site.today;
  TrackerImportOptions per_object;
  per_object.atomic = "OBJECT";
  auto enrollment_reports = [](const json& report) {
    std::vector<std::string> codes;
    for (const auto& r : report["bundleReport"]["typeReportMap"]["ENROLLMENT"]["objectReports"])
      codes.push_back(r["errorReports"].empty() ? "ok" : r["errorReports"][0]["errorCode"]);
    return codes;
  };
  // Two new children of one payload, one enrollment uid.
  json two = ChildrenPayload(0, 2);
  for (auto& te : two["trackedEntities"]) te["enrollments"][0]["enrollment"] = "EnShared001";
  auto first = a.service->ImportTracker(who, *a.cat, two, per_object, today, 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(enrollment_reports(*first), (std::vector<std::string>{"ok", "E1080"}))
      << first->dump(1);
  const std::string owner = two["trackedEntities"][0]["trackedEntity"];
  auto held = a.store->FindTrackedEntityByEnrollment("EnShared001");
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->uid, owner);
  // A new child of a later payload nesting the enrollment the first child holds.
  json later = ChildrenPayload(2, 1);
  later["trackedEntities"][0]["enrollments"][0]["enrollment"] = "EnShared001";
  auto second = a.service->ImportTracker(who, *a.cat, later, per_object, today, 2);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(enrollment_reports(*second), (std::vector<std::string>{"E1080"})) << second->dump(1);
  // A new child with an enrollment of its own: its enrollment and its events as ever.
  json own = ChildrenPayload(3, 1);
  own["trackedEntities"][0]["enrollments"][0]["enrollment"] = "EnOwnUid001";
  auto third = a.service->ImportTracker(who, *a.cat, own, per_object, today, 3);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(enrollment_reports(*third), (std::vector<std::string>{"ok"})) << third->dump(1);
  EXPECT_EQ((*third)["stats"]["created"], 1 + 1 + 5) << third->dump(1);
  auto child = a.store->FindTrackedEntityByEnrollment("EnOwnUid001");
  ASSERT_TRUE(child.ok() && child->has_value());
  EXPECT_EQ(a.store->ListImmunizationDoses((*child)->id)->size(), 5u);
}

// POST /api/tracker answers the report written as text (ImportTrackerText), not built as a DOM:
// its bytes are those nlohmann's dump() writes of the same report (keys sorted, nothing spaced),
// for a report that is OK, one with warnings, one with errors under both atomic modes, a dry run,
// and uids JSON must escape (a quote, a backslash, a tab, a control character, Chinese).
TEST(TrackerExchange, TheReportTextIsWhatItsDomWrites) {
  const auto who = Superuser();
  const Date today = ParseIsoDate("2024-09-01").value();
  testing::TempDir dir;
  ASSERT_TRUE(PersonVault::Init(dir.File("keys")).ok());
  Site a = MakeSite(dir, "a.db", dir.File("keys"));
  const std::string odd_te = "引号\"与\\反斜杠\t", odd_event = std::string("ev\x01");
  json odd = ChildrenPayload(0, 3);
  odd["trackedEntities"][1]["trackedEntity"] = odd_te;
  odd["trackedEntities"][2]["enrollments"][0]["events"][1]["event"] = odd_event;
  odd["events"] = {{{"event", "Ev000000009"}, {"enrollment", "缺\"失"}}};
  json no_doses = ChildrenPayload(30, 2);
  for (auto& te : no_doses["trackedEntities"]) te["enrollments"][0].erase("events");
  auto check = [&](const json& body, const TrackerImportOptions& o, const std::string& status) {
    SCOPED_TRACE(o.atomic + (o.dry_run ? " dry run" : "") + " " + status);
    TrackerPayload parsed;
    EXPECT_TRUE(parsed.Parse(body.dump()));
    auto report = a.service->ImportTrackerText(who, *a.cat, parsed, o, today, 1);
    if (!report.ok()) {
      ADD_FAILURE() << report.status().ToString();
      return json();
    }
    const json dom = json::parse(report->text);
    EXPECT_EQ(report->text, dom.dump(-1, ' ', false, json::error_handler_t::replace));
    EXPECT_EQ(report->status, status);
    EXPECT_EQ(dom["status"], status);
    EXPECT_EQ(dom["bundleReport"]["status"], status);
    return dom;
  };
  check(no_doses, {}, "OK");
  check(ChildrenPayload(10, 4), {}, "WARNING");  // DTaP at 61 days: invalid, a warning each
  TrackerImportOptions dry;
  dry.dry_run = true;
  dry.strategy = "CREATE";
  check(ChildrenPayload(20, 1), dry, "WARNING");
  for (const char* atomic : {"ALL", "OBJECT"}) {
    TrackerImportOptions o;
    o.atomic = atomic;
    const json dom = check(odd, o, "ERROR");
    const json& map = dom["bundleReport"]["typeReportMap"];
    EXPECT_EQ(map["TRACKED_ENTITY"]["objectReports"][1]["uid"], odd_te);
    EXPECT_EQ(map["EVENT"]["objectReports"][11]["uid"], odd_event);
    EXPECT_EQ(map["EVENT"]["objectReports"].size(), 16u) << dom.dump(1);
    EXPECT_FALSE(map["EVENT"]["objectReports"][11]["errorReports"].empty()) << dom.dump(1);
  }
}

// The doses of an import are written in batches with ONE audit row each per unit they were given
// at, naming the import, the counts, a digest of the doses' uids and every dose (bench/README.md
// "Tracker import", session 12), instead of one row per dose; the chain still verifies.
TEST(TrackerExchange, AnImportAuditsItsDosesOncePerBatch) {
  OneSite site;
  ASSERT_TRUE(site.key_file);
  Site& a = site.a;
  const auth::Principal& who = site.who;
  const Date today = site.today;
  const json payload = ChildrenPayload(0, 3);
  auto report = a.service->ImportTracker(who, *a.cat, payload, {}, today, 1);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ((*report)["stats"]["created"], 3 + 3 + 15) << report->dump(1);

  std::string uids;
  for (const auto& te : payload["trackedEntities"])
    for (const auto& ev : te["enrollments"][0]["events"])
      uids += ev["event"].get<std::string>() + "\n";
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(uids.data()), uids.size());
  std::string hex;
  for (unsigned char b : digest) {
    hex.push_back("0123456789abcdef"[b >> 4]);
    hex.push_back("0123456789abcdef"[b & 15]);
  }
  storage::AuditFilter f;
  f.type = "TRACKER";
  auto audits = a.store->ListAudits(f);
  ASSERT_TRUE(audits.ok());
  int per_dose = 0, batches = 0;
  for (const auto& r : *audits) {
    per_dose += r.object.rfind("dose ", 0) == 0;
    if (r.object.rfind("tracker import ", 0) != 0) continue;
    if (r.detail.find("儿童建档") != std::string::npos) continue;  // the children's batch
    ++batches;
    EXPECT_NE(r.detail.find("登记接种 15 条（儿童 3 人）"), std::string::npos) << r.detail;
    EXPECT_NE(r.detail.find(hex), std::string::npos) << r.detail;
    EXPECT_EQ(r.username, "tester");
    // The unit the doses were given at (150624100), whose auditors see it, and every dose
    // named as a clerk's entry names it.
    EXPECT_EQ(r.org_unit_id, a.cat->OrgUnits().ByCode("150624100")->id);
    for (const auto& te : payload["trackedEntities"])
      for (const auto& ev : te["enrollments"][0]["events"])
        EXPECT_NE(r.detail.find("\n" + ev["event"].get<std::string>() + " "), std::string::npos)
            << r.detail;
    EXPECT_NE(
        r.detail.find("（档案 " +
                      payload["trackedEntities"][0]["trackedEntity"].get<std::string>() + "）"),
        std::string::npos)
        << r.detail;
  }
  EXPECT_EQ(per_dose, 0);
  EXPECT_EQ(batches, 1);
  auto chains = a.store->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& c : *chains) EXPECT_FALSE(c.first_broken_id) << c.table;
}

// The children of an import are written in batches too (bench/README.md "Tracker import", session
// 13): ONE audit row per batch and unit that manages them, naming the import, the count, a digest
// of the record uids and every child by record and enrollment uid, instead of one row per child;
// their personal data sealed as before. A child listed again, and one with the ID number of a
// child above, are checked against the children written before them, as one by one.
TEST(TrackerExchange, AnImportAuditsItsChildrenOncePerBatchAndUnit) {
  OneSite site;
  ASSERT_TRUE(site.key_file);
  Site& a = site.a;
  const auth::Principal& who = site.who;
  const Date today = site.today;
  json payload = ChildrenPayload(0, 4);
  json& tes = payload["trackedEntities"];
  tes[3]["orgUnit"] = "150624101";  // managed by another unit: a row of its own
  for (auto& ev : tes[3]["enrollments"][0]["events"]) ev["orgUnit"] = "150624101";
  auto report = a.service->ImportTracker(who, *a.cat, payload, {}, today, 1);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ((*report)["stats"]["created"], 4 + 4 + 20) << report->dump(1);

  auto digest_of = [](const std::string& text) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    std::string hex;
    for (unsigned char b : digest) {
      hex.push_back("0123456789abcdef"[b >> 4]);
      hex.push_back("0123456789abcdef"[b & 15]);
    }
    return hex;
  };
  std::string first_three;
  for (int i = 0; i < 3; ++i) first_three += tes[i]["trackedEntity"].get<std::string>() + "\n";
  storage::AuditFilter f;
  f.type = "TRACKER";
  auto audits = a.store->ListAudits(f);
  ASSERT_TRUE(audits.ok());
  int per_child = 0;
  std::map<std::int64_t, std::string> rows;  // unit -> detail of its children's row
  for (const auto& r : *audits) {
    per_child += r.object.rfind("trackedEntity ", 0) == 0;
    if (r.object.rfind("tracker import ", 0) == 0 &&
        r.detail.find("儿童建档") != std::string::npos) {
      EXPECT_EQ(rows.count(r.org_unit_id.value_or(0)), 0u) << r.detail;
      rows[r.org_unit_id.value_or(0)] = r.detail;
      EXPECT_EQ(r.username, "tester");
    }
  }
  EXPECT_EQ(per_child, 0);
  ASSERT_EQ(rows.size(), 2u);
  const std::string& town = rows[a.cat->OrgUnits().ByCode("150624100")->id];
  const std::string& other = rows[a.cat->OrgUnits().ByCode("150624101")->id];
  EXPECT_NE(town.find("儿童建档 3 人"), std::string::npos) << town;
  EXPECT_NE(town.find(digest_of(first_three)), std::string::npos) << town;
  EXPECT_NE(other.find("儿童建档 1 人"), std::string::npos) << other;
  for (int i = 0; i < 4; ++i) {
    const std::string uid = tes[i]["trackedEntity"];
    auto stored = a.store->FindTrackedEntity(uid);
    ASSERT_TRUE(stored.ok() && stored->has_value()) << uid;
    // Named by record and enrollment uid in its unit's row, and nowhere by name.
    EXPECT_NE(
        (i < 3 ? town : other).find("\n" + uid + "（入组 " + (*stored)->enrollment_uid + "）"),
        std::string::npos)
        << uid;
    EXPECT_EQ((*stored)->sealed.find("儿童" + std::to_string(i)), std::string::npos);
    EXPECT_EQ((i < 3 ? town : other).find("儿童" + std::to_string(i)), std::string::npos);
    EXPECT_FALSE((*stored)->due.next.empty()) << uid;  // the due index, as one by one
  }
  auto chains = a.store->VerifyAuditChains();
  ASSERT_TRUE(chains.ok());
  for (const auto& c : *chains) EXPECT_FALSE(c.first_broken_id) << c.table;

  // In one payload: a new child, another with his ID number (refused as a second record of
  // him, as one by one) and the first again (refused: a uid twice in one payload would replace
  // the first without a word).
  json twice = ChildrenPayload(10, 1);
  json child = twice["trackedEntities"][0];
  child.erase("enrollments");
  child["attributes"].push_back({{"attribute", "ID_NUMBER"}, {"value", "150624202301050020"}});
  for (auto& at : child["attributes"]) {
    if (at["attribute"] == "BIRTH_DATE") at["value"] = "2023-01-05";
    if (at["attribute"] == "SEX") at["value"] = "F";
  }
  json again = child;
  for (auto& at : again["attributes"])
    if (at["attribute"] == "NAME") at["value"] = "其木格";
  json copy = child;
  copy["trackedEntity"] = RandomUid();
  TrackerImportOptions object;
  object.atomic = "OBJECT";
  auto mixed = a.service->ImportTracker(who, *a.cat, {{"trackedEntities", {child, copy, again}}},
                                        object, today, 2);
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  const json& stats = (*mixed)["bundleReport"]["typeReportMap"]["TRACKED_ENTITY"]["stats"];
  EXPECT_EQ(stats["created"], 1) << mixed->dump(1);
  EXPECT_EQ(stats["updated"], 0) << mixed->dump(1);
  EXPECT_EQ(stats["ignored"], 2) << mixed->dump(1);
  ASSERT_EQ((*mixed)["validationReport"]["errorReports"].size(), 2u);
  const json& refused = (*mixed)["validationReport"]["errorReports"][0];
  EXPECT_EQ(refused["uid"], copy["trackedEntity"]);
  EXPECT_NE(refused["message"].get<std::string>().find("该身份证号已有儿童档案"), std::string::npos)
      << refused.dump();
  const json& repeated = (*mixed)["validationReport"]["errorReports"][1];
  EXPECT_EQ(repeated["uid"], child["trackedEntity"]);
  EXPECT_EQ(repeated["errorCode"], "E1002") << repeated.dump();
  auto updated = a.store->FindTrackedEntity(child["trackedEntity"]);
  ASSERT_TRUE(updated.ok() && updated->has_value());
  auto vault = PersonVault::Load(site.keys);
  ASSERT_TRUE(vault.ok());
  auto opened = vault->Open((*updated)->sealed, (*updated)->key_id);
  ASSERT_TRUE(opened.ok());
  EXPECT_NE(json::parse(*opened)["name"], "其木格");
}

// One refused event in the middle of 2,000: atomicMode=ALL keeps nothing (no child, no dose, no
// batch audit row); atomicMode=OBJECT keeps the other 1,999 doses and all 400 children.
TEST(TrackerExchange, OneBadEventAmongTwoThousand) {
  OneSite site;
  ASSERT_TRUE(site.key_file);
  Site& a = site.a;
  const auth::Principal& who = site.who;
  const Date today = site.today;
  json payload = ChildrenPayload(0, 400);
  json& bad = payload["trackedEntities"][200]["enrollments"][0]["events"][2];
  bad["occurredAt"] = "2020-01-01";  // before the child's birth
  const std::string bad_uid = bad["event"];
  const std::int64_t unit = a.cat->OrgUnits().ByUidOrCode("150624100")->id;
  auto doses_kept = [&] {
    auto d = a.store->ListImmunizationDosesManagedBy(std::span(&unit, 1));
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->size() : 0u;
  };
  auto batch_rows = [&] {
    int n = 0;
    auto audits = a.store->ListAudits({});
    EXPECT_TRUE(audits.ok());
    if (audits.ok())
      for (const auto& r : *audits)
        n += r.object.rfind("tracker import ", 0) == 0 &&
             r.detail.find("登记接种") != std::string::npos;
    return n;
  };

  auto all = a.service->ImportTracker(who, *a.cat, payload, {}, today, 1);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)["status"], "ERROR");
  EXPECT_EQ((*all)["stats"]["created"], 0);
  ASSERT_EQ((*all)["validationReport"]["errorReports"].size(), 1u);
  EXPECT_EQ((*all)["validationReport"]["errorReports"][0]["uid"], bad_uid);
  EXPECT_TRUE(a.store->ListTrackedEntities(std::span(&unit, 1))->empty());
  EXPECT_EQ(doses_kept(), 0u);
  EXPECT_EQ(batch_rows(), 0);

  TrackerImportOptions object;
  object.atomic = "OBJECT";
  auto some = a.service->ImportTracker(who, *a.cat, payload, object, today, 2);
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ((*some)["status"], "ERROR");
  const json& events = (*some)["bundleReport"]["typeReportMap"]["EVENT"]["stats"];
  EXPECT_EQ(events["created"], 1999);
  EXPECT_EQ(events["ignored"], 1);
  EXPECT_EQ(a.store->ListTrackedEntities(std::span(&unit, 1))->size(), 400u);
  EXPECT_EQ(doses_kept(), 1999u);
  EXPECT_FALSE(a.store->FindImmunizationDose(bad_uid)->has_value());
  EXPECT_EQ(batch_rows(), 1);
  // The DTaP at 61 days of every child (and some IPVs before 2 months): recorded, invalid.
  EXPECT_GE((*some)["validationReport"]["warningReports"].size(), 400u);
}

// The import places a child's doses after all of them (one forecast per child where that is the
// same): its warnings are those of recording each dose in turn (RecordDose) in payload order,
// for random doses in random order, including doses listed before earlier-dated ones (an IPV at
// 70 days listed before one at 60 days: neither was too soon when it was placed) and the
// alternative and catch-up series (JE, HepA, MPSV-A and -AC). Seventy children: more than a
// flush places in line (kBesideMinItems, core/beside.h), so the placements are computed on a thread
// of their own while the doses are written (and ThreadSanitizer runs this test).
TEST(TrackerExchange, ImportWarningsAreThoseOfRecordingEachDoseInTurn) {
  testing::TempDir dir;
  const std::string keys = dir.File("keys");
  ASSERT_TRUE(PersonVault::Init(keys).ok());
  Site a = MakeSite(dir, "a.db", keys);
  Site b = MakeSite(dir, "b.db", keys);
  const auto who = Superuser();
  const Date today = ParseIsoDate("2024-09-01").value();
  const char* vaccines[] = {"HepB", "BCG",  "IPV",    "bOPV",    "DTaP",   "DT",    "MMR",
                            "JE-L", "JE-I", "MPSV-A", "MPSV-AC", "HepA-L", "HepA-I"};
  std::mt19937 rnd(17);
  json tes = json::array();
  std::vector<std::pair<std::string, json>> doses;  // (child uid, event), payload order
  for (int i = 0; i < 70; ++i) {
    const Date birth = ParseIsoDate("2018-01-01").value() + std::chrono::days(i * 13);
    json events = json::array();
    const int n = i == 0 ? 2 : 3 + static_cast<int>(rnd() % 10);
    for (int k = 0; k < n; ++k) {
      std::string vaccine = vaccines[rnd() % std::size(vaccines)];
      int day = static_cast<int>(rnd() % 2200);
      if (i == 0) vaccine = "IPV", day = k == 0 ? 70 : 60;  // the later-listed dose is earlier
      events.push_back({{"event", RandomUid()},
                        {"orgUnit", "150624100"},
                        {"occurredAt", FormatIsoDate(birth + std::chrono::days(day))},
                        {"dataValues", {{{"dataElement", "VACCINE"}, {"value", vaccine}}}}});
    }
    const std::string uid = RandomUid();
    for (const auto& e : events) doses.emplace_back(uid, e);
    json te = {
        {"trackedEntity", uid},
        {"orgUnit", "150624100"},
        {"attributes",
         {{{"attribute", "NAME"}, {"value", "随机" + std::to_string(i)}},
          {{"attribute", "SEX"}, {"value", "F"}},
          {{"attribute", "BIRTH_DATE"}, {"value", FormatIsoDate(birth)}},
          {{"attribute", "GUARDIAN_NAME"}, {"value", "监护人" + std::to_string(i)}},
          {{"attribute", "GUARDIAN_PHONE"}, {"value", "138" + std::to_string(10000000 + i)}}}}};
    json children_only = te;
    te["enrollments"] = {{{"enrolledAt", FormatIsoDate(birth)}, {"events", events}}};
    tes.push_back(te);
    auto made = b.service->ImportTracker(
        who, *b.cat, {{"trackedEntities", json::array({children_only})}}, {}, today, 1);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    EXPECT_EQ((*made)["status"], "OK") << made->dump(1);
  }
  TrackerImportOptions object;
  object.atomic = "OBJECT";
  auto report = a.service->ImportTracker(who, *a.cat, {{"trackedEntities", tes}}, object, today, 2);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::map<std::string, std::vector<std::string>> warned, refused;
  for (const auto& w : (*report)["validationReport"]["warningReports"])
    warned[w["uid"].get<std::string>()].push_back(w["message"].get<std::string>());
  for (const auto& e : (*report)["validationReport"]["errorReports"])
    refused[e["uid"].get<std::string>()].push_back(e["message"].get<std::string>());

  int invalid = 0;
  for (const auto& [child, ev] : doses) {
    DoseInput d;
    d.person = child;
    d.vaccine = ev["dataValues"][0]["value"];
    d.date = ev["occurredAt"];
    const std::string uid = ev["event"];
    auto placed = b.service->RecordDose(who, *b.cat, d, today, 3);
    EXPECT_EQ(!placed.ok(), refused.count(uid) > 0) << uid << " " << d.vaccine << " " << d.date;
    if (!placed.ok()) continue;
    std::vector<std::string> expected;
    if ((*placed)["state"] == "GIVEN_INVALID") {
      ++invalid;
      expected.push_back("已登记，但为无效剂次（" + (*placed)["stateName"].get<std::string>() +
                         "）：" + placed->value("reason", ""));
    }
    EXPECT_EQ(warned[uid], expected) << child << " " << d.vaccine << " " << d.date;
  }
  EXPECT_GT(invalid, 10);  // the comparison saw invalid doses
  EXPECT_TRUE(
      warned[doses[0].second["event"].get<std::string>()].empty());  // IPV at 70 days, listed first
}

TEST(TrackerExchange, ProgramMetadataNamesStableUids) {
  const json meta = TrackerProgramMetadata();
  const json& program = meta["programs"][0];
  EXPECT_EQ(program["id"], ImmunizationProgramUid());
  EXPECT_EQ(program["programStages"][0]["id"], DoseStageUid());
  EXPECT_EQ(program["programTrackedEntityAttributes"].size(), TrackerAttributes().size());
  for (const auto& d : TrackerAttributes()) {
    EXPECT_TRUE(IsValidUid(d.uid)) << d.code;
    EXPECT_EQ(FindTrackerAttribute(d.code), &d);
    EXPECT_EQ(FindTrackerAttribute(d.uid), &d);
  }
  // The same uid in every instance: derived from the code.
  EXPECT_EQ(TrackerFieldOf(TrackerField::kIdNumber).uid,
            StableUid("trackerAttribute", "ID_NUMBER"));
}

}  // namespace
}  // namespace weijian::tracker
