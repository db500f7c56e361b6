#include "exchange/data_values.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/date.h"
#include "core/robust_stats.h"
#include "core/uid.h"
#include "metadata/value_type.h"

namespace weijian::exchange {

using nlohmann::json;

namespace {

template <typename T>
const T* Lookup(const metadata::RecordIndex<T>& index, IdScheme scheme, const std::string& key,
                const Catalog& cat, std::string_view collection, const std::string& attribute) {
  if (scheme == IdScheme::kAttribute) {
    // Only the attribute's value names the object: no fallback to uid or code.
    const std::string* uid = cat.UidByAttribute(collection, attribute, key);
    return uid ? index.ByUid(*uid) : nullptr;
  }
  if (const T* r = index.Find(scheme, key)) return r;
  // Codes are what people type; accept a uid where a code is expected and the reverse.
  return scheme == IdScheme::kName ? nullptr : index.ByUidOrCode(key);
}

const char* SchemeWord(IdScheme s) {
  switch (s) {
    case IdScheme::kUid:
      return "uid";
    case IdScheme::kCode:
      return "code";
    case IdScheme::kName:
      return "name";
    case IdScheme::kAttribute:
      return "attribute value";
  }
  return "id";
}

}  // namespace

Result<bool> ParseIdSchemeOption(IdSchemes& schemes, const std::string& name,
                                 const std::string& value) {
  IdScheme* target = name == "dataElementIdScheme"           ? &schemes.data_element
                     : name == "orgUnitIdScheme"             ? &schemes.org_unit
                     : name == "categoryOptionComboIdScheme" ? &schemes.category_option_combo
                     : name == "categoryIdScheme"            ? &schemes.category
                     : name == "categoryOptionIdScheme"      ? &schemes.category_option
                     : name == "dataSetIdScheme"             ? &schemes.data_set
                     : name == "idScheme"                    ? &schemes.data_element
                                                             : nullptr;
  if (!target) return false;
  if (value.size() > 10 && (value.starts_with("ATTRIBUTE:") || value.starts_with("attribute:"))) {
    const std::string attribute = value.substr(10);
    if (!IsValidUid(attribute))
      return InvalidArgument(
          "ATTRIBUTE:<uid> needs the uid of an attribute, not \"" + attribute + "\"", name);
    const bool all = name == "idScheme";
    if (!all && name != "dataElementIdScheme" && name != "orgUnitIdScheme" &&
        name != "categoryOptionComboIdScheme")
      return InvalidArgument(
          "ATTRIBUTE:<uid> is taken for data elements, org units and category option combos "
          "(dataElementIdScheme, orgUnitIdScheme, categoryOptionComboIdScheme, idScheme)",
          name);
    if (all || name == "dataElementIdScheme") {
      schemes.data_element = IdScheme::kAttribute;
      schemes.data_element_attribute = attribute;
    }
    if (all || name == "orgUnitIdScheme") {
      schemes.org_unit = IdScheme::kAttribute;
      schemes.org_unit_attribute = attribute;
    }
    if (all || name == "categoryOptionComboIdScheme") {
      schemes.category_option_combo = IdScheme::kAttribute;
      schemes.category_option_combo_attribute = attribute;
    }
    return true;
  }
  auto s = metadata::ParseIdScheme(value);
  if (!s.ok()) return InvalidArgument(s.status().message(), name);
  *target = *s;
  if (name == "idScheme")
    schemes.org_unit = schemes.category_option_combo = schemes.category = schemes.category_option =
        schemes.data_set = *s;
  return true;
}

const storage::DataElementRecord* FindDataElement(const Catalog& cat, const IdSchemes& schemes,
                                                  const std::string& key) {
  return Lookup(cat.DataElements(), schemes.data_element, key, cat, "dataElements",
                schemes.data_element_attribute);
}

const storage::DataElementRecord* ValueResolver::Element(const std::string& key) {
  auto [it, fresh] = elements_.try_emplace(key, nullptr);
  if (fresh) it->second = FindDataElement(cat_, schemes_, key);
  return it->second;
}

const storage::OrgUnitRecord* ValueResolver::Unit(const std::string& key) {
  auto [it, fresh] = units_.try_emplace(key, nullptr);
  if (fresh)
    it->second = Lookup(cat_.OrgUnits(), schemes_.org_unit, key, cat_, "organisationUnits",
                        schemes_.org_unit_attribute);
  return it->second;
}

const storage::CategoryOptionComboRecord* ValueResolver::Combo(const std::string& key) {
  auto [it, fresh] = combos_.try_emplace(key, nullptr);
  if (fresh)
    it->second = Lookup(cat_.CategoryOptionCombos(), schemes_.category_option_combo, key, cat_,
                        "categoryOptionCombos", schemes_.category_option_combo_attribute);
  return it->second;
}

Result<ResolvedValue> ValueResolver::Resolve(const DataValueInput& in, bool for_delete) {
  const Catalog& cat = cat_;
  const IdSchemes& schemes = schemes_;
  ResolvedValue r;
  if (in.data_element.empty()) return InvalidArgument("is required", "dataElement");
  r.data_element = Element(in.data_element);
  if (!r.data_element)
    return Conflict(std::string("unknown data element ") + SchemeWord(schemes.data_element) + " " +
                        in.data_element,
                    "dataElement");
  if (in.period.empty()) return InvalidArgument("is required", "period");
  auto pit = periods_.find(in.period);
  if (pit == periods_.end()) pit = periods_.emplace(in.period, ParsePeriod(in.period)).first;
  if (!pit->second.ok()) return Conflict(pit->second.status().message(), "period");
  r.period = *pit->second;
  if (in.org_unit.empty()) return InvalidArgument("is required", "orgUnit");
  r.org_unit = Unit(in.org_unit);
  if (!r.org_unit)
    return Conflict(
        std::string("unknown org unit ") + SchemeWord(schemes.org_unit) + " " + in.org_unit,
        "orgUnit");

  // The data set that collects this element for this unit with this period type.
  auto sit = sets_of_.find(r.data_element->id);
  if (sit == sets_of_.end())
    sit = sets_of_.emplace(r.data_element->id, cat.DataSetsOf(*r.data_element)).first;
  const auto& sets = sit->second;
  if (sets.empty())
    return Conflict("data element " + r.data_element->name +
                        " is not in any data set, so no "
                        "period type or org units are defined for it",
                    "dataElement");
  const storage::DataSetRecord* assigned = nullptr;
  for (const auto* ds : sets)
    if (cat.IsAssigned(*ds, r.org_unit->id)) {
      assigned = assigned ? assigned : ds;
      if (ds->period_type == PeriodTypeName(r.period.type)) {
        r.data_set = ds;
        break;
      }
    }
  if (!assigned)
    // Only the key the caller sent: a refusal must not name a unit he may not see.
    return Conflict("org unit " + in.org_unit + " is not assigned data set " + sets[0]->name,
                    "orgUnit");
  if (!r.data_set)
    return Conflict("period " + in.period + " is " + PeriodTypeName(r.period.type) +
                        ", but data set " + assigned->name + " is reported " +
                        assigned->period_type,
                    "period");
  if (r.data_set->open_future_periods <= 0 && r.period.start > today_)
    return Conflict(
        "期间 " + in.period + " 尚未到来，数据集" + r.data_set->name + "不接受未来期间的数据",
        "period");

  // Ids are SQLite rowids, far below 2^32: one integer key holds the pair.
  const std::int64_t pair = (r.data_set->id << 32) | r.data_element->id;
  auto cit = combo_of_.find(pair);
  if (cit == combo_of_.end())
    cit = combo_of_.emplace(pair, cat.ComboOf(*r.data_set, *r.data_element)).first;
  const auto* combo = cit->second;
  if (in.category_option_combo.empty()) {
    r.coc = cat.DefaultCoc();
    if (combo && combo->uid != metadata::kDefaultCategoryComboUid)
      return Conflict("data element " + r.data_element->name + " is disaggregated by " +
                          combo->name + "; name the category option combo",
                      "categoryOptionCombo");
  } else {
    r.coc = Combo(in.category_option_combo);
    if (!r.coc)
      return Conflict("unknown category option combo " + in.category_option_combo,
                      "categoryOptionCombo");
    if (combo && r.coc->combo_uid != combo->uid)
      return Conflict("category option combo " + r.coc->name + " does not belong to " +
                          combo->name + ", the disaggregation of " + r.data_element->name,
                      "categoryOptionCombo");
  }
  if (!r.coc) return Internal("the default category option combo is missing; run weijian init");
  if (in.attribute_option_combo.empty()) {
    r.aoc = cat.DefaultCoc();
  } else {
    r.aoc = Combo(in.attribute_option_combo);
    if (!r.aoc)
      return Conflict("unknown attribute option combo " + in.attribute_option_combo,
                      "attributeOptionCombo");
    if (r.aoc->combo_uid != r.data_set->combo_uid)
      return Conflict("attribute option combo " + r.aoc->name +
                          " does not belong to the "
                          "attribute combo of data set " +
                          r.data_set->name,
                      "attributeOptionCombo");
  }
  if (!for_delete) {
    auto v = metadata::ValidateValue(r.data_element->value_type, in.value);
    if (!v.ok()) return Conflict(v.status().message(), "value");
    r.value = *v;
    // A data element with an option set takes only its options' codes (DHIS2 E7621).
    if (const auto* rule = cat.OptionSetOf(r.data_element->uid);
        rule && std::find(rule->codes.begin(), rule->codes.end(), r.value) == rule->codes.end()) {
      std::string allowed;
      for (const auto& c : rule->codes) allowed += (allowed.empty() ? "" : "、") + c;
      return Conflict("值 \"" + r.value + "\" 不在数据元 " + r.data_element->name + " 的选项集 " +
                          rule->name + " 中（可选：" + (allowed.empty() ? "无" : allowed) + "）",
                      "value");
    }
  }
  if (in.comment.size() > 50000) return Conflict("the comment is too long", "comment");
  return r;
}

Result<ResolvedValue> DataValueService::Resolve(const Catalog& cat, const DataValueInput& in,
                                                const IdSchemes& schemes, bool for_delete) const {
  return ValueResolver(cat, schemes).Resolve(in, for_delete);
}

Result<std::int64_t> DataValueService::PeriodId(const Period& p) {
  std::lock_guard lock(period_mu_);
  std::string iso = p.Id();
  if (auto it = period_ids_.find(iso); it != period_ids_.end()) return it->second;
  storage::PeriodRecord rec{0, iso, PeriodTypeName(p.type), FormatIsoDate(p.start),
                            FormatIsoDate(p.end)};
  WJ_ASSIGN_OR_RETURN(std::int64_t id, store_.EnsurePeriod(rec));
  period_ids_.emplace(iso, id);
  return id;
}

Result<std::optional<std::int64_t>> DataValueService::ExistingPeriodId(const Period& p) {
  std::lock_guard lock(period_mu_);
  if (auto it = period_ids_.find(p.Id()); it != period_ids_.end())
    return std::optional<std::int64_t>(it->second);
  // Imports create periods in their own transactions; look again in the store on a miss.
  WJ_ASSIGN_OR_RETURN(auto all, store_.LoadPeriods());
  for (const auto& r : all) period_ids_.emplace(r.iso, r.id);
  if (auto it = period_ids_.find(p.Id()); it != period_ids_.end())
    return std::optional<std::int64_t>(it->second);
  return std::optional<std::int64_t>();
}

storage::DataValueKey DataValueService::KeyOf(const ResolvedValue& r, std::int64_t pe) const {
  return {r.data_element->id, pe, r.org_unit->id, r.coc->id, r.aoc->id};
}

namespace {
std::string Figure(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}
}  // namespace

std::string OutOfRange::Describe() const {
  return "数值 " + Figure(value) + " 超出本单位的正常范围（" + Figure(min) + "–" + Figure(max) +
         (from_min_max ? "，依据设定的最小最大值" : "，依据本单位历史数据") +
         "），请核实；如确认无误，请填写说明（comment）后保存，该值将被标记为待核查。";
}

Result<std::optional<OutOfRange>> DataValueService::CheckRange(const ResolvedValue& r,
                                                               std::int64_t period_id) {
  std::optional<OutOfRange> none;
  if (!metadata::IsNumericValueType(r.data_element->value_type)) return none;
  char* end = nullptr;
  const double v = std::strtod(r.value.c_str(), &end);
  if (!end || *end) return none;
  storage::MinMaxFilter mf;
  mf.data_element_ids = {r.data_element->id};
  mf.org_unit_ids = {r.org_unit->id};
  WJ_ASSIGN_OR_RETURN(auto bounds, store_.ListMinMax(mf));
  for (const auto& b : bounds)
    if (b.coc_id == r.coc->id) {
      if (v >= b.min && v <= b.max) return none;
      return std::optional<OutOfRange>(OutOfRange{v, b.min, b.max, true});
    }
  // No bounds set: judge by the unit's own history of this cell (other periods).
  std::vector<double> history;
  std::optional<std::vector<double>> kept;
  if (cell_history_) kept = cell_history_(KeyOf(r, period_id));
  if (kept) {
    history = std::move(*kept);
  } else {
    WJ_ASSIGN_OR_RETURN(auto rows,
                        store_.ListUnitValues(r.org_unit->id, std::nullopt, r.data_element->id));
    for (const auto& h : rows) {
      if (h.deleted || h.key.coc_id != r.coc->id || h.key.aoc_id != r.aoc->id ||
          h.key.period_id == period_id)
        continue;
      char* e = nullptr;
      double x = std::strtod(h.value.c_str(), &e);
      if (e && !*e) history.push_back(x);
    }
  }
  auto hb = HistoryBounds(history);
  if (!hb || (v >= hb->min && v <= hb->max)) return none;
  return std::optional<OutOfRange>(OutOfRange{v, hb->min, hb->max, false});
}

Result<storage::WriteCounts> DataValueService::Save(const Catalog& cat, const DataValueInput& in,
                                                    const std::string& user, int writer_level,
                                                    std::optional<OutOfRange>* out_of_range) {
  WJ_ASSIGN_OR_RETURN(ResolvedValue r, Resolve(cat, in, IdSchemes{}));
  WJ_ASSIGN_OR_RETURN(WriteGuard guard, approvals_.Guard(cat, writer_level));
  WJ_RETURN_IF_ERROR(guard.Check(*r.data_set, r.period, *r.org_unit, r.data_element));
  WJ_ASSIGN_OR_RETURN(std::int64_t pe, PeriodId(r.period));
  storage::DataValueWrite w;
  w.key = KeyOf(r, pe);
  w.value = r.value;
  w.comment = in.comment;
  WJ_ASSIGN_OR_RETURN(auto existing, store_.GetDataValue(w.key));
  if (in.followup) {
    w.followup = *in.followup;
  } else {
    // Keep the existing follow-up mark when the request does not mention it.
    w.followup = existing && existing->followup;
  }
  WJ_ASSIGN_OR_RETURN(auto range, CheckRange(r, pe));
  if (range) {
    // The same value saved again keeps the comment that confirmed it.
    const bool confirmed =
        !in.comment.empty() || (existing && !existing->deleted && existing->value == r.value &&
                                !existing->comment.empty());
    if (!confirmed) return Conflict(range->Describe(), "comment");
    if (in.comment.empty()) w.comment = existing->comment;
    w.followup = true;
    if (out_of_range) *out_of_range = range;
  }
  return store_.WriteDataValues({&w, 1}, user, NowMillis());
}

Result<storage::WriteCounts> DataValueService::Delete(const Catalog& cat, const DataValueInput& in,
                                                      const std::string& user, int writer_level) {
  WJ_ASSIGN_OR_RETURN(ResolvedValue r, Resolve(cat, in, IdSchemes{}, true));
  WJ_ASSIGN_OR_RETURN(WriteGuard guard, approvals_.Guard(cat, writer_level));
  WJ_RETURN_IF_ERROR(guard.Check(*r.data_set, r.period, *r.org_unit, r.data_element));
  WJ_ASSIGN_OR_RETURN(auto pe, ExistingPeriodId(r.period));
  if (!pe) return NotFound("no value is stored for this element, period and unit");
  storage::DataValueWrite w;
  w.key = KeyOf(r, *pe);
  w.mode = storage::WriteMode::kDelete;
  WJ_ASSIGN_OR_RETURN(auto counts, store_.WriteDataValues({&w, 1}, user, NowMillis()));
  if (counts.deleted == 0) return NotFound("no value is stored for this element, period and unit");
  return counts;
}

Result<storage::DataValueRecord> DataValueService::Get(const Catalog& cat,
                                                       const DataValueInput& in) {
  WJ_ASSIGN_OR_RETURN(ResolvedValue r, Resolve(cat, in, IdSchemes{}, true));
  WJ_ASSIGN_OR_RETURN(auto pe, ExistingPeriodId(r.period));
  if (!pe) return NotFound("no value is stored for this element, period and unit");
  WJ_ASSIGN_OR_RETURN(auto v, store_.GetDataValue(KeyOf(r, *pe)));
  if (!v || v->deleted) return NotFound("no value is stored for this element, period and unit");
  return *v;
}

json DataValueJson(const Catalog& cat, const storage::DataValueRecord& v,
                   const std::string& period_id) {
  auto uid = [](const auto* r) { return r ? r->uid : std::string(); };
  json j = {{"dataElement", uid(cat.DataElements().ById(v.key.data_element_id))},
            {"period", period_id},
            {"orgUnit", uid(cat.OrgUnits().ById(v.key.org_unit_id))},
            {"categoryOptionCombo", uid(cat.CategoryOptionCombos().ById(v.key.coc_id))},
            {"attributeOptionCombo", uid(cat.CategoryOptionCombos().ById(v.key.aoc_id))},
            {"value", v.value},
            {"storedBy", v.stored_by},
            {"created", FormatTimestamp(v.created)},
            {"lastUpdated", FormatTimestamp(v.last_updated)},
            {"followup", v.followup}};
  if (!v.comment.empty()) j["comment"] = v.comment;
  if (v.deleted) j["deleted"] = true;
  if (!v.import_id.empty()) j["importId"] = v.import_id;  // provenance: which import wrote it
  return j;
}

Result<json> DataValueService::Form(const Catalog& cat, const std::string& data_set,
                                    const std::string& org_unit, const std::string& period,
                                    int writer_level) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  if (!ds) return NotFound("unknown data set " + data_set, "dataSet");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("unknown org unit " + org_unit, "orgUnit");
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "period");
  if (ds->period_type != PeriodTypeName(pe->type))
    return Conflict("period " + period + " is " + PeriodTypeName(pe->type) + ", but data set " +
                        ds->name + " is reported " + ds->period_type,
                    "period");
  if (!cat.IsAssigned(*ds, ou->id))
    return Conflict("org unit " + org_unit + " is not assigned data set " + ds->name, "orgUnit");

  json elements = json::array();
  int expected = 0;
  for (const auto& e : ds->elements) {
    const auto* de = cat.DataElements().ByUid(e.data_element_uid);
    if (!de) continue;
    const auto* combo = cat.ComboOf(*ds, *de);
    json cocs = json::array();
    for (const auto* coc : cat.CombosOf(combo ? combo->uid : metadata::kDefaultCategoryComboUid)) {
      cocs.push_back({{"id", coc->uid}, {"name", coc->name}});
      ++expected;
    }
    json ej = {
        {"id", de->uid},
        {"code", de->code},
        {"name", de->name},
        {"shortName", de->short_name},
        {"valueType", de->value_type},
        {"aggregationType", de->aggregation_type},
        {"categoryCombo", {{"id", combo ? combo->uid : ""}, {"name", combo ? combo->name : ""}}},
        {"categoryOptionCombos", cocs}};
    if (!de->description.empty()) ej["description"] = de->description;
    elements.push_back(std::move(ej));
  }

  json values = json::array();
  int entered = 0;
  json complete = nullptr;
  WJ_ASSIGN_OR_RETURN(auto period_id, ExistingPeriodId(*pe));
  if (period_id) {
    storage::DataValueFilter filter;
    filter.period_id = *period_id;
    filter.org_unit_id = ou->id;
    WJ_ASSIGN_OR_RETURN(auto rows, store_.ListDataValues(filter));
    for (const auto& v : rows) {
      const auto* de = cat.DataElements().ById(v.key.data_element_id);
      if (!de) continue;
      bool in_set = std::any_of(ds->elements.begin(), ds->elements.end(),
                                [&](const auto& e) { return e.data_element_uid == de->uid; });
      if (!in_set) continue;
      ++entered;
      values.push_back(DataValueJson(cat, v, pe->Id()));
    }
    const auto* aoc = cat.DefaultCoc();
    WJ_ASSIGN_OR_RETURN(auto reg,
                        store_.GetComplete(ds->id, *period_id, ou->id, aoc ? aoc->id : 0));
    if (reg)
      complete = {{"completedBy", reg->completed_by}, {"date", FormatTimestamp(reg->created)}};
  }
  // The locks, before the clerk types.
  WJ_ASSIGN_OR_RETURN(WriteGuard guard, approvals_.Guard(cat, writer_level));
  auto window = guard.PeriodWindow(*ds, *pe, *ou);
  json input = {{"open", window.open}};
  if (!window.opening_date.empty()) input["openingDate"] = window.opening_date;
  if (!window.closing_date.empty()) input["closingDate"] = window.closing_date;
  if (!window.reason.empty()) input["reason"] = window.reason;
  json locked = nullptr;
  if (Status lock = guard.Check(*ds, *pe, *ou, nullptr); !lock.ok())
    locked = {{"kind", lock.field()}, {"reason", lock.message()}};
  for (auto& ej : elements)
    if (const auto* de = cat.DataElements().ByUid(ej["id"].get<std::string>()))
      if (Status s = guard.Check(*ds, *pe, *ou, de); !s.ok() && s.field() == "dataElement") {
        ej["readOnly"] = true;
        ej["readOnlyReason"] = s.message();
      }
  json approval = nullptr;
  if (auto wf = WorkflowOf(cat, *ds)) {
    WJ_ASSIGN_OR_RETURN(auto snap, approvals_.Snapshot());
    Period wp = PeriodContaining(wf->period_type, pe->start);
    approval = {{"workflow", {{"id", wf->record->uid}, {"name", wf->record->name}}},
                {"period", wp.Id()},
                {"state", "UNAPPROVED"}};
    if (const auto* a = snap->Covering(cat, wf->record->uid, wp.Id(), ou->id)) {
      const auto* au = cat.OrgUnits().ById(a->org_unit_id);
      approval["state"] = a->accepted ? "ACCEPTED" : "APPROVED";
      approval["approvedBy"] = a->created_by;
      approval["approvedAt"] = FormatTimestamp(a->created);
      approval["approvedOrgUnit"] = au ? au->name : "";
    } else {
      std::int64_t completed_at = complete.is_null() ? 0 : 1;
      if (!complete.is_null() && period_id) {
        const auto* aoc = cat.DefaultCoc();
        WJ_ASSIGN_OR_RETURN(auto reg,
                            store_.GetComplete(ds->id, *period_id, ou->id, aoc ? aoc->id : 0));
        if (reg) completed_at = reg->created;
      }
      for (const auto* a : cat.AncestorsAndSelf(ou->id))
        if (const auto* r = snap->ReturnAt(wf->record->uid, wp.Id(), a->id);
            r && r->created > completed_at) {
          approval["state"] = "RETURNED";
          approval["returned"] = {
              {"reason", r->reason}, {"by", r->created_by}, {"at", FormatTimestamp(r->created)}};
        }
    }
  }
  return json{
      {"inputPeriod", input},
      {"locked", locked},
      {"approval", approval},
      {"dataSet",
       {{"id", ds->uid}, {"code", ds->code}, {"name", ds->name}, {"periodType", ds->period_type}}},
      {"period",
       {{"id", pe->Id()},
        {"startDate", FormatIsoDate(pe->start)},
        {"endDate", FormatIsoDate(pe->end)}}},
      {"orgUnit", {{"id", ou->uid}, {"code", ou->code}, {"name", ou->name}, {"level", ou->level}}},
      {"dataElements", elements},
      {"dataValues", values},
      {"completeness",
       {{"expected", expected},
        {"entered", entered},
        {"percent", expected ? 100.0 * entered / expected : 0.0}}},
      {"complete", complete},
  };
}

