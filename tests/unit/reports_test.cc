// Reports: the seed page 003 progress report reproduced from data, provenance on every figure,
// data checks, and the PDF (GB/T 9704 grid, embedded CJK font, line breaking), DOCX and XLSX
// read back with the tools an office has (poppler-utils, python3's zipfile).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "reports/fonts.h"
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
      {"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"},
      {"code":"150624101H01","name":"棋盘井镇卫生院","parent":{"code":"150624101"},"facilityType":"卫生院"}])");
    for (auto& ds : bundle["dataSets"])
      if (ds["code"] == "DS_TOWNSHIP_MONTHLY" || ds["code"] == "DS_TOWNSHIP_TARGETS")
        ds["organisationUnits"] =
            json::parse(R"([{"code":"150624100H01"},{"code":"150624101H01"}])");
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
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    auto r = exchange::ImportDataValues(
        exchange::OpenString("dataelement,period,orgunit,catoptcombo,attroptcombo,value\n" + rows),
        exchange::ImportFormat::kCsv, o, *cat_, values);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, "SUCCESS") << r->ToJson().dump();
  }
  Report Progress() {
    auto r = BuildReport(*BuiltInTemplate("progress"),
                         {"progress", "150624100", "201901..201907", 0, "", {}, nullptr, {}},
                         *engine_, NowMillis());
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
  // A published report is read by citizens: its provenance is a note, not a link to staff pages.
  EXPECT_EQ(html.find("/admin"), std::string::npos);
  EXPECT_NE(html.find("统计期间为2019年1-7月"), std::string::npos);
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
  auto no_unit =
      BuildReport(t, {"progress", "999999", "2019", 0, "", {}, nullptr, {}}, *engine_, NowMillis());
  ASSERT_FALSE(no_unit.ok());
  EXPECT_EQ(no_unit.status().field(), "ou");
  auto bad_period = BuildReport(t, {"progress", "150624100", "2019..夏天", 0, "", {}, nullptr, {}},
                                *engine_, NowMillis());
  ASSERT_FALSE(bad_period.ok());
  EXPECT_EQ(bad_period.status().field(), "period");
  EXPECT_EQ(BuiltInTemplate("nosuch").status().field(), "template");
  json broken = t;
  broken["sections"][1]["blocks"][0]["type"] = "poem";
  EXPECT_EQ(ValidateTemplate(broken).field(), "sections[1].blocks[0].type");
  json unknown = t;
  unknown["figures"]["tc_done"]["dx"] = "NOPE";
  auto r = BuildReport(unknown, {"progress", "150624100", "2019", 0, "", {}, nullptr, {}}, *engine_,
                       NowMillis());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "figures.tc_done.dx");
  json elsewhere = t;
  elsewhere["figures"]["tc_done"]["ou"] = "999999";
  auto r2 = BuildReport(elsewhere, {"progress", "150624100", "2019", 0, "", {}, nullptr, {}},
                        *engine_, NowMillis());
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

// Lines of a PDF page as pdftotext -bbox-layout reads them: text and box, in points.
struct PdfLine {
  std::string text;
  double x_min, y_min, x_max, y_max;
};
std::vector<PdfLine> PdfLines(const std::string& pdf, int page) {
  const std::string xml = Shell("pdftotext -bbox-layout -f " + std::to_string(page) + " -l " +
                                std::to_string(page) + " " + pdf + " -");
  std::vector<PdfLine> out;
  std::regex line_re(
      "<line xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">"
      "([\\s\\S]*?)</line>");
  std::regex word_re("<word[^>]*>([^<]*)</word>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), line_re);
       it != std::sregex_iterator(); ++it) {
    PdfLine l{"", std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]),
              std::stod((*it)[4])};
    const std::string words = (*it)[5];
    for (auto w = std::sregex_iterator(words.begin(), words.end(), word_re);
         w != std::sregex_iterator(); ++w)
      l.text += (*w)[1];
    out.push_back(l);
  }
  return out;
}
const PdfLine* LineWith(const std::vector<PdfLine>& lines, const std::string& s) {
  for (const auto& l : lines)
    if (l.text.find(s) != std::string::npos) return &l;
  return nullptr;
}

