#include "analytics/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <string_view>

#include "analytics/approved_data.h"
#include "core/pacer.h"
#include "core/period.h"
#include "metadata/value_type.h"

namespace weijian::analytics {

namespace {

// A row of work done, and a phase's end, for work that may be paced (Engine::Apply).
void PaceStep(Pacer* pacer) {
  if (pacer) pacer->Step();
}
void PacePause(Pacer* pacer) {
  if (pacer) pacer->Pause();
}
// The pacer's owner ended the work (a host that stops): the engine is left part-way.
bool PaceStopped(const Pacer* pacer) { return pacer && pacer->stopped(); }
Status Stopped() { return Unavailable("the analytics engine's work was stopped part-way"); }

constexpr double kDeleted = std::numeric_limits<double>::quiet_NaN();

bool IsSimpleType(const std::string& t) {
  return t == "SUM" || t == "NONE" || t == "COUNT" || t == "MIN" || t == "MAX";
}
// Types a rollup (sums and counts over combinations) can answer.
bool RollupAnswers(const std::string& t) { return t == "SUM" || t == "NONE" || t == "COUNT"; }

// What a simple aggregation type answers with, read once per scan rather than per cell.
enum class AccKind : std::uint8_t { kSum, kCount, kMin, kMax };
AccKind KindOf(const std::string& type) {
  return type == "COUNT" ? AccKind::kCount
         : type == "MIN" ? AccKind::kMin
         : type == "MAX" ? AccKind::kMax
                         : AccKind::kSum;
}

// Running SUM / COUNT / MIN / MAX of one cell.
struct Acc {
  double sum = 0, mn = 0, mx = 0;
  std::size_t count = 0;
  void Add(double x) {
    if (count == 0) mn = mx = x;
    sum += x;
    mn = std::min(mn, x);
    mx = std::max(mx, x);
    ++count;
  }
  void AddRollup(double s, std::size_t n) {
    sum += s;
    count += n;
  }
  std::optional<double> Result(AccKind kind) const {
    if (count == 0) return std::nullopt;
    switch (kind) {
      case AccKind::kCount:
        return static_cast<double>(count);
      case AccKind::kMin:
        return mn;
      case AccKind::kMax:
        return mx;
      case AccKind::kSum:
        break;
    }
    return sum;
  }
  std::optional<double> Result(const std::string& type) const { return Result(KindOf(type)); }
};

}  // namespace

void Engine::Columns::Layout(const std::vector<Row>& rows, std::size_t elements, Pacer* pacer) {
  // New columns, never the old ones changed: another engine may share them (column.h).
  const std::size_t n = rows.size();
  block.assign(elements, {0, 0});
  std::vector<std::int32_t> pres(n);
  std::vector<std::uint16_t> periods(n), cocs(n), aocs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Row& r = rows[i];
    auto& b = block[static_cast<std::size_t>(r.de)];
    if (i == 0 || rows[i - 1].de != r.de) b.first = static_cast<std::uint32_t>(i);
    b.second = static_cast<std::uint32_t>(i + 1);
    pres[i] = r.pre;
    periods[i] = r.period;
    cocs[i] = r.coc;
    aocs[i] = r.aoc;
    PaceStep(pacer);
    if (PaceStopped(pacer)) return;
  }
  pre = Column<std::int32_t>(std::move(pres));
  period = Column<std::uint16_t>(std::move(periods));
  coc = Column<std::uint16_t>(std::move(cocs));
  aoc = Column<std::uint16_t>(std::move(aocs));
  value = CowColumn<double>::Generate(n, [&rows](std::size_t i) { return rows[i].value; });
  PacePause(pacer);
}

std::pair<std::size_t, std::size_t> Engine::Columns::Run(std::int64_t de, std::int32_t lo,
                                                         std::int32_t hi) const {
  if (de < 0 || static_cast<std::size_t>(de) >= block.size()) return {0, 0};
  auto [b, e] = block[static_cast<std::size_t>(de)];
  auto first = std::lower_bound(pre.begin() + b, pre.begin() + e, lo);
  auto last = std::upper_bound(first, pre.begin() + e, hi);
  return {static_cast<std::size_t>(first - pre.begin()),
          static_cast<std::size_t>(last - pre.begin())};
}

std::size_t Engine::Columns::Bytes() const {
  return value.bytes() + period.bytes() + coc.bytes() + aoc.bytes() + pre.bytes() +
         block.capacity() * sizeof(block[0]);
}

template <typename T>
static std::size_t OwnBytesOf(const Column<T>& c) {
  return c.shared() ? 0 : c.bytes();
}

