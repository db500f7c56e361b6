// DHIS2 collections kept as documents (option sets and options, legend sets, attributes and
// attribute values, groups and group sets, org unit levels): imported from a bundle in DHIS2's
// shapes (tests/dhis2/metadata_option_legend_groups.json, modelled on dhis2-core's
// dxf2/favorites/legends.json and dxf2/attribute/de_with_attribute.json), exported, imported
// again with no change; values outside a data element's option set refused; bad input refused
// naming the field and row. Also DHIS2's list parameters (metadata/list_query.h) and a key
// given twice in a data value set.
#include <gtest/gtest.h>

#include <fstream>

#include "exchange/data_values.h"
#include "exchange/import.h"
#include "metadata/bundle.h"
#include "metadata/documents.h"
#include "metadata/list_query.h"
#include "unit/test_support.h"

namespace weijian::metadata {
namespace {

using weijian::testing::Dhis2Fixture;

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

class Dhis2DocumentsTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = MakeOrdosStore(dir_.File("d.db"), false); }
  std::shared_ptr<const Catalog> Cat() { return *Catalog::Load(*store_); }
  Result<MetadataImportReport> Import(const json& bundle, MetadataImportOptions o = {}) {
    return ImportMetadata(bundle, *Cat(), *store_, o);
  }
  // The parts of an export this suite is about.
  json Exported() {
    json all = ExportMetadata(*Cat());
    json out;
    for (const auto& c : DocumentCollections()) out[c] = all[c];
    for (const auto& de : all["dataElements"])
      if (de["id"] == "DeTbResult1" || de["id"] == "DeTbScreen1") out["dataElements"].push_back(de);
    return out;
  }
  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(Dhis2DocumentsTest, StoredExportedAndImportedAgainWithoutChange) {
  auto r = Import(json::parse(Dhis2Fixture("metadata_option_legend_groups.json")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json report = r->ToJson();
  // Nothing is left out any more: no W_NOT_STORED warning for these collections.
  for (const auto& w : report.value("warnings", json::array()))
    EXPECT_NE(w["errorCode"], "W_NOT_STORED") << w.dump();
  std::map<std::string, int> created;
  for (const auto& t : report["typeReports"])
    created[t["klass"].get<std::string>()] = t["stats"]["created"].get<int>();
  EXPECT_EQ(created["optionSets"], 1);
  EXPECT_EQ(created["options"], 3);
  EXPECT_EQ(created["legendSets"], 1);
  EXPECT_EQ(created["attributes"], 1);
  EXPECT_EQ(created["dataElementGroups"], 1);
  EXPECT_EQ(created["dataElementGroupSets"], 1);
  EXPECT_EQ(created["indicatorGroups"], 1);
  EXPECT_EQ(created["organisationUnitGroupSets"], 1);
  EXPECT_EQ(created["categoryOptionGroups"], 1);
  EXPECT_EQ(created["categoryOptionGroupSets"], 1);
  EXPECT_EQ(created["organisationUnitLevels"], 3);

  json first = Exported();
  // DHIS2's shapes, references as {"id": uid}.
  ASSERT_EQ(first["legendSets"].size(), 1u);
  const json& legends = first["legendSets"][0]["legends"];
  ASSERT_EQ(legends.size(), 3u);
  EXPECT_EQ(legends[1]["color"], "#FFFF00");
  EXPECT_EQ(legends[1]["startValue"], 60.0);
  EXPECT_EQ(legends[1]["endValue"], 90.0);
  EXPECT_TRUE(legends[2]["id"].is_string());  // a legend without id gets a stable one
  const json& group = first["dataElementGroups"][0];
  EXPECT_EQ(group["dataElements"], json::parse(R"([{"id":"DeTbResult1"},{"id":"DeTbScreen1"}])"));
  EXPECT_EQ(first["organisationUnitLevels"][2]["level"], 3);
  EXPECT_EQ(first["attributes"][0]["dataElementAttribute"], true);
  EXPECT_FALSE(first["attributes"][0].contains("sharing"));
  json de;
  for (const auto& d : first["dataElements"])
    if (d["id"] == "DeTbResult1") de = d;
  EXPECT_EQ(de["optionSet"], json::parse(R"({"id":"OsSputum001"})"));
  EXPECT_EQ(de["legendSets"], json::parse(R"([{"id":"LsTbRate002"}])"));
  EXPECT_EQ(de["attributeValues"],
            json::parse(R"([{"value":"TB-0301","attribute":{"id":"AtNhcCode01"}}])"));
  EXPECT_EQ(Cat()->OptionSetOf("DeTbResult1")->codes,
            (std::vector<std::string>{"NEG", "POS", "NA"}));

  // The export imported again: everything updated, nothing created, nothing different.
  json again = ExportMetadata(*Cat());
  auto r2 = Import(again);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->created, 0) << r2->ToJson().dump(1);
  EXPECT_EQ(Exported(), first);
}

TEST_F(Dhis2DocumentsTest, ValuesOutsideTheOptionSetAreRefusedNamingRowAndField) {
  ASSERT_TRUE(Import(json::parse(Dhis2Fixture("metadata_option_legend_groups.json"))).ok());
  auto cat = Cat();
  exchange::DataValueService values(*store_);
  exchange::ImportOptions o;
  o.user = "tester";
  ASSERT_TRUE(exchange::ParseImportOption(o, "idScheme", "code").ok());
  const std::string payload = R"({"dataSet":"DS_TB_RESULT","period":"202401","orgUnit":"150624100",
    "dataValues":[{"dataElement":"TB_SPUTUM_RESULT","value":"POS"},
                  {"dataElement":"TB_SPUTUM_RESULT","value":"阳性","orgUnit":"150624100"}]})";
  auto s = exchange::ImportDataValues(exchange::OpenString(payload), exchange::ImportFormat::kJson,
                                      o, *cat, values);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  json j = s->ToJson();
  ASSERT_EQ(j["conflicts"].size(), 1u) << j.dump(1);
  const json& c = j["conflicts"][0];
  EXPECT_NE(c.dump().find("阳性"), std::string::npos) << c.dump();
  EXPECT_NE(c.dump().find("POS"), std::string::npos) << c.dump();  // the allowed codes
  EXPECT_EQ(c["property"], "value") << c.dump();
  EXPECT_EQ(c["indexes"], json::array({1})) << c.dump();  // the row
  // A single entry is refused the same way.
  exchange::DataValueInput in;
  in.data_element = "DeTbResult1";
  in.period = "202401";
  in.org_unit = cat->OrgUnits().ByCode("150624100")->uid;
  in.value = "maybe";
  auto one = values.Resolve(*cat, in, {}, false);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kConflict);
  EXPECT_EQ(one.status().field(), "value");
  in.value = "NEG";
  EXPECT_TRUE(values.Resolve(*cat, in, {}, false).ok());
}