constexpr double kMm = 72.0 / 25.4;
constexpr double kTypeLeft = 28 * kMm, kTypeRight = (28 + 156) * kMm;
constexpr double kCharPitch = 156 * kMm / 28;

TEST_F(ReportsTest, PdfTitleCentredBodyIndentedAndJustified) {
  const std::string pdf = Write("layout.pdf", *RenderPdf(Progress()));
  const auto lines = PdfLines(pdf, 1);
  // The title (two lines, broken between 工作 and 进展, never inside a word) is centred on the
  // type area within 2 mm.
  const PdfLine* t1 = LineWith(lines, "乌兰镇2019年");
  const PdfLine* t2 = LineWith(lines, "进展汇报");
  ASSERT_NE(t1, nullptr);
  ASSERT_NE(t2, nullptr);
  EXPECT_TRUE(t1->text.ends_with("工作")) << t1->text;
  EXPECT_TRUE(t2->text.starts_with("进展")) << t2->text;
  const double centre = (kTypeLeft + kTypeRight) / 2;
  EXPECT_NEAR((t1->x_min + t1->x_max) / 2, centre, 2 * kMm);
  EXPECT_NEAR((t2->x_min + t2->x_max) / 2, centre, 2 * kMm);
  // The first line of a paragraph is indented two characters; the next starts at the margin.
  const PdfLine* first = LineWith(lines, "今年以来");
  ASSERT_NE(first, nullptr);
  EXPECT_NEAR(first->x_min, kTypeLeft + 2 * kCharPitch, 1.0) << first->text;
  const PdfLine* second = nullptr;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (&lines[i] == first) second = &lines[i + 1];
  ASSERT_NE(second, nullptr);
  EXPECT_NEAR(second->x_min, kTypeLeft, 1.0) << second->text;

  // Justified: full lines of a paragraph mixing digits, Latin and Chinese end at the right
  // edge, within 1 pt of each other.
  Report mixed;
  mixed.title = "对齐测试";
  Section s;
  Block b;
  std::string body;
  for (int i = 0; i < 12; ++i)
    body += "2019年1-7月完成HPV疫苗接种" + std::to_string(1000 + i * 37) + "人次，完成率83.86%；";
  b.lines.push_back({{body + "。", -1}});
  s.blocks.push_back(b);
  mixed.sections.push_back(s);
  const std::string p2 = Write("justified.pdf", *RenderPdf(mixed));
  const auto body_lines = PdfLines(p2, 1);
  std::vector<double> rights;
  for (std::size_t i = 0; i + 1 < body_lines.size(); ++i)
    if (body_lines[i].x_min < kTypeLeft + 3 * kCharPitch && body_lines[i].text.size() > 30 &&
        body_lines[i + 1].text.size() > 0 && body_lines[i + 1].text.find("—") == std::string::npos)
      rights.push_back(body_lines[i].x_max);
  ASSERT_GE(rights.size(), 4u);
  for (double r : rights) EXPECT_NEAR(r, kTypeRight, 1.5);
}

TEST_F(ReportsTest, PdfPageNumbersAlternateSidesAndHeadingsUseTheirFaces) {
  Report r;
  r.title = "页码测试";
  Section s;
  s.heading = "一、总体情况";
  Block b;
  b.lines.push_back({{"（一）工作进展。各地按月调度，逐项推进。", -1}});
  std::string body;
  for (int i = 0; i < 60; ++i) body += "卫生健康委员会按月调度民生项目进展";
  b.lines.push_back({{body, -1}});
  s.blocks.push_back(b);
  r.sections.push_back(s);
  const std::string pdf = Write("pages.pdf", *RenderPdf(r));
  const auto page1 = PdfLines(pdf, 1), page2 = PdfLines(pdf, 2);
  const PdfLine* odd = nullptr;
  const PdfLine* even = nullptr;
  for (const auto& l : page2)
    if (l.text.find("2") != std::string::npos && l.text.find("—") != std::string::npos) even = &l;
  for (const auto& l : page1)
    if (l.text.find("—") != std::string::npos) odd = &l;
  ASSERT_NE(odd, nullptr);
  ASSERT_NE(even, nullptr);
  // Odd pages: right, one 四号 character in; even pages: left, one character in.
  EXPECT_NEAR(odd->x_max, kTypeRight - 14, 2.0) << odd->text;
  EXPECT_NEAR(even->x_min, kTypeLeft + 14, 2.0) << even->text;
  // 标题 in the heavy serif, 一、 in 黑体, （一） in 楷体, the body in the body face.
  const DocumentFonts f = ResolveDocumentFonts();
  const std::string fonts = Shell("pdffonts " + pdf);
  auto ps_name = [](std::string family) {
    family.erase(std::remove(family.begin(), family.end(), ' '), family.end());
    return family;
  };
  EXPECT_NE(fonts.find("NotoSansCJK"), std::string::npos) << fonts;  // 黑体 stand-in
  if (f.title == "Noto Serif CJK SC Black") {
    EXPECT_NE(fonts.find("Black"), std::string::npos) << fonts;
  }
  if (f.kai == "LXGW WenKai") {
    EXPECT_NE(fonts.find("LXGWWenKai"), std::string::npos) << fonts;
  }
  EXPECT_NE(fonts.find(ps_name(f.body == "Noto Serif CJK SC" ? "NotoSerifCJK" : f.body)),
            std::string::npos)
      << fonts;
}

