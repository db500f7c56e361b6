// Reports written from live data: a template (sections of staff-written text, sentences with
// bound figures, tables and numbered facts) evaluated for one unit and period range against the
// analytics engine. Every bound figure keeps its provenance (definition, unit, period,
// numerator and denominator, when it was read), and the report lists what looks wrong before it
// is published (rates above 100%, units that have not reported, big swings, missing targets).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics/analytics.h"
#include "analytics/engine.h"
#include "core/period.h"
#include "storage/store.h"

namespace weijian::reports {

// One bound figure as printed, with where it came from.
struct Figure {
  std::string key;   // the template's name for it
  std::string dx;    // the indicator or data element code it reads
  std::string text;  // as printed: "82353人", "83.86%", "排全市第三"
  std::optional<double> value;
  std::string item_name;  // 两癌筛查任务完成率
  std::string definition;  // 两癌筛查任务完成率 = 两癌筛查完成人数 ÷ 两癌筛查任务数 × 100
  std::string unit_name;  // 鄂托克旗
  std::string unit_code;
  std::string period;      // 2019年1-7月
  std::string period_ids;  // 201901..201907
  std::optional<double> numerator, denominator, previous;
  int rank = 0, of = 0;
  std::int64_t read_at = 0;  // ms
  std::string query;         // the analytics query behind it (for the pivot link)
  bool withheld = false;     // its unit is outside the reader's scope: shown as "—"
  nlohmann::json ToJson() const;
};

// Text with figures in it.
struct Run {
  std::string text;
  int figure = -1;  // index into Report::figures, or plain text
};
using Line = std::vector<Run>;

struct Cell {
  Line line;
  bool number = false;  // right-aligned; `value` set
  bool percent = false;
  std::optional<double> value;
};

struct Block {
  enum class Kind { kText, kList, kTable, kItem } kind = Kind::kText;
  std::vector<Line> lines;  // text: paragraphs; list: items; item: one paragraph
  bool ordinal = false;     // list as 一是…二是… instead of 1. 2.
  std::string title;        // item title (bulletin), table caption
  std::string source;       // item source department
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
};

struct Section {
  std::string heading;
  std::vector<Block> blocks;
};

struct Check {
  std::string severity;  // "warning" or "info"
  std::string message;   // for the editor, in Chinese
};

struct Report {
  std::string template_name;
  std::string title;
  std::vector<std::string> masthead;  // bulletin: 卫生健康信息 / 第N期 / issuer and date
  bool toc = false;                   // a table of contents of item titles
  std::vector<Section> sections;
  std::vector<Figure> figures;
  std::vector<Check> checks;
  std::string unit_name, unit_code, period_ids, period_label;
  std::int64_t generated_at = 0;
  // What the figures rest on, for the 口径 appendix: "截至2026年12月1日已审核数据（乡镇级及以上）";
  // empty when the report reads all data.
  std::string data_basis;
  // The closing 数据来源与口径 appendix (PDF); off for documents without figures (a 预防接种证).
  bool source_appendix = true;
  nlohmann::json FiguresJson() const;
};

// The three templates shipped with weijian, by name: progress (进展汇报), annual (年度盘点),
// bulletin (卫生健康信息). Stored templates of the same name take their place.
const std::vector<std::string>& BuiltInTemplateNames();
Result<nlohmann::json> BuiltInTemplate(const std::string& name);
// The stored template, else the built-in one; NotFound names the template.
Result<nlohmann::json> LoadTemplate(storage::Store& store, const std::string& name);
// Checks a template's shape; the error names the part ("sections[2].blocks[0].type").
Status ValidateTemplate(const nlohmann::json& t);

struct ReportRequest {
  std::string template_name;
  std::string org_unit;  // uid or code
  std::string period;    // "202401..202407", "2023", "2024Q1..2024Q3"
  int issue = 0;         // bulletin issue number (0: counted from published issues)
  std::string issuer;    // bulletin issuer (default: the unit's 卫生健康委员会)
  // Whose eyes the figures are read with. The default reads nothing: a caller's request carries
  // the caller's scope; only the operator's command line sets `everything`. A figure of a unit
  // outside it (a "parent", a named unit) shows "—" with a note.
  analytics::QueryScope scope{false, {}, {}};
  // Approved data only (analytics' approvalLevel), as reports and releases read by default; null
  // reads everything entered. With it, the units of the report's subtree not yet approved for
  // its periods (names, within the reader's scope): a check lists them before publishing.
  std::shared_ptr<const analytics::ApprovedData> approved;
  std::vector<std::string> unapproved_units;
  // Program indicators counted from individual records (the immunization coverage rates), asked
  // for only when a figure names one; empty: such figures are refused as unknown. They are read
  // as the records stand (individual records have no approval).
  std::function<Result<std::shared_ptr<const analytics::ProgramIndicatorSource>>()>
      program_indicators = {};
};

// A bulletin item from content that exists: an article published in 工作动态 in the period
// ("article"), or an event the editor entered ("event"). A template's {"type": "entries",
// "from": "article"|"event"} block lists them; a section left with no items is dropped.
struct BulletinEntry {
  std::string kind;  // "article" or "event"
  std::string title, text, source;
};

// Evaluates a template. Errors name the request field (template, ou, period) or the template part.
Result<Report> BuildReport(const nlohmann::json& tmpl, const ReportRequest& request,
                           const analytics::Engine& engine, std::int64_t now,
                           const std::vector<BulletinEntry>& entries = {});

}  // namespace weijian::reports
