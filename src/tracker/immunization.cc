#include "tracker/immunization.h"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "core/digits.h"
#include "core/uid.h"
#include "core/utf8.h"
#include "tracker/resident_id.h"
#include "tracker/schedule.h"

namespace weijian::tracker {

using nlohmann::json;

namespace {

Status ReadString(const json& body, const char* key, std::string& out, std::size_t max_bytes,
                  const std::string& prefix = {}) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Conflict("应为文字", prefix + key);
  out = it->get<std::string>();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  if (out.size() > max_bytes)
    return Conflict("太长（最多 " + std::to_string(max_bytes) + " 字节）", prefix + key);
  return Status::Ok();
}

// Counts UTF-8 characters (lead bytes).
std::size_t Chars(const std::string& s) { return Utf8Length(s); }

// Text a person typed for a record must not hold control characters (U+0000-U+001F, U+007F-U+009F)
// or the marks that reorder text (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069): a name that
// renders reversed, or ends at a NUL in a spreadsheet, is not the child's name.
bool HasControlOrBidi(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {  // U+0080-U+009F
      const auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return true;
    }
    if (c == 0xE2 && i + 2 < s.size()) {
      const auto d = static_cast<unsigned char>(s[i + 1]), e = static_cast<unsigned char>(s[i + 2]);
      if (d == 0x80 && (e == 0x8E || e == 0x8F || (e >= 0xAA && e <= 0xAE))) return true;
      if (d == 0x81 && e >= 0xA6 && e <= 0xA9) return true;
    }
  }
  return false;
}
Status PlainText(std::string_view s, const std::string& field) {
  if (HasControlOrBidi(s)) return Conflict("含有控制字符或改变文字方向的字符，请重新输入", field);
  return Status::Ok();
}

bool PhoneLooksRight(const std::string& p) {
  if (p.size() < 7 || p.size() > 20) return false;
  for (char c : p)
    if (!(c >= '0' && c <= '9') && c != '-' && c != ' ') return false;
  return true;
}

// The village a child of `unit` lives in: named (within the unit's area), or the unit itself
// when it is a village; 0 for none.
Result<std::int64_t> VillageOf(const metadata::Catalog& cat, const storage::OrgUnitRecord& unit,
                               const std::string& village) {
  if (village.empty()) return unit.level >= 5 && unit.facility_type.empty() ? unit.id : 0;
  const auto* v = cat.OrgUnits().ByUidOrCode(village);
  if (!v) return Conflict("没有村（单位）" + village, "village");
  if (!cat.tree().IsInSubtree(v->id, ServedArea(unit)))
    return Conflict("村 " + v->name + " 不在接种单位 " + unit.name + " 的辖区内", "village");
  return v->id;
}

json UnitRef(const metadata::Catalog& cat, std::int64_t id) {
  const auto* u = id ? cat.OrgUnits().ById(id) : nullptr;
  if (!u) return nullptr;
  return {{"id", u->uid}, {"name", u->name}};
}

}  // namespace

json ForecastRowJson(const DoseForecast& f) {
  const Vaccine* v = FindVaccine(f.vaccine);
  return {{"vaccine", f.vaccine},
          {"vaccineName", v ? v->name : f.vaccine},
          {"series", f.series},
          {"dose", f.dose},
          {"state", DoseStateName(f.state)},
          {"stateName", DoseStateLabel(f.state)}};
}

std::string NameBirthKey(const std::string& name, const std::string& birth) {
  return name + "|" + birth;
}

std::int64_t ServedArea(const storage::OrgUnitRecord& unit) {
  return unit.facility_type.empty() || unit.parent_id == 0 ? unit.id : unit.parent_id;
}

namespace {

// The facility types that vaccinate; web/src/immunization_logic.ts (VACCINATING) lists the same.
constexpr std::string_view kVaccinatingFacilities[] = {"卫生院", "社区卫生服务中心", "村卫生室",
                                                       "妇幼保健院", "医院"};

bool Vaccinates(const storage::OrgUnitRecord& unit) {
  return std::find(std::begin(kVaccinatingFacilities), std::end(kVaccinatingFacilities),
                   unit.facility_type) != std::end(kVaccinatingFacilities);
}

// 乡镇/街道 in the division tree (省 1 › 市 2 › 县 3 › 乡 4 › 村 5).
constexpr int kTownshipLevel = 4;

}  // namespace

Status CheckManagingUnit(const metadata::Catalog& cat, const storage::OrgUnitRecord& unit) {
  if (!unit.facility_type.empty()) {
    if (Vaccinates(unit)) return Status::Ok();
    return Conflict(
        unit.name + "（" + unit.facility_type + "）不是接种单位，不能管理儿童预防接种档案",
        "orgUnit");
  }
  if (unit.level > kTownshipLevel) return Status::Ok();  // a village
  if (unit.level == kTownshipLevel) {
    for (const auto* c : cat.ChildrenOf(unit.id))
      if (Vaccinates(*c))
        return Conflict(
            unit.name + " 不是接种单位：该乡镇的儿童档案由 " + c->name + " 管理，请选择 " + c->name,
            "orgUnit");
    return Status::Ok();
  }
  return Conflict(unit.name + " 不是接种单位：儿童预防接种档案由卫生院、社区卫生服务中心等" +
                      "接种单位（或村）管理，请选择接种单位",
                  "orgUnit");
}

Result<std::map<std::int64_t, std::vector<RecordedDose>>> RecordedDosesManagedBy(
    storage::Store& store, std::span<const std::int64_t> units) {
  WJ_ASSIGN_OR_RETURN(auto doses, store.ListImmunizationDosesManagedBy(units));
  std::map<std::int64_t, std::vector<RecordedDose>> of;
  for (const auto& d : doses)
    if (auto day = ParseIsoDate(d.given_on); day.ok())
      of[d.tracked_entity_id].push_back({d.vaccine, *day});
  return of;
}

