// DHIS2 clients against the real server: the collections weijian now keeps whole (option sets,
// legend sets, attributes, groups, group sets, org unit levels) at /api/<collection> and
// /api/<collection>/{id}; DHIS2's fields/filter/order/paging on every list; values outside an
// option set refused; a key given twice in one payload refused with a 409 naming it.
#include <fstream>
#include <sstream>

#include "http/server_env.h"

namespace weijian::http {
namespace {

using weijian::testing::Dhis2Fixture;

void ImportDocumentsOnce() {
  static bool done = false;
  if (done) return;
  auto r = As("root", "POST", "/api/metadata", Dhis2Fixture("metadata_option_legend_groups.json"));
  ASSERT_EQ(r.status, 200) << r.body;
  done = true;
}

std::vector<std::string> Column(const json& list, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& o : list) out.push_back(o.value(key, ""));
  return out;
}

TEST(Dhis2ListsHttpTest, StoredCollectionsAreServedAndRoundTrip) {
  ImportDocumentsOnce();
  auto sets = Get("/api/optionSets?fields=id,name,options[code,name]");
  ASSERT_EQ(sets.status, 200) << sets.body;
  json j = Body(sets);
  EXPECT_EQ(j["pager"]["total"], 1);
  ASSERT_EQ(j["optionSets"].size(), 1u);
  EXPECT_EQ(j["optionSets"][0]["options"][1], json::parse(R"({"code":"POS","name":"阳性"})"));
  auto options =
      Body(Get("/api/options?filter=optionSet.id:eq:OsSputum001&order=sortOrder:desc&fields=code"));
  EXPECT_EQ(Column(options["options"], "code"), (std::vector<std::string>{"NA", "POS", "NEG"}));
  auto legend = Get("/api/legendSets/LsTbRate002");
  ASSERT_EQ(legend.status, 200) << legend.body;
  EXPECT_EQ(Body(legend)["legends"].size(), 3u);
  auto group = Body(Get("/api/dataElementGroups/DEG_TB?fields=id,dataElements[id,name]"));
  EXPECT_EQ(group["dataElements"][0],
            json::parse(R"({"id":"DeTbResult1","name":"痰涂片检查结果"})"));
  auto levels = Body(Get("/api/organisationUnitLevels?order=level:desc&pageSize=2"));
  EXPECT_EQ(levels["pager"]["pageCount"], 2);
  EXPECT_EQ(Column(levels["organisationUnitLevels"], "name"),
            (std::vector<std::string>{"县", "市"}));
  auto de = Body(Get("/api/dataElements/TB_SPUTUM_RESULT?fields=id,optionSet,attributeValues"));
  EXPECT_EQ(de["optionSet"]["id"], "OsSputum001");
  EXPECT_EQ(de["attributeValues"][0]["value"], "TB-0301");
  EXPECT_EQ(Get("/api/attributes/NO_SUCH_ONE").status, 404);
  // Exported and imported again: nothing created.
  json all = Body(Get("/api/metadata"));
  auto again = As("root", "POST", "/api/metadata", all.dump());
  ASSERT_EQ(again.status, 200) << again.body.substr(0, 2000);
  EXPECT_EQ(Body(again)["response"]["stats"]["created"], 0);
}

TEST(Dhis2ListsHttpTest, EveryListTakesFieldsFilterOrderAndPaging) {
  auto r =
      Get("/api/dataElements?fields=id,displayName&filter=code:$like:VC_&order=code:asc"
          "&pageSize=1&page=2");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["pager"]["page"], 2);
  EXPECT_EQ(j["pager"]["pageSize"], 1);
  EXPECT_GE(j["pager"]["total"].get<int>(), 2);
  ASSERT_EQ(j["dataElements"].size(), 1u);
  EXPECT_EQ(j["dataElements"][0].size(), 2u);  // id and displayName only
  auto ds =
      Body(Get("/api/dataSets?paging=false&fields=id,dataSetElements[dataElement[id,name]]"
               "&filter=code:eq:DS_VILLAGE_MONTHLY"));
  EXPECT_FALSE(ds.contains("pager"));
  ASSERT_EQ(ds["dataSets"].size(), 1u);
  EXPECT_TRUE(ds["dataSets"][0]["dataSetElements"][0]["dataElement"]["name"].is_string())
      << ds.dump();
  auto ous =
      Body(Get("/api/organisationUnits?level=3&fields=id,name&filter=name:like:旗"
               "&order=name:desc&paging=false"));
  EXPECT_FALSE(ous.contains("pager"));
  EXPECT_FALSE(ous["organisationUnits"].empty());
  for (const auto& u : ous["organisationUnits"]) EXPECT_EQ(u.size(), 2u);
  // Unknown operators and properties are a 409 naming them.
  auto bad = Get("/api/dataElements?filter=name:almost:x");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("almost"), std::string::npos);
  bad = Get("/api/indicators?fields=id,colour");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("colour"), std::string::npos);
  EXPECT_EQ(Get("/api/dataSets?order=name:sideways").status, 409);
  EXPECT_EQ(Get("/api/organisationUnits?pageSize=0").status, 409);
}

