// DHIS2's data value set shapes, read from the project's fixtures in tests/dhis2/ (written in the
// shapes DHIS2's docs and tests use): DXF2 XML, the docs' CSV (quoted, "timestamp", short rows), a
// header-less CSV and JSON carry the same five values and must leave the same table behind; the
// further import options are honoured or noted; DHIS2's boolean spellings are read.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::exchange {
namespace {

using weijian::testing::Dhis2Fixture;

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

json Bundle() {
  json bundle = weijian::testing::DemoMetadataBundle();
  for (auto& ds : bundle["dataSets"])
    if (ds["code"] == "DS_VILLAGE_MONTHLY")
      ds["organisationUnits"] = json::parse(
          R"([{"code":"150624100001"},{"code":"150624100002"},{"code":"150624101001"}])");
  return bundle;
}

// Every stored value as text, sorted: equal tables give equal strings.
std::string Table(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT de.code, p.iso, ou.code, coc.name, aoc.name, v.value, v.comment,"
                     " v.followup, v.deleted FROM data_value v"
                     " JOIN data_element de ON de.id = v.data_element_id"
                     " JOIN period p ON p.id = v.period_id"
                     " JOIN org_unit ou ON ou.id = v.org_unit_id"
                     " JOIN category_option_combo coc ON coc.id = v.coc_id"
                     " JOIN category_option_combo aoc ON aoc.id = v.aoc_id"
                     " ORDER BY 1, 2, 3, 4, 5",
                     -1, &s, nullptr);
  std::string out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    for (int i = 0; i < 9; ++i) {
      const unsigned char* t = sqlite3_column_text(s, i);
      out += t ? reinterpret_cast<const char*>(t) : "∅";
      out += '|';
    }
    out += '\n';
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// A fresh store with the demo metadata.
struct Fresh {
  Fresh() {
    path = dir.File("x.db");
    store = MakeOrdosStore(path, false);
    auto empty = metadata::Catalog::Load(*store);
    EXPECT_TRUE(metadata::ImportMetadata(Bundle(), **empty, *store).ok());
    cat = *metadata::Catalog::Load(*store);
    values = std::make_unique<DataValueService>(*store);
  }
  Result<ImportSummary> Import(ImportFormat f, const std::string& payload,
                               std::vector<std::pair<std::string, std::string>> opts) {
    ImportOptions o;
    o.user = "tester";
    for (const auto& [k, v] : opts) WJ_RETURN_IF_ERROR(ParseImportOption(o, k, v));
    return ImportDataValues(OpenString(payload), f, o, *cat, *values);
  }
  std::string Export(ImportFormat f, std::vector<std::pair<std::string, std::string>> opts) {
    ExportOptions o;
    o.format = f;
    for (const auto& [k, v] : opts) EXPECT_TRUE(ParseExportOption(o, k, v).ok()) << k;
    std::string out;
    Status s = ExportDataValues(o, *cat, *values, [&](std::string_view c) { out.append(c); });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  TempDir dir;
  std::string path;
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const metadata::Catalog> cat;
  std::unique_ptr<DataValueService> values;
};

const std::vector<std::pair<std::string, std::string>> kByCode = {
    {"idScheme", "code"}, {"categoryOptionComboIdScheme", "name"}};

TEST(Dhis2ExchangeTest, FixturesInEveryDhis2ShapeStoreTheSameValues) {
  struct Case {
    const char* file;
    ImportFormat format;
  };
  std::string expected;
  for (Case c : {Case{"datavalueset_village_2021q1.json", ImportFormat::kJson},
                 Case{"datavalueset_village_2021q1.xml", ImportFormat::kXml},
                 Case{"datavalueset_docs_style.csv", ImportFormat::kCsv},
                 Case{"datavalueset_no_header.csv", ImportFormat::kCsv}}) {
    Fresh f;
    auto r = f.Import(c.format, Dhis2Fixture(c.file), kByCode);
    ASSERT_TRUE(r.ok()) << c.file << ": " << r.status().ToString();
    EXPECT_EQ(r->status, "SUCCESS") << c.file << ": " << r->ToJson().dump(1);
    EXPECT_EQ(r->counts.imported, 5) << c.file;
    EXPECT_EQ(r->rows, 5) << c.file;
    std::string table = Table(f.path);
    if (expected.empty()) {
      expected = table;
      EXPECT_NE(expected.find("VC_VISITS|202102|150624100001|default|default|102||1|0|"),
                std::string::npos)
          << expected;
      EXPECT_NE(expected.find("<补报> & 核对"), std::string::npos) << expected;
    }
    EXPECT_EQ(table, expected) << c.file;
  }
}

TEST(Dhis2ExchangeTest, XmlIsSniffedAndAdxSentAsApplicationXmlIsReadAsAdx) {
  EXPECT_EQ(SniffFormat(Dhis2Fixture("datavalueset_village_2021q1.xml")), ImportFormat::kXml);
  EXPECT_EQ(SniffFormat(R"(<adx xmlns="urn:ihe:qrph:adx:2015">)"), ImportFormat::kAdx);
  EXPECT_EQ(*FormatFromContentType("application/xml; charset=UTF-8"), ImportFormat::kXml);
  EXPECT_EQ(*FormatFromContentType("text/xml"), ImportFormat::kXml);
  Fresh f;
  auto r = f.Import(
      ImportFormat::kXml,
      R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2021-05-01/P1M"><dataValue dataElement="VC_VISITS" value="5"/></group></adx>)",
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "adx");
  EXPECT_EQ(r->counts.imported, 1);
}

TEST(Dhis2ExchangeTest, XmlExportHasDhis2sShapeAndRoundTrips) {
  Fresh a;
  ASSERT_EQ(a.Import(ImportFormat::kXml, Dhis2Fixture("datavalueset_village_2021q1.xml"), kByCode)
                ->status,
            "SUCCESS");
  // One set, one period, one unit: all three at the top, as DHIS2 writes it.
  std::string one = a.Export(ImportFormat::kXml, {{"dataSet", "DS_VILLAGE_MONTHLY"},
                                                  {"period", "202101"},
                                                  {"orgUnit", "150624100001"},
                                                  {"idScheme", "code"}});
  EXPECT_NE(
      one.find(
          R"(<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="DS_VILLAGE_MONTHLY" period="202101" orgUnit="150624100001">)"),
      std::string::npos)
      << one;
  EXPECT_NE(
      one.find(
          R"(<dataValue dataElement="VC_VISITS" period="202101" orgUnit="150624100001" categoryOptionCombo=")"),
      std::string::npos)
      << one;
  EXPECT_NE(one.find(R"(comment="含巡诊" followup="false"/>)"), std::string::npos) << one;
  json j = json::parse(a.Export(
      ImportFormat::kJson,
      {{"dataSet", "DS_VILLAGE_MONTHLY"}, {"period", "202101"}, {"orgUnit", "150624100001"}}));
  EXPECT_EQ(j["period"], "202101");
  EXPECT_EQ(j["orgUnit"], a.cat->OrgUnits().ByCode("150624100001")->uid);
  // The whole quarter as XML with uids, into a fresh store: the same table.
  std::string all = a.Export(ImportFormat::kXml, {{"dataSet", "DS_VILLAGE_MONTHLY"},
                                                  {"startDate", "2021-01-01"},
                                                  {"endDate", "2021-03-31"},
                                                  {"orgUnit", "150624100"},
                                                  {"children", "true"}});
  const std::string root = all.substr(0, all.find('>', all.find("<dataValueSet")));
  EXPECT_EQ(root.find("period="), std::string::npos) << "no header period for many: " << root;
  Fresh b;
  auto r = b.Import(ImportFormat::kXml, all, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->counts.imported, 5) << r->ToJson().dump(1);
  EXPECT_EQ(Table(b.path), Table(a.path));
}

TEST(Dhis2ExchangeTest, BadXmlIsRefusedWholeNamingWhereItBroke) {
  Fresh f;
  struct Bad {
    std::string payload;
    const char* message;
  };
  for (const Bad& bad : {
           Bad{"", "empty"},
           Bad{R"(<dataValueSet xmlns="http://example.org/other"><dataValue/></dataValueSet>)",
               "not a DHIS2 DXF2"},
           Bad{R"(<dataValues xmlns="http://dhis2.org/schema/dxf/2.0"></dataValues>)",
               "not <dataValueSet>"},
           Bad{R"(<dataValueSet><dataValue dataElement="VC_VISITS" period="202101")", "ends"},
           Bad{R"(<dataValueSet><dataValue dataElement="VC_VISITS" value="1"></dataValueSet>)",
               "closes"},
           Bad{R"(<dataValueSet><dataValue dataElement="VC_VISITS" value=1/></dataValueSet>)",
               "not well-formed"},
           Bad{"<dataValueSet><dataValue dataElement=\"VC_VISITS\" "
               "comment=\"\xff\"/></dataValueSet>",
               "UTF-8"},
       }) {
    std::string before = Table(f.path);
    auto r = f.Import(ImportFormat::kXml, bad.payload, kByCode);
    ASSERT_FALSE(r.ok()) << bad.payload;
    EXPECT_NE(r.status().message().find(bad.message), std::string::npos)
        << bad.payload << " → " << r.status().message();
    EXPECT_EQ(Table(f.path), before);
  }
}

TEST(Dhis2ExchangeTest, XmlRowsWithProblemsAreConflictsWithTheirIndex) {
  Fresh f;
  auto r = f.Import(ImportFormat::kXml,
                    R"(<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" orgUnit="150624100001">
  <dataValue dataElement="VC_VISITS" period="202104" value="1"/>
  <dataValue dataElement="VC_VISITS" period="202105" value="1" followup="maybe"/>
  <dataValue dataElement="VC_VISITS" period="202106" value="1" colour="red"/>
  <dataValue dataElement="NO_SUCH" period="202106" value="1"/>
</dataValueSet>)",
                    {{"idScheme", "code"}, {"atomicMode", "NONE"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->counts.imported, 1);
  ASSERT_EQ(r->conflicts.size(), 3u) << r->ToJson().dump(1);
  EXPECT_EQ(r->conflicts[0].property, "followup");
  EXPECT_EQ(r->conflicts[0].indexes, std::vector<std::int64_t>{1});
  EXPECT_EQ(r->conflicts[1].property, "colour");
  EXPECT_EQ(r->conflicts[2].property, "dataElement");
  EXPECT_EQ(r->conflicts[2].indexes, std::vector<std::int64_t>{3});
}

TEST(Dhis2ExchangeTest, Dhis2BooleanSpellings) {
  for (const char* t : {"true", "TRUE", "True", "t", "T", "1", "yes", "on", "Y"})
    EXPECT_EQ(ParseDhis2Bool(t), true) << t;
  for (const char* f : {"false", "FALSE", "f", "F", "0", "no", "off", "N"})
    EXPECT_EQ(ParseDhis2Bool(f), false) << f;
  for (const char* x : {"", "2", "tru", "maybe"}) EXPECT_EQ(ParseDhis2Bool(x), std::nullopt) << x;
  ImportOptions o;
  EXPECT_TRUE(ParseImportOption(o, "dryRun", "t").ok());
  EXPECT_TRUE(o.dry_run);
  EXPECT_TRUE(ParseImportOption(o, "dryRun", "F").ok());
  EXPECT_FALSE(o.dry_run);
  EXPECT_FALSE(ParseImportOption(o, "dryRun", "maybe").ok());
}

TEST(Dhis2ExchangeTest, DocumentedOptionsAreHonouredOrNoted) {
  ImportOptions o;
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"importReportMode", "ERRORS"},
                                                        {"skipAudit", "true"},
                                                        {"skipExistingCheck", "true"},
                                                        {"preheatCache", "false"},
                                                        {"strictPeriods", "true"},
                                                        {"strictCategoryOptionCombos", "false"},
                                                        {"strictAttributeOptionCombos", "f"},
                                                        {"strictOrganisationUnits", "true"},
                                                        {"strictDataElements", "true"},
                                                        {"force", "true"},
                                                        {"async", "false"},
                                                        {"format", "xml"},
                                                        {"dataSet", "DS_VILLAGE_MONTHLY"},
                                                        {"requireCategoryOptionCombo", "true"}})
    EXPECT_TRUE(ParseImportOption(o, k, v).ok()) << k;
  EXPECT_FALSE(ParseImportOption(o, "importReportMode", "SOME").ok());
  EXPECT_FALSE(ParseImportOption(o, "strictPeriods", "perhaps").ok());
  EXPECT_FALSE(ParseImportOption(o, "noSuchOption", "true").ok());
  EXPECT_EQ(o.format, ImportFormat::kXml);
  // The ones that relax a check or skip something weijian always does are noted, the rest not.
  std::string notes;
  for (const auto& n : o.notes) notes += n + "\n";
  for (const char* k :
       {"importReportMode=ERRORS", "skipAudit=true", "skipExistingCheck=true",
        "strictCategoryOptionCombos=false", "strictAttributeOptionCombos=f", "force=true"})
    EXPECT_NE(notes.find(k), std::string::npos) << k << "\n" << notes;
  for (const char* k : {"strictPeriods", "preheatCache=false", "strictDataElements"})
    EXPECT_EQ(notes.find(k), std::string::npos) << k << "\n" << notes;

