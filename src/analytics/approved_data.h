// DHIS2's analytics parameter approvalLevel: which data values count when a query asks for data
// approved at a given approval level or above it (逐级审核: data approved by the 旗/区 count as
// approved for the 乡镇 level too, since the 旗 approves only what its townships approved).
//
// A value of element e, unit u, days [s, t] counts when
// - e belongs to no data set with an approval workflow (nothing to approve: targets, populations),
// - or, for one of the workflows of e's data sets, every period of the workflow's type that
//   overlaps [s, t] holds an approval of u or of an ancestor of u made at the asked level or at a
//   level above it (a smaller org unit level),
// - or [s, t] ends before approval began: data from before (历史数据, 审核流程启用前) are final
//   as they stand. Approval began with the first period the workflow's top level approved (the
//   first time the whole chain, 逐级, was completed); approvals of old periods at lower levels
//   do not move it. A workflow its top level never approved has no such history: then only
//   approved data count.
//
// Built from one moment's approvals (≈10^4–10^5 records) per query that asks for it; a check is a
// hash lookup and two binary searches, so a scan over a county-year (≈10^5 values) stays cheap.
// Immutable once built: shared by the query's threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "metadata/catalog.h"
#include "storage/records.h"

namespace weijian::analytics {

class ApprovedData {
 public:
  // `level`: uid, code or name of an approval level (409 naming approvalLevel when unknown).
  static Result<std::shared_ptr<const ApprovedData>> Build(
      const metadata::Catalog& cat, const std::string& level,
      std::span<const storage::DataApprovalRecord> approvals);

  // Does a value of element `de` (store id) at the unit with pre-order number `pre` for the days
  // [start, end] (days since the epoch) count?
  bool Counts(std::int64_t de, std::int32_t pre, std::int32_t start, std::int32_t end) const;
  // Is the element subject to approval at all?
  bool Gated(std::int64_t de) const { return workflows_of_.count(de) != 0; }

  const storage::DataApprovalLevelRecord& level() const { return level_; }

 private:
  struct ApprovedPeriod {
    std::int32_t start = 0, end = 0;
    std::vector<std::pair<std::int32_t, std::int32_t>> ranges;  // disjoint pre-order ranges, sorted
    bool Holds(std::int32_t pre) const;
  };
  // Per workflow: its approved periods, sorted by start (periods of one type never overlap).
  std::vector<std::vector<ApprovedPeriod>> periods_;
  // Per workflow: the first day of the first period it approved (any level); INT32_MIN: none.
  std::vector<std::int32_t> since_;
  std::unordered_map<std::int64_t, std::vector<std::uint32_t>> workflows_of_;  // element → index
  storage::DataApprovalLevelRecord level_;
};

}  // namespace weijian::analytics
