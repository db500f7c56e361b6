#include "metadata/bundle.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "core/period.h"
#include "core/uid.h"
#include "metadata/bundle_position.h"
#include "metadata/controls.h"
#include "metadata/documents.h"
#include "metadata/value_type.h"

namespace weijian::metadata {

using nlohmann::json;

namespace {

// Fields DHIS2 exports that weijian does not model (beyond the server's bookkeeping,
// IsServerBookkeeping); accepted and ignored so that a bundle from DHIS2 imports as-is.
// Anything else unknown is an error: a typo must not pass silently.
const std::set<std::string>& IgnoredFields() {
  static const std::set<std::string> kFields = {"attributeValues",
                                                "formName",
                                                "legendSets",
                                                "aggregationLevels",
                                                "url",
                                                "style",
                                                "fieldMask",
                                                "displayNumeratorDescription",
                                                "displayDenominatorDescription",
                                                "annualized",
                                                "explodeNumerator",
                                                "dataInputPeriods",
                                                "sections",
                                                "compulsoryDataElementOperands",
                                                "notificationRecipients",
                                                "workflow",
                                                "version",
                                                "mobile",
                                                "skipOffline",
                                                "dataElementDecoration",
                                                "renderAsTabs",
                                                "renderHorizontally",
                                                "validCompleteOnly",
                                                "noValueRequiresComment",
                                                "fieldCombinationRequired",
                                                "compulsoryFieldsCompleteOnly",
                                                "notifyCompletingUser",
                                                "openPeriodsAfterCoEndDate",
                                                "formType",
                                                "indicators",
                                                "categoryOptionCombos",
                                                "categoryOptionGroups",
                                                "isDefault",
                                                "skipTotal",
                                                "ignoreApproval",
                                                "startDate",
                                                "endDate",
                                                "organisationUnits",
                                                "categories",
                                                "categoryOptions",
                                                "dataSetElements",
                                                "groupSets",
                                                "dataElementGroups",
                                                "periodType",
                                                "shortName",
                                                "description",
                                                "featureType",
                                                "geometry",
                                                "closedDate",
                                                "comment",
                                                "contactPerson",
                                                "address",
                                                "email",
                                                "phoneNumber",
                                                "children",
                                                "ancestors",
                                                "path",
                                                "leaf",
                                                "level",
                                                "hierarchyLevel",
                                                "dataSets",
                                                "programs",
                                                "users",
                                                "assignedLevel"};  // read by controls.cc
  return kFields;
}

// The collections this bundle format knows, in dependency order.
const std::vector<std::string>& Collections() {
  static const std::vector<std::string> kNames = {
      "organisationUnits",    "categoryOptions",        "categories", "categoryCombos",
      "categoryOptionCombos", "dataElements",           "dataSets",   "indicatorTypes",
      "indicators",           "organisationUnitGroups", "constants",  "validationRules",
      "validationRuleGroups"};
  return kNames;
}
const std::set<std::string>& IgnoredCollections() {
  static const std::set<std::string> kNames = {
      "system", "date", "dataElementGroups", "dataElementGroupSets", "indicatorGroups",
      "indicatorGroupSets", "organisationUnitLevels", "organisationUnitGroupSets",
      "categoryOptionGroups", "categoryOptionGroupSets", "legendSets", "optionSets", "options",
      "attributes", "sections", "userRoles", "users", "userGroups",
      // read by controls.cc
      "dataApprovalLevels", "dataApprovalWorkflows"};
  return kNames;
}

// Reads one object's fields, remembering which were used, and rejects unknown ones at the end.
class Fields {
 public:
  Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Result<std::string> Str(const std::string& name, bool required, std::string fallback = {}) {
    used_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) {
      if (required) return InvalidArgument("is required", Field(name));
      return fallback;
    }
    if (!it->is_string()) return InvalidArgument("must be a string", Field(name));
    return it->get<std::string>();
  }
  Result<double> Num(const std::string& name, double fallback) {
    used_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return fallback;
    if (!it->is_number()) return InvalidArgument("must be a number", Field(name));
    return it->get<double>();
  }
  Result<bool> Bool(const std::string& name, bool fallback) {
    used_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return InvalidArgument("must be true or false", Field(name));
    return it->get<bool>();
  }
  // A reference {"id": …} or {"code": …}; returns nullptr when absent.
  Result<const json*> Ref(const std::string& name, bool required) {
    used_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) {
      if (required) return InvalidArgument("is required", Field(name));
      return static_cast<const json*>(nullptr);
    }
    if (!it->is_object()) return InvalidArgument("must be an object {\"id\": …}", Field(name));
    return &*it;
  }
  Result<const json*> Array(const std::string& name) {
    used_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return static_cast<const json*>(nullptr);
    if (!it->is_array()) return InvalidArgument("must be an array", Field(name));
    return &*it;
  }
  // The fields weijian neither reads nor knows as DHIS2 bookkeeping: kept out of the import and
  // reported as warnings, as DHIS2 ignores properties its schema does not have.
  std::vector<std::string> Unknown() const {
    std::vector<std::string> out;
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (used_.count(it.key()) || it.key() == "id" || it.key() == "code" || it.key() == "name")
        continue;
      if (IsServerBookkeeping(it.key()) || IgnoredFields().count(it.key())) continue;
      out.push_back(it.key());
    }
    return out;
  }
  std::string Field(const std::string& name) const { return where_ + "." + name; }
  const std::string& where() const { return where_; }

 private:
  const json& obj_;
  std::string where_;
  std::set<std::string> used_;
};

// Tracks what the bundle defines, by uid and by code, per kind, so that references inside the
// bundle resolve before falling back to what is stored.
struct Defined {
  std::map<std::string, std::string> uid_by_code;
  std::set<std::string> uids;
  // identifier=CODE: the bundle's own id of an object matched by code → the stored uid.
  std::map<std::string, std::string> alias;
};

class Importer {
 public:
  Importer(const json& bundle, const Catalog& current, const MetadataImportOptions& options)
      : bundle_(bundle),
        cat_(current),
        check_(options.check_expression),
        vr_(&current.records().validation_rules),
        vrg_(&current.records().validation_rule_groups),
        options_(options),
        docs_(bundle, current, options,
              [this](const json& ref, const std::string& field, const std::string& collection) {
                return ResolveModelled(ref, field, collection);
              }) {}

  Result<MetadataImportReport> Run(
      storage::Store& store,
      const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit) {
    if (!bundle_.is_object()) return InvalidArgument("a metadata bundle must be a JSON object");
    for (auto it = bundle_.begin(); it != bundle_.end(); ++it) {
      const auto& names = Collections();
      const bool known = std::find(names.begin(), names.end(), it.key()) != names.end() ||
                         IsDocumentCollection(it.key());
      if (known && !it->is_array()) return InvalidArgument("must be an array", it.key());
      // DHIS2's export header and whatever weijian does not store are left out, but never
      // silently: each collection left out is a warning naming it and how many objects it had.
      if (!known && it.key() != "system" && it.key() != "date")
        report_.warnings.push_back(
            {{"collection", it.key()},
             {"errorCode", IgnoredCollections().count(it.key()) ? "W_NOT_STORED" : "W_UNKNOWN"},
             {"count", it->is_array() ? it->size() : 0},
             {"message", "weijian does not store \"" + it.key() + "\"; " +
                             std::to_string(it->is_array() ? it->size() : 0) +
                             " objects left out"}});
    }
    // First pass: assign uids so that references inside the bundle resolve in any order.
    for (const auto& name : Collections()) WJ_RETURN_IF_ERROR(AssignUids(name));
    WJ_RETURN_IF_ERROR(docs_.AssignUids());
    WJ_RETURN_IF_ERROR(ReadOrgUnits());
    WJ_RETURN_IF_ERROR(ReadCategoryOptions());
    WJ_RETURN_IF_ERROR(ReadCategories());
    WJ_RETURN_IF_ERROR(ReadCategoryCombos());
    WJ_RETURN_IF_ERROR(ReadCategoryOptionCombos());
    WJ_RETURN_IF_ERROR(GenerateMissingCocs());
    WJ_RETURN_IF_ERROR(ReadDataElements());
    WJ_RETURN_IF_ERROR(ReadDataSets());
    WJ_RETURN_IF_ERROR(ReadIndicatorTypes());
    WJ_RETURN_IF_ERROR(ReadIndicators());
    WJ_RETURN_IF_ERROR(ReadOrgUnitGroups());
    WJ_RETURN_IF_ERROR(ReadConstants());
    WJ_RETURN_IF_ERROR(ReadValidationRules());
    WJ_RETURN_IF_ERROR(ReadValidationRuleGroups());
    WJ_RETURN_IF_ERROR(docs_.Read(out_, report_));
    WJ_ASSIGN_OR_RETURN(auto controls,
                        ReadControls(bundle_, uids_["dataSets"], uids_["dataElements"], cat_));
    // Parents before children, whatever order the bundle listed them in.
    std::stable_sort(
        new_units_.begin(), new_units_.end(),
        [](const OrgUnitRecord& a, const OrgUnitRecord& b) { return a.level < b.level; });
    report_.committed = options_.commit;
    if (options_.commit) {
      // The metadata, its approval controls and the audit row: all or nothing (a failed
      // SaveControls after a committed upsert reported an error for an applied import).
      WJ_RETURN_IF_ERROR(store.InOneTransaction([&]() -> Status {
        if (audit)
          WJ_RETURN_IF_ERROR(store.UpsertMetadataWithAudit(out_, new_units_, audit(report_)));
        else
          WJ_RETURN_IF_ERROR(store.UpsertMetadata(out_, new_units_));
        return store.SaveControls(controls);
      }));
    }
    return report_;
  }

