#include "tracker/schedule.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

namespace weijian::tracker {

using namespace std::chrono;

Date AddSpan(Date from, AgeSpan span) {
  if (span.months == 0) return from + std::chrono::days(span.days);
  const year_month_day ymd(from);
  const year_month target = year_month(ymd.year(), ymd.month()) + months(span.months);
  const day last = year_month_day_last(target.year(), month_day_last(target.month())).day();
  const day d = std::min(ymd.day(), last);
  return sys_days(target.year() / target.month() / d) + std::chrono::days(span.days);
}

// --- The catalogue ------------------------------------------------------------------------------

const std::vector<Vaccine>& VaccineCatalogue() {
  static const std::vector<Vaccine> kCatalogue = {
      // National programme (免疫规划疫苗).
      {"HepB", "乙肝疫苗", false, true, true},
      {"BCG", "卡介苗", true, true, true},
      {"IPV", "脊灰灭活疫苗", false, true, true},
      {"bOPV", "脊灰减毒活疫苗", true, false, true},
      {"DTaP", "百白破疫苗", false, true, true},
      {"DT", "白破疫苗", false, true, true},
      {"MMR", "麻腮风疫苗", true, true, true},
      {"JE-L", "乙脑减毒活疫苗", true, true, true},
      {"JE-I", "乙脑灭活疫苗", false, true, true},
      {"MPSV-A", "A群流脑多糖疫苗", false, true, true},
      {"MPSV-AC", "A群C群流脑多糖疫苗", false, true, true},
      {"HepA-L", "甲肝减毒活疫苗", true, true, true},
      {"HepA-I", "甲肝灭活疫苗", false, true, true},
      // Common vaccines outside the programme (非免疫规划疫苗), recorded and counted for the
      // live-vaccine interval rule, with no schedule of their own here.
      {"VarV", "水痘减毒活疫苗", true, true, false},
      {"PCV13", "13价肺炎球菌多糖结合疫苗", false, true, false},
      {"Hib", "b型流感嗜血杆菌结合疫苗", false, true, false},
      {"RV", "轮状病毒疫苗", true, false, false},
      {"EV71", "肠道病毒71型灭活疫苗", false, true, false},
      {"Flu", "流感疫苗", false, true, false},
      {"HPV", "人乳头瘤病毒疫苗", false, true, false},
      {"MPCV-ACYW", "ACYW135群流脑多糖结合疫苗", false, true, false},
  };
  return kCatalogue;
}

const Vaccine* FindVaccine(std::string_view code) {
  for (const Vaccine& v : VaccineCatalogue())
    if (v.code == code) return &v;
  return nullptr;
}

// --- The editions -------------------------------------------------------------------------------

namespace {

constexpr AgeSpan kBirth{};
constexpr AgeSpan kUnder18 = Years(18);

// A dose of a series: given from `age` (the schedule's age, the least at which it counts: the
// 说明, 一般原则 (一) 1, 可以接种该剂次疫苗的最小年龄), timely before `timely_before`, given at
// all before `catch_up_before`, at least `after_previous` after the series' previous dose and
// `also_after` after doses of other slots. A dose is judged by the edition in force on its day
// (Forecast), so one given at an earlier edition's age stays valid under the next.
DoseRule Dose(std::string series, int dose, std::vector<std::string> products, AgeSpan age,
              AgeSpan timely_before, AgeSpan catch_up_before, AgeSpan after_previous = {},
              std::vector<IntervalAfter> also_after = {}) {
  DoseRule r;
  r.series = std::move(series);
  r.dose = dose;
  r.products = std::move(products);
  r.earliest = r.recommended = age;
  r.timely_before = timely_before;
  r.catch_up_before = catch_up_before;
  r.after_previous = after_previous;
  r.also_after = std::move(also_after);
  return r;
}

// The series every edition shares; `dtap` adds the edition's DTaP rows in their place.
std::vector<DoseRule> CommonDoses(const std::vector<DoseRule>& dtap) {
  std::vector<DoseRule> rows = {
      // 乙肝: birth (within 24 hours: the day of birth or the next, as only days are recorded), 1
      // and 6 months. Dose 3 at 6 months or later, 60 days after dose 2 and 4 months after dose 1.
      Dose("HepB", 1, {"HepB"}, kBirth, Days(2), kUnder18),
      Dose("HepB", 2, {"HepB"}, Months(1), Months(12), kUnder18, Days(28)),
      Dose("HepB", 3, {"HepB"}, Months(6), Months(12), kUnder18, Days(60),
           {{"HepB", 1, Months(4)}}),
      // 卡介苗: at birth, timely before 3 months, not given from 4 years on (a dose given later
      // is outside the schedule: ≥4岁儿童不予补种).
      Dose("BCG", 1, {"BCG"}, kBirth, Months(3), Years(4)),
      // 脊灰: IPV at 2 and 3 months, bOPV at 4 months and 4 years. Any polio dose counts for any
      // slot (补充免疫 included: 3 doses under 4 years, 4 from 4 years), 28 days apart, with two
      // IPV among them (ScheduleEdition::needs), proposed first (先IPV后bOPV).
      Dose("Polio", 1, {"IPV", "bOPV"}, Months(2), Months(12), kUnder18),
      Dose("Polio", 2, {"IPV", "bOPV"}, Months(3), Months(12), kUnder18, Days(28)),
      Dose("Polio", 3, {"bOPV", "IPV"}, Months(4), Months(12), kUnder18, Days(28)),
      Dose("Polio", 4, {"bOPV", "IPV"}, Years(4), Years(5), kUnder18, Days(28)),
  };
  rows.insert(rows.end(), dtap.begin(), dtap.end());
  // A群C群流脑多糖 dose 1: a year after MPSV-A dose 2 (three months after a single MPSV-A dose);
  // a child past 24 months who has not finished MPSV-A gets it from then on instead.
  DoseRule ac1 = Dose("MPSV-AC", 1, {"MPSV-AC"}, Years(3), Years(4), kUnder18, {},
                      {{"MPSV-A", 1, Months(3)}, {"MPSV-A", 2, Months(12)}});
  ac1.instead_of = "MPSV-A";
  ac1.instead_from = Months(24);
  const std::vector<DoseRule> rest = {
      // 麻腮风: 8 and 18 months.
      Dose("MMR", 1, {"MMR"}, Months(8), Months(12), kUnder18),
      Dose("MMR", 2, {"MMR"}, Months(18), Months(24), kUnder18, Days(28)),
      // 乙脑: live at 8 months and 2 years (12 months apart), or inactivated at 8 months (twice,
      // 7-10 days apart), 2 and 6 years; caught up with the inactivated one, dose 3 at least a
      // month after dose 2 and dose 4 three years after dose 3.
      Dose("JE-L", 1, {"JE-L"}, Months(8), Months(12), kUnder18),
      Dose("JE-L", 2, {"JE-L"}, Years(2), Years(3), kUnder18, Months(12)),
      Dose("JE-I", 1, {"JE-I"}, Months(8), Months(12), kUnder18),
      Dose("JE-I", 2, {"JE-I"}, {8, 7}, Months(12), kUnder18, Days(7)),
      Dose("JE-I", 3, {"JE-I"}, Years(2), Years(3), kUnder18, Months(1)),
      Dose("JE-I", 4, {"JE-I"}, Years(6), Years(7), kUnder18, Years(3)),
      // A群流脑多糖: 6 and 9 months, three months apart, only before 24 months (a dose given
      // later is outside the schedule: 不再补种或接种MPSV-A).
      Dose("MPSV-A", 1, {"MPSV-A"}, Months(6), Months(12), Months(24)),
      Dose("MPSV-A", 2, {"MPSV-A"}, Months(9), Months(18), Months(24), Months(3)),
      // A群C群流脑多糖: 3 and 6 years, three years apart.
      ac1,
      Dose("MPSV-AC", 2, {"MPSV-AC"}, Years(6), Years(7), kUnder18, Years(3)),
      // 甲肝: live at 18 months, or inactivated at 18 months and 2 years; a live dose six months
      // after one inactivated dose completes the inactivated series.
      Dose("HepA-L", 1, {"HepA-L"}, Months(18), Months(24), kUnder18),
      Dose("HepA-I", 1, {"HepA-I"}, Months(18), Months(24), kUnder18),
      Dose("HepA-I", 2, {"HepA-I", "HepA-L"}, Years(2), Years(3), kUnder18, Months(6)),
  };
  rows.insert(rows.end(), rest.begin(), rest.end());
  return rows;
}

// The DTaP series of an edition: doses at the ages given, the fifth (the 6-year dose) of the
// products given. From 6 years (the 说明's 百白破 补种原则 (2)) the doses still missing are made
// up with DT, DTaP's doses and DT's counting together: the first three (DT 1-2 months and then
// 6-12 months apart), no fourth DTaP dose, and the 6-year dose at least 6 months after the third
// (12 after a fourth), not needed when DT already made up one of the first three.
std::vector<DoseRule> DTaPSeries(const AgeSpan (&ages)[4], std::vector<std::string> fifth) {
  std::vector<DoseRule> rows = {
      Dose("DTaP", 1, {"DTaP"}, ages[0], Months(12), kUnder18),
      Dose("DTaP", 2, {"DTaP"}, ages[1], Months(12), kUnder18, Days(28)),
      Dose("DTaP", 3, {"DTaP"}, ages[2], Months(12), kUnder18, Days(28)),
      Dose("DTaP", 4, {"DTaP"}, ages[3], Months(24), Years(6), Months(6)),
      Dose("DTaP", 5, std::move(fifth), Years(6), Years(7), kUnder18, Months(6),
           {{"DTaP", 4, Months(12)}}),
  };
  rows[0].late = DoseRule::LateProduct{"DT", Years(6), {}};
  rows[1].late = DoseRule::LateProduct{"DT", Years(6), Months(1)};
  rows[2].late = DoseRule::LateProduct{"DT", Years(6), Months(6)};
  rows[4].done_if_product = "DT";
  return rows;
}

std::vector<ScheduleEdition> BuildEditions() {
  const std::vector<AlternativeSeries> alternatives = {{{"JE-L", "JE-I"}}, {{"HepA-L", "HepA-I"}}};
  const std::vector<ProductNeed> needs = {{"Polio", "IPV", 2, MakeDate(2019, 10, 1), 1, Months(2)}};
  // 2021: DTaP at 3, 4, 5 and 18 months (the fourth at least 6 months after the third); DT at 6
  // years.
  const AgeSpan ages2021[4] = {Months(3), Months(4), Months(5), Months(18)};
  // 2025: DTaP at 2, 4, 6 and 18 months and 6 years; DT leaves the routine schedule (a DT dose
  // given at 6 years still counts as the fifth dose).
  const AgeSpan ages2025[4] = {Months(2), Months(4), Months(6), Months(18)};
  std::vector<ScheduleEdition> editions;
  editions.push_back({"NIP-2021", "国家免疫规划疫苗儿童免疫程序（2021年版）", MakeDate(2021, 3, 1),
                      CommonDoses(DTaPSeries(ages2021, {"DT", "DTaP"})), alternatives, Days(28),
                      needs});
  editions.push_back({"NIP-2025", "国家免疫规划疫苗儿童免疫程序（2021年版，2025年百白破调整）",
                      MakeDate(2025, 1, 1), CommonDoses(DTaPSeries(ages2025, {"DTaP", "DT"})),
                      alternatives, Days(28), needs});
  return editions;
}

}  // namespace

const std::vector<ScheduleEdition>& ScheduleEditions() {
  static const std::vector<ScheduleEdition> kEditions = BuildEditions();
  return kEditions;
}

const ScheduleEdition& EditionInForce(Date date) {
  const auto& editions = ScheduleEditions();
  const ScheduleEdition* found = &editions.front();
  for (const ScheduleEdition& e : editions)
    if (e.in_force_from <= date) found = &e;
  return *found;
}

const ScheduleEdition* FindEdition(std::string_view code) {
  for (const ScheduleEdition& e : ScheduleEditions())
    if (e.code == code) return &e;
  return nullptr;
}

const char* DoseStateName(DoseState state) {
  switch (state) {
    case DoseState::kGiven:
      return "GIVEN";
    case DoseState::kGivenInvalid:
      return "GIVEN_INVALID";
    case DoseState::kDue:
      return "DUE";
    case DoseState::kOverdue:
      return "OVERDUE";
    case DoseState::kNotYet:
      return "NOT_YET";
    case DoseState::kContraindicated:
      return "CONTRAINDICATED";
    case DoseState::kDeferred:
      return "DEFERRED";
    case DoseState::kNoLongerDue:
      return "NO_LONGER_DUE";
  }
  return "NOT_YET";
}

const char* DoseStateLabel(DoseState state) {
  switch (state) {
    case DoseState::kGiven:
      return "已种";
    case DoseState::kGivenInvalid:
      return "已种无效";
    case DoseState::kDue:
      return "应种";
    case DoseState::kOverdue:
      return "逾期";
    case DoseState::kNotYet:
      return "未到";
    case DoseState::kContraindicated:
      return "禁忌";
    case DoseState::kDeferred:
      return "暂缓";
    case DoseState::kNoLongerDue:
      return "超龄不补";
  }
  return "未到";
}

// --- The engine ---------------------------------------------------------------------------------

namespace {

std::string SpanText(AgeSpan s) {
  if (s.months == 0 && s.days == 0) return "出生时";
  std::string out;
  if (s.months >= 24 && s.months % 12 == 0) {
    out = std::to_string(s.months / 12) + "周岁";
  } else if (s.months > 0) {
    out = std::to_string(s.months) + "月龄";
  }
  if (s.days > 0) out += (out.empty() ? "" : "加") + std::to_string(s.days) + "天";
  return out;
}

std::string IntervalText(AgeSpan s) {
  if (s.months >= 12 && s.months % 12 == 0 && s.days == 0)
    return std::to_string(s.months / 12) + "年";
  std::string out;
  if (s.months > 0) out = std::to_string(s.months) + "个月";
  if (s.days > 0) out += std::to_string(s.days) + "天";
  return out;
}

std::string VaccineName(std::string_view code) {
  const Vaccine* v = FindVaccine(code);
  return v ? v->name : std::string(code);
}

bool LiveInjected(std::string_view code) {
  const Vaccine* v = FindVaccine(code);
  return v && v->live && v->injected;
}

std::string SeriesName(std::string_view series) {
  if (series == "Polio") return "脊灰疫苗";
  return VaccineName(series);
}

bool Contains(const std::vector<std::string>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

// The last live injected dose of another vaccine given before `dose` within the gap, if any;
// `live[i]`: whether doses[i] is a live injected vaccine.
const RecordedDose* LiveConflict(const std::vector<RecordedDose>& doses,
                                 const std::vector<char>& live, const RecordedDose& dose,
                                 AgeSpan gap) {
  if (!live[static_cast<std::size_t>(&dose - doses.data())]) return nullptr;
  const RecordedDose* found = nullptr;
  for (std::size_t i = 0; i < doses.size(); ++i) {
    const RecordedDose& other = doses[i];
    if (&other == &dose || !live[i] || other.vaccine == dose.vaccine) continue;
    if (other.date < dose.date && AddSpan(other.date, gap) > dose.date) found = &other;
  }
  return found;
}

const Hold* HoldOn(const std::vector<Hold>& holds, std::string_view vaccine, Date date) {
  for (const Hold& h : holds) {
    if (h.vaccine != "*" && h.vaccine != vaccine) continue;
    if (h.from > date || (h.until && *h.until < date)) continue;
    return &h;
  }
  return nullptr;
}

}  // namespace

// Counted against the products of each series' first dose; on a tie, the series given first.
std::vector<std::string_view> ExcludedAlternatives(const ScheduleEdition& edition,
                                                   const std::vector<RecordedDose>& doses) {
  std::vector<std::string_view> excluded;
  for (const AlternativeSeries& alt : edition.alternatives) {
    std::size_t best = 0;
    int best_count = -1;
    Date best_first = Date::max();
    for (std::size_t i = 0; i < alt.series.size(); ++i) {
      int count = 0;
      Date first = Date::max();
      for (const DoseRule& r : edition.doses) {
        if (r.dose != 1 || r.series != alt.series[i]) continue;
        for (const RecordedDose& d : doses)
          if (Contains(r.products, d.vaccine)) {
            ++count;
            first = std::min(first, d.date);
          }
      }
      if (count > best_count || (count == best_count && first < best_first))
        best = i, best_count = count, best_first = first;
    }
    for (std::size_t i = 0; i < alt.series.size(); ++i)
      if (i != best) excluded.push_back(alt.series[i]);
  }
  return excluded;
}

bool LaterDosesMayMoveRows(const ScheduleEdition& edition, const std::vector<RecordedDose>& doses) {
  // Some recorded dose counts for a dose of `series`.
  auto touches = [&](const std::string& series) {
    for (const DoseRule& r : edition.doses) {
      if (r.series != series) continue;
      for (const RecordedDose& d : doses)
        if (Contains(r.products, d.vaccine) || (r.late && r.late->product == d.vaccine))
          return true;
    }
    return false;
  };
  for (const DoseRule& r : edition.doses) {
    // The ages of a catch-up dose depend on the forecast's day.
    if (!r.instead_of.empty() && touches(r.series)) return true;
    // A dose of the other series given later makes this one too soon.
    for (const IntervalAfter& ia : r.also_after)
      if (ia.series != r.series && touches(r.series) && touches(ia.series)) return true;
  }
  return false;
}

namespace {

// The rule a dose given on `day` is judged by: the same slot in the edition then in force, or
// `rule` when that edition has no such slot.
const DoseRule& RuleOnTheDay(const ScheduleEdition& edition, const DoseRule& rule, Date day) {
  const ScheduleEdition& then = EditionInForce(day);
  if (&then == &edition) return rule;
  for (const DoseRule& r : then.doses)
    if (r.dose == rule.dose && r.series == rule.series) return r;
  return rule;
}

const ProductNeed* NeedOf(const ScheduleEdition& edition, std::string_view series) {
  for (const ProductNeed& n : edition.needs)
    if (n.series == series) return &n;
  return nullptr;
}

}  // namespace

std::vector<DoseForecast> Forecast(const ScheduleEdition& edition, Date birth,
                                   const std::vector<RecordedDose>& all_doses,
                                   const std::vector<Hold>& holds, Date date) {
  std::vector<RecordedDose> doses;
  for (const RecordedDose& d : all_doses)
    if (d.date <= date) doses.push_back(d);
  std::stable_sort(doses.begin(), doses.end(),
                   [](const RecordedDose& a, const RecordedDose& b) { return a.date < b.date; });
  const std::vector<std::string_view> excluded = ExcludedAlternatives(edition, doses);
  std::vector<char> live(doses.size());
  for (std::size_t k = 0; k < doses.size(); ++k) live[k] = LiveInjected(doses[k].vaccine);

  // (series, dose) → the date of its valid dose, and of the open doses the day each may first be
  // given, for intervals across doses that are not each other's previous (a few dozen at most: a
  // flat list is cheaper than a map).
  struct DoseOn {
    std::string_view series;
    int dose;
    Date on;
  };
  std::vector<DoseOn> valid_on, planned_on;
  valid_on.reserve(doses.size());
  auto find = [](const std::vector<DoseOn>& list, std::string_view series,
                 int dose) -> const Date* {
    for (const DoseOn& v : list)
      if (v.dose == dose && v.series == series) return &v.on;
    return nullptr;
  };
  // Series whose doses are all valid, for catch-up in place of another series.
  auto complete_by = [&](const std::string& series, Date when) {
    for (const DoseRule& r : edition.doses) {
      if (r.series != series) continue;
      const Date* on = find(valid_on, series, r.dose);
      if (!on || *on > when) return false;
    }
    return true;
  };

  std::vector<DoseForecast> out;
  out.reserve(edition.doses.size() + doses.size());
  std::size_t i = 0;
  while (i < edition.doses.size()) {
    const std::string& series = edition.doses[i].series;
    std::size_t end = i;
    while (end < edition.doses.size() && edition.doses[end].series == series) ++end;
    if (std::find(excluded.begin(), excluded.end(), series) != excluded.end()) {
      i = end;
      continue;
    }
    // The recorded doses of a product that counts for some dose of the series.
    std::vector<const RecordedDose*> mine;
    for (const RecordedDose& d : doses) {
      for (std::size_t k = i; k < end; ++k) {
        const DoseRule& r = edition.doses[k];
        if (Contains(r.products, d.vaccine) || (r.late && r.late->product == d.vaccine)) {
          mine.push_back(&d);
          break;
        }
      }
    }
    // A product the series must hold so many doses of (polio: IPV), and how many it holds valid
    // or planned so far.
    const ProductNeed* need = NeedOf(edition, series);
    const int needed = !need ? 0 : birth >= need->born_from ? need->count : need->count_before;
    int held = 0;
    auto short_of = [&](std::string_view vaccine) {
      return need && vaccine == need->product && held < needed;
    };
    // The products the series' valid and planned doses use (DoseRule::done_if_product).
    std::vector<std::string_view> used;

    std::optional<Date> previous_valid;    // the last valid dose of this series
    std::optional<Date> previous_planned;  // the earliest day of the previous open dose
    std::size_t next_record = 0;
    const DoseRule* last_rule = nullptr;
    for (std::size_t k = i; k < end; ++k) {
      const DoseRule& rule = edition.doses[k];
      last_rule = &rule;
      if (!rule.done_if_product.empty() &&
          std::find(used.begin(), used.end(), rule.done_if_product) != used.end())
        continue;
      // The least age of a rule, moved by a catch-up in place of another series.
      auto earliest_age_of = [&](const DoseRule& r) {
        if (!r.instead_of.empty() && date >= AddSpan(birth, r.instead_from) &&
            !complete_by(r.instead_of, AddSpan(birth, r.instead_from)))
          return r.instead_from;
        return r.earliest;
      };
      const AgeSpan earliest_age = earliest_age_of(rule);
      const bool instead = !(earliest_age == rule.earliest);
      const Date latest = AddSpan(birth, rule.timely_before) - std::chrono::days(1);
      const Date catch_up_until = AddSpan(birth, rule.catch_up_before) - std::chrono::days(1);

      // The day a dose of `r` may first be given at the least age `from`, `gap` after the
      // previous dose of the series (if any), and after the doses of other slots it must follow
      // (given, or with `planned` the open ones too).
      auto earliest_given = [&](const DoseRule& r, Date from, std::optional<Date> after,
                                AgeSpan gap, bool planned) {
        Date e = from;
        if (after) e = std::max(e, AddSpan(*after, gap));
        for (const IntervalAfter& ia : r.also_after) {
          const Date* on = find(valid_on, ia.series, ia.dose);
          if (!on && planned) on = find(planned_on, ia.series, ia.dose);
          if (on) e = std::max(e, AddSpan(*on, ia.at_least));
        }
        return e;
      };

      // Fill the slot from the series' records in date order; a record that does not count stays
      // in the list as invalid and the slot waits for the next one. A record given after the
      // slot's age for catching up leaves the slot closed and goes to the next.
      bool filled = false;
      while (!filled && next_record < mine.size() && !previous_planned) {
        const RecordedDose& rec = *mine[next_record];
        const DoseRule& at = RuleOnTheDay(edition, rule, rec.date);
        if (rec.date >= AddSpan(birth, at.catch_up_before)) break;
        ++next_record;
        DoseForecast row;
        row.series = series;
        row.dose = rule.dose;
        row.vaccine = rec.vaccine;
        row.given = rec.date;
        row.latest = latest;
        row.catch_up_until = catch_up_until;
        const bool late =
            at.late && rec.vaccine == at.late->product && rec.date >= AddSpan(birth, at.late->from);
        const AgeSpan gap = late ? at.late->after_previous : at.after_previous;
        const AgeSpan at_age = earliest_age_of(at);
        Date least = AddSpan(birth, at_age);
        if (short_of(rec.vaccine)) least = std::min(least, AddSpan(birth, need->earliest));
        const Date earliest = earliest_given(at, least, previous_valid, gap, false);
        if (!Contains(at.products, rec.vaccine) && !late) {
          const bool late_age = at.late && rec.date >= AddSpan(birth, at.late->from);
          row.state = DoseState::kGivenInvalid;
          row.reason = "第" + std::to_string(rule.dose) + "剂应使用" +
                       VaccineName(late_age ? at.late->product : at.products.front()) + "，不能用" +
                       VaccineName(rec.vaccine);
        } else if (rec.date < least) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "接种时未到最小接种年龄（" + SpanText(at_age) + "）";
        } else if (previous_valid && rec.date < AddSpan(*previous_valid, gap)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "距上一剂（" + FormatIsoDate(*previous_valid) + "）不足" + IntervalText(gap);
        } else if (rec.date < earliest) {
          row.state = DoseState::kGivenInvalid;
          for (const IntervalAfter& ia : at.also_after) {
            const Date* on = find(valid_on, ia.series, ia.dose);
            if (on && rec.date < AddSpan(*on, ia.at_least)) {
              row.reason = "距" + SeriesName(ia.series) + "第" + std::to_string(ia.dose) + "剂（" +
                           FormatIsoDate(*on) + "）不足" + IntervalText(ia.at_least);
              break;
            }
          }
        } else if (const RecordedDose* other =
                       LiveConflict(doses, live, rec, edition.live_injected_gap)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "与" + VaccineName(other->vaccine) + "（" + FormatIsoDate(other->date) +
                       "）同为注射用减毒活疫苗，未同日接种且间隔不足" +
                       IntervalText(edition.live_injected_gap);
        } else {
          row.state = DoseState::kGiven;
          row.timely = rec.date <= latest;
          filled = true;
          previous_valid = rec.date;
          valid_on.push_back({series, rule.dose, rec.date});
          used.push_back(rec.vaccine);
          if (need && rec.vaccine == need->product) ++held;
        }
        out.push_back(std::move(row));
      }
      if (filled) continue;

      // An open dose: what to give, when it can be given, and what it is today.
      DoseForecast row;
      row.series = series;
      row.dose = rule.dose;
      row.latest = latest;
      row.catch_up_until = catch_up_until;
      std::optional<Date> after = previous_valid;
      const bool previous_open = previous_planned.has_value();
      if (previous_open) after = std::max(*previous_planned, date);
      std::string_view vaccine = rule.products.front();  // the edition's: outlives `used`
      AgeSpan gap = rule.after_previous;
      Date least = AddSpan(birth, earliest_age);
      Date recommended = AddSpan(birth, instead ? earliest_age : rule.recommended);
      const bool needed_product = need && held < needed && Contains(rule.products, need->product);
      if (needed_product) {
        // The series is short of a product: it is given first, as soon as it counts.
        vaccine = need->product;
        const Date own = AddSpan(birth, need->earliest);
        if (own < least) least = recommended = own;
      } else if (need && vaccine == need->product) {
        // Enough of it: the slot's other product (bOPV once the IPV doses are there).
        for (const std::string& p : rule.products)
          if (p != need->product) {
            vaccine = p;
            break;
          }
      }
      Date earliest = earliest_given(rule, least, after, gap, true);
      if (rule.late && !needed_product &&
          std::max(earliest, date) >= AddSpan(birth, rule.late->from)) {
        // From the late age on, the late product, at its own interval (it counts only from then).
        vaccine = rule.late->product;
        gap = rule.late->after_previous;
        least = std::max(least, AddSpan(birth, rule.late->from));
        earliest = earliest_given(rule, least, after, gap, true);
      }
      row.vaccine = std::string(vaccine);
      if (LiveInjected(row.vaccine)) {
        for (std::size_t k = 0; k < doses.size(); ++k) {
          const RecordedDose& other = doses[k];
          if (live[k] && other.date < date && other.vaccine != row.vaccine)
            earliest = std::max(earliest, AddSpan(other.date, edition.live_injected_gap));
        }
      }
      row.earliest = earliest;
      row.recommended = std::max(earliest, recommended);
      bool planned = true;
      if (const Hold* h = HoldOn(holds, row.vaccine, date)) {
        row.state = h->kind == HoldKind::kContraindication ? DoseState::kContraindicated
                                                           : DoseState::kDeferred;
        row.reason =
            h->kind == HoldKind::kContraindication
                ? "禁忌：" + h->reason
                : (h->until ? "暂缓至" + FormatIsoDate(*h->until) + "：" : "暂缓：") + h->reason;
      } else if (date > catch_up_until || earliest > catch_up_until) {
        // Not to be given: it holds back no later dose of the series.
        row.state = DoseState::kNoLongerDue;
        row.reason = "已过补种年龄（" + SpanText(rule.catch_up_before) + "前）";
        planned = false;
      } else if (date < earliest) {
        row.state = DoseState::kNotYet;
        if (previous_open) {
          row.reason =
              "须先接种第" + std::to_string(rule.dose - 1) + "剂，间隔至少" + IntervalText(gap);
        }
      } else if (date <= latest) {
        row.state = DoseState::kDue;
      } else {
        row.state = DoseState::kOverdue;
      }
      if (planned) {
        previous_planned = earliest;
        planned_on.push_back({series, rule.dose, std::max(earliest, date)});  // given today at best
        used.push_back(vaccine);
        if (need && row.vaccine == need->product) ++held;
      }
      out.push_back(std::move(row));
    }
    // The slots used up while the series is still short of its product: more doses of it, each
    // as soon as it counts; first those recorded after the slots were filled.
    for (int extra = 1; need && held < needed && last_rule; ++extra) {
      DoseForecast row;
      row.series = series;
      row.dose = last_rule->dose + extra;
      row.vaccine = need->product;
      row.latest = AddSpan(birth, last_rule->timely_before) - std::chrono::days(1);
      row.catch_up_until = AddSpan(birth, last_rule->catch_up_before) - std::chrono::days(1);
      const AgeSpan gap = last_rule->after_previous;
      bool filled = false;
      while (!filled && !previous_planned && next_record < mine.size()) {
        const RecordedDose& rec = *mine[next_record++];
        if (rec.vaccine != need->product) continue;  // more of the others: outside the schedule
        row.given = rec.date;
        if (rec.date < AddSpan(birth, need->earliest)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "接种时未到最小接种年龄（" + SpanText(need->earliest) + "）";
        } else if (previous_valid && rec.date < AddSpan(*previous_valid, gap)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "距上一剂（" + FormatIsoDate(*previous_valid) + "）不足" + IntervalText(gap);
        } else {
          row.state = DoseState::kGiven;
          row.timely = rec.date <= *row.latest;
          previous_valid = rec.date;
          ++held;
          filled = true;
        }
        out.push_back(row);
        row.given.reset();
        row.reason.clear();
      }
      if (filled) continue;
      std::optional<Date> after = previous_valid;
      if (previous_planned) after = std::max(*previous_planned, date);
      Date earliest = AddSpan(birth, need->earliest);
      if (after) earliest = std::max(earliest, AddSpan(*after, gap));
      row.earliest = row.recommended = earliest;
      if (date > *row.catch_up_until || earliest > *row.catch_up_until) {
        row.state = DoseState::kNoLongerDue;
        row.reason = "已过补种年龄（" + SpanText(last_rule->catch_up_before) + "前）";
      } else if (date < earliest) {
        row.state = DoseState::kNotYet;
        if (previous_planned)
          row.reason =
              "须先接种第" + std::to_string(row.dose - 1) + "剂，间隔至少" + IntervalText(gap);
      } else {
        row.state = date <= *row.latest ? DoseState::kDue : DoseState::kOverdue;
      }
      previous_planned = earliest;
      ++held;
      out.push_back(std::move(row));
    }
    i = end;
  }
  return out;
}

}  // namespace weijian::tracker
