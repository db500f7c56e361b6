// Validation rules, min-max bounds, outliers and the submission check over HTTP, on the demo
// (which ships rules for its programs and a few realistic failures in 鄂托克旗's last month).
#include "http/server_env.h"

namespace weijian::http {
namespace {

std::string Uid(const std::string& code) {
  return Body(Get("/api/organisationUnits/" + code))["id"].get<std::string>();
}
std::string DeUid(const std::string& code) {
  return Body(Get("/api/dataElements/" + code))["id"].get<std::string>();
}
// Writes one value as `user` with a comment (demo values vary; a comment confirms any range).
void Put(const std::string& user, const std::string& de, const std::string& pe,
         const std::string& ou, const std::string& value) {
  json body = {
      {"dataElement", de}, {"period", pe}, {"orgUnit", ou}, {"value", value}, {"comment", "测试"}};
  auto r = As(user, "POST", "/api/dataValues", body.dump());
  ASSERT_EQ(r.status / 100, 2) << r.body;
}
std::string ValueOf(const std::string& de, const std::string& pe, const std::string& ou) {
  auto r = Get("/api/dataValues?de=" + de + "&pe=" + pe + "&ou=" + ou);
  return r.status == 200 ? Body(r)["value"].get<std::string>() : "";
}

TEST(ValidationHttpTest, DemoRulesAreListedWithTheirChineseInstructions) {
  auto r = Get("/api/validationRules");
  ASSERT_EQ(r.status, 200) << r.body;
  auto rules = Body(r)["validationRules"];
  ASSERT_GE(rules.size(), 10u);
  bool found = false;
  for (const auto& x : rules)
    if (x["code"] == "VR_CRC_REP") {
      found = true;
      EXPECT_EQ(x["operator"], "less_than_or_equal_to");
      EXPECT_EQ(x["importance"], "HIGH");
      EXPECT_EQ(x["leftSide"]["expression"], "#{CRC_REPORT}");
      EXPECT_NE(x["instruction"].get<std::string>().find("预约"), std::string::npos);
    }
  EXPECT_TRUE(found);
  EXPECT_GE(Body(Get("/api/validationRuleGroups"))["validationRuleGroups"].size(), 2u);
  EXPECT_EQ(Body(Get("/api/metadata"))["validationRules"].size(), rules.size());
}

TEST(ValidationHttpTest, ARuleThatDoesNotParseIsA409NamingTheSideAndPosition) {
  json rule = {{"code", "VR_BAD"},
               {"name", "坏规则"},
               {"operator", "less_than"},
               {"leftSide", {{"expression", "#{PS_DONE} + (#{PS_ABNORMAL}"}}},
               {"rightSide", {{"expression", "#{PS_ABNORMAL}"}}}};
  json bundle = json::object();
  bundle["validationRules"] = json::array({rule});
  auto r = PostJson("/api/metadata", bundle.dump());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Body(r)["field"], "validationRules[0].leftSide.expression");
  EXPECT_NE(r.body.find("position"), std::string::npos);
  EXPECT_EQ(Get("/api/validationRules/VR_BAD").status, 404);
}

TEST(ValidationHttpTest, FormShowsFailingRulesAndSubmissionIsRefusedOnAHighFailure) {
  const std::string ou = "150624100H01", pe = "202406";
  const std::string old_int = ValueOf("PS_INTERVENED", pe, ou);
  const std::string old_abn = ValueOf("PS_ABNORMAL", pe, ou);
  Put("clerk_in", "PS_ABNORMAL", pe, ou, "4");
  Put("clerk_in", "PS_INTERVENED", pe, ou, "30");
  auto r =
      As("clerk_in", "GET", "/api/validation/dataSet/DS_TOWNSHIP_MONTHLY?pe=" + pe + "&ou=" + ou);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Body(r);
  ASSERT_TRUE(j["commentRequiredViolations"].is_array());
  bool found = false;
  for (const auto& v : j["validationRuleViolations"])
    if (v["validationRuleDescription"] == "高危干预人数不超过高风险人数" ||
        v["validationRuleName"] == "高危干预人数不超过高风险人数") {
      found = true;
      EXPECT_EQ(v["leftSideValue"], 30.0);
      EXPECT_EQ(v["rightSideValue"], 4.0);
      EXPECT_EQ(v["operator"], "<=");
      EXPECT_EQ(v["importance"], "HIGH");
      EXPECT_EQ(v["periodId"], pe);
      EXPECT_EQ(v["organisationUnitId"], Uid(ou));
    }
  EXPECT_TRUE(found) << r.body;
  // Outside the caller's units: 403 naming only what was sent.
  auto other = As("clerk_sibling", "GET",
                  "/api/validation/dataSet/DS_TOWNSHIP_MONTHLY?pe=" + pe + "&ou=" + ou);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.body.find("乌兰"), std::string::npos);