 private:
  const json* Collection(const std::string& name) const {
    auto it = bundle_.find(name);
    return it == bundle_.end() ? nullptr : &*it;
  }

  // Finds the uid an object will have: its id, else the stored object with its code, else a
  // stable uid derived from its code.
  template <typename T>
  Result<std::string> UidFor(const json& obj, const std::string& where, const std::string& kind,
                             const RecordIndex<T>& stored) {
    using Identifier = MetadataImportOptions::Identifier;
    if (options_.identifier == Identifier::kCode)
      if (auto code = obj.find("code"); code != obj.end() && code->is_string())
        if (const T* r = stored.ByCode(code->get<std::string>())) return r->uid;
    if (auto id = obj.find("id"); id != obj.end()) {
      if (!id->is_string() || !IsValidUid(id->get<std::string>()))
        return InvalidArgument("is not a valid uid (11 letters or digits, starting with a letter)",
                               where + ".id");
      return id->get<std::string>();
    }
    if (auto code = obj.find("code"); code != obj.end() && code->is_string()) {
      if (options_.identifier == Identifier::kUid) return RandomUid();  // a new object
      if (const T* r = stored.ByCode(code->get<std::string>())) return r->uid;
      return StableUid(kind, code->get<std::string>());
    }
    return RandomUid();
  }

