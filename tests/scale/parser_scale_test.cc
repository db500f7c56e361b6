// Every reader of untrusted bytes is linear in its input: the ADX, JSON and CSV data value
// readers and the JSON body parser behind the metadata and API endpoints, each fed about 50 MB
// of generated input (plain and pathological: one giant group, deep nesting, one giant quoted
// field). The guard is the ctest TIMEOUT of this suite (tests/CMakeLists.txt), far above the
// linear time (a few seconds each) and far below the quadratic one (hours for the old ADX reader).
// Each test also checks what the reader produced, so a reader that gives up early cannot pass.
#include <gtest/gtest.h>

#include <string>

#include "core/json_limits.h"
#include "exchange/internal/readers.h"
#include "http/request.h"
#include "metadata/catalog.h"
#include "unit/test_support.h"

namespace weijian::exchange::internal {
namespace {

constexpr std::size_t k50MB = 50u << 20;

class CountingSink : public RowSink {
 public:
  Status Add(std::int64_t, Row& row) override {
    ++rows;
    if (!row.problem.empty()) ++problems;
    value_bytes += row.in.value.size();
    return Status::Ok();
  }
  void Complete(const std::string&, const std::string&, const std::string&) override {
    ++completes;
  }
  Status PayloadScheme(const std::string&, const std::string&) override { return Status::Ok(); }
  std::int64_t rows = 0, problems = 0, completes = 0;
  std::size_t value_bytes = 0;
};

class ParserScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = weijian::testing::MakeOrdosStore(dir_.File("x.db"), false);
    auto cat = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(cat.ok());
    cat_ = *cat;
  }
  Status Adx(const std::string& text, CountingSink& sink) {
    auto source = StringSource(text);
    return ReadAdx(*source, sink, *cat_);
  }
  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

const char* kAdxHead =
    R"(<?xml version="1.0" encoding="UTF-8"?><adx xmlns="urn:ihe:qrph:adx:2015">)";

// One group of about 50 MB: the old reader searched the whole group again at every '>'.
TEST_F(ParserScaleTest, AdxOneGiantGroupIsReadInOnePass) {
  std::string text = kAdxHead;
  text += R"(<group dataSet="DS_X" orgUnit="150624100001" period="2024-01-01/P1M">)";
  std::int64_t n = 0;
  while (text.size() < k50MB) {
    text += "<dataValue dataElement=\"DE_";
    text += std::to_string(n++);
    text += "\" value=\"12\"/>\n";
  }
  text += "</group></adx>";
  CountingSink sink;
  Status s = Adx(text, sink);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.rows, n);
}

// Many ordinary groups adding up to 50 MB.
TEST_F(ParserScaleTest, AdxManyGroups) {
  std::string text = kAdxHead;
  std::int64_t n = 0;
  while (text.size() < k50MB) {
    text += R"(<group dataSet="DS_X" orgUnit="150624100001" period="2024-01-01/P1M">)";
    for (int i = 0; i < 20; ++i, ++n)
      text +=
          R"(<dataValue dataElement="DE_A" value="1"><annotation>注释</annotation></dataValue>)";
    text += "</group>\n";
  }
  text += "</adx>";
  CountingSink sink;
  Status s = Adx(text, sink);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.rows, n);
}

// 50 MB of nested elements inside a group is refused at the 33rd level, not built into a tree.
TEST_F(ParserScaleTest, AdxDeepNestingIsRefused) {
  std::string text = kAdxHead;
  text += R"(<group dataSet="DS_X" orgUnit="150624100001" period="2024-01-01/P1M">)";
  while (text.size() < k50MB) text += "<a x='>'>";
  CountingSink sink;
  Status s = Adx(text, sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nested deeper"), std::string::npos) << s.ToString();
  EXPECT_EQ(sink.rows, 0);
}

// A group that never closes: 50 MB of '>' and near-misses of "</group", then the end.
TEST_F(ParserScaleTest, AdxUnclosedGroupWithNearMisses) {
  std::string text = kAdxHead;
  text += R"(<group dataSet="DS_X" orgUnit="150624100001" period="2024-01-01/P1M">)";
  while (text.size() < k50MB) text += "</grou></groupe>&gt;>";
  CountingSink sink;
  Status s = Adx(text, sink);
  EXPECT_FALSE(s.ok());
}

TEST_F(ParserScaleTest, JsonFiftyMegabytesOfValues) {
  std::string text =
      R"({"dataSet":"DS_X","period":"202401","orgUnit":"150624100001","dataValues":[)";
  std::int64_t n = 0;
  while (text.size() < k50MB) {
    if (n) text += ',';
    text += R"({"dataElement":"DE_)" + std::to_string(n++) + R"(","value":"7","comment":"好"})";
  }
  text += "]}";
  CountingSink sink;
  bool retry = false;
  Status s = ReadJson(OpenString(text), sink, false, &retry);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.rows, n);
}

