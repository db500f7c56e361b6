// The officer's pivot on the server (issue 15, item 12): period ranges named as people read them
// (2024年1-7月) in /api/analytics, and /api/analytics.xlsx with DHIS2's tableLayout=true&rows=…
// &columns=… written as the matrix a pivot table shows — read back from the workbook itself.
#include <zip.h>

#include <regex>

#include "http/server_env.h"

namespace weijian::http {
namespace {

// One entry of a zip held in memory ("" when missing).
std::string ZipEntry(const std::string& bytes, const char* name) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  zip_t* z = src ? zip_open_from_source(src, ZIP_RDONLY, &err) : nullptr;
  std::string out;
  if (z) {
    if (zip_file_t* f = zip_fopen(z, name, 0)) {
      char buf[8192];
      zip_int64_t n;
      while ((n = zip_fread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
      zip_fclose(f);
    }
    zip_close(z);
  } else if (src) {
    zip_source_free(src);
  }
  zip_error_fini(&err);
  return out;
}

// The first sheet as rows of cell texts, shared strings resolved; cells keyed by column letter.
std::vector<std::map<std::string, std::string>> SheetRows(const std::string& xlsx) {
  std::vector<std::string> strings;
  const std::string shared = ZipEntry(xlsx, "xl/sharedStrings.xml");
  std::regex si("<si><t[^>]*>([^<]*)</t></si>");
  for (std::sregex_iterator it(shared.begin(), shared.end(), si), end; it != end; ++it)
    strings.push_back((*it)[1]);
  const std::string sheet = ZipEntry(xlsx, "xl/worksheets/sheet1.xml");
  std::vector<std::map<std::string, std::string>> rows;
  std::regex row("<row [^>]*>(.*?)</row>");
  std::regex cell("<c r=\"([A-Z]+)[0-9]+\"([^>]*)>(?:<v>([^<]*)</v>)?</c>");
  for (std::sregex_iterator r(sheet.begin(), sheet.end(), row), end; r != end; ++r) {
    const std::string text = (*r)[1];
    std::map<std::string, std::string> cells;
    for (std::sregex_iterator c(text.begin(), text.end(), cell); c != end; ++c) {
      const std::string v = (*c)[3];
      const bool shared_string = (*c)[2].str().find("t=\"s\"") != std::string::npos;
      cells[(*c)[1]] = shared_string ? strings.at(std::stoul(v)) : v;
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

TEST(OfficerPivot, PeriodRangesAreNamedAsPeopleReadThem) {
  auto r =
      Body(Get("/api/analytics?dimension=dx:TC_DONE&filter=ou:1506"
               "&dimension=pe:202401..202407;2024Q1..2024Q3;2022..2024;202311..202402;202407"));
  const json& items = r["metaData"]["items"];
  EXPECT_EQ(items["202401..202407"]["name"], "2024年1-7月");
  EXPECT_EQ(items["2024Q1..2024Q3"]["name"], "2024年第1-3季度");
  EXPECT_EQ(items["2022..2024"]["name"], "2022-2024年");
  EXPECT_EQ(items["202311..202402"]["name"], "2023年11月-2024年2月");
  EXPECT_EQ(items["202407"]["name"], "2024年7月");
}

TEST(OfficerPivot, ExcelHoldsTheMatrixOnScreen) {
  const std::string q =
      "dimension=dx:TC_DONE&dimension=pe:202401;202402;202401..202402&dimension=ou:1506;LEVEL-3";
  auto xlsx = Get("/api/analytics.xlsx?" + q + "&tableLayout=true&rows=dx;ou&columns=pe");
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  auto rows = SheetRows(xlsx.body);
  ASSERT_EQ(rows.size(), 10u);  // the header and the 9 旗/区
  EXPECT_EQ(rows[0]["A"], "数据");
  EXPECT_EQ(rows[0]["B"], "组织机构");
  EXPECT_EQ(rows[0]["C"], "2024年1月");
  EXPECT_EQ(rows[0]["D"], "2024年2月");
  EXPECT_EQ(rows[0]["E"], "2024年1-2月");
  // Every cell is the figure /api/analytics gives for that unit and period.
  auto answer = Body(Get("/api/analytics?" + q));
  std::map<std::string, double> value;  // "unit name|period" → value
  const json& items = answer["metaData"]["items"];
  for (const auto& row : answer["rows"])
    value[items[row[2].get<std::string>()]["name"].get<std::string>() + "|" +
          row[1].get<std::string>()] = std::stod(row[3].get<std::string>());
  int checked = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_FALSE(rows[i]["A"].empty());
    const std::string unit = rows[i]["B"];
    for (auto [column, pe] : {std::pair{"C", "202401"}, {"D", "202402"}, {"E", "202401..202402"}}) {
      auto it = value.find(unit + "|" + pe);
      if (it == value.end()) {
        EXPECT_EQ(rows[i].count(column), 0u) << unit << " " << pe;
        continue;
      }
      EXPECT_DOUBLE_EQ(std::stod(rows[i][column]), it->second) << unit << " " << pe;
      ++checked;
    }
    if (rows[i].count("C") && rows[i].count("D")) {
      EXPECT_DOUBLE_EQ(std::stod(rows[i]["E"]), std::stod(rows[i]["C"]) + std::stod(rows[i]["D"]));
    }
  }
  EXPECT_GE(checked, 18);
  // Swapped: periods down, units across (one header row, the 9 units).
  auto swapped =
      SheetRows(Get("/api/analytics.xlsx?" + q + "&tableLayout=true&rows=dx;pe&columns=ou").body);
  ASSERT_EQ(swapped.size(), 4u);
  EXPECT_EQ(swapped[0].size(), 11u);
  EXPECT_EQ(swapped[1]["B"], "2024年1月");
}

TEST(OfficerPivot, ATableLayoutNamesWhatIsWrong) {
  const std::string q =
      "/api/analytics.xlsx?dimension=dx:TC_DONE&dimension=pe:2024"
      "&dimension=ou:1506;LEVEL-3&tableLayout=true";
  auto missing = Get(q + "&rows=dx&columns=pe");  // ou placed nowhere
  EXPECT_EQ(missing.status, 409);
  EXPECT_NE(Body(missing)["message"].get<std::string>().find("\"ou\""), std::string::npos)
      << missing.body;
  auto unknown = Get(q + "&rows=dx;ou&columns=xx");
  EXPECT_EQ(unknown.status, 409);
  EXPECT_NE(unknown.body.find("\"field\":\"columns\""), std::string::npos) << unknown.body;
  EXPECT_EQ(Get(q).status, 409);  // neither rows nor columns
}

}  // namespace
}  // namespace weijian::http