TEST_F(Dhis2DocumentsTest, BadDocumentsAreRefusedNamingFieldAndRowAndNothingIsWritten) {
  json base = json::parse(Dhis2Fixture("metadata_option_legend_groups.json"));
  struct Case {
    std::function<void(json&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](json& b) { b["legendSets"][0]["legends"][1]["startValue"] = 95.0; },
       "legendSets[0].legends[1].startValue"},
      {[](json& b) { b["legendSets"][0]["legends"][0]["color"] = "red"; },
       "legendSets[0].legends[0].color"},
      {[](json& b) {
         b["dataElementGroups"][0]["dataElements"][1] = {{"code", "NO_SUCH"}};
       },
       "dataElementGroups[0].dataElements[1]"},
      {[](json& b) { b["options"][2]["code"] = "POS"; }, "options[2].code"},
      {[](json& b) { b["options"][0].erase("code"); }, "options[0].code"},
      {[](json& b) { b["organisationUnitLevels"][1]["level"] = "二"; },
       "organisationUnitLevels[1].level"},
      {[](json& b) {
         b["dataElements"][0]["optionSet"] = {{"id", "OsMissing01"}};
       },
       "dataElements[0].optionSet"},
      {[](json& b) {
         b["dataElements"][0]["attributeValues"][0]["attribute"] = {{"id", "AtNone00001"}};
       },
       "dataElements[0].attributeValues[0].attribute"},
      {[](json& b) { b["optionSets"][0]["name"] = 7; }, "optionSets[0].name"},
  };
  for (const auto& c : cases) {
    json b = base;
    c.edit(b);
    auto r = Import(b);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
  }
  EXPECT_TRUE(Cat()->records().documents.empty());
  EXPECT_EQ(Cat()->DataElements().ByUid("DeTbResult1"), nullptr);
}

