// Holds (禁忌/暂缓), AEFI reports (疑似预防接种异常反应) and vaccine stock per unit.
//
// A hold is written by whoever writes the record's unit; the engine shows the doses it covers as
// 禁忌 or 暂缓 (schedule.h), due lists show them apart. An AEFI report names one of the child's
// recorded doses. Stock is kept per unit and lot: 入库 creates a lot (manufacturer, expiry) or
// adds to it, 出库 takes from it (to a unit of the system: that unit's 入库 in the same
// transaction), 报损 takes from it with a reason, and a recorded dose takes one (RecordDose).
// A balance never goes below zero; every movement is a ledger row and an audit row (type STOCK)
// written with it.
#include <algorithm>
#include <map>
#include <set>

#include "core/uid.h"
#include "tracker/immunization.h"

namespace weijian::tracker {

using nlohmann::json;

namespace {

constexpr int kMaxStockQuantity = 100000;
// Every movement of a lot (a lot's ledger is a few thousand rows at most: one per dose).
constexpr int kWholeLedger = 10'000'000;

json StockUnitRef(const metadata::Catalog& cat, std::int64_t id) {
  const auto* u = cat.OrgUnits().ById(id);
  if (!u) return nullptr;
  return {{"id", u->uid}, {"name", u->name}};
}

std::string CatalogueName(const std::string& code) {
  if (code == "*") return "全部疫苗";
  const Vaccine* v = FindVaccine(code);
  return v ? v->name : code;
}

const char* OutcomeName(const std::string& code) {
  if (code == "RECOVERED") return "痊愈";
  if (code == "IMPROVING") return "好转";
  if (code == "NOT_RECOVERED") return "未愈";
  if (code == "SEQUELAE") return "有后遗症";
  if (code == "DIED") return "死亡";
  return "不详";
}

const char* MovementName(const std::string& kind) {
  if (kind == "RECEIPT") return "入库";
  if (kind == "ISSUE") return "出库";
  if (kind == "LOSS") return "报损";
  if (kind == "ADJUST") return "盘点调整";
  return "接种使用";
}

// A date field: empty gives `fallback`; else a real YYYY-MM-DD, or a 409 naming the field.
Result<Date> DateField(const std::string& text, Date fallback, const char* field,
                       const char* what) {
  if (text.empty()) return fallback;
  auto d = ParseIsoDate(text);
  if (!d.ok()) return Conflict(std::string(what) + "应为 YYYY-MM-DD 的真实日期", field);
  return *d;
}

}  // namespace

Hold HoldFromRecord(const storage::ImmunizationHoldRecord& r) {
  Hold h;
  h.vaccine = r.vaccine;
  h.kind = r.kind == "CONTRAINDICATION" ? HoldKind::kContraindication : HoldKind::kDeferral;
  if (auto from = ParseIsoDate(r.from_date); from.ok()) h.from = *from;
  if (!r.until_date.empty())
    if (auto u = ParseIsoDate(r.until_date); u.ok()) h.until = *u;
  // Lifted: the hold's last day is the day before the lift (the doses are due on that day).
  if (!r.lifted_on.empty())
    if (auto l = ParseIsoDate(r.lifted_on); l.ok()) {
      const Date last = *l - std::chrono::days(1);
      if (!h.until || last < *h.until) h.until = last;
    }
  h.reason = r.reason;
  return h;
}

json HoldJson(const storage::ImmunizationHoldRecord& h) {
  return {{"hold", h.uid},
          {"vaccine", h.vaccine},
          {"vaccineName", CatalogueName(h.vaccine)},
          {"kind", h.kind},
          {"kindName", h.kind == "CONTRAINDICATION" ? "禁忌" : "暂缓"},
          {"from", h.from_date},
          {"until", h.until_date.empty() ? json() : json(h.until_date)},
          {"reason", h.reason},
          {"by", h.created_by},
          {"lifted",
           h.lifted_on.empty()
               ? json()
               : json{{"date", h.lifted_on}, {"by", h.lifted_by}, {"reason", h.lift_reason}}}};
}

json AefiJson(const storage::AefiReportRecord& a, const std::string& dose_uid) {
  return {{"aefi", a.uid},
          {"dose", dose_uid},
          {"onsetDate", a.onset_date},
          {"reportDate", a.reported_on},
          {"symptoms", a.symptoms},
          {"diagnosis", a.diagnosis},
          {"serious", a.serious},
          {"outcome", a.outcome},
          {"outcomeName", OutcomeName(a.outcome)},
          {"reporter", a.reporter},
          {"by", a.created_by}};
}

Result<json> ImmunizationService::AddHold(const auth::Principal& who, const metadata::Catalog& cat,
                                          const std::string& uid, const HoldInput& in, Date today,
                                          std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  if (!auth::CanWrite(who, cat, p.record.org_unit_id))
    return PermissionDenied("儿童档案 " + uid + " 的接种单位不在您可以登记的范围内");
  if (p.record.status == "TRANSFERRED_OUT")
    return Conflict("该儿童已迁出，不能再登记禁忌或暂缓", "trackedEntity");
  if (in.vaccine.empty()) return Conflict("请选择疫苗（全部疫苗填 *）", "vaccine");
  if (in.vaccine != "*" && !FindVaccine(in.vaccine))
    return Conflict("疫苗代码 " + in.vaccine + " 不在疫苗目录中", "vaccine");
  std::string kind;
  if (in.kind == "CONTRAINDICATION" || in.kind == "禁忌") kind = "CONTRAINDICATION";
  if (in.kind == "DEFERRAL" || in.kind == "暂缓") kind = "DEFERRAL";
  if (kind.empty()) return Conflict("类型应为 禁忌（CONTRAINDICATION）或 暂缓（DEFERRAL）", "kind");
  WJ_ASSIGN_OR_RETURN(const Date from, DateField(in.from, today, "from", "开始日期"));
  if (from > today) return Conflict("开始日期晚于今天", "from");
  if (FormatIsoDate(from) < p.record.birth_date)
    return Conflict("开始日期早于出生日期 " + p.record.birth_date, "from");
  std::optional<Date> until;
  if (!in.until.empty()) {
    WJ_ASSIGN_OR_RETURN(until, DateField(in.until, today, "until", "截止日期"));
    if (*until < from) return Conflict("截止日期早于开始日期", "until");
  }
  if (kind == "DEFERRAL") {
    if (!until) return Conflict("暂缓请填写暂缓至哪一天（until）", "until");
    if (*until > AddSpan(from, Months(12)))
      return Conflict("暂缓最长 12 个月；更久不能接种请登记为禁忌", "until");
  }
  if (in.reason.empty()) return Conflict("请填写禁忌或暂缓的原因", "reason");

  storage::ImmunizationHoldRecord h;
  h.uid = RandomUid();
  h.tracked_entity_id = p.record.id;
  h.vaccine = in.vaccine;
  h.kind = kind;
  h.from_date = FormatIsoDate(from);
  h.until_date = until ? FormatIsoDate(*until) : "";
  h.reason = in.reason;
  h.org_unit_id = p.record.org_unit_id;
  h.created = now;
  h.created_by = who.name();
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = p.record.org_unit_id;
  audit.object = "hold " + h.uid;
  audit.detail = std::string(kind == "CONTRAINDICATION" ? "登记禁忌 " : "登记暂缓 ") + in.vaccine +
                 " 自 " + h.from_date + (until ? " 至 " + h.until_date : "") + "（档案 " + uid +
                 "）";
  audit.created = now;
  WJ_RETURN_IF_ERROR(store_.AddImmunizationHold(h, audit));
  json out = HoldJson(h);
  out["trackedEntity"] = uid;
  return out;
}

Result<json> ImmunizationService::LiftHold(const auth::Principal& who, const metadata::Catalog& cat,
                                           const std::string& uid, const std::string& hold,
                                           const HoldLiftInput& in, Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  if (!auth::CanWrite(who, cat, p.record.org_unit_id))
    return PermissionDenied("儿童档案 " + uid + " 的接种单位不在您可以登记的范围内");
  if (p.record.status == "TRANSFERRED_OUT")
    return Conflict("该儿童已迁出，不能再解除禁忌或暂缓", "trackedEntity");
  WJ_ASSIGN_OR_RETURN(auto holds, store_.ListImmunizationHolds(p.record.id));
  storage::ImmunizationHoldRecord* h = nullptr;
  for (auto& x : holds)
    if (x.uid == hold) h = &x;
  if (!h) return NotFound("该儿童没有禁忌或暂缓记录 " + hold);
  if (!h->lifted_on.empty()) return Conflict("该禁忌或暂缓已于 " + h->lifted_on + " 解除", "hold");
  WJ_ASSIGN_OR_RETURN(const Date on, DateField(in.date, today, "date", "解除日期"));
  if (on > today) return Conflict("解除日期晚于今天", "date");
  if (FormatIsoDate(on) < h->from_date)
    return Conflict("解除日期早于开始日期 " + h->from_date, "date");
  if (!h->until_date.empty() && FormatIsoDate(on) > h->until_date)
    return Conflict("该暂缓已于 " + h->until_date + " 到期，无需解除", "date");
  if (in.reason.empty()) return Conflict("请填写解除的原因（如 已退热、经评估可以接种）", "reason");
  h->lifted_on = FormatIsoDate(on);
  h->lifted_by = who.name();
  h->lift_reason = in.reason;
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = p.record.org_unit_id;
  audit.object = "hold " + h->uid;
  audit.detail = std::string("解除") + (h->kind == "CONTRAINDICATION" ? "禁忌 " : "暂缓 ") +
                 h->vaccine + " 自 " + h->lifted_on + "，原因：" + in.reason + "（档案 " + uid +
                 "）";
  audit.created = now;
  WJ_RETURN_IF_ERROR(store_.LiftImmunizationHold(*h, audit));
  json out = HoldJson(*h);
  out["trackedEntity"] = uid;
  return out;
}

Result<json> ImmunizationService::AefiList(const auth::Principal& who, const metadata::Catalog& cat,
                                           const AefiListQuery& q) {
  if (q.org_unit.empty()) return Conflict("请指定单位 ou", "ou");
  const auto* unit = cat.OrgUnits().ByUidOrCode(q.org_unit);
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + q.org_unit + " 不在您负责的范围内");
  if (q.to < q.from) return Conflict("截止日期早于开始日期", "to");
  if ((q.to - q.from).count() > 365) return Conflict("时间段最长 366 天", "to");
  const auto units = cat.tree().SubtreeIds(unit->id);
  constexpr int kLimit = 1000;
  WJ_ASSIGN_OR_RETURN(auto rows, store_.ListAefiReportsOfUnits(units, FormatIsoDate(q.from),
                                                               FormatIsoDate(q.to), kLimit + 1));
  const bool truncated = rows.size() > static_cast<std::size_t>(kLimit);
  if (truncated) rows.resize(kLimit);
  json list = json::array();
  int serious = 0;
  for (const auto& r : rows) {
    json a = AefiJson(r.report, r.dose_uid);
    a["trackedEntity"] = r.person_uid;
    a["vaccine"] = r.vaccine;
    a["vaccineName"] = CatalogueName(r.vaccine);
    a["doseDate"] = r.given_on;
    a["orgUnit"] = StockUnitRef(cat, r.report.org_unit_id);
    a["managedBy"] = StockUnitRef(cat, r.person_unit_id);
    serious += r.report.serious;
    list.push_back(std::move(a));
  }
  return json{{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
              {"from", FormatIsoDate(q.from)},
              {"to", FormatIsoDate(q.to)},
              {"summary", {{"reports", list.size()}, {"serious", serious}}},
              {"truncated", truncated},
              {"reports", list}};
}

Result<json> ImmunizationService::ReportAefi(const auth::Principal& who,
                                             const metadata::Catalog& cat, const std::string& uid,
                                             const AefiInput& in, Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  if (in.dose.empty()) return Conflict("请指定接种记录（dose）", "dose");
  WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(p.record.id));
  const storage::ImmunizationDoseRecord* dose = nullptr;
  for (const auto& d : doses)
    if (d.uid == in.dose) dose = &d;
  if (!dose) return Conflict("该儿童没有接种记录 " + in.dose, "dose");
  if (!auth::CanWrite(who, cat, p.record.org_unit_id) &&
      !auth::CanWrite(who, cat, dose->org_unit_id))
    return PermissionDenied("儿童档案 " + uid + " 不在您可以报告的范围内");
  WJ_ASSIGN_OR_RETURN(const Date onset, DateField(in.onset_date, today, "onsetDate", "发生日期"));
  if (in.onset_date.empty()) return Conflict("请填写反应发生日期", "onsetDate");
  if (FormatIsoDate(onset) < dose->given_on)
    return Conflict("发生日期早于接种日期 " + dose->given_on, "onsetDate");
  if (onset > today) return Conflict("发生日期晚于今天", "onsetDate");
  WJ_ASSIGN_OR_RETURN(const Date reported,
                      DateField(in.reported_on, today, "reportDate", "报告日期"));
  if (reported < onset) return Conflict("报告日期早于发生日期", "reportDate");
  if (reported > today) return Conflict("报告日期晚于今天", "reportDate");
  if (in.symptoms.empty()) return Conflict("请填写主要临床表现", "symptoms");
  std::string outcome = in.outcome.empty() ? "UNKNOWN" : in.outcome;
  for (const char* code :
       {"RECOVERED", "IMPROVING", "NOT_RECOVERED", "SEQUELAE", "DIED", "UNKNOWN"})
    if (in.outcome == OutcomeName(code)) outcome = code;
  if (std::string(OutcomeName(outcome)) == "不详" && outcome != "UNKNOWN")
    return Conflict("转归应为 痊愈、好转、未愈、有后遗症、死亡 或 不详", "outcome");

