// The due list (应种名单) of a 接种日: which children of a 接种单位 (and of each village) are to
// come, and for which doses.
//
// A child is on the list for a window [from, to] when, in his forecast on `from`, a dose is due
// (应种) or overdue (逾期/漏种: past the timely age, still within the catch-up age, so 补种), or is
// not yet due on `from` but becomes due by `to`. Doses past the catch-up age are not listed;
// held doses (禁忌/暂缓) that would otherwise be due are shown apart ("held", not counted; a child
// with held doses only is listed too), and a deferral that ends within the window makes its dose
// due from the day after. Only active records count: a child transferred out leaves his
// unit's list, a child moved to another unit appears on the new unit's list.
//
// Scope and masking as ImmunizationService::List: the unit must be readable; names and phones
// are masked per child unless the caller may unmask that child's unit, and a list with any
// unmasked child is one PERSONAL_DATA audit row.
//
// The due index. Reading every child of a township and running his forecast costs in proportion
// to the township, most of whom are not due on any one day. So the store keeps, per child, a due
// index (DueIndexOf below; storage::DueIndexRecord): `next`, the first day one of his open doses
// can be given; `until`, the last day one of them can still be caught up; `basis`, the later of
// his birth and his last dose. A list of [from, to] reads only the children with next <= to and
// until >= from, or basis > from (a window before the last dose: the forecast on `from` does not
// see it, so the index says nothing), and then decides each of them exactly as before.
//
// Why that loses nobody. A row listed for [from, to] is an open dose (never a given one) whose
// earliest day is <= to (DUE and OVERDUE rows have earliest <= from; NOT_YET and held rows need it
// by `to`) and <= its last catch-up day, with from <= that catch-up day (past it the dose is
// 超龄不补, and held rows past it are not shown either). For from >= basis the forecast sees every
// dose, so its given and open rows are the same for every such `from`, except where the schedule
// itself changes with the date: the edition in force, and a catch-up in place of another series
// (MPSV-AC from 24 months). Between two such days an open row's earliest day can only grow with
// `from` (it waits for max(previous open dose, from), and for live vaccines given before `from`).
// So DueIndexOf runs the forecast on `basis` and on each such day after it, and takes the least
// earliest day and the greatest catch-up day over the open rows that can still be caught up:
// every row ever listed from `basis` on is among them. Holds only change a row's state, never its
// earliest day, so holds, like transfers and status (checked on the records read), do not move
// the index; only doses and the birth date do, and the store recomputes it on each such write.
//
// Workload: a township's 接种日 reads the children due in the window (an index range per unit),
// their doses and holds (one indexed read per child), runs one forecast per child (microseconds)
// and unseals those listed.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/period.h"
#include "tracker/immunization.h"
#include "tracker/schedule.h"