  Status AssignUids(const std::string& name) {
    const json* arr = Collection(name);
    if (!arr) return Status::Ok();
    auto& defined = defined_[name];
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const json& obj = (*arr)[i];
      std::string where = At(name, i);
      if (!obj.is_object()) return InvalidArgument("must be an object", where);
      Result<std::string> uid = Status();
      if (name == "organisationUnits")
        uid = UidFor(obj, where, "ou", cat_.OrgUnits());
      else if (name == "categoryOptions")
        uid = UidFor(obj, where, "co", cat_.CategoryOptions());
      else if (name == "categories")
        uid = UidFor(obj, where, "cat", cat_.Categories());
      else if (name == "categoryCombos")
        uid = UidFor(obj, where, "cc", cat_.CategoryCombos());
      else if (name == "categoryOptionCombos")
        uid = UidFor(obj, where, "coc", cat_.CategoryOptionCombos());
      else if (name == "dataElements")
        uid = UidFor(obj, where, "de", cat_.DataElements());
      else if (name == "dataSets")
        uid = UidFor(obj, where, "ds", cat_.DataSets());
      else if (name == "indicatorTypes")
        uid = UidFor(obj, where, "it", cat_.IndicatorTypes());
      else if (name == "indicators")
        uid = UidFor(obj, where, "in", cat_.Indicators());
      else if (name == "organisationUnitGroups")
        uid = UidFor(obj, where, "oug", cat_.OrgUnitGroups());
      else if (name == "validationRules")
        uid = UidFor(obj, where, "vr", vr_);
      else if (name == "validationRuleGroups")
        uid = UidFor(obj, where, "vrg", vrg_);
      else
        uid = UidFor(obj, where, "con", cat_.Constants());
      if (!uid.ok()) return uid.status();
      if (auto code = obj.find("code"); code != obj.end() && code->is_string())
        if (!defined.uid_by_code.emplace(code->get<std::string>(), *uid).second)
          return Conflict("code \"" + code->get<std::string>() + "\" appears twice in the bundle",
                          where + ".code");
      if (!defined.uids.insert(*uid).second)
        return Conflict("uid " + *uid + " appears twice in the bundle", where + ".id");
      if (auto id = obj.find("id"); id != obj.end() && id->is_string() && *id != *uid)
        defined.alias[id->get<std::string>()] = *uid;
      uids_[name].push_back(*uid);
    }
    return Status::Ok();
  }

  // Resolves a reference to a uid, first among the bundle's objects of `collection`, then among
  // stored ones.
  template <typename T>
  Result<std::string> Resolve(const json& ref, const std::string& field,
                              const std::string& collection, const RecordIndex<T>& stored,
                              const char* what) {
    auto& defined = defined_[collection];
    using Identifier = MetadataImportOptions::Identifier;
    if (options_.identifier == Identifier::kCode)
      if (auto code = ref.find("code"); code != ref.end() && code->is_string()) {
        std::string c = code->get<std::string>();
        if (auto it = defined.uid_by_code.find(c); it != defined.uid_by_code.end())
          return it->second;
        if (const T* r = stored.ByCode(c)) return r->uid;
        return NotFound(std::string("no ") + what + " with code \"" + c + "\"", field);
      }
    if (auto id = ref.find("id"); id != ref.end() && id->is_string()) {
      std::string uid = id->get<std::string>();
      if (auto a = defined.alias.find(uid); a != defined.alias.end()) return a->second;
      if (defined.uids.count(uid) || stored.ByUid(uid)) return uid;
      if (options_.identifier == Identifier::kUid)
        return NotFound(std::string("no ") + what + " with id \"" + uid + "\" (identifier=UID)",
                        field);
      // DHIS2 bundles sometimes put codes in "id"; accept a code there too.
      if (auto it = defined.uid_by_code.find(uid); it != defined.uid_by_code.end())
        return it->second;
      if (const T* r = stored.ByCode(uid)) return r->uid;
      return NotFound(std::string("no ") + what + " with id \"" + uid + "\"", field);
    }
    if (options_.identifier == Identifier::kUid)
      return NotFound(std::string("identifier=UID: a reference to a ") + what + " needs \"id\"",
                      field);
    if (auto code = ref.find("code"); code != ref.end() && code->is_string()) {
      std::string c = code->get<std::string>();
      if (auto it = defined.uid_by_code.find(c); it != defined.uid_by_code.end()) return it->second;
      if (const T* r = stored.ByCode(c)) return r->uid;
      return NotFound(std::string("no ") + what + " with code \"" + c + "\"", field);
    }
    return InvalidArgument("a reference needs \"id\" or \"code\"", field);
  }

  template <typename T>
  Result<std::vector<std::string>> ResolveAll(Fields& f, const std::string& name,
                                              const std::string& collection,
                                              const RecordIndex<T>& stored, const char* what) {
    std::vector<std::string> out;
    WJ_ASSIGN_OR_RETURN(const json* arr, f.Array(name));
    if (!arr) return out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string field = f.Field(name) + "[" + std::to_string(i) + "]";
      if (!(*arr)[i].is_object()) return InvalidArgument("must be an object {\"id\": …}", field);
      WJ_ASSIGN_OR_RETURN(std::string uid, Resolve((*arr)[i], field, collection, stored, what));
      out.push_back(std::move(uid));
    }
    return out;
  }

  template <typename R, typename T>
  Status Identify(Fields& f, std::size_t i, const std::string& collection,
                  const RecordIndex<T>& stored, R& rec) {
    rec.uid = uids_[collection][i];
    WJ_ASSIGN_OR_RETURN(rec.code, f.Str("code", false));
    WJ_ASSIGN_OR_RETURN(rec.name, f.Str("name", true));
    if (rec.name.empty()) return InvalidArgument("must not be empty", f.Field("name"));
    if (!rec.code.empty())
      if (const T* other = stored.ByCode(rec.code); other && other->uid != rec.uid)
        return Conflict("code \"" + rec.code + "\" already belongs to " + other->uid,
                        f.Field("code"));
    const bool exists = stored.ByUid(rec.uid) != nullptr;
    if (exists && options_.strategy == MetadataImportOptions::Strategy::kCreate)
      return Conflict("already exists, and importStrategy is CREATE", f.Field("id"));
    if (!exists && options_.strategy == MetadataImportOptions::Strategy::kUpdate)
      return NotFound("does not exist, and importStrategy is UPDATE", f.Field("id"));
    auto& counts = counts_[collection];
    (exists ? counts.second : counts.first)++;
    return Status::Ok();
  }

  template <typename Fn>
  Status Each(const std::string& collection, Fn fn) {
    const json* arr = Collection(collection);
    if (!arr) return Status::Ok();
    json object_reports = json::array();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Fields f((*arr)[i], At(collection, i));
      WJ_RETURN_IF_ERROR(fn(f, i));
      // attributeValues, a data element's optionSet, legendSets: kept beside the object.
      WJ_RETURN_IF_ERROR(
          docs_.ReadExtras(collection, (*arr)[i], uids_[collection][i], At(collection, i), out_));
      json errors = json::array();
      for (const auto& name : f.Unknown()) {
        if (IsExtraField(collection, name)) continue;
        errors.push_back({{"message", "unknown field \"" + name + "\" left out"},
                          {"mainKlass", collection},
                          {"errorCode", "W_UNKNOWN_FIELD"},
                          {"errorProperty", name},
                          {"errorProperties", json::array({name})}});
      }
      if (!errors.empty())
        object_reports.push_back({{"klass", collection},
                                  {"index", i},
                                  {"uid", uids_[collection][i]},
                                  {"errorReports", errors}});
    }
    // DHIS2's sharing (publicAccess, userAccesses, userGroupAccesses, sharing): weijian grants
    // access by org unit scope and role, so it is not taken; said once per collection.
    int shared = 0;
    for (const auto& obj : *arr) {
      if (!obj.is_object()) continue;
      bool any = false;
      for (const char* k : {"publicAccess", "userAccesses", "userGroupAccesses", "sharing"})
        if (auto v = obj.find(k); v != obj.end() && !v->is_null() && !(v->is_array() && v->empty()))
          any = true;
      shared += any;
    }
    if (shared)
      report_.warnings.push_back(
          {{"collection", collection},
           {"errorCode", "W_SHARING_NOT_STORED"},
           {"count", shared},
           {"message",
            "the sharing settings (publicAccess, userAccesses, userGroupAccesses, "
            "sharing) of " +
                std::to_string(shared) + " " + collection +
                " were not taken: weijian grants access by org unit scope and role"}});
    if (!object_reports.empty())
      report_.warnings.push_back({{"collection", collection},
                                  {"errorCode", "W_UNKNOWN_FIELD"},
                                  {"count", object_reports.size()},
                                  {"message", "fields weijian does not know were left out"}});
    auto [created, updated] = counts_[collection];
    report_.created += created;
    report_.updated += updated;
    report_.type_reports.push_back({{"klass", collection},
                                    {"stats",
                                     {{"created", created},
                                      {"updated", updated},
                                      {"ignored", ignored_[collection]},
                                      {"total", created + updated + ignored_[collection]}}},
                                    {"objectReports", object_reports}});
    return Status::Ok();
  }

  Status ReadOrgUnits() {
    // uid → (level, path) of the units this bundle adds, so children may follow their parents.
    std::unordered_map<std::string, std::pair<int, std::string>> pending;
    return Each("organisationUnits", [&](Fields& f, std::size_t i) -> Status {
      std::string uid = uids_["organisationUnits"][i];
      if (cat_.OrgUnits().ByUid(uid)) {
        // Existing units are owned by the division tree; a bundle may list them for reference.
        ++ignored_["organisationUnits"];
        f.Str("code", false).ok();
        f.Str("name", false).ok();
        (void)f.Ref("parent", false);
        (void)f.Str("shortName", false);
        (void)f.Str("facilityType", false);
        (void)f.Str("openingDate", false);
        return Status::Ok();
      }
      OrgUnitRecord u;
      u.uid = uid;
      WJ_ASSIGN_OR_RETURN(u.code, f.Str("code", false));
      WJ_ASSIGN_OR_RETURN(u.name, f.Str("name", true));
      WJ_ASSIGN_OR_RETURN(u.short_name, f.Str("shortName", false, u.name));
      // Empty for an administrative unit; 卫生院, 村卫生室, 托育机构, 疾控中心 … for a facility.
      WJ_ASSIGN_OR_RETURN(u.facility_type, f.Str("facilityType", false));
      WJ_ASSIGN_OR_RETURN(u.opening_date, f.Str("openingDate", false));
      if (!u.code.empty() && cat_.OrgUnits().ByCode(u.code))
        return Conflict("code \"" + u.code + "\" already belongs to another org unit",
                        f.Field("code"));
      WJ_ASSIGN_OR_RETURN(const json* parent, f.Ref("parent", false));
      if (!parent) {
        // A root of the hierarchy (a province, or the top of a DHIS2 tree).
        u.level = 1;
        u.path = "/" + u.uid;
      } else {
        WJ_ASSIGN_OR_RETURN(u.parent_uid, Resolve(*parent, f.Field("parent"), "organisationUnits",
                                                  cat_.OrgUnits(), "org unit"));
        if (const OrgUnitRecord* p = cat_.OrgUnits().ByUid(u.parent_uid)) {
          u.level = p->level + 1;
          u.path = p->path + "/" + u.uid;
        } else if (auto it = pending.find(u.parent_uid); it != pending.end()) {
          u.level = it->second.first + 1;
          u.path = it->second.second + "/" + u.uid;
        } else {
          // The parent comes later in the bundle: place it (and its ancestors) first.
          WJ_ASSIGN_OR_RETURN(auto placed, PlaceLater(u.parent_uid, f.Field("parent"), pending));
          u.level = placed.first + 1;
          u.path = placed.second + "/" + u.uid;
        }
      }
      ++counts_["organisationUnits"].first;
      pending[u.uid] = {u.level, u.path};
      new_units_.push_back(std::move(u));
      return Status::Ok();
    });
  }

  // The level and path of a unit the bundle lists after a child of it, found by following the
  // bundle's parent references up to a stored or already placed unit. Refuses cycles.
  Result<std::pair<int, std::string>> PlaceLater(
      const std::string& uid, const std::string& field,
      std::unordered_map<std::string, std::pair<int, std::string>>& pending) {
    std::vector<std::string> chain;  // uid, its parent, … up to a known unit
    std::string at = uid;
    std::pair<int, std::string> base;
    while (true) {
      if (const OrgUnitRecord* p = cat_.OrgUnits().ByUid(at)) {
        base = {p->level, p->path};
        break;
      }
      if (auto it = pending.find(at); it != pending.end()) {
        base = it->second;
        break;
      }
      if (std::find(chain.begin(), chain.end(), at) != chain.end())
        return Conflict("the parents of this org unit form a cycle", field);
      chain.push_back(at);
      const auto& ids = uids_["organisationUnits"];
      auto pos = std::find(ids.begin(), ids.end(), at);
      if (pos == ids.end()) return NotFound("no org unit with id \"" + at + "\"", field);
      const json& obj = (*Collection("organisationUnits"))[pos - ids.begin()];
      auto parent = obj.find("parent");
      if (parent == obj.end() || !parent->is_object()) {  // a root listed later
        base = {0, ""};
        break;
      }
      WJ_ASSIGN_OR_RETURN(
          at, Resolve(*parent, field, "organisationUnits", cat_.OrgUnits(), "org unit"));
    }
    // Walk back down: each unit of the chain one level below the next.
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      base = {base.first + 1, base.second + "/" + *it};
      pending[*it] = base;
    }
    return base;
  }

  Status ReadCategoryOptions() {
    return Each("categoryOptions", [&](Fields& f, std::size_t i) -> Status {
      storage::CategoryOptionRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "categoryOptions", cat_.CategoryOptions(), r));
      WJ_ASSIGN_OR_RETURN(r.short_name, f.Str("shortName", false, r.name));
      out_.category_options.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Result<std::string> DimensionType(Fields& f) {
    WJ_ASSIGN_OR_RETURN(std::string t, f.Str("dataDimensionType", false, "DISAGGREGATION"));
    if (t != "DISAGGREGATION" && t != "ATTRIBUTE")
      return InvalidArgument("must be DISAGGREGATION or ATTRIBUTE", f.Field("dataDimensionType"));
    return t;
  }

  Status ReadCategories() {
    return Each("categories", [&](Fields& f, std::size_t i) -> Status {
      storage::CategoryRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "categories", cat_.Categories(), r));
      WJ_ASSIGN_OR_RETURN(r.data_dimension_type, DimensionType(f));
      WJ_ASSIGN_OR_RETURN(r.option_uids, ResolveAll(f, "categoryOptions", "categoryOptions",
                                                    cat_.CategoryOptions(), "category option"));
      // DHIS2 keeps a category without options (one being set up); it only gets option combos
      // once it has options.
      out_.categories.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadCategoryCombos() {
    return Each("categoryCombos", [&](Fields& f, std::size_t i) -> Status {
      storage::CategoryComboRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "categoryCombos", cat_.CategoryCombos(), r));
      WJ_ASSIGN_OR_RETURN(r.data_dimension_type, DimensionType(f));
      WJ_ASSIGN_OR_RETURN(r.category_uids,
                          ResolveAll(f, "categories", "categories", cat_.Categories(), "category"));
      if (r.category_uids.empty())
        return InvalidArgument("a category combo needs at least one category",
                               f.Field("categories"));
      out_.category_combos.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadCategoryOptionCombos() {
    return Each("categoryOptionCombos", [&](Fields& f, std::size_t i) -> Status {
      storage::CategoryOptionComboRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "categoryOptionCombos", cat_.CategoryOptionCombos(), r));
      WJ_ASSIGN_OR_RETURN(const json* combo, f.Ref("categoryCombo", true));
      WJ_ASSIGN_OR_RETURN(r.combo_uid, Resolve(*combo, f.Field("categoryCombo"), "categoryCombos",
                                               cat_.CategoryCombos(), "category combo"));
      WJ_ASSIGN_OR_RETURN(r.option_uids, ResolveAll(f, "categoryOptions", "categoryOptions",
                                                    cat_.CategoryOptions(), "category option"));
      std::sort(r.option_uids.begin(), r.option_uids.end());
      out_.category_option_combos.push_back(std::move(r));
      return Status::Ok();
    });
  }

  // Options of a category, from the bundle if it defines the category, else from the store.
  const std::vector<std::string>* OptionsOf(const std::string& category_uid) const {
    for (const auto& c : out_.categories)
      if (c.uid == category_uid) return &c.option_uids;
    if (const auto* c = cat_.Categories().ByUid(category_uid)) return &c->option_uids;
    return nullptr;
  }
  const std::string* OptionName(const std::string& uid) const {
    for (const auto& o : out_.category_options)
      if (o.uid == uid) return &o.name;
    if (const auto* o = cat_.CategoryOptions().ByUid(uid)) return &o->name;
    return nullptr;
  }

  // Every combination of options of each combo in the bundle gets an option combo, named
  // "女, 35-49岁" after its options, unless the bundle or the store already has one for it.
  Status GenerateMissingCocs() {
    for (const auto& combo : out_.category_combos) {
      std::set<std::vector<std::string>> existing;
      for (const auto& coc : out_.category_option_combos)
        if (coc.combo_uid == combo.uid) existing.insert(coc.option_uids);
      for (const auto* coc : cat_.CombosOf(combo.uid)) {
        auto opts = coc->option_uids;
        std::sort(opts.begin(), opts.end());
        existing.insert(opts);
      }
      std::vector<std::vector<std::string>> combos = {{}};
      for (const auto& cat_uid : combo.category_uids) {
        const auto* options = OptionsOf(cat_uid);
        if (!options) return Internal("category " + cat_uid + " vanished during import");
        std::vector<std::vector<std::string>> next;
        for (const auto& prefix : combos)
          for (const auto& o : *options) {
            auto v = prefix;
            v.push_back(o);
            next.push_back(std::move(v));
          }
        combos = std::move(next);
      }
      int generated = 0;
      for (const auto& ordered : combos) {
        auto key = ordered;
        std::sort(key.begin(), key.end());
        if (existing.count(key)) continue;
        storage::CategoryOptionComboRecord coc;
        std::string joined;
        for (const auto& o : key) joined += o;
        coc.uid = combo.uid == kDefaultCategoryComboUid ? std::string(kDefaultCocUid)
                                                        : StableUid("coc", combo.uid + joined);
        for (std::size_t k = 0; k < ordered.size(); ++k) {
          if (k) coc.name += ", ";
          const std::string* n = OptionName(ordered[k]);
          coc.name += n ? *n : ordered[k];
        }
        coc.combo_uid = combo.uid;
        coc.option_uids = key;
        out_.category_option_combos.push_back(std::move(coc));
        ++generated;
      }
      report_.created += generated;
    }
    return Status::Ok();
  }

  Result<std::string> ComboRef(Fields& f, const std::string& name) {
    WJ_ASSIGN_OR_RETURN(const json* ref, f.Ref(name, false));
    if (!ref) return std::string(kDefaultCategoryComboUid);
    return Resolve(*ref, f.Field(name), "categoryCombos", cat_.CategoryCombos(), "category combo");
  }

  Status ReadDataElements() {
    return Each("dataElements", [&](Fields& f, std::size_t i) -> Status {
      storage::DataElementRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "dataElements", cat_.DataElements(), r));
      WJ_ASSIGN_OR_RETURN(r.short_name, f.Str("shortName", false, r.name));
      WJ_ASSIGN_OR_RETURN(r.description, f.Str("description", false));
      WJ_ASSIGN_OR_RETURN(r.value_type, f.Str("valueType", false, "INTEGER_ZERO_OR_POSITIVE"));
      if (!IsKnownValueType(r.value_type))
        return InvalidArgument("unknown value type \"" + r.value_type + "\"", f.Field("valueType"));
      WJ_ASSIGN_OR_RETURN(r.aggregation_type, f.Str("aggregationType", false, "SUM"));
      if (!IsKnownAggregationType(r.aggregation_type))
        return InvalidArgument("unknown aggregation type \"" + r.aggregation_type + "\"",
                               f.Field("aggregationType"));
      WJ_ASSIGN_OR_RETURN(r.domain_type, f.Str("domainType", false, "AGGREGATE"));
      if (r.domain_type != "AGGREGATE" && r.domain_type != "TRACKER")
        return InvalidArgument("must be AGGREGATE or TRACKER", f.Field("domainType"));
      WJ_ASSIGN_OR_RETURN(r.combo_uid, ComboRef(f, "categoryCombo"));
      WJ_ASSIGN_OR_RETURN(r.zero_is_significant, f.Bool("zeroIsSignificant", false));
      out_.data_elements.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadDataSets() {
    return Each("dataSets", [&](Fields& f, std::size_t i) -> Status {
      storage::DataSetRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "dataSets", cat_.DataSets(), r));
      WJ_ASSIGN_OR_RETURN(r.short_name, f.Str("shortName", false, r.name));
      WJ_ASSIGN_OR_RETURN(r.period_type, f.Str("periodType", true));
      if (auto t = ParsePeriodType(r.period_type); !t.ok())
        return InvalidArgument(t.status().message(), f.Field("periodType"));
      WJ_ASSIGN_OR_RETURN(r.combo_uid, ComboRef(f, "categoryCombo"));
      WJ_ASSIGN_OR_RETURN(double open_future, f.Num("openFuturePeriods", 0));
      WJ_ASSIGN_OR_RETURN(double expiry, f.Num("expiryDays", 0));
      WJ_ASSIGN_OR_RETURN(double timely, f.Num("timelyDays", 15));
      r.open_future_periods = static_cast<int>(open_future);
      r.expiry_days = static_cast<int>(expiry);
      r.timely_days = static_cast<int>(timely);
      WJ_ASSIGN_OR_RETURN(const json* elements, f.Array("dataSetElements"));
      if (elements) {
        for (std::size_t k = 0; k < elements->size(); ++k) {
          Fields ef((*elements)[k], f.Field("dataSetElements") + "[" + std::to_string(k) + "]");
          if (!(*elements)[k].is_object()) return InvalidArgument("must be an object", ef.where());
          WJ_ASSIGN_OR_RETURN(const json* de, ef.Ref("dataElement", true));
          storage::DataSetElementRecord e;
          WJ_ASSIGN_OR_RETURN(e.data_element_uid,
                              Resolve(*de, ef.Field("dataElement"), "dataElements",
                                      cat_.DataElements(), "data element"));
          WJ_ASSIGN_OR_RETURN(const json* cc, ef.Ref("categoryCombo", false));
          if (cc) {
            WJ_ASSIGN_OR_RETURN(e.combo_uid,
                                Resolve(*cc, ef.Field("categoryCombo"), "categoryCombos",
                                        cat_.CategoryCombos(), "category combo"));
          }
          (void)ef.Ref("dataSet", false);
          for (const auto& name : ef.Unknown())
            report_.warnings.push_back({{"collection", "dataSets"},
                                        {"errorCode", "W_UNKNOWN_FIELD"},
                                        {"errorProperty", ef.Field(name)},
                                        {"message", "unknown field \"" + name + "\" left out"}});
          r.elements.push_back(std::move(e));
        }
      }
      WJ_ASSIGN_OR_RETURN(r.org_unit_uids, ResolveAll(f, "organisationUnits", "organisationUnits",
                                                      cat_.OrgUnits(), "org unit"));
      WJ_RETURN_IF_ERROR(ReadCompulsoryOperands(f, r));
      out_.data_sets.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadIndicatorTypes() {
    return Each("indicatorTypes", [&](Fields& f, std::size_t i) -> Status {
      storage::IndicatorTypeRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "indicatorTypes", cat_.IndicatorTypes(), r));
      WJ_ASSIGN_OR_RETURN(double factor, f.Num("factor", 1));
      if (factor <= 0 || factor != static_cast<int>(factor))
        return InvalidArgument("must be a positive whole number", f.Field("factor"));
      r.factor = static_cast<int>(factor);
      WJ_ASSIGN_OR_RETURN(r.number, f.Bool("number", false));
      out_.indicator_types.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadIndicators() {
    return Each("indicators", [&](Fields& f, std::size_t i) -> Status {
      storage::IndicatorRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "indicators", cat_.Indicators(), r));
      WJ_ASSIGN_OR_RETURN(r.short_name, f.Str("shortName", false, r.name));
      WJ_ASSIGN_OR_RETURN(r.description, f.Str("description", false));
      WJ_ASSIGN_OR_RETURN(const json* type, f.Ref("indicatorType", true));
      WJ_ASSIGN_OR_RETURN(r.indicator_type_uid,
                          Resolve(*type, f.Field("indicatorType"), "indicatorTypes",
                                  cat_.IndicatorTypes(), "indicator type"));
      WJ_ASSIGN_OR_RETURN(r.numerator, f.Str("numerator", true));
      WJ_ASSIGN_OR_RETURN(r.numerator_description, f.Str("numeratorDescription", false));
      WJ_ASSIGN_OR_RETURN(r.denominator, f.Str("denominator", true));
      WJ_ASSIGN_OR_RETURN(r.denominator_description, f.Str("denominatorDescription", false));
      WJ_ASSIGN_OR_RETURN(double decimals, f.Num("decimals", -1));
      if (decimals >= 0) r.decimals = static_cast<int>(decimals);
      out_.indicators.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadOrgUnitGroups() {
    return Each("organisationUnitGroups", [&](Fields& f, std::size_t i) -> Status {
      storage::OrgUnitGroupRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "organisationUnitGroups", cat_.OrgUnitGroups(), r));
      WJ_ASSIGN_OR_RETURN(r.short_name, f.Str("shortName", false, r.name));
      WJ_ASSIGN_OR_RETURN(r.org_unit_uids, ResolveAll(f, "organisationUnits", "organisationUnits",
                                                      cat_.OrgUnits(), "org unit"));
      out_.org_unit_groups.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadConstants() {
    return Each("constants", [&](Fields& f, std::size_t i) -> Status {
      storage::ConstantRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "constants", cat_.Constants(), r));
      WJ_ASSIGN_OR_RETURN(r.value, f.Num("value", 0));
      out_.constants.push_back(std::move(r));
      return Status::Ok();
    });
  }

  // --- validation rules, their groups, compulsory operands ---
  Status ReadCompulsoryOperands(Fields& f, const storage::DataSetRecord& ds) {
    WJ_ASSIGN_OR_RETURN(const json* arr, f.Array("compulsoryDataElementOperands"));
    if (!arr) return Status::Ok();
    for (std::size_t k = 0; k < arr->size(); ++k) {
      Fields of((*arr)[k],
                f.Field("compulsoryDataElementOperands") + "[" + std::to_string(k) + "]");
      if (!(*arr)[k].is_object()) return InvalidArgument("must be an object", of.where());
      storage::CompulsoryOperandRecord c;
      c.data_set_uid = ds.uid;
      WJ_ASSIGN_OR_RETURN(const json* de, of.Ref("dataElement", true));
      WJ_ASSIGN_OR_RETURN(c.data_element_uid, Resolve(*de, of.Field("dataElement"), "dataElements",
                                                      cat_.DataElements(), "data element"));
      if (std::none_of(ds.elements.begin(), ds.elements.end(),
                       [&](const auto& e) { return e.data_element_uid == c.data_element_uid; }))
        return Conflict("the data element is not in this data set", of.Field("dataElement"));
      WJ_ASSIGN_OR_RETURN(const json* coc, of.Ref("categoryOptionCombo", false));
      if (coc) {
        WJ_ASSIGN_OR_RETURN(c.coc_uid,
                            Resolve(*coc, of.Field("categoryOptionCombo"), "categoryOptionCombos",
                                    cat_.CategoryOptionCombos(), "category option combo"));
      }
      (void)of.Str("id", false);
      for (const auto& name : of.Unknown())
        report_.warnings.push_back({{"collection", "dataSets"},
                                    {"errorCode", "W_UNKNOWN_FIELD"},
                                    {"errorProperty", of.Field(name)},
                                    {"message", "unknown field \"" + name + "\" left out"}});
      out_.compulsory_operands.push_back(std::move(c));
    }
    return Status::Ok();
  }

  Result<storage::ValidationSideRecord> ReadSide(Fields& f, const std::string& name) {
    WJ_ASSIGN_OR_RETURN(const json* side, f.Ref(name, true));
    Fields sf(*side, f.Field(name));
    storage::ValidationSideRecord r;
    WJ_ASSIGN_OR_RETURN(r.expression, sf.Str("expression", true));
    WJ_ASSIGN_OR_RETURN(r.description, sf.Str("description", false));
    WJ_ASSIGN_OR_RETURN(r.missing_value_strategy,
                        sf.Str("missingValueStrategy", false, "SKIP_IF_ALL_VALUES_MISSING"));
    static const std::set<std::string> kStrategies = {"SKIP_IF_ANY_VALUE_MISSING",
                                                      "SKIP_IF_ALL_VALUES_MISSING", "NEVER_SKIP"};
    if (!kStrategies.count(r.missing_value_strategy))
      return InvalidArgument(
          "must be SKIP_IF_ANY_VALUE_MISSING, SKIP_IF_ALL_VALUES_MISSING or "
          "NEVER_SKIP",
          sf.Field("missingValueStrategy"));
    (void)sf.Bool("slidingWindow", false);
    for (const auto& name : sf.Unknown())
      report_.warnings.push_back({{"collection", "validationRules"},
                                  {"errorCode", "W_UNKNOWN_FIELD"},
                                  {"errorProperty", sf.Field(name)},
                                  {"message", "unknown field \"" + name + "\" left out"}});
    if (!check_)
      return Internal("validation rules cannot be imported on this path (no expression parser)");
    auto keys = check_(r.expression);
    // The parser's message starts with the position: "leftSide.expression: position 7: …".
    if (!keys.ok()) return Conflict(keys.status().message(), sf.Field("expression"));
    const auto& defined = defined_["dataElements"];
    for (const auto& key : *keys)
      if (!defined.uids.count(key) && !defined.uid_by_code.count(key) &&
          !cat_.DataElements().ByUidOrCode(key))
        return Conflict("no data element with uid or code \"" + key + "\"", sf.Field("expression"));
    return r;
  }

  Status ReadValidationRules() {
    return Each("validationRules", [&](Fields& f, std::size_t i) -> Status {
      storage::ValidationRuleRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "validationRules", vr_, r));
      WJ_ASSIGN_OR_RETURN(r.description, f.Str("description", false));
      WJ_ASSIGN_OR_RETURN(r.instruction, f.Str("instruction", false));
      WJ_ASSIGN_OR_RETURN(r.importance, f.Str("importance", false, "MEDIUM"));
      if (r.importance != "HIGH" && r.importance != "MEDIUM" && r.importance != "LOW")
        return InvalidArgument("must be HIGH, MEDIUM or LOW", f.Field("importance"));
      WJ_ASSIGN_OR_RETURN(r.op, f.Str("operator", true));
      static const std::set<std::string> kOperators = {
          "equal_to",  "not_equal_to",          "greater_than",    "greater_than_or_equal_to",
          "less_than", "less_than_or_equal_to", "compulsory_pair", "exclusive_pair"};
      if (!kOperators.count(r.op))
        return InvalidArgument("unknown operator \"" + r.op + "\"", f.Field("operator"));
      WJ_ASSIGN_OR_RETURN(r.period_type, f.Str("periodType", false, "Monthly"));
      if (auto t = ParsePeriodType(r.period_type); !t.ok())
        return InvalidArgument(t.status().message(), f.Field("periodType"));
      WJ_ASSIGN_OR_RETURN(r.left, ReadSide(f, "leftSide"));
      WJ_ASSIGN_OR_RETURN(r.right, ReadSide(f, "rightSide"));
      WJ_ASSIGN_OR_RETURN(const json* levels, f.Array("organisationUnitLevels"));
      if (levels)
        for (std::size_t k = 0; k < levels->size(); ++k) {
          const json& l = (*levels)[k];
          if (!l.is_number_integer() || l.get<int>() < 1)
            return InvalidArgument("must be a level (1, 2, …)", f.Field("organisationUnitLevels") +
                                                                    "[" + std::to_string(k) + "]");
          r.org_unit_levels.push_back(l.get<int>());
        }
      (void)f.Bool("skipFormValidation", false);
      (void)f.Array("notificationTemplates");
      (void)f.Array("validationRuleGroups");
      out_.validation_rules.push_back(std::move(r));
      return Status::Ok();
    });
  }

  Status ReadValidationRuleGroups() {
    return Each("validationRuleGroups", [&](Fields& f, std::size_t i) -> Status {
      storage::ValidationRuleGroupRecord r;
      WJ_RETURN_IF_ERROR(Identify(f, i, "validationRuleGroups", vrg_, r));
      WJ_ASSIGN_OR_RETURN(r.description, f.Str("description", false));
      WJ_ASSIGN_OR_RETURN(
          r.rule_uids, ResolveAll(f, "validationRules", "validationRules", vr_, "validation rule"));
      out_.validation_rule_groups.push_back(std::move(r));
      return Status::Ok();
    });
  }

  // References from documents (groups, group sets) to the modelled collections.
  Result<std::string> ResolveModelled(const json& ref, const std::string& field,
                                      const std::string& collection) {
    if (collection == "dataElements")
      return Resolve(ref, field, collection, cat_.DataElements(), "data element");
    if (collection == "indicators")
      return Resolve(ref, field, collection, cat_.Indicators(), "indicator");
    if (collection == "organisationUnitGroups")
      return Resolve(ref, field, collection, cat_.OrgUnitGroups(), "org unit group");
    if (collection == "categoryOptions")
      return Resolve(ref, field, collection, cat_.CategoryOptions(), "category option");
    return Internal("no resolver for " + collection);
  }

  const json& bundle_;
  const Catalog& cat_;
  ExpressionCheck check_;
  RecordIndex<storage::ValidationRuleRecord> vr_;
  RecordIndex<storage::ValidationRuleGroupRecord> vrg_;
  std::map<std::string, Defined> defined_;
  std::map<std::string, std::vector<std::string>> uids_;
  std::map<std::string, std::pair<int, int>> counts_;  // created, updated
  std::map<std::string, int> ignored_;
  storage::MetadataRecords out_;
  std::vector<OrgUnitRecord> new_units_;
  MetadataImportOptions options_;
  MetadataImportReport report_;
  DocumentImport docs_;
};

json Ref(const std::string& uid) { return {{"id", uid}}; }
json Refs(const std::vector<std::string>& uids) {
  json a = json::array();
  for (const auto& u : uids) a.push_back(Ref(u));
  return a;
}
template <typename T>
json Identified(const T& r) {
  json j = {{"id", r.uid}, {"name", r.name}};
  if (!r.code.empty()) j["code"] = r.code;
  return j;
}

}  // namespace

