// Data value set imports and exports: every format, option and bad input of the exchange issue,
// each checked against a count and a checksum of the data value table.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::exchange {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

json DemoBundle() {
  json bundle = weijian::testing::DemoMetadataBundle();
  bundle["organisationUnits"] = json::parse(
      R"([{"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"}])");
  for (auto& ds : bundle["dataSets"]) {
    if (ds["code"] == "DS_TOWNSHIP_MONTHLY")
      ds["organisationUnits"] = json::parse(R"([{"code":"150624100H01"}])");
    if (ds["code"] == "DS_VILLAGE_MONTHLY")
      ds["organisationUnits"] = json::parse(
          R"([{"code":"150624100001"},{"code":"150624100002"},{"code":"150624101001"}])");
  }
  return bundle;
}

// A count and an order-independent checksum of every stored value, deleted or not.
std::pair<long long, std::size_t> Fingerprint(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(
      db,
      "SELECT data_element_id, period_id, org_unit_id, coc_id, aoc_id, value, comment,"
      " followup, deleted FROM data_value",
      -1, &s, nullptr);
  long long n = 0;
  std::size_t sum = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < 9; ++i) {
      const unsigned char* t = sqlite3_column_text(s, i);
      row += t ? reinterpret_cast<const char*>(t) : "∅";
      row += '|';
    }
    sum += std::hash<std::string>{}(row);
    ++n;
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return {n, sum};
}

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("x.db");
    store_ = MakeOrdosStore(path_, false);
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(DemoBundle(), **empty, *store_).ok());
    cat_ = *metadata::Catalog::Load(*store_);
    values_ = std::make_unique<DataValueService>(*store_);
    // A base of stored values so that "nothing changed" is a real check.
    auto base = Import(ImportFormat::kCsv,
                       "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,"
                       "lastupdated,comment,followup\n"
                       "VC_VISITS,202301,150624100001,,,120,,,,\n"
                       "VC_VISITS,202302,150624100001,,,130,,,二月,true\n",
                       {{"idScheme", "code"}});
    ASSERT_TRUE(base.ok()) << base.status().ToString();
    ASSERT_EQ(base->status, "SUCCESS") << base->ToJson().dump();
  }

  Result<ImportSummary> Import(ImportFormat f, const std::string& payload,
                               std::vector<std::pair<std::string, std::string>> opts = {}) {
    ImportOptions o;
    o.user = "tester";
    for (const auto& [k, v] : opts) {
      Status s = ParseImportOption(o, k, v);
      if (!s.ok()) return s;
    }
    return ImportDataValues(OpenString(payload), f, o, *cat_, *values_);
  }

  std::string Coc(const char* element, int i) {
    return cat_->CombosOf(cat_->DataElements().ByCode(element)->combo_uid)[i]->uid;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<DataValueService> values_;
};

TEST_F(ExchangeTest, JsonImportWithHeaderDefaultsAndUidScheme) {
  const auto* de = cat_->DataElements().ByCode("VC_VISITS");
  const auto* ou = cat_->OrgUnits().ByCode("150624100002");
  json payload = {
      {"dataSet", "DS_VILLAGE_MONTHLY"},
      {"period", "202303"},
      {"orgUnit", ou->uid},
      {"dataValues",
       json::array(
           {{{"dataElement", de->uid}, {"value", "77"}, {"comment", "抽查"}, {"followup", true}},
            {{"dataElement", de->uid}, {"period", "202304"}, {"value", 78}}})}};
  auto r = Import(ImportFormat::kJson, payload.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "SUCCESS") << r->ToJson().dump();
  EXPECT_EQ(r->counts.imported, 2);
  DataValueInput in{"VC_VISITS", "202303", "150624100002", "", "", "", "", {}};
  auto v = values_->Get(*cat_, in);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "77");
  EXPECT_EQ(v->comment, "抽查");
  EXPECT_TRUE(v->followup);
  EXPECT_EQ(v->import_id, r->import_id);  // each value names the import that wrote it
  auto stored = FindImportSummary(*store_, r->import_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["importCount"]["imported"], 2);
  EXPECT_EQ((*stored)["importedBy"], "tester");
}

struct BadPayload {
  const char* name;
  ImportFormat format;
  std::string payload;
  const char* message;  // expected in the error
};

class BadPayloadTest : public ExchangeTest, public ::testing::WithParamInterface<BadPayload> {};