namespace weijian::tracker {

using nlohmann::json;

namespace {

enum class WindowKind { kNone, kDue, kOverdue, kHeld };

// How a forecast row (on `from`) counts for the window [from, to]: 应种 (due on `from`, or
// becoming due by `to`), 逾期 (past its timely age, still to be caught up), held (禁忌/暂缓 a dose
// that would otherwise be due in the window), or not at all. A deferral that ends within the
// window counts as due (or overdue) from the day after it ends.
WindowKind ClassifyForWindow(const DoseForecast& f, const std::vector<Hold>& holds, Date from,
                             Date to) {
  auto within_catch_up = [&](Date d) { return !f.catch_up_until || d <= *f.catch_up_until; };
  switch (f.state) {
    case DoseState::kOverdue:
      return WindowKind::kOverdue;
    case DoseState::kDue:
      return WindowKind::kDue;
    case DoseState::kNotYet:
      return f.earliest && *f.earliest <= to && within_catch_up(*f.earliest) ? WindowKind::kDue
                                                                             : WindowKind::kNone;
    case DoseState::kContraindicated:
    case DoseState::kDeferred: {
      // A held dose past its catch-up age would not be given anyway (超龄不补): not shown.
      if (!f.earliest || *f.earliest > to || !within_catch_up(*f.earliest) ||
          !within_catch_up(from))
        return WindowKind::kNone;
      // The latest end of the holds covering this vaccine on `from` (open-ended: never).
      std::optional<Date> ends = from;
      for (const Hold& h : holds) {
        if ((h.vaccine != "*" && h.vaccine != f.vaccine) || h.from > from ||
            (h.until && *h.until < from))
          continue;
        if (!h.until) {
          ends.reset();
          break;
        }
        ends = std::max(*ends, *h.until);
      }
      if (!ends) return WindowKind::kHeld;
      const Date becomes = std::max(*f.earliest, *ends + std::chrono::days(1));
      if (becomes > to || !within_catch_up(becomes)) return WindowKind::kHeld;
      return f.latest && becomes > *f.latest ? WindowKind::kOverdue : WindowKind::kDue;
    }
    default:
      return WindowKind::kNone;
  }
}

}  // namespace

storage::DueIndexRecord DueIndexOf(Date birth, const std::vector<RecordedDose>& doses) {
  Date basis = birth;
  for (const RecordedDose& d : doses) basis = std::max(basis, d.date);
  // The days from which the schedule may change for this child: `basis`, then each edition's
  // start and each catch-up-instead day after it.
  std::vector<Date> days = {basis};
  for (const ScheduleEdition& e : ScheduleEditions()) {
    if (e.in_force_from > basis) days.push_back(e.in_force_from);
    for (const DoseRule& r : e.doses) {
      if (r.instead_of.empty()) continue;
      const Date instead = AddSpan(birth, r.instead_from);
      if (instead > basis && std::find(days.begin(), days.end(), instead) == days.end())
        days.push_back(instead);
    }
  }
  std::optional<Date> next, until;
  for (Date day : days) {
    for (const DoseForecast& f : tracker::Forecast(EditionInForce(day), birth, doses, {}, day)) {
      if (f.given || !f.earliest || !f.catch_up_until || *f.earliest > *f.catch_up_until) continue;
      if (!next || *f.earliest < *next) next = *f.earliest;
      if (!until || *f.catch_up_until > *until) until = *f.catch_up_until;
    }
  }
  storage::DueIndexRecord ix;
  ix.basis = FormatIsoDate(basis);
  ix.next = next ? FormatIsoDate(*next) : "9999-12-31";
  ix.until = until ? FormatIsoDate(*until) : "";
  return ix;
}

void InstallDueIndexer(storage::Store& store) {
  store.SetDueIndexer([](const std::string& birth_date, std::span<const storage::DoseDay> days) {
    auto birth = ParseIsoDate(birth_date);
    if (!birth.ok()) return storage::DueIndexRecord{};  // not known: always read
    std::vector<RecordedDose> doses;
    doses.reserve(days.size());
    for (const auto& d : days) {
      auto day = ParseIsoDate(d.given_on);
      if (!day.ok()) return storage::DueIndexRecord{};
      doses.push_back({d.vaccine, *day});
    }
    return DueIndexOf(*birth, doses);
  });
}

namespace {

// What a due list decides on: the active children that may be listed, their doses and holds.
struct DueInputs {
  std::vector<storage::TrackedEntityRecord> records;
  std::unordered_map<std::int64_t, std::vector<RecordedDose>> doses_of;
  std::unordered_map<std::int64_t, std::vector<Hold>> holds_of;
};

Result<DueInputs> ReadDueInputs(storage::Store& store, std::span<const std::int64_t> units,
                                Date from, Date to, bool use_index) {
  DueInputs in;
  std::vector<storage::DoseDay> doses;
  std::vector<storage::ImmunizationHoldRecord> holds;
  if (use_index) {
    WJ_ASSIGN_OR_RETURN(in.records,
                        store.ListDueCandidates(units, FormatIsoDate(from), FormatIsoDate(to)));
    std::vector<std::int64_t> ids;
    ids.reserve(in.records.size());
    for (const auto& r : in.records) ids.push_back(r.id);
    WJ_ASSIGN_OR_RETURN(doses, store.ListDoseDaysOf(ids));
    WJ_ASSIGN_OR_RETURN(holds, store.ListImmunizationHoldsOf(ids));
  } else {
    WJ_ASSIGN_OR_RETURN(in.records, store.ListTrackedEntities(units));
    std::erase_if(in.records, [](const auto& r) { return r.status != "ACTIVE"; });
    WJ_ASSIGN_OR_RETURN(auto all, store.ListImmunizationDosesManagedBy(units));
    doses.reserve(all.size());
    for (auto& d : all)
      doses.push_back({d.tracked_entity_id, std::move(d.vaccine), std::move(d.given_on)});
    WJ_ASSIGN_OR_RETURN(holds, store.ListImmunizationHoldsManagedBy(units));
  }
  in.doses_of.reserve(in.records.size());
  for (auto& d : doses)
    if (auto day = ParseIsoDate(d.given_on); day.ok())
      in.doses_of[d.tracked_entity_id].push_back({std::move(d.vaccine), *day});
  for (const auto& h : holds) in.holds_of[h.tracked_entity_id].push_back(HoldFromRecord(h));
  return in;
}

const std::vector<RecordedDose> kNoDoses;
const std::vector<Hold> kNoHolds;

template <class Map, class Value>
const Value& Of(const Map& map, std::int64_t id, const Value& none) {
  auto it = map.find(id);
  return it == map.end() ? none : it->second;
}

}  // namespace

Result<std::map<std::string, int>> DueDosesByVaccine(storage::Store& store,
                                                     std::span<const std::int64_t> units, Date from,
                                                     Date to) {
  WJ_ASSIGN_OR_RETURN(DueInputs in, ReadDueInputs(store, units, from, to, true));
  const ScheduleEdition& edition = EditionInForce(from);
  std::map<std::string, int> by_vaccine;
  for (const auto& r : in.records) {
    auto birth = ParseIsoDate(r.birth_date);
    if (!birth.ok()) continue;
    const auto& holds = Of(in.holds_of, r.id, kNoHolds);
    for (const DoseForecast& f :
         tracker::Forecast(edition, *birth, Of(in.doses_of, r.id, kNoDoses), holds, from)) {
      const WindowKind k = ClassifyForWindow(f, holds, from, to);
      if (k == WindowKind::kDue || k == WindowKind::kOverdue) ++by_vaccine[f.vaccine];
    }
  }
  return by_vaccine;
}

Result<json> ImmunizationService::DueList(const auth::Principal& who, const metadata::Catalog& cat,
                                          const DueListQuery& q, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  if (q.org_unit.empty()) return Conflict("请指定接种单位 ou", "ou");
  const auto* unit = cat.OrgUnits().ByUidOrCode(q.org_unit);
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + q.org_unit + " 不在您负责的范围内");
  const storage::OrgUnitRecord* village = nullptr;
  if (!q.village.empty()) {
    village = cat.OrgUnits().ByUidOrCode(q.village);
    if (!village) return Conflict("没有村（单位）" + q.village, "village");
    if (!cat.tree().IsInSubtree(village->id, ServedArea(*unit)) &&
        !cat.tree().IsInSubtree(unit->id, village->id))
      return Conflict("村 " + village->name + " 不在 " + unit->name + " 的辖区内", "village");
  }
  if (q.to < q.from) return Conflict("截止日期早于开始日期", "to");
  if ((q.to - q.from).count() > 92) return Conflict("时间段最长 93 天", "to");
  if (q.kind != "all" && q.kind != "due" && q.kind != "overdue")
    return Conflict("kind 应为 due（应种）、overdue（逾期/漏种）或 all", "kind");

