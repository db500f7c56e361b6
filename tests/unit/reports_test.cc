// Reports: the seed page 003 progress report reproduced from data, provenance on every figure,
// data checks, and the PDF (GB/T 9704 grid, embedded CJK font, line breaking), DOCX and XLSX
// read back with the tools an office has (poppler-utils, python3's zipfile).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "reports/render.h"
#include "reports/report.h"
#include "unit/test_support.h"

namespace weijian::reports {
namespace {

using nlohmann::json;

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  return out;
}

std::size_t Chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = weijian::testing::MakeOrdosStore(dir_.File("r.db"), false);
    json bundle = weijian::testing::DemoMetadataBundle();
    bundle["organisationUnits"] = json::parse(R"([
      {"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"}])");
    for (auto& ds : bundle["dataSets"])
      if (ds["code"] == "DS_TOWNSHIP_MONTHLY" || ds["code"] == "DS_TOWNSHIP_TARGETS")
        ds["organisationUnits"] = json::parse(R"([{"code":"150624100H01"}])");
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(bundle, **empty, *store_).ok());
    cat_ = *metadata::Catalog::Load(*store_);
    // Seed page 003 (a city's 1-7月 2019 progress report): tasks 98200 and 38000, done 82353 and
    // 25859, 4493 screened high-risk of whom 3275 were followed up.
    auto coc = [&](int i) {
      return cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid)[i]->uid;
    };
    const std::string f = "150624100H01";
    Csv("TC_TARGET,2019," + f + ",,,98200\n" + "TC_DONE,201901," + f + "," + coc(0) + ",,35000\n" +
        "TC_DONE,201907," + f + "," + coc(1) + ",,47353\n" + "PS_TARGET,2019," + f + ",,,38000\n" +
        "PS_DONE,201903," + f + ",,,25859\n" + "PS_ABNORMAL,201904," + f + ",,,4493\n" +
        "PS_INTERVENED,201905," + f + ",,,3275\n" + "TC_DONE,201807," + f + "," + coc(0) +
        ",,80000\n");
    engine_ = analytics::Engine::Build(*store_, cat_).value();
  }
  void Csv(const std::string& rows) {
    exchange::DataValueService values(*store_);
    exchange::ImportOptions o;
    o.user = "tester";
    o.schemes = {metadata::IdScheme::kCode, metadata::IdScheme::kCode, metadata::IdScheme::kUid};
    auto r = exchange::ImportDataValues(
        exchange::OpenString("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n" + rows),
        exchange::ImportFormat::kCsv, o, *cat_, values);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, "SUCCESS") << r->ToJson().dump();
  }
  Report Progress() {
    auto r =
        BuildReport(*BuiltInTemplate("progress"),
                    {"progress", "150624100", "201901..201907", 0, "", {}}, *engine_, NowMillis());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Report{};
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<analytics::Engine> engine_;
};

TEST_F(ReportsTest, TheSeedProgressReportComesOutOfTheData) {
  Report r = Progress();
  EXPECT_EQ(r.title, "乌兰镇2019年1-7月卫生健康民生项目工作进展汇报");
  const std::string html = RenderHtml(r, true);
  for (const char* s :
       {"2019年全镇“两癌”免费检查任务数为", ">98200人<", "截止到7月31日", ">82353人<",
        "任务完成率达83.86%", "任务完成率达68.05%", "72.89%", ">4493人<", ">3275人<"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  // The table lists the rates in the order of its rows.
  EXPECT_LT(html.find("83.86%"), html.find("68.05%"));
  // A figure may read another unit: the county's rate beside the township's (the county's
  // other townships have no data, so it equals the township's here).
  EXPECT_NE(html.find("（全旗为"), std::string::npos);
}

TEST_F(ReportsTest, EveryBoundFigureCarriesItsProvenance) {
  Report r = Progress();
  const std::string html = RenderHtml(r, false);
  std::regex span("<span class=\"figure\"[^>]*>");
  int spans = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), span); it != std::sregex_iterator();
       ++it, ++spans) {
    const std::string tag = it->str();
    for (const char* attr :
         {"tabindex=\"0\"", "data-definition=\"", "data-unit=\"", "data-period=\"",
          "data-numerator=\"", "data-denominator=\"", "data-read-at=\"", "title=\""})
      EXPECT_NE(tag.find(attr), std::string::npos) << attr << " in " << tag;
  }
  EXPECT_GE(spans, static_cast<int>(r.figures.size()));
  const Figure* rate = nullptr;
  for (const auto& f : r.figures)
    if (f.key == "tc_rate") rate = &f;
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->definition, "两癌筛查任务完成率 = 两癌筛查完成人数 ÷ 两癌筛查任务数 × 100");
  EXPECT_EQ(*rate->numerator, 82353);
  EXPECT_EQ(*rate->denominator, 98200);
  EXPECT_EQ(rate->unit_name, "乌兰镇");
  EXPECT_EQ(rate->period, "2019年1-7月");
  EXPECT_NE(html.find("数据来源与口径"), std::string::npos);
  EXPECT_NE(html.find("/admin/pivot?dimension=dx:IND_TC_RATE"), std::string::npos);
}

