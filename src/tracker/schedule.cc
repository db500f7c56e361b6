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

// The series every edition shares; `dtap` adds the edition's DTaP (and DT) rows in their place.
std::vector<DoseRule> CommonDoses(const std::vector<DoseRule>& dtap) {
  std::vector<DoseRule> rows = {
      // Earliest ages: a series starts at its first dose's age; later doses are held back by their
      // intervals (28 days unless the 说明 says otherwise), except where the 说明 names an age
      // (HepB 3, polio 4, the 6-year boosters). So a dose given early under one edition's
      // recommended ages stays valid under the next one.
      // 乙肝: birth (within 24 hours), 1 and 6 months. Dose 3 at 6 months or later, 60 days after
      // dose 2 and 4 months after dose 1.
      {"HepB", 1, {"HepB"}, kBirth, kBirth, Days(1), kUnder18, {}, {}, {}, {}},
      {"HepB", 2, {"HepB"}, kBirth, Months(1), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"HepB",
       3,
       {"HepB"},
       Months(6),
       Months(6),
       Months(12),
       kUnder18,
       Days(60),
       {{"HepB", 1, Months(4)}},
       {},
       {}},
      // 卡介苗: at birth, timely before 3 months, not given from 4 years on.
      {"BCG", 1, {"BCG"}, kBirth, kBirth, Months(3), Years(4), {}, {}, {}, {}},
      // 脊灰: IPV at 2 and 3 months, bOPV at 4 months and 4 years; an IPV dose counts for any.
      {"Polio", 1, {"IPV"}, Months(2), Months(2), Months(12), kUnder18, {}, {}, {}, {}},
      {"Polio", 2, {"IPV"}, Months(2), Months(3), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"Polio",
       3,
       {"bOPV", "IPV"},
       Months(2),
       Months(4),
       Months(12),
       kUnder18,
       Days(28),
       {},
       {},
       {}},
      {"Polio", 4, {"bOPV", "IPV"}, Years(4), Years(4), Years(5), kUnder18, Days(28), {}, {}, {}},
  };
  rows.insert(rows.end(), dtap.begin(), dtap.end());
  const std::vector<DoseRule> rest = {
      // 麻腮风: 8 and 18 months.
      {"MMR", 1, {"MMR"}, Months(8), Months(8), Months(12), kUnder18, {}, {}, {}, {}},
      {"MMR", 2, {"MMR"}, Months(8), Months(18), Months(24), kUnder18, Days(28), {}, {}, {}},
      // 乙脑: live at 8 months and 2 years (12 months apart), or inactivated at 8 months (twice,
      // 7–10 days apart),
      // 2 and 6 years.
      {"JE-L", 1, {"JE-L"}, Months(8), Months(8), Months(12), kUnder18, {}, {}, {}, {}},
      {"JE-L", 2, {"JE-L"}, Months(8), Years(2), Years(3), kUnder18, Months(12), {}, {}, {}},
      {"JE-I", 1, {"JE-I"}, Months(8), Months(8), Months(12), kUnder18, {}, {}, {}, {}},
      {"JE-I", 2, {"JE-I"}, Months(8), {8, 7}, Months(12), kUnder18, Days(7), {}, {}, {}},
      {"JE-I", 3, {"JE-I"}, Years(2), Years(2), Years(3), kUnder18, Days(28), {}, {}, {}},
      {"JE-I", 4, {"JE-I"}, Years(6), Years(6), Years(7), kUnder18, Days(28), {}, {}, {}},
      // A群流脑多糖: 6 and 9 months, three months apart, only before 24 months.
      {"MPSV-A", 1, {"MPSV-A"}, Months(6), Months(6), Months(12), Months(24), {}, {}, {}, {}},
      {"MPSV-A",
       2,
       {"MPSV-A"},
       Months(6),
       Months(9),
       Months(18),
       Months(24),
       Months(3),
       {},
       {},
       {}},
      // A群C群流脑多糖: 3 and 6 years; dose 1 a year after MPSV-A dose 2; a child past 24 months
      // who has not finished MPSV-A gets MPSV-AC from then on instead.
      {"MPSV-AC",
       1,
       {"MPSV-AC"},
       Years(3),
       Years(3),
       Years(4),
       kUnder18,
       {},
       {{"MPSV-A", 2, Months(12)}},
       "MPSV-A",
       Months(24)},
      {"MPSV-AC", 2, {"MPSV-AC"}, Years(3), Years(6), Years(7), kUnder18, Years(3), {}, {}, {}},
      // 甲肝: live at 18 months, or inactivated at 18 months and 2 years.
      {"HepA-L", 1, {"HepA-L"}, Months(18), Months(18), Months(24), kUnder18, {}, {}, {}, {}},
      {"HepA-I", 1, {"HepA-I"}, Months(18), Months(18), Months(24), kUnder18, {}, {}, {}, {}},
      {"HepA-I", 2, {"HepA-I"}, Months(18), Years(2), Years(3), kUnder18, Months(6), {}, {}, {}},
  };
  rows.insert(rows.end(), rest.begin(), rest.end());
  return rows;
}

