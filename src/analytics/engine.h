// The analytics engine: every numeric data value in memory, column by column, ready to aggregate
// over any org-unit subtree and period range, and kept current by every committed write.
//
// Values live in two segments with the same column layout, each sorted by (data element, unit in
// pre-order, period start): the base, built from the store, and a small tail of values that were
// new since. One element's values over one subtree are a contiguous run of each, found by binary
// search, and the per-unit grouping that LAST and AVERAGE_SUM_ORG_UNIT need falls out of the
// order. A write to a value the base holds changes it in place (a deletion leaves NaN, which every
// scan skips); so does a write to a value the tail holds; a value new to both goes to the tail,
// which is laid out again with it (a batch's new values together); when the tail grows past a
// sixteenth of the base the two are merged (by Apply, or by MergeTail off a query's path:
// EngineHost). Both segments are columns that a copy of the engine shares (column.h), so
// copying an engine costs pointers, never its values. Elements with disaggregations also keep a
// rollup: per (unit, period) the sum and count of their values over all option combinations,
// which answers the usual "whole element" question from a fraction of the rows, exactly (it is
// recomputed from the raw values whenever one of them changes).
//
// Not thread-safe for writers: the owner (http::App) serialises Apply against queries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "analytics/column.h"
#include "analytics/expression.h"
#include "core/date.h"
#include "core/pacer.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::analytics {

