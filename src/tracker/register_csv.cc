// The 接种单位's 接种卡 register as CSV (issue 17, item 8): one row per dose, the child's columns
// repeated on each of his rows (or one row for a child without doses). Rows are grouped into
// children by 档案编号, else 身份证号, else 出生医学证明编号, else 姓名 + 出生日期 + 监护人电话;
// a child already on record (by 档案编号 or by 身份证号 through the blind index) gets the new
// doses, and the register's non-empty child columns overwrite his record's. A child's columns
// are read from his first row; a later row of his that fills one differently is an error naming
// its row and column (与第 N 行不一致), and the register is then only checked.
//
// The rows become one DHIS2 tracker payload imported with atomicMode=ALL, so a register goes
// through exactly the checks of POST /api/tracker and /api/immunization, and is written whole or
// not at all; each error report is turned back into the row and column it came from.
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

#include "core/uid.h"
#include "tracker/exchange.h"
#include "tracker/immunization.h"
#include "tracker/prints.h"
#include "tracker/resident_id.h"

namespace weijian::tracker {

using nlohmann::json;

namespace {

// A register column: its header (and English alias), the field it fills.
struct Column {
  const char* header;
  const char* alias;
  const char* field;  // an /api/immunization field, or "trackedEntity", "dose.orgUnit", "date"
};

constexpr Column kColumns[] = {
    {"接种单位", "orgUnit", "orgUnit"},
    {"档案编号", "trackedEntity", "trackedEntity"},
    {"姓名", "name", "name"},
    {"性别", "sex", "sex"},
    {"出生日期", "birthDate", "birthDate"},
    {"身份证号", "idNumber", "idNumber"},
    {"出生医学证明编号", "birthCertificate", "birthCertificate"},
    {"监护人", "guardianName", "guardians[0].name"},
    {"监护人关系", "guardianRelation", "guardians[0].relation"},
    {"监护人电话", "guardianPhone", "guardians[0].phone"},
    {"住址", "address", "address"},
    {"村", "village", "village"},
    {"疫苗", "vaccine", "vaccine"},
    {"接种日期", "date", "date"},
    {"接种地点", "doseOrgUnit", "dose.orgUnit"},
    {"批号", "lot", "lot"},
    {"生产企业", "manufacturer", "manufacturer"},
    {"有效期", "lotExpiry", "lotExpiry"},
    {"追溯码", "traceCode", "traceCode"},
    {"接种者", "vaccinator", "vaccinator"},
    {"接种部位", "site", "site"},
    {"接种途径", "route", "route"},
};
constexpr std::size_t kMaxRows = 100000;

// "2024/1/5", "2024.01.05" or "2024-1-5" as 2024-01-05; anything else unchanged (the checks
// then name it).
std::string NormalDate(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char s1 = 0, s2 = 0;
  if (std::sscanf(text.c_str(), "%4d%c%2d%c%2d", &y, &s1, &m, &s2, &d) != 5 || s1 != s2 ||
      (s1 != '-' && s1 != '/' && s1 != '.'))
    return text;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// The columns that describe the child, repeated on each of his rows (kColumns up to 村).
constexpr std::size_t kChildColumns = 12;
static_assert(std::string_view(kColumns[kChildColumns - 1].field) == "village" &&
              std::string_view(kColumns[kChildColumns].field) == "vaccine");

// A child column's value as the import reads it: a date, an ID number and a sex in one spelling,
// so that rows differing only in how they write it agree.
std::string ChildValue(const std::string& field, const std::string& v, Date today) {
  if (field == "birthDate") return NormalDate(v);
  if (field == "idNumber") {
    auto parsed = ParseResidentId(v, today);
    return parsed.ok() ? parsed->number : v;
  }
  if (field == "sex") {
    if (v == "男" || v == "M" || v == "MALE") return "M";
    if (v == "女" || v == "F" || v == "FEMALE") return "F";
  }
  return v;
}

// The column a field of an error report came from ("" when none).
const char* HeaderOf(const std::string& field) {
  if (field == "occurredAt") return "接种日期";
  if (field == "guardians") return "监护人";
  for (const auto& c : kColumns)
    if (field == c.field) return c.header;
  return "";
}

}  // namespace

Result<json> ImmunizationService::ImportRegisterCsv(const auth::Principal& who,
                                                    const metadata::Catalog& cat,
                                                    const std::string& csv, bool dry_run,
                                                    Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  std::string text = csv;
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  // Lines with their numbers in the file (a quoted cell may span lines).
  std::vector<std::pair<int, std::vector<std::string>>> lines;
  int line_no = 1;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    auto cells = CsvLine(text, pos);
    const int at = line_no;
    line_no += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(start),
                                           text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    if (cells.size() == 1 && cells[0].empty()) continue;
    lines.emplace_back(at, std::move(cells));
  }
  if (lines.empty()) return Conflict("接种卡登记表为空：请上传 CSV（第 1 行为列名）", "file");
  // A register that is not UTF-8 (Excel's plain “CSV” is GBK) is refused whole, as the data
  // value CSV is: its names, lots and manufacturers would be stored as mojibake. The first cell
  // that is not UTF-8 is named (GBK never uses the bytes of a comma, quote or line break, so the
  // cells are split where the user sees them).
  auto utf8 = [](const std::string& s) { return simdjson::validate_utf8(s.data(), s.size()); };
  for (const auto& [row, cells] : lines)
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (utf8(cells[c])) continue;
      const auto& header = lines[0].second;
      const std::string column = row != lines[0].first && c < header.size() && utf8(header[c])
                                     ? "“" + header[c] + "”"
                                     : "第 " + std::to_string(c + 1) + " 列";
      return Conflict("文件不是 UTF-8 编码（Excel 请另存为“CSV UTF-8”）：第 " +
                          std::to_string(row) + " 行" + column + "的文字无法读取，未导入任何内容",
                      "file");
    }
  if (lines.size() - 1 > kMaxRows)
    return Conflict("一次最多导入 " + std::to_string(kMaxRows) + " 行", "file");
  std::map<std::string, std::size_t> col;  // field -> column index
  for (std::size_t c = 0; c < lines[0].second.size(); ++c) {
    const std::string& h = lines[0].second[c];
    bool known = false;
    for (const auto& k : kColumns)
      if (h == k.header || h == k.alias) {
        col[k.field] = c;
        known = true;
      }
    if (!known)
      return Conflict("第 1 行第 " + std::to_string(c + 1) + " 列“" + h +
                          "”不是登记表的列名（见 README：接种卡登记表 CSV）",
                      "file");
  }
  for (const char* need : {"orgUnit", "name"})
    if (!col.count(need))
      return Conflict(std::string("第 1 行缺少列“") + HeaderOf(need) + "”", "file");
  if (!col.count("birthDate") && !col.count("idNumber"))
    return Conflict("第 1 行缺少列“出生日期”（或“身份证号”）", "file");
  if (col.count("vaccine") != col.count("date"))
    return Conflict("“疫苗”和“接种日期”两列须同时出现", "file");

