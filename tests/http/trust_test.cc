// What is published rests on approved data, and what an import answered is what it stored:
// the stored import summary, analytics' approvalLevel, dashboards, reports and publishing over
// the demo served by the real server.
#include <string>

#include "core/date.h"
#include "core/period.h"
#include "http/server_env.h"

namespace weijian::http {
namespace {

TEST(ImportSummaryHttpTest, StoredSummaryKeepsTheNotesOfTheLiveAnswer) {
  const std::string csv =
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
      "VC_VISITS,201903,150624100005,,,33\n";
  auto r = AsTyped("clerk_in", "POST",
                   "/api/dataValueSets?idScheme=code&importReportMode=ERRORS&skipAudit=true", csv,
                   "application/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  json live = Body(r)["response"];
  ASSERT_TRUE(live.contains("notes")) << live.dump();
  ASSERT_EQ(live["notes"].size(), 2u) << live.dump();
  auto stored =
      As("clerk_in", "GET", "/api/dataValueSets/imports/" + live["importId"].get<std::string>());
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(Body(stored)["notes"], live["notes"]);
  EXPECT_EQ(Body(stored)["importCount"], live["importCount"]);
}

// The demo approves from 202501 on (demo_approval.cc): the last two finished months are submitted
// and not approved, the month before them approved by the townships, older ones by the 旗/区 too,
// past years by the city.
Period LastMonth() { return PeriodContaining(PeriodType::kMonthly, Today()).Previous(); }
Period MonthsBack(int n) {
  Period p = LastMonth();
  for (int i = 0; i < n; ++i) p = p.Previous();
  return p;
}

// TC_DONE of 鄂托克旗 for one period, with an approvalLevel or without (nullopt: no row).
std::optional<double> CountyDone(const std::string& pe, const std::string& level) {
  std::string q = "/api/analytics?dimension=dx:TC_DONE&filter=pe:" + pe + "&filter=ou:150624";
  if (!level.empty()) q += "&approvalLevel=" + level;
  auto r = As("county_admin", "GET", q);
  EXPECT_EQ(r.status, 200) << q << " " << r.body;
  json j = Body(r);
  if (j["rows"].empty()) return std::nullopt;
  const json& v = j["rows"][0].back();
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

TEST(ApprovalLevelHttpTest, AnalyticsCountsOnlyDataApprovedAtTheLevelOrAbove) {
  // Approved by the townships and the 旗: counted at both levels, not at the city's unless the
  // city approved its year.
  const std::string old = MonthsBack(4).Id();
  auto all = CountyDone(old, "");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(CountyDone(old, "DAL_TOWNSHIP"), all);
  EXPECT_EQ(CountyDone(old, "DAL_COUNTY"), all);  // approved above counts below too
  const bool city_approved = YearOf(MonthsBack(4).start) < YearOf(LastMonth().start);
  EXPECT_EQ(CountyDone(old, "DAL_CITY").has_value(), city_approved);
  // Submitted, not approved anywhere: left out.
  const std::string last = LastMonth().Id();
  ASSERT_TRUE(CountyDone(last, "").has_value());
  EXPECT_FALSE(CountyDone(last, "DAL_TOWNSHIP").has_value());
  // Data from before approval began (the demo approves from 2025) stand as they are.
  EXPECT_EQ(CountyDone("2023", "DAL_CITY"), CountyDone("2023", ""));
  // The metadata say which level the answer rests on.
  auto r = Body(As("county_admin", "GET",
                   "/api/analytics?dimension=dx:TC_DONE&filter=pe:" + old +
                       "&filter=ou:150624&approvalLevel=DAL_COUNTY"));
  EXPECT_EQ(r["metaData"]["approvalLevel"]["name"], "旗/区级");
  auto bad = As("county_admin", "GET",
                "/api/analytics?dimension=dx:TC_DONE&filter=pe:2023&filter=ou:150624"
                "&approvalLevel=NO_SUCH_LEVEL");
  EXPECT_EQ(bad.status, 409) << bad.body;
  EXPECT_EQ(Body(bad)["field"], "approvalLevel");
}

TEST(ApprovalLevelHttpTest, ReportsReadApprovedDataAndNameTheUnitsNotYetApproved) {
  const Period last = LastMonth();
  const std::string range = std::to_string(YearOf(MonthsBack(3).start)) + "01.." + last.Id();
  auto r =
      As("county_admin", "GET", "/api/reports/preview?template=progress&ou=150624&period=" + range);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  std::string checks = j["checks"].dump();
  EXPECT_NE(checks.find("尚未审核"), std::string::npos) << checks;
  EXPECT_NE(checks.find("乌兰镇"), std::string::npos) << checks;
  const std::string html = j["html"];
  EXPECT_NE(html.find("已审核数据（乡镇级及以上审核）"), std::string::npos);
  EXPECT_NE(html.find("数据范围：截至"), std::string::npos);
  // Publishing asks for confirmation (a note) while units are not approved.
  json req = {{"template", "progress"}, {"ou", "150624"}, {"period", range}, {"column", "gzdt"}};
  auto pub = As("county_admin", "POST", "/api/reports/publish", req.dump());
  EXPECT_EQ(pub.status, 409) << pub.body;
  EXPECT_EQ(Body(pub)["field"], "note");
  // Asked for explicitly, all entered data, and the appendix says so.
  auto all =
      As("county_admin", "GET",
         "/api/reports/preview?template=progress&ou=150624&approvedOnly=false&period=" + range);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Body(all)["checks"].dump().find("尚未审核"), std::string::npos);
  EXPECT_NE(Body(all)["html"].get<std::string>().find("含尚未审核的数据"), std::string::npos);
  // A year before approval began: nothing is missing, the figures stand.
  auto past = Body(Get("/api/reports/preview?template=annual&ou=150624&period=2023"));
  EXPECT_EQ(past["checks"].dump().find("尚未审核"), std::string::npos);
}

// A report published from approved data says 数据已更新 only when the approved data move: a
// value entered and not yet approved changes nothing the public reads; its approval does.
TEST(ApprovalLevelHttpTest, APublishedReportSaysDataMovedOnlyWhenApprovedDataMove) {
  const std::string pe = LastMonth().Id(), town = "150624101", centre = "150624101H01";
  json req = {
      {"template", "progress"}, {"ou", town}, {"period", pe}, {"column", "gzdt"}, {"note", "核实"}};
  auto pub = As("county_admin", "POST", "/api/reports/publish", req.dump());
  ASSERT_EQ(pub.status, 201) << pub.body;
  const std::string article = Body(pub)["article"];
  auto page = [&] { return Http(env->port, "GET", "/article/" + article).body; };
  ASSERT_EQ(page().find("数据已更新"), std::string::npos);

  // The clerk reopens her submitted form and corrects a value: entered, not approved.
  const std::string complete =
      "/api/dataEntry/complete?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + centre + "&period=" + pe;
  (void)As("clerk_sibling", "DELETE", complete);
  const json change = ChangeTcDone("clerk_sibling", centre, pe, 5);
  auto wrote = As("clerk_sibling", "POST", "/api/dataValues", change.dump());
  ASSERT_EQ(wrote.status / 100, 2) << wrote.body;
  EXPECT_EQ(page().find("数据已更新"), std::string::npos);

  // Submitted again and approved by the 旗: now the approved data hold the township's month.
  auto done = As("clerk_sibling", "POST", complete);
  ASSERT_EQ(done.status, 200) << done.body;
  auto approved =
      As("county_admin", "POST", "/api/dataApprovals?wf=WF_MONTHLY&pe=" + pe + "&ou=" + town);
  ASSERT_EQ(approved.status / 100, 2) << approved.body;
  EXPECT_NE(page().find("数据已更新"), std::string::npos);
}

TEST(ApprovalLevelHttpTest, DataReleaseNamesUnapprovedUnitsAndPublishesOnlyWhenConfirmed) {
  const int year = YearOf(LastMonth().start);
  json req = {{"program", "liangai"}, {"year", year}, {"orgUnit", "150624"}};
  auto asked = As("county_admin", "POST", "/api/dataReleases", req.dump());
  ASSERT_EQ(asked.status, 409) << asked.body;
  EXPECT_EQ(Body(asked)["field"], "confirm");
  const std::string message = Body(asked)["message"];
  EXPECT_NE(message.find("尚未审核"), std::string::npos) << message;
  EXPECT_NE(message.find("乌兰镇"), std::string::npos) << message;
  req["confirm"] = true;
  auto ok = As("county_admin", "POST", "/api/dataReleases", req.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  auto page = Http(env->port, "GET", "/article/" + Body(ok)["id"].get<std::string>(), "", {});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("已审核数据"), std::string::npos);
}

}  // namespace
}  // namespace weijian::http
