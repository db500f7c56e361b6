#include "reports/approved_reading.h"

namespace weijian::reports {

Result<std::shared_ptr<const analytics::ApprovedData>> ApprovedAt(
    exchange::ApprovalService& approvals, const metadata::Catalog& cat, const std::string& level) {
  WJ_ASSIGN_OR_RETURN(auto snap, approvals.Snapshot());
  std::vector<storage::DataApprovalRecord> all;
  for (const auto& [key, by_unit] : snap->approvals)
    for (const auto& [unit, a] : by_unit) all.push_back(a);
  return analytics::ApprovedData::Build(cat, level, all);
}

Result<ApprovedReading> ReadApproved(exchange::ApprovalService& approvals,
                                     const metadata::Catalog& cat,
                                     const storage::OrgUnitRecord& unit, Date start, Date end,
                                     Date today,
                                     const std::function<bool(std::int64_t)>& readable) {
  ApprovedReading out;
  const storage::DataApprovalLevelRecord* first = nullptr;  // the lowest: approves first
  for (const auto& l : cat.controls().levels)
    if (!first || l.org_unit_level > first->org_unit_level) first = &l;
  if (!first) return out;
  WJ_ASSIGN_OR_RETURN(out.approved, ApprovedAt(approvals, cat, first->uid));
  WJ_ASSIGN_OR_RETURN(auto units, approvals.Unapproved(cat, unit, start, end, today, readable));
  for (const auto* u : units) out.unapproved.push_back(u->name);
  return out;
}

}  // namespace weijian::reports