std::string MaskName(const std::string& name) {
  if (name.empty()) return name;
  std::size_t first = 1;
  while (first < name.size() && (name[first] & 0xC0) == 0x80) ++first;
  const std::size_t rest = Chars(name) - 1;
  return name.substr(0, first) + std::string(std::max<std::size_t>(rest, 1), '*');
}

std::string MaskIdNumber(const std::string& id) {
  if (id.size() < 10) return std::string(id.size(), '*');
  return id.substr(0, 6) + std::string(id.size() - 10, '*') + id.substr(id.size() - 4);
}

std::string MaskPhone(const std::string& phone) {
  if (phone.size() < 7) return std::string(phone.size(), '*');
  return phone.substr(0, 3) + "****" + phone.substr(phone.size() - 4);
}

Result<ChildInput> ChildFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  ChildInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "orgUnit", in.org_unit, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "name", in.name, 120));
  WJ_RETURN_IF_ERROR(ReadString(body, "sex", in.sex, 16));
  WJ_RETURN_IF_ERROR(ReadString(body, "birthDate", in.birth_date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "idNumber", in.id_number, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "birthCertificate", in.birth_certificate, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "address", in.address, 400));
  WJ_RETURN_IF_ERROR(ReadString(body, "village", in.village, 64));
  if (auto g = body.find("guardians"); g != body.end() && !g->is_null()) {
    if (!g->is_array()) return Conflict("应为数组", "guardians");
    if (g->size() > 4) return Conflict("监护人最多 4 位", "guardians");
    for (std::size_t i = 0; i < g->size(); ++i) {
      const std::string prefix = "guardians[" + std::to_string(i) + "].";
      const json& one = (*g)[i];
      if (!one.is_object()) return Conflict("应为对象", "guardians[" + std::to_string(i) + "]");
      GuardianInput gi;
      WJ_RETURN_IF_ERROR(ReadString(one, "name", gi.name, 120, prefix));
      WJ_RETURN_IF_ERROR(ReadString(one, "relation", gi.relation, 32, prefix));
      WJ_RETURN_IF_ERROR(ReadString(one, "phone", gi.phone, 32, prefix));
      in.guardians.push_back(std::move(gi));
    }
  }
  return in;
}

Result<TransferInput> TransferFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  TransferInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "orgUnit", in.org_unit, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "village", in.village, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "destination", in.destination, 200));
  WJ_RETURN_IF_ERROR(ReadString(body, "date", in.date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "reason", in.reason, 400));
  return in;
}

Result<HoldInput> HoldFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  HoldInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "vaccine", in.vaccine, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "kind", in.kind, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "from", in.from, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "until", in.until, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "reason", in.reason, 400));
  return in;
}

Result<AefiInput> AefiFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  AefiInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "dose", in.dose, 16));
  WJ_RETURN_IF_ERROR(ReadString(body, "onsetDate", in.onset_date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "reportDate", in.reported_on, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "symptoms", in.symptoms, 1000));
  WJ_RETURN_IF_ERROR(ReadString(body, "diagnosis", in.diagnosis, 400));
  WJ_RETURN_IF_ERROR(ReadString(body, "outcome", in.outcome, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "reporter", in.reporter, 120));
  if (auto it = body.find("serious"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Conflict("应为 true 或 false", "serious");
    in.serious = it->get<bool>();
  }
  return in;
}

Result<StockMovementInput> StockMovementFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  StockMovementInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "orgUnit", in.org_unit, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "kind", in.kind, 16));
  WJ_RETURN_IF_ERROR(ReadString(body, "vaccine", in.vaccine, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "lot", in.lot, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "manufacturer", in.manufacturer, 120));
  WJ_RETURN_IF_ERROR(ReadString(body, "expiry", in.expiry, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "date", in.date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "counterpart", in.counterpart, 200));
  WJ_RETURN_IF_ERROR(ReadString(body, "reason", in.reason, 400));
  WJ_RETURN_IF_ERROR(ReadString(body, "toOrgUnit", in.to_org_unit, 64));
  auto q = body.find("quantity");
  if (q == body.end() || q->is_null()) return Conflict("请填写数量（剂）", "quantity");
  if (!q->is_number_integer()) return Conflict("数量应为整数（剂）", "quantity");
  in.quantity = q->get<std::int64_t>();
  return in;
}

Result<HoldLiftInput> HoldLiftFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  HoldLiftInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "date", in.date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "reason", in.reason, 400));
  return in;
}

Result<StockCountInput> StockCountFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  StockCountInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "orgUnit", in.org_unit, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "date", in.date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "reason", in.reason, 400));
  auto counts = body.find("counts");
  if (counts == body.end() || !counts->is_array() || counts->empty())
    return Conflict("请至少填写一个批号的盘点数量", "counts");
  if (counts->size() > 500) return Conflict("一次盘点最多 500 个批号", "counts");
  for (std::size_t i = 0; i < counts->size(); ++i) {
    const json& row = (*counts)[i];
    const std::string prefix = "counts[" + std::to_string(i) + "].";
    if (!row.is_object()) return Conflict("应为 JSON 对象", "counts[" + std::to_string(i) + "]");
    StockCountLine line;
    WJ_RETURN_IF_ERROR(ReadString(row, "vaccine", line.vaccine, 32, prefix));
    WJ_RETURN_IF_ERROR(ReadString(row, "lot", line.lot, 64, prefix));
    WJ_RETURN_IF_ERROR(ReadString(row, "reason", line.reason, 400, prefix));
    auto c = row.find("counted");
    if (c == row.end() || c->is_null())
      return Conflict("第 " + std::to_string(i + 1) + " 行请填写实盘数量", prefix + "counted");
    if (!c->is_number_integer())
      return Conflict("第 " + std::to_string(i + 1) + " 行实盘数量应为整数（剂）",
                      prefix + "counted");
    line.counted = c->get<std::int64_t>();
    in.lines.push_back(std::move(line));
  }
  return in;
}