  // 标记完成 is refused while the HIGH rule fails, even when confirmed.
  const std::string complete =
      "/api/dataEntry/complete?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + ou + "&period=" + pe;
  auto refused = As("clerk_in", "POST", complete + "&confirm=true");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("高危干预人数不超过高风险人数"), std::string::npos);
  EXPECT_NE(refused.body.find("不能上报"), std::string::npos);
  EXPECT_TRUE(Body(Get("/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + ou +
                       "&period=" + pe))["complete"]
                  .is_null());
  // Fixed, it goes through.
  Put("clerk_in", "PS_INTERVENED", pe, ou, "3");
  auto accepted = As("clerk_in", "POST", complete + "&confirm=true");
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(As("clerk_in", "DELETE", complete).status, 200);
  if (!old_abn.empty()) Put("root", "PS_ABNORMAL", pe, ou, old_abn);
  if (!old_int.empty()) Put("root", "PS_INTERVENED", pe, ou, old_int);
}

TEST(ValidationHttpTest, AWildValueNeedsACommentIsFlaggedAndFoundByOutlierDetection) {
  const std::string ou = "150624100H01", pe = "202405";
  const std::string before = ValueOf("CRC_REPORT", pe, ou);
  json body = {
      {"dataElement", "CRC_REPORT"}, {"period", pe}, {"orgUnit", ou}, {"value", "99999999"}};
  auto first = As("clerk_in", "POST", "/api/dataValues", body.dump());
  EXPECT_EQ(first.status, 409) << first.body;
  EXPECT_EQ(Body(first)["field"], "comment");
  EXPECT_NE(first.body.find("请填写说明"), std::string::npos);
  EXPECT_EQ(ValueOf("CRC_REPORT", pe, ou), before);  // nothing written
  body["comment"] = "集中筛查，已电话核实";
  auto second = As("clerk_in", "POST", "/api/dataValues", body.dump());
  ASSERT_EQ(second.status / 100, 2) << second.body;
  EXPECT_EQ(Body(second)["status"], "WARNING");
  EXPECT_TRUE(Body(second)["followup"].get<bool>());
  auto stored = Body(Get("/api/dataValues?de=CRC_REPORT&pe=" + pe + "&ou=" + ou));
  EXPECT_TRUE(stored["followup"].get<bool>());
  EXPECT_EQ(stored["comment"], "集中筛查，已电话核实");

  for (const char* algorithm : {"Z_SCORE", "MOD_Z_SCORE"}) {
    auto r = As("clerk_in", "GET",
                std::string("/api/outlierDetection?de=CRC_REPORT&ou=150624100"
                            "&startDate=2024-01-01&endDate=2024-12-31&maxResults=5&algorithm=") +
                    algorithm);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = Body(r);
    EXPECT_EQ(j["metadata"]["algorithm"], algorithm);
    ASSERT_GE(j["outlierValues"].size(), 1u);
    const auto& o = j["outlierValues"][0];
    EXPECT_EQ(o["value"], 99999999.0);
    EXPECT_EQ(o["pe"], pe);
    EXPECT_EQ(o["de"], DeUid("CRC_REPORT"));
    EXPECT_EQ(o["ouName"], "乌兰镇卫生院");
    EXPECT_TRUE(o["followUp"].get<bool>());
    for (const char* f : {"coc", "cocName", "aoc", "aocName", "absDev", "zScore", "stdDev",
                          "lowerBound", "upperBound"})
      EXPECT_TRUE(o.contains(f)) << f;
  }
  auto denied = As("clerk_sibling", "GET",
                   "/api/outlierDetection?de=CRC_REPORT&ou=150624100&startDate=2024-01-01"
                   "&endDate=2024-12-31");
  EXPECT_EQ(denied.status, 403);
  auto bad = Get("/api/outlierDetection?de=CRC_REPORT&ou=150624100&startDate=2024-01-01");
  EXPECT_EQ(bad.status, 409);
  if (!before.empty()) Put("root", "CRC_REPORT", pe, ou, before);
}

