// Immunization coverage facts from the records: see coverage.h.
#include "tracker/coverage.h"

#include <algorithm>
#include <chrono>
#include <set>

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

ChildCoverage ChildCoverageFacts(const ScheduleEdition& edition, Date birth,
                                 std::int64_t created_millis,
                                 const std::vector<RecordedDose>& doses, Date today) {
  ChildCoverage out;
  auto& [coverage, timely, full_course, card] = out.facts;
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
    coverage.emplace_back(due, valid ? f.given : std::nullopt);
    timely.emplace_back(due, valid && f.timely ? f.given : std::nullopt);
    if (rule->recommended.months < 12) {
      if (!valid || *f.given >= first_birthday)
        complete = false;
      else
        completed_on = std::max(completed_on, *f.given);
    }
  }
  full_course.emplace_back(first_birthday,
                           complete ? std::optional<Date>(completed_on) : std::nullopt);
  const Date carded = CreationDay(created_millis);
  card.emplace_back(
      birth, carded <= AddSpan(birth, Months(1)) ? std::optional<Date>(carded) : std::nullopt);
  // The forecast reads the day only where a rule moves a dose's ages once the child reaches an
  // age (schedule.h, DoseRule::instead_of), or changes what is proposed for the open doses and
  // so which doses are needed (DoseRule::late: the 6-year dose not needed once DT makes up the
  // first three): from that day the facts may differ.
  auto recheck_on = [&](Date day) {
    if (day > today) out.recheck = out.recheck ? std::min(*out.recheck, day) : day;
  };
  for (const DoseRule& r : edition.doses) {
    if (!r.instead_of.empty()) recheck_on(AddSpan(birth, r.instead_from));
    if (r.late) recheck_on(AddSpan(birth, r.late->from));
  }
  return out;
}