  struct Child {
    json te;
    int row = 0;
    std::vector<std::string> values;  // its first row's child columns (ChildValue)
  };
  std::vector<Child> children;
  std::map<std::string, std::size_t> child_of;  // grouping key -> index in children
  std::map<std::string, std::size_t> records;   // uid of a record found -> index in children
  std::map<std::string, int> row_of;            // uid -> row
  std::set<std::string> recorded;               // "uid|vaccine|date" of doses on record
  json skipped = json::array();                 // rows of doses on record already
  json errors = json::array();
  auto cell = [&](const std::vector<std::string>& l, const char* field) {
    auto it = col.find(field);
    return it != col.end() && it->second < l.size() ? l[it->second] : std::string();
  };
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto& [row, l] = lines[i];
    std::string id = cell(l, "idNumber");
    if (!id.empty())
      if (auto parsed = ParseResidentId(id, today); parsed.ok()) id = parsed->number;
    const std::string uid_cell = cell(l, "trackedEntity");
    std::string birth = NormalDate(cell(l, "birthDate"));
    const std::string key =
        !uid_cell.empty() ? "uid:" + uid_cell
        : !id.empty()     ? "id:" + id
        : !cell(l, "birthCertificate").empty()
            ? "cert:" + cell(l, "birthCertificate")
            : "nb:" + cell(l, "name") + "|" + birth + "|" + cell(l, "guardians[0].phone");
    auto [it, fresh] = child_of.emplace(key, children.size());
    std::vector<std::string> child_values(kChildColumns);
    for (std::size_t c = 0; c < kChildColumns; ++c)
      child_values[c] = ChildValue(kColumns[c].field, cell(l, kColumns[c].field), today);
    std::string found;  // the record on file this row's new group found, if any
    if (fresh) {
      // A record already kept: by 档案编号, or by ID number through the blind index.
      std::string uid = uid_cell, enrollment;
      if (uid.empty() && !id.empty()) {
        WJ_ASSIGN_OR_RETURN(auto same,
                            store_.FindTrackedEntitiesByIndex("id", vault->BlindIndex("id", id)));
        for (const auto& r : same)
          if (auth::CanRead(who, cat, r.org_unit_id)) {
            uid = r.uid;
            enrollment = r.enrollment_uid;
          }
      } else if (!uid.empty()) {
        WJ_ASSIGN_OR_RETURN(auto r, store_.FindTrackedEntity(uid));
        if (r) enrollment = r->enrollment_uid;
      } else if (!cell(l, "name").empty() && !birth.empty()) {
        // Without an ID number: the same name and birth date with a guardian phone in common.
        WJ_ASSIGN_OR_RETURN(
            auto similar,
            store_.FindTrackedEntitiesByIndex(
                "name_birth",
                vault->BlindIndex("name_birth", NameBirthKey(cell(l, "name"), birth))));
        const std::string phone = cell(l, "guardians[0].phone");
        for (auto& r : similar) {
          if (!auth::CanRead(who, cat, r.org_unit_id)) continue;
          auto p = Unseal(*vault, r);
          if (!p.ok()) continue;
          for (const auto& g : p->sealed.value("guardians", json::array()))
            if (!phone.empty() && g.value("phone", "") == phone) {
              uid = r.uid;
              enrollment = r.enrollment_uid;
            }
        }
      }
      // Rows grouped apart (one with the ID number, one without) that find the same record are
      // one child: the later ones join the first (checked against it below).
      if (!enrollment.empty()) {
        found = uid;
        it->second = records.emplace(uid, children.size()).first->second;
      }
    }
    if (fresh && it->second == children.size()) {
      std::string uid = found.empty() ? uid_cell : found, enrollment;
      const bool on_record = !found.empty();
      if (on_record) {
        WJ_ASSIGN_OR_RETURN(auto r, store_.FindTrackedEntity(uid));
        if (r) {
          enrollment = r->enrollment_uid;
          // Doses the record already has: a register imported twice adds nothing.
          WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(r->id));
          for (const auto& d : doses) recorded.insert(uid + "|" + d.vaccine + "|" + d.given_on);
        }
      }
      if (uid.empty()) uid = RandomUid();
      if (enrollment.empty()) enrollment = RandomUid();
      json attrs = json::array();
      for (const auto& def : TrackerAttributes()) {
        std::string v = cell(l, def.input);
        if (def.field == TrackerField::kBirthDate) v = birth;
        if (!v.empty()) attrs.push_back({{"attribute", def.uid}, {"value", v}});
      }
      json te = {{"trackedEntity", uid},
                 {"trackedEntityType", ChildEntityTypeUid()},
                 {"attributes", attrs},
                 {"enrollments", json::array({{{"enrollment", enrollment},
                                               {"program", ImmunizationProgramUid()},
                                               {"events", json::array()}}})}};
      // A new record is enrolled today; one on record keeps its day.
      if (!on_record) te["enrollments"][0]["enrolledAt"] = FormatIsoDate(today);
      if (!cell(l, "orgUnit").empty()) te["orgUnit"] = cell(l, "orgUnit");
      children.push_back({std::move(te), row, std::move(child_values)});
      row_of[uid] = row;
    } else {
      // A later row of a child repeats his columns: one that says otherwise would be dropped
      // without a word (a cell left empty repeats nothing and is not checked).
      const Child& first = children[it->second];
      for (std::size_t c = 0; c < kChildColumns; ++c) {
        if (child_values[c].empty() || child_values[c] == first.values[c]) continue;
        const std::string message =
            "与第 " + std::to_string(first.row) + " 行不一致（同一儿童的各行应相同）";
        errors.push_back({{"row", row},
                          {"column", kColumns[c].header},
                          {"message", message},
                          {"errorCode", ""},
                          {"text", "第 " + std::to_string(row) + " 行“" + kColumns[c].header +
                                       "”：" + message}});
      }
    }
    const std::string vaccine = cell(l, "vaccine"), date = cell(l, "date");
    if (vaccine.empty() && date.empty()) continue;
    const std::string child_uid = children[it->second].te["trackedEntity"].get<std::string>();
    if (recorded.count(child_uid + "|" + vaccine + "|" + NormalDate(date))) {
      skipped.push_back({{"row", row},
                         {"column", "疫苗"},
                         {"message", "该剂次已登记，跳过"},
                         {"errorCode", ""},
                         {"text", "第 " + std::to_string(row) + " 行“疫苗”：该剂次已登记，跳过"}});
      continue;
    }
    json values = json::array();
    for (const auto& def : TrackerDataElements()) {
      const std::string v = *def.input ? cell(l, def.input) : std::string();
      if (!v.empty())
        values.push_back({{"dataElement", def.uid},
                          {"value", def.field == TrackerField::kLotExpiry ? NormalDate(v) : v}});
    }
    json ev = {{"event", RandomUid()},
               {"programStage", DoseStageUid()},
               {"status", "COMPLETED"},
               {"occurredAt", NormalDate(date)},
               {"dataValues", values}};
    if (!cell(l, "dose.orgUnit").empty()) ev["orgUnit"] = cell(l, "dose.orgUnit");
    row_of[ev["event"].get<std::string>()] = row;
    children[it->second].te["enrollments"][0]["events"].push_back(std::move(ev));
  }

  json payload = {{"trackedEntities", json::array()}};
  for (auto& c : children) payload["trackedEntities"].push_back(std::move(c.te));
  TrackerImportOptions o;
  o.atomic = "ALL";
  o.dry_run = dry_run || !errors.empty();  // rows that disagree: checked, nothing written
  WJ_ASSIGN_OR_RETURN(json report, ImportTracker(who, cat, payload, o, today, now));

  auto located = [&](const json& r) {
    const std::string uid = r.value("uid", "");
    const int row = row_of.count(uid) ? row_of[uid] : 0;
    const std::string field = r.value("field", "");
    const std::string header = HeaderOf(field);
    std::string message = r.value("message", "");
    // The report names the API field in brackets; the register names its column instead.
    if (!field.empty())
      if (auto at = message.rfind("（" + field + "）"); at != std::string::npos) message.erase(at);
    json e = {{"row", row},
              {"column", header},
              {"message", message},
              {"errorCode", r.value("errorCode", "")}};
    e["text"] = "第 " + std::to_string(row) + " 行" + (header.empty() ? "" : "“" + header + "”") +
                "：" + message;
    return e;
  };
  for (const auto& r : report["validationReport"]["errorReports"]) {
    const std::string code = r.value("errorCode", "");
    if (code == "E5000" || code == "E5001") continue;  // follows from the child's own error
    errors.push_back(located(r));
  }
  json warnings = skipped;
  for (const auto& r : report["validationReport"]["warningReports"]) warnings.push_back(located(r));
  std::stable_sort(errors.begin(), errors.end(),
                   [](const json& a, const json& b) { return a["row"] < b["row"]; });
  const auto& types = report["bundleReport"]["typeReportMap"];
  return json{{"status", errors.empty() ? "OK" : "ERROR"},
              {"dryRun", dry_run},
              {"rows", static_cast<int>(lines.size() - 1)},
              {"children", types["TRACKED_ENTITY"]["stats"]},
              {"doses", types["EVENT"]["stats"]},
              {"errors", errors},
              {"warnings", warnings}};
}

}  // namespace weijian::tracker
