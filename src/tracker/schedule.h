// The national immunization schedule as data, and the engine that tells for one child on one day
// which dose is given, given but invalid, due, overdue, not yet due, or held back.
//
// The schedule is a table of editions (《国家免疫规划疫苗儿童免疫程序及说明（2021年版）》 and the
// 2025 change of the DTaP series), each a list of dose rules: for every dose of a series, the
// products that count for it, its earliest age, recommended age, the age before which it counts as
// timely (及时接种, from the 说明's list) and the age before which it is still caught up (补种),
// the minimum interval after the previous dose, and intervals after doses of other series. A new
// edition is a new table; the engine has no vaccine in its code except through the table.
//
// Ages are calendar months and days from the birth date, with month ends clamped: a child born on
// 31 January is one month old on 28 (or 29) February.
//
// The engine is a pure function of (edition, birth date, recorded doses, holds, date): no store, no
// clock. A forecast is a few dozen rows; it runs once per child on a due list, so it must stay in
// microseconds (no allocation per rule beyond the result).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/status.h"

namespace weijian::tracker {

// An age or an interval: calendar months, then days.
struct AgeSpan {
  int months = 0;
  int days = 0;
  friend bool operator==(const AgeSpan&, const AgeSpan&) = default;
};
constexpr AgeSpan Days(int d) { return {0, d}; }
constexpr AgeSpan Months(int m) { return {m, 0}; }
constexpr AgeSpan Years(int y) { return {12 * y, 0}; }

// `from` plus calendar months (the day clamped to the month's end), then plus days.
Date AddSpan(Date from, AgeSpan span);

struct Vaccine {
  std::string code;  // "HepB", "BCG", "IPV", "bOPV", "DTaP", "DT", "MMR", "JE-L", …
  std::string name;  // 乙肝疫苗 …
  bool live = false;
  bool injected = true;  // false for oral vaccines (bOPV, rotavirus)
  bool national = true;  // in the national programme (免疫规划疫苗), free of charge
};

// The catalogue of vaccines the engine and the forms know: the NIP vaccines and common others.
const std::vector<Vaccine>& VaccineCatalogue();
const Vaccine* FindVaccine(std::string_view code);

// An interval that a dose must keep after a dose of some series (its own or another).
struct IntervalAfter {
  std::string series;
  int dose = 0;  // 1-based dose number in that series
  AgeSpan at_least;
};

struct DoseRule {
  std::string series;                 // "HepB", "Polio", "DTaP", "JE-L" …
  int dose = 0;                       // 1-based
  std::vector<std::string> products;  // vaccine codes that count for this dose; the first is given
  AgeSpan earliest;                   // a dose before this age is invalid
  AgeSpan recommended;                // the schedule's age
  AgeSpan timely_before;              // given before this age: timely (及时); later: overdue
  AgeSpan catch_up_before;            // not given at all from this age on (超龄不补)
  AgeSpan after_previous;             // minimum interval after the previous dose of the series
  std::vector<IntervalAfter> also_after;
  // Catch-up in place of another series: when `instead_of` is not complete at `instead_from` (an
  // age), this dose is due from that age instead of its own (MPSV-AC for a child past 24 months who
  // missed MPSV-A). Empty when the dose has no such rule.
  std::string instead_of;
  AgeSpan instead_from;
  // From an age on, another product is given for this dose and counts for it, with its own
  // minimum interval after the previous dose (DT for the first three DTaP doses of a child of 6
  // years or more: the 说明's 百白破 补种原则 (2)). Before that age it does not count.
  struct LateProduct {
    std::string product;
    AgeSpan from;
    AgeSpan after_previous;
  };
  std::optional<LateProduct> late;
  // Not needed (no row) once a dose of the series was given validly, or is planned, with this
  // product (the 6-year DT dose when DT already made up the first three doses from 6 years).
  std::string done_if_product;
};

// A series that must hold a number of doses of one product: two IPV among the polio doses of a
// child born on or after 1 October 2019, one before (the 说明's 脊灰 补种原则). While the series
// is short of it, an open dose proposes that product, and a dose of it counts from the product's
// own minimum age whatever the slot's (the 4-year slot filled by a missing IPV); once the slots
// are used up, more doses of it are planned after them.
struct ProductNeed {
  std::string series;
  std::string product;
  int count = 0;
  Date born_from;
  int count_before = 0;  // for a child born before born_from
  AgeSpan earliest;      // the product's own minimum age
};

// Series of which a child receives one or the other (live or inactivated JE, HepA). The first is
// proposed when the child has neither.
struct AlternativeSeries {
  std::vector<std::string> series;
};

struct ScheduleEdition {
  std::string code;  // "NIP-2021", "NIP-2025"
  std::string name;
  Date in_force_from;
  std::vector<DoseRule> doses;
  std::vector<AlternativeSeries> alternatives;
  // Two live injected vaccines not given on the same day must be this far apart.
  AgeSpan live_injected_gap = Days(28);
  std::vector<ProductNeed> needs;
};

// Every edition, oldest first.
const std::vector<ScheduleEdition>& ScheduleEditions();
// The edition in force on `date` (the newest one whose in_force_from is not after it).
const ScheduleEdition& EditionInForce(Date date);
// By code; nullptr when unknown.
const ScheduleEdition* FindEdition(std::string_view code);

struct RecordedDose {
  std::string vaccine;  // a catalogue code
  Date date;
};

enum class HoldKind { kContraindication, kDeferral };
struct Hold {
  std::string vaccine;  // a catalogue code, or "*" for every vaccine
  HoldKind kind = HoldKind::kDeferral;
  Date from;
  std::optional<Date> until;  // open-ended when absent (a contraindication usually is)
  std::string reason;
};

enum class DoseState {
  kGiven,            // 已种: a valid dose
  kGivenInvalid,     // 已种无效: too early or too soon; does not count
  kDue,              // 应种
  kOverdue,          // 逾期
  kNotYet,           // 未到
  kContraindicated,  // 禁忌
  kDeferred,         // 暂缓
  kNoLongerDue,      // 超龄不补: past the age for catching up
};
const char* DoseStateName(DoseState state);   // "GIVEN", "GIVEN_INVALID", "DUE", …
const char* DoseStateLabel(DoseState state);  // 已种, 已种无效, 应种, …

struct DoseForecast {
  std::string series;
  int dose = 0;
  std::string vaccine;  // the product given, or the one to give
  DoseState state = DoseState::kNotYet;
  std::optional<Date> given;           // for given doses (valid or not)
  std::optional<Date> earliest;        // open doses: the first day a dose would count
  std::optional<Date> recommended;     // open doses: the schedule's day (never before earliest)
  std::optional<Date> latest;          // the last day the dose counts as timely
  std::optional<Date> catch_up_until;  // the last day it is still given
  bool timely = false;                 // given doses: given on or before `latest`
  std::string reason;                  // Chinese: why invalid, held, not due any more
};

// The forecast of a child on `date` under `edition`. Rows come in the edition's order, a series'
// invalid doses before the dose slot they failed to fill. Doses recorded after `date` are ignored.
// A recorded dose is judged by the rule of the edition in force on the day it was given (when
// that edition has its slot), so that a dose valid when given stays valid under a later edition;
// open doses follow `edition`. A dose given after its slot's age for catching up does not fill
// the slot: it goes to the series' next slot, or, with none left, is outside the schedule (no
// row: BCG from 4 years, MPSV-A from 24 months).
std::vector<DoseForecast> Forecast(const ScheduleEdition& edition, Date birth,
                                   const std::vector<RecordedDose>& doses,
                                   const std::vector<Hold>& holds, Date date);

// The series Forecast leaves out among alternatives (JE-L or JE-I, HepA-L or HepA-I): all but
// the one with most recorded doses, the first on a tie.
std::vector<std::string_view> ExcludedAlternatives(const ScheduleEdition& edition,
                                                   const std::vector<RecordedDose>& doses);
// Whether a recorded dose's row in a Forecast (given, valid or not, and why) can change with
// doses recorded on or after its day, other than through ExcludedAlternatives: true when the
// doses touch a catch-up in place of another series (MPSV-AC for MPSV-A) or an interval after a
// dose of another series. When false (and the alternatives left out are the same), one
// Forecast on the last day places every dose as a Forecast on each dose's own day would.
bool LaterDosesMayMoveRows(const ScheduleEdition& edition, const std::vector<RecordedDose>& doses);

}  // namespace weijian::tracker