// fields=:owner gives only what the object owns, as DHIS2 does: a group's group sets belong to
// the group set, an org unit's children to their parent reference (and ancestors, leaf and the
// display names are not stored at all); :all gives everything.
TEST(Dhis2ListsHttpTest, OwnerFieldsLeaveOutWhatOtherObjectsOwn) {
  ImportDocumentsOnce();
  auto all = Body(Get("/api/dataElementGroups/DegTb000001?fields=:all"));
  ASSERT_TRUE(all.contains("groupSets")) << all.dump();
  auto owner = Get("/api/dataElementGroups/DegTb000001?fields=:owner");
  ASSERT_EQ(owner.status, 200) << owner.body;
  json g = Body(owner);
  EXPECT_FALSE(g.contains("groupSets")) << g.dump();
  EXPECT_EQ(g["id"], "DegTb000001");
  EXPECT_EQ(g["code"], "DEG_TB");
  EXPECT_EQ(g["dataElements"].size(), 2u) << g.dump();
  auto list = Body(Get("/api/dataElementGroups?fields=:owner&paging=false"));
  ASSERT_FALSE(list["dataElementGroups"].empty());
  for (const auto& o : list["dataElementGroups"]) EXPECT_FALSE(o.contains("groupSets"));

  auto level3 = Body(Get("/api/organisationUnits?level=3&fields=id&pageSize=1"));
  ASSERT_FALSE(level3["organisationUnits"].empty()) << level3.dump();
  const std::string unit = level3["organisationUnits"][0]["id"];
  auto unit_all = Body(Get("/api/organisationUnits/" + unit + "?fields=:all"));
  EXPECT_TRUE(unit_all.contains("children")) << unit_all.dump();
  EXPECT_TRUE(unit_all.contains("ancestors")) << unit_all.dump();
  auto unit_owner = Get("/api/organisationUnits/" + unit + "?fields=:owner");
  ASSERT_EQ(unit_owner.status, 200) << unit_owner.body;
  json u = Body(unit_owner);
  for (const char* k : {"children", "ancestors", "leaf"})
    EXPECT_FALSE(u.contains(k)) << k << ": " << u.dump();
  for (const char* k : {"id", "name", "parent", "path", "level"})
    EXPECT_TRUE(u.contains(k)) << k << ": " << u.dump();
}

