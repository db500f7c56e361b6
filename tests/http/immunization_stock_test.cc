// The rest of a 接种单位's day over HTTP (issue 17): holds (禁忌/暂缓) in the forecast and the due
// lists, AEFI reports linked to a dose, vaccine stock by lot (入库/出库/报损, balances, expiry
// alerts, what the due lists will need) with each recorded dose taking one from its lot in the
// same transaction, the 预防接种证 and the 预约通知单 (JSON masked per role, and PDF), and
// 入托入学查验 of a class list. Bad input is a 409 naming the field, and nothing is half-written.
// Every date is spelled out.
//
// Stock is kept here at the village 150624100004 (a 村卫生室 that vaccinates) and, after a 出库,
// at 棋盘井镇 (150624101): the other suites record doses at 乌兰镇卫生院, which keeps no stock,
// so they are not touched by these lots.
#include <set>
#include <tuple>

#include "http/server_env.h"

namespace weijian::http {
namespace {

constexpr const char* kVillage = "150624100004";

json StockChild(const std::string& name, const std::string& birth) {
  return {{"orgUnit", "150624100H01"},
          {"name", name},
          {"sex", "女"},
          {"birthDate", birth},
          {"village", kVillage},
          {"guardians", {{{"name", "萨仁"}, {"relation", "母亲"}, {"phone", "13947712345"}}}}};
}

std::string RegisterChild(const json& child) {
  auto r = As("clerk_in", "POST", "/api/immunization/children", child.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return Body(r).value("trackedEntity", "");
}

HttpReply PostDose(const std::string& te, const std::string& vaccine, const std::string& date,
                   json extra = json::object()) {
  extra["trackedEntity"] = te;
  extra["vaccine"] = vaccine;
  extra["date"] = date;
  return As("clerk_in", "POST", "/api/immunization/doses", extra.dump());
}

// "HepB/2:DEFERRED,Polio/1:CONTRAINDICATED" for the rows of a forecast (or a due row's doses)
// whose state is in `states` (all when empty).
std::string Rows(const json& rows, const std::set<std::string>& states = {}) {
  std::string out;
  for (const auto& d : rows) {
    if (!states.empty() && !states.count(d["state"].get<std::string>())) continue;
    if (!out.empty()) out += ",";
    out += d["series"].get<std::string>() + "/" + std::to_string(d["dose"].get<int>()) + ":" +
           d["state"].get<std::string>();
  }
  return out;
}

json DueRow(const json& list, const std::string& te) {
  for (const auto& c : list["children"])
    if (c["trackedEntity"] == te) return c;
  return nullptr;
}

// Expects a 409 naming `field` (the error body carries the field's name in quotes).
void Expect409(const HttpReply& r, const std::string& field, const std::string& what) {
  EXPECT_EQ(r.status, 409) << what << ": " << r.body;
  EXPECT_NE(r.body.find("\"" + field + "\""), std::string::npos) << what << ": " << r.body;
}

int CountAudits(const std::string& type, const std::string& user, const std::string& prefix) {
  int n = 0;
  const json audits = Body(Get("/api/audits?type=" + type));
  for (const auto& a : audits["audits"])
    n += a["user"] == user && a["object"].get<std::string>().rfind(prefix, 0) == 0;
  return n;
}

TEST(ImmunizationHolds, ContraindicationAndDeferralInForecastAndDueLists) {
  // 娜仁 (born 2024-01-10) had HepB 1 and BCG at birth; on 2024-03-15 HepB 2 and IPV 1 are due.
  const std::string te = RegisterChild(StockChild("娜仁", "2024-01-10"));
  ASSERT_EQ(PostDose(te, "HepB", "2024-01-10").status, 201);
  ASSERT_EQ(PostDose(te, "BCG", "2024-01-10").status, 201);
  const std::string holds = "/api/immunization/children/" + te + "/holds";

  // Bad input, each a 409 naming the field; none of them is written.
  struct Bad {
    json body;
    const char* field;
  };
  const Bad bad[] = {
      {{{"vaccine", "XYZ"}, {"kind", "DEFERRAL"}, {"until", "2024-03-20"}, {"reason", "发热"}},
       "vaccine"},
      {{{"kind", "DEFERRAL"}, {"until", "2024-03-20"}, {"reason", "发热"}}, "vaccine"},
      {{{"vaccine", "HepB"}, {"kind", "以后再说"}, {"reason", "发热"}}, "kind"},
      {{{"vaccine", "HepB"}, {"kind", "暂缓"}, {"from", "2024-03-01"}, {"reason", "发热"}},
       "until"},
      {{{"vaccine", "HepB"},
        {"kind", "DEFERRAL"},
        {"from", "2024-03-01"},
        {"until", "2024-02-28"},
        {"reason", "发热"}},
       "until"},
      {{{"vaccine", "HepB"},
        {"kind", "DEFERRAL"},
        {"from", "2024-03-01"},
        {"until", "2025-03-02"},
        {"reason", "发热"}},
       "until"},
      {{{"vaccine", "HepB"}, {"kind", "DEFERRAL"}, {"from", "2024-03-01"}, {"until", "2024-03-20"}},
       "reason"},
      {{{"vaccine", "HepB"},
        {"kind", "DEFERRAL"},
        {"from", "2024-02-30"},
        {"until", "2024-03-20"},
        {"reason", "发热"}},
       "from"},
      {{{"vaccine", "HepB"},
        {"kind", "DEFERRAL"},
        {"from", "2024-01-09"},
        {"until", "2024-03-20"},
        {"reason", "发热"}},
       "from"},
      {{{"vaccine", "HepB"}, {"kind", 3}, {"reason", "发热"}}, "kind"},
  };
  for (const auto& b : bad)
    Expect409(As("clerk_in", "POST", holds, b.body.dump()), b.field, b.body.dump());
  EXPECT_EQ(Body(As("clerk_in", "GET", "/api/immunization/children/" + te))["holds"].size(), 0u);

  // Scope: a viewer may not write; the next township cannot see the child.
  const json deferral = {{"vaccine", "HepB"},
                         {"kind", "暂缓"},
                         {"from", "2024-03-01"},
                         {"until", "2024-03-20"},
                         {"reason", "发热 38.5℃"}};
  EXPECT_EQ(As("viewer_in", "POST", holds, deferral.dump()).status, 403);
  EXPECT_EQ(As("clerk_sibling", "POST", holds, deferral.dump()).status, 404);

  // 暂缓 HepB to 2024-03-20; 禁忌 IPV from 2024-03-01, open-ended.
  auto r = As("clerk_in", "POST", holds, deferral.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["kind"], "DEFERRAL");
  EXPECT_EQ(Body(r)["until"], "2024-03-20");
  r = As(
      "clerk_in", "POST", holds,
      json{{"vaccine", "IPV"}, {"kind", "禁忌"}, {"from", "2024-03-01"}, {"reason", "对链霉素过敏"}}
          .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Body(r)["until"].is_null());

  // The forecast shows both holds with their reasons.
  auto f = Body(As("clerk_in", "GET", "/api/immunization/forecast?te=" + te + "&date=2024-03-15"));
  // Every open dose of a held vaccine is held (HepB 3 and IPV 2 too), each with the reason.
  EXPECT_EQ(Rows(f["doses"], {"DEFERRED", "CONTRAINDICATED"}),
            "HepB/2:DEFERRED,HepB/3:DEFERRED,Polio/1:CONTRAINDICATED,Polio/2:CONTRAINDICATED")
      << f.dump();
  for (const auto& d : f["doses"]) {
    if (d["series"] == "HepB" && d["dose"] == 2) {
      EXPECT_EQ(d["reason"], "暂缓至2024-03-20：发热 38.5℃");
    }
    if (d["series"] == "Polio" && d["dose"] == 1) {
      EXPECT_EQ(d["stateName"], "禁忌");
    }
  }
  // After the deferral, HepB 2 is due again; the contraindication stays.
  f = Body(As("clerk_in", "GET", "/api/immunization/forecast?te=" + te + "&date=2024-03-21"));
  EXPECT_EQ(Rows(f["doses"], {"DUE", "CONTRAINDICATED"}),
            "HepB/2:DUE,Polio/1:CONTRAINDICATED,Polio/2:CONTRAINDICATED");

  // The due list of 2024-03-15 shows apart the held doses that would be due (not HepB 3, not
  // IPV 2) and calls her for nothing.
  const std::string due = "/api/immunization/due?ou=150624100&village=" + std::string(kVillage);
  auto list = Body(As("clerk_in", "GET", due + "&date=2024-03-15"));
  json row = DueRow(list, te);
  ASSERT_FALSE(row.is_null()) << list.dump();
  EXPECT_EQ(Rows(row["doses"]), "");
  EXPECT_EQ(Rows(row["held"]), "HepB/2:DEFERRED,Polio/1:CONTRAINDICATED");
  EXPECT_GE(list["summary"]["heldDoses"].get<int>(), 2);
  // Only the 应种 list: she is not on it.
  EXPECT_TRUE(DueRow(Body(As("clerk_in", "GET", due + "&date=2024-03-15&kind=due")), te).is_null());
  // A window past the deferral's end: HepB 2 is due from 2024-03-21, with the deferral's reason.
  list = Body(As("clerk_in", "GET", due + "&from=2024-03-15&to=2024-03-25"));
  row = DueRow(list, te);
  EXPECT_EQ(Rows(row["doses"]), "HepB/2:DUE") << row.dump();
  EXPECT_EQ(row["doses"][0]["reason"], "暂缓至2024-03-20：发热 38.5℃");
  EXPECT_EQ(Rows(row["held"]), "Polio/1:CONTRAINDICATED");
  // A window that ends on the deferral's last day: still held.
  row = DueRow(Body(As("clerk_in", "GET", due + "&from=2024-03-15&to=2024-03-20")), te);
  EXPECT_EQ(Rows(row["doses"]), "");

  // A dose given although held is recorded (it was given) with a warning.
  r = PostDose(te, "IPV", "2024-03-16");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(Body(r).value("warning", "").find("禁忌"), std::string::npos) << r.body;
}

TEST(ImmunizationHolds, AefiReportLinkedToADose) {
  const std::string te = RegisterChild(StockChild("其其格", "2024-01-10"));
  auto r = PostDose(te, "HepB", "2024-01-10");
  ASSERT_EQ(r.status, 201);
  const std::string dose = Body(r)["dose"];
  const std::string aefi = "/api/immunization/children/" + te + "/aefi";
  const json good = {{"dose", dose},
                     {"onsetDate", "2024-01-11"},
                     {"reportDate", "2024-01-12"},
                     {"symptoms", "接种部位红肿直径 3 cm，低热"},
                     {"serious", false},
                     {"outcome", "痊愈"}};
  struct Bad {
    const char* key;
    json value;
    const char* field;
  };
  const Bad bad[] = {
      {"dose", "NoSuchDose01", "dose"},
      {"dose", "", "dose"},
      {"onsetDate", "2024-01-09", "onsetDate"},
      {"onsetDate", "2024-13-01", "onsetDate"},
      {"onsetDate", "", "onsetDate"},
      {"reportDate", "2024-01-10", "reportDate"},
      {"symptoms", "", "symptoms"},
      {"outcome", "还行", "outcome"},
      {"serious", "是", "serious"},
  };
  for (const auto& b : bad) {
    json body = good;
    body[b.key] = b.value;
    Expect409(As("clerk_in", "POST", aefi, body.dump()), b.field, body.dump());
  }
  EXPECT_EQ(Body(As("clerk_in", "GET", "/api/immunization/children/" + te))["aefi"].size(), 0u);
  EXPECT_EQ(As("clerk_sibling", "POST", aefi, good.dump()).status, 404);
  EXPECT_EQ(As("viewer_in", "POST", aefi, good.dump()).status, 403);

  r = As("clerk_in", "POST", aefi, good.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["outcome"], "RECOVERED");
  EXPECT_EQ(Body(r)["vaccine"], "HepB");
  auto child = Body(As("county_admin", "GET", "/api/immunization/children/" + te));
  ASSERT_EQ(child["aefi"].size(), 1u);
  EXPECT_EQ(child["aefi"][0]["dose"], dose);
  EXPECT_EQ(child["aefi"][0]["onsetDate"], "2024-01-11");
  EXPECT_EQ(child["aefi"][0]["outcomeName"], "痊愈");
  EXPECT_EQ(child["aefi"][0]["serious"], false);
  EXPECT_GE(CountAudits("TRACKER", "clerk_in", "aefi "), 1);
}

TEST(ImmunizationStock, MovementsBalancesAndDosesFromStock) {
  const std::string moves = "/api/immunization/stock/movements";
  auto move = [&](const std::string& who, json body) {
    if (!body.contains("orgUnit")) body["orgUnit"] = kVillage;
    return As(who, "POST", moves, body.dump());
  };
  auto balance = [&](const std::string& unit, const std::string& lot) -> std::int64_t {
    auto s =
        Body(As("county_admin", "GET", "/api/immunization/stock?ou=" + unit + "&date=2024-03-15"));
    for (const auto& l : s["lots"])
      if (l["lot"] == lot) return l["balance"];
    return 0;
  };
  // A child vaccinated at the village before it kept any stock: the dose is not from stock.
  const std::string te = RegisterChild(StockChild("托雅", "2024-01-10"));
  auto r = PostDose(te, "HepB", "2024-01-10", {{"orgUnit", kVillage}, {"lot", "OLD1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["stock"], "NOT_MANAGED");

  // 入库 on 2024-02-01: HepB lot L1 (10 doses), HepB lot L2 (3, expiring 2024-03-31), IPV L3 (1).
  const json l1 = {{"kind", "入库"},
                   {"vaccine", "HepB"},
                   {"lot", "L1"},
                   {"quantity", 10},
                   {"expiry", "2025-06-30"},
                   {"manufacturer", "华北制药"},
                   {"date", "2024-02-01"},
                   {"counterpart", "鄂托克旗疾控中心"}};
  r = move("clerk_in", l1);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["movements"][0]["balance"], 10);
  r = move("clerk_in", {{"kind", "RECEIPT"},
                        {"vaccine", "HepB"},
                        {"lot", "L2"},
                        {"quantity", 3},
                        {"expiry", "2024-03-31"},
                        {"date", "2024-02-01"}});
  ASSERT_EQ(r.status, 201) << r.body;
  r = move("clerk_in", {{"kind", "RECEIPT"},
                        {"vaccine", "IPV"},
                        {"lot", "L3"},
                        {"quantity", 1},
                        {"expiry", "2025-12-31"},
                        {"date", "2024-02-01"}});
  ASSERT_EQ(r.status, 201) << r.body;

  // Bad movements: a 409 naming the field; the balances do not move.
  struct Bad {
    json body;
    const char* field;
  };
  const Bad bad[] = {
      {{{"kind", "借出"}, {"vaccine", "HepB"}, {"lot", "L1"}, {"quantity", 1}}, "kind"},
      {{{"kind", "ISSUE"}, {"vaccine", "XYZ"}, {"lot", "L1"}, {"quantity", 1}}, "vaccine"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"quantity", 1}, {"counterpart", "x"}}, "lot"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"lot", "L1"}, {"quantity", 0}}, "quantity"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"lot", "L1"}, {"quantity", -2}}, "quantity"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"lot", "L1"}, {"quantity", "2"}}, "quantity"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"lot", "L1"}}, "quantity"},
      {{{"kind", "ISSUE"},
        {"vaccine", "HepB"},
        {"lot", "L1"},
        {"quantity", 20},
        {"counterpart", "退回旗疾控"}},
       "quantity"},
      {{{"kind", "ISSUE"}, {"vaccine", "HepB"}, {"lot", "L1"}, {"quantity", 2}}, "counterpart"},
      {{{"kind", "ISSUE"},
        {"vaccine", "HepB"},
        {"lot", "L9"},
        {"quantity", 2},
        {"counterpart", "x"}},
       "lot"},
      {{{"kind", "LOSS"}, {"vaccine", "HepB"}, {"lot", "L2"}, {"quantity", 1}}, "reason"},
      {{{"kind", "RECEIPT"}, {"vaccine", "HepB"}, {"lot", "L4"}, {"quantity", 5}}, "expiry"},
      {{{"kind", "RECEIPT"},
        {"vaccine", "HepB"},
        {"lot", "L4"},
        {"quantity", 5},
        {"expiry", "2024-01-31"},
        {"date", "2024-02-01"}},
       "expiry"},
      {{{"kind", "RECEIPT"},
        {"vaccine", "HepB"},
        {"lot", "L1"},
        {"quantity", 5},
        {"expiry", "2025-07-31"}},
       "expiry"},
      {{{"kind", "RECEIPT"},
        {"vaccine", "HepB"},
        {"lot", "L5"},
        {"quantity", 5},
        {"expiry", "2026-01-31"},
        {"date", "2999-01-01"}},
       "date"},
      {{{"orgUnit", ""}, {"kind", "RECEIPT"}, {"vaccine", "HepB"}, {"lot", "L5"}, {"quantity", 5}},
       "orgUnit"},
  };
  for (const auto& b : bad) Expect409(move("clerk_in", b.body), b.field, b.body.dump());
  EXPECT_EQ(balance(kVillage, "L1"), 10);
  EXPECT_EQ(balance(kVillage, "L2"), 3);
  EXPECT_EQ(balance(kVillage, "L4"), 0);
  // Scope: a viewer may not move stock; the next township may neither move nor read it.
  EXPECT_EQ(move("viewer_in", l1).status, 403);
  EXPECT_EQ(move("clerk_sibling", l1).status, 403);
  EXPECT_EQ(
      As("clerk_sibling", "GET", "/api/immunization/stock?ou=" + std::string(kVillage)).status,
      403);
  EXPECT_EQ(As("viewer_in", "GET", "/api/immunization/stock?ou=" + std::string(kVillage)).status,
            200);

  // 入库 again into L1 (expiry and manufacturer taken from the lot), 出库 2 back to the county,
  // 报损 1 of L2.
  r = move("clerk_in", {{"kind", "RECEIPT"},
                        {"vaccine", "HepB"},
                        {"lot", "L1"},
                        {"quantity", 5},
                        {"date", "2024-02-10"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["movements"][0]["expiry"], "2025-06-30");
  EXPECT_EQ(Body(r)["movements"][0]["balance"], 15);
  r = move("clerk_in", {{"kind", "出库"},
                        {"vaccine", "HepB"},
                        {"lot", "L1"},
                        {"quantity", 2},
                        {"date", "2024-02-11"},
                        {"counterpart", "退回鄂托克旗疾控中心"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["movements"][0]["balance"], 13);
  r = move("clerk_in", {{"kind", "报损"},
                        {"vaccine", "HepB"},
                        {"lot", "L2"},
                        {"quantity", 1},
                        {"date", "2024-02-12"},
                        {"reason", "西林瓶破损"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["movements"][0]["balance"], 2);
  // 出库 to 棋盘井镇: the clerk does not write there; the county does, and the lot arrives there
  // with its expiry and manufacturer in the same transaction.
  const json to_sibling = {{"kind", "ISSUE"}, {"vaccine", "HepB"},    {"lot", "L1"},
                           {"quantity", 3},   {"date", "2024-02-13"}, {"toOrgUnit", "150624101"}};
  EXPECT_EQ(move("clerk_in", to_sibling).status, 403);
  EXPECT_EQ(balance(kVillage, "L1"), 13);
  r = move("county_admin", to_sibling);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(Body(r)["movements"].size(), 2u);
  EXPECT_EQ(Body(r)["movements"][1]["kind"], "RECEIPT");
  EXPECT_EQ(balance(kVillage, "L1"), 10);
  EXPECT_EQ(balance("150624101", "L1"), 3);
  auto there =
      Body(As("clerk_sibling", "GET", "/api/immunization/stock?ou=150624101&date=2024-03-15"));
  ASSERT_EQ(there["lots"].size(), 1u) << there.dump();
  EXPECT_EQ(there["lots"][0]["manufacturer"], "华北制药");
  EXPECT_EQ(there["lots"][0]["expiry"], "2025-06-30");

  // Doses at the village from 2024-02-01 on take one from a lot it holds. Refused, naming the
  // field, and nothing written: no lot, a lot it does not hold, an expiry that disagrees.
  const std::string te_doses = "/api/immunization/children/" + te;
  Expect409(PostDose(te, "HepB", "2024-03-15", {{"orgUnit", kVillage}}), "lot", "no lot");
  r = PostDose(te, "HepB", "2024-03-15", {{"orgUnit", kVillage}, {"lot", "L9"}});
  Expect409(r, "lot", "unknown lot");
  EXPECT_NE(r.body.find("L1"), std::string::npos) << r.body;  // names the lots on hand
  Expect409(PostDose(te, "HepB", "2024-03-15",
                     {{"orgUnit", kVillage}, {"lot", "L1"}, {"lotExpiry", "2025-01-01"}}),
            "lotExpiry", "expiry disagrees");
  EXPECT_EQ(Body(As("clerk_in", "GET", te_doses))["doses"].size(), 1u);
  EXPECT_EQ(balance(kVillage, "L1"), 10);
  // From L1: recorded with the lot's manufacturer and expiry, L1 goes down by one.
  r = PostDose(te, "HepB", "2024-03-15", {{"orgUnit", kVillage}, {"lot", "L1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["stock"]["lot"], "L1");
  EXPECT_EQ(Body(r)["stock"]["balance"], 9);
  EXPECT_EQ(balance(kVillage, "L1"), 9);
  // IPV from L3 (its one dose); a second child on the next day finds the lot empty.
  r = PostDose(te, "IPV", "2024-03-15", {{"orgUnit", kVillage}, {"lot", "L3"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["stock"]["balance"], 0);
  const std::string te2 = RegisterChild(StockChild("阿拉坦", "2024-01-12"));
  r = PostDose(te2, "IPV", "2024-03-16", {{"orgUnit", kVillage}, {"lot", "L3"}});
  Expect409(r, "lot", "empty lot");
  EXPECT_NE(r.body.find("已无库存"), std::string::npos) << r.body;
  EXPECT_EQ(Body(As("clerk_in", "GET", "/api/immunization/children/" + te2))["doses"].size(), 0u);
  // L2 expired on 2024-03-31: a dose from it on 2024-04-02 is refused.
  Expect409(PostDose(te2, "HepB", "2024-04-02", {{"orgUnit", kVillage}, {"lot", "L2"}}),
            "lotExpiry", "expired lot");
  EXPECT_EQ(balance(kVillage, "L2"), 2);

  // The ledger of L1 sums to its balance; the dose's movement is in it.
  auto ledger = Body(As("clerk_in", "GET", moves + "?ou=" + std::string(kVillage) + "&lot=L1"));
  std::int64_t sum = 0;
  int doses = 0;
  for (const auto& m : ledger["movements"]) {
    sum += m["quantity"].get<std::int64_t>();
    doses += m["kind"] == "DOSE";
  }
  EXPECT_EQ(sum, 9) << ledger.dump();
  EXPECT_EQ(doses, 1);
  EXPECT_EQ(ledger["movements"][0]["kind"], "DOSE");  // newest first
  // Every movement has its audit row: 3 receipts + 1 receipt + issue + loss by the clerk, and
  // one for each dose from stock.
  EXPECT_EQ(CountAudits("STOCK", "clerk_in", "stock "), 8);
  EXPECT_EQ(CountAudits("STOCK", "county_admin", "stock "), 2);

  // Balances, expiry alerts and needs on 2024-03-15 (alerts within 30 days).
  auto stock = Body(As("clerk_in", "GET",
                       "/api/immunization/stock?ou=150624100&date=2024-03-15&expiringDays=30"
                       "&from=2024-03-15&to=2024-03-31"));
  std::map<std::string, json> by_vaccine;
  for (const auto& v : stock["byVaccine"]) by_vaccine[v["vaccine"]] = v;
  EXPECT_EQ(by_vaccine["HepB"]["usable"], 11);   // L1 9 + L2 2
  EXPECT_EQ(by_vaccine["IPV"].is_null(), true);  // L3 is empty
  ASSERT_EQ(stock["expiring"].size(), 1u) << stock.dump();
  EXPECT_EQ(stock["expiring"][0]["lot"], "L2");
  EXPECT_EQ(stock["expiring"][0]["daysToExpiry"], 16);
  // On 2024-04-01 L2 has expired: no longer usable, listed for 报损.
  auto later = Body(As("clerk_in", "GET", "/api/immunization/stock?ou=150624100&date=2024-04-01"));
  ASSERT_EQ(later["expired"].size(), 1u);
  EXPECT_EQ(later["expired"][0]["lot"], "L2");
  // Needs: the doses the due list of the same window calls for, against what is on hand.
  auto list = Body(
      As("clerk_in", "GET", "/api/immunization/due?ou=150624100&from=2024-03-15&to=2024-03-31"));
  for (const auto& n : stock["needs"]["vaccines"]) {
    const std::string code = n["vaccine"];
    const int due = list["summary"]["byVaccine"].value(code, 0);
    EXPECT_EQ(n["dosesDue"], due) << code;
    const std::int64_t on_hand = code == "HepB" ? 11 : 0;
    EXPECT_EQ(n["onHand"], on_hand) << code;
    EXPECT_EQ(n["shortfall"], std::max<std::int64_t>(0, due - on_hand)) << code;
  }
  EXPECT_GE(stock["needs"]["vaccines"].size(), 1u);
  Expect409(As("clerk_in", "GET", "/api/immunization/stock?ou=150624100&expiringDays=x"),
            "expiringDays", "expiringDays");
  Expect409(
      As("clerk_in", "GET", "/api/immunization/stock?ou=150624100&from=2024-03-15&to=2024-03-01"),
      "to", "window");
}

// The state of one dose of a forecast ("" when the row is missing).
std::string StateOf(const json& forecast, const std::string& series, int dose) {
  for (const auto& d : forecast["doses"])
    if (d["series"] == series && d["dose"] == dose) return d["state"];
  return "";
}

TEST(ImmunizationHolds, LiftedEarlyTheDosesAreDueAgain) {
  // 图门 (born 2023-03-01) had HepB 1 at birth; HepB 2 is due from 2023-04-01.
  const std::string te = RegisterChild(StockChild("图门", "2023-03-01"));
  ASSERT_EQ(PostDose(te, "HepB", "2023-03-01").status, 201);
  const std::string holds = "/api/immunization/children/" + te + "/holds";
  auto r = As("clerk_in", "POST", holds,
              json{{"vaccine", "HepB"},
                   {"kind", "暂缓"},
                   {"from", "2023-03-25"},
                   {"until", "2023-05-31"},
                   {"reason", "急性支气管炎"}}
                  .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string deferral = Body(r)["hold"];
  r = As(
      "clerk_in", "POST", holds,
      json{{"vaccine", "IPV"}, {"kind", "禁忌"}, {"from", "2023-03-01"}, {"reason", "待查过敏史"}}
          .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string contraindication = Body(r)["hold"];
  auto forecast = [&](const std::string& date) {
    return Body(As("clerk_in", "GET", "/api/immunization/forecast?te=" + te + "&date=" + date));
  };
  EXPECT_EQ(StateOf(forecast("2023-04-10"), "HepB", 2), "DEFERRED");

  // Bad lifts: a 409 naming the field, nothing written.
  const std::string lift = holds + "/" + deferral + "/lift";
  struct Bad {
    json body;
    const char* field;
  };
  const Bad bad[] = {
      {{{"date", "2023-03-24"}, {"reason", "已痊愈"}}, "date"},  // before the hold
      {{{"date", "2023-06-01"}, {"reason", "已痊愈"}}, "date"},  // after its end
      {{{"date", "2999-01-01"}, {"reason", "已痊愈"}}, "date"},  // in the future
      {{{"date", "2023-04-31"}, {"reason", "已痊愈"}}, "date"},  // not a day
      {{{"date", "2023-04-05"}}, "reason"},
      {{{"date", "2023-04-05"}, {"reason", 3}}, "reason"},
  };
  for (const auto& b : bad)
    Expect409(As("clerk_in", "POST", lift, b.body.dump()), b.field, b.body.dump());
  const json good = {{"date", "2023-04-05"}, {"reason", "已痊愈，经评估可以接种"}};
  // Scope: a viewer may not write; the next township cannot see the child; an unknown hold.
  EXPECT_EQ(As("viewer_in", "POST", lift, good.dump()).status, 403);
  EXPECT_EQ(As("clerk_sibling", "POST", lift, good.dump()).status, 404);
  EXPECT_EQ(As("clerk_in", "POST", holds + "/NoSuchHold1/lift", good.dump()).status, 404);
  EXPECT_EQ(StateOf(forecast("2023-04-10"), "HepB", 2), "DEFERRED");

  // Lifted from 2023-04-05: HepB 2 is due from that day, still held the day before.
  r = As("clerk_in", "POST", lift, good.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["lifted"]["date"], "2023-04-05");
  EXPECT_EQ(Body(r)["lifted"]["by"], "clerk_in");
  EXPECT_EQ(StateOf(forecast("2023-04-10"), "HepB", 2), "DUE");
  EXPECT_EQ(StateOf(forecast("2023-04-04"), "HepB", 2), "DEFERRED");
  // Lifted once only.
  Expect409(As("clerk_in", "POST", lift, good.dump()), "hold", "lifted twice");
  // The contraindication, open-ended, lifted from 2023-05-10: IPV 1 is no longer held.
  EXPECT_EQ(StateOf(forecast("2023-05-15"), "Polio", 1), "CONTRAINDICATED");
  r = As("clerk_in", "POST", holds + "/" + contraindication + "/lift",
         json{{"date", "2023-05-10"}, {"reason", "过敏原检测阴性"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string polio = StateOf(forecast("2023-05-15"), "Polio", 1);
  EXPECT_TRUE(polio == "DUE" || polio == "OVERDUE") << polio;
  // The card shows both lifts; each lift has its audit row.
  auto child = Body(As("clerk_in", "GET", "/api/immunization/children/" + te));
  ASSERT_EQ(child["holds"].size(), 2u);
  EXPECT_EQ(child["holds"][0]["lifted"]["reason"], "已痊愈，经评估可以接种");
  EXPECT_EQ(child["holds"][1]["lifted"]["date"], "2023-05-10");
  EXPECT_EQ(CountAudits("TRACKER", "clerk_in", "hold " + deferral), 2);  // recorded, lifted

  // A child who left the system: his holds stay as they were, like the rest of his record.
  r = As(
      "clerk_in", "POST", holds,
      json{{"vaccine", "MMR"}, {"kind", "禁忌"}, {"from", "2023-06-01"}, {"reason", "免疫缺陷待查"}}
          .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string standing = Body(r)["hold"];
  ASSERT_EQ(As("clerk_in", "POST", "/api/immunization/children/" + te + "/transfers",
               json{{"destination", "陕西省榆林市"}, {"date", "2023-07-01"}}.dump())
                .status,
            201);
  Expect409(As("clerk_in", "POST", holds + "/" + standing + "/lift",
               json{{"date", "2023-07-02"}, {"reason", "复查正常"}}.dump()),
            "trackedEntity", "lifted after the child left");
  EXPECT_TRUE(Body(As("clerk_in", "GET", "/api/immunization/children/" + te))["holds"][2]["lifted"]
                  .is_null());
}

TEST(ImmunizationHolds, CountyAefiListByReportingUnitAndDate) {
  const std::string te = RegisterChild(StockChild("乌日娜", "2024-05-01"));
  auto r = PostDose(te, "HepB", "2024-05-01");
  ASSERT_EQ(r.status, 201);
  const std::string dose = Body(r)["dose"];
  r = As("clerk_in", "POST", "/api/immunization/children/" + te + "/aefi",
         json{{"dose", dose},
              {"onsetDate", "2024-05-02"},
              {"reportDate", "2024-05-03"},
              {"symptoms", "高热 39.5℃，惊厥一次"},
              {"serious", true},
              {"outcome", "好转"}}
             .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string aefi = Body(r)["aefi"];
  auto find = [&](const json& list) {
    for (const auto& a : list["reports"])
      if (a["aefi"] == aefi) return a;
    return json();
  };
  const std::string may = "/api/immunization/aefi?from=2024-05-01&to=2024-05-31&ou=";
  auto county = Body(As("county_admin", "GET", may + "150624"));
  json row = find(county);
  ASSERT_FALSE(row.is_null()) << county.dump();
  EXPECT_EQ(row["trackedEntity"], te);
  EXPECT_EQ(row["vaccine"], "HepB");
  EXPECT_EQ(row["doseDate"], "2024-05-01");
  EXPECT_EQ(row["serious"], true);
  EXPECT_EQ(row["orgUnit"]["name"], "乌兰镇卫生院");
  EXPECT_FALSE(row.contains("name"));  // no names in a county's list
  EXPECT_GE(county["summary"]["serious"].get<int>(), 1);
  // Only reports made in the range: the report date 2024-05-03 is outside from 2024-05-04.
  EXPECT_TRUE(find(Body(As("county_admin", "GET",
                           "/api/immunization/aefi?ou=150624&from=2024-05-04&to=2024-05-31")))
                  .is_null());
  // Scope: the township reads its own; the next township may not ask for it, and does not see it
  // in its own list; a viewer of the township reads the list (no names in it).
  EXPECT_FALSE(find(Body(As("clerk_in", "GET", may + "150624100"))).is_null());
  EXPECT_EQ(As("clerk_sibling", "GET", may + "150624100").status, 403);
  EXPECT_EQ(As("clerk_sibling", "GET", may + "150624").status, 403);
  EXPECT_TRUE(find(Body(As("clerk_sibling", "GET", may + "150624101"))).is_null());
  EXPECT_FALSE(find(Body(As("viewer_in", "GET", may + "150624100"))).is_null());
  // Bad ranges name the field.
  Expect409(As("county_admin", "GET", "/api/immunization/aefi?ou=150624&from=2024-02-30"), "from",
            "from");
  Expect409(
      As("county_admin", "GET", "/api/immunization/aefi?ou=150624&from=2024-05-02&to=2024-05-01"),
      "to", "to before from");
  Expect409(
      As("county_admin", "GET", "/api/immunization/aefi?ou=150624&from=2023-01-01&to=2024-05-01"),
      "to", "more than a year");
  Expect409(As("county_admin", "GET", "/api/immunization/aefi"), "ou", "no unit");
}

TEST(ImmunizationStock, CountRecordsTheDifferencesWithTheirReasons) {
  const std::string moves = "/api/immunization/stock/movements";
  const std::string counts = "/api/immunization/stock/counts";
  auto balance = [&](const std::string& lot) -> std::int64_t {
    auto s = Body(As("clerk_in", "GET",
                     "/api/immunization/stock?ou=" + std::string(kVillage) + "&date=2024-06-01"));
    for (const auto& l : s["lots"])
      if (l["lot"] == lot) return l["balance"];
    return -1;
  };
  for (const auto& [vaccine, lot, n] : {std::tuple{"HepB", "C1", 10}, std::tuple{"MMR", "C2", 5}}) {
    auto r = As("clerk_in", "POST", moves,
                json{{"orgUnit", kVillage},
                     {"kind", "入库"},
                     {"vaccine", vaccine},
                     {"lot", lot},
                     {"quantity", n},
                     {"expiry", "2027-06-30"},
                     {"date", "2024-05-01"}}
                    .dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto line = [](const char* vaccine, const char* lot, json counted, const char* reason = "") {
    json l = {{"vaccine", vaccine}, {"lot", lot}, {"counted", counted}};
    if (*reason) l["reason"] = reason;
    return l;
  };
  auto count = [&](const std::string& who, json lines, json extra = json::object()) {
    extra["counts"] = std::move(lines);
    if (!extra.contains("orgUnit")) extra["orgUnit"] = kVillage;
    if (!extra.contains("date")) extra["date"] = "2024-06-01";
    return As(who, "POST", counts, extra.dump());
  };
  // Bad counts: a 409 naming the field and row; nothing is written, not even the good rows.
  const json ok_row = line("HepB", "C1", 9, "少 1 剂");
  struct Bad {
    json lines, extra;
    const char* field;
  };
  const Bad bad[] = {
      {json::array(), {}, "counts"},
      {{line("HepB", "C1", -1, "x")}, {}, "counts[0].counted"},
      {{line("HepB", "C1", "九")}, {}, "counts[0].counted"},
      {{json{{"vaccine", "HepB"}, {"lot", "C1"}}}, {}, "counts[0].counted"},
      {{line("XYZ", "C1", 9, "x")}, {}, "counts[0].vaccine"},
      {{line("HepB", "", 9, "x")}, {}, "counts[0].lot"},
      {{ok_row, line("HepB", "C9", 3, "x")}, {}, "counts[1].lot"},  // a lot it does not hold
      {{ok_row, line("HepB", "C1", 9, "x")}, {}, "counts[1].lot"},  // twice
      {{line("HepB", "C1", 8)}, {}, "counts[0].reason"},            // a difference, no reason
      {{ok_row}, {{"date", "2999-01-01"}}, "date"},
      {{ok_row}, {{"date", "2024-06-31"}}, "date"},
      {{ok_row}, {{"orgUnit", ""}}, "orgUnit"},
  };
  for (const auto& b : bad) Expect409(count("clerk_in", b.lines, b.extra), b.field, b.lines.dump());
  EXPECT_EQ(balance("C1"), 10);
  EXPECT_EQ(balance("C2"), 5);
  // Scope: a viewer may not count; the next township may not count the village's stock.
  EXPECT_EQ(count("viewer_in", {ok_row}).status, 403);
  EXPECT_EQ(count("clerk_sibling", {ok_row}).status, 403);
  EXPECT_EQ(balance("C1"), 10);

  // Counted: C1 8 (2 short, the count's reason), C2 5 (agrees): one adjustment.
  auto r = count("clerk_in", {line("HepB", "C1", 8), line("MMR", "C2", 5)},
                 {{"reason", "西林瓶破损 2 剂未及时报损"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json out = Body(r);
  EXPECT_EQ(out["adjusted"], 1);
  EXPECT_EQ(out["counts"][0]["before"], 10);
  EXPECT_EQ(out["counts"][0]["difference"], -2);
  EXPECT_EQ(out["counts"][1]["difference"], 0);
  EXPECT_TRUE(out["counts"][1]["movement"].is_null());
  EXPECT_EQ(balance("C1"), 8);
  EXPECT_EQ(balance("C2"), 5);
  // A surplus, with the line's own reason.
  r = count("clerk_in", {line("MMR", "C2", 6, "上次出库多记 1 剂")});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(balance("C2"), 6);
  // The ledger shows the adjustments (盘点调整) with their reasons and still sums to the balance.
  auto ledger = Body(As("clerk_in", "GET", moves + "?ou=" + std::string(kVillage) + "&lot=C1"));
  std::int64_t sum = 0;
  for (const auto& m : ledger["movements"]) sum += m["quantity"].get<std::int64_t>();
  EXPECT_EQ(sum, 8);
  ASSERT_GE(ledger["movements"].size(), 2u);
  EXPECT_EQ(ledger["movements"][0]["kind"], "ADJUST");
  EXPECT_EQ(ledger["movements"][0]["kindName"], "盘点调整");
  EXPECT_EQ(ledger["movements"][0]["quantity"], -2);
  EXPECT_EQ(ledger["movements"][0]["reason"], "西林瓶破损 2 剂未及时报损");
  // Audited: a row per adjustment, and one per count.
  const std::string movement = out["counts"][0]["movement"];
  EXPECT_EQ(CountAudits("STOCK", "clerk_in", "stock " + movement), 1);
  EXPECT_EQ(CountAudits("STOCK", "clerk_in", "stockCount 2024-06-01"), 2);

  // A count entered days after it was made is compared with the book as it stood on its day:
  // 10 received on 1 July, counted 10 on 2 July, 3 lost on 3 July, the count entered later.
  ASSERT_EQ(As("clerk_in", "POST", moves,
               json{{"orgUnit", kVillage},
                    {"kind", "入库"},
                    {"vaccine", "HepB"},
                    {"lot", "C3"},
                    {"quantity", 10},
                    {"expiry", "2027-06-30"},
                    {"date", "2024-07-01"}}
                   .dump())
                .status,
            201);
  ASSERT_EQ(As("clerk_in", "POST", moves,
               json{{"orgUnit", kVillage},
                    {"kind", "报损"},
                    {"vaccine", "HepB"},
                    {"lot", "C3"},
                    {"quantity", 3},
                    {"reason", "冷链故障"},
                    {"date", "2024-07-03"}}
                   .dump())
                .status,
            201);
  r = count("clerk_in", {line("HepB", "C3", 10)}, {{"date", "2024-07-02"}});
  ASSERT_EQ(r.status, 201) << r.body;  // it agrees with that day's book: no reason needed
  EXPECT_EQ(Body(r)["counts"][0]["before"], 10);
  EXPECT_EQ(Body(r)["adjusted"], 0);
  EXPECT_EQ(balance("C3"), 7);
  // One short on that day: the adjustment is -1, and today's balance 6.
  r = count("clerk_in", {line("HepB", "C3", 9, "少 1 剂")}, {{"date", "2024-07-02"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["counts"][0]["difference"], -1);
  EXPECT_EQ(balance("C3"), 6);
}

// The aggregate 免疫规划 form filled from the records: the doses given in July 2022 at 乌兰镇,
// per vaccine group, equal a count over every record of the township read through the API.
TEST(ImmunizationAggregate, MonthlyDosesEqualACountOverTheRecords) {
  const std::string a = RegisterChild(StockChild("宝力德", "2022-06-01"));
  const std::string b = RegisterChild(StockChild("萨日娜", "2022-07-10"));
  for (const auto& [te, vaccine, date] :
       {std::tuple{a, "HepB", "2022-06-01"}, std::tuple{a, "BCG", "2022-06-01"},
        std::tuple{a, "HepB", "2022-07-05"}, std::tuple{b, "HepB", "2022-07-10"},
        std::tuple{b, "BCG", "2022-07-10"}, std::tuple{a, "IPV", "2022-08-01"}})
    ASSERT_EQ(PostDose(te, vaccine, date).status, 201) << vaccine << " " << date;
  const std::string url = "/api/immunization/monthlyDoses?pe=202207&ou=";
  auto r = As("clerk_in", "GET", url + "150624100");
  ASSERT_EQ(r.status, 200) << r.body;
  const json out = Body(r);
  std::map<std::string, int> filled;
  for (const auto& v : out["dataValues"]) filled[v["categoryOption"]] = v["value"];
  EXPECT_EQ(filled.size(), 8u) << r.body;  // every vaccine group of the form, zeros included
  EXPECT_EQ(filled["VAC_HEPB"], 2);
  EXPECT_EQ(filled["VAC_BCG"], 1);
  EXPECT_EQ(filled["VAC_POLIO"], 0);  // IPV was given in August

  // The oracle: every child of the township and his doses, counted by hand.
  const std::map<std::string, std::string> group = {
      {"HepB", "VAC_HEPB"},   {"BCG", "VAC_BCG"},      {"IPV", "VAC_POLIO"},
      {"bOPV", "VAC_POLIO"},  {"DTaP", "VAC_DTAP"},    {"DT", "VAC_DTAP"},
      {"MMR", "VAC_MMR"},     {"JE-L", "VAC_JE"},      {"JE-I", "VAC_JE"},
      {"MPSV-A", "VAC_MENA"}, {"MPSV-AC", "VAC_MENA"}, {"HepA-L", "VAC_HEPA"},
      {"HepA-I", "VAC_HEPA"}};
  std::map<std::string, int> counted;
  for (const auto& [code, option] : group) counted[option] = 0;
  auto list = Body(As("clerk_in", "GET", "/api/immunization/children?ou=150624100"));
  ASSERT_GE(list["trackedEntities"].size(), 2u);
  for (const auto& c : list["trackedEntities"]) {
    auto child = Body(As("clerk_in", "GET",
                         "/api/immunization/children/" + c["trackedEntity"].get<std::string>()));
    for (const auto& d : child["doses"]) {
      const std::string date = d["date"];
      if (date >= "2022-07-01" && date <= "2022-07-31" && group.count(d["vaccine"]))
        ++counted[group.at(d["vaccine"])];
    }
  }
  EXPECT_EQ(filled, counted);
  // The county reads the same figures for the township; the next township may not ask.
  auto county = Body(As("county_admin", "GET", url + "150624100"));
  EXPECT_EQ(county["dataValues"], out["dataValues"]);
  EXPECT_EQ(As("clerk_sibling", "GET", url + "150624100").status, 403);
  EXPECT_EQ(As("viewer_in", "GET", url + "150624100").status, 200);
  Expect409(As("clerk_in", "GET", "/api/immunization/monthlyDoses?ou=150624100&pe=2022Q3"), "pe",
            "a quarter");
  Expect409(As("clerk_in", "GET", "/api/immunization/monthlyDoses?ou=150624100&pe=2022-07"), "pe",
            "not a period");
  Expect409(As("clerk_in", "GET", "/api/immunization/monthlyDoses?pe=202207"), "ou", "no unit");

  // Counted where the dose was given: a child vaccinated at 乌兰镇 in July who moves to 棋盘井镇
  // in August stays in 乌兰镇's July form, and does not enter 棋盘井镇's.
  auto hepb = [&](const std::string& ou) {
    const json form = Body(As("county_admin", "GET", url + ou));  // kept: iterated below
    for (const auto& v : form["dataValues"])
      if (v["categoryOption"] == "VAC_HEPB") return v["value"].get<std::int64_t>();
    return std::int64_t{-1};
  };
  const std::string c = RegisterChild(StockChild("其其格", "2022-07-20"));
  ASSERT_EQ(PostDose(c, "HepB", "2022-07-20").status, 201);
  const std::int64_t wulan = hepb("150624100"), qipanjing = hepb("150624101"),
                     county_hepb = hepb("150624");
  ASSERT_EQ(As("county_admin", "POST", "/api/immunization/children/" + c + "/transfers",
               json{{"orgUnit", "150624101H01"}, {"date", "2022-08-15"}}.dump())
                .status,
            201);
  EXPECT_EQ(hepb("150624100"), wulan);
  EXPECT_EQ(hepb("150624101"), qipanjing);
  EXPECT_EQ(hepb("150624"), county_hepb);
}

TEST(ImmunizationPrints, CertificateNoticeAndSchoolCheck) {
  json c = StockChild("斯琴", "2024-01-10");
  const std::string id = IdNumber("15062420240110002");
  c["idNumber"] = id;
  const std::string te = RegisterChild(c);
  ASSERT_EQ(PostDose(te, "HepB", "2024-01-10").status, 201);
  ASSERT_EQ(PostDose(te, "BCG", "2024-01-10").status, 201);
  ASSERT_EQ(PostDose(te, "HepB", "2024-02-20").status, 201);
  const std::string base = "/api/immunization/children/" + te;

  // The 预防接种证: every dose with its number; unmasked for the clerk (audited), masked for
  // the viewer, invisible to the next township.
  const int audited = CountAudits("PERSONAL_DATA", "clerk_in", "trackedEntity " + te);
  auto cert = Body(As("clerk_in", "GET", base + "/certificate?date=2024-03-15"));
  EXPECT_EQ(cert["name"], "斯琴");
  EXPECT_EQ(cert["idNumber"], id);
  EXPECT_EQ(cert["phone"], "13947712345");
  std::string given;
  for (const auto& d : cert["doses"])
    given += d["vaccine"].get<std::string>() + "/" + std::to_string(d["doseNumber"].get<int>()) +
             ":" + d["state"].get<std::string>() + " ";
  EXPECT_EQ(given, "HepB/1:GIVEN BCG/1:GIVEN HepB/2:GIVEN ");
  EXPECT_EQ(CountAudits("PERSONAL_DATA", "clerk_in", "trackedEntity " + te), audited + 1);
  auto masked = Body(As("viewer_in", "GET", base + "/certificate?date=2024-03-15"));
  EXPECT_EQ(masked["name"], "斯*");
  EXPECT_EQ(masked["phone"], "139****2345");
  EXPECT_EQ(masked["idNumber"], id.substr(0, 6) + "********" + id.substr(14));
  EXPECT_EQ(masked["masked"], true);
  EXPECT_EQ(As("clerk_sibling", "GET", base + "/certificate").status, 404);
  auto pdf = As("clerk_in", "GET", base + "/certificate.pdf?date=2024-03-15");
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");
  EXPECT_EQ(As("clerk_sibling", "GET", base + "/certificate.pdf").status, 404);

  // The 预约通知单 on 2024-03-15: IPV 1 has been due since 2024-03-10, so the next appointment is
  // the next day; on a 接种日 of the unit's choosing (2024-04-10) DTaP 1 joins it.
  auto notice = Body(As("clerk_in", "GET", base + "/notice?date=2024-03-15"));
  EXPECT_EQ(notice["appointment"], "2024-03-16");
  EXPECT_EQ(Rows(notice["doses"], {}), "Polio/1:DUE") << notice.dump();
  notice = Body(As("clerk_in", "GET", base + "/notice?date=2024-03-15&appointment=2024-04-10"));
  std::string series;
  for (const auto& d : notice["doses"])
    series += d["series"].get<std::string>() + std::to_string(d["dose"].get<int>()) + " ";
  EXPECT_EQ(series, "Polio1 DTaP1 ") << notice.dump();
  Expect409(As("clerk_in", "GET", base + "/notice?date=2024-03-15&appointment=2024-03-14"),
            "appointment", "appointment before date");
  EXPECT_EQ(Body(As("viewer_in", "GET", base + "/notice?date=2024-03-15"))["name"], "斯*");
  pdf = As("clerk_in", "GET", base + "/notice.pdf?date=2024-03-15");
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");

  // 入托入学查验 on 2024-03-15: by ID (lowercase-free), by name and birth date, one unknown child,
  // one impossible date and one wrong check character, each by its row number.
  const std::string wrong_id = id.substr(0, 17) + (id[17] == '0' ? "1" : "0");
  const std::string csv = "身份证号,姓名,出生日期,班级\r\n" + id + ",,,小一班\r\n" +
                          ",斯琴,2024-01-10,小一班\r\n" + ",不存在的孩子,2024-01-10,小一班\r\n" +
                          ",某某,2024-02-30,小二班\r\n" + wrong_id + ",,,小二班\r\n";
  auto check = As("clerk_in", "POST", "/api/immunization/school-check?date=2024-03-15", csv);
  ASSERT_EQ(check.status, 200) << check.body;
  auto result = Body(check);
  ASSERT_EQ(result["rows"].size(), 5u) << result.dump();
  auto row = [&](int i) { return result["rows"][i]; };
  EXPECT_EQ(row(0)["row"], 2);
  EXPECT_EQ(row(0)["status"], "INCOMPLETE");
  EXPECT_EQ(row(0)["trackedEntity"], te);
  EXPECT_EQ(Rows(row(0)["missing"]), "Polio/1:DUE");
  EXPECT_EQ(row(1)["trackedEntity"], te);
  EXPECT_EQ(row(2)["status"], "NOT_FOUND");
  EXPECT_EQ(row(3)["status"], "ERROR");
  EXPECT_EQ(row(3)["row"], 5);
  EXPECT_EQ(row(3)["field"], "birthDate");
  EXPECT_EQ(row(4)["status"], "ERROR");
  EXPECT_EQ(row(4)["field"], "idNumber");
  EXPECT_EQ(result["summary"]["incomplete"], 2);
  EXPECT_EQ(result["summary"]["notFound"], 1);
  EXPECT_EQ(result["summary"]["errors"], 2);
  EXPECT_GE(CountAudits("PERSONAL_DATA", "clerk_in", "schoolCheck"), 1);
  // After IPV 1, she passes.
  ASSERT_EQ(PostDose(te, "IPV", "2024-03-15").status, 201);
  result = Body(As("clerk_in", "POST", "/api/immunization/school-check?date=2024-03-15", csv));
  EXPECT_EQ(row(0)["status"], "COMPLETE") << row(0).dump();
  // The next township's list finds nobody of 乌兰镇.
  result = Body(As("clerk_sibling", "POST", "/api/immunization/school-check?date=2024-03-15", csv));
  EXPECT_EQ(row(0)["status"], "NOT_FOUND");
  EXPECT_EQ(row(1)["status"], "NOT_FOUND");
  // A file that is not a class list.
  Expect409(As("clerk_in", "POST", "/api/immunization/school-check", ""), "file", "empty");
  Expect409(As("clerk_in", "POST", "/api/immunization/school-check", "a,b\r\n1,2\r\n"), "file",
            "no header");
  // One column of ID numbers without a header is read as such.
  result =
      Body(As("clerk_in", "POST", "/api/immunization/school-check?date=2024-03-15", id + "\n"));
  EXPECT_EQ(row(0)["trackedEntity"], te);
}

}  // namespace
}  // namespace weijian::http