  storage::AefiReportRecord a;
  a.uid = RandomUid();
  a.dose_id = dose->id;
  a.tracked_entity_id = p.record.id;
  a.onset_date = FormatIsoDate(onset);
  a.reported_on = FormatIsoDate(reported);
  a.symptoms = in.symptoms;
  a.diagnosis = in.diagnosis;
  a.serious = in.serious;
  a.outcome = outcome;
  a.org_unit_id =
      auth::CanWrite(who, cat, dose->org_unit_id) ? dose->org_unit_id : p.record.org_unit_id;
  a.reporter = in.reporter.empty() ? who.name() : in.reporter;
  a.created = now;
  a.created_by = who.name();
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = a.org_unit_id;
  audit.object = "aefi " + a.uid;
  audit.detail = std::string("报告疑似预防接种异常反应（") + (a.serious ? "严重" : "非严重") +
                 "，接种 " + dose->vaccine + " " + dose->given_on + "，档案 " + uid + "）";
  audit.created = now;
  WJ_RETURN_IF_ERROR(store_.AddAefiReport(a, audit));
  json out = AefiJson(a, dose->uid);
  out["trackedEntity"] = uid;
  out["vaccine"] = dose->vaccine;
  out["doseDate"] = dose->given_on;
  return out;
}

Result<json> ImmunizationService::RecordStock(const auth::Principal& who,
                                              const metadata::Catalog& cat,
                                              const StockMovementInput& in, Date today,
                                              std::int64_t now) {
  if (in.org_unit.empty()) return Conflict("请选择接种单位", "orgUnit");
  const auto* unit = cat.OrgUnits().ByUidOrCode(in.org_unit);
  if (!unit || !auth::CanWrite(who, cat, unit->id))
    return PermissionDenied("单位 " + in.org_unit + " 不在您可以登记库存的范围内");
  std::string kind;
  if (in.kind == "RECEIPT" || in.kind == "入库") kind = "RECEIPT";
  if (in.kind == "ISSUE" || in.kind == "出库") kind = "ISSUE";
  if (in.kind == "LOSS" || in.kind == "报损") kind = "LOSS";
  if (kind.empty()) return Conflict("类型应为 入库、出库 或 报损", "kind");
  const Vaccine* vaccine = FindVaccine(in.vaccine);
  if (!vaccine) return Conflict("疫苗代码 " + in.vaccine + " 不在疫苗目录中", "vaccine");
  if (in.lot.empty()) return Conflict("请填写批号", "lot");
  if (in.quantity <= 0 || in.quantity > kMaxStockQuantity)
    return Conflict("数量应为 1–" + std::to_string(kMaxStockQuantity) + " 剂", "quantity");
  WJ_ASSIGN_OR_RETURN(const Date on, DateField(in.date, today, "date", "日期"));
  if (on > today) return Conflict("日期晚于今天", "date");

  WJ_ASSIGN_OR_RETURN(auto lots, store_.ListVaccineLots(std::span(&unit->id, 1)));
  const storage::VaccineLotRecord* held = nullptr;
  for (const auto& l : lots)
    if (l.vaccine == in.vaccine && l.lot == in.lot) held = &l;

  storage::VaccineStockMovementRecord m;
  m.uid = RandomUid();
  m.org_unit_id = unit->id;
  m.vaccine = in.vaccine;
  m.lot = in.lot;
  m.kind = kind;
  m.moved_on = FormatIsoDate(on);
  m.counterpart = in.counterpart;
  m.reason = in.reason;
  m.created = now;
  m.created_by = who.name();
  std::vector<storage::VaccineStockMovementRecord> moves;
  const storage::OrgUnitRecord* to_unit = nullptr;
  if (kind == "RECEIPT") {
    if (!held && in.expiry.empty()) return Conflict("新批号入库请填写有效期", "expiry");
    if (!in.expiry.empty()) {
      WJ_ASSIGN_OR_RETURN(const Date expiry, DateField(in.expiry, today, "expiry", "有效期"));
      if (expiry < on)
        return Conflict("批号 " + in.lot + " 已于 " + in.expiry + " 过期，不能入库", "expiry");
    }
    m.manufacturer = in.manufacturer;
    m.expiry = in.expiry;
    m.quantity = in.quantity;
  } else {
    if (!held) return Conflict("本单位没有" + vaccine->name + "批号 " + in.lot + " 的库存", "lot");
    if (held->balance < in.quantity)
      return Conflict("批号 " + in.lot + " 在库仅 " + std::to_string(held->balance) + " 剂",
                      "quantity");
    if (kind == "LOSS" && in.reason.empty())
      return Conflict("请填写报损原因（过期、破损、冷链异常等）", "reason");
    if (kind == "ISSUE") {
      if (!in.to_org_unit.empty()) {
        to_unit = cat.OrgUnits().ByUidOrCode(in.to_org_unit);
        if (!to_unit) return Conflict("没有单位 " + in.to_org_unit, "toOrgUnit");
        if (to_unit->id == unit->id) return Conflict("出库去向不能是本单位", "toOrgUnit");
        if (!auth::CanWrite(who, cat, to_unit->id))
          return PermissionDenied("单位 " + in.to_org_unit +
                                  " 不在您可以登记入库的范围内；请填写去向（counterpart）");
        if (m.counterpart.empty()) m.counterpart = to_unit->name;
      } else if (in.counterpart.empty()) {
        return Conflict("请填写出库去向（counterpart）或接收单位（toOrgUnit）", "counterpart");
      }
    }
    m.quantity = -in.quantity;
  }
  moves.push_back(m);
  if (to_unit) {
    storage::VaccineStockMovementRecord r = m;
    r.uid = RandomUid();
    r.org_unit_id = to_unit->id;
    r.kind = "RECEIPT";
    r.quantity = in.quantity;
    r.manufacturer = held->manufacturer;
    r.expiry = held->expiry;
    r.counterpart = unit->name;
    moves.push_back(r);
  }
  std::vector<storage::AuditRecord> audits;
  for (const auto& x : moves) {
    storage::AuditRecord a;
    a.type = "STOCK";
    a.username = who.name();
    a.org_unit_id = x.org_unit_id;
    a.object = "stock " + x.uid;
    a.detail = std::string(MovementName(x.kind)) + " " + x.vaccine + " 批号 " + x.lot + " " +
               std::to_string(x.quantity < 0 ? -x.quantity : x.quantity) + " 剂" +
               (x.counterpart.empty() ? "" : "（" + x.counterpart + "）") +
               (x.reason.empty() ? "" : "，原因：" + x.reason);
    a.created = now;
    audits.push_back(std::move(a));
  }
  WJ_RETURN_IF_ERROR(store_.ApplyStockMovements(moves, audits, nullptr, nullptr));
  json rows = json::array();
  for (const auto& x : moves)
    rows.push_back({{"movement", x.uid},
                    {"orgUnit", StockUnitRef(cat, x.org_unit_id)},
                    {"kind", x.kind},
                    {"kindName", MovementName(x.kind)},
                    {"vaccine", x.vaccine},
                    {"lot", x.lot},
                    {"manufacturer", x.manufacturer},
                    {"expiry", x.expiry},
                    {"quantity", x.quantity},
                    {"date", x.moved_on},
                    {"balance", x.balance_after}});
  return json{{"movements", rows}};
}

