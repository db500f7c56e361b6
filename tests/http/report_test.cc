// Reports through the API on the demo data: the seed figures of 鄂托克旗 2023, scope, formats,
// data checks before publishing, frozen figures after it, and 数据已更新 when the data moves.
#include <regex>
#include <set>

#include "http/server_env.h"

namespace weijian::http {
namespace {

TEST(Reports, TheAnnualReviewStatesTheSeedFigures) {
  auto r = Get("/api/reports/preview?template=annual&ou=150624&period=2023");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string html = Body(r)["html"];
  EXPECT_NE(html.find("两癌筛查"), std::string::npos);
  EXPECT_NE(html.find(">2748人<"), std::string::npos);
  EXPECT_NE(html.find("完成率达105.69%"), std::string::npos);
  EXPECT_NE(html.find("布病血清学检测"), std::string::npos);
  EXPECT_NE(html.find(">3486人<"), std::string::npos);
  EXPECT_EQ(Body(r)["title"], "鄂托克旗2023年卫生健康工作年度盘点");
  // 105.69% is above 100: the checks say so.
  EXPECT_NE(Body(r)["checks"].dump().find("超过100%"), std::string::npos);
}

TEST(Reports, ScopeFormatsAndTemplates) {
  EXPECT_EQ(As("clerk_in", "GET", "/api/reports/preview?template=progress&ou=150624101&period=2023")
                .status,
            403);
  EXPECT_EQ(As("", "GET", "/api/reports/preview?template=progress&ou=150624100&period=2023").status,
            401);
  auto missing = Get("/api/reports/preview?template=progress&ou=150624100");
  EXPECT_EQ(missing.status, 409);
  EXPECT_EQ(Body(missing)["field"], "period");
  auto pdf =
      Get("/api/reports/render?template=progress&ou=150624&period=202401..202407&format=pdf");
  ASSERT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.headers["content-type"], "application/pdf");
  EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");
  auto docx =
      Get("/api/reports/render?template=bulletin&ou=1506&period=202401..202406&format=docx");
  ASSERT_EQ(docx.status, 200);
  EXPECT_EQ(docx.body.substr(0, 2), "PK");
  auto bad = Get("/api/reports/render?template=progress&ou=150624&period=2023&format=odt");
  EXPECT_EQ(bad.status, 409);
  EXPECT_EQ(Body(bad)["field"], "format");
  // The three built-in templates (other tests of this process may have saved more).
  auto list = Body(Get("/api/reportTemplates"));
  std::set<std::string> codes;
  for (const auto& t : list["templates"]) codes.insert(t.value("name", ""));
  for (const char* code : {"progress", "annual", "bulletin"})
    EXPECT_EQ(codes.count(code), 1u) << code;
  EXPECT_GE(list["templates"].size(), 3u);
  auto t = Body(Get("/api/reportTemplates/progress"));
  EXPECT_EQ(As("clerk_in", "PUT", "/api/reportTemplates/mine", t.dump()).status, 403);
  json broken = t;
  broken["sections"][0]["blocks"][0]["type"] = "poem";
  auto refused = As("editor_in", "PUT", "/api/reportTemplates/mine", broken.dump());
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Body(refused)["field"], "sections[0].blocks[0].type");
  t["title"] = "{ou}{period}重点工作简报";
  ASSERT_EQ(As("editor_in", "PUT", "/api/reportTemplates/mine", t.dump()).status, 200);
  auto mine = Get("/api/reports/preview?template=mine&ou=150624&period=2023");
  EXPECT_EQ(Body(mine)["title"], "鄂托克旗2023年全年重点工作简报");
}

// A child of 乌兰镇卫生院 registered by the clerk (its own, for tests that count coverage); its
// uid, or
// "" when refused.
std::string CoverageChild(const std::string& name, const std::string& sex, const std::string& birth,
                          const std::string& phone) {
  const json child = {{"orgUnit", "150624100H01"},
                      {"name", name},
                      {"sex", sex},
                      {"birthDate", birth},
                      {"guardians", {{{"name", "乌云"}, {"relation", "母亲"}, {"phone", phone}}}}};
  auto reg = As("clerk_in", "POST", "/api/immunization/children", child.dump());
  EXPECT_EQ(reg.status, 201) << reg.body;
  return reg.status == 201 ? Body(reg)["trackedEntity"].get<std::string>() : "";
}