void AddCoverageFacts(const storage::TrackedEntityRecord& person,
                      const std::vector<RecordedDose>& doses, Date today,
                      analytics::ProgramIndicatorData& out) {
  auto parsed = ParseIsoDate(person.birth_date);
  if (!parsed.ok() || *parsed > today) return;
  const ChildCoverage child =
      ChildCoverageFacts(EditionInForce(today), *parsed, person.created, doses, today);
  const char* uids[] = {kCoverageUid, kTimelyUid, kFullCourseUid, kCardUid};
  for (std::size_t k = 0; k < child.facts.size(); ++k) {
    auto& facts = SlotOf(out, uids[k]).facts;
    for (const auto& [due, met] : child.facts[k])
      if (due <= today) facts.push_back({person.org_unit_id, due, met});
  }
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
  out->catalog = &cat;
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

namespace weijian::tracker {

namespace {

std::int32_t DayNumber(Date d) { return static_cast<std::int32_t>(d.time_since_epoch().count()); }

// The keeper's lists are kept per unit and block of 16,384 consecutive child ids: a write copies
// only its child's block (all of a county's cohorts may sit in a few units, millions of facts
// each), and a query still visits few lists. Key: unit store id, then the block.
constexpr int kBlockBits = 14, kKeyBits = 20;
std::int64_t KeyOf(std::int64_t unit, std::int64_t person) {
  return (unit << kKeyBits) | (person >> kBlockBits);
}
std::int64_t UnitOfKey(std::int64_t key) { return key >> kKeyBits; }

// What a query counts: the keeper's snapshot, over the units of the query's catalog, on its day.
class CoverageView final : public analytics::ProgramIndicatorSource {
 public:
  CoverageView(std::shared_ptr<const CoverageKeeper::Units> units, const metadata::Catalog& cat,
               Date today)
      : units_(std::move(units)), cat_(cat), today_(DayNumber(today)) {
    const auto& all = CoverageIndicators();
    for (std::size_t k = 0; k < items_.size(); ++k)
      items_[k] = {all[k].uid, all[k].code, all[k].name, 1};
  }
  const Item* Find(const std::string& key) const override {
    for (const auto& item : items_)
      if (item.uid == key || item.code == key) return &item;
    return nullptr;
  }
  std::pair<double, double> Count(const Item& item, std::int64_t unit, Date start,
                                  Date end) const override {
    const auto k = static_cast<std::size_t>(&item - items_.data());
    const auto& tree = cat_.tree();
    if (k >= items_.size() || !tree.Contains(unit)) return {0, 0};
    const std::int32_t lo = tree.Pre(unit), hi = tree.Last(unit);
    const std::int32_t first = DayNumber(start), period_end = DayNumber(end);
    const std::int32_t last = std::min(period_end, today_);  // only facts due by today count
    double num = 0, den = 0;
    for (const auto& [key, block] : *units_) {
      const std::int64_t id = UnitOfKey(key);
      if (!tree.Contains(id)) continue;
      if (const std::int32_t pre = tree.Pre(id); pre < lo || pre > hi) continue;
      const auto& facts = block->facts[k];
      auto it = std::lower_bound(
          facts.begin(), facts.end(), first,
          [](const CoverageKeeper::Fact& f, std::int32_t day) { return f.due < day; });
      for (; it != facts.end() && it->due <= last; ++it) {
        den += 1;
        if (it->met <= period_end) num += 1;
      }
    }
    return {num, den};
  }

 private:
  std::shared_ptr<const CoverageKeeper::Units> units_;
  const metadata::Catalog& cat_;
  std::int32_t today_;
  std::array<Item, 4> items_;
};

// A child's facts as the keeper holds them, appended to its unit's lists (unsorted).
Status AppendChild(const storage::CoverageInputRecord& r, Date today,
                   CoverageKeeper::UnitFacts& out, std::optional<Date>& recheck) {
  recheck.reset();
  if (r.status != "ACTIVE") return Status::Ok();
  auto birth = ParseIsoDate(r.birth_date);
  if (!birth.ok()) return Status::Ok();
  if (r.id <= 0 || r.id > 0xffffffffLL) return Internal("a tracked entity id beyond 32 bits");
  std::vector<RecordedDose> doses;
  doses.reserve(r.doses.size());
  for (const auto& [vaccine, given_on] : r.doses)
    if (auto day = ParseIsoDate(given_on); day.ok()) doses.push_back({vaccine, *day});
  const ChildCoverage child =
      ChildCoverageFacts(EditionInForce(today), *birth, r.created, doses, today);
  const auto person = static_cast<std::uint32_t>(r.id);
  for (std::size_t k = 0; k < child.facts.size(); ++k)
    for (const auto& [due, met] : child.facts[k])
      out.facts[k].push_back(
          {DayNumber(due), met ? DayNumber(*met) : CoverageKeeper::kNever, person});
  recheck = child.recheck;
  return Status::Ok();
}

void SortByDue(CoverageKeeper::UnitFacts& u) {
  for (auto& list : u.facts)
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.due < b.due; });
}

}  // namespace

CoverageKeeper::~CoverageKeeper() {
  stop_ = true;
  if (builder_.joinable()) builder_.join();
}

void CoverageKeeper::StartBuild(Date today) {
  if (builder_.joinable()) return;
  builder_ = std::thread([this, today] {
    std::string start;
    bool write = false;  // the file is missing, stale or far behind: written once computed
    {
      std::lock_guard lock(mu_);
      if (units_) return;
      std::string why = "no file";
      if (!file_.empty()) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::uint64_t before = stats().recomputed;
        Status loaded = LoadFileLocked(today);
        // Caught up at once: the children marked since the file, the days passed since.
        if (loaded.ok()) loaded = UpdateLocked(today);
        if (loaded.ok()) {
          std::lock_guard stats_lock(stats_mu_);
          ++stats_.loads;
          stats_.last_build_seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const std::uint64_t again = stats_.recomputed - before;
          write = again > 10'000 || again > stats_.children / 10;
          start = "read from " + file_ + ", " + std::to_string(again) + " children computed again";
        } else {
          units_.reset();  // half-read: computed afresh below
          why = loaded.message();
        }
      }
      if (!units_) {
        if (!BuildLocked(today).ok()) return;  // the first query tries again
        start = "computed from the records (" + why + ")";
        write = !file_.empty();
      }
    }
    // Written off the lock (queries go on meanwhile); a stop abandons it.
    if (write) {
      Status saved = SaveFile(today);
      start += saved.ok() ? "; the file written" : "; the file not written: " + saved.message();
    }
    {
      std::lock_guard stats_lock(stats_mu_);
      stats_.start = start;
    }
    if (on_start_) on_start_(start);
  });
}