Result<DoseInput> DoseFromJson(const json& body) {
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");
  DoseInput in;
  WJ_RETURN_IF_ERROR(ReadString(body, "trackedEntity", in.person, 16));
  WJ_RETURN_IF_ERROR(ReadString(body, "vaccine", in.vaccine, 32));
  WJ_RETURN_IF_ERROR(ReadString(body, "date", in.date, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "orgUnit", in.org_unit, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "vaccinator", in.vaccinator, 120));
  WJ_RETURN_IF_ERROR(ReadString(body, "site", in.site, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "route", in.route, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "lot", in.lot, 64));
  WJ_RETURN_IF_ERROR(ReadString(body, "manufacturer", in.manufacturer, 120));
  WJ_RETURN_IF_ERROR(ReadString(body, "lotExpiry", in.lot_expiry, 10));
  WJ_RETURN_IF_ERROR(ReadString(body, "traceCode", in.trace_code, 20));
  return in;
}

// --- The service ------------------------------------------------------------------------------

ImmunizationService::ImmunizationService(storage::Store& store) : store_(store) {
  InstallDueIndexer(store_);
}

Result<std::vector<RecordedDose>> ImmunizationService::RecordedDosesOf(std::int64_t person) {
  WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(person));
  std::vector<RecordedDose> out;
  for (const auto& d : doses)
    if (auto day = ParseIsoDate(d.given_on); day.ok()) out.push_back({d.vaccine, *day});
  return out;
}

Result<std::vector<Hold>> ImmunizationService::HoldsOf(std::int64_t person) {
  WJ_ASSIGN_OR_RETURN(auto holds, store_.ListImmunizationHolds(person));
  std::vector<Hold> out;
  for (const auto& h : holds) out.push_back(HoldFromRecord(h));
  return out;
}

Status ImmunizationService::AuditUnmaskedRecord(const auth::Principal& who,
                                                const storage::TrackedEntityRecord& r,
                                                const std::string& detail, std::int64_t now) {
  storage::AuditRecord audit;
  audit.type = "PERSONAL_DATA";
  audit.username = who.name();
  audit.org_unit_id = r.org_unit_id;
  audit.object = "trackedEntity " + r.uid;
  audit.detail = detail;
  audit.created = now;
  return store_.AppendAudit(audit);
}

Result<const PersonVault*> ImmunizationService::Vault() const {
  if (!vault_) return Unavailable("未配置个人信息密钥文件，儿童档案不可用（weijian keys init）");
  return vault_.get();
}

bool ImmunizationService::MayUnmask(const auth::Principal& who, const metadata::Catalog& cat,
                                    std::int64_t unit) const {
  return who.IsSuperuser() ||
         (who.Has(auth::Authority::kPersonalData) && auth::CanWrite(who, cat, unit));
}

json ImmunizationService::View(const metadata::Catalog& cat, const Person& p, bool unmasked) const {
  const auto& r = p.record;
  const auto* unit = cat.OrgUnits().ById(r.org_unit_id);
  auto field = [&](const char* key) { return p.sealed.value(key, std::string()); };
  json guardians = json::array();
  for (const auto& g : p.sealed.value("guardians", json::array())) {
    const std::string name = g.value("name", ""), phone = g.value("phone", "");
    guardians.push_back({{"name", unmasked ? name : MaskName(name)},
                         {"relation", g.value("relation", "")},
                         {"phone", unmasked ? phone : MaskPhone(phone)}});
  }
  const std::string id = field("idNumber"), cert = field("birthCertificate");
  json j = {{"trackedEntity", r.uid},
            {"orgUnit", {{"id", unit ? unit->uid : ""}, {"name", unit ? unit->name : ""}}},
            {"village", UnitRef(cat, r.village_id)},
            {"birthDate", r.birth_date},
            {"sex", r.sex},
            {"status", r.status},
            {"name", unmasked ? field("name") : MaskName(field("name"))},
            {"idNumber", unmasked ? id : MaskIdNumber(id)},
            {"birthCertificate", unmasked ? cert : MaskIdNumber(cert)},
            {"guardians", guardians},
            {"masked", !unmasked}};
  if (unmasked) j["address"] = field("address");
  return j;
}

Result<ImmunizationService::Person> ImmunizationService::Load(const auth::Principal& who,
                                                              const metadata::Catalog& cat,
                                                              const std::string& uid) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  WJ_ASSIGN_OR_RETURN(auto found, store_.FindTrackedEntity(uid));
  // Outside the caller's scope looks exactly like absent: a uid tells nothing.
  if (!found || !auth::CanRead(who, cat, found->org_unit_id))
    return NotFound("没有儿童档案 " + uid, "trackedEntity");
  return Unseal(*vault, std::move(*found));
}

Result<ImmunizationService::Person> ImmunizationService::Unseal(
    const PersonVault& vault, storage::TrackedEntityRecord record) {
  WJ_ASSIGN_OR_RETURN(std::string plain, vault.Open(record.sealed, record.key_id));
  Person p{std::move(record), json::parse(plain, nullptr, false)};
  if (p.sealed.is_discarded()) return Internal("儿童档案 " + p.record.uid + " 的个人信息无法读取");
  return p;
}

Status ImmunizationService::AuditUnmaskedList(const auth::Principal& who,
                                              const storage::OrgUnitRecord& unit,
                                              const std::string& object, const std::string& detail,
                                              int unmasked, std::int64_t now) {
  if (unmasked == 0) return Status::Ok();
  storage::AuditRecord audit;
  audit.type = "PERSONAL_DATA";
  audit.username = who.name();
  audit.org_unit_id = unit.id;
  audit.object = object + " " + unit.uid;
  audit.detail = detail;
  audit.created = now;
  return store_.AppendAudit(audit);
}

