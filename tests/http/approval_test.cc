// 上报 → 审核/退回 over HTTP on the demo (issue 11): the approval state machine over the demo's
// three levels (乡镇 → 旗/区 → 市) with a return, a resubmission and an unapproval from above;
// scope; one table of every write path × every lock kind; lock exceptions; the grid, 本月待填 and
// messages. Periods of 2022 are used here only (the demo approves from 2025 on).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/server_env.h"

namespace weijian::http {
namespace {

const std::string kWf = "WF_MONTHLY";

std::string State(const std::string& user, const std::string& pe, const std::string& ou) {
  auto r = As(user, "GET", "/api/dataApprovals?wf=" + kWf + "&pe=" + pe + "&ou=" + ou);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? Body(r)["state"].get<std::string>() : r.body;
}
json ApprovalOf(const std::string& user, const std::string& pe, const std::string& ou) {
  return Body(As(user, "GET", "/api/dataApprovals?wf=" + kWf + "&pe=" + pe + "&ou=" + ou));
}
int Complete(const std::string& user, const std::string& method, const std::string& unit,
             const std::string& pe, const std::string& ds = "DS_TOWNSHIP_MONTHLY") {
  return As(user, method,
            "/api/dataEntry/complete?dataSet=" + ds + "&orgUnit=" + unit + "&period=" + pe)
      .status;
}
int Approve(const std::string& user, const std::string& method, const std::string& pe,
            const std::string& ou) {
  return As(user, method, "/api/dataApprovals?wf=" + kWf + "&pe=" + pe + "&ou=" + ou).status;
}
// The townships of 鄂托克旗 (their health centres report DS_TOWNSHIP_MONTHLY).
std::vector<std::string> Townships() {
  std::vector<std::string> out;
  const json county = Body(Get("/api/organisationUnits/150624"));
  for (const auto& u : county["children"])
    if (u["code"].get<std::string>().find_first_not_of("0123456789") == std::string::npos)
      out.push_back(u["code"]);
  return out;
}

TEST(ApprovalTest, MetadataIsServedAndRoundTrips) {
  auto levels = Body(Get("/api/dataApprovalLevels"))["dataApprovalLevels"];
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0]["orgUnitLevel"], 2);
  auto wf = Body(Get("/api/dataApprovalWorkflows/" + kWf));
  EXPECT_EQ(wf["periodType"], "Monthly");
  EXPECT_EQ(wf["dataApprovalLevels"].size(), 3u);
  ASSERT_EQ(wf["dataSets"].size(), 1u);
  auto bundle = Body(Get("/api/metadata?organisationUnits=false"));
  EXPECT_EQ(bundle["dataApprovalWorkflows"].size(), 1u);
  bool linked = false, assigned = false;
  for (const auto& ds : bundle["dataSets"])
    if (ds["code"] == "DS_TOWNSHIP_MONTHLY") linked = ds["workflow"]["id"] == wf["id"];
  for (const auto& de : bundle["dataElements"])
    if (de["code"] == "TC_TARGET") assigned = de["assignedLevel"] == 3;
  EXPECT_TRUE(linked);
  EXPECT_TRUE(assigned);
  // A workflow naming a level that does not exist is refused, naming the field.
  auto bad = PostJson("/api/metadata",
                      R"({"dataApprovalWorkflows":[{"code":"WF_X","name":"x","periodType":"Monthly",
                          "dataApprovalLevels":[{"code":"NO_SUCH_LEVEL"}]}]})");
  EXPECT_EQ(bad.status / 100, 4) << bad.body;
  EXPECT_NE(bad.body.find("dataApprovalWorkflows[0].dataApprovalLevels[0]"), std::string::npos);
}