json MetadataImportReport::ToJson() const {
  json j = {{"responseType", "ImportReport"},
            {"status", warnings.empty() && refused == 0 ? "OK" : "WARNING"},
            {"importMode", committed ? "COMMIT" : "VALIDATE"},
            {"stats",
             {{"created", created},
              {"updated", updated},
              {"deleted", deleted},
              {"ignored", ignored},
              {"total", created + updated + deleted + ignored}}},
            {"typeReports", type_reports}};
  if (!warnings.empty()) j["warnings"] = warnings;
  return j;
}

namespace {

// importStrategy=DELETE. Objects are found by id, else by code, among what is stored (the
// export: every collection, documents too). One is deleted only when nothing outside the bundle
// refers to it: another stored object (its export names the uid: a data set its elements, an
// indicator its expression, a group its members …) or, checked by the store's foreign keys, data
// values and other rows. Referrers first, so that a data set and its elements go together.
Result<MetadataImportReport> DeleteMetadata(
    const json& bundle, const Catalog& current, storage::Store& store,
    const MetadataImportOptions& options,
    const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit) {
  if (!bundle.is_object()) return InvalidArgument("a metadata bundle must be a JSON object");
  std::vector<std::string> order = {"validationRuleGroups",
                                    "validationRules",
                                    "indicators",
                                    "indicatorTypes",
                                    "dataSets",
                                    "dataElements",
                                    "categoryOptionCombos",
                                    "categoryCombos",
                                    "categories",
                                    "categoryOptions",
                                    "organisationUnitGroups",
                                    "constants"};
  for (const auto& c : DocumentCollections()) order.insert(order.begin(), c);
  const json stored = ExportMetadata(current);
  MetadataImportReport report;
  struct Target {
    std::string collection, uid, name, where;
    std::size_t index;
  };
  std::vector<Target> targets;
  std::map<std::string, json> errors;  // collection → object reports of refused objects
  auto refuse = [&](const std::string& collection, std::size_t index, const std::string& uid,
                    const Status& s) -> Status {
    if (options.atomic_all) return s;
    json o = {{"klass", collection},
              {"index", index},
              {"errorReports", json::array({ErrorReportFor(s)})}};
    if (!uid.empty()) o["uid"] = uid;
    errors[collection].push_back(std::move(o));
    ++report.ignored;
    ++report.refused;
    return Status::Ok();
  };
  for (auto it = bundle.begin(); it != bundle.end(); ++it) {
    if (it.key() == "system" || it.key() == "date") continue;
    const bool known = it.key() == "organisationUnits" ||
                       std::find(order.begin(), order.end(), it.key()) != order.end();
    if (!known || !it->is_array()) {
      report.warnings.push_back(
          {{"collection", it.key()},
           {"errorCode", "W_NOT_STORED"},
           {"count", it->is_array() ? it->size() : 0},
           {"message", "weijian does not store \"" + it.key() + "\"; nothing deleted"}});
      continue;
    }
    const json* in_store = stored.contains(it.key()) ? &stored[it.key()] : nullptr;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& obj = (*it)[i];
      const std::string where = At(it.key(), i);
      if (!obj.is_object()) return InvalidArgument("must be an object", where);
      if (it.key() == "organisationUnits") {
        WJ_RETURN_IF_ERROR(refuse(it.key(), i, obj.value("id", ""),
                                  InvalidArgument("org units belong to the division tree and are "
                                                  "not deleted by a metadata bundle",
                                                  where)));
        continue;
      }
      const std::string id = obj.contains("id") && obj["id"].is_string() ? obj.value("id", "") : "";
      const std::string code =
          obj.contains("code") && obj["code"].is_string() ? obj.value("code", "") : "";
      const json* found = nullptr;
      if (in_store)
        for (const auto& o : *in_store)
          if ((!id.empty() && o.value("id", "") == id) ||
              (id.empty() && !code.empty() && o.value("code", "") == code))
            found = &o;
      if (!found) {
        WJ_RETURN_IF_ERROR(refuse(it.key(), i, id,
                                  NotFound("nothing to delete: no such object (" +
                                               (id.empty() ? "code " + code : "id " + id) + ")",
                                           where)));
        continue;
      }
      const std::string uid = found->value("id", "");
      if (uid == kDefaultCategoryComboUid || uid == kDefaultCategoryUid ||
          uid == kDefaultCategoryOptionUid || uid == kDefaultCocUid) {
        WJ_RETURN_IF_ERROR(
            refuse(it.key(), i, uid, Conflict("the default objects are never deleted", where)));
        continue;
      }
      targets.push_back({it.key(), uid, found->value("name", ""), where, i});
    }
  }
  std::set<std::string> going;
  for (const auto& t : targets) going.insert(t.uid);
  // Who still refers to each target, among stored objects that stay.
  std::vector<Target> deletable;
  for (const auto& t : targets) {
    std::vector<std::string> referrers;
    for (auto c = stored.begin(); c != stored.end(); ++c) {
      if (!c->is_array()) continue;
      for (const auto& o : *c) {
        const std::string ouid = o.value("id", "");
        if (ouid == t.uid || going.count(ouid)) continue;
        // A combo's option combos go with it.
        if (c.key() == "categoryOptionCombos" && o.contains("categoryCombo") &&
            o["categoryCombo"].is_object() && going.count(o["categoryCombo"].value("id", "")))
          continue;
        if (o.dump().find(t.uid) != std::string::npos)
          referrers.push_back(c.key() + " " + ouid + " (" + o.value("name", "") + ")");
      }
    }
    if (referrers.empty()) {
      deletable.push_back(t);
      continue;
    }
    std::string list;
    for (std::size_t k = 0; k < referrers.size() && k < 3; ++k)
      list += (k ? ", " : "") + referrers[k];
    if (referrers.size() > 3) list += " … (" + std::to_string(referrers.size()) + " in all)";
    WJ_RETURN_IF_ERROR(refuse(
        t.collection, t.index, t.uid,
        Conflict(t.name + " is not deleted: other objects still refer to it: " + list, t.where)));
  }
  std::stable_sort(deletable.begin(), deletable.end(), [&order](const Target& a, const Target& b) {
    return std::find(order.begin(), order.end(), a.collection) <
           std::find(order.begin(), order.end(), b.collection);
  });
  std::map<std::string, int> deleted;
  report.committed = options.commit;
  Status written = store.InOneTransaction([&]() -> Status {
    for (const auto& t : deletable) {
      Status s = store.DeleteMetadataObject(t.collection, t.uid);
      if (s.ok()) {
        ++deleted[t.collection];
        ++report.deleted;
        continue;
      }
      if (s.code() != StatusCode::kConflict && s.code() != StatusCode::kNotFound) return s;
      WJ_RETURN_IF_ERROR(
          refuse(t.collection, t.index, t.uid,
                 Status(s.code(),
                        s.code() == StatusCode::kConflict
                            ? t.name + " is not deleted: data or other records still refer to it"
                            : s.message(),
                        t.where)));
    }
    // importMode=VALIDATE: everything checked (the deletes too), nothing kept.
    if (!options.commit) return Conflict("validate only");
    if (audit) WJ_RETURN_IF_ERROR(store.AppendAudit(audit(report)));
    return Status::Ok();
  });
  if (!written.ok() && !(options.commit == false && written.message() == "validate only"))
    return written;
  std::set<std::string> klasses;
  for (const auto& t : targets) klasses.insert(t.collection);
  for (const auto& [c, _] : errors) klasses.insert(c);
  for (const auto& c : klasses) {
    const int n = deleted[c];
    const int ignored = errors.count(c) ? static_cast<int>(errors[c].size()) : 0;
    report.type_reports.push_back({{"klass", c},
                                   {"stats",
                                    {{"created", 0},
                                     {"updated", 0},
                                     {"deleted", n},
                                     {"ignored", ignored},
                                     {"total", n + ignored}}},
                                   {"objectReports", errors.count(c) ? errors[c] : json::array()}});
  }
  return report;
}

}  // namespace