std::size_t Engine::Columns::OwnBytes() const {
  return value.own_bytes() + OwnBytesOf(period) + OwnBytesOf(coc) + OwnBytesOf(aoc) +
         OwnBytesOf(pre) + block.capacity() * sizeof(block[0]);
}

std::size_t Engine::Rollup::OwnBytes() const {
  return sum.own_bytes() + count.own_bytes() + OwnBytesOf(pre) + OwnBytesOf(period) +
         block.capacity() * sizeof(block[0]);
}

std::size_t Engine::Rollup::Bytes() const {
  return sum.bytes() + pre.bytes() + period.bytes() + count.bytes() +
         block.capacity() * sizeof(block[0]);
}

std::size_t Engine::memory_bytes() const {
  return base_.Bytes() + tail_.Bytes() + roll_.Bytes() + Others();
}

std::size_t Engine::own_bytes() const {
  return base_.OwnBytes() + tail_.OwnBytes() + roll_.OwnBytes() + Others();
}

std::size_t Engine::Others() const {
  return (period_start_.capacity() + period_end_.capacity()) * sizeof(std::int32_t) +
         combo_index_.capacity() * sizeof(std::uint16_t);
}

std::uint32_t Engine::ComboFilter(const std::string& uid) const {
  if (uid.empty()) return 0;
  const auto* c = cat_->CategoryOptionCombos().ByUid(uid);
  // An unknown combination matches nothing (no index + 1 reaches 0x10000).
  return c ? static_cast<std::uint32_t>(ComboIndex(c->id)) + 1 : 0x10000;
}

std::size_t Engine::Elements() const {
  std::int64_t max_de = 0;
  for (const auto& d : cat_->records().data_elements) max_de = std::max(max_de, d.id);
  return static_cast<std::size_t>(max_de) + 1;
}

std::optional<double> Engine::NumericValue(const storage::DataElementRecord& de,
                                           const std::string& text) const {
  if (metadata::IsNumericValueType(de.value_type)) {
    char* end = nullptr;
    double x = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(x)) return std::nullopt;
    return x;
  }
  if (de.value_type == "BOOLEAN" || de.value_type == "TRUE_ONLY") return text == "true" ? 1 : 0;
  return std::nullopt;  // text and dates are not aggregated
}