TEST_P(BadPayloadTest, IsRefusedWholeAndTheStoreIsUnchanged) {
  auto before = Fingerprint(path_);
  auto r = Import(GetParam().format, GetParam().payload, {{"idScheme", "code"}});
  ASSERT_FALSE(r.ok()) << GetParam().name << ": " << (r.ok() ? r->ToJson().dump() : "");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().message), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Fingerprint(path_), before);
}

const char* kCsvHeader =
    "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,"
    "followup\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadPayloadTest,
    ::testing::Values(
        BadPayload{
            "TruncatedJson", ImportFormat::kJson,
            R"({"dataValues":[{"dataElement":"VC_VISITS","period":"202305","orgUnit":"150624100001","value":"1"},{"dataEl)",
            "ends"},
        BadPayload{"InvalidUtf8Json", ImportFormat::kJson,
                   "{\"dataValues\":[{\"dataElement\":\"VC_VISITS\",\"period\":\"202305\","
                   "\"orgUnit\":\"150624100001\",\"value\":\"1\",\"comment\":\"\xff\xfe\"}]}",
                   "UTF-8"},
        BadPayload{"EmptyJson", ImportFormat::kJson, "", "empty"},
        BadPayload{"JsonArrayNotObject", ImportFormat::kJson, "[1,2]", "must be a JSON object"},
        BadPayload{"ValuesNotAnArray", ImportFormat::kJson, R"({"dataValues":{"a":1}})",
                   "must be an array"},
        BadPayload{"EmptyCsv", ImportFormat::kCsv, "", "empty"},
        BadPayload{"CsvWithoutValueColumn", ImportFormat::kCsv,
                   "dataelement,period,orgunit\nVC_VISITS,202305,150624100001\n",
                   "no \"value\" column"},
        BadPayload{"CsvHeaderWithAnUnknownFirstColumn", ImportFormat::kCsv,
                   "element,period,orgunit,value\nVC_VISITS,202305,150624100001,5\n",
                   "first line must be the header"},
        BadPayload{"CsvExtraQuote", ImportFormat::kCsv,
                   std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,5\"5,,,,\n", "quote"},
        BadPayload{"CsvUnclosedQuote", ImportFormat::kCsv,
                   std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,\"5,,,,\n",
                   "not closed"},
        BadPayload{"CsvInvalidUtf8", ImportFormat::kCsv,
                   std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,5,,,\xc3\x28,\n",
                   "UTF-8"},
        BadPayload{"EmptyAdx", ImportFormat::kAdx, "", "empty"},
        BadPayload{
            "AdxDraftNamespace", ImportFormat::kAdx,
            R"(<?xml version="1.0"?><adx xmlns="urn:ihe:qrph:adx:2013"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-05-01/P1M"><dataValue dataElement="VC_VISITS" value="5"/></group></adx>)",
            "not ADX 1.0"},
        BadPayload{"AdxNotXml", ImportFormat::kAdx, "dataelement,period\n", "must be XML"},
        BadPayload{
            "AdxTruncated", ImportFormat::kAdx,
            R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-05-01/P1M"><dataValue dataElem)",
            "ends"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ExchangeTest, GarbageIsRefusedInEveryFormat) {
  std::mt19937 rng(7);
  std::string garbage(1 << 20, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng());
  garbage[0] = 'x';
  auto before = Fingerprint(path_);
  for (auto f : {ImportFormat::kJson, ImportFormat::kXml, ImportFormat::kCsv, ImportFormat::kAdx})
    EXPECT_FALSE(Import(f, garbage).ok()) << ImportFormatName(f);
  EXPECT_EQ(Fingerprint(path_), before);
}

struct ConflictCase {
  const char* name;
  ImportFormat format;
  std::string payload;
  const char* property;
  const char* message;
  std::int64_t index;
};

class ConflictTest : public ExchangeTest, public ::testing::WithParamInterface<ConflictCase> {};