Result<MetadataImportReport> ImportMetadata(
    const json& bundle, const Catalog& current, storage::Store& store,
    const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit) {
  return ImportMetadata(bundle, current, store, MetadataImportOptions{}, audit);
}

Result<MetadataImportReport> ImportMetadata(
    const json& bundle, const Catalog& current, storage::Store& store,
    const MetadataImportOptions& options,
    const std::function<storage::AuditRecord(const MetadataImportReport&)>& audit) {
  if (options.strategy == MetadataImportOptions::Strategy::kDelete)
    return DeleteMetadata(bundle, current, store, options, audit);
  if (options.merge && bundle.is_object()) {
    // mergeMode=MERGE: each object that exists (by id, else code) starts from its stored export,
    // the bundle's properties laid over it; then imported as usual.
    const json stored = ExportMetadata(current);
    json merged = bundle;
    for (auto it = merged.begin(); it != merged.end(); ++it) {
      if (!it->is_array() || !stored.contains(it.key()) || !stored[it.key()].is_array()) continue;
      for (auto& obj : *it) {
        if (!obj.is_object()) continue;
        const std::string id =
            obj.contains("id") && obj["id"].is_string() ? obj.value("id", "") : "";
        const std::string code =
            obj.contains("code") && obj["code"].is_string() ? obj.value("code", "") : "";
        for (const auto& o : stored[it.key()])
          if ((!id.empty() && o.value("id", "") == id) ||
              (id.empty() && !code.empty() && o.value("code", "") == code)) {
            json base = o;
            base.update(obj);
            obj = std::move(base);
            break;
          }
      }
    }
    MetadataImportOptions replace = options;
    replace.merge = false;
    return ImportMetadata(merged, current, store, replace, audit);
  }
  if (options.atomic_all) {
    Importer importer(bundle, current, options);
    return importer.Run(store, audit);
  }
  // atomicMode=NONE, as DHIS2 imports object by object: the bundle is checked as a whole; an error
  // that names an object ("dataElements[1].code") refuses that object alone, and the check runs
  // again without it (objects that referred to it are then refused by their own reference
  // error). An error naming no object still refuses the bundle. Only the last, clean run writes.
  if (!bundle.is_object()) return InvalidArgument("a metadata bundle must be a JSON object");
  json work = bundle;
  // The position each remaining object had in the bundle as sent, per collection.
  std::map<std::string, std::vector<std::size_t>> original;
  for (auto it = work.begin(); it != work.end(); ++it)
    if (it->is_array())
      for (std::size_t i = 0; i < it->size(); ++i) original[it.key()].push_back(i);
  std::map<std::string, json> refused;  // collection → object reports of refused objects
  int count = 0;
  while (true) {
    Importer importer(work, current, options);
    auto report = importer.Run(store, audit);
    if (report.ok()) {
      report->refused = count;
      report->ignored += count;
      for (auto& [collection, objects] : refused) {
        json* type = nullptr;
        for (auto& t : report->type_reports)
          if (t.value("klass", "") == collection) type = &t;
        if (!type) {
          report->type_reports.push_back(
              {{"klass", collection},
               {"stats", {{"created", 0}, {"updated", 0}, {"ignored", 0}, {"total", 0}}},
               {"objectReports", json::array()}});
          type = &report->type_reports.back();
        }
        const int n = static_cast<int>(objects.size());
        (*type)["stats"]["ignored"] = (*type)["stats"].value("ignored", 0) + n;
        (*type)["stats"]["total"] = (*type)["stats"].value("total", 0) + n;
        for (auto& o : objects) (*type)["objectReports"].push_back(std::move(o));
      }
      return report;
    }
    const Status& s = report.status();
    if (s.code() != StatusCode::kInvalidArgument && s.code() != StatusCode::kNotFound &&
        s.code() != StatusCode::kConflict)
      return s;
    BundlePosition at = PositionOf(s.field());
    auto arr = work.find(at.collection);
    if (at.index < 0 || arr == work.end() || !arr->is_array() ||
        static_cast<std::size_t>(at.index) >= arr->size())
      return s;
    auto& positions = original[at.collection];
    const std::size_t sent_at = positions[at.index];
    const json& obj = (*arr)[at.index];
    // The error names the object as the bundle sent it, not by its place in the retry.
    std::string field = s.field();
    field.replace(0, field.find(']') + 1, At(at.collection, sent_at));
    json object = {
        {"klass", at.collection},
        {"index", sent_at},
        {"errorReports", json::array({ErrorReportFor(Status(s.code(), s.message(), field))})}};
    if (obj.is_object() && obj.contains("id") && obj["id"].is_string()) object["uid"] = obj["id"];
    refused[at.collection].push_back(std::move(object));
    ++count;
    arr->erase(static_cast<std::size_t>(at.index));
    positions.erase(positions.begin() + at.index);
  }
}