Status DataValueService::CheckCompletable(const Catalog& cat, const std::string& data_set,
                                          const std::string& org_unit, const std::string& period) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  if (!ds) return NotFound("unknown data set " + data_set, "dataSet");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("unknown org unit " + org_unit, "orgUnit");
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "period");
  if (ds->period_type != PeriodTypeName(pe->type))
    return Conflict("period " + period + " does not match data set " + ds->name, "period");
  WJ_ASSIGN_OR_RETURN(WriteGuard guard, approvals_.Guard(cat));
  return guard.Check(*ds, *pe, *ou, nullptr);
}

Status DataValueService::SetComplete(const Catalog& cat, const std::string& data_set,
                                     const std::string& org_unit, const std::string& period,
                                     bool complete, const std::string& user) {
  WJ_RETURN_IF_ERROR(CheckCompletable(cat, data_set, org_unit, period));
  // Known to resolve: CheckCompletable resolved them.
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  auto pe = ParsePeriod(period);
  if (!ds || !ou || !pe.ok()) return Internal("a checked form no longer resolves");
  if (!cat.IsAssigned(*ds, ou->id))
    return Conflict("org unit " + org_unit + " is not assigned data set " + ds->name, "orgUnit");
  WJ_ASSIGN_OR_RETURN(std::int64_t pid, PeriodId(*pe));
  const auto* aoc = cat.DefaultCoc();
  return store_.SetComplete({ds->id, pid, ou->id, aoc ? aoc->id : 0, user, NowMillis()}, complete);
}

}  // namespace weijian::exchange
