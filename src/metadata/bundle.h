// DHIS2 metadata bundles (GET/POST /api/metadata): the subset weijian models.
//
// Import resolves every reference ({"id": …} or {"code": …}) against the bundle itself and then
// against what is stored, checks every field, generates the category option combos a bundle
// leaves out, and writes all of it in one transaction or nothing. Objects without an id get a
// stable uid from their code, so the same bundle imported into two instances yields the same uids.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::metadata {

struct MetadataImportReport {
  int created = 0;
  int updated = 0;
  int deleted = 0;
  int ignored = 0;
  nlohmann::json type_reports = nlohmann::json::array();
  // Collections and fields left out (weijian does not store them), each naming what and where.
  nlohmann::json warnings = nlohmann::json::array();
  bool committed = true;
  // Objects refused alone under atomicMode=NONE (their error reports are in type_reports).
  int refused = 0;
  nlohmann::json ToJson() const;
};

// Checks one validation rule expression's syntax; returns the keys (uid or code) of the data
// elements it names, or InvalidArgument "position N: why". The analytics layer owns the parser
// (analytics::ValidationExpressionCheck); metadata only calls it.
using ExpressionCheck = std::function<Result<std::vector<std::string>>(std::string_view)>;

// DHIS2's metadata import parameters that change what is written.
struct MetadataImportOptions {
  bool commit = true;  // importMode=VALIDATE: check everything, write nothing
  // kDelete: DHIS2's importStrategy=DELETE. Each object named (by id, else code) is deleted unless
  // something outside the bundle still refers to it (another object, data values): then it is
  // refused with E4030 naming what refers to it. Org units are never deleted by bundle.
  enum class Strategy {
    kCreateAndUpdate,
    kCreate,
    kUpdate,
    kDelete
  } strategy = Strategy::kCreateAndUpdate;
  // atomicMode=NONE: an object with an error is refused alone (an error report naming it, counted
  // as ignored) and the rest is imported; objects that refer to a refused one are refused in turn
  // (E5002). ALL, DHIS2's default for metadata: one error refuses the whole bundle.
  bool atomic_all = true;
  // DHIS2's identifier: how objects and references are matched with stored ones. kAuto (DHIS2's
  // default): by uid, else by code. kUid: by uid only (an object without id is new; a reference
  // needs an id). kCode: by code first (an object whose code is stored updates that object, its
  // own id then naming it inside the bundle), else by uid.
  enum class Identifier { kAuto, kUid, kCode } identifier = Identifier::kAuto;
  // mergeMode=MERGE: a property the bundle leaves out of an existing object keeps its stored
  // value. REPLACE (the default): the object becomes what the bundle says, defaults filling gaps.
  bool merge = false;
  // Validation rules are refused without it.
  ExpressionCheck check_expression;
};

// Validates and writes a bundle. Errors name the field, e.g.
// "dataElements[3].categoryCombo: no category combo with code \"AGE\"".
// With `audit`, its row (made from the report) is written in the same transaction.
Result<MetadataImportReport> ImportMetadata(
    const nlohmann::json& bundle, const Catalog& current, storage::Store& store,
    const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit = {});
Result<MetadataImportReport> ImportMetadata(
    const nlohmann::json& bundle, const Catalog& current, storage::Store& store,
    const MetadataImportOptions& options,
    const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit = {});

struct MetadataExportOptions {
  bool include_org_units = true;
  // When set, only org units it accepts appear (in the tree and in every reference to units).
  std::function<bool(const OrgUnitRecord&)> org_unit_filter;
};
nlohmann::json ExportMetadata(const Catalog& catalog, const MetadataExportOptions& options = {});

// DHIS2's error report for a refused object ({message, mainKlass, errorCode, errorProperty,
// errorProperties}) from the error that refused it: E5002 an invalid reference, E4000 a missing
// required property, E5003 a duplicate, E5000 an existing object under CREATE, E5001 no object to
// update or delete, E4030 an object still referred to (not deleted), E4001 otherwise.
nlohmann::json ErrorReportFor(const Status& s);

// Where an error's field points in the bundle: "dataElements[1].code" is collection
// "dataElements", index 1, property "code". Index -1 when the field names no object.
struct BundlePosition {
  std::string collection;
  long index = -1;
  std::string property;
};
BundlePosition PositionOf(const std::string& field);

// Creates the default category combo, category, option and option combo when absent.
Status EnsureDefaults(storage::Store& store);

// One org unit as DHIS2 shows it; `detail` adds path, ancestors and children.
nlohmann::json OrgUnitJson(const Catalog& catalog, const OrgUnitRecord& unit, bool detail);

}  // namespace weijian::metadata