TEST(ApprovalTest, ThreeLevelsWithReturnResubmitAndUnapprovalFromAbove) {
  const std::string pe = "202203", town = "150624100", centre = "150624100H01";
  EXPECT_EQ(State("county_admin", pe, town), "UNAPPROVED_WAITING");
  EXPECT_EQ(State("county_admin", pe, centre), "UNAPPROVED_ELSEWHERE");  // not a level
  // Approving what is not ready: 409 with the reason.
  auto early =
      As("county_admin", "POST", "/api/dataApprovals?wf=" + kWf + "&pe=" + pe + "&ou=" + town);
  EXPECT_EQ(early.status, 409);
  EXPECT_NE(early.body.find("尚未全部上报"), std::string::npos) << early.body;

  // 上报: the clerk completes the form.
  ASSERT_EQ(Complete("clerk_in", "POST", centre, pe), 200);
  auto st = ApprovalOf("county_admin", pe, town);
  EXPECT_EQ(st["state"], "UNAPPROVED_READY");
  EXPECT_TRUE(st["mayApprove"]);
  EXPECT_TRUE(st["mayReturn"]);
  EXPECT_FALSE(ApprovalOf("clerk_in", pe, town)["mayApprove"]);
  EXPECT_EQ(Approve("clerk_in", "POST", pe, town), 403);  // no approve authority

  // 退回 with a reason: the form re-opens and the clerk is told why.
  auto no_reason = As("county_admin", "POST", "/api/dataApprovals/returns",
                      json{{"wf", kWf}, {"pe", pe}, {"ou", town}}.dump());
  EXPECT_EQ(no_reason.status, 409);
  auto ret =
      As("county_admin", "POST", "/api/dataApprovals/returns",
         json{{"wf", kWf}, {"pe", pe}, {"ou", town}, {"reason", "初筛人数与上月差异过大，请核实"}}
             .dump());
  ASSERT_EQ(ret.status, 200) << ret.body;
  auto form = Body(
      As("clerk_in", "GET",
         "/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + centre + "&period=" + pe));
  EXPECT_TRUE(form["complete"].is_null());
  EXPECT_EQ(form["approval"]["state"], "RETURNED");
  EXPECT_EQ(form["approval"]["returned"]["reason"], "初筛人数与上月差异过大，请核实");
  EXPECT_EQ(State("county_admin", pe, town), "UNAPPROVED_WAITING");
  auto inbox = Body(As("clerk_in", "GET", "/api/messageConversations"));
  bool told = false;
  for (const auto& m : inbox["messageConversations"])
    if (m["messages"][0]["text"].get<std::string>().find("初筛人数与上月差异过大") !=
        std::string::npos)
      told = true;
  EXPECT_TRUE(told);
  EXPECT_GE(inbox["unread"], 1);

  // Resubmission, then approval at the township level by the county.
  ASSERT_EQ(Complete("clerk_in", "POST", centre, pe), 200);
  EXPECT_EQ(State("county_admin", pe, town), "UNAPPROVED_READY");
  ASSERT_EQ(Approve("county_admin", "POST", pe, town), 204);
  EXPECT_EQ(State("county_admin", pe, town), "APPROVED_HERE");
  EXPECT_EQ(State("county_admin", pe, centre), "APPROVED_ELSEWHERE");
  EXPECT_EQ(Complete("clerk_in", "DELETE", centre, pe), 409);  // locked

  // The county becomes ready once every township is approved.
  EXPECT_EQ(State("county_admin", pe, "150624"), "UNAPPROVED_WAITING");
  for (const auto& t : Townships()) {
    if (t == town) continue;
    ASSERT_EQ(Complete("root", "POST", t + "H01", pe), 200) << t;
    ASSERT_EQ(Approve("county_admin", "POST", pe, t), 204) << t;
  }
  EXPECT_EQ(State("county_admin", pe, "150624"), "UNAPPROVED_READY");
  ASSERT_EQ(Approve("county_admin", "POST", pe, "150624"), 204);
  EXPECT_EQ(State("county_admin", pe, "150624"), "APPROVED_HERE");
  EXPECT_EQ(State("county_admin", pe, town), "APPROVED_ELSEWHERE");
  // The township cannot be unapproved while the county's approval stands.
  EXPECT_EQ(Approve("county_admin", "DELETE", pe, town), 409);
  // Acceptance by the level above.
  EXPECT_EQ(
      As("county_admin", "POST", "/api/dataAcceptances?wf=" + kWf + "&pe=" + pe + "&ou=150624")
          .status,
      403);
  ASSERT_EQ(
      As("city_admin_t", "POST", "/api/dataAcceptances?wf=" + kWf + "&pe=" + pe + "&ou=150624")
          .status,
      204);
  EXPECT_EQ(State("county_admin", pe, "150624"), "ACCEPTED_HERE");
  EXPECT_EQ(State("county_admin", pe, town), "ACCEPTED_ELSEWHERE");

  // Unapproval from above: the city lifts the county's approval, then the township's.
  ASSERT_EQ(Approve("city_admin_t", "DELETE", pe, "150624"), 204);
  EXPECT_EQ(State("city_admin_t", pe, "150624"), "UNAPPROVED_READY");
  ASSERT_EQ(Approve("city_admin_t", "DELETE", pe, town), 204);
  EXPECT_EQ(State("county_admin", pe, town), "UNAPPROVED_READY");
  EXPECT_EQ(Complete("clerk_in", "DELETE", centre, pe), 200);  // open again

  // Every step is in the hash-chained audit trail.
  auto audits = Body(Get("/api/audits?type=DATA_APPROVAL"));
  int steps = 0;
  for (const auto& a : audits["audits"])
    if (a["object"].get<std::string>().find("/" + pe + "/") != std::string::npos) ++steps;
  EXPECT_GE(steps, 10);
}

TEST(ApprovalTest, ApproversActOnlyInsideTheirUnitsAndAtTheirLevel) {
  const std::string pe = "202205";
  ASSERT_EQ(Complete("root", "POST", "150624100H01", pe), 200);
  // The city is two levels above a township: not its level.
  EXPECT_EQ(Approve("city_admin_t", "POST", pe, "150624100"), 403);
  EXPECT_FALSE(ApprovalOf("city_admin_t", pe, "150624100")["mayApprove"]);
  // A county approver and a township of another banner, or the city itself.
  std::string other;
  const json dongsheng = Body(Get("/api/organisationUnits/150602"));
  for (const auto& u : dongsheng["children"])
    if (u["code"].get<std::string>().find_first_not_of("0123456789") == std::string::npos)
      other = u["code"];
  ASSERT_FALSE(other.empty());
  ASSERT_EQ(Complete("root", "POST", other + "H01", pe), 200);
  EXPECT_EQ(Approve("county_admin", "POST", pe, other), 403);
  EXPECT_EQ(Approve("county_admin", "POST", pe, "1506"), 403);
  EXPECT_EQ(As("county_admin", "GET", "/api/dataApprovals?wf=" + kWf + "&pe=" + pe + "&ou=" + other)
                .status,
            403);
  // Data entry without the approve authority.
  EXPECT_EQ(Approve("officer_above", "POST", pe, "150624100"), 403);
  // Bulk: one target outside the caller's units and nothing is approved.
  auto bulk =
      As("county_admin", "POST", "/api/dataApprovals/approvals",
         json{{"wf", {kWf}}, {"pe", {pe}}, {"approvals", {{{"ou", "150624100"}}, {{"ou", other}}}}}
             .dump());
  EXPECT_EQ(bulk.status, 403) << bulk.body;
  EXPECT_EQ(State("county_admin", pe, "150624100"), "UNAPPROVED_READY");
  auto ok = As("county_admin", "POST", "/api/dataApprovals/approvals",
               json{{"wf", {kWf}}, {"pe", {pe}}, {"approvals", {{{"ou", "150624100"}}}}}.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto list = Body(As("county_admin", "GET",
                      "/api/dataApprovals/approvals?wf=" + kWf + "&pe=" + pe + "&ou=150624100"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "APPROVED_HERE");
  EXPECT_TRUE(list[0]["permissions"]["mayUnapprove"]);
  auto un = As("county_admin", "POST", "/api/dataApprovals/unapprovals",
               json{{"wf", {kWf}}, {"pe", {pe}}, {"approvals", {{{"ou", "150624100"}}}}}.dump());
  EXPECT_EQ(un.status, 200) << un.body;
  EXPECT_EQ(State("county_admin", pe, "150624100"), "UNAPPROVED_READY");
}

// One table: every write path × every kind of lock → 409 naming the lock, nothing changed.
TEST(ApprovalTest, EveryWritePathRespectsEveryLock) {
  // A data set of its own with a data input period that closed in 2022.
  auto meta = PostJson("/api/metadata", R"({
    "dataElements":[{"code":"LOCK_TEST_DE","name":"锁定测试人数","shortName":"锁定测试",
      "valueType":"INTEGER_ZERO_OR_POSITIVE","aggregationType":"SUM","domainType":"AGGREGATE"}],
    "dataSets":[{"code":"DS_LOCK_TEST","name":"锁定测试月报","periodType":"Monthly",
      "dataSetElements":[{"dataElement":{"code":"LOCK_TEST_DE"}}],
      "organisationUnits":[{"code":"150624100H01"}],
      "dataInputPeriods":[{"period":{"id":"202201"},"openingDate":"2022-02-01","closingDate":"2022-02-15"}]}]})");
  ASSERT_EQ(meta.status, 200) << meta.body;
  // An approved month of the township.
  const std::string pe = "202204";
  ASSERT_EQ(Complete("root", "POST", "150624100H01", pe), 200);
  ASSERT_EQ(Approve("county_admin", "POST", pe, "150624100"), 204);

  struct Lock {
    const char* kind;
    const char* ds;
    const char* de;
    const char* pe;
    const char* word;  // in the message
    bool completion;   // does the lock cover 标记完成 too
    const char* code;  // DHIS2's conflict code in a data value set's summary (nullptr: none)
  };
  const Lock locks[] = {
      {"approval", "DS_TOWNSHIP_MONTHLY", "PS_DONE", "202204", "审核", true, "E7642"},
      {"closed", "DS_LOCK_TEST", "LOCK_TEST_DE", "202201", "2022-02-15", true, "E7643"},
      {"not open", "DS_LOCK_TEST", "LOCK_TEST_DE", "202202", "填报", true, "E7643"},
      {"assigned", "DS_TOWNSHIP_TARGETS", "TC_TARGET", "2022", "旗/区级", false, nullptr},
  };
  const std::string ou = "150624100H01";
  for (const auto& l : locks) {
    SCOPED_TRACE(l.kind);
    const std::string key = std::string("de=") + l.de + "&pe=" + l.pe + "&ou=" + ou;
    auto before = Get("/api/dataValues?" + key);
    const std::string json_body =
        json{{"dataElement", l.de}, {"period", l.pe}, {"orgUnit", ou}, {"value", "77"}}.dump();
    const std::string set_json =
        json{{"dataValues",
              {{{"dataElement", l.de}, {"period", l.pe}, {"orgUnit", ou}, {"value", "77"}}}}}
            .dump();
    const std::string csv =
        std::string("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n") + l.de + "," +
        l.pe + "," + ou + ",,,77\n";
    auto start = Body(Get(std::string("/api/dataEntry/form?dataSet=") + l.ds + "&orgUnit=" + ou +
                          "&period=" + l.pe))["period"]["startDate"]
                     .get<std::string>();
    const std::string adx = std::string(R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet=")") +
                            l.ds + R"(" orgUnit=")" + ou + R"(" period=")" + start +
                            (std::string(l.pe).size() == 4 ? "/P1Y" : "/P1M") +
                            R"("><dataValue dataElement=")" + l.de +
                            R"(" value="77"/></group></adx>)";
    struct Path {
      const char* name;
      HttpReply reply;
    };
    std::vector<Path> paths = {
        {"form cell (POST /api/dataValues JSON)",
         As("clerk_in", "POST", "/api/dataValues", json_body)},
        {"POST /api/dataValues query",
         As("clerk_in", "POST", "/api/dataValues?" + key + "&value=77")},
        {"DELETE /api/dataValues", As("clerk_in", "DELETE", "/api/dataValues?" + key)},
        {"dataValueSets JSON", AsTyped("clerk_in", "POST", "/api/dataValueSets?idScheme=code",
                                       set_json, "application/json")},
        {"dataValueSets CSV",
         AsTyped("clerk_in", "POST", "/api/dataValueSets?idScheme=code", csv, "application/csv")},
        {"dataValueSets ADX",
         AsTyped("clerk_in", "POST", "/api/dataValueSets", adx, "application/adx+xml")},
    };
    if (l.completion) {
      paths.push_back({"标记完成", As("clerk_in", "POST",
                                      std::string("/api/dataEntry/complete?dataSet=") + l.ds +
                                          "&orgUnit=" + ou + "&period=" + l.pe)});
      paths.push_back({"取消完成", As("clerk_in", "DELETE",
                                      std::string("/api/dataEntry/complete?dataSet=") + l.ds +
                                          "&orgUnit=" + ou + "&period=" + l.pe)});
    }
    for (const auto& p : paths) {
      SCOPED_TRACE(p.name);
      EXPECT_EQ(p.reply.status, 409) << p.reply.body;
      EXPECT_NE(p.reply.body.find(l.word), std::string::npos) << p.reply.body;
      // A data value set's conflict carries DHIS2's code for the lock (E7642 approved, E7643
      // outside the data input periods), as DHIS2's summary does.
      if (l.code && std::string(p.name).rfind("dataValueSets", 0) == 0) {
        EXPECT_EQ(Body(p.reply)["response"]["conflicts"][0]["errorCode"], l.code) << p.reply.body;
      }
    }
    auto after = Get("/api/dataValues?" + key);
    EXPECT_EQ(after.status, before.status);
    EXPECT_EQ(after.status == 200 ? Body(after)["value"] : json(),
              before.status == 200 ? Body(before)["value"] : json());
  }
  // The import conflict names the row.
  auto imp = AsTyped("clerk_in", "POST", "/api/dataValueSets?idScheme=code",
                     "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
                     "PS_DONE,202204,150624100H01,,,5\n",
                     "application/csv");
  ASSERT_EQ(imp.status, 409);
  EXPECT_EQ(Body(imp)["response"]["conflicts"][0]["indexes"][0], 0);
  EXPECT_EQ(Body(imp)["response"]["conflicts"][0]["errorCode"],
            "E7642");  // DHIS2: data already approved

  // The form says so before the clerk types.
  auto closed =
      Body(As("clerk_in", "GET",
              "/api/dataEntry/form?dataSet=DS_LOCK_TEST&orgUnit=" + ou + "&period=202201"));
  EXPECT_FALSE(closed["inputPeriod"]["open"]);
  EXPECT_EQ(closed["inputPeriod"]["openingDate"], "2022-02-01");
  EXPECT_EQ(closed["inputPeriod"]["closingDate"], "2022-02-15");
  auto approved =
      Body(As("clerk_in", "GET",
              "/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + ou + "&period=" + pe));
  EXPECT_EQ(approved["approval"]["state"], "APPROVED");
  EXPECT_EQ(approved["locked"]["kind"], "approval");
  auto targets =
      Body(As("clerk_in", "GET",
              "/api/dataEntry/form?dataSet=DS_TOWNSHIP_TARGETS&orgUnit=" + ou + "&period=2022"));
  for (const auto& e : targets["dataElements"]) {
    if (e["code"] == "TC_TARGET") {
      EXPECT_TRUE(e.value("readOnly", false));
    }
  }
  // The county sets the township's target.
  EXPECT_EQ(
      As("county_admin", "POST", "/api/dataValues?de=TC_TARGET&pe=2022&ou=" + ou + "&value=900")
              .status /
          100,
      2);

  // A lock exception opens the closed period for this unit, audited; DELETE closes it again.
  EXPECT_EQ(
      As("clerk_in", "POST", "/api/lockExceptions?ou=" + ou + "&pe=202201&ds=DS_LOCK_TEST").status,
      403);
  ASSERT_EQ(
      As("county_admin", "POST", "/api/lockExceptions?ou=" + ou + "&pe=202201&ds=DS_LOCK_TEST")
          .status,
      201);
  auto list = Body(As("county_admin", "GET", "/api/lockExceptions"))["lockExceptions"];
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.back()["period"]["id"], "202201");
  EXPECT_EQ(
      As("clerk_in", "POST", "/api/dataValues?de=LOCK_TEST_DE&pe=202201&ou=" + ou + "&value=3")
              .status /
          100,
      2);
  ASSERT_EQ(
      As("county_admin", "DELETE", "/api/lockExceptions?ou=" + ou + "&pe=202201&ds=DS_LOCK_TEST")
          .status,
      204);
  EXPECT_EQ(
      As("clerk_in", "POST", "/api/dataValues?de=LOCK_TEST_DE&pe=202201&ou=" + ou + "&value=4")
          .status,
      409);
  EXPECT_FALSE(Body(Get("/api/audits?type=LOCK_EXCEPTION"))["audits"].empty());
  // Unapproving re-opens the approved month.
  ASSERT_EQ(Approve("county_admin", "DELETE", pe, "150624100"), 204);
  EXPECT_EQ(
      As("clerk_in", "POST", "/api/dataValues?de=PS_DONE&pe=" + pe + "&ou=" + ou + "&value=12")
              .status /
          100,
      2);
}

TEST(ApprovalTest, DemoShowsEveryStateInTheGridAndTheClerksHome) {
  auto r = As("county_admin", "GET", "/api/approvalGrid?ds=DS_TOWNSHIP_MONTHLY&ou=150624&pe=2025");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = Body(r);
  EXPECT_EQ(g["periods"].size(), 12u);
  EXPECT_GE(g["rows"].size(), 6u);
  EXPECT_GT(g["counts"]["已审核"], 0);
  // The last months of the demo: submitted (on time or late), returned, not yet reported.
  auto recent = Body(As("city_admin_t", "GET",
                        "/api/approvalGrid?ds=DS_TOWNSHIP_MONTHLY&ou=1506&pe=202501..202912"));
  std::set<std::string> states;
  for (const auto& row : recent["rows"])
    for (const auto& c : row["cells"]) states.insert(c["state"]);
  for (const char* s : {"未报", "迟报", "已报待审", "已审核", "已退回"})
    EXPECT_TRUE(states.count(s)) << s;
  EXPECT_EQ(
      As("clerk_sibling", "GET", "/api/approvalGrid?ds=DS_TOWNSHIP_MONTHLY&ou=1506&pe=2025").status,
      403);
  // 提醒未报单位 reaches the clerks of units that have not reported.
  auto remind = As("county_admin", "POST", "/api/approvalGrid/remind",
                   json{{"ds", "DS_TOWNSHIP_MONTHLY"}, {"ou", "150624"}, {"pe", "202206"}}.dump());
  ASSERT_EQ(remind.status, 200) << remind.body;
  EXPECT_GT(Body(remind)["missingUnits"], 0);
  bool reminded = false;
  const json inbox = Body(As("clerk_in", "GET", "/api/messageConversations"));
  for (const auto& m : inbox["messageConversations"])
    if (m["subject"].get<std::string>().find("202206") != std::string::npos) reminded = true;
  EXPECT_TRUE(reminded);
  // 本月待填 for a clerk.
  auto due = As("clerk_in", "GET", "/api/dataEntry/due");
  ASSERT_EQ(due.status, 200) << due.body;
  EXPECT_FALSE(Body(due)["forms"].empty());
}

}  // namespace
}  // namespace weijian::http