Result<ImmunizationService::PreparedChild> ImmunizationService::PrepareChild(
    const auth::Principal& who, const metadata::Catalog& cat, const ChildInput& in, Date today,
    std::int64_t now, const storage::TrackedEntityRecord* existing) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  const auto* unit = cat.OrgUnits().ByUidOrCode(in.org_unit);
  if (in.org_unit.empty()) return Conflict("请选择接种单位", "orgUnit");
  if (!unit || !auth::CanWrite(who, cat, unit->id))
    return PermissionDenied("接种单位 " + in.org_unit + " 不在您可以建档的范围内");
  // A record kept where it is (an update) keeps its unit even if the rule came after it.
  if (!existing || existing->org_unit_id != unit->id)
    WJ_RETURN_IF_ERROR(CheckManagingUnit(cat, *unit));
  if (in.name.empty()) return Conflict("请填写儿童姓名", "name");
  if (Chars(in.name) > 30) return Conflict("姓名最多 30 个字", "name");
  WJ_RETURN_IF_ERROR(PlainText(in.name, "name"));
  WJ_RETURN_IF_ERROR(PlainText(in.address, "address"));

  std::string sex;
  if (in.sex == "M" || in.sex == "男" || in.sex == "MALE") sex = "M";
  if (in.sex == "F" || in.sex == "女" || in.sex == "FEMALE") sex = "F";

  std::string id_number;
  std::optional<Date> birth;
  if (!in.birth_date.empty()) {
    auto b = ParseIsoDate(in.birth_date);
    if (!b.ok()) return Conflict("出生日期应为 YYYY-MM-DD 的真实日期", "birthDate");
    birth = *b;
  }
  if (!in.id_number.empty()) {
    auto parsed = ParseResidentId(in.id_number, today);
    if (!parsed.ok()) return Conflict(parsed.status().message(), "idNumber");
    const ResidentId& rid = *parsed;
    if (birth && *birth != rid.birth_date)
      return Conflict("出生日期 " + in.birth_date + " 与身份证号中的 " +
                          FormatIsoDate(rid.birth_date) + " 不一致",
                      "birthDate");
    const std::string id_sex = rid.sex == Sex::kMale ? "M" : "F";
    if (!sex.empty() && sex != id_sex) return Conflict("性别与身份证号（第 17 位）不一致", "sex");
    birth = rid.birth_date;
    sex = id_sex;
    id_number = rid.number;
  }
  if (!birth) return Conflict("请填写出生日期（或身份证号）", "birthDate");
  if (sex.empty()) return Conflict("性别应为 男 或 女", "sex");
  if (*birth > today) return Conflict("出生日期晚于今天", "birthDate");
  if (AddSpan(*birth, Years(18)) <= today)
    return Conflict("已满 18 周岁，不在儿童预防接种管理范围内", "birthDate");
  if (!in.birth_certificate.empty()) {
    const std::string& c = in.birth_certificate;
    if (c.size() != 10 || !(c[0] >= 'A' && c[0] <= 'Z') || !IsAsciiDigits(c.substr(1)))
      return Conflict("出生医学证明编号应为 1 个大写字母加 9 位数字", "birthCertificate");
  }
  WJ_ASSIGN_OR_RETURN(const std::int64_t village_id, VillageOf(cat, *unit, in.village));
  if (in.guardians.empty()) return Conflict("请至少填写一位监护人及电话", "guardians");
  for (std::size_t i = 0; i < in.guardians.size(); ++i) {
    const auto& g = in.guardians[i];
    const std::string at = "guardians[" + std::to_string(i) + "].";
    if (g.name.empty()) return Conflict("请填写监护人姓名", at + "name");
    WJ_RETURN_IF_ERROR(PlainText(g.name, at + "name"));
    WJ_RETURN_IF_ERROR(PlainText(g.relation, at + "relation"));
    if (!PhoneLooksRight(g.phone)) return Conflict("电话应为 7–20 位数字", at + "phone");
  }

  const std::string birth_text = FormatIsoDate(*birth);
  // A new birth date (typed, or read from a new ID number) may not leave a recorded dose before
  // the child was born.
  if (existing && birth_text != existing->birth_date) {
    WJ_ASSIGN_OR_RETURN(const auto doses, store_.ListImmunizationDoses(existing->id));
    const storage::ImmunizationDoseRecord* first = nullptr;
    for (const auto& d : doses)
      if (!first || d.given_on < first->given_on) first = &d;
    if (first && first->given_on < birth_text) {
      const Vaccine* v = FindVaccine(first->vaccine);
      return Conflict("出生日期 " + birth_text + " 晚于已登记的最早一剂接种（" +
                          (v ? v->name : first->vaccine) + "，" + first->given_on +
                          "）：请先核对该接种记录",
                      "birthDate");
    }
  }
  if (!id_number.empty()) {
    WJ_ASSIGN_OR_RETURN(
        auto same, store_.FindTrackedEntitiesByIndex("id", vault->BlindIndex("id", id_number)));
    std::erase_if(same, [&](const storage::TrackedEntityRecord& o) {
      return existing && o.id == existing->id;
    });
    if (!same.empty()) {
      std::string where;
      if (auth::CanRead(who, cat, same.front().org_unit_id))
        where = "（档案 " + same.front().uid + "）";
      return Conflict("该身份证号已有儿童档案" + where + "，请勿重复建档", "idNumber");
    }
  }
  // Same name and birth date, and a guardian phone in common: flagged, not refused (twins share
  // a birth date and phones, but not a name).
  const std::string name_birth = vault->BlindIndex("name_birth", NameBirthKey(in.name, birth_text));
  WJ_ASSIGN_OR_RETURN(auto similar, store_.FindTrackedEntitiesByIndex("name_birth", name_birth));
  json duplicates = json::array();
  for (const auto& other : similar) {
    auto plain = vault->Open(other.sealed, other.key_id);
    if (!plain.ok()) continue;
    json sealed = json::parse(*plain, nullptr, false);
    if (sealed.is_discarded()) continue;
    bool phone_shared = false;
    for (const auto& g : sealed.value("guardians", json::array()))
      for (const auto& mine : in.guardians) phone_shared |= g.value("phone", "") == mine.phone;
    if (phone_shared && auth::CanRead(who, cat, other.org_unit_id) &&
        !(existing && other.id == existing->id))
      duplicates.push_back(other.uid);
  }

  json guardians = json::array();
  for (const auto& g : in.guardians)
    guardians.push_back({{"name", g.name}, {"relation", g.relation}, {"phone", g.phone}});
  json sealed = {{"name", in.name},
                 {"idNumber", id_number},
                 {"birthCertificate", in.birth_certificate},
                 {"address", in.address},
                 {"guardians", guardians}};
  PreparedChild out;
  Person& p = out.person;
  auto& r = p.record;
  if (existing) r = *existing;
  r.uid = existing ? existing->uid : RandomUid();
  r.org_unit_id = unit->id;
  r.village_id = village_id;
  r.birth_date = birth_text;
  r.sex = sex;
  r.sealed = vault->Seal(sealed.dump());
  r.key_id = vault->current_key_id();
  r.id_index = id_number.empty() ? "" : vault->BlindIndex("id", id_number);
  r.name_birth_index = name_birth;
  if (existing) {
    r.updated = std::max(now, existing->updated + 1);
  } else {
    r.created = r.updated = now;
    r.created_by = who.name();
  }
  p.sealed = std::move(sealed);
  out.duplicates = std::move(duplicates);
  return out;
}

