// Data release pages (数据发布): for one program and year, a table of task, done and rate per
// child unit and for the whole unit, and a chart of the same figures, written from the
// analytics engine when the page is generated; the page keeps those numbers as published.
#pragma once

#include <memory>

#include "analytics/approved_data.h"
#include "analytics/engine.h"
#include "portal/programs.h"
#include "portal/site.h"

namespace weijian::portal {

// The article text (Markdown with a table and a ```chart block) for `program` over the
// children of `unit` in `year`. NotFound when there is no data at all. With `approved`, only
// approved data (analytics' approvalLevel), and the page says so (截至…已审核数据).
Result<ArticleInput> BuildDataRelease(
    const Program& program, const analytics::Engine& engine, std::int64_t unit, int year,
    std::int64_t now, std::shared_ptr<const analytics::ApprovedData> approved = nullptr);

}  // namespace weijian::portal
