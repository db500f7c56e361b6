// Immunization coverage facts from the records: see coverage.h.
#include "tracker/coverage.h"

#include <algorithm>

#include "tracker/immunization.h"

namespace weijian::tracker {

namespace {

constexpr const char* kCoverageUid = "ImmCoverage";
constexpr const char* kTimelyUid = "ImmTimelyRt";
constexpr const char* kFullCourseUid = "ImmFullCrse";
constexpr const char* kCardUid = "ImmCardRate";

analytics::ProgramIndicatorData::Indicator& SlotOf(analytics::ProgramIndicatorData& out,
                                                   const char* uid) {
  auto& slot = out.by_uid[uid];
  if (slot.uid.empty()) {
    for (const auto& c : CoverageIndicators())
      if (c.uid == uid) {
        slot.uid = c.uid;
        slot.code = c.code;
        slot.name = c.name;
      }
  }
  return slot;
}

// The day (China time) of a record's creation: its 建卡 day.
Date CreationDay(std::int64_t millis) {
  constexpr std::int64_t kDay = 86'400'000, kEight = 8 * 3'600'000;
  return Date(std::chrono::days((millis + kEight) / kDay));
}

}  // namespace

const std::vector<CoverageIndicator>& CoverageIndicators() {
  static const std::vector<CoverageIndicator> kAll = {
      {kCoverageUid, "IMM_COVERAGE", "接种率",
       "按免疫程序推荐月龄到期的剂次中，已有效接种的比例（分母：推荐接种日落在期间内的剂次；"
       "分子：其中期末前已有效接种的）"},
      {kTimelyUid, "IMM_TIMELY", "及时接种率",
       "同接种率的分母；分子：其中在及时接种月龄内有效接种、且不晚于期末的剂次"},
      {kFullCourseUid, "IMM_FULL_COURSE", "全程接种率",
       "满 1 周岁落在期间内的儿童中，1 周岁前完成全部 12 月龄内推荐剂次（均有效）的比例"},
      {kCardUid, "IMM_CARD", "建卡率",
       "出生落在期间内的儿童中，出生后 1 个月内建卡（建立预防接种档案）的比例"},
  };
  return kAll;
}

bool NamesCoverageIndicator(const std::vector<std::string>& dx_items) {
  for (const auto& item : dx_items)
    for (const auto& c : CoverageIndicators())
      if (c.uid == item || c.code == item) return true;
  return false;
}

void AddCoverageFacts(const storage::TrackedEntityRecord& person,
                      const std::vector<RecordedDose>& doses, Date today,
                      analytics::ProgramIndicatorData& out) {
  auto parsed = ParseIsoDate(person.birth_date);
  if (!parsed.ok() || *parsed > today) return;
  const Date birth = *parsed;
  const std::int64_t unit = person.org_unit_id;
  auto& coverage = SlotOf(out, kCoverageUid).facts;
  auto& timely = SlotOf(out, kTimelyUid).facts;
  auto& full_course = SlotOf(out, kFullCourseUid).facts;
  auto& card = SlotOf(out, kCardUid).facts;

  const ScheduleEdition& edition = EditionInForce(today);
  const Date first_birthday = AddSpan(birth, Months(12));
  bool complete = true;
  Date completed_on = birth;
  for (const DoseForecast& f : Forecast(edition, birth, doses, {}, today)) {
    if (f.state == DoseState::kGivenInvalid) continue;  // its slot has a row of its own
    const DoseRule* rule = nullptr;
    for (const DoseRule& r : edition.doses)
      if (r.series == f.series && r.dose == f.dose) rule = &r;
    if (!rule) continue;
    const bool valid = f.state == DoseState::kGiven && f.given;
    const Date due = AddSpan(birth, rule->recommended);
    if (due <= today) {
      coverage.push_back({unit, due, valid ? f.given : std::nullopt});
      timely.push_back({unit, due, valid && f.timely ? f.given : std::nullopt});
    }
    if (rule->recommended.months < 12) {
      if (!valid || *f.given >= first_birthday)
        complete = false;
      else
        completed_on = std::max(completed_on, *f.given);
    }
  }
  if (first_birthday <= today)
    full_course.push_back(
        {unit, first_birthday, complete ? std::optional<Date>(completed_on) : std::nullopt});
  const Date carded = CreationDay(person.created);
  card.push_back(
      {unit, birth,
       carded <= AddSpan(birth, Months(1)) ? std::optional<Date>(carded) : std::nullopt});
}

Result<std::shared_ptr<const analytics::ProgramIndicatorData>> LoadCoverage(
    storage::Store& store, const metadata::Catalog& cat, const analytics::QueryScope& scope,
    Date today) {
  std::vector<std::int64_t> tops = scope.read_roots;
  if (scope.everything) {
    tops.clear();
    for (const auto* r : cat.ChildrenOf(0)) tops.push_back(r->id);
  }
  std::vector<std::int64_t> units;
  const auto& tree = cat.tree();
  for (auto root : tops) {
    if (!tree.Contains(root)) continue;
    bool inside_other = false;  // a root under another root is read once
    for (auto other : tops)
      inside_other |= other != root && tree.Contains(other) && tree.IsInSubtree(root, other);
    if (inside_other) continue;
    const auto ids = tree.SubtreeIds(root);
    units.insert(units.end(), ids.begin(), ids.end());
  }
  WJ_ASSIGN_OR_RETURN(auto persons, store.ListTrackedEntities(units));
  WJ_ASSIGN_OR_RETURN(auto doses_of, RecordedDosesManagedBy(store, units));
  auto out = std::make_shared<analytics::ProgramIndicatorData>();
  for (const auto& c : CoverageIndicators()) SlotOf(*out, c.uid.c_str());
  static const std::vector<RecordedDose> kNone;
  for (const auto& p : persons) {
    if (p.status != "ACTIVE") continue;
    auto it = doses_of.find(p.id);
    AddCoverageFacts(p, it == doses_of.end() ? kNone : it->second, today, *out);
  }
  for (auto& [uid, pi] : out->by_uid)
    std::stable_sort(pi.facts.begin(), pi.facts.end(),
                     [](const auto& a, const auto& b) { return a.due < b.due; });
  return std::shared_ptr<const analytics::ProgramIndicatorData>(std::move(out));
}

}  // namespace weijian::tracker