TEST_F(ReportsTest, DataChecksFlagWhatNeedsALook) {
  Report r = Progress();
  std::string all;
  for (const auto& c : r.checks) all += c.message + "\n";
  EXPECT_NE(all.find("没有任务数"), std::string::npos) << all;  // 结直肠癌, HPV: no task
  EXPECT_NE(all.find("应报"), std::string::npos) << all;        // months not reported
  // A rate above 100% is flagged; the 2018 → 2019 jump of TC_DONE (+3%) is not a swing.
  Csv("TC_DONE,201906,150624100H01," +
      cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid)[0]->uid + ",,60000\n");
  engine_ = analytics::Engine::Build(*store_, cat_).value();
  Report over = Progress();
  all.clear();
  for (const auto& c : over.checks) all += c.message + "\n";
  EXPECT_NE(all.find("超过100%"), std::string::npos) << all;
  EXPECT_NE(RenderHtml(over, false).find("超额完成任务"), std::string::npos);
  EXPECT_NE(all.find("超过±50%"), std::string::npos) << all;
}

TEST_F(ReportsTest, BadRequestsAndTemplatesNameTheirField) {
  auto t = *BuiltInTemplate("progress");
  auto no_unit = BuildReport(t, {"progress", "999999", "2019", 0, "", {}}, *engine_, NowMillis());
  ASSERT_FALSE(no_unit.ok());
  EXPECT_EQ(no_unit.status().field(), "ou");
  auto bad_period =
      BuildReport(t, {"progress", "150624100", "2019..夏天", 0, "", {}}, *engine_, NowMillis());
  ASSERT_FALSE(bad_period.ok());
  EXPECT_EQ(bad_period.status().field(), "period");
  EXPECT_EQ(BuiltInTemplate("nosuch").status().field(), "template");
  json broken = t;
  broken["sections"][1]["blocks"][0]["type"] = "poem";
  EXPECT_EQ(ValidateTemplate(broken).field(), "sections[1].blocks[0].type");
  json unknown = t;
  unknown["figures"]["tc_done"]["dx"] = "NOPE";
  auto r =
      BuildReport(unknown, {"progress", "150624100", "2019", 0, "", {}}, *engine_, NowMillis());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "figures.tc_done.dx");
  json elsewhere = t;
  elsewhere["figures"]["tc_done"]["ou"] = "999999";
  auto r2 =
      BuildReport(elsewhere, {"progress", "150624100", "2019", 0, "", {}}, *engine_, NowMillis());
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().field(), "figures.tc_done.ou");
}