Result<json> ImmunizationService::CountStock(const auth::Principal& who,
                                             const metadata::Catalog& cat,
                                             const StockCountInput& in, Date today,
                                             std::int64_t now) {
  if (in.org_unit.empty()) return Conflict("请选择接种单位", "orgUnit");
  const auto* unit = cat.OrgUnits().ByUidOrCode(in.org_unit);
  if (!unit || !auth::CanWrite(who, cat, unit->id))
    return PermissionDenied("单位 " + in.org_unit + " 不在您可以登记库存的范围内");
  WJ_ASSIGN_OR_RETURN(const Date on, DateField(in.date, today, "date", "盘点日期"));
  if (on > today) return Conflict("盘点日期晚于今天", "date");
  if (in.lines.empty()) return Conflict("请至少填写一个批号的盘点数量", "counts");
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < in.lines.size(); ++i) {
    const StockCountLine& l = in.lines[i];
    const std::string row = "第 " + std::to_string(i + 1) + " 行";
    const std::string prefix = "counts[" + std::to_string(i) + "].";
    if (!FindVaccine(l.vaccine))
      return Conflict(row + "疫苗代码 " + l.vaccine + " 不在疫苗目录中", prefix + "vaccine");
    if (l.lot.empty()) return Conflict(row + "请填写批号", prefix + "lot");
    if (l.counted < 0 || l.counted > kMaxStockQuantity)
      return Conflict(row + "实盘数量应为 0–" + std::to_string(kMaxStockQuantity) + " 剂",
                      prefix + "counted");
    if (!seen.insert({l.vaccine, l.lot}).second)
      return Conflict(row + "批号 " + l.lot + " 重复", prefix + "lot");
  }

  // The balances are read and the differences applied in one transaction: a dose recorded
  // meanwhile cannot slip between the count and its adjustment.
  json rows = json::array();
  int adjusted = 0;
  const std::string day = FormatIsoDate(on);
  Status written = store_.InOneTransaction([&]() -> Status {
    WJ_ASSIGN_OR_RETURN(auto lots, store_.ListVaccineLots(std::span(&unit->id, 1)));
    std::vector<storage::VaccineStockMovementRecord> moves;
    std::vector<storage::AuditRecord> audits;
    for (std::size_t i = 0; i < in.lines.size(); ++i) {
      const StockCountLine& l = in.lines[i];
      const std::string prefix = "counts[" + std::to_string(i) + "].";
      const storage::VaccineLotRecord* held = nullptr;
      for (const auto& x : lots)
        if (x.vaccine == l.vaccine && x.lot == l.lot) held = &x;
      if (!held)
        return Conflict("第 " + std::to_string(i + 1) + " 行本单位没有" + CatalogueName(l.vaccine) +
                            "批号 " + l.lot + " 的库存记录",
                        prefix + "lot");
      // The book balance at the end of the count's day: a count entered days later is compared
      // with the book as it stood then, not with today's (the doses given since are not stock
      // found missing). Movements dated later are taken back out.
      std::int64_t book = held->balance;
      if (on < today) {
        WJ_ASSIGN_OR_RETURN(auto ledger,
                            store_.ListStockMovements(unit->id, l.vaccine, l.lot, kWholeLedger));
        for (const auto& m : ledger)
          if (m.moved_on > day) book -= m.quantity;
      }
      const std::int64_t difference = l.counted - book;
      json row = {{"vaccine", l.vaccine},
                  {"vaccineName", CatalogueName(l.vaccine)},
                  {"lot", l.lot},
                  {"expiry", held->expiry},
                  {"before", book},
                  {"counted", l.counted},
                  {"difference", difference},
                  {"movement", nullptr}};
      if (difference != 0) {
        const std::string reason = l.reason.empty() ? in.reason : l.reason;
        if (reason.empty())
          return Conflict("第 " + std::to_string(i + 1) + " 行批号 " + l.lot + " 账面 " +
                              std::to_string(book) + " 剂、实盘 " + std::to_string(l.counted) +
                              " 剂，请填写差异原因",
                          prefix + "reason");
        storage::VaccineStockMovementRecord m;
        m.uid = RandomUid();
        m.org_unit_id = unit->id;
        m.vaccine = l.vaccine;
        m.lot = l.lot;
        m.kind = "ADJUST";
        m.quantity = difference;
        m.moved_on = day;
        m.counterpart = "盘点";
        m.reason = reason;
        m.created = now;
        m.created_by = who.name();
        row["movement"] = m.uid;
        storage::AuditRecord a;
        a.type = "STOCK";
        a.username = who.name();
        a.org_unit_id = unit->id;
        a.object = "stock " + m.uid;
        a.detail = "盘点 " + l.vaccine + " 批号 " + l.lot + "：账面 " + std::to_string(book) +
                   " 剂，实盘 " + std::to_string(l.counted) + " 剂，" +
                   (difference > 0 ? "盘盈 " : "盘亏 ") +
                   std::to_string(difference > 0 ? difference : -difference) + " 剂，原因：" +
                   reason;
        a.created = now;
        moves.push_back(std::move(m));
        audits.push_back(std::move(a));
      }
      rows.push_back(std::move(row));
    }
    // A count that agrees everywhere is recorded too (who counted, when, how many lots).
    storage::AuditRecord done;
    done.type = "STOCK";
    done.username = who.name();
    done.org_unit_id = unit->id;
    done.object = "stockCount " + FormatIsoDate(on);
    done.detail = "盘点 " + std::to_string(in.lines.size()) + " 个批号，" +
                  std::to_string(moves.size()) + " 个有差异";
    done.created = now;
    WJ_RETURN_IF_ERROR(store_.AppendAudit(done));
    adjusted = static_cast<int>(moves.size());
    if (moves.empty()) return Status::Ok();
    return store_.ApplyStockMovements(moves, audits, nullptr, nullptr);
  });
  WJ_RETURN_IF_ERROR(written);
  return json{{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
              {"date", FormatIsoDate(on)},
              {"adjusted", adjusted},
              {"counts", rows}};
}