class ApprovedData;

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Build(storage::Store& store,
                                               std::shared_ptr<const metadata::Catalog> catalog);

  // The engine as a file (engine_snapshot.cc), stamped with the change-log sequence number it
  // is current at and a checksum: a start loads it instead of reading every value.
  Status SaveSnapshot(const std::string& path, std::int64_t seq) const;
  // Fails (and nothing is loaded) when the file is missing, corrupt, of another format, built
  // with other metadata (`catalog_stamp`), or not current at `seq`.
  static Result<std::unique_ptr<Engine>> LoadSnapshot(
      const std::string& path, std::int64_t seq, std::shared_ptr<const metadata::Catalog> catalog);

  // Applies committed changes of data values (from the store's listener), so the next query
  // sees them. Periods the engine has not seen yet are read from the store. With `kMerge`, a
  // tail grown past the merge threshold is merged into the base here (a pass over every value);
  // with `kLeaveTail` it is left to grow (TailWantsMerge) for MergeTail, off the caller's path,
  // up to kLeftTailFactor times the threshold: each apply lays the tail out again, so a tail
  // left to grow without bound (a builder starved of CPU) would make every apply slower.
  // An error (the periods unreadable, or a change's period not among them) leaves this engine
  // part-way: it is a copy to drop, as EngineHost's are; the host then builds from the store.
  // With a `pacer` (a builder thread's, off every query's path), the work rests between
  // stretches (core/pacer.h): a change or a row is a step, and each phase ends with a pause.
  // Once the pacer is stopped (its host stops), the work ends at the next step with Unavailable,
  // leaving the engine part-way as an error does.
  enum class TailMerge { kMerge, kLeaveTail };
  static constexpr std::size_t kLeftTailFactor = 4;
  Status Apply(std::span<const storage::DataValueChange> changes, storage::Store& store,
               TailMerge merge = TailMerge::kMerge, Pacer* pacer = nullptr);
  // The tail holds more than the merge threshold.
  bool TailWantsMerge() const { return tail_.value.size() > MergeLimit(); }
  // Merges the tail into the base (the base and the rollup laid out again), paced and stopped as
  // Apply (the only error).
  Status MergeTail(Pacer* pacer = nullptr);

  // The aggregate of a data element operand over the subtree of `unit` and the days
  // [start, end], by the element's aggregation type. nullopt when there is no data. A value
  // counts when its period lies inside the range; an element with no such value there answers
  // with the values whose period covers the whole range (an annual task for 1-7月). With
  // `approved`, only the values it counts (analytics' approvalLevel).
  std::optional<double> Aggregate(const Operand& op, std::int64_t unit, Date start, Date end,
                                  const ApprovedData* approved = nullptr) const;
  // The same for many cells at once: every (unit, period) pair, in one pass over the element's
  // values. Only for SUM, COUNT, MIN and MAX with units whose subtrees do not overlap and periods
  // that do not overlap; otherwise (or for a cell without data inside its period) it falls back
  // to Aggregate cell by cell. Result index: unit * periods.size() + period.
  std::vector<std::optional<double>> Cells(const Operand& op,
                                           const std::vector<std::int64_t>& units,
                                           const std::vector<std::pair<Date, Date>>& periods,
                                           const ApprovedData* approved = nullptr) const;
  // Every live value of the elements `des` (store ids) at units with pre-order numbers in
  // [lo, hi], with store ids, element by element in (unit, period start) order: for work on raw
  // values rather than aggregates (outlier detection), without reading the store.
  struct RawValue {
    std::int64_t de, org_unit, period, coc, aoc;
    double value;
  };
  void ForEachValue(const std::vector<std::int64_t>& des, std::int32_t lo, std::int32_t hi,
                    const std::function<void(const RawValue&)>& visit) const;
  // A unit's history of one cell, from memory: the live values of the key's element, unit and
  // combinations at every period but the key's own (the range check of a saved cell,
  // DataValueService::CheckRange). nullopt when the engine cannot tell: the element, the unit or
  // a combination is not in its catalog.
  std::optional<std::vector<double>> CellHistory(const storage::DataValueKey& key) const;
  // Reporting: expected and actual reports of a data set over a subtree and range.
  std::optional<double> Reporting(const Operand& op, std::int64_t unit, Date start, Date end) const;
  // Units of a group inside the subtree.
  double GroupCount(const std::string& group_uid, std::int64_t unit) const;

  // Live values (deleted ones excluded).
  std::size_t size() const { return live_; }
  std::size_t memory_bytes() const;
  // Of memory_bytes(), what this engine shares with no other (a copy shares the columns until
  // one of the two writes to them: column.h).
  std::size_t own_bytes() const;
  // The big columns are read in place from a mapped snapshot file (LoadSnapshot), not copied.
  bool reads_snapshot_in_place() const { return base_.value.mapped(); }
  // Values written since the base was built or last merged.
  std::size_t tail_size() const { return tail_.value.size(); }
  // The tail is merged into the base when it holds more than this many values (by default
  // max(65,536, base / 16)).
  void set_merge_threshold(std::size_t n) { merge_threshold_ = n; }
  const metadata::Catalog& catalog() const { return *cat_; }

 private:
  struct Row {
    std::int64_t de;
    std::int32_t pre, start;
    std::uint16_t period, coc, aoc;
    double value;
    auto Key() const { return std::tie(de, pre, start, period, coc, aoc); }
    bool operator<(const Row& o) const { return Key() < o.Key(); }
  };
  // Columns sorted by (element, unit pre-order, period start). Each is a vector or a view of a
  // mapped snapshot file, shared with the engines copied from this one (column.h); only the
  // values change in place (copy-on-write, by chunk).
  struct Columns {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> block;  // by element store id
    Column<std::int32_t> pre;
    // Periods by a 16-bit index into the engine's period table: 2 bytes a value instead of 8.
    Column<std::uint16_t> period;
    // Option combinations by a 16-bit index into the engine's combination dictionary.
    Column<std::uint16_t> coc, aoc;
    CowColumn<double> value;  // NaN: deleted since the base was built
    void Layout(const std::vector<Row>& sorted, std::size_t elements, Pacer* pacer = nullptr);
    // [begin, end) of the element's values for units with pre-order numbers in [lo, hi].
    std::pair<std::size_t, std::size_t> Run(std::int64_t de, std::int32_t lo,
                                            std::int32_t hi) const;
    std::size_t Bytes() const;
    std::size_t OwnBytes() const;
  };
  // Per (element, unit, period): the sum and count of its live values over all combinations.
  struct Rollup {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> block;  // empty block: no rollup
    Column<std::int32_t> pre;
    Column<std::uint16_t> period;
    CowColumn<double> sum;
    CowColumn<std::uint16_t> count;
    std::size_t Bytes() const;
    std::size_t OwnBytes() const;
  };
  using TailKey = std::tuple<std::int64_t, std::int32_t, std::int32_t, std::uint16_t, std::uint16_t,
                             std::uint16_t>;  // element, pre, start, period, coc, aoc
  static constexpr std::uint16_t kNoCombo = 0xFFFF;
  // The dictionary index of a combination's store id; kNoCombo when unknown.
  std::uint16_t ComboIndex(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < combo_index_.size()
               ? combo_index_[static_cast<std::size_t>(id)]
               : kNoCombo;
  }
  // For an operand's combination uid: 0 when none is picked (any), else its index + 1.
  std::uint32_t ComboFilter(const std::string& uid) const;

  // Lays out the base and the rollup from sorted `rows` (part-way when the pacer stops).
  void Rebuild(std::vector<Row>& rows, Pacer* pacer = nullptr);
  void BuildRollup(Pacer* pacer = nullptr);
  void RecomputeRollupEntry(std::int64_t de, std::int32_t pre, std::uint16_t period);
  bool HasRollup(std::int64_t de) const;
  std::size_t Elements() const;
  std::size_t Others() const;  // memory besides the columns: the period and combination tables
  std::size_t MergeLimit() const {
    return merge_threshold_ ? merge_threshold_
                            : std::max<std::size_t>(65536, base_.value.size() / 16);
  }
  // The tail's live values, with the base's before them when `with_base`, in key order (both
  // are sorted and share no key: one linear merge), with room for `extra` more.
  std::vector<Row> LiveRows(bool with_base, std::size_t extra, Pacer* pacer) const;
  // Appends the live values of `c` (in its order) to `rows`.
  void AppendLiveRows(const Columns& c, std::vector<Row>& rows, Pacer* pacer) const;
  Status EnsurePeriods(std::span<const storage::DataValueChange> changes, storage::Store& store);
  std::optional<double> NumericValue(const storage::DataElementRecord& de,
                                     const std::string& text) const;

  std::optional<double> AggregateRange(const storage::DataElementRecord& de, std::int32_t lo,
                                       std::int32_t hi, std::uint32_t coc, std::uint32_t aoc,
                                       std::int32_t start, std::int32_t stop, bool covering,
                                       const ApprovedData* approved) const;

  std::shared_ptr<const metadata::Catalog> cat_;
  std::vector<std::int32_t> period_start_, period_end_;  // days since the epoch, by index
  std::map<std::int64_t, std::uint16_t> period_index_;   // store id → index
  // Store ids of periods whose ISO the engine cannot place in time: their values are left out
  // (as Build leaves them out), while a change in a period the store did not list is an error.
  std::set<std::int64_t> unplaced_periods_;
  std::vector<std::uint16_t> combo_index_;  // store id → index
  Columns base_, tail_;
  Rollup roll_;
  std::size_t live_ = 0;
  std::size_t merge_threshold_ = 0;  // 0: the default
};

}  // namespace weijian::analytics