TEST_F(ReportsTest, PdfFollowsTheOfficialDocumentGrid) {
  const std::string pdf = Write("progress.pdf", *RenderPdf(Progress()));
  // The title and the figures, in order.
  const std::string text = Shell("pdftotext -layout " + pdf + " - 2>&1");
  const auto title = text.find("乌兰镇2019年1-7月卫生健康民生项目工作");
  const auto done = text.find("82353人");
  const auto rate = text.find("83.86%");
  ASSERT_NE(title, std::string::npos) << text;
  ASSERT_NE(done, std::string::npos) << text;
  ASSERT_NE(rate, std::string::npos);
  EXPECT_LT(title, done);
  EXPECT_TRUE(std::regex_search(text, std::regex("—\\s*1\\s*—"))) << text;
  EXPECT_NE(text.find("数据来源与口径"), std::string::npos);
  // The CJK font is embedded.
  const std::string fonts = Shell("pdffonts " + pdf);
  EXPECT_TRUE(std::regex_search(fonts, std::regex("Noto\\S*CJK\\S*\\s.*\\syes\\s"))) << fonts;
  // A page as a picture, kept as a test artefact.
  const std::string artefacts = std::string(WEIJIAN_BINARY_DIR) + "/test-artifacts/reports";
  Shell("mkdir -p " + artefacts + " && pdftoppm -png -r 80 -f 1 -l 1 -singlefile " + pdf + " " +
        artefacts + "/progress-page1");
  EXPECT_EQ(Shell("test -s " + artefacts + "/progress-page1.png && echo ok"), "ok\n");

  // A page of plain body text: 22 lines of 28 characters; no line starts with a closing mark.
  Report plain;
  plain.title = "版式测试";
  Section s;
  Block b;
  std::string body;
  const std::string words = "卫生健康委员会按月调度民生项目进展";
  for (int i = 0; i < 120; ++i) body += words;
  b.lines.push_back({{body, -1}});
  std::string commas;
  for (int i = 0; i < 60; ++i) commas += std::string("健康服务进村入户") + (i % 3 ? "，" : "。");
  b.lines.push_back({{commas, -1}});
  s.blocks.push_back(b);
  plain.sections.push_back(s);
  const std::string p2 = Write("plain.pdf", *RenderPdf(plain));
  const std::string page2 = Shell("pdftotext -f 2 -l 2 -layout " + p2 + " -");
  std::vector<std::string> lines;
  std::istringstream in(page2);
  for (std::string line; std::getline(in, line);) {
    line.erase(std::remove(line.begin(), line.end(), ' '), line.end());
    if (!line.empty() && line.find("—") == std::string::npos && line != "\f") lines.push_back(line);
  }
  EXPECT_EQ(lines.size(), 22u) << page2;
  for (const auto& l : lines) EXPECT_EQ(Chars(l), 28u) << l;
  const std::string all = Shell("pdftotext -layout " + p2 + " -");
  std::istringstream in2(all);
  for (std::string line; std::getline(in2, line);) {
    line.erase(0, line.find_first_not_of(' '));
    EXPECT_FALSE(line.starts_with("，") || line.starts_with("。")) << line;
  }
}

TEST_F(ReportsTest, LongTablesRepeatTheirHeaderOnEveryPage) {
  Report r;
  r.title = "分页测试";
  Section s;
  Block t;
  t.kind = Block::Kind::kTable;
  t.title = "各嘎查村完成情况";
  t.header = {"项目", "任务数", "完成数", "完成率", "排名"};
  for (int i = 0; i < 60; ++i) {
    std::vector<Cell> row = {
        {{{"第" + std::to_string(i + 1) + "村", -1}}, false, false, std::nullopt}};
    for (int c = 0; c < 4; ++c) row.push_back({{{std::to_string(100 + i), -1}}, true, false, 1.0});
    t.rows.push_back(row);
  }
  s.blocks.push_back(t);
  r.sections.push_back(s);
  const std::string pdf = Write("table.pdf", *RenderPdf(r));
  for (int page = 2; page <= 3; ++page) {
    const std::string text = Shell("pdftotext -f " + std::to_string(page) + " -l " +
                                   std::to_string(page) + " -layout " + pdf + " -");
    EXPECT_NE(text.find("任务数"), std::string::npos) << "page " << page << ":\n" << text;
    EXPECT_NE(text.find("村"), std::string::npos) << "page " << page;
  }
}

TEST_F(ReportsTest, DocxAndXlsxCarryTheFiguresAsTextAndNumbers) {
  Report r = Progress();
  const std::string docx = Write("progress.docx", *RenderDocx(r));
  const std::string doc = Shell(
      "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "print(sorted(z.namelist())); print(z.read('word/document.xml').decode()); "
      "print(z.read('word/footer1.xml').decode())\" " +
      docx);
  for (const char* s : {"word/footer1.xml", "word/styles.xml", "82353人", "83.86%", "w:tblHeader",
                        "PAGE", "数据来源与口径"})
    EXPECT_NE(doc.find(s), std::string::npos) << s;
  const std::string xlsx = Write("progress.xlsx", *RenderXlsx(r));
  const std::string sheet = Shell(
      "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "print(z.read('xl/worksheets/sheet1.xml').decode())\" " +
      xlsx);
  // Row 3 is 两癌: task and done as numbers, the rate as a fraction with a percent format.
  EXPECT_TRUE(std::regex_search(sheet, std::regex("<c r=\"B3\"[^>]*><v>98200</v>"))) << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex("<c r=\"C3\"[^>]*><v>82353</v>"))) << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex("<c r=\"D3\"[^>]*><v>0\\.8386"))) << sheet;
}

}  // namespace
}  // namespace weijian::reports
