#include "http/portal_page.h"

#include <weijian/version.h>

#include <kainjow/mustache.hpp>

namespace weijian::http {

namespace {
constexpr const char* kTemplate = R"(<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{site}} · 卫健数据平台</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:18px;line-height:1.6;
color:#1a1a1a;background:#fff;max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;border-bottom:3px solid #b0191e;padding-bottom:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #888;padding:.4rem .8rem;text-align:left}
a{color:#0b4f9c}
</style></head>
<body>
<a href="#main">跳到正文</a>
<h1>{{site}}</h1>
<main id="main">
<p>本平台汇集各苏木乡镇、嘎查村上报的卫生健康数据。数据库中现有：</p>
<table>
<tr><th scope="row">组织机构</th><td>{{org_units}} 个</td></tr>
<tr><th scope="row">数据元</th><td>{{data_elements}} 个</td></tr>
<tr><th scope="row">数据集（报表）</th><td>{{data_sets}} 张</td></tr>
<tr><th scope="row">指标</th><td>{{indicators}} 个</td></tr>
<tr><th scope="row">数据值</th><td>{{data_values}} 条</td></tr>
</table>
<h2>接口</h2>
<ul>
<li><a href="/api/organisationUnits?level=3">旗区列表 /api/organisationUnits?level=3</a></li>
<li><a href="/api/dataSets">数据集 /api/dataSets</a></li>
<li><a href="/api/indicators">指标 /api/indicators</a></li>
<li><a href="/api/system/info">系统信息 /api/system/info</a></li>
</ul>
</main>
<footer><p>weijian {{version}}</p></footer>
</body></html>
)";
}  // namespace

Response RenderLandingPage(App& app) {
  auto cat = app.catalog();
  std::string site = "卫生健康数据平台";
  for (const auto& u : cat->org_units())
    if (u.level == 2 && u.parent_id != 0) {
      site = u.name + "卫生健康数据平台";
      break;
    }
  auto values = app.store().CountDataValues(false);
  kainjow::mustache::mustache tmpl(kTemplate);
  kainjow::mustache::data d;
  d.set("site", site);
  d.set("org_units", std::to_string(cat->org_units().size()));
  d.set("data_elements", std::to_string(cat->records().data_elements.size()));
  d.set("data_sets", std::to_string(cat->records().data_sets.size()));
  d.set("indicators", std::to_string(cat->records().indicators.size()));
  d.set("data_values", std::to_string(values.ok() ? *values : 0));
  d.set("version", kVersion);
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = tmpl.render(d);
  return r;
}

}  // namespace weijian::http
