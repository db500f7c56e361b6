// DHIS2's tracker API and the 接种卡 register over HTTP (issue 17, item 8), as a county's script
// and a township clerk would use them: atomicMode ALL against OBJECT with one bad record, the
// import strategies, scope (an error report, never a write), masking of the export by role, the
// schedule's refusals as error reports naming the field, and the CSV register's dry run.
#include <set>
#include <tuple>

#include "core/uid.h"
#include "http/server_env.h"
#include "tracker/exchange.h"

namespace weijian::http {
namespace {

using tracker::TrackerField;
using tracker::TrackerFieldOf;

json Attr(TrackerField f, const std::string& value) {
  return {{"attribute", TrackerFieldOf(f).uid}, {"value", value}};
}

// A child of 乌兰镇's 卫生院 (150624100H01) born 2023-03-10 with a HepB dose at birth, as DHIS2
// sends it.
json ChildTe(const std::string& uid, const std::string& name, const std::string& phone) {
  json event = {{"event", RandomUid()},
                {"programStage", tracker::DoseStageUid()},
                {"orgUnit", "150624100"},
                {"status", "COMPLETED"},
                {"occurredAt", "2023-03-10T00:00:00.000"},
                {"dataValues",
                 {{{"dataElement", TrackerFieldOf(TrackerField::kVaccine).uid}, {"value", "HepB"}},
                  {{"dataElement", TrackerFieldOf(TrackerField::kLot).uid}, {"value", "L2023"}}}}};
  return {{"trackedEntity", uid},
          {"trackedEntityType", tracker::ChildEntityTypeUid()},
          {"orgUnit", "150624100H01"},
          {"attributes",
           {Attr(TrackerField::kName, name), Attr(TrackerField::kSex, "F"),
            Attr(TrackerField::kBirthDate, "2023-03-10"),
            Attr(TrackerField::kGuardianName, "王秀兰"), Attr(TrackerField::kGuardianPhone, phone),
            Attr(TrackerField::kAddress, "乌兰镇某嘎查 9 号")}},
          {"enrollments",
           {{{"enrollment", RandomUid()},
             {"program", tracker::ImmunizationProgramUid()},
             {"orgUnit", "150624100H01"},
             {"enrolledAt", "2023-03-12T00:00:00.000"},
             {"events", {event}}}}}};
}

json Payload(std::initializer_list<json> tes) {
  json list = json::array();
  for (const auto& te : tes) list.push_back(te);
  return {{"trackedEntities", list}};
}

HttpReply Import(const std::string& user, const std::string& params, const json& payload) {
  return As(user, "POST", "/api/tracker" + params, payload.dump());
}

bool Exists(const std::string& uid) {
  return As("root", "GET", "/api/immunization/children/" + uid).status == 200;
}

// The first error report, or null.
json FirstError(const json& report) {
  const json& e = report["validationReport"]["errorReports"];
  return e.empty() ? json() : e[0];
}

TEST(TrackerExchange, AtomicAllKeepsNothingAndObjectKeepsTheGoodRecords) {
  const std::string good = RandomUid(), bad = RandomUid();
  json bad_te = ChildTe(bad, "坏档案", "13904771002");
  bad_te["attributes"].push_back(Attr(TrackerField::kIdNumber, "150624202303100021"));  // check
  const json payload = Payload({ChildTe(good, "好档案", "13904771001"), bad_te});

  auto r = Import("clerk_in", "", payload);  // atomicMode=ALL by default
  EXPECT_EQ(r.status, 409) << r.body;
  json report = Body(r);
  EXPECT_EQ(report["status"], "ERROR");
  EXPECT_EQ(report["stats"]["created"], 0);
  EXPECT_EQ(report["stats"]["ignored"], 6) << report.dump(1);  // 2 children, 2 enrollments, 2 doses
  const json e = FirstError(report);
  EXPECT_EQ(e["errorCode"], "E1007") << report.dump(1);
  EXPECT_EQ(e["trackerType"], "TRACKED_ENTITY");
  EXPECT_EQ(e["uid"], bad);
  EXPECT_EQ(e["field"], "idNumber");
  EXPECT_EQ(e["attribute"], TrackerFieldOf(TrackerField::kIdNumber).uid);
  EXPECT_NE(e["message"].get<std::string>().find("校验位"), std::string::npos) << e.dump();
  EXPECT_FALSE(Exists(good));
  EXPECT_FALSE(Exists(bad));

  r = Import("clerk_in", "?atomicMode=OBJECT", payload);
  report = Body(r);
  EXPECT_EQ(report["status"], "ERROR");
  EXPECT_EQ(report["bundleReport"]["typeReportMap"]["TRACKED_ENTITY"]["stats"]["created"], 1);
  EXPECT_EQ(report["bundleReport"]["typeReportMap"]["EVENT"]["stats"]["created"], 1);
  EXPECT_EQ(report["stats"]["ignored"], 3) << report.dump(1);  // the bad child and its children
  EXPECT_TRUE(Exists(good));
  EXPECT_FALSE(Exists(bad));
  auto child = Body(As("clerk_in", "GET", "/api/immunization/children/" + good));
  ASSERT_EQ(child["doses"].size(), 1u);
  EXPECT_EQ(child["doses"][0]["vaccine"], "HepB");
}

// The body is read by simdjson (tracker::TrackerPayload); what simdjson refuses, or a key given
// twice, goes to the JSON parser that names the fault, as before: nothing is written.
TEST(TrackerExchange, ABadBodyIsRefusedNamingTheFault) {
  const std::string uid = RandomUid();
  std::string twice = Payload({ChildTe(uid, "重复键", "13904771009")}).dump();
  const std::size_t at = twice.find("\"orgUnit\":");  // the event's (keys are sorted)
  ASSERT_NE(at, std::string::npos);
  twice.insert(at, "\"orgUnit\":\"150624101\",");
  auto r = As("clerk_in", "POST", "/api/tracker", twice);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("trackedEntities[0].enrollments[0].events[0].orgUnit"), std::string::npos)
      << r.body;
  EXPECT_FALSE(Exists(uid));
  r = As("clerk_in", "POST", "/api/tracker", R"({"trackedEntities": [)");
  EXPECT_EQ(r.status, 400) << r.body;
  r = As("clerk_in", "POST", "/api/tracker", R"({"trackedEntities": [], "x": 1e999})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("x"), std::string::npos) << r.body;
  r = As("clerk_in", "POST", "/api/tracker", std::string(100, '[') + std::string(100, ']'));
  EXPECT_EQ(r.status, 400) << r.body;
  r = As("clerk_in", "POST", "/api/tracker", "");
  EXPECT_EQ(r.status, 400) << r.body;
  // Accepted by both parsers: a big integer simdjson refuses is read by nlohmann, as before.
  r = As("clerk_in", "POST", "/api/tracker",
         R"({"trackedEntities": [], "x": 123456789012345678901234567890})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(TrackerExchange, StrategiesCreateUpdateAndDelete) {
  const std::string uid = RandomUid();
  json te = ChildTe(uid, "策略", "13904771010");
  ASSERT_EQ(Import("clerk_in", "?importStrategy=CREATE", Payload({te})).status, 200);
  // CREATE of a uid on record: E1002, nothing written.
  auto r = Import("clerk_in", "?importStrategy=CREATE", Payload({te}));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(FirstError(Body(r))["errorCode"], "E1002") << r.body;
  // UPDATE of a uid not on record: E1063.
  r = Import("clerk_in", "?importStrategy=UPDATE",
             Payload({ChildTe(RandomUid(), "无", "13904771011")}));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(FirstError(Body(r))["errorCode"], "E1063") << r.body;
  // UPDATE changes only the attributes sent.
  json update = {{"trackedEntity", uid},
                 {"trackedEntityType", tracker::ChildEntityTypeUid()},
                 {"attributes", {Attr(TrackerField::kName, "策略改名")}}};
  r = Import("clerk_in", "?importStrategy=UPDATE", Payload({update}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["stats"]["updated"], 1);
  auto child = Body(As("clerk_in", "GET", "/api/immunization/children/" + uid));
  EXPECT_EQ(child["name"], "策略改名");
  EXPECT_EQ(child["guardians"][0]["phone"], "13904771010");
  // A dry run of a delete keeps the record; the delete removes it with its doses.
  const json del = Payload({{{"trackedEntity", uid}}});
  r = Import("clerk_in", "?importStrategy=DELETE&dryRun=true", del);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["stats"]["deleted"], 1);
  EXPECT_TRUE(Exists(uid));
  // Another township's clerk cannot delete it: not found for him.
  r = As("clerk_sibling", "POST", "/api/tracker?importStrategy=DELETE", del.dump());
  EXPECT_EQ(FirstError(Body(r))["errorCode"], "E1063") << r.body;
  EXPECT_TRUE(Exists(uid));
  r = Import("clerk_in", "?importStrategy=DELETE", del);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["stats"]["deleted"], 1);
  EXPECT_FALSE(Exists(uid));
  // Deleting it again: E1063.
  EXPECT_EQ(FirstError(Body(Import("clerk_in", "?importStrategy=DELETE", del)))["errorCode"],
            "E1063");
  // Bad parameters name themselves.
  r = Import("clerk_in", "?importStrategy=MERGE", del);
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("importStrategy"), std::string::npos);
}

// DHIS2 reads enum parameters case-insensitively (its doc's own importStrategy=delete);
// reportMode is checked and shapes the report; an idScheme weijian does not read is refused.
TEST(TrackerExchange, ImportParametersAreCaseInsensitiveAndChecked) {
  const std::string uid = RandomUid();
  json te = ChildTe(uid, "参数", "13904771070");
  json early = te["enrollments"][0]["events"][0];  // a second HepB ten days later: a warning
  early["event"] = RandomUid();
  early["occurredAt"] = "2023-03-20T00:00:00.000";
  te["enrollments"][0]["events"].push_back(early);
  auto r = Import("clerk_in", "?importMode=validate&reportMode=errors", Payload({te}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Body(r)["dryRun"].get<bool>());
  EXPECT_EQ(Body(r)["validationReport"]["warningReports"].size(), 0u) << r.body;
  r = Import("clerk_in", "?importMode=Validate&reportMode=WARNINGS", Payload({te}));
  EXPECT_EQ(Body(r)["validationReport"]["warningReports"].size(), 1u) << r.body;
  r = Import("clerk_in", "?dryRun=true&reportMode=full", Payload({te}));
  EXPECT_TRUE(Body(r).contains("timingsStats")) << r.body;
  EXPECT_EQ(Body(r)["validationReport"]["warningReports"].size(), 1u) << r.body;
  r = Import("clerk_in", "?reportMode=SOME", Payload({te}));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("reportMode"), std::string::npos) << r.body;
  r = Import("clerk_in", "?idScheme=FOO", Payload({te}));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("idScheme"), std::string::npos) << r.body;
  EXPECT_EQ(Import("clerk_in", "?orgUnitIdScheme=NAME", Payload({te})).status, 409);
  EXPECT_FALSE(Exists(uid));
  // CODE is read as the importer reads every reference (a uid or a code): accepted, as a dry run.
  r = Import("clerk_in", "?idScheme=code&importMode=VALIDATE", Payload({te}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Exists(uid));
  ASSERT_EQ(Import("clerk_in", "?importStrategy=create&atomicMode=object", Payload({te})).status,
            200);
  ASSERT_TRUE(Exists(uid));
  r = Import("clerk_in", "?importStrategy=delete", Payload({{{"trackedEntity", uid}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Exists(uid));
}

TEST(TrackerExchange, OutOfScopeIsAnErrorReportNotAWrite) {
  const std::string uid = RandomUid();
  auto r = Import("clerk_sibling", "", Payload({ChildTe(uid, "越界", "13904771020")}));
  EXPECT_EQ(r.status, 409) << r.body;
  const json e = FirstError(Body(r));
  EXPECT_EQ(e["errorCode"], "E1000") << r.body;
  EXPECT_EQ(e["uid"], uid);
  EXPECT_FALSE(Exists(uid));
  // A viewer may not import at all.
  EXPECT_EQ(Import("viewer_in", "", Payload({ChildTe(RandomUid(), "看", "13904771021")})).status,
            403);
}

// The managing unit on the DHIS2 path and in the register CSV is checked as on /api/immunization:
// a township whose 卫生院 keeps its children's records is refused naming orgUnit, a unit above the
// caller's is E1000 about orgUnit, an enrollment at another unit than the child's is E1041;
// nothing is written.
TEST(TrackerExchange, ManagingUnitIsAVaccinationUnitWithinTheCallersScope) {
  const std::string uid = RandomUid();
  json te = ChildTe(uid, "管理单位", "13904771031");
  te["orgUnit"] = "150624100";
  auto r = Import("clerk_in", "", Payload({te}));
  EXPECT_EQ(r.status, 409) << r.body;
  json e = FirstError(Body(r));
  EXPECT_EQ(e["trackerType"], "TRACKED_ENTITY") << r.body;
  EXPECT_EQ(e["field"], "orgUnit") << r.body;
  EXPECT_NE(e["message"].get<std::string>().find("乌兰镇卫生院"), std::string::npos) << r.body;
  te["orgUnit"] = "15";
  e = FirstError(Body(Import("city_admin_t", "", Payload({te}))));
  EXPECT_EQ(e["errorCode"], "E1000") << e.dump();
  EXPECT_EQ(e["field"], "orgUnit") << e.dump();
  te["orgUnit"] = "150624100H01";
  te["enrollments"][0]["orgUnit"] = "150624";
  r = Import("county_admin", "", Payload({te}));
  EXPECT_EQ(r.status, 409) << r.body;
  e = FirstError(Body(r));
  EXPECT_EQ(e["errorCode"], "E1041") << r.body;
  EXPECT_EQ(e["trackerType"], "ENROLLMENT") << r.body;
  EXPECT_EQ(e["field"], "orgUnit") << r.body;
  EXPECT_FALSE(Exists(uid));
  te["enrollments"][0]["orgUnit"] = "150624100H01";
  r = Import("clerk_in", "", Payload({te}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Exists(uid));

  // The register: the row and the column 接种单位.
  const std::string csv =
      "接种单位,姓名,性别,出生日期,监护人,监护人电话\n"
      "150624100H01,单位甲,女,2023-05-01,王兰,13904771032\n"
      "150624100,单位乙,女,2023-05-01,王兰,13904771033\n"
      "15,单位丙,女,2023-05-01,王兰,13904771034\n";
  r = AsTyped("clerk_in", "POST", "/api/immunization/import", csv, "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  const json out = Body(r);
  ASSERT_EQ(out["errors"].size(), 2u) << out.dump(1);
  EXPECT_EQ(out["errors"][0]["row"], 3);
  EXPECT_EQ(out["errors"][0]["column"], "接种单位");
  EXPECT_EQ(out["errors"][1]["row"], 4);
  EXPECT_EQ(out["errors"][1]["column"], "接种单位");
  EXPECT_EQ(Body(As("clerk_in", "GET",
                    "/api/immunization/children?name=%E5%8D%95%E4%BD%8D%E7%94%B2"
                    "&birthDate=2023-05-01"))["trackedEntities"]
                .size(),
            0u);  // 单位甲: nothing written
}

// A new birth date, typed or read from a new ID number, that would leave a recorded dose before
// birth is refused naming birthDate and the dose's date; nothing is written.
TEST(TrackerExchange, ABirthDateAfterARecordedDoseIsRefused) {
  const std::string uid = RandomUid();  // born 2023-03-10, HepB the same day
  ASSERT_EQ(Import("clerk_in", "", Payload({ChildTe(uid, "改生日", "13904771035")})).status, 200);
  auto update = [&](std::initializer_list<json> attributes) {
    return Import("clerk_in", "?importStrategy=UPDATE",
                  Payload({{{"trackedEntity", uid},
                            {"trackedEntityType", tracker::ChildEntityTypeUid()},
                            {"attributes", attributes}}}));
  };
  auto birth = [&] {
    return Body(As("clerk_in", "GET", "/api/immunization/children/" + uid))["birthDate"];
  };
  auto r = update({Attr(TrackerField::kBirthDate, "2023-03-11")});
  EXPECT_EQ(r.status, 409) << r.body;
  json e = FirstError(Body(r));
  EXPECT_EQ(e["field"], "birthDate") << r.body;
  EXPECT_EQ(e["attribute"], TrackerFieldOf(TrackerField::kBirthDate).uid) << r.body;
  EXPECT_NE(e["message"].get<std::string>().find("2023-03-10"), std::string::npos) << r.body;
  EXPECT_EQ(birth(), "2023-03-10");
  // An ID number whose birth date is after the dose, with that birth date.
  r = update({Attr(TrackerField::kBirthDate, "2023-03-12"),
              Attr(TrackerField::kIdNumber, IdNumber("15062420230312002"))});
  EXPECT_EQ(r.status, 409) << r.body;
  e = FirstError(Body(r));
  EXPECT_EQ(e["field"], "birthDate") << r.body;
  EXPECT_EQ(birth(), "2023-03-10");
  // A birth date before the dose is a correction like any other.
  r = update({Attr(TrackerField::kBirthDate, "2023-03-09")});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(birth(), "2023-03-09");
}

// A uid twice in one payload (two children, or two doses) is refused on its second object, with
// what is nested in it: imported, it replaced the first without a word (a recorded dose lost).
// Under atomicMode=ALL nothing is written; under OBJECT the first is kept whole.
TEST(TrackerExchange, AUidTwiceInOnePayloadIsRefused) {
  const std::string uid = RandomUid();
  auto r = Import(
      "clerk_in", "",
      Payload({ChildTe(uid, "重复甲", "13904771070"), ChildTe(uid, "重复乙", "13904771071")}));
  EXPECT_EQ(r.status, 409) << r.body;
  json e = FirstError(Body(r));
  EXPECT_EQ(e["errorCode"], "E1002") << r.body;
  EXPECT_EQ(e["trackerType"], "TRACKED_ENTITY");
  EXPECT_EQ(e["uid"], uid);
  EXPECT_EQ(Body(r)["stats"]["created"], 0);
  EXPECT_FALSE(Exists(uid));

  // HepB at birth and BCG the next day under one event uid.
  json te = ChildTe(uid, "重复丙", "13904771072");
  json bcg = te["enrollments"][0]["events"][0];
  bcg["occurredAt"] = "2023-03-11";
  bcg["dataValues"][0]["value"] = "BCG";
  te["enrollments"][0]["events"].push_back(bcg);
  r = Import("clerk_in", "", Payload({te}));
  EXPECT_EQ(r.status, 409) << r.body;
  e = FirstError(Body(r));
  EXPECT_EQ(e["errorCode"], "E1030") << r.body;
  EXPECT_EQ(e["trackerType"], "EVENT");
  EXPECT_EQ(e["uid"], bcg["event"]);
  EXPECT_FALSE(Exists(uid));
  r = Import("clerk_in", "?atomicMode=OBJECT", Payload({te}));
  EXPECT_EQ(Body(r)["bundleReport"]["typeReportMap"]["EVENT"]["stats"]["created"], 1) << r.body;
  const json child = Body(As("clerk_in", "GET", "/api/immunization/children/" + uid));
  ASSERT_EQ(child["doses"].size(), 1u) << child.dump();
  EXPECT_EQ(child["doses"][0]["vaccine"], "HepB");
  EXPECT_EQ(child["name"], "重复丙");
}

// Enrollments as DHIS2 checks them: a second one for a child in one payload is E1015, as across
// requests; an enrolledAt after today (E1020) or before birth (E1025) is refused; a status his
// record does not hold (CANCELLED for a child still followed, COMPLETED) is refused rather than
// reported as updated and dropped, except CANCELLED on a new child's enrollment, which closes
// him. Nothing of a refused payload is written.
TEST(TrackerExchange, EnrollmentsAreCheckedAsDhis2ChecksThem) {
  const std::string uid = RandomUid();  // born 2023-03-10, enrolled 2023-03-12
  json te = ChildTe(uid, "入组", "13904771080");
  json second = te["enrollments"][0];
  second["enrollment"] = RandomUid();
  second["enrolledAt"] = "2023-04-01";
  second["events"] = json::array();
  json twice = te;
  twice["enrollments"].push_back(second);
  auto r = Import("clerk_in", "", Payload({twice}));
  EXPECT_EQ(r.status, 409) << r.body;
  json e = FirstError(Body(r));
  EXPECT_EQ(e["errorCode"], "E1015") << r.body;
  EXPECT_EQ(e["trackerType"], "ENROLLMENT");
  EXPECT_EQ(e["uid"], second["enrollment"]);
  EXPECT_FALSE(Exists(uid));
  ASSERT_EQ(Import("clerk_in", "", Payload({te})).status, 200);

  const std::string enrollment = te["enrollments"][0]["enrollment"];
  auto update = [&](const json& fields) {
    json en = {{"enrollment", enrollment},
               {"trackedEntity", uid},
               {"program", tracker::ImmunizationProgramUid()},
               {"orgUnit", "150624100H01"}};
    en.update(fields);
    return Import("clerk_in", "?importStrategy=UPDATE", json{{"enrollments", {en}}});
  };
  auto stored = [&] {
    const json list =
        Body(As("clerk_in", "GET", "/api/tracker/enrollments?enrollments=" + enrollment));
    return list["enrollments"].empty() ? json() : list["enrollments"][0];
  };
  for (const auto& [fields, code, field] :
       {std::tuple{json{{"enrolledAt", "2999-01-01"}}, "E1020", "enrolledAt"},
        std::tuple{json{{"enrolledAt", "2023-03-09"}}, "E1025", "enrolledAt"},
        std::tuple{json{{"status", "CANCELLED"}}, "E1121", "status"},
        std::tuple{json{{"status", "COMPLETED"}}, "E1121", "status"}}) {
    r = update(fields);
    EXPECT_EQ(r.status, 409) << fields.dump() << " " << r.body;
    e = FirstError(Body(r));
    EXPECT_EQ(e["errorCode"], code) << fields.dump() << " " << r.body;
    EXPECT_EQ(e["field"], field) << fields.dump() << " " << r.body;
  }
  json kept = stored();
  EXPECT_EQ(kept["enrolledAt"], "2023-03-12T00:00:00.000") << kept.dump();
  EXPECT_EQ(kept["status"], "ACTIVE") << kept.dump();
  // What the record holds passes: the day moved, the status as it is.
  r = update({{"enrolledAt", "2023-03-15"}, {"status", "ACTIVE"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["stats"]["updated"], 1);
  EXPECT_EQ(stored()["enrolledAt"], "2023-03-15T00:00:00.000");

  // A new child whose enrollment is CANCELLED (an export's child who left the system): created
  // with his doses, then closed by a transfer out of the system, and exported as he came.
  const std::string away = RandomUid();
  json gone = ChildTe(away, "已迁出", "13904771081");
  gone["enrollments"][0]["status"] = "CANCELLED";
  r = Import("clerk_in", "", Payload({gone}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json child = Body(As("clerk_in", "GET", "/api/immunization/children/" + away));
  EXPECT_EQ(child["status"], "TRANSFERRED_OUT") << child.dump();
  EXPECT_EQ(child["doses"].size(), 1u) << child.dump();
  ASSERT_EQ(child["transfers"].size(), 1u) << child.dump();
  EXPECT_EQ(child["transfers"][0]["direction"], "OUT");
  const json exported = Body(As("clerk_in", "GET",
                                "/api/tracker/enrollments?enrollments=" +
                                    gone["enrollments"][0]["enrollment"].get<std::string>()));
  ASSERT_EQ(exported["enrollments"].size(), 1u) << exported.dump();
  EXPECT_EQ(exported["enrollments"][0]["status"], "CANCELLED");
  // The same as a flat payload: the enrollment and the event beside the child, not in him.
  const std::string flat = RandomUid();
  json flat_te = ChildTe(flat, "平铺迁出", "13904771082");
  json flat_en = flat_te["enrollments"][0];
  flat_te.erase("enrollments");
  json flat_events = flat_en["events"];
  flat_en.erase("events");
  flat_en["trackedEntity"] = flat;
  flat_en["status"] = "CANCELLED";
  for (auto& ev : flat_events) ev["enrollment"] = flat_en["enrollment"];
  r = Import("clerk_in", "",
             {{"trackedEntities", {flat_te}}, {"enrollments", {flat_en}}, {"events", flat_events}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json flat_child = Body(As("clerk_in", "GET", "/api/immunization/children/" + flat));
  EXPECT_EQ(flat_child["status"], "TRANSFERRED_OUT") << flat_child.dump();
  EXPECT_EQ(flat_child["doses"].size(), 1u) << flat_child.dump();
}

TEST(TrackerExchange, ScheduleRefusalsAreErrorReportsNamingTheField) {
  const std::string uid = RandomUid();
  json te = ChildTe(uid, "早种", "13904771030");
  // A dose the day before birth: refused, naming the date.
  te["enrollments"][0]["events"][0]["occurredAt"] = "2023-03-09";
  auto r = Import("clerk_in", "", Payload({te}));
  EXPECT_EQ(r.status, 409) << r.body;
  json e = FirstError(Body(r));
  EXPECT_EQ(e["trackerType"], "EVENT");
  EXPECT_EQ(e["field"], "date");
  EXPECT_NE(e["message"].get<std::string>().find("早于出生日期"), std::string::npos) << e.dump();
  EXPECT_FALSE(Exists(uid));
  // An unknown vaccine names the data element.
  te["enrollments"][0]["events"][0]["occurredAt"] = "2023-03-10";
  te["enrollments"][0]["events"][0]["dataValues"][0]["value"] = "XYZ";
  e = FirstError(Body(Import("clerk_in", "", Payload({te}))));
  EXPECT_EQ(e["dataElement"], TrackerFieldOf(TrackerField::kVaccine).uid) << e.dump();
  // A second HepB ten days after the first is recorded, with a warning (已种无效).
  te["enrollments"][0]["events"][0]["dataValues"][0]["value"] = "HepB";
  json early = te["enrollments"][0]["events"][0];
  early["event"] = RandomUid();
  early["occurredAt"] = "2023-03-20";
  te["enrollments"][0]["events"].push_back(early);
  r = Import("clerk_in", "", Payload({te}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json report = Body(r);
  EXPECT_EQ(report["status"], "WARNING");
  ASSERT_EQ(report["validationReport"]["warningReports"].size(), 1u) << report.dump(1);
  EXPECT_EQ(report["validationReport"]["warningReports"][0]["uid"], early["event"]);
}

TEST(TrackerExchange, ExportMaskedForAViewerUnmaskedAndAuditedForTheClerk) {
  const std::string uid = RandomUid();
  ASSERT_EQ(Import("clerk_in", "", Payload({ChildTe(uid, "乌兰图雅", "13904771040")})).status, 200);
  auto value_of = [](const json& te, TrackerField f) {
    for (const auto& a : te["attributes"])
      if (a["attribute"] == TrackerFieldOf(f).uid) return a["value"].get<std::string>();
    return std::string();
  };
  const std::string target = "/api/tracker/trackedEntities?trackedEntities=" + uid + "&fields=*";
  auto viewer = Body(As("viewer_in", "GET", target));
  ASSERT_EQ(viewer["trackedEntities"].size(), 1u) << viewer.dump();
  EXPECT_EQ(value_of(viewer["trackedEntities"][0], TrackerField::kName), "乌***");
  EXPECT_EQ(value_of(viewer["trackedEntities"][0], TrackerField::kGuardianPhone), "139****1040");
  EXPECT_EQ(value_of(viewer["trackedEntities"][0], TrackerField::kAddress), "");
  auto clerk = Body(As("clerk_in", "GET", target));
  const json& te = clerk["trackedEntities"][0];
  EXPECT_EQ(value_of(te, TrackerField::kName), "乌兰图雅");
  ASSERT_EQ(te["enrollments"][0]["events"].size(), 1u);
  EXPECT_EQ(te["enrollments"][0]["events"][0]["occurredAt"], "2023-03-10T00:00:00.000");
  // The unmasked export is in the audit trail; the masked one is not.
  int clerk_rows = 0, viewer_rows = 0;
  const json audits = Body(Get("/api/audits?type=PERSONAL_DATA&limit=10000"));
  for (const auto& a : audits["audits"]) {
    const std::string detail = a.value("detail", "");
    if (detail.find("tracker") == std::string::npos) continue;
    clerk_rows += a["user"] == "clerk_in";
    viewer_rows += a["user"] == "viewer_in";
  }
  EXPECT_GE(clerk_rows, 1);
  EXPECT_EQ(viewer_rows, 0);
  // The neighbour's clerk gets nothing; the single-record path answers 404 for him.
  EXPECT_EQ(Body(As("clerk_sibling", "GET", target))["trackedEntities"].size(), 0u);
  EXPECT_EQ(As("clerk_sibling", "GET", "/api/tracker/trackedEntities/" + uid).status, 404);
  EXPECT_EQ(As("clerk_in", "GET", "/api/tracker/trackedEntities/" + uid).status, 200);
  // Events and enrollments of the unit, and the program's metadata.
  auto events =
      Body(As("clerk_in", "GET", "/api/tracker/events?orgUnit=150624100H01&paging=false"));
  bool found = false;
  for (const auto& ev : events["events"]) found |= ev["trackedEntity"] == uid;
  EXPECT_TRUE(found);
  auto programs = Body(As("viewer_in", "GET", "/api/tracker/programs"));
  EXPECT_EQ(programs["programs"][0]["id"], tracker::ImmunizationProgramUid());
  // The coverage indicators, as DHIS2 lists program indicators, answered by analytics in dx.
  auto indicators = Body(As("viewer_in", "GET", "/api/programIndicators"));
  ASSERT_EQ(indicators["programIndicators"].size(), 4u);
  EXPECT_EQ(indicators["programIndicators"][0]["code"], "IMM_COVERAGE");
  EXPECT_EQ(indicators["programIndicators"][0]["program"]["id"], tracker::ImmunizationProgramUid());
  const std::string id = indicators["programIndicators"][1]["id"];
  auto answer = As("viewer_in", "GET",
                   "/api/analytics?dimension=dx:" + id + "&dimension=pe:2025&filter=ou:150624100");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Body(answer)["metaData"]["items"][id]["name"],
            indicators["programIndicators"][1]["name"]);
}

// The export's filters narrow what it answers; one DHIS2 defines and weijian does not apply is
// refused naming it, never ignored (which would answer every child of the unit).
TEST(TrackerExchange, ExportFiltersNarrowTheAnswerOrAreRefused) {
  const std::string a = RandomUid(), b = RandomUid();
  json te_a = ChildTe(a, "筛选甲", "13904771060");
  te_a["attributes"].push_back(Attr(TrackerField::kIdNumber, IdNumber("15062420230310006")));
  auto imported = Import("clerk_in", "", Payload({te_a, ChildTe(b, "筛选乙", "13904771061")}));
  ASSERT_EQ(imported.status, 200) << imported.body;
  auto events_of = [](const std::string& params) {
    auto r =
        As("clerk_in", "GET", "/api/tracker/events?orgUnit=150624100H01&paging=false" + params);
    EXPECT_EQ(r.status, 200) << params << r.body;
    std::set<std::string> children;
    const json body = Body(r);
    for (const auto& ev : body["events"]) children.insert(ev["trackedEntity"].get<std::string>());
    return children;
  };
  EXPECT_EQ(events_of("&trackedEntity=" + a), std::set<std::string>{a});
  EXPECT_EQ(events_of("&trackedEntity=" + a + "&occurredAfter=2023-03-11").size(), 0u);
  EXPECT_EQ(events_of("&trackedEntity=" + a + "&occurredBefore=2023-03-10T00:00:00.000").size(),
            1u);
  EXPECT_EQ(events_of("&trackedEntity=" + a + "&program=" + tracker::ImmunizationProgramUid()),
            std::set<std::string>{a});
  const std::string enrollment =
      Body(As("clerk_in", "GET",
              "/api/tracker/trackedEntities/" + a + "?fields=*"))["enrollments"][0]["enrollment"];
  EXPECT_EQ(events_of("&enrollment=" + enrollment), std::set<std::string>{a});
  EXPECT_EQ(
      As("clerk_in", "GET", "/api/tracker/events?orgUnit=150624100H01&program=NoSuchProg1").status,
      409);

  auto tes_of = [](const std::string& params) {
    auto r = As("clerk_in", "GET",
                "/api/tracker/trackedEntities?orgUnit=150624100H01&paging=false" + params);
    EXPECT_EQ(r.status, 200) << params << r.body;
    std::set<std::string> uids;
    const json body = Body(r);
    for (const auto& te : body["trackedEntities"])
      uids.insert(te["trackedEntity"].get<std::string>());
    return uids;
  };
  EXPECT_EQ(tes_of("&trackedEntities=" + a + ";" + b), (std::set<std::string>{a, b}));
  EXPECT_EQ(tes_of("&trackedEntities=" + a + "," + b), (std::set<std::string>{a, b}));
  EXPECT_EQ(tes_of("&filter=" + TrackerFieldOf(TrackerField::kIdNumber).uid +
                   ":eq:" + IdNumber("15062420230310006")),
            std::set<std::string>{a});
  EXPECT_EQ(tes_of("&trackedEntities=" + a + "&updatedAfter=2999-01-01").size(), 0u);
  EXPECT_EQ(tes_of("&trackedEntities=" + a + "&updatedBefore=2000-01-01").size(), 0u);
  // A name is sealed: filtering on it is refused, not answered with everyone.
  auto by_name = As("clerk_in", "GET",
                    "/api/tracker/trackedEntities?orgUnit=150624100H01&filter=" +
                        TrackerFieldOf(TrackerField::kName).uid + ":eq:筛选甲");
  EXPECT_EQ(by_name.status, 409) << by_name.body;
  auto unsupported =
      As("clerk_in", "GET", "/api/tracker/events?orgUnit=150624100H01&status=ACTIVE");
  EXPECT_EQ(unsupported.status, 409);
  EXPECT_NE(unsupported.body.find("暂不支持参数 status"), std::string::npos) << unsupported.body;
  // `order` filters nothing: answered (in the records' own order).
  EXPECT_EQ(
      As("clerk_in", "GET", "/api/tracker/trackedEntities?orgUnit=150624100H01&order=createdAt")
          .status,
      200);
}

TEST(TrackerExchange, RegisterCsvDryRunWritesNothingAndNamesRowsAndColumns) {
  const std::string csv =
      "接种单位,姓名,性别,出生日期,身份证号,监护人,监护人电话,疫苗,接种日期,批号\n"
      "150624100H01,登记甲,女,2023-05-01,,王兰,13904771050,HepB,2023-05-01,L1\n"
      "150624100H01,登记甲,女,2023-05-01,,王兰,13904771050,BCG,2023/5/2,\n"
      "150624100H01,登记乙,男,2023-02-30,,王兰,13904771051,HepB,2023-03-01,\n"
      "150624100H01,登记丙,男,2023-04-01,150624202304019999,王兰,13904771052,,,\n"
      "150624100H01,登记丁,男,2023-04-01,,王兰,13904771053,HepB,2023-03-20,\n";
  auto r = AsTyped("clerk_in", "POST", "/api/immunization/import?dryRun=true", csv, "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  json out = Body(r);
  ASSERT_EQ(out["errors"].size(), 3u) << out.dump(1);
  EXPECT_EQ(out["errors"][0]["row"], 4);
  EXPECT_EQ(out["errors"][0]["column"], "出生日期");
  EXPECT_EQ(out["errors"][1]["row"], 5);
  EXPECT_EQ(out["errors"][1]["column"], "身份证号");
  EXPECT_EQ(out["errors"][2]["row"], 6);
  EXPECT_EQ(out["errors"][2]["column"], "接种日期");
  EXPECT_NE(out["errors"][2]["text"].get<std::string>().find("第 6 行"), std::string::npos);
  auto found = Body(As("clerk_in", "GET",
                       "/api/immunization/children?name=%E7%99%BB%E8%AE%B0%E7%94%B2"
                       "&birthDate=2023-05-01"));  // 登记甲
  EXPECT_EQ(found["trackedEntities"].size(), 0u);

  // The good rows alone: the dry run passes and still writes nothing; then the import.
  const std::string good = csv.substr(0, csv.find("150624100H01,登记乙"));
  r = AsTyped("clerk_in", "POST", "/api/immunization/import?dryRun=true", good, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["doses"]["created"], 2);
  EXPECT_EQ(Body(As("clerk_in", "GET",
                    "/api/immunization/children?name=%E7%99%BB%E8%AE%B0%E7%94%B2"
                    "&birthDate=2023-05-01"))["trackedEntities"]
                .size(),
            0u);
  r = AsTyped("clerk_in", "POST", "/api/immunization/import", good, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  found = Body(As("clerk_in", "GET",
                  "/api/immunization/children?name=%E7%99%BB%E8%AE%B0%E7%94%B2"
                  "&birthDate=2023-05-01"));
  ASSERT_EQ(found["trackedEntities"].size(), 1u);
  // The same register again adds nothing: the child is found, his doses are on record.
  r = AsTyped("clerk_in", "POST", "/api/immunization/import", good, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["children"]["created"], 0);
  EXPECT_EQ(Body(r)["doses"]["created"], 0);
  // A header it does not know is refused, naming the column.
  r = AsTyped("clerk_in", "POST", "/api/immunization/import", "接种单位,名字\n1,2\n", "text/csv");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("名字"), std::string::npos) << r.body;
}

// A register saved by Excel as plain CSV (GBK) is refused whole, naming the first row and column
// that is not UTF-8, whatever column it is in; nothing is written.
TEST(TrackerExchange, RegisterCsvNotInUtf8IsRefusedWhole) {
  const std::string header =
      "接种单位,姓名,性别,出生日期,监护人,监护人电话,疫苗,接种日期,批号,生产企业\n";
  const std::string good =
      "150624100H01,编码甲,女,2023-05-01,王兰,13904771060,HepB,2023-05-01,L1,\n";
  const std::string gbk_maker =  // 生产企业 北京 in GBK
      "150624100H01,编码甲,女,2023-05-01,王兰,13904771060,BCG,2023-05-02,L2,\xB1\xB1\xBE\xA9\n";
  const std::string gbk_name =  // 姓名 王兰 in GBK
      "150624100H01,\xCD\xF5\xC0\xBC,女,2023-05-01,王兰,13904771061,HepB,2023-05-01,L1,\n";
  auto found = [] {
    return Body(As("clerk_in", "GET",
                   "/api/immunization/children?name=%E7%BC%96%E7%A0%81%E7%94%B2"
                   "&birthDate=2023-05-01"))["trackedEntities"]
        .size();  // 编码甲
  };
  auto r = AsTyped("clerk_in", "POST", "/api/immunization/import", header + good + gbk_maker,
                   "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Body(r)["field"], "file") << r.body;
  const std::string message = Body(r)["message"];
  EXPECT_NE(message.find("不是 UTF-8"), std::string::npos) << message;
  EXPECT_NE(message.find("第 3 行“生产企业”"), std::string::npos) << message;
  EXPECT_EQ(found(), 0u);
  r = AsTyped("clerk_in", "POST", "/api/immunization/import", header + gbk_name + good, "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(Body(r)["message"].get<std::string>().find("第 2 行“姓名”"), std::string::npos)
      << r.body;
  EXPECT_EQ(found(), 0u);
}

// Rows of one child (the same 身份证号) that disagree on his name, birth date or guardian's phone:
// each difference is an error naming the row and the column (与第 2 行不一致), and nothing is
// written. Rows that repeat him, in another spelling or with his columns left empty, are his.
TEST(TrackerExchange, RegisterCsvRowsOfOneChildMustAgree) {
  const std::string id = IdNumber("15062420230601002");  // born 2023-06-01, a girl
  const std::string header =
      "接种单位,姓名,性别,出生日期,身份证号,监护人,监护人电话,疫苗,接种日期\n";
  const std::string first =
      "150624100H01,一致甲,女,2023-06-01," + id + ",王兰,13904771090,HepB,2023-06-01\n";
  auto r = AsTyped("clerk_in", "POST", "/api/immunization/import",
                   header + first + "150624100H01,一致乙,女,2023/6/2," + id +
                       ",王兰,13904771091,BCG,2023-06-02\n",
                   "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  const json out = Body(r);
  ASSERT_EQ(out["errors"].size(), 3u) << out.dump(1);
  const char* columns[] = {"姓名", "出生日期", "监护人电话"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out["errors"][i]["row"], 3) << out.dump(1);
    EXPECT_EQ(out["errors"][i]["column"], columns[i]) << out.dump(1);
    EXPECT_NE(out["errors"][i]["text"].get<std::string>().find("与第 2 行不一致"),
              std::string::npos)
        << out.dump(1);
  }
  auto found = [&] {
    return Body(As("clerk_in", "GET",
                   "/api/immunization/children?idNumber=" + id))["trackedEntities"]
        .size();
  };
  EXPECT_EQ(found(), 0u);

  r = AsTyped("clerk_in", "POST", "/api/immunization/import",
              header + first + "150624100H01,一致甲,F,2023/6/1," + id +
                  ",王兰,13904771090,BCG,2023-06-02\n" + "150624100H01,,,," + id +
                  ",,,IPV,2023-08-01\n",
              "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["doses"]["created"], 3) << r.body;
  EXPECT_EQ(found(), 1u);
}

}  // namespace
}  // namespace weijian::http