TEST_P(ConflictTest, AtomicImportReportsTheRowAndWritesNothing) {
  auto before = Fingerprint(path_);
  auto r = Import(GetParam().format, GetParam().payload, {{"idScheme", "code"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "ERROR");
  bool found = false;
  for (const auto& c : r->conflicts)
    if (c.property == GetParam().property &&
        c.value.find(GetParam().message) != std::string::npos) {
      found = std::find(c.indexes.begin(), c.indexes.end(), GetParam().index) != c.indexes.end();
    }
  EXPECT_TRUE(found) << r->ToJson().dump(1);
  EXPECT_EQ(r->counts.imported + r->counts.updated, 0);
  EXPECT_EQ(Fingerprint(path_), before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConflictTest,
    ::testing::Values(
        ConflictCase{"ThousandsSeparator", ImportFormat::kCsv,
                     std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,7,,,,\nVC_VISITS,"
                                               "202306,150624100001,,,\"1,234\",,,,\n",
                     "value", "thousands separators", 1},
        ConflictCase{"NegativeCount", ImportFormat::kCsv,
                     std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,-4,,,,\n", "value",
                     "must not be negative", 0},
        ConflictCase{
            "ChineseNumeral", ImportFormat::kJson,
            R"({"dataValues":[{"dataElement":"VC_VISITS","period":"202305","orgUnit":"150624100001","value":"十二"}]})",
            "value", "is not an integer", 0},
        ConflictCase{
            "Week54", ImportFormat::kJson,
            R"({"dataValues":[{"dataElement":"VC_VISITS","period":"2024W54","orgUnit":"150624100001","value":"1"}]})",
            "period", "2024 has 52 ISO weeks", 0},
        ConflictCase{"UnknownElement", ImportFormat::kCsv,
                     std::string(kCsvHeader) + "NOPE,202305,150624100001,,,1,,,,\n", "dataElement",
                     "unknown data element code NOPE", 0},
        ConflictCase{"NotAssigned", ImportFormat::kCsv,
                     std::string(kCsvHeader) + "VC_VISITS,202305,150624,,,1,,,,\n", "orgUnit",
                     "is not assigned data set", 0},
        ConflictCase{
            // A row shorter than the header is read as DHIS2 reads it: the rest is empty.
            "ShortRowLacksItsOrgUnit", ImportFormat::kCsv,
            std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,1,,,,\nVC_VISITS,202306\n",
            "orgUnit", "required", 1},
        ConflictCase{"RowLongerThanTheHeader", ImportFormat::kCsv,
                     std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,1,,,,,,x\n", "row",
                     "columns", 0},
        ConflictCase{
            "UnknownFieldInJson", ImportFormat::kJson,
            R"({"dataValues":[{"dataElement":"VC_VISITS","period":"202305","orgUnit":"150624100001","value":"1","colour":"red"}]})",
            "colour", "unknown field", 0},
        ConflictCase{
            "AdxPeriodNotAligned", ImportFormat::kAdx,
            R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-05-15/P1M"><dataValue dataElement="VC_VISITS" value="5"/></group></adx>)",
            "period", "does not start where", 0},
        ConflictCase{
            "AdxQuarterForMonthlySet", ImportFormat::kAdx,
            R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-04-01/P3M"><dataValue dataElement="VC_VISITS" value="5"/></group></adx>)",
            "period", "is reported Monthly", 0},
        ConflictCase{
            "AdxUnknownOption", ImportFormat::kAdx,
            R"(<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-05-01/P1M"><dataValue dataElement="SMI_REGISTERED" CAT_SEX="SEX_X" value="5"/></group></adx>)",
            "categoryOptionCombo", "is not an option", 0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ExchangeTest, BomAndCrlfAreFine) {
  auto r = Import(ImportFormat::kCsv,
                  "\xEF\xBB\xBF"
                  "dataelement,period,orgunit,catoptcombo,attroptcombo,value\r\n"
                  "VC_VISITS,202305,150624100001,,,41\r\nVC_VISITS,202306,150624100001,,,42\r\n",
                  {{"idScheme", "code"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "SUCCESS") << r->ToJson().dump();
  EXPECT_EQ(r->counts.imported, 2);
  auto j = Import(ImportFormat::kJson,
                  "\xEF\xBB\xBF{\r\n\"dataValues\":[{\"dataElement\":\"VC_VISITS\",\"period\":"
                  "\"202307\",\"orgUnit\":\"150624100001\",\"value\":\"43\"}]\r\n}\r\n",
                  {{"idScheme", "code"}});
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->counts.imported, 1);
}

TEST_F(ExchangeTest, DuplicateKeyInOnePayloadLastWinsWithAWarning) {
  auto r = Import(ImportFormat::kCsv,
                  std::string(kCsvHeader) +
                      "VC_VISITS,202308,150624100001,,,10,,,,\n"
                      "VC_VISITS,202309,150624100001,,,11,,,,\n"
                      "VC_VISITS,202308,150624100001,,,12,,,,\n",
                  {{"idScheme", "code"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "WARNING");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].indexes, std::vector<std::int64_t>{2});
  EXPECT_EQ(values_->Get(*cat_, {"VC_VISITS", "202308", "150624100001", "", "", "", "", {}})->value,
            "12");
}

TEST_F(ExchangeTest, AtomicNoneWritesTheGoodRows) {
  auto r =
      Import(ImportFormat::kCsv,
             std::string(kCsvHeader) +
                 "VC_VISITS,202310,150624100001,,,5,,,,\nVC_VISITS,202311,150624100001,,,x,,,,\n",
             {{"idScheme", "code"}, {"atomicMode", "NONE"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "WARNING");
  EXPECT_EQ(r->counts.imported, 1);
  ASSERT_EQ(r->conflicts.size(), 1u);
  EXPECT_EQ(r->conflicts[0].indexes, std::vector<std::int64_t>{1});
}

// The catalog an import resolves against can be older than the store: here PS_DONE was
// deleted since it was loaded (by another request or server). The store checks each batch's
// references (PostgreSQL has no foreign keys on data_value, SQLite turns its own off for
// imports): the rows naming it are one conflict with their indexes, and nothing is written;
// with atomicMode=NONE the other rows are.
TEST_F(ExchangeTest, AnElementDeletedSinceTheCatalogWasLoadedIsAConflictOfItsRows) {
  const auto* gone = cat_->DataElements().ByCode("PS_DONE");
  ASSERT_NE(gone, nullptr);
  storage::MetadataRecords sets;
  for (auto ds : cat_->records().data_sets) {
    auto& e = ds.elements;
    const auto n = e.size();
    e.erase(std::remove_if(e.begin(), e.end(),
                           [&](const auto& x) { return x.data_element_uid == gone->uid; }),
            e.end());
    if (e.size() != n) sets.data_sets.push_back(ds);
  }
  ASSERT_TRUE(store_->UpsertMetadata(sets).ok());
  ASSERT_TRUE(store_->DeleteMetadataObject("dataElements", gone->uid).ok());
  const auto before = Fingerprint(path_);
  const std::string rows = std::string(kCsvHeader) +
                           "VC_VISITS,202310,150624100001,,,5,,,,\n"
                           "PS_DONE,202310,150624100H01,,,6,,,,\n"
                           "PS_DONE,202311,150624100H01,,,7,,,,\n";
  auto all = Import(ImportFormat::kCsv, rows, {{"idScheme", "code"}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->status, "ERROR") << all->ToJson().dump();
  ASSERT_EQ(all->conflicts.size(), 1u) << all->ToJson().dump();
  EXPECT_EQ(all->conflicts[0].property, "dataElement");
  EXPECT_EQ(all->conflicts[0].object, "PS_DONE");
  EXPECT_EQ(all->conflicts[0].indexes, (std::vector<std::int64_t>{1, 2}));
  EXPECT_NE(all->conflicts[0].value.find("不存在"), std::string::npos) << all->conflicts[0].value;
  EXPECT_EQ(all->counts.imported, 0);
  EXPECT_EQ(Fingerprint(path_), before);

  auto some = Import(ImportFormat::kCsv, rows, {{"idScheme", "code"}, {"atomicMode", "NONE"}});
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ(some->status, "WARNING") << some->ToJson().dump();
  EXPECT_EQ(some->counts.imported, 1);
  EXPECT_EQ(some->counts.ignored, 2);
  ASSERT_EQ(some->conflicts.size(), 1u);
  EXPECT_EQ(some->conflicts[0].indexes, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(Fingerprint(path_).first, before.first + 1);
}

TEST_F(ExchangeTest, DryRunCountsButWritesNothing) {
  auto before = Fingerprint(path_);
  auto r =
      Import(ImportFormat::kCsv,
             std::string(kCsvHeader) +
                 "VC_VISITS,202301,150624100001,,,999,,,,\nVC_VISITS,202312,150624100001,,,5,,,,\n",
             {{"idScheme", "code"}, {"dryRun", "true"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->counts.updated, 1);
  EXPECT_EQ(r->counts.imported, 1);
  EXPECT_TRUE(r->dry_run);
  EXPECT_EQ(Fingerprint(path_), before);
  EXPECT_FALSE(FindImportSummary(*store_, r->import_id).ok());
}

TEST_F(ExchangeTest, ImportStrategies) {
  std::string rows = std::string(kCsvHeader) +
                     "VC_VISITS,202301,150624100001,,,121,,,,\n"
                     "VC_VISITS,202303,150624100001,,,300,,,,\n";
  auto create =
      Import(ImportFormat::kCsv, rows, {{"idScheme", "code"}, {"importStrategy", "CREATE"}});
  EXPECT_EQ(create->counts.imported, 1);
  EXPECT_EQ(create->counts.ignored, 1);  // 202301 exists: left alone
  EXPECT_EQ(values_->Get(*cat_, {"VC_VISITS", "202301", "150624100001", "", "", "", "", {}})->value,
            "120");
  std::string rows2 = std::string(kCsvHeader) +
                      "VC_VISITS,202301,150624100001,,,122,,,,\n"
                      "VC_VISITS,202304,150624100001,,,5,,,,\n";
  auto update =
      Import(ImportFormat::kCsv, rows2, {{"idScheme", "code"}, {"importStrategy", "UPDATE"}});
  EXPECT_EQ(update->counts.updated, 1);
  EXPECT_EQ(update->counts.ignored, 1);  // 202304 does not exist: not created
  auto del =
      Import(ImportFormat::kCsv, rows2, {{"idScheme", "code"}, {"importStrategy", "DELETE"}});
  EXPECT_EQ(del->counts.deleted, 1);
  EXPECT_EQ(values_->Get(*cat_, {"VC_VISITS", "202301", "150624100001", "", "", "", "", {}})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(Import(ImportFormat::kCsv, rows, {{"importStrategy", "MERGE"}}).ok());
}

TEST_F(ExchangeTest, IdSchemesByNameAndOutsideScope) {
  auto r = Import(ImportFormat::kCsv,
                  std::string(kCsvHeader) + "村卫生室诊疗人次,202305,都斯图社区,,,9,,,,\n",
                  {{"dataElementIdScheme", "name"}, {"orgUnitIdScheme", "name"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "SUCCESS") << r->ToJson().dump();
  ImportOptions o;
  o.schemes.data_element = IdScheme::kCode;
  o.schemes.org_unit = IdScheme::kCode;
  o.schemes.category_option_combo = IdScheme::kCode;
  o.can_write = [](std::int64_t) { return false; };
  const std::string payload = std::string(kCsvHeader) + "VC_VISITS,202305,150624100001,,,9,,,,\n";
  auto denied = ImportDataValues(OpenString(payload), ImportFormat::kCsv, o, *cat_, *values_);
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  EXPECT_EQ(denied->status, "ERROR");
  EXPECT_NE(denied->conflicts[0].value.find("outside your org units"), std::string::npos);
}

TEST_F(ExchangeTest, CompleteDateMarksTheFormComplete) {
  auto r = Import(
      ImportFormat::kJson,
      R"({"dataSet":"DS_VILLAGE_MONTHLY","period":"202309","orgUnit":"150624100002","completeDate":"2023-10-03",
                      "dataValues":[{"dataElement":"VC_VISITS","value":"12"}]})",
      {{"idScheme", "code"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ToJson()["dataSetComplete"].get<bool>());
  auto form = values_->Form(*cat_, "DS_VILLAGE_MONTHLY", "150624100002", "202309");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ((*form)["complete"]["completedBy"], "tester");
}

TEST_F(ExchangeTest, AdxWithCategoryAttributesAndAnnotations) {
  auto r = Import(ImportFormat::kAdx, R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- 乌兰镇都斯图社区五月 -->
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2024-06-01T08:00:00">
  <group dataSet="DS_VILLAGE_MONTHLY" orgUnit="150624100001" period="2023-05-01/P1M">
    <dataValue dataElement="SMI_REGISTERED" CAT_SEX="SEX_M" value="6"/>
    <dataValue dataElement="SMI_REGISTERED" CAT_SEX="SEX_F" value="4"><annotation>含新迁入1人</annotation></dataValue>
    <dataValue dataElement="VC_VISITS" value="210"/>
  </group>
</adx>)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "SUCCESS") << r->ToJson().dump(1);
  EXPECT_EQ(r->counts.imported, 3);
  auto v = values_->Get(
      *cat_,
      {"SMI_REGISTERED", "202305", "150624100001", Coc("SMI_REGISTERED", 1), "", "", "", {}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "4");
  EXPECT_EQ(v->comment, "含新迁入1人");
}

// Export → import into a fresh store with the same metadata reproduces every value, comment and
// follow-up flag, in each format.
TEST_F(ExchangeTest, RoundTripInEveryFormat) {
  std::string rows = kCsvHeader;
  for (const char* ou : {"150624100001", "150624100002", "150624101001"})
    for (int m = 1; m <= 12; ++m) {
      char pe[8];
      std::snprintf(pe, sizeof pe, "2022%02d", m);
      rows += std::string("VC_VISITS,") + pe + "," + ou + ",,," + std::to_string(m * 7) +
              ",,,\"说明, 含逗号\n\t第二行\"" + (m % 2 ? ",true" : ",false") + "\n";
      rows += std::string("SMI_REGISTERED,") + pe + "," + ou + "," + Coc("SMI_REGISTERED", 0) +
              ",," + std::to_string(m) + ",,,,\n";
      rows += std::string("SMI_REGISTERED,") + pe + "," + ou + "," + Coc("SMI_REGISTERED", 1) +
              ",," + std::to_string(m + 1) + ",,,,\n";
    }
  auto seeded = Import(ImportFormat::kCsv, rows,
                       {{"dataElementIdScheme", "code"}, {"orgUnitIdScheme", "code"}});
  ASSERT_EQ(seeded->status, "SUCCESS") << seeded->ToJson().dump(1);
  json metadata_bundle = metadata::ExportMetadata(*cat_);
  for (auto format :
       {ImportFormat::kJson, ImportFormat::kXml, ImportFormat::kCsv, ImportFormat::kAdx}) {
    ExportOptions eo;
    eo.format = format;
    eo.data_sets = {"DS_VILLAGE_MONTHLY"};
    eo.start_date = "2022-01-01";
    eo.end_date = "2023-12-31";
    eo.org_units = {"150624"};
    eo.children = true;
    std::string out;
    ASSERT_TRUE(
        ExportDataValues(eo, *cat_, *values_, [&](std::string_view c) { out.append(c); }).ok());
    TempDir other;
    std::string fresh_path = other.File("fresh.db");
    auto fresh = MakeOrdosStore(fresh_path, false);
    ASSERT_TRUE(
        metadata::ImportMetadata(metadata_bundle, **metadata::Catalog::Load(*fresh), *fresh).ok());
    auto fresh_cat = *metadata::Catalog::Load(*fresh);
    DataValueService fresh_values(*fresh);
    ImportOptions io;
    io.user = "tester";
    auto r = ImportDataValues(OpenString(out), format, io, *fresh_cat, fresh_values);
    ASSERT_TRUE(r.ok()) << ImportFormatName(format) << ": " << r.status().ToString();
    EXPECT_EQ(r->status, "SUCCESS") << ImportFormatName(format) << r->ToJson().dump(1);
    EXPECT_EQ(r->counts.imported, 36 * 3 + 2) << ImportFormatName(format);
    EXPECT_EQ(Fingerprint(fresh_path), Fingerprint(path_)) << ImportFormatName(format);
  }
}

TEST_F(ExchangeTest, DeletedValuesAreExportedOnlyWhenAsked) {
  ASSERT_TRUE(Import(ImportFormat::kCsv,
                     std::string(kCsvHeader) + "VC_VISITS,202301,150624100001,,,1,,,,\n",
                     {{"idScheme", "code"}, {"importStrategy", "DELETE"}})
                  .ok());
  ExportOptions eo;
  eo.format = ImportFormat::kCsv;
  eo.data_sets = {"DS_VILLAGE_MONTHLY"};
  eo.periods = {"202301", "202302"};
  eo.org_units = {"150624100001"};
  std::string out;
  ASSERT_TRUE(
      ExportDataValues(eo, *cat_, *values_, [&](std::string_view c) { out.append(c); }).ok());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);  // header + 202302
  eo.include_deleted = true;
  out.clear();
  ASSERT_TRUE(
      ExportDataValues(eo, *cat_, *values_, [&](std::string_view c) { out.append(c); }).ok());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(out.find(",true\n"), std::string::npos);
}

}  // namespace
}  // namespace weijian::exchange
