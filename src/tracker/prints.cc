// What a 接种单位 prints and checks: the 预防接种证 (every dose of a child), the 预约通知单 (the
// doses of the next appointment), both as JSON and as PDF through the reports' PDF renderer, and
// 入托入学查验 (a class list checked against the records: who lacks which dose).
//
// Masking as Get: without the personal-data authority over the record's unit, names, ID numbers
// and phones print masked; an unmasked print, and every class list that found a record, is one
// PERSONAL_DATA audit row.
#include "tracker/prints.h"

#include <algorithm>

#include "core/utf8.h"
#include "reports/render.h"
#include "tracker/immunization.h"
#include "tracker/resident_id.h"

namespace weijian::tracker {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxClassRows = 2000;

json PrintDay(const std::optional<Date>& d) { return d ? json(FormatIsoDate(*d)) : json(); }

// The fields a print shows of a child, masked as View masks them.
json PrintHeader(const json& view) {
  json g = view["guardians"].empty() ? json::object() : view["guardians"][0];
  return {{"trackedEntity", view["trackedEntity"]},
          {"name", view["name"]},
          {"sex", view["sex"] == "M" ? "男" : "女"},
          {"birthDate", view["birthDate"]},
          {"idNumber", view["idNumber"]},
          {"guardian", g.value("name", "")},
          {"phone", g.value("phone", "")},
          {"orgUnit", view["orgUnit"]},
          {"masked", view["masked"]}};
}

bool LooksLikeIdNumber(const std::string& s) {
  if (s.size() != 15 && s.size() != 18) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] >= '0' && s[i] <= '9') && !(i == s.size() - 1 && (s[i] == 'X' || s[i] == 'x')))
      return false;
  return true;
}

reports::Line TextLine(const std::string& text) {
  reports::Run run;
  run.text = text;
  return {run};
}

reports::Cell TextCell(const std::string& text) {
  reports::Cell cell;
  cell.line = TextLine(text);
  return cell;
}

}  // namespace

std::vector<std::string> CsvLine(const std::string& text, std::size_t& pos) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"' && pos < text.size() && text[pos] == '"') {
        cells.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == '\t') {
      cells.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  for (auto& cell : cells) {
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
  }
  return cells;
}

Result<json> ImmunizationService::Certificate(const auth::Principal& who,
                                              const metadata::Catalog& cat, const std::string& uid,
                                              Date date, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
  if (unmasked) WJ_RETURN_IF_ERROR(AuditUnmaskedRecord(who, p.record, "打印预防接种证", now));
  json out = PrintHeader(View(cat, p, unmasked));
  WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(p.record.id));
  WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(p.record.id));
  std::vector<RecordedDose> recorded;
  for (const auto& d : doses) recorded.push_back({d.vaccine, ParseIsoDate(d.given_on).value()});
  const Date birth = ParseIsoDate(p.record.birth_date).value();
  const auto forecast = tracker::Forecast(EditionInForce(date), birth, recorded, holds, date);
  json rows = json::array();
  for (const auto& d : doses) {
    const Vaccine* v = FindVaccine(d.vaccine);
    const auto* unit = cat.OrgUnits().ById(d.org_unit_id);
    json row = {{"dose", d.uid},
                {"vaccine", d.vaccine},
                {"vaccineName", v ? v->name : d.vaccine},
                {"date", d.given_on},
                {"lot", d.lot},
                {"manufacturer", d.manufacturer},
                {"orgUnit", unit ? unit->name : ""},
                {"vaccinator", d.vaccinator},
                {"doseNumber", nullptr},
                {"state", "OUTSIDE_SCHEDULE"},
                {"stateName", "程序外接种"}};
    for (const DoseForecast& f : forecast)
      if (f.given && FormatIsoDate(*f.given) == d.given_on && f.vaccine == d.vaccine) {
        row["doseNumber"] = f.dose;
        row["state"] = DoseStateName(f.state);
        row["stateName"] = DoseStateLabel(f.state);
      }
    rows.push_back(std::move(row));
  }
  out["date"] = FormatIsoDate(date);
  out["doses"] = rows;
  json held = json::array();
  WJ_ASSIGN_OR_RETURN(auto hold_rows, store_.ListImmunizationHolds(p.record.id));
  for (const auto& h : hold_rows) held.push_back(HoldJson(h));
  out["holds"] = held;
  return out;
}