Result<json> ImmunizationService::Register(const auth::Principal& who, const metadata::Catalog& cat,
                                           const ChildInput& in, Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(PreparedChild prepared, PrepareChild(who, cat, in, today, now, nullptr));
  Person& p = prepared.person;
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = p.record.org_unit_id;
  audit.object = "trackedEntity " + p.record.uid;
  audit.detail = "儿童建档";
  audit.created = now;
  p.record.enrollment_uid = RandomUid();
  p.record.enrolled_at = FormatIsoDate(today);
  WJ_RETURN_IF_ERROR(store_.CreateTrackedEntity(p.record, audit));
  json out = View(cat, p, MayUnmask(who, cat, p.record.org_unit_id));
  out["possibleDuplicates"] = std::move(prepared.duplicates);
  return out;
}

Result<json> ImmunizationService::Get(const auth::Principal& who, const metadata::Catalog& cat,
                                      const std::string& uid, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
  if (unmasked) WJ_RETURN_IF_ERROR(AuditUnmaskedRecord(who, p.record, "查看未脱敏的儿童档案", now));
  json out = View(cat, p, unmasked);
  WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(p.record.id));
  json list = json::array();
  for (const auto& d : doses) {
    const Vaccine* v = FindVaccine(d.vaccine);
    list.push_back({{"dose", d.uid},
                    {"vaccine", d.vaccine},
                    {"vaccineName", v ? v->name : d.vaccine},
                    {"date", d.given_on},
                    {"lot", d.lot}});
  }
  out["doses"] = list;
  WJ_ASSIGN_OR_RETURN(auto transfers, store_.ListTrackedEntityTransfers(p.record.id));
  json moves = json::array();
  for (const auto& t : transfers)
    moves.push_back({{"direction", t.direction},
                     {"directionName", t.direction == "OUT"  ? "迁出（系统外）"
                                       : t.direction == "IN" ? "迁入（自系统外迁回）"
                                                             : "迁出/迁入"},
                     {"from", UnitRef(cat, t.from_org_unit_id)},
                     {"to", UnitRef(cat, t.to_org_unit_id)},
                     {"destination", t.destination},
                     {"date", t.transferred_on},
                     {"reason", t.reason},
                     {"by", t.created_by}});
  out["transfers"] = moves;
  WJ_ASSIGN_OR_RETURN(auto holds, store_.ListImmunizationHolds(p.record.id));
  json held = json::array();
  for (const auto& h : holds) held.push_back(HoldJson(h));
  out["holds"] = held;
  WJ_ASSIGN_OR_RETURN(auto reports, store_.ListAefiReports(p.record.id));
  json aefi = json::array();
  for (const auto& a : reports) {
    std::string dose_uid;
    for (const auto& d : doses)
      if (d.id == a.dose_id) dose_uid = d.uid;
    aefi.push_back(AefiJson(a, dose_uid));
  }
  out["aefi"] = aefi;
  return out;
}

