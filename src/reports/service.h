// Reports as a staff member uses them: generate (with the next bulletin issue number), render
// in a format, publish to a portal column with the figures frozen, and compare a published
// report's figures with the data as it is now.
#pragma once

#include "exchange/approval.h"
#include "reports/render.h"
#include "reports/report.h"

namespace weijian::reports {

// Loads the template (stored or built-in) and builds the report. A bulletin without an issue
// number gets the next one of its year (issues count per year); its items are the 工作动态
// articles published in the period and the editor's `events`.
Result<Report> Generate(storage::Store& store, const analytics::Engine& engine,
                        ReportRequest request, std::int64_t now,
                        const std::vector<BulletinEntry>& events = {});

// "html", "pdf", "docx" or "xlsx"; the error names "format".
Result<std::string> Render(const Report& report, const std::string& format);
const char* ContentType(const std::string& format);

struct Published {
  std::string report_uid, article_uid;
};
// Freezes the report (its HTML and every figure) and publishes it as an article of `column`.
Result<Published> Publish(storage::Store& store, const Report& report, const ReportRequest& request,
                          const std::string& column, const std::string& note,
                          const std::string& user, std::int64_t now);

// The figures of a published report whose value differs now: [{key, text, published, now}]. A
// figure read from approved data is compared with the approved data now (a value entered but not
// yet approved changes nothing the public sees); older reports' figures, with no level, with
// everything entered. A coverage rate counted from the immunization records (a program
// indicator) is compared with the records as they stand, read from `program_indicators` (asked
// once, when a figure names one; as ReportRequest's). `reads_records`, when given, says whether
// a figure was read from the records: such an answer moves with the children's writes, not only
// with the data version.
Result<nlohmann::json> Differences(
    const storage::ReportRecord& report, const analytics::Engine& engine,
    exchange::ApprovalService& approvals,
    const std::function<Result<std::shared_ptr<const analytics::ProgramIndicatorSource>>()>&
        program_indicators,
    bool* reads_records = nullptr);

}  // namespace weijian::reports