  const auto& tree = cat.tree();
  const auto units = tree.SubtreeIds(unit->id);
  WJ_ASSIGN_OR_RETURN(DueInputs in, ReadDueInputs(store_, units, q.from, q.to, q.use_index));

  const ScheduleEdition& edition = EditionInForce(q.from);
  auto day = [](const std::optional<Date>& d) { return d ? json(FormatIsoDate(*d)) : json(); };
  struct Listed {
    std::string village_name, birth;
    json row;
  };
  std::vector<Listed> listed;
  std::map<std::string, int> by_vaccine;
  int due_doses = 0, overdue_doses = 0, held_doses = 0, unmasked_count = 0;
  for (auto& r : in.records) {
    if (village && !tree.IsInSubtree(r.village_id ? r.village_id : r.org_unit_id, village->id))
      continue;
    auto birth = ParseIsoDate(r.birth_date);
    if (!birth.ok()) continue;
    json doses = json::array(), held = json::array();
    const auto& holds = Of(in.holds_of, r.id, kNoHolds);
    for (const DoseForecast& f :
         tracker::Forecast(edition, *birth, Of(in.doses_of, r.id, kNoDoses), holds, q.from)) {
      // Judged on `from`: a dose due then stays 应种 even if its timely age ends in the window.
      const WindowKind k = ClassifyForWindow(f, holds, q.from, q.to);
      const bool overdue = k == WindowKind::kOverdue, due = k == WindowKind::kDue;
      const Vaccine* v = FindVaccine(f.vaccine);
      if (k == WindowKind::kHeld && q.kind == "all") {
        // Shown, not counted: the vaccinator sees why the child is not called for this dose.
        json row = ForecastRowJson(f);
        row["reason"] = f.reason;
        held.push_back(std::move(row));
        ++held_doses;
        continue;
      }
      if ((q.kind == "due" && !due) || (q.kind == "overdue" && !overdue) || (!due && !overdue))
        continue;
      json row = {{"vaccine", f.vaccine},
                  {"vaccineName", v ? v->name : f.vaccine},
                  {"series", f.series},
                  {"dose", f.dose},
                  {"state", overdue ? "OVERDUE" : "DUE"},
                  {"stateName", overdue ? "逾期（补种）" : "应种"},
                  {"earliestDate", day(f.earliest)},
                  {"recommendedDate", day(f.recommended)},
                  {"latestDate", day(f.latest)},
                  {"catchUpUntil", day(f.catch_up_until)}};
      if (!f.reason.empty()) row["reason"] = f.reason;  // a deferral ending in the window
      doses.push_back(std::move(row));
      ++by_vaccine[f.vaccine];
      (overdue ? overdue_doses : due_doses) += 1;
    }
    if (doses.empty() && held.empty()) continue;
    WJ_ASSIGN_OR_RETURN(Person p, Unseal(*vault, std::move(r)));
    const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
    unmasked_count += unmasked;
    json row = View(cat, p, unmasked);
    row.erase("idNumber");
    row.erase("birthCertificate");
    row.erase("address");
    row["doses"] = std::move(doses);
    row["held"] = std::move(held);
    const auto* v = p.record.village_id ? cat.OrgUnits().ById(p.record.village_id) : nullptr;
    listed.push_back({v ? v->name : std::string(), p.record.birth_date, std::move(row)});
  }
  // Village by village (children without one last), the oldest first within a village.
  // (Sorted by place: moving the rows themselves costs more than comparing them.)
  std::vector<std::size_t> order(listed.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    const Listed &a = listed[i], &b = listed[j];
    if (a.village_name.empty() != b.village_name.empty()) return b.village_name.empty();
    if (a.village_name != b.village_name) return a.village_name < b.village_name;
    return a.birth < b.birth;
  });
  WJ_RETURN_IF_ERROR(AuditUnmaskedList(who, *unit, "dueList",
                                       "查看未脱敏的应种名单（" + std::to_string(unmasked_count) +
                                           " 人，" + FormatIsoDate(q.from) + " 至 " +
                                           FormatIsoDate(q.to) + "）",
                                       unmasked_count, now));
  json children = json::array();
  children.get_ref<json::array_t&>().reserve(listed.size());
  for (std::size_t i : order) children.push_back(std::move(listed[i].row));
  json vaccines = json::object();
  for (const auto& [code, n] : by_vaccine) vaccines[code] = n;
  const std::size_t count = children.size();
  // The children are moved in last: an initializer list would copy them, all of them.
  json out = {{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
              {"village", village ? json{{"id", village->uid}, {"name", village->name}} : json()},
              {"from", FormatIsoDate(q.from)},
              {"to", FormatIsoDate(q.to)},
              {"kind", q.kind},
              {"schedule", {{"code", edition.code}, {"name", edition.name}}},
              {"summary",
               {{"children", count},
                {"dueDoses", due_doses},
                {"overdueDoses", overdue_doses},
                {"heldDoses", held_doses},
                {"byVaccine", std::move(vaccines)}}}};
  out["children"] = std::move(children);
  return out;
}

