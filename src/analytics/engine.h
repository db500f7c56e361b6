// The analytics engine: every numeric data value in memory, column by column, ready to aggregate
// over any org-unit subtree and period range.
//
// Values are sorted by (data element, unit in pre-order, period start), so one element's values
// over one subtree are a contiguous run found by two binary searches, and the per-unit grouping
// that LAST and AVERAGE_SUM_ORG_UNIT need falls out of the order. Workload: queries outnumber
// writes; the engine is rebuilt from the store when data has changed since it was built
// (≈0.3 s for the 鄂尔多斯 demo's 290k values).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "analytics/expression.h"
#include "core/date.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::analytics {

class Engine {
 public:
  static Result<std::shared_ptr<const Engine>> Build(
      storage::Store& store, std::shared_ptr<const metadata::Catalog> catalog);

  // The aggregate of a data element operand over the subtree of `unit` and the days
  // [start, end], by the element's aggregation type. nullopt when there is no data. A value
  // counts when its period lies inside the range; an element with no such value there answers
  // with the values whose period covers the whole range (an annual task for 1-7月).
  std::optional<double> Aggregate(const Operand& op, std::int64_t unit, Date start, Date end) const;
  // The same for many cells at once: every (unit, period) pair, in one pass over the element's
  // values. Only for SUM, COUNT, MIN and MAX with units whose subtrees do not overlap and periods
  // that do not overlap; otherwise (or for a cell without data inside its period) it falls back
  // to Aggregate cell by cell. Result index: unit * periods.size() + period.
  std::vector<std::optional<double>> Cells(const Operand& op,
                                           const std::vector<std::int64_t>& units,
                                           const std::vector<std::pair<Date, Date>>& periods) const;
  // Reporting: expected and actual reports of a data set over a subtree and range.
  std::optional<double> Reporting(const Operand& op, std::int64_t unit, Date start, Date end) const;
  // Units of a group inside the subtree.
  double GroupCount(const std::string& group_uid, std::int64_t unit) const;

  std::size_t size() const { return value_.size(); }
  std::size_t memory_bytes() const;
  const metadata::Catalog& catalog() const { return *cat_; }

 private:
  std::optional<double> AggregateRange(const storage::DataElementRecord& de, std::size_t begin,
                                       std::size_t end, std::int64_t coc, std::int64_t aoc,
                                       std::int32_t start, std::int32_t stop, bool covering) const;

  std::shared_ptr<const metadata::Catalog> cat_;
  // Per data element (by store id): [begin, end) into the columns.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> block_of_element_;
  std::vector<std::int32_t> ou_pre_;
  // Periods by a 16-bit index into a small table (days since the epoch): 2 bytes a value
  // instead of 8, and the table stays in L1 cache.
  std::vector<std::uint16_t> period_;
  std::vector<std::int32_t> period_start_, period_end_;
  std::int32_t Start(std::size_t i) const { return period_start_[period_[i]]; }
  std::int32_t End(std::size_t i) const { return period_end_[period_[i]]; }
  std::vector<std::int32_t> coc_, aoc_;  // store ids
  std::vector<double> value_;
};

}  // namespace weijian::analytics