TEST(Dhis2ListsHttpTest, ValuesOutsideTheOptionSetAre409NamingRowAndField) {
  ImportDocumentsOnce();
  const std::string body = R"({"dataSet":"DS_TB_RESULT","period":"202402","orgUnit":"150624100",
    "dataValues":[{"dataElement":"TB_SPUTUM_RESULT","value":"NEG"},
                  {"dataElement":"TB_SPUTUM_RESULT","value":"可能","orgUnit":"150624100"}]})";
  auto r = As("root", "POST", "/api/dataValueSets?idScheme=code", body);
  ASSERT_EQ(r.status, 409) << r.body;
  json j = Body(r);
  const json& c = j["response"]["conflicts"];
  ASSERT_EQ(c.size(), 1u) << r.body;
  EXPECT_EQ(c[0]["property"], "value");
  EXPECT_EQ(c[0]["indexes"], json::array({1}));
  EXPECT_NE(c[0].dump().find("可能"), std::string::npos);
}

TEST(Dhis2ListsHttpTest, AKeyGivenTwiceIsRefusedNamingIt) {
  auto r = As("root", "POST", "/api/dataValueSets?idScheme=code",
              R"({"period":"202401","orgUnit":"150624100005","dataValues":[
                 {"dataElement":"VC_VISITS","value":"1"},
                 {"dataElement":"VC_VISITS","value":"5","value":"6"}]})");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_NE(Body(r)["message"].get<std::string>().find("\"value\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("dataValues[1].value"), std::string::npos) << r.body;
  r = As("root", "POST", "/api/dataValueSets?idScheme=code",
         R"({"period":"202401","orgUnit":"150624100005","dataValues":[],"dataValues":[]})");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("dataValues"), std::string::npos) << r.body;
  r = As("root", "POST", "/api/metadata",
         R"({"optionSets":[{"id":"OsTwice0001","name":"a","name":"b"}]})");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("optionSets[0].name"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/api/optionSets/OsTwice0001").status, 404);  // nothing written
}

}  // namespace
}  // namespace weijian::http