// The aggregate 免疫规划 form's vaccine groups (疫苗种类 of 免疫规划疫苗接种剂次): the category
// option each catalogue vaccine is counted under; vaccines outside the program are not counted.
namespace {
const char* AggregateVaccineOption(const std::string& vaccine) {
  static const std::map<std::string, const char*> kGroups = {
      {"HepB", "VAC_HEPB"},   {"BCG", "VAC_BCG"},      {"IPV", "VAC_POLIO"},
      {"bOPV", "VAC_POLIO"},  {"DTaP", "VAC_DTAP"},    {"DT", "VAC_DTAP"},
      {"MMR", "VAC_MMR"},     {"JE-L", "VAC_JE"},      {"JE-I", "VAC_JE"},
      {"MPSV-A", "VAC_MENA"}, {"MPSV-AC", "VAC_MENA"}, {"HepA-L", "VAC_HEPA"},
      {"HepA-I", "VAC_HEPA"}};
  auto it = kGroups.find(vaccine);
  return it == kGroups.end() ? nullptr : it->second;
}
}  // namespace

Result<json> ImmunizationService::MonthlyDoses(const auth::Principal& who,
                                               const metadata::Catalog& cat,
                                               const std::string& org_unit,
                                               const std::string& month) {
  if (org_unit.empty()) return Conflict("请指定单位 ou", "ou");
  const auto* unit = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!unit || !auth::CanRead(who, cat, unit->id))
    return PermissionDenied("单位 " + org_unit + " 不在您负责的范围内");
  auto period = ParsePeriod(month);
  if (!period.ok() || period->type != PeriodType::kMonthly)
    return Conflict("期间应为月份，如 202412", "pe");
  const auto* element = cat.DataElements().ByCode("EPI_DOSES");
  if (!element) return NotFound("没有数据元 免疫规划疫苗接种剂次（EPI_DOSES）");
  // The option combo of each vaccine group in the element's disaggregation.
  std::map<std::string, const storage::CategoryOptionComboRecord*> combo_of;
  for (const auto* coc : cat.CombosOf(element->combo_uid))
    for (const auto& option_uid : coc->option_uids)
      if (const auto* o = cat.CategoryOptions().ByUid(option_uid)) combo_of[o->code] = coc;
  // Counted where each dose was given (the form of the unit that gave it), not where the child is
  // managed now: a child moved away after July still counts in July's form of the unit that
  // vaccinated him, and the townships' forms add up to the county's.
  const auto units = cat.tree().SubtreeIds(unit->id);
  WJ_ASSIGN_OR_RETURN(auto given,
                      store_.CountImmunizationDosesGiven(units, FormatIsoDate(period->start),
                                                         FormatIsoDate(period->end)));
  std::map<std::string, std::int64_t> counts;  // option code → doses
  for (const auto& [vaccine, n] : given)
    if (const char* option = AggregateVaccineOption(vaccine)) counts[option] += n;
  json values = json::array();
  for (const auto& [option, coc] : combo_of) {
    const std::int64_t n = counts.count(option) ? counts.at(option) : 0;
    values.push_back({{"dataElement", element->uid},
                      {"categoryOptionCombo", coc->uid},
                      {"categoryOption", option},
                      {"name", coc->name},
                      {"value", n}});
  }
  return json{{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
              {"period", period->Id()},
              {"dataElement", element->uid},
              {"dataValues", values}};
}

}  // namespace weijian::tracker
