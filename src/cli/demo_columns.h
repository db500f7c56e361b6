// The demo's content for the column tree's new columns: 办事指南 guides, single pages of 机构概况
// and 政务公开, and a notice in each other column, all fictional (see demo_columns.cc).
#pragma once

#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

Status BuildDemoColumns(storage::Store& store);

}  // namespace weijian::cli
