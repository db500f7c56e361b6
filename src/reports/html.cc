// Reports as HTML through the escaping template engine.
#include <cmath>
#include <kainjow/mustache.hpp>
#include <set>

#include "core/date.h"
#include "reports/phrasing.h"
#include "reports/render.h"

namespace weijian::reports {

namespace {
namespace mu = kainjow::mustache;

constexpr const char* kBody =
    R"(<div class="report" data-template="{{template}}" data-generated="{{generated}}">
{{#masthead}}<header class="masthead-report"><p class="masthead-title">{{title}}</p><p class="masthead-issue">{{issue}}</p><p class="masthead-line"><span>{{issuer}}</span><span>{{date}}</span></p></header>{{/masthead}}
{{^masthead}}<h1 class="report-title">{{title}}</h1>{{/masthead}}
{{#has_toc}}<nav class="report-toc" aria-label="本期目录"><ul>{{#toc}}<li>○ {{.}}</li>{{/toc}}</ul></nav>{{/has_toc}}
{{#sections}}<section class="report-section">
{{#heading}}<h2>{{heading}}</h2>{{/heading}}
{{#blocks}}
{{#text}}{{#lines}}<p>{{>line_runs}}</p>{{/lines}}{{/text}}
{{#list}}<ol class="facts">{{#lines}}<li>{{>line_runs}}</li>{{/lines}}</ol>{{/list}}
{{#ordinal}}{{#lines}}<p>{{prefix}}{{>line_runs}}</p>{{/lines}}{{/ordinal}}
{{#item}}<article class="report-item"><p><strong>{{title}}</strong>{{#lines}}{{>line_runs}}{{/lines}}{{#source}}（{{source}}）{{/source}}</p></article>{{/item}}
{{#table}}<table class="report-table"><caption>{{caption}}</caption><thead><tr>{{#header}}<th scope="col">{{.}}</th>{{/header}}</tr></thead><tbody>{{#rows}}<tr>{{#cells}}<td{{#number}} class="num"{{/number}}>{{>line_runs}}</td>{{/cells}}</tr>{{/rows}}</tbody></table>{{/table}}
{{/blocks}}
</section>{{/sections}}
<section class="report-sources" aria-labelledby="sources-h">
<h2 id="sources-h">数据来源与口径</h2>
<p class="sources-note">本文数字取自各级医疗卫生机构按月上报的统计数据（{{basis}}），由{{unit}}汇总，统计期间为{{period}}，数据读取于{{generated_at}}。各项数字的计算口径如下。</p>
<table class="sources-table"><thead><tr><th scope="col">指标</th><th scope="col">地区</th><th scope="col">期间</th><th scope="col">数值</th><th scope="col">分子</th><th scope="col">分母</th></tr></thead>
<tbody>{{#rows}}<tr><td>{{item}}</td><td>{{unit}}</td><td>{{period}}</td><td class="num">{{value}}</td><td class="num">{{numerator}}</td><td class="num">{{denominator}}</td></tr>{{/rows}}</tbody></table>
<ul class="sources-definitions">{{#definitions}}<li>{{.}}</li>{{/definitions}}</ul>
</section>
</div>)";

constexpr const char* kRuns =
    R"({{#runs}}{{#fig}}<span class="figure" tabindex="0" data-figure="{{n}}" data-definition="{{definition}}" data-unit="{{unit}}" data-period="{{period}}" data-numerator="{{numerator}}" data-denominator="{{denominator}}" data-read-at="{{read_at}}" title="{{tip}}">{{text}}</span>{{/fig}}{{^fig}}{{text}}{{/fig}}{{/runs}})";

constexpr const char* kPage = R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
body{font-family:"Noto Serif CJK SC","SimSun",serif;font-size:18px;line-height:1.8;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
h1,.masthead-title{text-align:center;font-size:1.7rem}
.masthead-title{color:#b00000;font-size:2.4rem;letter-spacing:.3em;margin:0}
.masthead-issue{text-align:center;margin:.2rem 0}
.masthead-line{border-bottom:3px solid #b00000;padding-bottom:.3rem;display:flex;justify-content:space-between}
h2{font-family:"Noto Sans CJK SC",sans-serif;font-size:1.15rem}
p{text-indent:2em;margin:.4em 0}
.report-table{border-collapse:collapse;margin:1rem auto}
.report-table td,.report-table th{border:1px solid #555;padding:.3rem .6rem}
.report-table td.num{text-align:right}
.figure{border-bottom:1px dotted #0b4f9c;cursor:help}
.figure:focus{outline:2px solid #b35900}
.report-sources{font-size:.85rem;border-top:1px solid #999;margin-top:2rem}
</style></head><body>
{{{body}}}
</body></html>)";

std::string Num(const std::optional<double>& v) { return v ? Number(*v, 2) : ""; }

mu::data RunsData(const Line& line, const Report& r) {
  mu::list runs;
  for (const auto& run : line) {
    mu::data d;
    d.set("text", run.text);
    if (run.figure >= 0) {
      const Figure& f = r.figures[static_cast<std::size_t>(run.figure)];
      mu::data fig;
      fig.set("n", std::to_string(run.figure + 1));
      fig.set("definition", f.definition);
      fig.set("unit", f.unit_name);
      fig.set("period", f.period);
      fig.set("numerator", Num(f.numerator));
      fig.set("denominator", Num(f.denominator));
      fig.set("read_at", FormatTimestamp(f.read_at).substr(0, 16));
      std::string tip = f.definition + "\n单位：" + f.unit_name + "\n期间：" + f.period;
      if (f.numerator) tip += "\n分子：" + Num(f.numerator);
      if (f.denominator) tip += "　分母：" + Num(f.denominator);
      tip += "\n读取时间：" + FormatTimestamp(f.read_at).substr(0, 16).replace(10, 1, " ");
      fig.set("tip", tip);
      d.set("fig", fig);
    } else {
      d.set("fig", false);
    }
    runs.push_back(d);
  }
  mu::data out;
  out.set("runs", runs);
  return out;
}
}  // namespace

std::string LineText(const Line& line) {
  std::string s;
  for (const auto& r : line) s += r.text;
  return s;
}

std::string SourceLine(const Figure& f, std::size_t n) {
  std::string line = std::to_string(n) + ". " + f.text + "：" + f.definition + "；单位：" +
                     f.unit_name + "；期间：" + f.period;
  if (f.numerator) line += "；分子" + Number(*f.numerator, 2);
  if (f.denominator) line += "，分母" + Number(*f.denominator, 2);
  return line + "；读取时间" + FormatTimestamp(f.read_at).substr(0, 16).replace(10, 1, " ") + "。";
}

std::string PlainNumber(double v) {
  if (std::abs(v - std::round(v)) < 1e-9) return Count(v, "");
  return Number(v, 2);
}

std::vector<SourceRow> SourceTable(const Report& r) {
  std::vector<SourceRow> out;
  std::set<std::string> seen;
  for (const auto& f : r.figures) {
    if (!seen.insert(f.dx + "|" + f.unit_code + "|" + f.period_ids).second) continue;
    SourceRow row;
    row.item = f.item_name;
    row.unit = f.unit_name;
    row.period = f.period;
    const bool percent = f.definition.ends_with("× 100");
    row.value = !f.value ? "—" : percent ? Rate(*f.value) : PlainNumber(*f.value);
    row.numerator = f.numerator ? PlainNumber(*f.numerator) : "";
    row.denominator = f.denominator ? PlainNumber(*f.denominator) : "";
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<std::string> SourceDefinitions(const Report& r) {
  std::vector<std::string> out;
  // What the figures rest on comes first: approved data up to a day, or everything entered.
  if (!r.data_basis.empty()) out.push_back("数据范围：" + r.data_basis);
  std::set<std::string> seen;
  for (const auto& f : r.figures)
    if (!f.definition.empty() && seen.insert(f.definition).second) out.push_back(f.definition);
  return out;
}

std::string RenderHtml(const Report& r, bool standalone) {
  mu::data d;
  d.set("template", r.template_name);
  d.set("generated", FormatTimestamp(r.generated_at));
  d.set("title", r.title);
  if (!r.masthead.empty()) {
    mu::data m;
    m.set("title", r.masthead[0]);
    m.set("issue", r.masthead.size() > 1 ? r.masthead[1] : "");
    m.set("issuer", r.masthead.size() > 2 ? r.masthead[2] : "");
    m.set("date", r.masthead.size() > 3 ? r.masthead[3] : "");
    d.set("masthead", m);
  }
  mu::list toc;
  mu::list sections;
  for (const auto& s : r.sections) {
    mu::data sd;
    if (!s.heading.empty()) sd.set("heading", s.heading);
    mu::list blocks;
    for (const auto& b : s.blocks) {
      mu::data bd;
      mu::list lines;
      int n = 0;
      for (const auto& l : b.lines) {
        mu::data ld = RunsData(l, r);
        ld.set("prefix", Ordinal(++n));
        lines.push_back(ld);
      }
      mu::data inner;
      inner.set("lines", lines);
      switch (b.kind) {
        case Block::Kind::kText:
          bd.set("text", inner);
          break;
        case Block::Kind::kList:
          bd.set(b.ordinal ? "ordinal" : "list", inner);
          break;
        case Block::Kind::kItem:
          inner.set("title", b.title + "。");
          if (!b.source.empty()) inner.set("source", b.source);
          bd.set("item", inner);
          toc.push_back(mu::data(b.title));
          break;
        case Block::Kind::kTable: {
          mu::data td;
          td.set("caption", b.title);
          mu::list header;
          for (const auto& h : b.header) header.push_back(mu::data(h));
          td.set("header", header);
          mu::list rows;
          for (const auto& row : b.rows) {
            mu::list cells;
            for (const auto& c : row) {
              mu::data cd = RunsData(c.line, r);
              cd.set("number", c.number);
              cells.push_back(cd);
            }
            rows.push_back(mu::object{{"cells", cells}});
          }
          td.set("rows", rows);
          bd.set("table", td);
          break;
        }
      }
      blocks.push_back(bd);
    }
    sd.set("blocks", blocks);
    sections.push_back(sd);
  }
  d.set("sections", sections);
  if (r.toc && !toc.empty()) {
    d.set("has_toc", true);
    d.set("toc", toc);
  }
  mu::list rows;
  for (const auto& row : SourceTable(r))
    rows.push_back(mu::object{{"item", row.item},
                              {"unit", row.unit},
                              {"period", row.period},
                              {"value", row.value},
                              {"numerator", row.numerator},
                              {"denominator", row.denominator}});
  d.set("rows", rows);
  mu::list definitions;
  for (const auto& def : SourceDefinitions(r)) definitions.push_back(mu::data(def));
  d.set("definitions", definitions);
  d.set("unit", r.unit_name);
  d.set("basis", r.data_basis.empty() ? std::string("含尚未审核的数据") : r.data_basis);
  d.set("period", r.period_label);
  d.set("generated_at", FormatTimestamp(r.generated_at).substr(0, 16).replace(10, 1, " "));
  mu::mustache body(kBody);
  mu::partial runs_partial([] { return std::string(kRuns); });
  d.set("line_runs", runs_partial);
  std::string html = body.render(d);
  if (!standalone) return html;
  mu::data page;
  page.set("title", r.title);
  page.set("body", html);
  return mu::mustache(kPage).render(page);
}

}  // namespace weijian::reports