TEST_F(Dhis2DocumentsTest, UnknownDocumentFieldsAreWarningsNamingThem) {
  json b = json::parse(Dhis2Fixture("metadata_option_legend_groups.json"));
  b["optionSets"][0]["favouriteColour"] = "blue";
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json j = r->ToJson();
  EXPECT_EQ(j["status"], "WARNING");
  bool named = false;
  for (const auto& t : j["typeReports"])
    for (const auto& o : t["objectReports"])
      for (const auto& e : o["errorReports"])
        if (t["klass"] == "optionSets" && e["errorProperty"] == "favouriteColour") named = true;
  EXPECT_TRUE(named) << j.dump(1);
  EXPECT_EQ(ExportMetadata(*Cat())["optionSets"][0].count("favouriteColour"), 0u);
}

// --- DHIS2 list parameters over JSON ---

json Items() {
  return json::parse(R"([
    {"id":"a1","code":"ANC1","name":"ANC 1st visit","valueType":"INTEGER","zero":false,
     "dataElements":[{"id":"b2"}]},
    {"id":"b2","code":"anc2","name":"ANC 2nd visit","valueType":"NUMBER","sortOrder":2},
    {"id":"c3","name":"麻疹疫苗接种数","valueType":"INTEGER","sortOrder":1}
  ])");
}
std::multimap<std::string, std::string> Q(
    std::initializer_list<std::pair<const std::string, std::string>> l) {
  return std::multimap<std::string, std::string>(l);
}
std::vector<std::string> Ids(const json& body, const std::string& c = "dataElements") {
  std::vector<std::string> out;
  for (const auto& o : body[c]) out.push_back(o.value("id", ""));
  return out;
}

TEST(Dhis2ListQueryTest, FieldsSelectNestAndExpandReferences) {
  json items = Items();
  ObjectLookup lookup = [&items](const std::string& uid) -> const json* {
    for (const auto& o : items)
      if (o["id"] == uid) return &o;
    return nullptr;
  };
  auto r = ApplyListQuery(items, "dataElements", Q({{"fields", "id,displayName"}}), lookup);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["dataElements"][0], json::parse(R"({"id":"a1","displayName":"ANC 1st visit"})"));
  r = ApplyListQuery(items, "dataElements", Q({{"fields", "id,dataElements[id,name,code]"}}),
                     lookup);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["dataElements"][0]["dataElements"][0],
            json::parse(R"({"id":"b2","name":"ANC 2nd visit","code":"anc2"})"));
  r = ApplyListQuery(items, "dataElements", Q({{"fields", ":all,!dataElements,!zero"}}), lookup);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)["dataElements"][0].contains("dataElements"));
  EXPECT_TRUE((*r)["dataElements"][0].contains("valueType"));
  // Unknown properties, top level and nested, are a conflict naming them.
  r = ApplyListQuery(items, "dataElements", Q({{"fields", "id,colour"}}), lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(r.status().field(), "fields");
  EXPECT_NE(r.status().message().find("colour"), std::string::npos);
  r = ApplyListQuery(items, "dataElements", Q({{"fields", "id,dataElements[id,colour]"}}), lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dataElements.colour"), std::string::npos);
  EXPECT_FALSE(ApplyListQuery(items, "dataElements", Q({{"fields", "id,dataElements[id"}})).ok());
  // One object.
  auto one = SelectFields(items[0], "name,code");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, json::parse(R"({"name":"ANC 1st visit","code":"ANC1"})"));
}

