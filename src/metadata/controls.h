// The metadata of 上报 → 审核 and of locks, in DHIS2 bundles: dataApprovalLevels (one per org
// unit level), dataApprovalWorkflows (period type, levels, data sets), each data set's
// `workflow` and `dataInputPeriods`, and each data element's `assignedLevel` (weijian's own:
// targets and populations set by a level above; units below read them and never write them).
//
// Read from a bundle after the bundle's own objects have their uids, checked whole before
// anything is written; exported beside the objects they annotate. Small: a handful of levels and
// workflows, one row per data set.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metadata/catalog.h"

namespace weijian::metadata {

// `data_set_uids[i]` and `data_element_uids[i]` are the uids the importer gave the bundle's
// dataSets[i] and dataElements[i]. Errors name the field ("dataApprovalWorkflows[0].periodType").
Result<storage::ControlRecords> ReadControls(const nlohmann::json& bundle,
                                             const std::vector<std::string>& data_set_uids,
                                             const std::vector<std::string>& data_element_uids,
                                             const Catalog& current);

// Adds dataApprovalLevels and dataApprovalWorkflows to `out`, and `workflow`,
// `dataInputPeriods` and `assignedLevel` to the objects already in out["dataSets"] and
// out["dataElements"].
void ExportControls(const Catalog& catalog, nlohmann::json& out);

// DHIS2's JSON of one level and one workflow (for /api/dataApprovalLevels and …Workflows).
nlohmann::json ApprovalLevelJson(const storage::DataApprovalLevelRecord& level);
nlohmann::json ApprovalWorkflowJson(const Catalog& catalog,
                                    const storage::DataApprovalWorkflowRecord& workflow);

}  // namespace weijian::metadata