// A template may state a coverage rate counted from the immunization records (a program
// indicator, by its code), beside the aggregate figures: the report's figure is the one
// /api/analytics gives for the same unit and period.
TEST(Reports, ACoverageRateFromTheRecordsIsAFigureLikeAnyIndicator) {
  const std::string te = CoverageChild("报告甲", "女", "2017-03-10", "13904771234");
  ASSERT_FALSE(te.empty());
  for (const char* vaccine : {"HepB", "BCG"})
    ASSERT_EQ(As("clerk_in", "POST", "/api/immunization/doses",
                 json{{"trackedEntity", te}, {"vaccine", vaccine}, {"date", "2017-03-10"}}.dump())
                  .status,
              201);
  const json t = {{"title", "{ou}{period}免疫规划"},
                  {"figures", {{"cov", {{"dx", "IMM_COVERAGE"}, {"format", "rate"}}}}},
                  {"sections",
                   {{{"heading", ""},
                     {"blocks", {{{"type", "text"}, {"text", "{period}{ou}接种率为{cov}。"}}}}}}}};
  ASSERT_EQ(As("editor_in", "PUT", "/api/reportTemplates/coverage", t.dump()).status, 200);
  auto r = As("county_admin", "GET",
              "/api/reports/preview?template=coverage&ou=150624100&period=2017&approvedOnly=false");
  ASSERT_EQ(r.status, 200) << r.body;
  const json figure = Body(r)["figures"][0];
  EXPECT_EQ(figure["item"], "接种率");
  auto a = Body(As("county_admin", "GET",
                   "/api/analytics?dimension=dx:IMM_COVERAGE&dimension=pe:2017&filter=ou:150624100"
                   "&skipRounding=true"));
  ASSERT_EQ(a["rows"].size(), 1u) << a.dump();
  ASSERT_TRUE(figure["value"].is_number()) << figure.dump();
  EXPECT_NEAR(figure["value"].get<double>(), std::stod(a["rows"][0][2].get<std::string>()), 1e-9);
  EXPECT_NE(Body(r)["html"].get<std::string>().find("接种率为"), std::string::npos);
}

TEST(Reports, PublishedFiguresStayFrozenAndThePageSaysWhenDataMoved) {
  const json req = {
      {"template", "annual"}, {"ou", "150624100"}, {"period", "2023"}, {"column", "gzdt"}};
  EXPECT_EQ(As("clerk_in", "POST", "/api/reports/publish", req.dump()).status, 403);
  // An editor without the right to read the data cannot publish its figures.
  EXPECT_EQ(As("editor_in", "POST", "/api/reports/publish", req.dump()).status, 403);
  auto no_note = As("county_admin", "POST", "/api/reports/publish", req.dump());
  ASSERT_EQ(no_note.status, 409) << no_note.body;  // the checks found something
  EXPECT_EQ(Body(no_note)["field"], "note");
  json with_note = req;
  with_note["note"] = "已与乌兰镇卫生院核实";
  auto pub = As("county_admin", "POST", "/api/reports/publish", with_note.dump());
  ASSERT_EQ(pub.status, 201) << pub.body;
  const std::string article = Body(pub)["article"];
  auto page = Http(env->port, "GET", "/article/" + article);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("class=\"figure\""), std::string::npos);
  EXPECT_EQ(page.body.find("数据已更新"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex("全年完成两癌筛查<span[^>]*>(\\d+)人")));
  const std::string frozen = m[1];
  // The clerk corrects a December value of the township's health centre.
  const TcDoneKept kept("clerk_in", "150624100H01", "202312");
  const json change = ChangeTcDone("clerk_in", "150624100H01", "202312", 7);
  ASSERT_EQ(As("clerk_in", "POST", "/api/dataValues", change.dump()).status / 100, 2);
  auto after = Http(env->port, "GET", "/article/" + article);
  EXPECT_NE(after.body.find("数据已更新"), std::string::npos);
  EXPECT_NE(after.body.find("全年完成两癌筛查<span"), std::string::npos);
  ASSERT_TRUE(std::regex_search(after.body, m, std::regex("全年完成两癌筛查<span[^>]*>(\\d+)人")));
  EXPECT_EQ(m[1], frozen);  // the published number did not move
  auto reports = Body(As("editor_in", "GET", "/api/reports"));
  bool found = false;
  for (const auto& r : reports["reports"])
    if (r["article"] == article) {
      found = true;
      EXPECT_FALSE(r["changedFigures"].empty());
      EXPECT_EQ(r["note"], "已与乌兰镇卫生院核实");
      // Named for the list's reader (the workbench shows these, not the codes).
      EXPECT_EQ(r["orgUnit"], "150624100");
      EXPECT_EQ(r["orgUnitName"], "乌兰镇");
      EXPECT_EQ(r["periodName"], "2023年");
    }
  EXPECT_TRUE(found);
}