TEST_F(ReportsTest, DocxLooksLikeThePdf) {
  Report r = Progress();
  const std::string pdf = Write("same.pdf", *RenderPdf(r));
  const std::string docx = Write("same.docx", *RenderDocx(r));
  const std::string outdir = dir_.File("lo");
  Shell("HOME=" + outdir + " soffice --headless --convert-to pdf --outdir " + outdir + " " + docx +
        " >/dev/null 2>&1");
  const std::string from_docx = outdir + "/same.pdf";
  ASSERT_EQ(Shell("test -s " + from_docx + " && echo ok"), "ok\n") << "LibreOffice did not convert";
  const auto a = PdfLines(pdf, 1), b = PdfLines(from_docx, 1);
  // Both centre the title, indent the first paragraph two characters, and justify it.
  for (const auto* lines : {&a, &b}) {
    const PdfLine* title = LineWith(*lines, "乌兰镇2019年");
    ASSERT_NE(title, nullptr);
    EXPECT_NEAR((title->x_min + title->x_max) / 2, (kTypeLeft + kTypeRight) / 2, 3 * kMm)
        << title->text;
    const PdfLine* first = LineWith(*lines, "今年以来");
    ASSERT_NE(first, nullptr);
    EXPECT_NEAR(first->x_min, kTypeLeft + 2 * kCharPitch, 2 * kMm) << first->text;
    EXPECT_NEAR(first->x_max, kTypeRight, 2 * kMm) << first->text;
  }
  // The same faces: the body face of the PDF is in the DOCX's PDF too.
  const std::string fa = Shell("pdffonts " + pdf), fb = Shell("pdffonts " + from_docx);
  for (const char* face : {"NotoSerifCJK", "NotoSansCJK"}) {
    EXPECT_NE(fa.find(face), std::string::npos) << fa;
    EXPECT_NE(fb.find(face), std::string::npos) << fb;
  }
  // Page images kept as test artefacts for a person to compare.
  const std::string artefacts = std::string(WEIJIAN_BINARY_DIR) + "/test-artifacts/reports";
  Shell("mkdir -p " + artefacts + " && pdftoppm -png -r 60 -f 1 -l 1 -singlefile " + from_docx +
        " " + artefacts + "/progress-docx-page1");
}

TEST_F(ReportsTest, NoRankClaimWithoutPeers) {
  // 乌兰镇 is the only township of 鄂托克旗 with data; the city is the only one of its region.
  for (const char* ou : {"150624100", "150624", "1506"}) {
    auto r = BuildReport(*BuiltInTemplate("progress"),
                         {"progress", ou, "201901..201907", 0, "", {}, nullptr, {}}, *engine_,
                         NowMillis());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string html = RenderHtml(*r, false);
    for (const char* claim : {"首位", "末位", "排全", "1/1", "无排名"})
      EXPECT_EQ(html.find(claim), std::string::npos) << ou << ": " << claim;
  }
  // With a second township reporting, the rank names its group: 在全旗2个镇中居首位.
  auto coc = cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid)[0]->uid;
  Csv("TC_TARGET,2019,150624101H01,,,10000\nTC_DONE,201903,150624101H01," + coc + ",,4000\n");
  engine_ = analytics::Engine::Build(*store_, cat_).value();
  const std::string html = RenderHtml(Progress(), false);
  EXPECT_NE(html.find("在全旗2个镇中居首位"), std::string::npos) << html.substr(0, 3000);
  EXPECT_NE(html.find(">1/2<"), std::string::npos);
}

