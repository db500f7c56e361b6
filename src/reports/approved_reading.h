// What published figures rest on (issue 11): data approved at the first approval level or above
// (analytics' approvalLevel), read the same way by the workbench, the `weijian report` command
// and the check of a published report against the data as it is now.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analytics/approved_data.h"
#include "core/date.h"
#include "exchange/approval.h"

namespace weijian::reports {

// Data approved at `level` (uid, code or name) or above, as the approvals stand now.
Result<std::shared_ptr<const analytics::ApprovedData>> ApprovedAt(
    exchange::ApprovalService& approvals, const metadata::Catalog& cat, const std::string& level);

// What reports and data releases read by default: data approved at the first approval level (the
// lowest, which approves first) or above — null when no level exists — and the names of the
// units of `unit`'s subtree that `readable` lets through and that are not yet approved for the
// finished periods in [start, end].
struct ApprovedReading {
  std::shared_ptr<const analytics::ApprovedData> approved;
  std::vector<std::string> unapproved;
};
Result<ApprovedReading> ReadApproved(exchange::ApprovalService& approvals,
                                     const metadata::Catalog& cat,
                                     const storage::OrgUnitRecord& unit, Date start, Date end,
                                     Date today, const std::function<bool(std::int64_t)>& readable);

}  // namespace weijian::reports