void CoverageKeeper::SetFile(std::string path) { file_ = std::move(path); }

void CoverageKeeper::SetStartListener(std::function<void(const std::string&)> listener) {
  on_start_ = std::move(listener);
}

CoverageKeeper::Stats CoverageKeeper::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Result<std::shared_ptr<const analytics::ProgramIndicatorSource>> CoverageKeeper::Current(
    const metadata::Catalog& cat, Date today) {
  std::shared_ptr<const Units> units;
  {
    std::lock_guard lock(mu_);
    WJ_RETURN_IF_ERROR(UpdateLocked(today));
    units = units_;
  }
  return std::shared_ptr<const analytics::ProgramIndicatorSource>(
      std::make_shared<CoverageView>(std::move(units), cat, today));
}

Status CoverageKeeper::UpdateLocked(Date today) {
  // A new schedule edition in force: every child again.
  if (!units_ || EditionInForce(today).code != edition_) return BuildLocked(today);
  WJ_ASSIGN_OR_RETURN(auto marks, store_.CoverageMarksFrom(horizon_, true));
  std::vector<std::int64_t> ids;
  std::map<std::int64_t, std::int64_t> window;
  for (const auto& [id, seq] : marks.marks) {
    window[id] = seq;
    // A mark read last time (PostgreSQL reads the marks of transactions that were running then
    // once more) with the same seq has been applied.
    if (auto it = window_.find(id); it != window_.end() && it->second == seq) continue;
    ids.push_back(id);
  }
  // The day moved on: the children whose facts change at an age reached by now.
  if (today > computed_on_) {
    for (auto it = recheck_.begin(); it != recheck_.end() && it->first <= today;
         it = recheck_.erase(it))
      ids.insert(ids.end(), it->second.begin(), it->second.end());
    computed_on_ = today;
  }
  if (!ids.empty()) WJ_RETURN_IF_ERROR(RecomputeLocked(std::move(ids), today));
  horizon_ = marks.next;
  window_ = std::move(window);
  return Status::Ok();
}

Status CoverageKeeper::BuildLocked(Date today) {
  const auto t0 = std::chrono::steady_clock::now();
  // The horizon first: a mark committed while the children are read is read again next time.
  WJ_ASSIGN_OR_RETURN(auto horizon, store_.CoverageMarksFrom(0, false));
  std::map<std::int64_t, UnitFacts> by_unit;
  std::vector<std::int64_t> unit_of;
  std::map<Date, std::vector<std::int64_t>> recheck;
  std::size_t children = 0;
  WJ_RETURN_IF_ERROR(
      store_.ScanCoverageInputs(nullptr, [&](const storage::CoverageInputRecord& r) -> Status {
        if (stop_) return Unavailable("stopping");
        std::optional<Date> again;
        auto& unit = by_unit[KeyOf(r.org_unit_id, r.id)];
        WJ_RETURN_IF_ERROR(AppendChild(r, today, unit, again));
        if (unit_of.size() <= static_cast<std::size_t>(r.id))
          unit_of.resize(static_cast<std::size_t>(r.id) + 1);
        unit_of[static_cast<std::size_t>(r.id)] = r.org_unit_id;
        if (again) recheck[*again].push_back(r.id);
        ++children;
        return Status::Ok();
      }));
  auto units = std::make_shared<Units>();
  std::size_t facts = 0;
  for (auto& [id, u] : by_unit) {
    SortByDue(u);
    for (const auto& list : u.facts) facts += list.size();
    units->emplace(id, std::make_shared<const UnitFacts>(std::move(u)));
  }
  units_ = std::move(units);
  unit_of_ = std::move(unit_of);
  recheck_ = std::move(recheck);
  edition_ = EditionInForce(today).code;
  computed_on_ = today;
  horizon_ = horizon.next;
  window_.clear();
  std::lock_guard lock(stats_mu_);
  ++stats_.builds;
  stats_.children = children;
  stats_.facts = facts;
  stats_.last_build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok();
}