// A published coverage rate counted from the immunization records is compared with the records
// as they stand: a dose recorded after publishing lists the figure among those that differ now,
// and the report's page says 数据已更新. A child of its own, born in 2016 (no demo child is).
TEST(Reports, APublishedCoverageRateDiffersOnceADoseIsRecorded) {
  const std::string te = CoverageChild("报告乙", "男", "2016-02-01", "13904771235");
  ASSERT_FALSE(te.empty());
  auto dose = [&](const char* vaccine) {
    return As("clerk_in", "POST", "/api/immunization/doses",
              json{{"trackedEntity", te}, {"vaccine", vaccine}, {"date", "2016-02-01"}}.dump())
        .status;
  };
  ASSERT_EQ(dose("HepB"), 201);
  const json t = {{"title", "{ou}{period}接种率通报"},
                  {"figures", {{"cov", {{"dx", "IMM_COVERAGE"}, {"format", "rate"}}}}},
                  {"sections",
                   {{{"heading", ""},
                     {"blocks", {{{"type", "text"}, {"text", "{period}{ou}接种率为{cov}。"}}}}}}}};
  ASSERT_EQ(As("editor_in", "PUT", "/api/reportTemplates/coverage_moved", t.dump()).status, 200);
  const json req = {{"template", "coverage_moved"},
                    {"ou", "150624100"},
                    {"period", "2016"},
                    {"column", "gzdt"},
                    {"note", "已核实"}};
  auto pub = As("county_admin", "POST", "/api/reports/publish", req.dump());
  ASSERT_EQ(pub.status, 201) << pub.body;
  const std::string article = Body(pub)["article"];
  auto changed = [&]() -> json {
    const json list = Body(As("editor_in", "GET", "/api/reports"));
    for (const auto& r : list["reports"])
      if (r["article"] == article) return r["changedFigures"];
    return nullptr;
  };
  ASSERT_TRUE(changed().is_array());
  EXPECT_TRUE(changed().empty()) << changed().dump();
  EXPECT_EQ(Http(env->port, "GET", "/article/" + article).body.find("数据已更新"),
            std::string::npos);
  ASSERT_EQ(dose("BCG"), 201);
  // The page first: the list below marks the report changed, which the page would show anyway.
  EXPECT_NE(Http(env->port, "GET", "/article/" + article).body.find("数据已更新"),
            std::string::npos);
  const json now = changed();
  ASSERT_EQ(now.size(), 1u) << now.dump();
  EXPECT_EQ(now[0]["key"], "cov");
  EXPECT_EQ(now[0]["item"], "接种率");
  ASSERT_TRUE(now[0]["published"].is_number() && now[0]["now"].is_number()) << now.dump();
  EXPECT_GT(now[0]["now"].get<double>(), now[0]["published"].get<double>());
}

// Citizens never get a link into the workbench: not in the layout, not in a published report
// (its provenance is a readable note), on any page reachable from the home page.
TEST(Reports, NoPublicPageLinksToStaffPages) {
  json req = {{"template", "annual"},
              {"ou", "150624100"},
              {"period", "2023"},
              {"column", "gzdt"},
              {"note", "已核实"}};
  auto pub = As("county_admin", "POST", "/api/reports/publish", req.dump());
  ASSERT_EQ(pub.status, 201) << pub.body;
  const std::string article = Body(pub)["article"];
  auto page = Http(env->port, "GET", "/article/" + article);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("数据来源与口径"), std::string::npos);
  EXPECT_NE(page.body.find("统计期间为"), std::string::npos);
  // 作者 is the publishing body, not the editor's login name.
  EXPECT_EQ(page.body.find("editor_in"), std::string::npos);
  std::set<std::string> seen = {"/"}, todo = {"/", "/article/" + article, "/search?q=两癌"};
  std::regex href("href=\"(/[^\"#]*)\"");
  int pages = 0;
  while (!todo.empty() && pages < 80) {
    const std::string target = *todo.begin();
    todo.erase(todo.begin());
    auto r = Http(env->port, "GET", target);
    ++pages;
    if (r.status != 200 || r.headers["content-type"].find("text/html") == std::string::npos)
      continue;
    for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), href);
         it != std::sregex_iterator(); ++it) {
      const std::string link = (*it)[1];
      EXPECT_FALSE(link.starts_with("/admin")) << target << " links to " << link;
      if ((link.starts_with("/column/") || link.starts_with("/article/")) &&
          seen.insert(link).second)
        todo.insert(link);
    }
  }
  EXPECT_GT(pages, 10);
}

// The demo's 托育 supply differs by 旗/区 (it was the same 4.86 everywhere).
TEST(Reports, DemoChildcareSlotsDifferByCounty) {
  auto r = Get(
      "/api/"
      "analytics?dimension=dx:IND_CHILDCARE_SLOTS_PER_1000&filter=pe:2024&dimension=ou:LEVEL-3");
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Body(r);
  std::set<std::string> values;
  for (const auto& row : body["rows"]) values.insert(row.back().get<std::string>());
  EXPECT_GE(body["rows"].size(), 9u);
  EXPECT_GE(values.size(), 7u) << r.body;
}

}  // namespace
}  // namespace weijian::http