Result<json> ImmunizationService::Notice(const auth::Principal& who, const metadata::Catalog& cat,
                                         const std::string& uid, Date date,
                                         std::optional<Date> appointment, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  if (p.record.status == "TRANSFERRED_OUT")
    return Conflict("该儿童已迁出，不再预约接种", "trackedEntity");
  if (appointment && *appointment < date) return Conflict("预约日期早于今天", "appointment");
  const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
  if (unmasked) WJ_RETURN_IF_ERROR(AuditUnmaskedRecord(who, p.record, "打印预约通知单", now));
  WJ_ASSIGN_OR_RETURN(auto recorded, RecordedDosesOf(p.record.id));
  WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(p.record.id));
  const Date birth = ParseIsoDate(p.record.birth_date).value();
  if (!appointment) {
    // The first day after `date` on which a dose not given yet counts (held doses wait).
    for (const DoseForecast& f :
         tracker::Forecast(EditionInForce(date), birth, recorded, holds, date)) {
      const bool open = f.state == DoseState::kDue || f.state == DoseState::kOverdue ||
                        f.state == DoseState::kNotYet;
      if (!open || !f.earliest) continue;
      const Date day = std::max(*f.earliest, date + std::chrono::days(1));
      if (!appointment || day < *appointment) appointment = day;
    }
  }
  json out = PrintHeader(View(cat, p, unmasked));
  out["date"] = FormatIsoDate(date);
  out["appointment"] = PrintDay(appointment);
  json doses = json::array(), held = json::array();
  if (appointment) {
    const ScheduleEdition& edition = EditionInForce(*appointment);
    for (const DoseForecast& f : tracker::Forecast(edition, birth, recorded, holds, *appointment)) {
      json row = ForecastRowJson(f);
      row["latestDate"] = PrintDay(f.latest);
      row["reason"] = f.reason;
      if (f.state == DoseState::kDue || f.state == DoseState::kOverdue)
        doses.push_back(std::move(row));
      else if (f.state == DoseState::kContraindicated || f.state == DoseState::kDeferred)
        held.push_back(std::move(row));
    }
  }
  out["doses"] = doses;
  out["held"] = held;
  return out;
}