std::vector<ScheduleEdition> BuildEditions() {
  const std::vector<AlternativeSeries> alternatives = {{{"JE-L", "JE-I"}}, {{"HepA-L", "HepA-I"}}};
  // 2021: DTaP at 3, 4, 5 and 18 months (the fourth at least 6 months after the third); DT at 6
  // years.
  const std::vector<DoseRule> dtap2021 = {
      {"DTaP", 1, {"DTaP"}, Months(3), Months(3), Months(12), kUnder18, {}, {}, {}, {}},
      {"DTaP", 2, {"DTaP"}, Months(3), Months(4), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"DTaP", 3, {"DTaP"}, Months(3), Months(5), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"DTaP", 4, {"DTaP"}, Months(3), Months(18), Months(24), kUnder18, Months(6), {}, {}, {}},
      {"DT", 1, {"DT"}, Years(6), Years(6), Years(7), kUnder18, {}, {}, {}, {}},
  };
  // 2025: DTaP at 2, 4, 6 and 18 months and 6 years; DT leaves the routine schedule (a DT dose
  // given at 6 years under the 2021 edition still counts as the fifth dose).
  const std::vector<DoseRule> dtap2025 = {
      {"DTaP", 1, {"DTaP"}, Months(2), Months(2), Months(12), kUnder18, {}, {}, {}, {}},
      {"DTaP", 2, {"DTaP"}, Months(2), Months(4), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"DTaP", 3, {"DTaP"}, Months(2), Months(6), Months(12), kUnder18, Days(28), {}, {}, {}},
      {"DTaP", 4, {"DTaP"}, Months(2), Months(18), Months(24), kUnder18, Months(6), {}, {}, {}},
      {"DTaP", 5, {"DTaP", "DT"}, Years(6), Years(6), Years(7), kUnder18, Days(28), {}, {}, {}},
  };
  std::vector<ScheduleEdition> editions;
  editions.push_back({"NIP-2021", "国家免疫规划疫苗儿童免疫程序（2021年版）", MakeDate(2021, 3, 1),
                      CommonDoses(dtap2021), alternatives, Days(28)});
  editions.push_back({"NIP-2025", "国家免疫规划疫苗儿童免疫程序（2021年版，2025年百白破调整）",
                      MakeDate(2025, 1, 1), CommonDoses(dtap2025), alternatives, Days(28)});
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

// Counted against the products of each series' first dose.
std::vector<std::string_view> ExcludedAlternatives(const ScheduleEdition& edition,
                                                   const std::vector<RecordedDose>& doses) {
  std::vector<std::string_view> excluded;
  for (const AlternativeSeries& alt : edition.alternatives) {
    std::size_t best = 0;
    int best_count = -1;
    for (std::size_t i = 0; i < alt.series.size(); ++i) {
      int count = 0;
      for (const DoseRule& r : edition.doses) {
        if (r.dose != 1 || r.series != alt.series[i]) continue;
        for (const RecordedDose& d : doses) count += Contains(r.products, d.vaccine);
      }
      if (count > best_count) best = i, best_count = count;
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
        if (Contains(r.products, d.vaccine)) return true;
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

  // (series, dose) → the date of its valid dose, for intervals across series (a few dozen at
  // most: a flat list is cheaper than a map).
  struct ValidOn {
    std::string_view series;
    int dose;
    Date on;
  };
  std::vector<ValidOn> valid_on;
  valid_on.reserve(doses.size());
  auto find_valid = [&](std::string_view series, int dose) -> const Date* {
    for (const ValidOn& v : valid_on)
      if (v.dose == dose && v.series == series) return &v.on;
    return nullptr;
  };
  // Series whose doses are all valid, for catch-up in place of another series.
  auto complete_by = [&](const std::string& series, Date when) {
    for (const DoseRule& r : edition.doses) {
      if (r.series != series) continue;
      const Date* on = find_valid(series, r.dose);
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
        if (Contains(edition.doses[k].products, d.vaccine)) {
          mine.push_back(&d);
          break;
        }
      }
    }

    std::optional<Date> previous_valid;    // the last valid dose of this series
    std::optional<Date> previous_planned;  // the earliest day of the previous open dose
    std::size_t next_record = 0;
    for (std::size_t k = i; k < end; ++k) {
      const DoseRule& rule = edition.doses[k];
      AgeSpan earliest_age = rule.earliest;
      AgeSpan recommended_age = rule.recommended;
      const Date instead_day =
          rule.instead_of.empty() ? Date::max() : AddSpan(birth, rule.instead_from);
      if (!rule.instead_of.empty() && date >= instead_day &&
          !complete_by(rule.instead_of, instead_day)) {
        earliest_age = rule.instead_from;
        recommended_age = rule.instead_from;
      }
      const Date latest = AddSpan(birth, rule.timely_before) - std::chrono::days(1);
      const Date catch_up_until = AddSpan(birth, rule.catch_up_before) - std::chrono::days(1);

      // The day this dose may first be given, as far as earlier doses are known.
      auto earliest_given = [&](std::optional<Date> after) {
        Date e = AddSpan(birth, earliest_age);
        if (after) e = std::max(e, AddSpan(*after, rule.after_previous));
        for (const IntervalAfter& ia : rule.also_after) {
          if (const Date* on = find_valid(ia.series, ia.dose))
            e = std::max(e, AddSpan(*on, ia.at_least));
        }
        return e;
      };

      // Fill the slot from the series' records in date order; a record that does not count stays
      // in the list as invalid and the slot waits for the next one.
      bool filled = false;
      while (!filled && next_record < mine.size() && !previous_planned) {
        const RecordedDose& rec = *mine[next_record++];
        DoseForecast row;
        row.series = series;
        row.dose = rule.dose;
        row.vaccine = rec.vaccine;
        row.given = rec.date;
        row.latest = latest;
        row.catch_up_until = catch_up_until;
        const Date earliest = earliest_given(previous_valid);
        if (!Contains(rule.products, rec.vaccine)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "第" + std::to_string(rule.dose) + "剂应使用" +
                       VaccineName(rule.products.front()) + "，不能用" + VaccineName(rec.vaccine);
        } else if (rec.date < AddSpan(birth, earliest_age)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "接种时未到最小接种年龄（" + SpanText(earliest_age) + "）";
        } else if (previous_valid && rec.date < AddSpan(*previous_valid, rule.after_previous)) {
          row.state = DoseState::kGivenInvalid;
          row.reason = "距上一剂（" + FormatIsoDate(*previous_valid) + "）不足" +
                       IntervalText(rule.after_previous);
        } else if (rec.date < earliest) {
          row.state = DoseState::kGivenInvalid;
          for (const IntervalAfter& ia : rule.also_after) {
            const Date* on = find_valid(ia.series, ia.dose);
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
        }
        out.push_back(std::move(row));
      }
      if (filled) continue;

      // An open dose: when it can be given, and what it is today.
      DoseForecast row;
      row.series = series;
      row.dose = rule.dose;
      row.vaccine = rule.products.front();
      row.latest = latest;
      row.catch_up_until = catch_up_until;
      std::optional<Date> after = previous_valid;
      const bool previous_open = previous_planned.has_value();
      if (previous_open) after = std::max(*previous_planned, date);
      Date earliest = earliest_given(after);
      if (LiveInjected(row.vaccine)) {
        for (std::size_t k = 0; k < doses.size(); ++k) {
          const RecordedDose& other = doses[k];
          if (live[k] && other.date < date && other.vaccine != row.vaccine)
            earliest = std::max(earliest, AddSpan(other.date, edition.live_injected_gap));
        }
      }
      row.earliest = earliest;
      row.recommended = std::max(earliest, AddSpan(birth, recommended_age));
      previous_planned = earliest;
      if (const Hold* h = HoldOn(holds, row.vaccine, date)) {
        row.state = h->kind == HoldKind::kContraindication ? DoseState::kContraindicated
                                                           : DoseState::kDeferred;
        row.reason =
            h->kind == HoldKind::kContraindication
                ? "禁忌：" + h->reason
                : (h->until ? "暂缓至" + FormatIsoDate(*h->until) + "：" : "暂缓：") + h->reason;
      } else if (date > catch_up_until || earliest > catch_up_until) {
        row.state = DoseState::kNoLongerDue;
        row.reason = "已过补种年龄（" + SpanText(rule.catch_up_before) + "前）";
      } else if (date < earliest) {
        row.state = DoseState::kNotYet;
        if (previous_open) {
          row.reason = "须先接种第" + std::to_string(rule.dose - 1) + "剂，间隔至少" +
                       IntervalText(rule.after_previous);
        }
      } else if (date <= latest) {
        row.state = DoseState::kDue;
      } else {
        row.state = DoseState::kOverdue;
      }
      out.push_back(std::move(row));
    }
    i = end;
  }
  return out;
}

}  // namespace weijian::tracker