namespace weijian::http {
namespace {

double Total(const json& r) {
  double t = 0;
  for (const auto& row : r["rows"]) t += std::stod(row.back().get<std::string>());
  return t;
}

TEST(Dhis2AnalyticsHttpTest, CoAndCategoryDimensionsSplitTheValues) {
  const std::string base = "/api/analytics?dimension=pe:2023&dimension=ou:1506";
  auto whole = Body(Get(base + "&dimension=dx:TC_DONE"));
  ASSERT_FALSE(whole["rows"].empty()) << whole.dump();
  auto by_co = Get(base + "&dimension=dx:TC_DONE&dimension=co");
  ASSERT_EQ(by_co.status, 200) << by_co.body;
  json co = Body(by_co);
  std::vector<std::string> names;
  for (const auto& h : co["headers"]) names.push_back(h["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"dx", "co", "pe", "ou", "value"}));
  EXPECT_EQ(co["headerWidth"], 5);
  EXPECT_EQ(co["metaData"]["dimensions"]["co"].size(), 2u) << co["metaData"].dump();
  EXPECT_DOUBLE_EQ(Total(co), Total(whole));
  for (const auto& row : co["rows"]) {
    EXPECT_EQ(row[0], whole["rows"][0][0]);  // the data element's uid, not "de.coc"
    EXPECT_TRUE(co["metaData"]["items"].contains(row[1].get<std::string>()));
  }
  // One category, one of its options: the rows of that option only.
  auto cat = Get(base + "&dimension=dx:TC_DONE&dimension=CAT_AGE_SCREEN:AGE_35_49");
  ASSERT_EQ(cat.status, 200) << cat.body;
  json c = Body(cat);
  ASSERT_EQ(c["headers"].size(), 5u);
  const std::string category = c["headers"][1]["name"];
  ASSERT_EQ(c["metaData"]["dimensions"][category].size(), 1u);
  const std::string option = c["metaData"]["dimensions"][category][0];
  for (const auto& row : c["rows"]) EXPECT_EQ(row[1], option);
  auto both = Body(Get(base + "&dimension=dx:TC_DONE&dimension=CAT_AGE_SCREEN"));
  EXPECT_DOUBLE_EQ(Total(both), Total(whole));
  EXPECT_LT(Total(c), Total(whole));
  // Bad input names the dimension.
  auto bad = Get(base + "&dimension=dx:TC_DONE&dimension=CAT_AGE_SCREEN:SEX_M");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("SEX_M"), std::string::npos);
  EXPECT_EQ(Get(base + "&dimension=dx:IND_TC_RATE&dimension=co").status, 409);
}

// filter=co:<option combos> and filter=<category>:<options>: the values of those combos or
// options only, summed, with no column for them (DHIS2 takes both as filters).
TEST(Dhis2AnalyticsHttpTest, CoAndCategoriesAsFiltersRestrictWithoutAColumn) {
  const std::string base =
      "/api/analytics?dimension=pe:2023&dimension=ou:1506&dimension=dx:TC_DONE";
  json whole = Body(Get(base));
  auto names = [](const json& j) {
    std::vector<std::string> n;
    for (const auto& h : j["headers"]) n.push_back(h["name"]);
    return n;
  };
  // The option's share, read from the category as a dimension.
  json one = Body(Get(base + "&dimension=CAT_AGE_SCREEN:AGE_35_49"));
  auto by_filter = Get(base + "&filter=CAT_AGE_SCREEN:AGE_35_49");
  ASSERT_EQ(by_filter.status, 200) << by_filter.body;
  json f = Body(by_filter);
  EXPECT_EQ(names(f), names(whole));
  EXPECT_DOUBLE_EQ(Total(f), Total(one));
  EXPECT_LT(Total(f), Total(whole));
  // One option combo as a filter: what that combo's rows add up to.
  json co = Body(Get(base + "&dimension=co"));
  ASSERT_FALSE(co["rows"].empty());
  const std::string coc = co["rows"][0][1];
  double share = 0;
  for (const auto& row : co["rows"])
    if (row[1] == coc) share += std::stod(row.back().get<std::string>());
  auto by_co = Get(base + "&filter=co:" + coc);
  ASSERT_EQ(by_co.status, 200) << by_co.body;
  json c = Body(by_co);
  EXPECT_EQ(names(c), names(whole));
  EXPECT_DOUBLE_EQ(Total(c), share);
  EXPECT_EQ(c["metaData"]["dimensions"]["co"], json::array({coc})) << c["metaData"].dump();
  // Bad input names what is wrong.
  auto bad = Get(base + "&filter=co");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("co:"), std::string::npos) << bad.body;
  bad = Get(base + "&filter=co:NOT_A_COMBO");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("NOT_A_COMBO"), std::string::npos) << bad.body;
  bad = Get(base + "&filter=CAT_AGE_SCREEN:SEX_M");
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("SEX_M"), std::string::npos) << bad.body;
}

TEST(Dhis2AnalyticsHttpTest, OutputIdSchemeRenamesItems) {
  const std::string q = "/api/analytics?dimension=dx:TC_DONE&dimension=pe:2023&dimension=ou:1506";
  json code = Body(Get(q + "&outputIdScheme=CODE"));
  ASSERT_FALSE(code["rows"].empty());
  EXPECT_EQ(code["rows"][0][0], "TC_DONE");
  EXPECT_EQ(code["rows"][0][2], "1506");
  EXPECT_EQ(code["metaData"]["dimensions"]["dx"][0], "TC_DONE");
  EXPECT_TRUE(code["metaData"]["items"].contains("TC_DONE"));
  json name = Body(Get(q + "&outputIdScheme=NAME"));
  EXPECT_EQ(name["rows"][0][0], code["metaData"]["items"]["TC_DONE"]["name"]);
  EXPECT_EQ(Get(q + "&outputIdScheme=SHORTNAME_PLEASE").status, 409);
  auto xlsx =
      Get("/api/analytics.xlsx?dimension=dx:TC_DONE&dimension=co&dimension=pe:2019"
          "&dimension=ou:150624");
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");  // a zip: the workbook
}

}  // namespace
}  // namespace weijian::http
