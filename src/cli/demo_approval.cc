#include "cli/demo_approval.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/date.h"
#include "core/period.h"
#include "core/uid.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"

namespace weijian::cli {

namespace {

using nlohmann::json;

// Millis of local midnight (UTC+8) of a day, plus hours.
std::int64_t At(Date d, int hours) {
  return (d.time_since_epoch().count() * 24LL + hours - 8) * 3'600'000LL;
}

// 2025 onwards: each 2024 value carried to the same month (or year), grown 3% a year; in the
// last month only some units have reported so far.
Status CarryData(storage::Store& store, const metadata::Catalog& cat, const Period& last,
                 const std::set<std::int64_t>& late_units) {
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::map<std::int64_t, Period> source;  // 2024 period id → period
  for (const auto& p : periods)
    if (auto parsed = ParsePeriod(p.iso);
        parsed.ok() && YearOf(parsed->start) == 2024 &&
        (parsed->type == PeriodType::kMonthly || parsed->type == PeriodType::kYearly))
      source.emplace(p.id, *parsed);
  std::vector<storage::DataValueRecord> base;
  WJ_RETURN_IF_ERROR(store.ScanDataValues([&](const storage::DataValueRecord& v) {
    if (source.count(v.key.period_id)) base.push_back(v);
    return Status::Ok();
  }));
  std::vector<storage::DataValueWrite> batch;
  for (int y = 2025; y <= YearOf(last.start); ++y) {
    const double growth = 1.0 + 0.03 * (y - 2024);
    std::map<std::int64_t, std::int64_t> target;  // 2024 period id → its twin in year y
    for (const auto& [id, p] : source) {
      Period twin = p.type == PeriodType::kYearly
                        ? *ParsePeriod(std::to_string(y))
                        : PeriodContaining(PeriodType::kMonthly, MakeDate(y, MonthOf(p.start), 1));
      if (twin.start > last.start && twin.type == PeriodType::kMonthly) continue;
      WJ_ASSIGN_OR_RETURN(auto tid,
                          store.EnsurePeriod({0, twin.Id(), PeriodTypeName(twin.type),
                                              FormatIsoDate(twin.start), FormatIsoDate(twin.end)}));
      if (twin == last)
        target[id] = -tid;  // negative: only units that have reported
      else
        target[id] = tid;
    }
    for (const auto& v : base) {
      auto t = target.find(v.key.period_id);
      if (t == target.end()) continue;
      if (t->second < 0 && late_units.count(v.key.org_unit_id)) continue;
      storage::DataValueWrite w;
      w.key = v.key;
      w.key.period_id = t->second < 0 ? -t->second : t->second;
      const auto* de = cat.DataElements().ById(v.key.data_element_id);
      char* end = nullptr;
      double x = std::strtod(v.value.c_str(), &end);
      // Counts grow; stocks of 0/1 (村卫生室达标) and non-numbers are carried as they are.
      w.value =
          (end && *end == 0 && de && x > 1) ? std::to_string(std::llround(x * growth)) : v.value;
      batch.push_back(std::move(w));
      if (batch.size() >= 50000) {
        WJ_RETURN_IF_ERROR(store.WriteDataValues(batch, "demo", NowMillis()).status());
        batch.clear();
      }
    }
  }
  if (!batch.empty())
    WJ_RETURN_IF_ERROR(store.WriteDataValues(batch, "demo", NowMillis()).status());
  return Status::Ok();
}

}  // namespace

Status BuildDemoApproval(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  json bundle = {
      {"dataApprovalLevels",
       {{{"code", "DAL_CITY"}, {"name", "市级"}, {"orgUnitLevel", 2}},
        {{"code", "DAL_COUNTY"}, {"name", "旗/区级"}, {"orgUnitLevel", 3}},
        {{"code", "DAL_TOWNSHIP"}, {"name", "乡镇级"}, {"orgUnitLevel", 4}}}},
      {"dataApprovalWorkflows",
       {{{"code", "WF_MONTHLY"},
         {"name", "月报逐级审核"},
         {"periodType", "Monthly"},
         {"dataApprovalLevels",
          {{{"code", "DAL_CITY"}}, {{"code", "DAL_COUNTY"}}, {{"code", "DAL_TOWNSHIP"}}}},
         {"dataSets", {{{"code", "DS_TOWNSHIP_MONTHLY"}}}}}}}};
  WJ_RETURN_IF_ERROR(metadata::ImportMetadata(bundle, *cat, store).status());
  // Township targets are set by the 旗/区 (org unit level 3); townships read them.
  storage::ControlRecords targets;
  for (const char* code : {"TC_TARGET", "PS_TARGET", "CRC_TARGET", "HPV_TARGET", "PMC_TARGET"})
    if (const auto* de = cat->DataElements().ByCode(code))
      targets.data_elements.push_back({de->uid, 3});
  WJ_RETURN_IF_ERROR(store.SaveControls(targets));
  WJ_ASSIGN_OR_RETURN(cat, metadata::Catalog::Load(store));

  const auto* ds = cat->DataSets().ByCode("DS_TOWNSHIP_MONTHLY");
  const auto& ctl = cat->controls();
  if (!ds || ctl.workflows.empty() || ctl.levels.size() < 3)
    return Internal("the demo workflow did not import");
  std::map<int, std::string> level_uid;
  for (const auto& l : ctl.levels) level_uid[l.org_unit_level] = l.uid;
  const std::string wf = ctl.workflows.front().uid;

  const Date today = Today();
  const Period last = PeriodContaining(PeriodType::kMonthly, today).Previous();
  // The health centres, their townships and counties.
  std::vector<const storage::OrgUnitRecord*> centres;
  for (const auto& uid : ds->org_unit_uids)
    if (const auto* u = cat->OrgUnits().ByUid(uid)) centres.push_back(u);
  std::set<std::int64_t> not_yet;  // centres that have not reported the last month yet
  for (const auto* c : centres)
    if (c->id % 5 < 2) not_yet.insert(c->id);
  WJ_RETURN_IF_ERROR(CarryData(store, *cat, last, not_yet));

  // The demo clerk's township: its form of the month before last comes back with a reason.
  WJ_ASSIGN_OR_RETURN(auto clerk, store.FindUser("township_clerk"));
  std::int64_t clerk_township =
      clerk && !clerk->capture_org_unit_ids.empty() ? clerk->capture_org_unit_ids.front() : 0;
  const Period returned_month = last.Previous();

  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::map<std::string, std::int64_t> period_id;
  for (const auto& p : periods) period_id[p.iso] = p.id;
  const auto* aoc = cat->DefaultCoc();
  storage::ApprovalChange change;
  // Every submission in one transaction (then the approvals, the return and its message in one
  // more): a few thousand single-row transactions made the demo build slow.
  std::vector<storage::CompleteRegistrationRecord> completions;
  const auto* city = cat->OrgUnits().ByCode("1506");
  for (Period p = *ParsePeriod("202501"); p.start <= last.start; p = p.Next()) {
    int months_back = 0;
    for (Period q = p; q.start < last.start; q = q.Next()) ++months_back;
    std::set<std::int64_t> townships, counties;
    for (const auto* c : centres) {
      if (p == last && not_yet.count(c->id)) continue;
      const auto* township = cat->OrgUnits().ById(c->parent_id);
      const bool returned = p == returned_month && township && township->id == clerk_township;
      // Submitted 2–15 days after the month ends: the timely limit is 10 days, so some are late.
      const int delay = 2 + static_cast<int>((c->id * 7 + MonthOf(p.start) * 3) % 14);
      completions.push_back({ds->id, period_id.at(p.Id()), c->id, aoc->id, "demo",
                             At(p.end + std::chrono::days(delay), 10)});
      if (returned) {
        change.uncomplete.push_back({ds->id, period_id.at(p.Id()), c->id, aoc->id, "", 0});
        change.returns.push_back({wf, p.Id(), township->id,
                                  "产后访视人数比上月少了一半，请核对产后访视登记后重新上报",
                                  "etuoke_officer", At(p.end + std::chrono::days(18), 15)});
        if (clerk) {
          storage::MessageRecord m;
          m.uid = RandomUid();
          m.subject = "退回：" + township->name + p.Id() + "报表";
          m.text = "etuoke_officer 退回了" + township->name + "的" + ds->name + "（" + p.Id() +
                   "）。原因：产后访视人数比上月少了一半，请核对产后访视登记后重新上报。";
          m.sender = "etuoke_officer";
          m.recipient_user_id = clerk->id;
          m.created = At(p.end + std::chrono::days(18), 15);
          change.messages.push_back(std::move(m));
        }
      }
      if (township) townships.insert(township->id);
    }
    if (months_back < 2) continue;  // the last two months: submitted, not yet approved
    const std::int64_t approved_at = At(p.end + std::chrono::days(20), 16);
    for (auto t : townships) {
      const auto* unit = cat->OrgUnits().ById(t);
      change.put.push_back(
          {wf, p.Id(), t, level_uid[4], false,
           unit && unit->code.starts_with("150624") ? "etuoke_officer" : "旗区审核员", approved_at,
           ""});
      if (unit) counties.insert(unit->parent_id);
    }
    if (months_back < 3) continue;  // the month before: townships approved, counties not yet
    for (auto c : counties) {
      const auto* unit = cat->OrgUnits().ById(c);
      change.put.push_back({wf, p.Id(), c, level_uid[3], false,
                            unit && unit->code == "150624" ? "etuoke_officer" : "旗区审核员",
                            approved_at + 86'400'000LL, ""});
    }
    // Past years are approved by the city too.
    if (city && YearOf(p.start) < YearOf(last.start))
      change.put.push_back({wf, p.Id(), city->id, level_uid[2], false, "city_admin",
                            approved_at + 2 * 86'400'000LL, ""});
  }
  storage::AuditRecord audit;
  audit.type = "DATA_APPROVAL";
  audit.username = "demo";
  audit.object = wf;
  audit.detail = "demo: " + std::to_string(change.put.size()) + " approvals, " +
                 std::to_string(change.returns.size()) + " return";
  audit.created = NowMillis();
  change.audits.push_back(audit);
  WJ_RETURN_IF_ERROR(store.SetCompleteMany(completions));
  return store.ApplyApprovalChange(change);
}

}  // namespace weijian::cli