Result<json> ImmunizationService::Transfer(const auth::Principal& who, const metadata::Catalog& cat,
                                           const std::string& uid, const TransferInput& in,
                                           Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, uid));
  const std::int64_t from = p.record.org_unit_id;
  const auto* from_unit = cat.OrgUnits().ById(from);
  if (!auth::CanWrite(who, cat, from))
    return PermissionDenied("儿童档案 " + uid + " 的接种单位不在您可以办理迁移的范围内");
  Date on = today;
  if (!in.date.empty()) {
    auto d = ParseIsoDate(in.date);
    if (!d.ok()) return Conflict("迁移日期应为 YYYY-MM-DD 的真实日期", "date");
    on = *d;
  }
  if (on > today) return Conflict("迁移日期晚于今天", "date");
  if (FormatIsoDate(on) < p.record.birth_date)
    return Conflict("迁移日期早于出生日期 " + p.record.birth_date, "date");

  storage::TrackedEntityTransferRecord t;
  t.tracked_entity_id = p.record.id;
  t.from_org_unit_id = from;
  t.destination = in.destination;
  t.transferred_on = FormatIsoDate(on);
  t.reason = in.reason;
  t.created = now;
  t.created_by = who.name();
  storage::TrackedEntityRecord moved = p.record;
  moved.updated = std::max(now, p.record.updated + 1);
  const storage::OrgUnitRecord* to_unit = nullptr;
  if (!in.org_unit.empty()) {
    to_unit = cat.OrgUnits().ByUidOrCode(in.org_unit);
    if (!to_unit) return Conflict("没有接种单位 " + in.org_unit, "orgUnit");
  }
  if (p.record.status == "TRANSFERRED_OUT") {
    // 迁入: a child who had left the system comes back to a unit the caller writes.
    if (!to_unit) return Conflict("该儿童已迁出，迁入时请指定接收的接种单位", "orgUnit");
    if (!auth::CanWrite(who, cat, to_unit->id))
      return PermissionDenied("接种单位 " + in.org_unit + " 不在您可以办理迁入的范围内");
    if (to_unit->id != from) WJ_RETURN_IF_ERROR(CheckManagingUnit(cat, *to_unit));
    t.direction = "IN";
    moved.status = "ACTIVE";
  } else if (to_unit) {
    // 迁出 to another unit of the system that the caller writes, 迁入 there: the record moves
    // with its doses (a move beyond his units is his county's to make).
    if (to_unit->id == from && in.village.empty())
      return Conflict("该儿童已由 " + to_unit->name + " 管理", "orgUnit");
    if (!auth::CanWrite(who, cat, to_unit->id))
      return PermissionDenied("接种单位 " + in.org_unit + " 不在您可以办理迁移的范围内");
    if (to_unit->id != from) WJ_RETURN_IF_ERROR(CheckManagingUnit(cat, *to_unit));
    t.direction = "MOVE";
  } else {
    // 迁出 out of the system (another province, abroad): the record stays, closed.
    if (in.destination.empty())
      return Conflict(
          "迁往系统外时请填写迁往地（destination），迁往系统内请指定接种单位（orgUnit）",
          "destination");
    t.direction = "OUT";
    moved.status = "TRANSFERRED_OUT";
  }
  if (to_unit) {
    t.to_org_unit_id = to_unit->id;
    moved.org_unit_id = to_unit->id;
    WJ_ASSIGN_OR_RETURN(moved.village_id, VillageOf(cat, *to_unit, in.village));
  }
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = from;
  audit.object = "trackedEntity " + uid;
  audit.detail = std::string(t.direction == "OUT" ? "儿童迁出至 " + in.destination
                             : t.direction == "IN"
                                 ? "儿童迁入 " + to_unit->name
                                 : "儿童由 " + (from_unit ? from_unit->name : std::string()) +
                                       " 迁至 " + to_unit->name) +
                 "（" + t.transferred_on + "）";
  audit.created = now;
  WJ_RETURN_IF_ERROR(store_.TransferTrackedEntity(moved, p.record.updated, t, audit));
  json out = {{"trackedEntity", uid},
              {"direction", t.direction},
              {"status", moved.status},
              {"orgUnit", UnitRef(cat, moved.org_unit_id)},
              {"village", UnitRef(cat, moved.village_id)},
              {"date", t.transferred_on}};
  return out;
}

Result<json> ImmunizationService::List(const auth::Principal& who, const metadata::Catalog& cat,
                                       const std::string& org_unit, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  const auto* unit = cat.OrgUnits().ByUidOrCode(org_unit);
  if (org_unit.empty()) return Conflict("请指定单位 ou", "ou");
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + org_unit + " 不在您负责的范围内");
  WJ_ASSIGN_OR_RETURN(auto records, store_.ListTrackedEntities(cat.tree().SubtreeIds(unit->id)));
  json rows = json::array();
  int unmasked_count = 0;
  for (auto& r : records) {
    WJ_ASSIGN_OR_RETURN(Person p, Unseal(*vault, std::move(r)));
    const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
    unmasked_count += unmasked;
    rows.push_back(View(cat, p, unmasked));
  }
  WJ_RETURN_IF_ERROR(AuditUnmaskedList(
      who, *unit, "trackedEntities",
      "查看未脱敏的儿童名单（" + std::to_string(unmasked_count) + " 人）", unmasked_count, now));
  return json{{"trackedEntities", rows}};
}

Result<json> ImmunizationService::Find(const auth::Principal& who, const metadata::Catalog& cat,
                                       const ChildSearch& q, Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  std::vector<storage::TrackedEntityRecord> found;
  if (!q.id_number.empty()) {
    auto parsed = ParseResidentId(q.id_number, today);
    if (!parsed.ok()) return Conflict(parsed.status().message(), "idNumber");
    WJ_ASSIGN_OR_RETURN(
        found, store_.FindTrackedEntitiesByIndex("id", vault->BlindIndex("id", parsed->number)));
  } else {
    if (q.name.empty()) return Conflict("请填写身份证号，或姓名和出生日期", "name");
    auto birth = ParseIsoDate(q.birth_date);
    if (!birth.ok()) return Conflict("出生日期应为 YYYY-MM-DD 的真实日期", "birthDate");
    WJ_ASSIGN_OR_RETURN(
        found, store_.FindTrackedEntitiesByIndex(
                   "name_birth",
                   vault->BlindIndex("name_birth", NameBirthKey(q.name, FormatIsoDate(*birth)))));
  }
  json rows = json::array();
  for (auto& r : found) {
    if (!auth::CanRead(who, cat, r.org_unit_id)) continue;
    WJ_ASSIGN_OR_RETURN(Person p, Unseal(*vault, std::move(r)));
    const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
    if (unmasked)
      WJ_RETURN_IF_ERROR(AuditUnmaskedRecord(who, p.record, "查找并查看未脱敏的儿童档案", now));
    rows.push_back(View(cat, p, unmasked));
  }
  return json{{"trackedEntities", rows}};
}

