// The 预防接种证 and the 预约通知单 as PDF, from the JSON ImmunizationService::Certificate and
// ::Notice answer (already masked for the caller), through the reports' PDF renderer (A4, the
// document faces of reports/fonts.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace weijian::tracker {

Result<std::string> CertificatePdf(const nlohmann::json& certificate);
Result<std::string> NoticePdf(const nlohmann::json& notice);

}  // namespace weijian::tracker