Result<json> ImmunizationService::SchoolCheck(const auth::Principal& who,
                                              const metadata::Catalog& cat, const std::string& csv,
                                              Date date, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  std::string text = csv;
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  std::vector<std::vector<std::string>> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    auto cells = CsvLine(text, pos);
    if (cells.size() == 1 && cells[0].empty()) continue;
    lines.push_back(std::move(cells));
  }
  if (lines.empty()) return Conflict("名单为空：请上传 CSV（身份证号，或 姓名、出生日期）", "file");
  // Columns by header name; a file of one column without a header is a list of ID numbers.
  int col_id = -1, col_name = -1, col_birth = -1, col_class = -1;
  for (std::size_t c = 0; c < lines[0].size(); ++c) {
    const std::string& h = lines[0][c];
    if (h == "身份证号" || h == "居民身份证号" || h == "idNumber") col_id = static_cast<int>(c);
    if (h == "姓名" || h == "name") col_name = static_cast<int>(c);
    if (h == "出生日期" || h == "birthDate") col_birth = static_cast<int>(c);
    if (h == "班级" || h == "class") col_class = static_cast<int>(c);
  }
  std::size_t first = 1;
  if (col_id < 0 && col_name < 0) {
    if (lines[0].size() != 1 || !LooksLikeIdNumber(lines[0][0]))
      return Conflict("第 1 行应为列名：身份证号，或 姓名、出生日期（可加 班级）", "file");
    col_id = 0;
    first = 0;
  }
  if (col_id < 0 && col_birth < 0) return Conflict("按姓名查验时须有 出生日期 列", "file");
  if (lines.size() - first > kMaxClassRows)
    return Conflict("一次最多查验 " + std::to_string(kMaxClassRows) + " 人", "file");

  auto cell = [](const std::vector<std::string>& l, int c) {
    return c >= 0 && static_cast<std::size_t>(c) < l.size() ? l[c] : std::string();
  };
  json rows = json::array();
  int complete = 0, incomplete = 0, not_found = 0, errors = 0, found = 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const std::string id_text = cell(l, col_id), name = cell(l, col_name),
                      birth_text = cell(l, col_birth);
    json row = {{"row", i + 1}, {"name", name}, {"class", cell(l, col_class)}};
    if (!id_text.empty()) row["idNumber"] = MaskIdNumber(id_text);
    auto fail = [&](const std::string& message, const std::string& field) {
      row["status"] = "ERROR";
      row["statusName"] = "无法查验";
      row["error"] = message;
      row["field"] = field;
      ++errors;
      rows.push_back(row);
    };
    std::vector<storage::TrackedEntityRecord> candidates;
    if (!id_text.empty()) {
      auto rid = ParseResidentId(id_text, date);
      if (!rid.ok()) {
        fail("身份证号：" + rid.status().message(), "idNumber");
        continue;
      }
      WJ_ASSIGN_OR_RETURN(candidates, store_.FindTrackedEntitiesByIndex(
                                          "id", vault->BlindIndex("id", rid->number)));
    }
    if (candidates.empty() && !name.empty()) {
      if (birth_text.empty()) {
        fail("请填写出生日期", "birthDate");
        continue;
      }
      auto birth = ParseIsoDate(birth_text);
      if (!birth.ok()) {
        fail("出生日期应为 YYYY-MM-DD 的真实日期", "birthDate");
        continue;
      }
      WJ_ASSIGN_OR_RETURN(
          candidates,
          store_.FindTrackedEntitiesByIndex(
              "name_birth", vault->BlindIndex("name_birth", NameBirthKey(name, birth_text))));
    } else if (id_text.empty()) {
      fail("请填写身份证号，或姓名和出生日期", name.empty() ? "name" : "idNumber");
      continue;
    }
    // Records outside the caller's scope are not found: a class list tells nothing about them.
    std::erase_if(candidates, [&](const storage::TrackedEntityRecord& r) {
      return !auth::CanRead(who, cat, r.org_unit_id);
    });
    if (candidates.size() > 1) {
      fail("同名同出生日期的档案有 " + std::to_string(candidates.size()) + " 份，请用身份证号查验",
           "name");
      continue;
    }
    if (candidates.empty()) {
      row["status"] = "NOT_FOUND";
      row["statusName"] = "无接种档案（需补证、补种）";
      ++not_found;
      rows.push_back(row);
      continue;
    }
    const auto& r = candidates.front();
    ++found;
    WJ_ASSIGN_OR_RETURN(auto recorded, RecordedDosesOf(r.id));
    WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(r.id));
    const Date birth = ParseIsoDate(r.birth_date).value();
    json missing = json::array(), held = json::array();
    for (const DoseForecast& f :
         tracker::Forecast(EditionInForce(date), birth, recorded, holds, date)) {
      const bool lacking = f.state == DoseState::kDue || f.state == DoseState::kOverdue;
      const bool is_held =
          f.state == DoseState::kContraindicated || f.state == DoseState::kDeferred;
      if (!lacking && !is_held) continue;
      json d = ForecastRowJson(f);
      if (!f.reason.empty()) d["reason"] = f.reason;
      (lacking ? missing : held).push_back(std::move(d));
    }
    const auto* unit = cat.OrgUnits().ById(r.org_unit_id);
    row["trackedEntity"] = r.uid;
    row["orgUnit"] = unit ? json{{"id", unit->uid}, {"name", unit->name}} : json();
    row["missing"] = missing;
    row["held"] = held;
    row["status"] = missing.empty() ? "COMPLETE" : "INCOMPLETE";
    row["statusName"] = missing.empty() ? "合格" : "需补种";
    (missing.empty() ? complete : incomplete) += 1;
    rows.push_back(std::move(row));
  }
  if (found > 0) {
    storage::AuditRecord audit;
    audit.type = "PERSONAL_DATA";
    audit.username = who.name();
    audit.object = "schoolCheck";
    audit.detail = "入托入学查验：名单 " + std::to_string(lines.size() - first) + " 人，找到档案 " +
                   std::to_string(found) + " 份";
    audit.created = now;
    WJ_RETURN_IF_ERROR(store_.AppendAudit(audit));
  }
  return json{{"date", FormatIsoDate(date)},
              {"summary",
               {{"rows", rows.size()},
                {"complete", complete},
                {"incomplete", incomplete},
                {"notFound", not_found},
                {"errors", errors}}},
              {"rows", rows}};
}