Result<ImmunizationService::PreparedDose> ImmunizationService::PrepareDose(
    const auth::Principal& who, const metadata::Catalog& cat,
    const storage::TrackedEntityRecord& child, const DoseInput& in,
    std::span<const storage::ImmunizationDoseRecord> others, Date today, std::int64_t now,
    const std::string& uid, LotsByUnit* lots) {
  const auto* unit = in.org_unit.empty() ? cat.OrgUnits().ById(child.org_unit_id)
                                         : cat.OrgUnits().ByUidOrCode(in.org_unit);
  if (!unit || !auth::CanWrite(who, cat, unit->id))
    return PermissionDenied("接种单位 " +
                            (in.org_unit.empty() ? std::string("（档案所属单位）") : in.org_unit) +
                            " 不在您可以登记的范围内");
  if (child.status == "TRANSFERRED_OUT")
    return Conflict("该儿童已迁出，不能再登记接种", "trackedEntity");
  const Vaccine* vaccine = FindVaccine(in.vaccine);
  if (!vaccine) return Conflict("疫苗代码 " + in.vaccine + " 不在疫苗目录中", "vaccine");
  auto date = ParseIsoDate(in.date);
  if (!date.ok()) return Conflict("接种日期应为 YYYY-MM-DD 的真实日期", "date");
  const Date birth = ParseIsoDate(child.birth_date).value();
  if (*date < birth) return Conflict("接种日期早于出生日期 " + child.birth_date, "date");
  if (*date > today) return Conflict("接种日期晚于今天", "date");
  // Stock: from the day a unit first received a vaccine, its doses of that vaccine take one from
  // a lot it holds (a dose given before, or of a vaccine the unit does not stock, is transcribed
  // from a 接种证 or given elsewhere: recorded without a movement).
  std::string manufacturer = in.manufacturer, lot_expiry = in.lot_expiry;
  std::vector<storage::VaccineLotRecord> read_lots;
  if (!lots || !lots->count(unit->id)) {
    WJ_ASSIGN_OR_RETURN(read_lots, store_.ListVaccineLots(std::span(&unit->id, 1)));
    if (lots) (*lots)[unit->id] = std::move(read_lots);
  }
  const std::vector<storage::VaccineLotRecord>& unit_lots = lots ? lots->at(unit->id) : read_lots;
  std::string stocked_since, on_hand;
  const storage::VaccineLotRecord* lot = nullptr;
  for (const auto& l : unit_lots) {
    if (l.vaccine != in.vaccine) continue;
    if (stocked_since.empty() || l.first_received < stocked_since) stocked_since = l.first_received;
    if (l.balance > 0) on_hand += (on_hand.empty() ? "" : "、") + l.lot;
    if (l.lot == in.lot) lot = &l;
  }
  const bool from_stock = !stocked_since.empty() && in.date >= stocked_since;
  if (from_stock) {
    const std::string held =
        on_hand.empty() ? "本单位该疫苗已无库存" : "本单位该疫苗在库批号：" + on_hand;
    if (in.lot.empty()) return Conflict("请填写或扫描批号（" + held + "）", "lot");
    if (!lot)
      return Conflict("批号 " + in.lot + " 不在本单位" + vaccine->name + "的库存中（" + held +
                          "），请核对批号或先登记入库",
                      "lot");
    if (lot->balance <= 0)
      return Conflict(
          "批号 " + in.lot + " 在本单位已无库存（" + held + "），请核对批号或先登记入库", "lot");
    if (!lot_expiry.empty() && lot_expiry != lot->expiry)
      return Conflict("有效期 " + lot_expiry + " 与库存登记的 " + lot->expiry + " 不一致",
                      "lotExpiry");
    if (manufacturer.empty()) manufacturer = lot->manufacturer;
    lot_expiry = lot->expiry;
  }
  if (!lot_expiry.empty()) {
    auto expiry = ParseIsoDate(lot_expiry);
    if (!expiry.ok()) return Conflict("疫苗有效期应为 YYYY-MM-DD", "lotExpiry");
    if (*expiry < *date)
      return Conflict("批号 " + in.lot + " 的疫苗已于 " + lot_expiry + " 过期，不能接种",
                      "lotExpiry");
  }
  if (!in.trace_code.empty() && (in.trace_code.size() != 20 || !IsAsciiDigits(in.trace_code)))
    return Conflict("疫苗追溯码应为 20 位数字", "traceCode");
  for (const auto& d : others)
    if (d.vaccine == in.vaccine && d.given_on == in.date)
      return Conflict("同一天已登记过" + vaccine->name, "vaccine");

  PreparedDose out;
  storage::ImmunizationDoseRecord& d = out.dose;
  d.uid = uid.empty() ? RandomUid() : uid;
  d.tracked_entity_id = child.id;
  d.vaccine = in.vaccine;
  d.given_on = in.date;
  d.org_unit_id = unit->id;
  d.vaccinator = in.vaccinator;
  d.site = in.site;
  d.route = in.route;
  d.lot = in.lot;
  d.manufacturer = manufacturer;
  d.lot_expiry = lot_expiry;
  d.trace_code = in.trace_code;
  d.created = now;
  d.created_by = who.name();
  storage::AuditRecord& audit = out.audit;
  audit.type = "TRACKER";
  audit.username = who.name();
  audit.org_unit_id = unit->id;
  audit.object = "dose " + d.uid;
  audit.detail = "登记接种 " + in.vaccine + " " + in.date + "（档案 " + child.uid + "）";
  audit.created = now;
  if (from_stock) {
    out.movement.emplace();
    storage::VaccineStockMovementRecord& m = *out.movement;
    m.uid = RandomUid();
    m.org_unit_id = unit->id;
    m.vaccine = in.vaccine;
    m.lot = in.lot;
    m.kind = "DOSE";
    m.quantity = -1;
    m.moved_on = in.date;
    m.created = now;
    m.created_by = who.name();
    storage::AuditRecord& moved = out.movement_audit;
    moved = audit;
    moved.type = "STOCK";
    moved.object = "stock " + m.uid;
    moved.detail = "接种出库 " + in.vaccine + " 批号 " + in.lot + " 1 剂（接种 " + d.uid + "）";
  }
  return out;
}

Status ImmunizationService::WriteDose(PreparedDose& prepared) {
  if (prepared.movement)
    return store_.ApplyStockMovements(std::span(&*prepared.movement, 1),
                                      std::span(&prepared.movement_audit, 1), &prepared.dose,
                                      &prepared.audit);
  return store_.AddImmunizationDose(prepared.dose, prepared.audit);
}

json ImmunizationService::Placement(const storage::TrackedEntityRecord& person,
                                    std::span<const storage::ImmunizationDoseRecord> doses,
                                    const std::vector<Hold>& holds, const std::string& vaccine,
                                    const std::string& given_on) {
  const Date birth = ParseIsoDate(person.birth_date).value();
  const Date date = ParseIsoDate(given_on).value();
  std::vector<RecordedDose> recorded;
  for (const auto& x : doses)
    if (auto day = ParseIsoDate(x.given_on); day.ok()) recorded.push_back({x.vaccine, *day});
  const ScheduleEdition& edition = EditionInForce(date);
  return PlacementIn(tracker::Forecast(edition, birth, recorded, holds, date), holds, vaccine,
                     date);
}