// DHIS2's field transformers (docs: metadata.md, "Field transformers"): ~rename(name), ~size,
// ~isEmpty, ~isNotEmpty, ~pluck(property); after a plain or a nested property.
TEST(Dhis2ListQueryTest, FieldTransformersRenameCountAndPluck) {
  json items = Items();
  auto r = ApplyListQuery(items, "dataElements",
                          Q({{"fields",
                              "id~rename(uid),name~rename(label),"
                              "code~isEmpty,dataElements~pluck"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["dataElements"][0],
            json::parse(R"({"uid":"a1","label":"ANC 1st visit","dataElements":["b2"],)"
                        R"("code":false})"))
      << (*r)["dataElements"][0].dump();
  r = ApplyListQuery(items, "dataElements", Q({{"fields", "id,dataElements~size~rename(count)"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["dataElements"][0], json::parse(R"({"id":"a1","count":1})"));
  r = ApplyListQuery(items, "dataElements",
                     Q({{"fields", "id,dataElements[id]~rename(elements),name~isNotEmpty"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["dataElements"][0],
            json::parse(R"({"id":"a1","elements":[{"id":"b2"}],"name":true})"));
  // An unknown transformer, or rename without a name, is a conflict naming it.
  for (const char* bad : {"id~shout", "id~rename", "id~rename()"}) {
    auto b = ApplyListQuery(items, "dataElements", Q({{"fields", bad}}));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().field(), "fields");
    EXPECT_NE(b.status().message().find(std::string(bad).substr(3)), std::string::npos)
        << b.status().message();
  }
}

TEST(Dhis2ListQueryTest, FiltersAndJunctions) {
  json items = Items();
  auto ids = [&](std::multimap<std::string, std::string> q) {
    auto r = ApplyListQuery(items, "dataElements", q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Ids(*r) : std::vector<std::string>{"error"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(Q({{"filter", "valueType:eq:INTEGER"}})), (V{"a1", "c3"}));
  EXPECT_EQ(ids(Q({{"filter", "valueType:ne:INTEGER"}})), (V{"b2"}));
  EXPECT_EQ(ids(Q({{"filter", "name:like:ANC"}})), (V{"a1", "b2"}));
  EXPECT_EQ(ids(Q({{"filter", "name:like:anc"}})), V{});
  EXPECT_EQ(ids(Q({{"filter", "code:ilike:anc"}})), (V{"a1", "b2"}));
  EXPECT_EQ(ids(Q({{"filter", "name:startsWith:麻疹"}})), (V{"c3"}));
  EXPECT_EQ(ids(Q({{"filter", "id:in:[a1,c3]"}})), (V{"a1", "c3"}));
  EXPECT_EQ(ids(Q({{"filter", "code:null"}})), (V{"c3"}));
  EXPECT_EQ(ids(Q({{"filter", "code:!null"}})), (V{"a1", "b2"}));
  EXPECT_EQ(ids(Q({{"filter", "sortOrder:gt:1"}})), (V{"b2"}));
  EXPECT_EQ(ids(Q({{"filter", "dataElements.id:eq:b2"}})), (V{"a1"}));
  // Several filters are ANDed; rootJunction=OR joins them with or.
  EXPECT_EQ(ids(Q({{"filter", "valueType:eq:INTEGER"}, {"filter", "code:!null"}})), (V{"a1"}));
  EXPECT_EQ(ids(Q({{"filter", "valueType:eq:NUMBER"},
                   {"filter", "name:startsWith:麻疹"},
                   {"rootJunction", "OR"}})),
            (V{"b2", "c3"}));
  auto bad = ApplyListQuery(items, "dataElements", Q({{"filter", "name:almost:ANC"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kConflict);
  EXPECT_EQ(bad.status().field(), "filter");
  EXPECT_NE(bad.status().message().find("almost"), std::string::npos);
  bad = ApplyListQuery(items, "dataElements", Q({{"filter", "colour:eq:red"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("colour"), std::string::npos);
}

TEST(Dhis2ListQueryTest, OrderAndPaging) {
  json items = Items();
  auto r = ApplyListQuery(items, "dataElements", Q({{"order", "sortOrder:asc"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"c3", "b2", "a1"}));  // missing values last
  r = ApplyListQuery(items, "dataElements", Q({{"order", "code:idesc"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"b2", "a1", "c3"}));
  r = ApplyListQuery(items, "dataElements", Q({{"order", "id:desc"}, {"pageSize", "2"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"c3", "b2"}));
  EXPECT_EQ((*r)["pager"]["page"], 1);
  EXPECT_EQ((*r)["pager"]["pageCount"], 2);
  EXPECT_EQ((*r)["pager"]["total"], 3);
  EXPECT_EQ((*r)["pager"]["pageSize"], 2);
  r = ApplyListQuery(items, "dataElements",
                     Q({{"order", "id:desc"}, {"pageSize", "2"}, {"page", "2"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"a1"}));
  r = ApplyListQuery(items, "dataElements", Q({{"paging", "false"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains("pager"));
  EXPECT_EQ((*r)["dataElements"].size(), 3u);
  for (auto q : {Q({{"page", "0"}}), Q({{"pageSize", "x"}}), Q({{"paging", "maybe"}}),
                 Q({{"order", "name:sideways"}}), Q({{"order", "colour:asc"}})}) {
    auto bad = ApplyListQuery(items, "dataElements", q);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kConflict);
    EXPECT_EQ(bad.status().field(), q.begin()->first);
  }
}

}  // namespace
}  // namespace weijian::metadata