// Deep nesting in a header field and inside a value object; neither may recurse per level.
TEST_F(ParserScaleTest, JsonDeepNestingEndsCleanly) {
  for (const char* where : {"header", "value"}) {
    std::string text =
        std::string(where) == "header" ? R"({"period":)" : R"({"dataValues":[{"value":)";
    std::string open(k50MB / 2, '['), close(k50MB / 2, ']');
    text += open + close;
    text += std::string(where) == "header" ? "}" : "}]}";
    CountingSink sink;
    bool retry = false;
    Status s = ReadJson(OpenString(text), sink, false, &retry);
    EXPECT_FALSE(s.ok() && sink.problems == 0) << where;
  }
}

TEST_F(ParserScaleTest, CsvFiftyMegabytesOfRows) {
  std::string text = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n";
  std::int64_t n = 0;
  while (text.size() < k50MB) text += "DE_" + std::to_string(n++) + ",202401,150624100001,,,5\n";
  CountingSink sink;
  auto source = StringSource(text);
  Status s = ReadCsv(*source, sink);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.rows, n);
}

// One quoted field of 50 MB full of doubled quotes, and a line of 50 MB of commas.
TEST_F(ParserScaleTest, CsvPathologicalFields) {
  {
    std::string text =
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value\nDE,202401,OU,,,\"";
    while (text.size() < k50MB) text += "a\"\"b";
    text += "\"\n";
    CountingSink sink;
    auto source = StringSource(text);
    Status s = ReadCsv(*source, sink);
    if (s.ok()) {
      EXPECT_EQ(sink.rows, 1);
    }
  }
  {
    std::string text = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n";
    text += std::string(k50MB, ',') + "\n";
    CountingSink sink;
    auto source = StringSource(text);
    Status s = ReadCsv(*source, sink);
    // Refused at the 257th column, before 50 million empty fields are held in memory.
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("more than 256 columns"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
    EXPECT_EQ(sink.rows, 0);
  }
}

// The body parser of /api/metadata and every JSON API: 50 MB of nesting is refused by the
// pre-scan; a flat 50 MB metadata bundle parses.
TEST(JsonBodyScaleTest, DeepBodyRefusedWideBodyParsed) {
  http::Request deep;
  deep.body = std::string(k50MB, '[');
  auto r = http::ParseJsonBody(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);

  http::Request wide;
  wide.body = R"({"organisationUnits":[)";
  int n = 0;
  while (wide.body.size() < k50MB) {
    if (n) wide.body += ',';
    wide.body += R"({"code":"OU)" + std::to_string(n++) +
                 R"(","name":"单位","parent":{"code":"150624"},"attributeValues":[]})";
  }
  wide.body += "]}";
  auto w = http::ParseJsonBody(wide);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)["organisationUnits"].size(), static_cast<std::size_t>(n));
}

// Two million objects in one array (6 MB): read in one pass. nlohmann's callback parser, which
// ParseJsonBody used before, scanned the whole enclosing array after each object (about 2·10¹²
// steps here: hours); the ctest TIMEOUT of scale_tests is the budget.
TEST(JsonBodyScaleTest, ManySmallObjectsInOneArrayAreReadInOnePass) {
  constexpr std::size_t kObjects = 2'000'000;
  http::Request req;
  req.body.reserve(3 * kObjects + 16);
  req.body = R"({"a":[)";
  for (std::size_t i = 0; i < kObjects; ++i) req.body += i ? ",{}" : "{}";
  req.body += "]}";
  auto r = http::ParseJsonBody(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["a"].size(), kObjects);
}

TEST(JsonBodyScaleTest, DepthCheckCountsOnlyOutsideStrings) {
  EXPECT_TRUE(CheckJsonDepth(R"({"a":"[[[[[[[[[[\"[[[["})", 2).ok());
  EXPECT_TRUE(CheckJsonDepth("[[]]", 2).ok());
  EXPECT_FALSE(CheckJsonDepth("[[[]]]", 2).ok());
}

}  // namespace
}  // namespace weijian::exchange::internal