Status CoverageKeeper::RecomputeLocked(std::vector<std::int64_t> ids, Date today) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::set<std::int64_t> touched;  // the lists that change (KeyOf)
  for (auto id : ids)
    if (static_cast<std::size_t>(id) < unit_of_.size() && unit_of_[static_cast<std::size_t>(id)])
      touched.insert(KeyOf(unit_of_[static_cast<std::size_t>(id)], id));
  std::map<std::int64_t, UnitFacts> fresh;  // the children's new facts, by KeyOf
  std::map<std::int64_t, std::int64_t> unit_now;
  std::vector<std::pair<Date, std::int64_t>> recheck;
  WJ_RETURN_IF_ERROR(
      store_.ScanCoverageInputs(&ids, [&](const storage::CoverageInputRecord& r) -> Status {
        std::optional<Date> again;
        WJ_RETURN_IF_ERROR(AppendChild(r, today, fresh[KeyOf(r.org_unit_id, r.id)], again));
        unit_now[r.id] = r.org_unit_id;
        touched.insert(KeyOf(r.org_unit_id, r.id));
        if (again) recheck.emplace_back(*again, r.id);
        return Status::Ok();
      }));
  // Each touched list: the old one without these children, and their new facts.
  auto units = std::make_shared<Units>(*units_);
  std::int64_t facts_delta = 0, children_delta = 0;
  for (auto key : touched) {
    UnitFacts next;
    if (auto it = units->find(key); it != units->end()) {
      for (std::size_t k = 0; k < next.facts.size(); ++k) {
        facts_delta -= static_cast<std::int64_t>(it->second->facts[k].size());
        next.facts[k].reserve(it->second->facts[k].size());
        for (const Fact& f : it->second->facts[k])
          if (!std::binary_search(ids.begin(), ids.end(), static_cast<std::int64_t>(f.person)))
            next.facts[k].push_back(f);
      }
    }
    if (auto it = fresh.find(key); it != fresh.end()) {
      SortByDue(it->second);
      for (std::size_t k = 0; k < next.facts.size(); ++k) {
        auto& list = next.facts[k];
        const auto middle = static_cast<std::ptrdiff_t>(list.size());
        list.insert(list.end(), it->second.facts[k].begin(), it->second.facts[k].end());
        std::inplace_merge(list.begin(), list.begin() + middle, list.end(),
                           [](const Fact& a, const Fact& b) { return a.due < b.due; });
      }
    }
    std::size_t n = 0;
    for (const auto& list : next.facts) n += list.size();
    facts_delta += static_cast<std::int64_t>(n);
    if (n == 0)
      units->erase(key);
    else
      (*units)[key] = std::make_shared<const UnitFacts>(std::move(next));
  }
  for (auto id : ids) {
    if (unit_of_.size() <= static_cast<std::size_t>(id))
      unit_of_.resize(static_cast<std::size_t>(id) + 1);
    auto& unit = unit_of_[static_cast<std::size_t>(id)];
    if (unit) --children_delta;
    auto it = unit_now.find(id);
    unit = it == unit_now.end() ? 0 : it->second;
    if (unit) ++children_delta;
  }
  for (const auto& [day, id] : recheck) recheck_[day].push_back(id);
  units_ = std::move(units);
  std::lock_guard lock(stats_mu_);
  stats_.recomputed += ids.size();
  stats_.facts = static_cast<std::size_t>(static_cast<std::int64_t>(stats_.facts) + facts_delta);
  stats_.children =
      static_cast<std::size_t>(static_cast<std::int64_t>(stats_.children) + children_delta);
  return Status::Ok();
}

}  // namespace weijian::tracker