BundlePosition PositionOf(const std::string& field) {
  BundlePosition p;
  p.collection = field;
  if (auto open = field.find('['); open != std::string::npos) {
    p.collection = field.substr(0, open);
    auto close = field.find(']', open);
    char* end = nullptr;
    long i = std::strtol(field.c_str() + open + 1, &end, 10);
    if (close != std::string::npos && end == field.c_str() + close) p.index = i;
    if (close != std::string::npos && close + 1 < field.size() && field[close + 1] == '.')
      p.property = field.substr(close + 2);
  }
  return p;
}

json ErrorReportFor(const Status& s) {
  BundlePosition at = PositionOf(s.field());
  const std::string& property = at.property;
  const std::string& m = s.message();
  auto has = [&m](const char* text) { return m.find(text) != std::string::npos; };
  const char* code = has("importStrategy is CREATE")                               ? "E5000"
                     : has("importStrategy is UPDATE") || has("nothing to delete") ? "E5001"
                     : has("still refer")                                          ? "E4030"
                     : s.code() == StatusCode::kNotFound                           ? "E5002"
                     : has("is required")                                          ? "E4000"
                     : has("appears twice") || has("already")                      ? "E5003"
                                                                                   : "E4001";
  return {{"message", s.field().empty() ? m : s.field() + ": " + m},
          {"mainKlass", at.collection},
          {"errorCode", code},
          {"errorProperty", property},
          {"errorProperties", json::array({property})}};
}