  Fresh f;
  const std::string csv =
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
      "VC_VISITS,202107,150624100001,default,,1\n"
      "VC_VISITS,202108,150624100001,,,2\n";
  auto r = f.Import(ImportFormat::kJson, csv,  // format=csv wins over the caller's format
                    {{"idScheme", "code"},
                     {"categoryOptionComboIdScheme", "name"},
                     {"format", "csv"},
                     {"requireCategoryOptionCombo", "true"},
                     {"skipAudit", "true"},
                     {"atomicMode", "NONE"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->counts.imported, 1) << r->ToJson().dump(1);
  ASSERT_EQ(r->conflicts.size(), 1u);
  EXPECT_EQ(r->conflicts[0].property, "categoryOptionCombo");
  EXPECT_EQ(r->conflicts[0].indexes, std::vector<std::int64_t>{1});
  json j = r->ToJson();
  ASSERT_TRUE(j.contains("notes"));
  EXPECT_NE(j["notes"][0].get<std::string>().find("skipAudit"), std::string::npos);
  auto unknown_set = f.Import(ImportFormat::kCsv, csv, {{"dataSet", "NO_SUCH_SET"}});
  ASSERT_FALSE(unknown_set.ok());
  EXPECT_EQ(unknown_set.status().field(), "dataSet");
}

TEST(Dhis2ExchangeTest, CsvShortRowsFirstRowIsHeaderAndDataSetColumn) {
  Fresh f;
  auto r = f.Import(ImportFormat::kCsv,
                    "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,"
                    "timestamp,comment,followup,dataSet\n"
                    "VC_VISITS,202109,150624100001,,,9\n"
                    "VC_VISITS,202110,150624100001,,,10,admin,2021-11-01,说明,T,"
                    "DS_VILLAGE_MONTHLY\n"
                    "VC_VISITS,202111,150624100001,,,11,,,,,,extra\n",
                    {{"idScheme", "code"}, {"atomicMode", "NONE"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->counts.imported, 2) << r->ToJson().dump(1);
  ASSERT_EQ(r->conflicts.size(), 1u);  // the row longer than the header
  EXPECT_EQ(r->conflicts[0].indexes, std::vector<std::int64_t>{2});
  auto v = f.values->Get(*f.cat, {"VC_VISITS", "202110", "150624100001", "", "", "", "", {}});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->followup);
  EXPECT_EQ(v->comment, "说明");
  // firstRowIsHeader=false: a first row that looks like a header is a (bad) value row.
  auto positional = f.Import(ImportFormat::kCsv,
                             "VC_VISITS,202112,150624100001,,,12\n"
                             "VC_VISITS,202201,150624100001,,,13\n",
                             {{"idScheme", "code"}, {"firstRowIsHeader", "false"}});
  ASSERT_TRUE(positional.ok()) << positional.status().ToString();
  EXPECT_EQ(positional->counts.imported, 2);
}

}  // namespace
}  // namespace weijian::exchange

namespace weijian::exchange {
namespace {

// The demo metadata plus a data set with an attribute combo (资金来源) and a disaggregation
// (城乡) whose categories and some options have no code, as is common in DHIS2 metadata.
struct AdxFresh : Fresh {
  AdxFresh() {
    std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/tests/dhis2/metadata_adx_categories.json");
    auto r = metadata::ImportMetadata(json::parse(in), *cat, *store);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    cat = *metadata::Catalog::Load(*store);
  }
  std::string Coc(const char* combo, const char* name) {
    for (const auto* c : cat->CombosOf(combo))
      if (c->name == name) return c->uid;
    ADD_FAILURE() << name;
    return "";
  }
};

const std::vector<std::pair<std::string, std::string>> kFundMay = {
    {"dataSet", "DS_FUND"}, {"period", "202105"}, {"orgUnit", "150624100001"}};

TEST(Dhis2AdxTest, CategoriesWithoutCodesAttributeCombosAndTextValuesRoundTrip) {
  AdxFresh a;
  const std::string gov = a.Coc("CcFund00001", "财政拨款");
  json payload = {{"dataSet", "DsFund00001"},
                  {"period", "202105"},
                  {"orgUnit", a.cat->OrgUnits().ByCode("150624100001")->uid},
                  {"attributeOptionCombo", gov},
                  {"dataValues",
                   {{{"dataElement", "DeAreaVis01"},
                     {"categoryOptionCombo", a.Coc("CcArea00001", "城镇")},
                     {"value", "40"},
                     {"comment", "含义诊"}},
                    {{"dataElement", "DeAreaVis01"},
                     {"categoryOptionCombo", a.Coc("CcArea00001", "农村")},
                     {"value", "60"}},
                    {{"dataElement", "DeFundNote1"}, {"value", "专项资金 <按月> 拨付"}}}}};
  auto seeded = a.Import(ImportFormat::kJson, payload.dump(), {});
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  ASSERT_EQ(seeded->status, "SUCCESS") << seeded->ToJson().dump(1);

  // ADX's defaults (codes): categories without a code are named by uid, never by nothing.
  std::string adx = a.Export(ImportFormat::kAdx, kFundMay);
  EXPECT_EQ(adx.find("=\"\""), std::string::npos) << adx;
  EXPECT_EQ(adx.find(" =\""), std::string::npos) << adx;
  EXPECT_NE(
      adx.find("<group dataSet=\"DS_FUND\" orgUnit=\"150624100001\" period=\"2021-05-01/P1M\" "
               "CatFund0001=\"FUND_GOV\">"),
      std::string::npos)
      << adx;
  EXPECT_EQ(adx.find("attributeOptionCombo"), std::string::npos) << adx;
  EXPECT_NE(adx.find("CatArea0001=\"CoAreaTown1\" value=\"40\"><annotation>含义诊</annotation>"),
            std::string::npos)
      << adx;
  // A text value as DHIS2 writes it (adx/exportA.adx.xml): value="0", the text in <annotation>.
  EXPECT_NE(adx.find("dataElement=\"FUND_NOTE\" value=\"0\"><annotation>专项资金 &lt;按月&gt; "
                     "拨付</annotation></dataValue>"),
            std::string::npos)
      << adx;
  // categoryIdScheme / categoryOptionIdScheme: named as asked.
  auto by_name = kFundMay;
  by_name.push_back({"categoryIdScheme", "name"});
  by_name.push_back({"categoryOptionIdScheme", "name"});
  std::string named = a.Export(ImportFormat::kAdx, by_name);
  EXPECT_NE(named.find("资金来源=\"财政拨款\""), std::string::npos) << named;
  EXPECT_NE(named.find("城乡=\"农村\" value=\"60\""), std::string::npos) << named;
  auto uids = kFundMay;
  uids.push_back({"idScheme", "uid"});
  std::string by_uid = a.Export(ImportFormat::kAdx, uids);
  EXPECT_NE(by_uid.find("dataSet=\"DsFund00001\""), std::string::npos) << by_uid;
  EXPECT_NE(by_uid.find("CatFund0001=\"CoFundGov01\""), std::string::npos) << by_uid;

  // Each export reads back into a fresh store as the same table.
  for (const auto& [text, opts] :
       std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>{
           {adx, {}},
           {named, {{"categoryIdScheme", "name"}, {"categoryOptionIdScheme", "name"}}},
           {by_uid, {{"idScheme", "uid"}}}}) {
    AdxFresh b;
    auto r = b.Import(ImportFormat::kAdx, text, opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
    EXPECT_EQ(r->status, "SUCCESS") << r->ToJson().dump(1) << "\n" << text;
    EXPECT_EQ(r->counts.imported, 3);
    EXPECT_EQ(Table(b.path), Table(a.path)) << text;
  }
}

}  // namespace
}  // namespace weijian::exchange