Result<std::string> CertificatePdf(const json& c) {
  reports::Report r;
  r.title = "预防接种证";
  r.source_appendix = false;
  reports::Section head;
  reports::Block who;
  who.lines.push_back(TextLine("儿童姓名：" + c.value("name", "") + "　性别：" +
                               c.value("sex", "") + "　出生日期：" + c.value("birthDate", "")));
  if (!c.value("idNumber", "").empty())
    who.lines.push_back(TextLine("身份证号：" + c.value("idNumber", "")));
  who.lines.push_back(
      TextLine("监护人：" + c.value("guardian", "") + "　联系电话：" + c.value("phone", "")));
  who.lines.push_back(TextLine("管理单位：" + c["orgUnit"].value("name", "") + "　打印日期：" +
                               c.value("date", "")));
  head.blocks.push_back(std::move(who));
  r.sections.push_back(std::move(head));
  reports::Section doses{"一、接种记录", {}};
  reports::Block table;
  table.kind = reports::Block::Kind::kTable;
  table.header = {"疫苗", "剂次", "接种日期", "批号", "生产企业", "接种单位"};
  for (const auto& d : c["doses"]) {
    const std::string n =
        d["doseNumber"].is_number() ? "第" + std::to_string(d["doseNumber"].get<int>()) + "剂" : "";
    const std::string state = d.value("state", "") == "GIVEN_INVALID" ? "（无效）" : "";
    table.rows.push_back({TextCell(d.value("vaccineName", "") + state), TextCell(n),
                          TextCell(d.value("date", "")), TextCell(d.value("lot", "")),
                          TextCell(d.value("manufacturer", "")), TextCell(d.value("orgUnit", ""))});
  }
  if (table.rows.empty()) table.rows.push_back({TextCell("尚无接种记录")});
  doses.blocks.push_back(std::move(table));
  r.sections.push_back(std::move(doses));
  if (!c["holds"].empty()) {
    reports::Section holds{"二、禁忌与暂缓", {}};
    reports::Block b;
    for (const auto& h : c["holds"])
      b.lines.push_back(
          TextLine(h.value("kindName", "") + "：" + h.value("vaccineName", "") + "，自 " +
                   h.value("from", "") +
                   (h["until"].is_string() ? " 至 " + h["until"].get<std::string>() : "") + "，" +
                   h.value("reason", "")));
    holds.blocks.push_back(std::move(b));
    r.sections.push_back(std::move(holds));
  }
  return reports::RenderPdf(r);
}

Result<std::string> NoticePdf(const json& n) {
  reports::Report r;
  r.title = "预防接种预约通知单";
  r.source_appendix = false;
  reports::Section s;
  reports::Block b;
  b.lines.push_back(TextLine(n.value("guardian", "") + "：您好！"));
  const std::string child =
      n.value("name", "") + "（" + n.value("sex", "") + "，" + n.value("birthDate", "") + " 出生）";
  if (n["appointment"].is_string()) {
    b.lines.push_back(TextLine("请于 " + n["appointment"].get<std::string>() +
                               " 携带预防接种证，带" + child + "到" +
                               n["orgUnit"].value("name", "") + "接种以下疫苗："));
  } else {
    b.lines.push_back(TextLine(child + "目前没有待种的免疫规划疫苗。"));
  }
  s.blocks.push_back(std::move(b));
  if (!n["doses"].empty()) {
    reports::Block table;
    table.kind = reports::Block::Kind::kTable;
    table.header = {"疫苗", "剂次", "说明"};
    for (const auto& d : n["doses"]) {
      const std::string note = d.value("state", "") == "OVERDUE" ? "已逾期，请尽快补种"
                               : d["latestDate"].is_string()
                                   ? "请在 " + d["latestDate"].get<std::string>() + " 前接种"
                                   : "";
      table.rows.push_back({TextCell(d.value("vaccineName", "")),
                            TextCell("第" + std::to_string(d.value("dose", 0)) + "剂"),
                            TextCell(note)});
    }
    s.blocks.push_back(std::move(table));
  }
  reports::Block tail;
  for (const auto& h : n["held"])
    tail.lines.push_back(TextLine(h.value("vaccineName", "") + "：" + h.value("reason", "")));
  tail.lines.push_back(
      TextLine("接种前请告知孩子近期健康状况；如不能按时前来，请联系接种单位另约时间。"));
  s.blocks.push_back(std::move(tail));
  r.sections.push_back(std::move(s));
  return reports::RenderPdf(r);
}

}  // namespace weijian::tracker
