// The demo's 上报 → 审核 story (issue 11): a three-level workflow (乡镇 → 旗/区 → 市) over the
// township health centres' monthly report, the monthly data carried on from 2025 to the month
// before the build, past months approved level by level, the last months partly submitted, one
// form returned with its reason, and township targets (任务数) set by the 旗/区.
#pragma once

#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

// Runs after the demo's 2022–2024 data and users exist; leaves those values untouched.
Status BuildDemoApproval(storage::Store& store);

}  // namespace weijian::cli
