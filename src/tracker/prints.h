// The 预防接种证 and the 预约通知单 as PDF, from the JSON ImmunizationService::Certificate and
// ::Notice answer (already masked for the caller), through the reports' PDF renderer (A4, the
// document faces of reports/fonts.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace weijian::tracker {

Result<std::string> CertificatePdf(const nlohmann::json& certificate);
Result<std::string> NoticePdf(const nlohmann::json& notice);

// One CSV line's cells (RFC 4180 quotes; comma or tab), trimmed; `pos` moves past the line.
// Class lists (入托入学查验) and the 接种卡 register (ImportRegisterCsv) are read with it.
std::vector<std::string> CsvLine(const std::string& text, std::size_t& pos);

}  // namespace weijian::tracker
