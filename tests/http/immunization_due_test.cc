// The 接种日 over HTTP: the due list (应种/逾期/补种) of a 接种单位 and of one village, masked per
// role and audited, as JSON and XLSX; transfers (迁出/迁入) with their history, a dose for a child
// transferred out refused, and due lists following the managing unit; coverage (接种率, 及时接种率,
// 全程接种率, 建卡率) in /api/analytics checked against figures computed by hand. Every date is
// spelled out.
#include <set>

#include "cli/demo_children.h"
#include "http/server_env.h"
#include "tracker/coverage.h"
#include "tracker/person_vault.h"

namespace weijian::http {
namespace {

json DueChild(const std::string& unit, const std::string& name, const std::string& birth,
              const std::string& village = "") {
  json c = {{"orgUnit", unit},
            {"name", name},
            {"sex", "男"},
            {"birthDate", birth},
            {"guardians", {{{"name", "额尔敦"}, {"relation", "父亲"}, {"phone", "13847701234"}}}}};
  if (!village.empty()) c["village"] = village;
  return c;
}

std::string Register(const json& child) {
  auto r = As("clerk_in", "POST", "/api/immunization/children", child.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return Body(r).value("trackedEntity", "");
}

void Dose(const std::string& who, const std::string& te, const std::string& vaccine,
          const std::string& date) {
  auto r = As(who, "POST", "/api/immunization/doses",
              json{{"trackedEntity", te}, {"vaccine", vaccine}, {"date", date}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
}

// The child's row of a due list, or null.
json RowOf(const json& list, const std::string& te) {
  for (const auto& c : list["children"])
    if (c["trackedEntity"] == te) return c;
  return nullptr;
}

// "HepB/2:DUE,Polio/1:DUE" for a child's row, in the list's order.
std::string DosesOf(const json& row) {
  std::string out;
  if (row.is_null()) return "(not listed)";
  for (const auto& d : row["doses"]) {
    if (!out.empty()) out += ",";
    out += d["series"].get<std::string>() + "/" + std::to_string(d["dose"].get<int>()) + ":" +
           d["state"].get<std::string>();
  }
  return out;
}

TEST(ImmunizationDue, DueOverdueAndCatchUpPerUnitAndVillage) {
  // 阿木尔 (born 2024-01-10, lives in village 150624100004) had HepB 1 and BCG at birth;
  // 巴雅尔 (born 2024-02-20, no village) has had nothing.
  const std::string a = Register(DueChild("150624100H01", "阿木尔", "2024-01-10", "150624100004"));
  Dose("clerk_in", a, "HepB", "2024-01-10");
  Dose("clerk_in", a, "BCG", "2024-01-10");
  const std::string b = Register(DueChild("150624100H01", "巴雅尔", "2024-02-20"));

  // The 接种日 2024-03-15 at 乌兰镇.
  auto list = Body(As("clerk_in", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15"));
  EXPECT_EQ(list["from"], "2024-03-15");
  EXPECT_EQ(list["to"], "2024-03-15");
  // 阿木尔: HepB 2 (due from one month, 2024-02-10) and IPV 1 (two months, 2024-03-10).
  json ra = RowOf(list, a);
  EXPECT_EQ(DosesOf(ra), "HepB/2:DUE,Polio/1:DUE") << ra.dump();
  EXPECT_TRUE(ra["village"].is_object()) << ra.dump();
  // 巴雅尔: HepB 1 past its timely day (逾期，补种) and BCG still due (timely before 3 months).
  json rb = RowOf(list, b);
  EXPECT_EQ(DosesOf(rb), "HepB/1:OVERDUE,BCG/1:DUE") << rb.dump();
  EXPECT_EQ(rb["doses"][0]["stateName"], "逾期（补种）");
  EXPECT_EQ(rb["doses"][0]["catchUpUntil"].is_string(), true);
  // The clerk who vaccinates sees names and phones.
  EXPECT_EQ(ra["name"], "阿木尔");
  EXPECT_EQ(ra["guardians"][0]["phone"], "13847701234");
  EXPECT_FALSE(ra.contains("idNumber"));

  // Only the overdue doses (the 补种 list), only the due ones.
  auto overdue = Body(
      As("clerk_in", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15&kind=overdue"));
  EXPECT_TRUE(RowOf(overdue, a).is_null());
  EXPECT_EQ(DosesOf(RowOf(overdue, b)), "HepB/1:OVERDUE");
  auto due =
      Body(As("clerk_in", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15&kind=due"));
  EXPECT_EQ(DosesOf(RowOf(due, b)), "BCG/1:DUE");

  // A window: by 2024-04-10 阿木尔 reaches three months, DTaP 1 (2021 schedule) joins his row.
  auto window = Body(
      As("clerk_in", "GET", "/api/immunization/due?ou=150624100&from=2024-03-15&to=2024-04-10"));
  EXPECT_EQ(DosesOf(RowOf(window, a)), "HepB/2:DUE,Polio/1:DUE,DTaP/1:DUE")
      << RowOf(window, a).dump();
  // The day before he turns three months, it has not.
  window = Body(
      As("clerk_in", "GET", "/api/immunization/due?ou=150624100&from=2024-03-15&to=2024-04-09"));
  EXPECT_EQ(DosesOf(RowOf(window, a)), "HepB/2:DUE,Polio/1:DUE");

  // Per village: 150624100004 lists 阿木尔, not 巴雅尔 (who has no village).
  auto village =
      Body(As("clerk_in", "GET",
              "/api/immunization/due?ou=150624100&village=150624100004&date=2024-03-15"));
  EXPECT_FALSE(RowOf(village, a).is_null());
  EXPECT_TRUE(RowOf(village, b).is_null());

  // After the doses are given on 2024-03-15, the same day's list no longer holds them.
  Dose("clerk_in", a, "HepB", "2024-03-15");
  Dose("clerk_in", a, "IPV", "2024-03-15");
  list = Body(As("clerk_in", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15"));
  EXPECT_TRUE(RowOf(list, a).is_null()) << RowOf(list, a).dump();

  // A viewer of the township sees the list masked; the county's admin sees it whole.
  auto masked = Body(As("viewer_in", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15"));
  EXPECT_EQ(RowOf(masked, b)["name"], "巴**");
  EXPECT_EQ(RowOf(masked, b)["guardians"][0]["phone"], "138****1234");
  auto county = Body(As("county_admin", "GET", "/api/immunization/due?ou=150624&date=2024-03-15"));
  EXPECT_EQ(RowOf(county, b)["name"], "巴雅尔");
  // The next township can neither list 乌兰镇 nor see its children in the county's list.
  EXPECT_EQ(As("clerk_sibling", "GET", "/api/immunization/due?ou=150624100&date=2024-03-15").status,
            403);
  // Unmasked lists are audited, masked ones are not.
  auto audits = Body(Get("/api/audits?type=PERSONAL_DATA"));
  int clerk = 0, viewer = 0;
  for (const auto& x : audits["audits"]) {
    if (x["object"].get<std::string>().rfind("dueList", 0) != 0) continue;
    clerk += x["user"] == "clerk_in";
    viewer += x["user"] == "viewer_in";
  }
  EXPECT_GE(clerk, 1);
  EXPECT_EQ(viewer, 0);

  // The list to print, as a workbook.
  auto xlsx = As("clerk_in", "GET", "/api/immunization/due.xlsx?ou=150624100&date=2024-03-15");
  EXPECT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");

  // Bad input: 409 naming the parameter, in Chinese.
  auto bad = [](const std::string& query, const std::string& field) {
    auto r = As("clerk_in", "GET", "/api/immunization/due?" + query);
    EXPECT_EQ(r.status, 409) << query << " " << r.body;
    EXPECT_NE(r.body.find("\"" + field + "\""), std::string::npos) << query << " " << r.body;
  };
  bad("ou=150624100&date=2024-02-30", "date");
  bad("ou=150624100&from=2024-03-15&to=2024-03-14", "to");
  bad("ou=150624100&from=2024-01-01&to=2024-06-30", "to");
  bad("ou=150624100&date=2024-03-15&kind=soon", "kind");
  bad("date=2024-03-15", "ou");
  bad("ou=150624100&village=150624101&date=2024-03-15", "village");
}

TEST(ImmunizationDue, TransfersMoveTheRecordAndItsDueList) {
  const std::string c = Register(DueChild("150624100H01", "朝鲁", "2024-01-10"));
  Dose("clerk_in", c, "HepB", "2024-01-10");
  auto listed = [](const std::string& who, const std::string& ou, const std::string& te) {
    auto l = Body(As(who, "GET", "/api/immunization/due?ou=" + ou + "&date=2024-03-15"));
    return !RowOf(l, te).is_null();
  };
  EXPECT_TRUE(listed("clerk_in", "150624100", c));

  auto move = [&](const std::string& who, const json& body) {
    return As(who, "POST", "/api/immunization/children/" + c + "/transfers", body.dump());
  };
  // Bad input first: nothing is moved.
  auto r = move("clerk_in", {{"date", "2024-13-01"}, {"orgUnit", "150624101"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("\"date\""), std::string::npos) << r.body;
  r = move("clerk_in", {{"date", "2023-12-31"}, {"orgUnit", "150624101"}});
  EXPECT_EQ(r.status, 409) << r.body;  // before birth
  r = move("clerk_in", {{"date", "2024-03-01"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("\"destination\""), std::string::npos) << r.body;
  r = move("clerk_in", {{"date", "2024-03-01"}, {"orgUnit", "nowhere"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("\"orgUnit\""), std::string::npos) << r.body;
  r = move("clerk_in", {{"date", "2024-03-01"}, {"orgUnit", "150624100H01"}});
  EXPECT_EQ(r.status, 409) << r.body;  // already there
  EXPECT_EQ(move("viewer_in", {{"orgUnit", "150624101H01"}}).status, 403);
  EXPECT_EQ(move("clerk_sibling", {{"orgUnit", "150624101H01"}}).status, 404);
  // 棋盘井镇 is not one of 乌兰镇's clerk's units: a move there is the county's.
  EXPECT_EQ(move("clerk_in", {{"date", "2024-03-01"}, {"orgUnit", "150624101H01"}}).status, 403);
  EXPECT_TRUE(listed("clerk_in", "150624100", c));

  // 迁出 from 乌兰镇, 迁入 棋盘井镇 on 2024-03-01: the record and its due list move.
  r = move("county_admin",
           {{"date", "2024-03-01"}, {"orgUnit", "150624101H01"}, {"reason", "随父母务工"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["direction"], "MOVE");
  EXPECT_FALSE(listed("clerk_in", "150624100", c));
  EXPECT_TRUE(listed("clerk_sibling", "150624101", c));
  EXPECT_EQ(As("clerk_in", "GET", "/api/immunization/children/" + c).status, 404);
  auto rec = Body(As("clerk_sibling", "GET", "/api/immunization/children/" + c));
  ASSERT_EQ(rec["transfers"].size(), 1u) << rec.dump();
  EXPECT_EQ(rec["transfers"][0]["date"], "2024-03-01");
  EXPECT_EQ(rec["transfers"][0]["to"]["id"], rec["orgUnit"]["id"]);
  EXPECT_EQ(rec["transfers"][0]["reason"], "随父母务工");
  EXPECT_EQ(rec["doses"].size(), 1u);  // the doses travel with the record
  // The new unit records doses.
  Dose("clerk_sibling", c, "BCG", "2024-03-02");

  // 迁出 out of the system: closed, off every due list, no more doses (409 naming the field).
  r = move("clerk_sibling", {{"date", "2024-03-05"}, {"destination", "河北省石家庄市"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["status"], "TRANSFERRED_OUT");
  EXPECT_FALSE(listed("clerk_sibling", "150624101", c));
  EXPECT_FALSE(listed("county_admin", "150624", c));
  r = As("clerk_sibling", "POST", "/api/immunization/doses",
         json{{"trackedEntity", c}, {"vaccine", "IPV"}, {"date", "2024-03-10"}}.dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("\"trackedEntity\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("已迁出"), std::string::npos) << r.body;
  // Coming back needs the receiving unit.
  r = move("clerk_sibling", {{"date", "2024-05-01"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("\"orgUnit\""), std::string::npos) << r.body;

  // 迁入 back on 2024-05-01: active again, on the list, three moves in the history.
  r = move("clerk_sibling", {{"date", "2024-05-01"}, {"orgUnit", "150624101H01"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["direction"], "IN");
  EXPECT_TRUE(listed("clerk_sibling", "150624101", c));
  rec = Body(As("clerk_sibling", "GET", "/api/immunization/children/" + c));
  ASSERT_EQ(rec["transfers"].size(), 3u);
  EXPECT_EQ(rec["transfers"][1]["direction"], "OUT");
  EXPECT_EQ(rec["transfers"][1]["destination"], "河北省石家庄市");
  EXPECT_EQ(rec["transfers"][2]["direction"], "IN");
  EXPECT_EQ(rec["status"], "ACTIVE");
}

// The cell of an analytics answer for (dx, pe), or -1 when absent.
double Cell(const json& a, const std::string& dx, const std::string& pe) {
  std::size_t value = 0;
  for (std::size_t i = 0; i < a["headers"].size(); ++i)
    if (a["headers"][i]["name"] == "value") value = i;
  for (const auto& row : a["rows"])
    if (row[0] == dx && row[1] == pe) return std::stod(row[value].get<std::string>());
  return -1;
}

TEST(ImmunizationDue, CoverageInAnalyticsFromTheRecords) {
  // 蒙西镇 (150624102), children born in January 2019 (no other test or demo child is):
  //   P1 born 2019-01-05: HepB at birth, BCG 2019-01-20, HepB 2 2019-02-10, then every dose
  //      recommended before 12 months, the last on 2019-10-05 (full course by the birthday);
  //   P2 born 2019-01-15: HepB 2019-01-17 (two days late: valid, not timely), no BCG;
  //   P3 born 2019-01-25: HepB 2019-02-03 (after January);
  //   P4 born 2019-01-08: HepB at birth, then transferred out of the system (not counted).
  auto reg = [](const char* name, const char* birth) {
    auto r = As("county_admin", "POST", "/api/immunization/children",
                DueChild("150624102H01", name, birth).dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r).value("trackedEntity", "");
  };
  const std::string p1 = reg("苏和", "2019-01-05"), p2 = reg("图雅", "2019-01-15"),
                    p3 = reg("萨仁", "2019-01-25"), p4 = reg("乌云", "2019-01-08");
  for (const auto& [vaccine, date] :
       std::vector<std::pair<std::string, std::string>>{{"HepB", "2019-01-05"},
                                                        {"BCG", "2019-01-20"},
                                                        {"HepB", "2019-02-10"},
                                                        {"IPV", "2019-03-05"},
                                                        {"DTaP", "2019-04-05"},
                                                        {"IPV", "2019-04-05"},
                                                        {"bOPV", "2019-05-05"},
                                                        {"DTaP", "2019-05-05"},
                                                        {"HepB", "2019-07-05"},
                                                        {"DTaP", "2019-06-05"},
                                                        {"MPSV-A", "2019-07-05"},
                                                        {"MMR", "2019-09-05"},
                                                        {"JE-L", "2019-09-05"},
                                                        {"MPSV-A", "2019-10-05"}})
    Dose("county_admin", p1, vaccine, date);
  Dose("county_admin", p2, "HepB", "2019-01-17");
  Dose("county_admin", p3, "HepB", "2019-02-03");
  Dose("county_admin", p4, "HepB", "2019-01-08");
  auto out = As("county_admin", "POST", "/api/immunization/children/" + p4 + "/transfers",
                json{{"date", "2019-01-20"}, {"destination", "宁夏银川市"}}.dump());
  ASSERT_EQ(out.status, 201) << out.body;

  auto a = Body(As("county_admin", "GET",
                   "/api/analytics?dimension=dx:ImmCoverage;ImmTimelyRt;ImmCardRate"
                   "&dimension=pe:201901;201902&filter=ou:150624102&includeNumDen=true"));
  ASSERT_TRUE(a.contains("rows")) << a.dump();
  // January: HepB 1 and BCG of P1–P3 are due (6); given by 2019-01-31: P1 both, P2 HepB (3);
  // timely: P1's two (2). February: HepB 2 of P1–P3 due (3), P1's given and timely (1).
  EXPECT_DOUBLE_EQ(Cell(a, "ImmCoverage", "201901"), 50.0) << a.dump();
  EXPECT_DOUBLE_EQ(Cell(a, "ImmTimelyRt", "201901"), 33.3);
  EXPECT_DOUBLE_EQ(Cell(a, "ImmCoverage", "201902"), 33.3);
  EXPECT_DOUBLE_EQ(Cell(a, "ImmTimelyRt", "201902"), 33.3);
  // 建卡率: the three were registered years after birth, none within a month: 0 of 3.
  EXPECT_DOUBLE_EQ(Cell(a, "ImmCardRate", "201901"), 0.0);
  EXPECT_EQ(a["metaData"]["items"]["ImmCoverage"]["name"], "接种率");
  // 全程接种率: first birthdays in January 2020, P1 complete: 1 of 3.
  auto full = Body(As("county_admin", "GET",
                      "/api/analytics?dimension=dx:IMM_FULL_COURSE&dimension=pe:202001"
                      "&dimension=ou:150624102&includeNumDen=true"));
  ASSERT_EQ(full["rows"].size(), 1u) << full.dump();
  EXPECT_EQ(full["rows"][0][0], "ImmFullCrse");
  EXPECT_EQ(full["rows"][0][3], "33.3");
  EXPECT_EQ(full["rows"][0][4], "1");
  EXPECT_EQ(full["rows"][0][5], "3");
  // The county holds 蒙西镇's figures (nobody else in the county was born then); the next
  // township's clerk may not ask for 蒙西镇.
  auto county = Body(As("county_admin", "GET",
                        "/api/analytics?dimension=dx:ImmCoverage&dimension=pe:201901"
                        "&dimension=ou:150624"));
  EXPECT_DOUBLE_EQ(Cell(county, "ImmCoverage", "201901"), 50.0) << county.dump();
  EXPECT_EQ(As("clerk_sibling", "GET",
               "/api/analytics?dimension=dx:ImmCoverage&dimension=pe:201901&dimension=ou:150624102")
                .status,
            403);
}

// A coverage query's rows as root gets them over HTTP, and as a full recomputation gives them:
// every child's facts computed afresh (tracker::LoadCoverage, what each query did before the
// facts were kept), counted by the same query engine.
struct CoverageAnswers {
  json served, recomputed;
};
CoverageAnswers CoverageBothWays(const std::string& dx, const std::string& pe,
                                 const std::string& ou) {
  CoverageAnswers out;
  const std::string query = "/api/analytics?dimension=dx:" + dx + "&dimension=pe:" + pe +
                            "&dimension=ou:" + ou + "&includeNumDen=true";
  auto r = As("root", "GET", query);
  EXPECT_EQ(r.status, 200) << r.body;
  out.served = Body(r)["rows"];
  auto engine = env->app->Analytics();
  EXPECT_TRUE(engine.ok());
  analytics::QueryParams q;
  for (const auto& d : {"dx:" + dx, "pe:" + pe, "ou:" + ou})
    EXPECT_TRUE(analytics::ParseQueryParam(q, "dimension", d).ok());
  EXPECT_TRUE(analytics::ParseQueryParam(q, "includeNumDen", "true").ok());
  const analytics::QueryScope everything;
  auto facts = tracker::LoadCoverage(env->app->store(), (*engine)->catalog(), everything, Today());
  EXPECT_TRUE(facts.ok());
  q.program_indicators = *facts;
  auto recomputed = analytics::RunQuery(q, **engine, everything);
  EXPECT_TRUE(recomputed.ok()) << recomputed.status().ToString();
  if (recomputed.ok()) out.recomputed = (*recomputed)["rows"];
  return out;
}

TEST(ImmunizationDue, KeptCoverageEqualsARecomputationAfterEveryWrite) {
  // Children of this test's own, born in 2025 in 蒙西镇 (150624102), written through the API as a
  // 接种单位 would; after each write the four indicators by year, by month and by township
  // equal a recomputation of every child, and the keeper computed only the child written (no
  // rebuild).
  const std::string dx = "ImmCoverage;ImmTimelyRt;ImmFullCrse;ImmCardRate";
  const std::string pe = "2024;2025;2026;202503;202504;202509";
  const std::string ou = "150624;LEVEL-4";
  auto& keeper = env->app->coverage();
  auto check = [&](const std::string& step, std::uint64_t written) {
    const auto before = keeper.stats();
    const auto a = CoverageBothWays(dx, pe, ou);
    EXPECT_FALSE(a.served.empty()) << step;
    EXPECT_EQ(a.served, a.recomputed) << step;
    const auto after = keeper.stats();
    EXPECT_EQ(after.builds, before.builds) << step;
    EXPECT_EQ(after.recomputed - before.recomputed, written) << step;
  };
  (void)CoverageBothWays(dx, pe, ou);  // earlier tests' writes brought in
  check("before any write", 0);
  auto reg = [](const char* name, const char* birth) {
    auto r = As("county_admin", "POST", "/api/immunization/children",
                DueChild("150624102H01", name, birth).dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r).value("trackedEntity", "");
  };
  const std::string c1 = reg("巴雅尔", "2025-03-10");
  check("a new child", 1);
  Dose("county_admin", c1, "HepB", "2025-03-10");
  Dose("county_admin", c1, "BCG", "2025-03-12");
  check("two doses", 1);
  auto r = As("county_admin", "POST", "/api/immunization/doses",
              json{{"trackedEntity", c1}, {"vaccine", "HepB"}, {"date", "2025-04-20"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string late = Body(r).value("dose", "");
  check("a third dose", 1);
  // The dose voided (DHIS2 tracker import, importStrategy=DELETE).
  r = As("county_admin", "POST", "/api/tracker?importStrategy=DELETE",
         json{{"events", {{{"event", late}}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  check("the dose voided", 1);
  r = As("county_admin", "POST", "/api/immunization/children/" + c1 + "/holds",
         json{{"vaccine", "MMR"},
              {"kind", "禁忌"},
              {"from", "2025-09-01"},
              {"reason", "对鸡蛋严重过敏"}}
             .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  check("a hold", 1);
  // Moved to 乌兰镇's 卫生院: its facts leave 蒙西镇's figures for 乌兰镇's.
  r = As("county_admin", "POST", "/api/immunization/children/" + c1 + "/transfers",
         json{{"orgUnit", "150624100H01"}, {"date", "2025-10-01"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  check("a transfer between townships", 1);
  const std::string c2 = reg("其其格", "2025-04-02");
  Dose("county_admin", c2, "HepB", "2025-04-02");
  check("a second child", 1);
  // Transferred out of the system: it leaves the figures.
  r = As("county_admin", "POST", "/api/immunization/children/" + c2 + "/transfers",
         json{{"date", "2025-06-01"}, {"destination", "宁夏银川市"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  check("a transfer out", 1);
  // The children deleted again (the suite's store is shared): they leave the figures.
  r = As("county_admin", "POST", "/api/tracker?importStrategy=DELETE",
         json{{"trackedEntities", {{{"trackedEntity", c1}}, {{"trackedEntity", c2}}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  check("both deleted", 2);
}

// The demo's children (鄂托克旗, born 2020-12-01 to 2026-11-30 for a demo built on 2026-12-02):
// the same records every time, about 1,460 a year, every dose valid, a mix of timely, late and
// missing doses, a few transfers. Built into a store of its own (divisions only, no facilities:
// the townships manage their children).
TEST(ImmunizationDue, DemoChildrenOfOtog) {
  weijian::testing::TempDir dir;
  auto build = [&](const std::string& name) {
    auto store = weijian::testing::MakeOrdosStore(dir.File(name + ".db"), false);
    EXPECT_TRUE(tracker::PersonVault::Init(dir.File(name + ".keys")).ok());
    auto summary = cli::BuildDemoChildren(*store, dir.File(name + ".keys"), MakeDate(2026, 12, 2));
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return std::make_pair(std::move(store), summary.ok() ? *summary : cli::DemoChildrenSummary{});
  };
  auto [store, first] = build("a");
  auto [again, second] = build("b");
  EXPECT_EQ(first.children, second.children);
  EXPECT_EQ(first.doses, second.doses);
  EXPECT_GT(first.children, 6 * 1300);
  EXPECT_LT(first.children, 6 * 1600);
  EXPECT_GT(first.transfers, 10);

  auto cat = metadata::Catalog::Load(*store);
  ASSERT_TRUE(cat.ok());
  const auto* county = (*cat)->OrgUnits().ByCode("150624");
  std::vector<std::int64_t> units;
  const auto& tree = (*cat)->tree();
  for (auto p = tree.Pre(county->id); p <= tree.Last(county->id); ++p)
    units.push_back(tree.IdAt(p));
  auto persons = store->ListTrackedEntities(units);
  ASSERT_TRUE(persons.ok());
  ASSERT_EQ(static_cast<int>(persons->size()), first.children);
  int out = 0;
  std::string oldest = "9999", youngest;
  for (const auto& p : *persons) {
    out += p.status == "TRANSFERRED_OUT";
    oldest = std::min(oldest, p.birth_date);
    youngest = std::max(youngest, p.birth_date);
  }
  EXPECT_GE(oldest, "2020-12-01");
  EXPECT_LE(oldest, "2020-12-03");
  EXPECT_LE(youngest, "2026-11-30");
  EXPECT_GE(youngest, "2026-11-28");
  EXPECT_GT(out, 0);
  // Every recorded dose is valid in its child's forecast.
  auto doses = store->ListImmunizationDosesManagedBy(units);
  ASSERT_TRUE(doses.ok());
  EXPECT_EQ(static_cast<int>(doses->size()), first.doses);
  std::map<std::int64_t, std::vector<tracker::RecordedDose>> of;
  for (const auto& d : *doses)
    of[d.tracked_entity_id].push_back({d.vaccine, ParseIsoDate(d.given_on).value()});
  int invalid = 0;
  for (const auto& p : *persons)
    for (const auto& f :
         tracker::Forecast(tracker::EditionInForce(MakeDate(2026, 12, 2)),
                           ParseIsoDate(p.birth_date).value(), of[p.id], {}, MakeDate(2026, 12, 2)))
      invalid += f.state == tracker::DoseState::kGivenInvalid;
  EXPECT_EQ(invalid, 0);
  // Coverage over the county: most doses given, fewer on time, some children not complete.
  auto facts = tracker::LoadCoverage(*store, **cat, analytics::QueryScope{false, {county->id}, {}},
                                     MakeDate(2026, 12, 2));
  ASSERT_TRUE(facts.ok());
  auto rate = [&](const char* uid) {
    double met = 0, all = 0;
    for (const auto& f : (*facts)->by_uid.at(uid).facts) {
      all += 1;
      met += f.met.has_value();
    }
    return met / all * 100;
  };
  EXPECT_GT(rate("ImmCoverage"), 80);
  EXPECT_LT(rate("ImmCoverage"), 99.5);
  EXPECT_LT(rate("ImmTimelyRt"), rate("ImmCoverage"));
  EXPECT_GT(rate("ImmFullCrse"), 50);
  EXPECT_LT(rate("ImmFullCrse"), 99);
  EXPECT_GT(rate("ImmCardRate"), 80);
  EXPECT_LT(rate("ImmCardRate"), 99);

  // The 接种单位' stock: a lot of every vaccine their next 30 days' due lists need (some short),
  // a lot expiring within weeks at each, an expired one at a few; every ledger sums to its lot's
  // balance; the same every time.
  const Date today = MakeDate(2026, 12, 2);
  auto stock = cli::BuildDemoStock(*store, today);
  ASSERT_TRUE(stock.ok()) << stock.status().ToString();
  auto stock_again = cli::BuildDemoStock(*again, today);
  ASSERT_TRUE(stock_again.ok());
  EXPECT_EQ(stock->movements, stock_again->movements);
  EXPECT_GE(stock->units, 5);
  auto lots = store->ListVaccineLots(units);
  ASSERT_TRUE(lots.ok()) << lots.status().ToString();
  EXPECT_EQ(static_cast<int>(lots->size()), stock->lots);
  std::set<std::int64_t> stocked;
  int expired = 0, expiring = 0, short_of = 0;
  for (const auto& l : *lots) {
    stocked.insert(l.org_unit_id);
    const Date expiry = ParseIsoDate(l.expiry).value();
    expired += expiry < today && l.balance > 0;
    expiring += expiry >= today && expiry <= today + std::chrono::days(30);
    auto ledger = store->ListStockMovements(l.org_unit_id, l.vaccine, l.lot, 100);
    ASSERT_TRUE(ledger.ok());
    std::int64_t sum = 0;
    for (const auto& m : *ledger) sum += m.quantity;
    EXPECT_EQ(sum, l.balance) << l.lot;
  }
  EXPECT_EQ(static_cast<int>(stocked.size()), stock->units);
  EXPECT_GE(expiring, stock->units);
  EXPECT_GE(expired, 1);
  for (std::int64_t unit : stocked) {
    auto due = tracker::DueDosesByVaccine(*store, std::span(&unit, 1), today,
                                          today + std::chrono::days(30));
    ASSERT_TRUE(due.ok());
    for (const auto& [vaccine, n] : *due) {
      std::int64_t on_hand = 0;
      for (const auto& l : *lots)
        if (l.org_unit_id == unit && l.vaccine == vaccine &&
            ParseIsoDate(l.expiry).value() >= today)
          on_hand += l.balance;
      EXPECT_GT(on_hand, 0) << vaccine;  // every vaccine due is stocked
      short_of += on_hand < n;
    }
  }
  EXPECT_GE(short_of, 1);  // and a few fall short, for the page's 缺口
}

// The due index (issue 17, Performance): the list read through the store's due index is, byte for
// byte, the list computed over every child of the units (DueListQuery::use_index = false, the
// way it was done before): for the demo's children of 鄂托克旗 (written as a clerk's entries
// would be, each write keeping the index), on days from two years back to two and a half years
// on (before and after many children's last doses, across the 2025 edition), windows of one day
// to 93 days, every kind, the county, a township and a village; with children of this test's own
// for what the demo lacks: a contraindication outlasting BCG's catch-up age, a deferral ending
// inside a window, MPSV-A missed (MPSV-AC in its place from 24 months), a dose corrected. And the
// index reads far fewer children than the county holds.
TEST(ImmunizationDue, TheIndexedListIsTheFullComputation) {
  using std::chrono::days;
  weijian::testing::TempDir dir;
  auto store = weijian::testing::MakeOrdosStore(dir.File("ix.db"), false);
  ASSERT_TRUE(tracker::PersonVault::Init(dir.File("ix.keys")).ok());
  const Date today = Today();
  auto made = cli::BuildDemoChildren(*store, dir.File("ix.keys"), today);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto loaded = metadata::Catalog::Load(*store);
  ASSERT_TRUE(loaded.ok());
  const metadata::Catalog& cat = **loaded;
  tracker::ImmunizationService service(*store);
  auto vault = tracker::PersonVault::Load(dir.File("ix.keys"));
  ASSERT_TRUE(vault.ok());
  service.set_vault(std::make_shared<const tracker::PersonVault>(std::move(*vault)));
  auth::Principal root;
  root.user.username = "due-index-test";
  root.authorities = {auth::Authority::kAll};
  const auto day = [&](int offset) { return FormatIsoDate(today + days(offset)); };

  auto child = [&](const std::string& name, int born, const std::string& village = "") {
    auto in = tracker::ChildFromJson(DueChild("150624100", name, day(born), village));
    EXPECT_TRUE(in.ok());
    auto r = service.Register(root, cat, *in, today, NowMillis());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)["trackedEntity"].get<std::string>() : std::string();
  };
  auto dose = [&](const std::string& te, const std::string& vaccine, int on) {
    auto in =
        tracker::DoseFromJson({{"trackedEntity", te}, {"vaccine", vaccine}, {"date", day(on)}});
    EXPECT_TRUE(in.ok());
    auto r = service.RecordDose(root, cat, *in, today, NowMillis());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)["dose"].get<std::string>() : std::string();
  };
  auto hold = [&](const std::string& te, const json& body) {
    auto in = tracker::HoldFromJson(body);
    EXPECT_TRUE(in.ok());
    auto r = service.AddHold(root, cat, te, *in, today, NowMillis());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  };
  // 其木格, five years old: HepB at birth, never BCG (contraindicated since she was one).
  const std::string qimuge = child("其木格", -5 * 365 - 20, "150624100004");
  dose(qimuge, "HepB", -5 * 365 - 20);
  hold(qimuge, {{"vaccine", "BCG"},
                {"kind", "CONTRAINDICATION"},
                {"from", day(-4 * 365)},
                {"reason", "先天性免疫缺陷"}});
  // 图门, 26 months: everything to 18 months but MPSV-A; deferred for every vaccine for 10 days.
  const int tumen_born = -26 * 30;
  const std::string tumen = child("图门", tumen_born);
  for (const auto& [vaccine, age] : std::vector<std::pair<std::string, int>>{{"HepB", 0},
                                                                             {"BCG", 0},
                                                                             {"HepB", 31},
                                                                             {"IPV", 62},
                                                                             {"IPV", 93},
                                                                             {"DTaP", 93},
                                                                             {"bOPV", 124},
                                                                             {"DTaP", 124},
                                                                             {"DTaP", 155},
                                                                             {"HepB", 186},
                                                                             {"MMR", 248},
                                                                             {"JE-L", 248}})
    dose(tumen, vaccine, tumen_born + age);
  hold(tumen, {{"vaccine", "*"},
               {"kind", "DEFERRAL"},
               {"from", day(-1)},
               {"until", day(9)},
               {"reason", "发热"}});
  // 萨日娜, three months: HepB and BCG at birth, IPV at two months, recorded first a week late
  // and corrected.
  const std::string sarina = child("萨日娜", -95, "150624100004");
  dose(sarina, "HepB", -95);
  dose(sarina, "BCG", -95);
  const std::string ipv = dose(sarina, "IPV", -26);
  auto recorded = store->FindImmunizationDose(ipv);
  ASSERT_TRUE(recorded.ok() && recorded->has_value());
  storage::ImmunizationDoseRecord corrected = **recorded;
  corrected.given_on = day(-33);
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = "due-index-test";
  audit.created = NowMillis();
  ASSERT_TRUE(store->UpdateImmunizationDose(corrected, audit).ok());

  int compared = 0, listed = 0;
  auto compare = [&](const std::string& unit, const std::string& village, int from, int span,
                     const std::string& kind) {
    tracker::DueListQuery q;
    q.org_unit = unit;
    q.village = village;
    q.from = today + days(from);
    q.to = q.from + days(span);
    q.kind = kind;
    auto indexed = service.DueList(root, cat, q, NowMillis());
    q.use_index = false;
    auto full = service.DueList(root, cat, q, NowMillis());
    ASSERT_TRUE(indexed.ok()) << indexed.status().ToString();
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    const std::string what =
        unit + " " + village + " " + day(from) + " +" + std::to_string(span) + " " + kind;
    EXPECT_EQ((*indexed)["children"].size(), (*full)["children"].size()) << what;
    EXPECT_TRUE(*indexed == *full) << what;
    ++compared;
    listed += static_cast<int>((*full)["children"].size());
  };
  // Windows over one township's children (乌兰镇: about a sixth of the county, with the three
  // children above), and the whole county once: each comparison computes every child of the
  // unit without the index, which is what this test costs.
  const std::pair<int, int> windows[] = {{-800, 92}, {-400, 0}, {-120, 31}, {-35, 6}, {-7, 0},
                                         {0, 0},     {0, 31},   {1, 92},    {9, 0},   {30, 6},
                                         {95, 0},    {400, 31}, {900, 92}};
  for (const auto& [from, span] : windows) compare("150624100", "", from, span, "all");
  compare("150624", "", 0, 31, "all");
  for (const char* kind : {"due", "overdue"}) compare("150624100", "", 0, 13, kind);
  for (const char* kind : {"all", "due", "overdue"})
    compare("150624100", "150624100004", -3, 40, kind);
  EXPECT_EQ(compared, 19);
  EXPECT_GT(listed, 1500) << listed;

  // Today's list of the county reads a fraction of its children.
  const auto* county = cat.OrgUnits().ByCode("150624");
  const auto units = cat.tree().SubtreeIds(county->id);
  auto all = store->ListTrackedEntities(units);
  auto read = store->ListDueCandidates(units, day(0), day(0));
  ASSERT_TRUE(all.ok() && read.ok());
  EXPECT_GT(all->size(), 8000u);
  EXPECT_LT(read->size() * 3, all->size()) << read->size() << " of " << all->size();
}

}  // namespace
}  // namespace weijian::http