TEST_F(ReportsTest, AppendixListsEachFigureOnceWithWholeCounts) {
  Report r = Progress();
  const auto rows = SourceTable(r);
  std::set<std::string> seen;
  for (const auto& row : rows) {
    EXPECT_TRUE(seen.insert(row.item + "|" + row.unit + "|" + row.period).second) << row.item;
    for (const std::string* n : {&row.numerator, &row.denominator})
      EXPECT_FALSE(n->ends_with(".00")) << row.item << " " << *n;
  }
  EXPECT_LT(rows.size(), r.figures.size());  // the rate and its rank are one row
  bool found = false;
  for (const auto& row : rows)
    if (row.item == "两癌筛查任务完成率" && row.unit == "乌兰镇") {
      found = true;
      EXPECT_EQ(row.numerator, "82353");
      EXPECT_EQ(row.denominator, "98200");
      EXPECT_EQ(row.value, "83.86%");
    }
  EXPECT_TRUE(found);
  // In the PDF the appendix is a compact table: counts without decimals, definitions once.
  const std::string pdf = Write("appendix.pdf", *RenderPdf(r));
  const std::string text = Shell("pdftotext -layout " + pdf + " -");
  const std::string appendix = text.substr(text.find("数据来源与口径"));
  EXPECT_EQ(appendix.find("82353.00"), std::string::npos);
  EXPECT_NE(appendix.find("82353"), std::string::npos);
  std::size_t defs = 0;
  for (auto p = appendix.find("口径：两癌筛查任务完成率"); p != std::string::npos;
       p = appendix.find("口径：两癌筛查任务完成率", p + 1))
    ++defs;
  EXPECT_EQ(defs, 1u) << appendix;
}

TEST_F(ReportsTest, BulletinPrintsOnlyContentThatExists) {
  const std::vector<BulletinEntry> none;
  auto empty = BuildReport(*BuiltInTemplate("bulletin"),
                           {"bulletin", "150624100", "201907", 10, "", {}, nullptr, {}}, *engine_,
                           NowMillis(), none);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  const std::string year = std::to_string(YearOf(Today()));
  EXPECT_EQ(empty->title, "卫生健康信息（" + year + "年第10期）");
  const std::string html = RenderHtml(*empty, false);
  for (const char* made_up : {"调度会", "召开", "抽查", "工作动态", "工作简讯"})
    EXPECT_EQ(html.find(made_up), std::string::npos) << made_up;
  std::vector<BulletinEntry> entries = {
      {"article", "乌兰镇开展家庭医生签约回访", "镇卫生院组织家庭医生入户回访签约居民。",
       "乌兰镇卫生院"},
      {"event", "旗卫健委完成季度数据核查", "核查发现的问题已当场反馈。", "规划信息股"}};
  auto full = BuildReport(*BuiltInTemplate("bulletin"),
                          {"bulletin", "150624100", "201907", 10, "", {}, nullptr, {}}, *engine_,
                          NowMillis(), entries);
  ASSERT_TRUE(full.ok());
  const std::string h2 = RenderHtml(*full, false);
  for (const char* s : {"工作动态", "家庭医生签约回访", "工作简讯", "季度数据核查"})
    EXPECT_NE(h2.find(s), std::string::npos) << s;
  // The masthead: name, issue, issuer and date, in the PDF as printed issues have them.
  ASSERT_EQ(full->masthead.size(), 4u);
  const std::string pdf = Write("bulletin.pdf", *RenderPdf(*full));
  const auto lines = PdfLines(pdf, 1);
  const PdfLine* name = LineWith(lines, "卫生健康信息");
  const PdfLine* issue = LineWith(lines, "第10期");
  ASSERT_NE(name, nullptr);
  ASSERT_NE(issue, nullptr);
  EXPECT_LT(name->y_max, issue->y_min);
  EXPECT_NEAR((name->x_min + name->x_max) / 2, (kTypeLeft + kTypeRight) / 2, 2 * kMm);
}