json OrgUnitJson(const Catalog& catalog, const OrgUnitRecord& u, bool detail) {
  json j = Identified(u);
  j["shortName"] = u.short_name;
  j["level"] = u.level;
  if (const auto* p = catalog.OrgUnits().ById(u.parent_id))
    j["parent"] = {{"id", p->uid}, {"code", p->code}, {"name", p->name}};
  if (!u.facility_type.empty()) j["facilityType"] = u.facility_type;
  if (!u.opening_date.empty()) j["openingDate"] = u.opening_date;
  if (detail) {
    j["path"] = u.path;
    json ancestors = json::array();
    for (const auto* a : catalog.AncestorsAndSelf(u.id))
      if (a->id != u.id)
        ancestors.push_back(
            {{"id", a->uid}, {"code", a->code}, {"name", a->name}, {"level", a->level}});
    j["ancestors"] = ancestors;
    json children = json::array();
    for (const auto* c : catalog.ChildrenOf(u.id)) {
      json cj = {{"id", c->uid}, {"name", c->name}, {"level", c->level}};
      if (!c->code.empty()) cj["code"] = c->code;
      children.push_back(std::move(cj));
    }
    j["children"] = children;
    j["leaf"] = children.empty();
  }
  return j;
}

json ExportMetadata(const Catalog& c, const MetadataExportOptions& options) {
  const auto& r = c.records();
  auto visible = [&](const OrgUnitRecord& u) {
    return !options.org_unit_filter || options.org_unit_filter(u);
  };
  auto unit_refs = [&](const std::vector<std::string>& uids) {
    json a = json::array();
    for (const auto& uid : uids)
      if (const auto* u = c.OrgUnits().ByUid(uid); u && visible(*u)) a.push_back(Ref(uid));
    return a;
  };
  json out;
  out["system"] = {{"name", "weijian"}};
  if (options.include_org_units) {
    json units = json::array();
    for (const auto& u : c.org_units()) {
      if (!visible(u)) continue;
      json j = Identified(u);
      j["shortName"] = u.short_name;
      j["level"] = u.level;
      j["path"] = u.path;
      if (const auto* p = c.OrgUnits().ById(u.parent_id)) j["parent"] = Ref(p->uid);
      if (!u.facility_type.empty()) j["facilityType"] = u.facility_type;
      if (!u.opening_date.empty()) j["openingDate"] = u.opening_date;
      units.push_back(std::move(j));
    }
    out["organisationUnits"] = std::move(units);
  }
  json a = json::array();
  for (const auto& o : r.category_options) {
    json j = Identified(o);
    j["shortName"] = o.short_name;
    a.push_back(std::move(j));
  }
  out["categoryOptions"] = std::move(a);
  a = json::array();
  for (const auto& x : r.categories) {
    json j = Identified(x);
    j["dataDimensionType"] = x.data_dimension_type;
    j["categoryOptions"] = Refs(x.option_uids);
    a.push_back(std::move(j));
  }
  out["categories"] = std::move(a);
  a = json::array();
  for (const auto& x : r.category_combos) {
    json j = Identified(x);
    j["dataDimensionType"] = x.data_dimension_type;
    j["categories"] = Refs(x.category_uids);
    a.push_back(std::move(j));
  }
  out["categoryCombos"] = std::move(a);
  a = json::array();
  for (const auto& x : r.category_option_combos) {
    json j = Identified(x);
    j["categoryCombo"] = Ref(x.combo_uid);
    j["categoryOptions"] = Refs(x.option_uids);
    a.push_back(std::move(j));
  }
  out["categoryOptionCombos"] = std::move(a);
  a = json::array();
  for (const auto& x : r.data_elements) {
    json j = Identified(x);
    j["shortName"] = x.short_name;
    if (!x.description.empty()) j["description"] = x.description;
    j["valueType"] = x.value_type;
    j["aggregationType"] = x.aggregation_type;
    j["domainType"] = x.domain_type;
    j["categoryCombo"] = Ref(x.combo_uid);
    j["zeroIsSignificant"] = x.zero_is_significant;
    a.push_back(std::move(j));
  }
  out["dataElements"] = std::move(a);
  a = json::array();
  for (const auto& x : r.data_sets) {
    json j = Identified(x);
    j["shortName"] = x.short_name;
    j["periodType"] = x.period_type;
    j["categoryCombo"] = Ref(x.combo_uid);
    j["openFuturePeriods"] = x.open_future_periods;
    j["expiryDays"] = x.expiry_days;
    j["timelyDays"] = x.timely_days;
    json els = json::array();
    for (const auto& e : x.elements) {
      json ej = {{"dataElement", Ref(e.data_element_uid)}};
      if (!e.combo_uid.empty()) ej["categoryCombo"] = Ref(e.combo_uid);
      els.push_back(std::move(ej));
    }
    j["dataSetElements"] = std::move(els);
    j["organisationUnits"] = unit_refs(x.org_unit_uids);
    json compulsory = json::array();
    for (const auto& c : r.compulsory_operands) {
      if (c.data_set_uid != x.uid) continue;
      json cj = {{"dataElement", Ref(c.data_element_uid)}};
      if (!c.coc_uid.empty()) cj["categoryOptionCombo"] = Ref(c.coc_uid);
      compulsory.push_back(std::move(cj));
    }
    j["compulsoryDataElementOperands"] = std::move(compulsory);
    a.push_back(std::move(j));
  }
  out["dataSets"] = std::move(a);
  a = json::array();
  for (const auto& x : r.indicator_types) {
    json j = Identified(x);
    j["factor"] = x.factor;
    j["number"] = x.number;
    a.push_back(std::move(j));
  }
  out["indicatorTypes"] = std::move(a);
  a = json::array();
  for (const auto& x : r.indicators) {
    json j = Identified(x);
    j["shortName"] = x.short_name;
    if (!x.description.empty()) j["description"] = x.description;
    j["indicatorType"] = Ref(x.indicator_type_uid);
    j["numerator"] = x.numerator;
    j["numeratorDescription"] = x.numerator_description;
    j["denominator"] = x.denominator;
    j["denominatorDescription"] = x.denominator_description;
    if (x.decimals) j["decimals"] = *x.decimals;
    a.push_back(std::move(j));
  }
  out["indicators"] = std::move(a);
  a = json::array();
  for (const auto& x : r.org_unit_groups) {
    json j = Identified(x);
    j["shortName"] = x.short_name;
    j["organisationUnits"] = unit_refs(x.org_unit_uids);
    a.push_back(std::move(j));
  }
  out["organisationUnitGroups"] = std::move(a);
  a = json::array();
  for (const auto& x : r.constants) {
    json j = Identified(x);
    j["value"] = x.value;
    a.push_back(std::move(j));
  }
  out["constants"] = std::move(a);
  ExportControls(c, out);
  a = json::array();
  auto side = [](const storage::ValidationSideRecord& s) {
    json j = {{"expression", s.expression}, {"missingValueStrategy", s.missing_value_strategy}};
    if (!s.description.empty()) j["description"] = s.description;
    return j;
  };
  for (const auto& x : r.validation_rules) {
    json j = Identified(x);
    if (!x.description.empty()) j["description"] = x.description;
    if (!x.instruction.empty()) j["instruction"] = x.instruction;
    j["importance"] = x.importance;
    j["operator"] = x.op;
    j["periodType"] = x.period_type;
    j["leftSide"] = side(x.left);
    j["rightSide"] = side(x.right);
    j["organisationUnitLevels"] = x.org_unit_levels;
    a.push_back(std::move(j));
  }
  out["validationRules"] = std::move(a);
  a = json::array();
  for (const auto& x : r.validation_rule_groups) {
    json j = Identified(x);
    if (!x.description.empty()) j["description"] = x.description;
    j["validationRules"] = Refs(x.rule_uids);
    a.push_back(std::move(j));
  }
  out["validationRuleGroups"] = std::move(a);
  ExportDocuments(c, out);
  return out;
}

Status EnsureDefaults(storage::Store& store) {
  storage::MetadataRecords r;
  storage::CategoryOptionRecord option;
  option.uid = kDefaultCategoryOptionUid;
  option.code = "default";
  option.name = option.short_name = "default";
  storage::CategoryRecord category;
  category.uid = kDefaultCategoryUid;
  category.code = "default";
  category.name = "default";
  category.option_uids = {option.uid};
  storage::CategoryComboRecord combo;
  combo.uid = kDefaultCategoryComboUid;
  combo.code = "default";
  combo.name = "default";
  combo.category_uids = {category.uid};
  storage::CategoryOptionComboRecord coc;
  coc.uid = kDefaultCocUid;
  coc.code = "default";
  coc.name = "default";
  coc.combo_uid = combo.uid;
  coc.option_uids = {option.uid};
  r.category_options.push_back(option);
  r.categories.push_back(category);
  r.category_combos.push_back(combo);
  r.category_option_combos.push_back(coc);
  return store.UpsertMetadata(r);
}

}  // namespace weijian::metadata