json ImmunizationService::PlacementIn(const std::vector<DoseForecast>& rows,
                                      const std::vector<Hold>& holds, const std::string& vaccine,
                                      Date date) {
  json out = json::object();
  for (const DoseForecast& f : rows) {
    if (f.given && *f.given == date && f.vaccine == vaccine) {
      out["series"] = f.series;
      out["doseNumber"] = f.dose;
      out["state"] = DoseStateName(f.state);
      out["stateName"] = DoseStateLabel(f.state);
      if (!f.reason.empty()) out["reason"] = f.reason;
    }
  }
  if (!out.contains("state")) {
    out["state"] = "OUTSIDE_SCHEDULE";
    out["stateName"] = "程序外接种";
  }
  // Given although a hold covered it that day: recorded (it was given), flagged for review.
  for (const Hold& h : holds)
    if ((h.vaccine == "*" || h.vaccine == vaccine) && h.from <= date &&
        (!h.until || *h.until >= date))
      out["warning"] = std::string("该儿童当日有") +
                       (h.kind == HoldKind::kContraindication ? "禁忌" : "暂缓") + "记录：" +
                       h.reason;
  return out;
}

Result<json> ImmunizationService::RecordDose(const auth::Principal& who,
                                             const metadata::Catalog& cat, const DoseInput& in,
                                             Date today, std::int64_t now) {
  if (in.person.empty()) return Conflict("请指定儿童档案", "trackedEntity");
  WJ_ASSIGN_OR_RETURN(Person p, Load(who, cat, in.person));
  WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(p.record.id));
  WJ_ASSIGN_OR_RETURN(PreparedDose prepared,
                      PrepareDose(who, cat, p.record, in, doses, today, now));
  WJ_RETURN_IF_ERROR(WriteDose(prepared));
  const auto& d = prepared.dose;
  json stock = "NOT_MANAGED";
  if (prepared.movement)
    stock = {{"lot", prepared.movement->lot}, {"balance", prepared.movement->balance_after}};
  // Where the new dose landed in the child's schedule.
  doses.push_back(d);
  WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(p.record.id));
  json out = {{"dose", d.uid}, {"vaccine", d.vaccine}, {"date", d.given_on}, {"stock", stock}};
  out.update(Placement(p.record, doses, holds, d.vaccine, d.given_on));
  return out;
}

Result<json> ImmunizationService::Forecast(const auth::Principal& who, const metadata::Catalog& cat,
                                           const std::string& uid, Date date) {
  WJ_RETURN_IF_ERROR(Vault().status());
  // Nothing personal is shown: the record is checked for scope, not unsealed.
  WJ_ASSIGN_OR_RETURN(auto found, store_.FindTrackedEntity(uid));
  if (!found || !auth::CanRead(who, cat, found->org_unit_id))
    return NotFound("没有儿童档案 " + uid, "trackedEntity");
  const std::int64_t id = found->id;
  WJ_ASSIGN_OR_RETURN(auto days, store_.ListDoseDaysOf(std::span(&id, 1)));
  std::vector<RecordedDose> recorded;
  recorded.reserve(days.size());
  for (auto& d : days)
    if (auto day = ParseIsoDate(d.given_on); day.ok())
      recorded.push_back({std::move(d.vaccine), *day});
  WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(id));
  const Date birth = ParseIsoDate(found->birth_date).value();
  const ScheduleEdition& edition = EditionInForce(date);
  json rows = json::array();
  auto day = [](const std::optional<Date>& d) { return d ? json(FormatIsoDate(*d)) : json(); };
  for (const DoseForecast& f : tracker::Forecast(edition, birth, recorded, holds, date)) {
    json row = ForecastRowJson(f);
    row["earliestDate"] = day(f.earliest);
    row["recommendedDate"] = day(f.recommended);
    row["latestDate"] = day(f.latest);
    row["catchUpUntil"] = day(f.catch_up_until);
    row["reason"] = f.reason;
    if (f.given) {
      row["given"] = FormatIsoDate(*f.given);
      row["timely"] = f.timely;
    }
    rows.push_back(std::move(row));
  }
  return json{{"trackedEntity", uid},
              {"date", FormatIsoDate(date)},
              {"birthDate", found->birth_date},
              {"schedule", {{"code", edition.code}, {"name", edition.name}}},
              {"doses", rows}};
}

Result<int> ImmunizationService::Reseal(const std::string& actor, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  // Every unit: the records are read by unit, so collect the units that hold any.
  std::vector<storage::TrackedEntityRecord> all;
  WJ_ASSIGN_OR_RETURN(auto cat_units, store_.LoadOrgUnits());
  std::vector<std::int64_t> ids;
  for (const auto& u : cat_units) ids.push_back(u.id);
  WJ_ASSIGN_OR_RETURN(all, store_.ListTrackedEntities(ids));
  for (auto& r : all) {
    WJ_ASSIGN_OR_RETURN(std::string plain, vault->Open(r.sealed, r.key_id));
    json sealed = json::parse(plain, nullptr, false);
    if (sealed.is_discarded()) return Internal("儿童档案 " + r.uid + " 的个人信息无法读取");
    r.sealed = vault->Seal(plain);
    r.key_id = vault->current_key_id();
    const std::string id = sealed.value("idNumber", "");
    r.id_index = id.empty() ? "" : vault->BlindIndex("id", id);
    r.name_birth_index =
        vault->BlindIndex("name_birth", NameBirthKey(sealed.value("name", ""), r.birth_date));
  }
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = actor;
  audit.object = "keys";
  audit.detail = "个人信息密钥轮换，重新加密 " + std::to_string(all.size()) + " 份档案";
  audit.created = now;
  WJ_RETURN_IF_ERROR(store_.ResealTrackedEntities(all, audit));
  return static_cast<int>(all.size());
}

}  // namespace weijian::tracker