Result<json> ImmunizationService::Stock(const auth::Principal& who, const metadata::Catalog& cat,
                                        const StockQuery& q) {
  if (q.org_unit.empty()) return Conflict("请指定单位 ou", "ou");
  const auto* unit = cat.OrgUnits().ByUidOrCode(q.org_unit);
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + q.org_unit + " 不在您负责的范围内");
  if (q.expiring_days < 0 || q.expiring_days > 366)
    return Conflict("临期天数应为 0–366", "expiringDays");
  if (q.to < q.from) return Conflict("截止日期早于开始日期", "to");
  if ((q.to - q.from).count() > 92) return Conflict("时间段最长 93 天", "to");
  const auto units = cat.tree().SubtreeIds(unit->id);
  WJ_ASSIGN_OR_RETURN(auto lots, store_.ListVaccineLots(units));
  const Date alert_until = q.date + std::chrono::days(q.expiring_days);
  struct Totals {
    std::int64_t usable = 0, expired = 0, usable_at_window = 0;
  };
  std::map<std::string, Totals> by_vaccine;
  json rows = json::array(), expiring = json::array(), expired = json::array();
  for (const auto& l : lots) {
    if (l.balance <= 0) continue;
    auto parsed = ParseIsoDate(l.expiry);
    const Date expiry = parsed.ok() ? *parsed : Date{};
    const bool is_expired = expiry < q.date;
    json row = {{"orgUnit", StockUnitRef(cat, l.org_unit_id)},
                {"vaccine", l.vaccine},
                {"vaccineName", CatalogueName(l.vaccine)},
                {"lot", l.lot},
                {"manufacturer", l.manufacturer},
                {"expiry", l.expiry},
                {"balance", l.balance},
                {"expired", is_expired},
                {"daysToExpiry", (expiry - q.date).count()}};
    Totals& t = by_vaccine[l.vaccine];
    (is_expired ? t.expired : t.usable) += l.balance;
    if (expiry >= q.from) t.usable_at_window += l.balance;
    if (is_expired)
      expired.push_back(row);
    else if (expiry <= alert_until)
      expiring.push_back(row);
    rows.push_back(std::move(row));
  }
  WJ_ASSIGN_OR_RETURN(auto due, DueDosesByVaccine(store_, units, q.from, q.to));
  json vaccines = json::array();
  std::set<std::string> codes;
  for (const auto& [code, t] : by_vaccine) codes.insert(code);
  for (const auto& [code, n] : due) codes.insert(code);
  json needs = json::array();
  for (const auto& code : codes) {
    const Totals t = by_vaccine.count(code) ? by_vaccine[code] : Totals{};
    if (by_vaccine.count(code))
      vaccines.push_back({{"vaccine", code},
                          {"vaccineName", CatalogueName(code)},
                          {"usable", t.usable},
                          {"expired", t.expired}});
    const int needed = due.count(code) ? due.at(code) : 0;
    needs.push_back({{"vaccine", code},
                     {"vaccineName", CatalogueName(code)},
                     {"dosesDue", needed},
                     {"onHand", t.usable_at_window},
                     {"shortfall", std::max<std::int64_t>(0, needed - t.usable_at_window)}});
  }
  return json{
      {"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
      {"date", FormatIsoDate(q.date)},
      {"lots", rows},
      {"byVaccine", vaccines},
      {"expiringWithinDays", q.expiring_days},
      {"expiring", expiring},
      {"expired", expired},
      {"needs",
       {{"from", FormatIsoDate(q.from)}, {"to", FormatIsoDate(q.to)}, {"vaccines", needs}}}};
}

Result<json> ImmunizationService::StockMovements(const auth::Principal& who,
                                                 const metadata::Catalog& cat,
                                                 const std::string& org_unit,
                                                 const std::string& vaccine,
                                                 const std::string& lot) {
  if (org_unit.empty()) return Conflict("请指定单位 ou", "ou");
  const auto* unit = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + org_unit + " 不在您负责的范围内");
  WJ_ASSIGN_OR_RETURN(auto moves, store_.ListStockMovements(unit->id, vaccine, lot, 1000));
  json rows = json::array();
  for (const auto& m : moves)
    rows.push_back({{"movement", m.uid},
                    {"kind", m.kind},
                    {"kindName", MovementName(m.kind)},
                    {"vaccine", m.vaccine},
                    {"vaccineName", CatalogueName(m.vaccine)},
                    {"lot", m.lot},
                    {"manufacturer", m.manufacturer},
                    {"expiry", m.expiry},
                    {"quantity", m.quantity},
                    {"date", m.moved_on},
                    {"counterpart", m.counterpart},
                    {"reason", m.reason},
                    {"by", m.created_by}});
  return json{{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}}, {"movements", rows}};
}

}  // namespace weijian::tracker