Status Engine::EnsurePeriods(std::span<const storage::DataValueChange> changes,
                             storage::Store& store) {
  bool missing = false;
  for (const auto& c : changes)
    missing = missing ||
              (!period_index_.count(c.key.period_id) && !unplaced_periods_.count(c.key.period_id));
  if (!missing) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  for (const auto& p : periods) {
    if (period_index_.count(p.id) || unplaced_periods_.count(p.id)) continue;
    auto parsed = ParsePeriod(p.iso);
    if (!parsed.ok()) {
      unplaced_periods_.insert(p.id);
      continue;
    }
    if (period_start_.size() >= 65535)
      return Internal("more than 65,535 distinct periods; the engine's period index is 16 bits");
    period_index_[p.id] = static_cast<std::uint16_t>(period_start_.size());
    period_start_.push_back(DayNumber(parsed->start));
    period_end_.push_back(DayNumber(parsed->end));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Engine>> Engine::Build(storage::Store& store,
                                              std::shared_ptr<const metadata::Catalog> catalog) {
  auto e = std::make_unique<Engine>();
  e->cat_ = catalog;
  const auto& cat = *catalog;
  // Every period the store knows, so that periods are indexed in one go.
  storage::DataValueChange any;
  any.key.period_id = -1;
  WJ_RETURN_IF_ERROR(e->EnsurePeriods({&any, 1}, store));
  // Combinations: a dictionary from the catalog (2 bytes a value instead of 4 for each column).
  std::int64_t max_combo = 0;
  for (const auto& c : cat.records().category_option_combos) max_combo = std::max(max_combo, c.id);
  if (cat.records().category_option_combos.size() >= kNoCombo)
    return Internal("more than 65,534 category option combinations; the engine's index is 16 bits");
  e->combo_index_.assign(static_cast<std::size_t>(max_combo) + 1, kNoCombo);
  {
    std::uint16_t next = 0;
    for (const auto& c : cat.records().category_option_combos)
      e->combo_index_[static_cast<std::size_t>(c.id)] = next++;
  }
  std::vector<Row> rows;
  std::string text;  // the value being parsed: one buffer for the whole scan
  WJ_RETURN_IF_ERROR(
      store.ScanValueCells([&](const storage::DataValueKey& key, std::string_view value) -> Status {
        const auto* de = cat.DataElements().ById(key.data_element_id);
        if (!de || !cat.tree().Contains(key.org_unit_id)) return Status::Ok();
        text.assign(value);
        auto x = e->NumericValue(*de, text);
        if (!x) return Status::Ok();
        auto pd = e->period_index_.find(key.period_id);
        const std::uint16_t coc = e->ComboIndex(key.coc_id), aoc = e->ComboIndex(key.aoc_id);
        if (pd == e->period_index_.end() || coc == kNoCombo || aoc == kNoCombo) return Status::Ok();
        rows.push_back({key.data_element_id, cat.tree().Pre(key.org_unit_id),
                        e->period_start_[pd->second], pd->second, coc, aoc, *x});
        return Status::Ok();
      }));
  std::sort(rows.begin(), rows.end());
  e->Rebuild(rows);
  return e;
}

void Engine::Rebuild(std::vector<Row>& rows, Pacer* pacer) {
  base_.Layout(rows, Elements(), pacer);
  if (PaceStopped(pacer)) return;
  live_ = rows.size();
  std::vector<Row>().swap(rows);
  tail_ = Columns{};
  tail_.block.assign(base_.block.size(), {0, 0});
  BuildRollup(pacer);
}

void Engine::BuildRollup(Pacer* pacer) {
  roll_ = Rollup{};
  roll_.block.assign(base_.block.size(), {0, 0});
  std::vector<std::int32_t> pres;
  std::vector<std::uint16_t> periods, counts;
  std::vector<double> sums;
  for (std::size_t de = 0; de < base_.block.size(); ++de) {
    auto [b, e] = base_.block[de];
    if (b == e) continue;
    // Worth it only when combinations at least halve the rows.
    std::size_t groups = 0;
    for (std::size_t i = b; i < e; ++i) {
      PaceStep(pacer);
      if (i == b || base_.pre[i] != base_.pre[i - 1] || base_.period[i] != base_.period[i - 1])
        ++groups;
    }
    if (PaceStopped(pacer)) return;
    if (groups * 2 > e - b) continue;
    const std::size_t begin = sums.size();
    bool overflow = false;
    for (std::size_t i = b; i < e; ++i) {
      if (i == b || base_.pre[i] != base_.pre[i - 1] || base_.period[i] != base_.period[i - 1]) {
        pres.push_back(base_.pre[i]);
        periods.push_back(base_.period[i]);
        sums.push_back(0);
        counts.push_back(0);
      }
      PaceStep(pacer);
      if (std::isnan(base_.value[i])) continue;
      if (counts.back() == std::numeric_limits<std::uint16_t>::max()) overflow = true;
      sums.back() += base_.value[i];
      ++counts.back();
    }
    if (overflow) {  // more than 65,535 combinations: answered from the raw values instead
      pres.resize(begin);
      periods.resize(begin);
      sums.resize(begin);
      counts.resize(begin);
      continue;
    }
    roll_.block[de] = {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(sums.size())};
  }
  pres.shrink_to_fit();
  periods.shrink_to_fit();
  roll_.pre = Column<std::int32_t>(std::move(pres));
  roll_.period = Column<std::uint16_t>(std::move(periods));
  roll_.sum = CowColumn<double>(sums);
  roll_.count = CowColumn<std::uint16_t>(counts);
  PacePause(pacer);
}

bool Engine::HasRollup(std::int64_t de) const {
  return de >= 0 && static_cast<std::size_t>(de) < roll_.block.size() &&
         roll_.block[static_cast<std::size_t>(de)].first !=
             roll_.block[static_cast<std::size_t>(de)].second;
}

void Engine::RecomputeRollupEntry(std::int64_t de, std::int32_t pre, std::uint16_t period) {
  auto [rb, re] = roll_.block[static_cast<std::size_t>(de)];
  auto it = std::lower_bound(roll_.pre.begin() + rb, roll_.pre.begin() + re, pre);
  std::size_t r = static_cast<std::size_t>(it - roll_.pre.begin());
  while (r < re && roll_.pre[r] == pre && roll_.period[r] != period) ++r;
  if (r >= re || roll_.pre[r] != pre) return;  // cannot happen: the base value had an entry
  double sum = 0;
  std::uint16_t count = 0;
  auto [b, e] = base_.Run(de, pre, pre);
  for (std::size_t i = b; i < e; ++i)
    if (base_.period[i] == period && !std::isnan(base_.value[i])) {
      sum += base_.value[i];
      ++count;
    }
  roll_.sum.Mutable(r) = sum;
  roll_.count.Mutable(r) = count;
}

Status Engine::Apply(std::span<const storage::DataValueChange> changes, storage::Store& store,
                     TailMerge tail_merge, Pacer* pacer) {
  WJ_RETURN_IF_ERROR(EnsurePeriods(changes, store));
  const auto& tree = cat_->tree();
  // The batch's values new to both the base and the tail. A map, not the tail itself: the tail
  // is laid out once per batch, and a batch may write the same new key twice.
  std::map<TailKey, double> added;
  for (const auto& c : changes) {
    PaceStep(pacer);
    if (PaceStopped(pacer)) return Stopped();
    const auto* de = cat_->DataElements().ById(c.key.data_element_id);
    if (!de || !tree.Contains(c.key.org_unit_id)) continue;
    auto pit = period_index_.find(c.key.period_id);
    if (pit == period_index_.end()) {
      if (unplaced_periods_.count(c.key.period_id)) continue;
      // The store's periods were read before the change's own was committed (a read from an
      // older snapshot): skipped, the value would be missing from this engine for good. An
      // error has the host build the engine from the store instead (EngineHost::Current).
      return Internal("the period (id " + std::to_string(c.key.period_id) +
                      ") of a changed value is not among the store's periods");
    }
    // A bool and a plain double, not the optional itself: GCC 12 at -O3 reports the optional's
    // value as maybe uninitialized once this is inlined into a unity build (a false warning).
    const std::optional<double> parsed = c.deleted ? std::nullopt : NumericValue(*de, c.value);
    const bool live = parsed.has_value();
    const double x = live ? *parsed : kDeleted;
    const std::int32_t pre = tree.Pre(c.key.org_unit_id);
    const std::uint16_t p = pit->second;
    const std::uint16_t coc = ComboIndex(c.key.coc_id), aoc = ComboIndex(c.key.aoc_id);
    if (coc == kNoCombo || aoc == kNoCombo) continue;
    // In the base or the tail: changed in place (a deletion leaves NaN).
    bool found = false;
    for (Columns* c : {&base_, &tail_}) {
      auto [b, e] = c->Run(de->id, pre, pre);
      std::size_t at = e;
      for (std::size_t i = b; i < e && at == e; ++i)
        if (c->period[i] == p && c->coc[i] == coc && c->aoc[i] == aoc) at = i;
      if (at == e) continue;
      const bool was = !std::isnan(c->value[at]);
      c->value.Mutable(at) = x;
      live_ = live_ - (was ? 1 : 0) + (live ? 1 : 0);
      if (c == &base_ && HasRollup(de->id)) RecomputeRollupEntry(de->id, pre, p);
      found = true;
      break;
    }
    if (found) continue;
    // New to both: laid into the tail with the batch's other new values, below.
    const TailKey key{de->id, pre, period_start_[p], p, coc, aoc};
    auto it = added.find(key);
    if (live) {
      if (it == added.end()) {
        added.emplace(key, x);
        ++live_;
      } else {
        it->second = x;
      }
    } else if (it != added.end()) {
      added.erase(it);
      --live_;
    }
  }
  PacePause(pacer);
  if (added.empty()) return Status::Ok();
  // The tail's live values and the new ones, each run in key order and sharing no key (a key
  // either holds is changed in place above): one linear merge instead of a sort.
  const std::size_t limit = MergeLimit() * (tail_merge == TailMerge::kMerge ? 1 : kLeftTailFactor);
  const bool merge = tail_.value.size() + added.size() > limit;
  // The base and the tail become the new base when merging; else the tail is laid out again.
  std::vector<Row> rows = LiveRows(merge, added.size(), pacer);
  if (PaceStopped(pacer)) return Stopped();
  const auto from_added = static_cast<std::ptrdiff_t>(rows.size());
  for (const auto& [k, v] : added) {
    auto [de, pre, start, period, coc, aoc] = k;
    rows.push_back({de, pre, start, period, coc, aoc, v});
  }
  std::map<TailKey, double>().swap(added);
  std::inplace_merge(rows.begin(), rows.begin() + from_added, rows.end());
  PacePause(pacer);
  if (merge) {
    Rebuild(rows, pacer);
  } else {
    tail_.Layout(rows, base_.block.size(), pacer);
  }
  return PaceStopped(pacer) ? Stopped() : Status::Ok();
}

Status Engine::MergeTail(Pacer* pacer) {
  std::vector<Row> rows = LiveRows(true, 0, pacer);
  if (PaceStopped(pacer)) return Stopped();
  Rebuild(rows, pacer);
  return PaceStopped(pacer) ? Stopped() : Status::Ok();
}

std::vector<Engine::Row> Engine::LiveRows(bool with_base, std::size_t extra, Pacer* pacer) const {
  std::vector<Row> rows;
  rows.reserve((with_base ? live_ : tail_.value.size()) + extra);
  if (with_base) AppendLiveRows(base_, rows, pacer);
  const auto from_tail = static_cast<std::ptrdiff_t>(rows.size());
  AppendLiveRows(tail_, rows, pacer);
  std::inplace_merge(rows.begin(), rows.begin() + from_tail, rows.end());
  PacePause(pacer);
  return rows;
}

void Engine::AppendLiveRows(const Columns& c, std::vector<Row>& rows, Pacer* pacer) const {
  for (std::size_t de = 0; de < c.block.size(); ++de)
    for (std::size_t i = c.block[de].first; i < c.block[de].second; ++i) {
      PaceStep(pacer);
      if (PaceStopped(pacer)) return;
      if (!std::isnan(c.value[i]))
        rows.push_back({static_cast<std::int64_t>(de), c.pre[i], period_start_[c.period[i]],
                        c.period[i], c.coc[i], c.aoc[i], c.value[i]});
    }
}

std::optional<double> Engine::Aggregate(const Operand& op, std::int64_t unit, Date start, Date end,
                                        const ApprovedData* approved) const {
  const auto* de = cat_->DataElements().ByUid(op.element_uid);
  if (!de || !cat_->tree().Contains(unit)) return std::nullopt;
  const std::int32_t lo = cat_->tree().Pre(unit), hi = cat_->tree().Last(unit);
  const std::uint32_t coc = ComboFilter(op.coc_uid), aoc = ComboFilter(op.aoc_uid);
  if (approved && !approved->Gated(de->id)) approved = nullptr;
  auto v = AggregateRange(*de, lo, hi, coc, aoc, DayNumber(start), DayNumber(end), false, approved);
  if (!v)
    v = AggregateRange(*de, lo, hi, coc, aoc, DayNumber(start), DayNumber(end), true, approved);
  return v;
}

std::optional<double> Engine::AggregateRange(const storage::DataElementRecord& de, std::int32_t lo,
                                             std::int32_t hi, std::uint32_t coc, std::uint32_t aoc,
                                             std::int32_t start, std::int32_t stop, bool covering,
                                             const ApprovedData* approved) const {
  const std::string& type = de.aggregation_type;
  // Which periods of the table count: inside the range, or covering it.
  std::vector<char> counts(period_start_.size());
  for (std::size_t p = 0; p < counts.size(); ++p)
    counts[p] = covering ? (period_start_[p] <= start && period_end_[p] >= stop)
                         : (period_start_[p] >= start && period_end_[p] <= stop);
  // Unapproved values (approvalLevel) are left out like values of other periods.
  auto approved_at = [&](std::int32_t pre, std::uint16_t p) {
    return !approved || approved->Counts(de.id, pre, period_start_[p], period_end_[p]);
  };
  auto take = [&](const Columns& c, std::size_t i) {
    return !std::isnan(c.value[i]) && (!coc || c.coc[i] + 1u == coc) &&
           (!aoc || c.aoc[i] + 1u == aoc) && counts[c.period[i]] &&
           approved_at(c.pre[i], c.period[i]);
  };
  if (IsSimpleType(type)) {
    Acc acc;
    if (RollupAnswers(type) && !coc && !aoc && HasRollup(de.id)) {
      auto [rb, re] = roll_.block[static_cast<std::size_t>(de.id)];
      auto first = std::lower_bound(roll_.pre.begin() + rb, roll_.pre.begin() + re, lo);
      auto last = std::upper_bound(first, roll_.pre.begin() + re, hi);
      for (auto r = static_cast<std::size_t>(first - roll_.pre.begin());
           r < static_cast<std::size_t>(last - roll_.pre.begin()); ++r)
        if (roll_.count[r] && counts[roll_.period[r]] && approved_at(roll_.pre[r], roll_.period[r]))
          acc.AddRollup(roll_.sum[r], roll_.count[r]);
    } else {
      auto [b, e] = base_.Run(de.id, lo, hi);
      for (std::size_t i = b; i < e; ++i)
        if (take(base_, i)) acc.Add(base_.value[i]);
    }
    auto [tb, te] = tail_.Run(de.id, lo, hi);
    for (std::size_t i = tb; i < te; ++i)
      if (take(tail_, i)) acc.Add(tail_.value[i]);
    return acc.Result(type);
  }
  // Types that look at each unit's series: per unit, per period start, the sum over combos.
  std::map<std::int32_t, std::map<std::int32_t, double>> series_of;
  for (const Columns* c : {&base_, &tail_}) {
    auto [b, e] = c->Run(de.id, lo, hi);
    for (std::size_t i = b; i < e; ++i)
      if (take(*c, i)) series_of[c->pre[i]][period_start_[c->period[i]]] += c->value[i];
  }
  if (series_of.empty()) return std::nullopt;
  std::map<std::int32_t, double> by_period;  // AVERAGE: period → sum over units
  double total = 0;
  for (const auto& [pre, series] : series_of) {
    if (type == "AVERAGE") {
      for (const auto& [p, x] : series) by_period[p] += x;
    } else if (type == "AVERAGE_SUM_ORG_UNIT") {
      double s = 0;
      for (const auto& [p, x] : series) s += x;
      total += s / static_cast<double>(series.size());
    } else {  // LAST, LAST_AVERAGE_ORG_UNIT, and anything else a stock
      total += series.rbegin()->second;
    }
  }
  if (type == "AVERAGE") {
    double s = 0;
    for (const auto& [p, x] : by_period) s += x;
    return s / static_cast<double>(by_period.size());
  }
  if (type == "LAST_AVERAGE_ORG_UNIT") return total / static_cast<double>(series_of.size());
  return total;
}

std::vector<std::optional<double>> Engine::Cells(const Operand& op,
                                                 const std::vector<std::int64_t>& units,
                                                 const std::vector<std::pair<Date, Date>>& periods,
                                                 const ApprovedData* approved) const {
  const std::size_t np = periods.size();
  std::vector<std::optional<double>> out(units.size() * np);
  auto slow = [&] {
    for (std::size_t u = 0; u < units.size(); ++u)
      for (std::size_t p = 0; p < np; ++p)
        out[u * np + p] = Aggregate(op, units[u], periods[p].first, periods[p].second, approved);
    return out;
  };
  const auto* de = cat_->DataElements().ByUid(op.element_uid);
  if (de && approved && !approved->Gated(de->id)) approved = nullptr;
  if (!de || units.empty() || np == 0 || !IsSimpleType(de->aggregation_type)) return slow();
  const std::string& type = de->aggregation_type;
  const auto& tree = cat_->tree();
  // Which requested unit each pre-order number belongs to (-1: none).
  std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = -1;
  for (auto u : units) {
    if (!tree.Contains(u)) return slow();
    lo = std::min(lo, tree.Pre(u));
    hi = std::max(hi, tree.Last(u));
  }
  std::vector<std::int32_t> unit_at(static_cast<std::size_t>(hi - lo + 1), -1);
  for (std::size_t i = 0; i < units.size(); ++i)
    for (auto p = tree.Pre(units[i]); p <= tree.Last(units[i]); ++p) {
      auto& slot = unit_at[static_cast<std::size_t>(p - lo)];
      if (slot != -1) return slow();  // nested units: each cell on its own
      slot = static_cast<std::int32_t>(i);
    }
  // Which requested period each period of the table lies inside (-1: none); the requested
  // periods must not overlap.
  {
    std::vector<std::pair<std::int32_t, std::int32_t>> sorted;
    for (const auto& [s, e] : periods) sorted.push_back({DayNumber(s), DayNumber(e)});
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t k = 1; k < sorted.size(); ++k)
      if (sorted[k].first <= sorted[k - 1].second) return slow();
  }
  std::vector<std::int32_t> slot_of(period_start_.size(), -1);
  for (std::size_t p = 0; p < slot_of.size(); ++p)
    for (std::size_t k = 0; k < np; ++k)
      if (period_start_[p] >= DayNumber(periods[k].first) &&
          period_end_[p] <= DayNumber(periods[k].second))
        slot_of[p] = static_cast<std::int32_t>(k);
  const std::uint32_t coc = ComboFilter(op.coc_uid), aoc = ComboFilter(op.aoc_uid);
  std::vector<Acc> acc(out.size());
  auto cell = [&](std::int32_t pre, std::uint16_t period) -> Acc* {
    const std::int32_t u = unit_at[static_cast<std::size_t>(pre - lo)];
    const std::int32_t k = slot_of[period];
    if (u < 0 || k < 0) return nullptr;
    if (approved && !approved->Counts(de->id, pre, period_start_[period], period_end_[period]))
      return nullptr;  // approvalLevel: not approved there
    return &acc[static_cast<std::size_t>(u) * np + static_cast<std::size_t>(k)];
  };
  // Values whose period starts before the first requested period or after the last one can
  // count in no cell. Each unit's run is sorted by period start, so only a slice of it is read
  // (a long history costs a binary search per unit, not a scan).
  std::int32_t min_start = std::numeric_limits<std::int32_t>::max(), max_end = 0;
  for (const auto& [s, e] : periods) {
    min_start = std::min(min_start, DayNumber(s));
    max_end = std::max(max_end, DayNumber(e));
  }
  auto slices = [&](const Column<std::int32_t>& pre, const Column<std::uint16_t>& period,
                    std::size_t b, std::size_t e, auto&& visit) {
    for (std::size_t u = b; u < e;) {
      const std::size_t end = static_cast<std::size_t>(
          std::upper_bound(pre.begin() + static_cast<std::ptrdiff_t>(u),
                           pre.begin() + static_cast<std::ptrdiff_t>(e), pre[u]) -
          pre.begin());
      if (unit_at[static_cast<std::size_t>(pre[u] - lo)] >= 0) {
        std::size_t a = u, z = end;  // first index whose period starts at or after min_start
        while (a < z) {
          const std::size_t m = (a + z) / 2;
          if (period_start_[period[m]] < min_start)
            a = m + 1;
          else
            z = m;
        }
        for (; a < end && period_start_[period[a]] <= max_end; ++a) visit(a);
      }
      u = end;
    }
  };
  auto raw = [&](const Columns& c) {
    auto [b, e] = c.Run(de->id, lo, hi);
    slices(c.pre, c.period, b, e, [&](std::size_t i) {
      if (std::isnan(c.value[i]) || (coc && c.coc[i] + 1u != coc) || (aoc && c.aoc[i] + 1u != aoc))
        return;
      if (Acc* a = cell(c.pre[i], c.period[i])) a->Add(c.value[i]);
    });
  };
  if (RollupAnswers(type) && !coc && !aoc && HasRollup(de->id)) {
    auto [rb, re] = roll_.block[static_cast<std::size_t>(de->id)];
    auto first = std::lower_bound(roll_.pre.begin() + rb, roll_.pre.begin() + re, lo);
    auto last = std::upper_bound(first, roll_.pre.begin() + re, hi);
    slices(roll_.pre, roll_.period, static_cast<std::size_t>(first - roll_.pre.begin()),
           static_cast<std::size_t>(last - roll_.pre.begin()), [&](std::size_t r) {
             if (roll_.count[r])
               if (Acc* a = cell(roll_.pre[r], roll_.period[r]))
                 a->AddRollup(roll_.sum[r], roll_.count[r]);
           });
  } else {
    raw(base_);
  }
  raw(tail_);
  // A cell with no value inside its period may still be answered by the covering rule (an
  // annual task): Aggregate's first pass, over the periods inside, would find nothing again, so
  // only its second is run, and only where it can find something: a period of the table covers
  // the cell's and the unit's subtree holds a value of the element. (A heavy query's units
  // without data made this a sixth of its time when each such cell ran both passes.)
  std::vector<char> coverable(np, 0);
  for (std::size_t k = 0; k < np; ++k)
    for (std::size_t p = 0; p < period_start_.size() && !coverable[k]; ++p)
      coverable[k] = period_start_[p] <= DayNumber(periods[k].first) &&
                     period_end_[p] >= DayNumber(periods[k].second);
  std::vector<signed char> holds(units.size(), -1);  // -1: not looked at yet
  const AccKind kind = KindOf(type);
  for (std::size_t c = 0; c < out.size(); ++c) {
    if (acc[c].count != 0) {
      out[c] = acc[c].Result(kind);
      continue;
    }
    const std::size_t u = c / np, k = c % np;
    if (!coverable[k]) continue;
    const std::int32_t ulo = tree.Pre(units[u]), uhi = tree.Last(units[u]);
    if (holds[u] < 0) {
      auto [b, e] = base_.Run(de->id, ulo, uhi);
      auto [tb, te] = tail_.Run(de->id, ulo, uhi);
      holds[u] = b != e || tb != te;
    }
    if (!holds[u]) continue;
    out[c] = AggregateRange(*de, ulo, uhi, coc, aoc, DayNumber(periods[k].first),
                            DayNumber(periods[k].second), true, approved);
  }
  return out;
}

void Engine::ForEachValue(const std::vector<std::int64_t>& des, std::int32_t lo, std::int32_t hi,
                          const std::function<void(const RawValue&)>& visit) const {
  // Store ids back from the engine's 16-bit indexes, once per call.
  std::vector<std::int64_t> period_id(period_start_.size(), 0), combo_id(kNoCombo, 0);
  for (const auto& [id, index] : period_index_) period_id[index] = id;
  for (std::size_t id = 0; id < combo_index_.size(); ++id)
    if (combo_index_[id] != kNoCombo) combo_id[combo_index_[id]] = static_cast<std::int64_t>(id);
  const auto& tree = cat_->tree();
  for (std::int64_t de : des)
    for (const Columns* c : {&base_, &tail_}) {
      auto [b, e] = c->Run(de, lo, hi);
      for (std::size_t i = b; i < e; ++i)
        if (!std::isnan(c->value[i]))
          visit({de, tree.IdAt(c->pre[i]), period_id[c->period[i]], combo_id[c->coc[i]],
                 combo_id[c->aoc[i]], c->value[i]});
    }
}

std::optional<std::vector<double>> Engine::CellHistory(const storage::DataValueKey& key) const {
  const auto& tree = cat_->tree();
  if (!cat_->DataElements().ById(key.data_element_id) || !tree.Contains(key.org_unit_id))
    return std::nullopt;
  const std::uint16_t coc = ComboIndex(key.coc_id), aoc = ComboIndex(key.aoc_id);
  if (coc == kNoCombo || aoc == kNoCombo) return std::nullopt;
  // The key's own period, when the engine has it (a period new to it holds no value here).
  const auto own = period_index_.find(key.period_id);
  const std::uint32_t skip = own == period_index_.end() ? 0x10000u : own->second;
  const std::int32_t pre = tree.Pre(key.org_unit_id);
  std::vector<double> out;
  for (const Columns* c : {&base_, &tail_}) {
    auto [b, e] = c->Run(key.data_element_id, pre, pre);
    for (std::size_t i = b; i < e; ++i)
      if (c->coc[i] == coc && c->aoc[i] == aoc && c->period[i] != skip && !std::isnan(c->value[i]))
        out.push_back(c->value[i]);
  }
  return out;
}

std::optional<double> Engine::Reporting(const Operand& op, std::int64_t unit, Date start,
                                        Date end) const {
  const auto* ds = cat_->DataSets().ByUid(op.element_uid);
  if (!ds || !cat_->tree().Contains(unit)) return std::nullopt;
  auto type = ParsePeriodType(ds->period_type);
  if (!type.ok()) return std::nullopt;
  const auto periods = PeriodsWithin(*type, start, end);
  const auto& tree = cat_->tree();
  double expected = 0;
  for (const auto& uid : ds->org_unit_uids)
    if (const auto* u = cat_->OrgUnits().ByUid(uid); u && tree.IsInSubtree(u->id, unit))
      expected += static_cast<double>(periods.size());
  // A report counts as sent when the unit has any value of the set for the period.
  std::set<std::pair<std::int32_t, std::int32_t>> sent;
  const std::int32_t lo = tree.Pre(unit), hi = tree.Last(unit);
  for (const auto& e : ds->elements) {
    const auto* de = cat_->DataElements().ByUid(e.data_element_uid);
    if (!de) continue;
    for (const Columns* c : {&base_, &tail_}) {
      auto [b, en] = c->Run(de->id, lo, hi);
      for (std::size_t i = b; i < en; ++i) {
        const std::int32_t s = period_start_[c->period[i]];
        if (!std::isnan(c->value[i]) && s >= DayNumber(start) &&
            period_end_[c->period[i]] <= DayNumber(end))
          sent.insert({c->pre[i], s});
      }
    }
  }
  double actual = static_cast<double>(sent.size());
  if (op.metric == "EXPECTED_REPORTS") return expected;
  if (op.metric == "ACTUAL_REPORTS") return actual;
  if (expected == 0) return std::nullopt;
  return actual / expected * 100.0;
}

double Engine::GroupCount(const std::string& group_uid, std::int64_t unit) const {
  const auto* g = cat_->OrgUnitGroups().ByUid(group_uid);
  if (!g) return 0;
  double n = 0;
  for (const auto& uid : g->org_unit_uids)
    if (const auto* u = cat_->OrgUnits().ByUid(uid); u && cat_->tree().IsInSubtree(u->id, unit))
      ++n;
  return n;
}

}  // namespace weijian::analytics