TEST_F(ReportsTest, AnnualReviewCoversTheProgramsWithDataUnderOneNumbering) {
  auto r =
      BuildReport(*BuiltInTemplate("annual"),
                  {"annual", "150624100", "2019", 0, "", {}, nullptr, {}}, *engine_, NowMillis());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string html = RenderHtml(*r, false);
  // Only 两癌 and 产前筛查 have data for 乌兰镇 in 2019: one theme, two programs, 一、（一）（二）.
  for (const char* s : {"一、妇幼健康", "（一）两癌筛查。", "（二）产前筛查。"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  for (const char* s : {"二、", "（三）", "结直肠癌", "托育", "一是", "<ol"})
    EXPECT_EQ(html.find(s), std::string::npos) << s;
  // Figures of the programs left out are not in the appendix either.
  for (const auto& f : r->figures) EXPECT_FALSE(f.dx.starts_with("CRC")) << f.dx;
  // With 结直肠癌 data the theme 疾病预防控制 appears as 二、 with its own （一）.
  Csv("CRC_APPOINT,201905,150624100H01,,,120\nCRC_REPORT,201906,150624100H01,,,100\n");
  engine_ = analytics::Engine::Build(*store_, cat_).value();
  auto more =
      BuildReport(*BuiltInTemplate("annual"),
                  {"annual", "150624100", "2019", 0, "", {}, nullptr, {}}, *engine_, NowMillis());
  ASSERT_TRUE(more.ok());
  const std::string h2 = RenderHtml(*more, false);
  EXPECT_NE(h2.find("二、疾病预防控制"), std::string::npos);
  EXPECT_NE(h2.find("（一）结直肠癌筛查。"), std::string::npos);
}

// Runs last: it adds a site font (a copy of LXGW WenKai renamed 仿宋_GB2312, as a site would
// drop its licensed 仿宋) and checks the renderer prefers it for the body.
TEST_F(ReportsTest, ZzSiteFontsInTheFontsFolderArePreferred) {
  const std::string source = "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf";
  ASSERT_EQ(Shell("test -s " + source + " && echo ok"), "ok\n") << "fonts-lxgw-wenkai missing";
  const std::string fonts = dir_.File("fonts");
  Shell("mkdir -p " + fonts);
  // Rename the family in the name table (Windows records, IDs 1 and 16) by shortening each
  // record to the new UTF-16 name: the table stays valid without moving any bytes.
  const std::string py = R"(
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack('>H', data[4:6])[0]
for i in range(n):
    tag, _, off, _ = struct.unpack('>4sLLL', data[12 + 16 * i: 28 + 16 * i])
    if tag == b'name':
        cnt, store = struct.unpack('>HH', data[off + 2: off + 6])
        new = '仿宋_GB2312'.encode('utf-16-be')
        for r in range(cnt):
            p = off + 6 + 12 * r
            plat, enc, lang, nid, ln, so = struct.unpack('>HHHHHH', data[p: p + 12])
            if plat == 3 and nid in (1, 4, 16) and ln >= len(new):
                s = off + store + so
                data[s: s + len(new)] = new
                data[p + 8: p + 10] = struct.pack('>H', len(new))
open(sys.argv[2], 'wb').write(data)
)";
  Write("rename.py", py);
  Shell("python3 " + dir_.File("rename.py") + " " + source + " " + fonts + "/fangsong.ttf");
  ASSERT_NE(ResolveDocumentFonts().body, "仿宋_GB2312");
  UseFontsDir(fonts);
  EXPECT_EQ(ResolveDocumentFonts().body, "仿宋_GB2312");
  const std::string pdf = Write("site-fonts.pdf", *RenderPdf(Progress()));
  EXPECT_NE(Shell("pdffonts " + pdf).find("LXGWWenKai"), std::string::npos);
  // The grid holds with another body face: the first line still starts two characters in.
  const auto lines = PdfLines(pdf, 1);
  const PdfLine* first = LineWith(lines, "今年以来");
  ASSERT_NE(first, nullptr);
  EXPECT_NEAR(first->x_min, kTypeLeft + 2 * kCharPitch, 1.0);
}

}  // namespace
}  // namespace weijian::reports