TEST(ValidationHttpTest, BatchAnalysisFindsTheDemosFewFailuresAndPersistsThem) {
  json req = {
      {"ou", "150624"}, {"startDate", "2022-01-01"}, {"endDate", "2024-12-31"}, {"persist", true}};
  auto r = As("county_admin", "POST", "/api/dataAnalysis/validationRules", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = Body(r);
  ASSERT_TRUE(list.is_array());
  // The demo's data are consistent with its rules but for a handful of realistic failures.
  EXPECT_GE(list.size(), 2u);
  EXPECT_LT(list.size(), 30u) << r.body.substr(0, 2000);
  std::string unit;
  for (const auto& v : list) {
    for (const char* f : {"validationRuleId", "organisationUnitId", "periodId", "leftSideValue",
                          "rightSideValue", "importance", "operator"})
      EXPECT_TRUE(v.contains(f)) << f;
    if (v["importance"] == "HIGH") unit = v["organisationUnitId"];
  }
  ASSERT_FALSE(unit.empty());
  auto kept = Body(As("county_admin", "GET", "/api/validationResults?ou=" + unit));
  EXPECT_GE(kept["validationResults"].size(), 1u);
  EXPECT_EQ(kept["validationResults"][0]["organisationUnit"]["id"], unit);
  // A group limits the rules; scope is checked; dates must be dates.
  req["vrg"] = "VRG_VILLAGE";
  req["persist"] = false;
  auto village = Body(As("county_admin", "POST", "/api/dataAnalysis/validationRules", req.dump()));
  for (const auto& v : village) EXPECT_NE(v["importance"], "LOW");
  json outside = {{"ou", "150624101"}, {"startDate", "2024-01-01"}, {"endDate", "2024-12-31"}};
  auto denied = As("clerk_in", "POST", "/api/dataAnalysis/validationRules", outside.dump());
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body.find("棋盘井"), std::string::npos);
  outside["startDate"] = "2024-13-01";
  outside["ou"] = "150624100";
  auto bad = As("clerk_in", "POST", "/api/dataAnalysis/validationRules", outside.dump());
  EXPECT_EQ(bad.status, 409);
  EXPECT_EQ(Body(bad)["field"], "startDate");
}

TEST(ValidationHttpTest, MinMaxBoundsAreGeneratedEditedAndDeleted) {
  const std::string clinic = Uid("150624100H01"), appoint = DeUid("CRC_APPOINT");
  auto gen = As("clerk_in", "POST", "/api/minMaxValues/DS_TOWNSHIP_MONTHLY/150624100");
  ASSERT_EQ(gen.status, 201) << gen.body;
  EXPECT_GT(Body(gen)["generated"].get<int>(), 10);
  const std::string filter = "/api/minMaxDataElements?filter=source.id:eq:" + clinic +
                             "&filter=dataElement.id:eq:" + appoint;
  auto list = Body(As("clerk_in", "GET", filter))["minMaxDataElements"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0]["generated"].get<bool>());
  EXPECT_LE(list[0]["min"].get<double>(), list[0]["max"].get<double>());
  // Edited by a person.
  json m = {
      {"source", {{"id", clinic}}}, {"dataElement", {{"id", appoint}}}, {"min", 0}, {"max", 10}};
  auto post = As("clerk_in", "POST", "/api/minMaxDataElements", m.dump());
  ASSERT_EQ(post.status, 201) << post.body;
  list = Body(As("clerk_in", "GET", filter))["minMaxDataElements"];
  EXPECT_FALSE(list[0]["generated"].get<bool>());
  EXPECT_EQ(list[0]["max"], 10.0);
  // A save outside the bounds now asks for a comment naming the bounds.
  json v = {{"dataElement", "CRC_APPOINT"},
            {"period", "202406"},
            {"orgUnit", "150624100H01"},
            {"value", "50"}};
  auto out = As("clerk_in", "POST", "/api/dataValues", v.dump());
  EXPECT_EQ(out.status, 409);
  EXPECT_NE(out.body.find("0–10"), std::string::npos) << out.body;
  // Someone else's unit: 403.
  EXPECT_EQ(As("clerk_sibling", "POST", "/api/minMaxDataElements", m.dump()).status, 403);
  m["min"] = 20;
  EXPECT_EQ(As("clerk_in", "POST", "/api/minMaxDataElements", m.dump()).status, 409);
  // Deleted, once. Then every bound of the township goes, as other tests expect.
  json key = {{"source", {{"id", clinic}}}, {"dataElement", {{"id", appoint}}}};
  EXPECT_EQ(As("clerk_in", "DELETE", "/api/minMaxDataElements", key.dump()).status, 204);
  EXPECT_EQ(As("clerk_in", "DELETE", "/api/minMaxDataElements", key.dump()).status, 404);
  // Kept in a variable: a range-for over a member of a temporary reads freed memory (found by
  // ThreadSanitizer in `make test-tsan`).
  const json bounds = Body(As("clerk_in", "GET", "/api/minMaxDataElements?ou=150624100H01"));
  for (const auto& row : bounds["minMaxDataElements"]) {
    json k = {{"source", row["source"]},
              {"dataElement", row["dataElement"]},
              {"optionCombo", row["optionCombo"]}};
    EXPECT_EQ(As("clerk_in", "DELETE", "/api/minMaxDataElements", k.dump()).status, 204);
  }
}

}  // namespace
}  // namespace weijian::http
