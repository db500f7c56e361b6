// The demo's validation rules (干预人数 ≤ 高风险人数, 出报告人数 ≤ 预约人数, 规范管理人数 ≤
// 在册人数, 确诊 ≤ 检测 …), grouped per form, with the compulsory cells of the township monthly
// report.
#pragma once

#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

// Imports the rules, then makes the demo's drawn values consistent with the "≤" rules while
// keeping every county-year total (the published figures) unchanged, and leaves a handful of
// realistic failures in the last month of 鄂托克旗 so the checks have something to show.
Status AddDemoRules(storage::Store& store);

}  // namespace weijian::cli
