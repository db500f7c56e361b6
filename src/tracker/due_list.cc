// The due list (应种名单) of a 接种日: which children of a 接种单位 (and of each village) are to
// come, and for which doses.
//
// A child is on the list for a window [from, to] when, in his forecast on `from`, a dose is due
// (应种) or overdue (逾期/漏种: past the timely age, still within the catch-up age, so 补种), or is
// not yet due on `from` but becomes due by `to`. Held doses (禁忌/暂缓) and doses past the
// catch-up age are not listed. Only active records count: a child transferred out leaves his
// unit's list, a child moved to another unit appears on the new unit's list.
//
// Scope and masking as ImmunizationService::List: the unit must be readable; names and phones
// are masked per child unless the caller may unmask that child's unit, and a list with any
// unmasked child is one PERSONAL_DATA audit row.
//
// Workload: one township's 接种日 reads a few thousand records and their doses in two queries
// per unit and runs one forecast per child (microseconds each).
#include <map>

#include "tracker/immunization.h"
#include "tracker/schedule.h"

namespace weijian::tracker {

using nlohmann::json;

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
  WJ_ASSIGN_OR_RETURN(auto records, store_.ListTrackedEntities(units));
  WJ_ASSIGN_OR_RETURN(auto doses_of, RecordedDosesManagedBy(store_, units));

  const ScheduleEdition& edition = EditionInForce(q.from);
  auto day = [](const std::optional<Date>& d) { return d ? json(FormatIsoDate(*d)) : json(); };
  struct Listed {
    std::string village_name, birth;
    json row;
  };
  std::vector<Listed> listed;
  std::map<std::string, int> by_vaccine;
  int due_doses = 0, overdue_doses = 0, unmasked_count = 0;
  for (auto& r : records) {
    if (r.status != "ACTIVE") continue;
    if (village && !tree.IsInSubtree(r.village_id ? r.village_id : r.org_unit_id, village->id))
      continue;
    auto birth = ParseIsoDate(r.birth_date);
    if (!birth.ok()) continue;
    json doses = json::array();
    for (const DoseForecast& f : tracker::Forecast(edition, *birth, doses_of[r.id], {}, q.from)) {
      bool overdue = f.state == DoseState::kOverdue;
      bool due = f.state == DoseState::kDue ||
                 (f.state == DoseState::kNotYet && f.earliest && *f.earliest <= q.to &&
                  (!f.catch_up_until || *f.earliest <= *f.catch_up_until));
      // Judged on `from`: a dose due then stays 应种 even if its timely age ends in the window.
      if ((q.kind == "due" && !due) || (q.kind == "overdue" && !overdue) || (!due && !overdue))
        continue;
      const Vaccine* v = FindVaccine(f.vaccine);
      doses.push_back({{"vaccine", f.vaccine},
                       {"vaccineName", v ? v->name : f.vaccine},
                       {"series", f.series},
                       {"dose", f.dose},
                       {"state", overdue ? "OVERDUE" : "DUE"},
                       {"stateName", overdue ? "逾期（补种）" : "应种"},
                       {"earliestDate", day(f.earliest)},
                       {"recommendedDate", day(f.recommended)},
                       {"latestDate", day(f.latest)},
                       {"catchUpUntil", day(f.catch_up_until)}});
      ++by_vaccine[f.vaccine];
      (overdue ? overdue_doses : due_doses) += 1;
    }
    if (doses.empty()) continue;
    WJ_ASSIGN_OR_RETURN(Person p, Unseal(*vault, std::move(r)));
    const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
    unmasked_count += unmasked;
    json row = View(cat, p, unmasked);
    row.erase("idNumber");
    row.erase("birthCertificate");
    row.erase("address");
    row["doses"] = std::move(doses);
    const auto* v = p.record.village_id ? cat.OrgUnits().ById(p.record.village_id) : nullptr;
    listed.push_back({v ? v->name : std::string(), p.record.birth_date, std::move(row)});
  }
  // Village by village (children without one last), the oldest first within a village.
  std::stable_sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
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
  for (auto& l : listed) children.push_back(std::move(l.row));
  json vaccines = json::object();
  for (const auto& [code, n] : by_vaccine) vaccines[code] = n;
  return json{{"orgUnit", {{"id", unit->uid}, {"name", unit->name}}},
              {"village", village ? json{{"id", village->uid}, {"name", village->name}} : json()},
              {"from", FormatIsoDate(q.from)},
              {"to", FormatIsoDate(q.to)},
              {"kind", q.kind},
              {"schedule", {{"code", edition.code}, {"name", edition.name}}},
              {"summary",
               {{"children", children.size()},
                {"dueDoses", due_doses},
                {"overdueDoses", overdue_doses},
                {"byVaccine", vaccines}}},
              {"children", children}};
}

}  // namespace weijian::tracker
