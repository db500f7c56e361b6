// DHIS2 tracker import and export of the immunization records (issue 17, item 8).
//
// POST /api/tracker takes DHIS2's payload: trackedEntities (children) with nested enrollments
// and events, and flat enrollments and events. Each object goes through the checks of
// /api/immunization (PrepareChild, PrepareDose: the ID check, the schedule's refusing rules, the
// caller's write scope); a dose recorded but invalid (too early, too soon) is a warning report.
//
// All-or-nothing: the whole import runs in one store transaction (Store::InOneTransaction), so
// objects later in the payload see the ones before (a child created above, a lot's balance after
// the doses above). Each object is written by one store call, its last step, atomic on its own;
// under atomicMode=OBJECT each object also runs in a savepoint. New children are checked one by
// one and written in batches (Store::AddTrackedEntitiesBulk, one audit row per batch and unit
// naming every child) before any other write; new doses without a stock movement likewise
// (Store::AddImmunizationDosesBulk) before any other write and at the end; each child's placements
// (the warnings) are computed after all of its doses (PlaceImported). atomicMode=OBJECT keeps the
// objects that passed; atomicMode=ALL and a dry run roll the whole transaction back. The writer
// lock is held for the import's length: other writers wait (bench/README.md "Tracker import").
#include "tracker/exchange.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/beside.h"
#include "core/hex.h"
#include "core/json_limits.h"
#include "core/uid.h"
#include "tracker/immunization.h"
#include "tracker/resident_id.h"

namespace weijian::tracker {

using nlohmann::json;

struct TrackerPayload::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const json* body = nullptr;  // the nlohmann value, when not parsed by simdjson
};

TrackerPayload::TrackerPayload() : impl_(std::make_unique<Impl>()) {}
TrackerPayload::TrackerPayload(const json& body) : impl_(std::make_unique<Impl>()) {
  impl_->body = &body;
}
TrackerPayload::TrackerPayload(TrackerPayload&&) noexcept = default;
TrackerPayload& TrackerPayload::operator=(TrackerPayload&&) noexcept = default;
TrackerPayload::~TrackerPayload() = default;

namespace {

// True when no object in `e` has a key twice (nlohmann keeps the last value; ParseJsonBody
// refuses the body, as DHIS2 does). Objects of a payload have a dozen keys: compared in turn.
bool NoKeyTwice(simdjson::dom::element e) {
  simdjson::dom::array arr;
  if (!e.get_array().get(arr)) {
    for (simdjson::dom::element item : arr)
      if (!NoKeyTwice(item)) return false;
    return true;
  }
  simdjson::dom::object obj;
  if (e.get_object().get(obj)) return true;
  std::vector<std::string_view> keys;
  keys.reserve(obj.size());
  for (simdjson::dom::key_value_pair field : obj) {
    if (std::find(keys.begin(), keys.end(), field.key) != keys.end()) return false;
    keys.push_back(field.key);
    if (!NoKeyTwice(field.value)) return false;
  }
  return true;
}

}  // namespace

bool TrackerPayload::Parse(const std::string& text) {
  impl_->body = nullptr;
  simdjson::dom::element root;
  if (impl_->parser.parse(text).get(root) || !NoKeyTwice(root)) return false;
  impl_->root = root;
  return true;
}

// A value of the payload, read the same way from simdjson's DOM or a nlohmann value: the import
// asks only whether a value is an object, array, string or null, a string's text, an object's
// key and an array's items. Absent (a key not in the object) is its own state.
class PayloadNode {
 public:
  PayloadNode() = default;
  explicit PayloadNode(const json* j) : j_(j), present_(true) {}
  explicit PayloadNode(simdjson::dom::element e) : e_(e), fast_(true), present_(true) {}

  bool present() const { return present_; }
  bool is_object() const { return present_ && (fast_ ? e_.is_object() : j_->is_object()); }
  bool is_array() const { return present_ && (fast_ ? e_.is_array() : j_->is_array()); }
  bool is_string() const { return present_ && (fast_ ? e_.is_string() : j_->is_string()); }
  bool is_null() const { return present_ && (fast_ ? e_.is_null() : j_->is_null()); }
  // Absent or null.
  bool missing() const { return !present_ || is_null(); }
  // A string's text (is_string() only).
  std::string text() const {
    if (!fast_) return j_->get<std::string>();
    std::string_view v;
    return e_.get_string().get(v) ? std::string() : std::string(v);
  }
  // An object's value of `key`; absent when there is none or this is not an object.
  PayloadNode find(const char* key) const {
    if (!is_object()) return {};
    if (fast_) {
      simdjson::dom::element v;
      return e_.at_key(key).get(v) ? PayloadNode() : PayloadNode(v);
    }
    auto it = j_->find(key);
    return it == j_->end() ? PayloadNode() : PayloadNode(&*it);
  }
  // An array's items (is_array() only).
  std::vector<PayloadNode> items() const {
    std::vector<PayloadNode> out;
    if (fast_) {
      simdjson::dom::array arr;
      if (e_.get_array().get(arr)) return out;
      out.reserve(arr.size());
      for (simdjson::dom::element e : arr) out.emplace_back(e);
    } else {
      out.reserve(j_->size());
      for (const auto& e : *j_) out.emplace_back(&e);
    }
    return out;
  }

 private:
  const json* j_ = nullptr;
  simdjson::dom::element e_;
  bool fast_ = false, present_ = false;
};

namespace {

std::vector<TrackerFieldDef> MakeAttributes() {
  using F = TrackerField;
  std::vector<TrackerFieldDef> v = {
      {F::kName, "NAME", "姓名", "TEXT", "name", {}},
      {F::kSex, "SEX", "性别", "TEXT", "sex", {}},
      {F::kBirthDate, "BIRTH_DATE", "出生日期", "DATE", "birthDate", {}},
      {F::kIdNumber, "ID_NUMBER", "居民身份证号", "TEXT", "idNumber", {}},
      {F::kBirthCertificate,
       "BIRTH_CERTIFICATE",
       "出生医学证明编号",
       "TEXT",
       "birthCertificate",
       {}},
      {F::kGuardianName, "GUARDIAN_NAME", "监护人姓名", "TEXT", "guardians[0].name", {}},
      {F::kGuardianRelation,
       "GUARDIAN_RELATION",
       "监护人关系",
       "TEXT",
       "guardians[0].relation",
       {}},
      {F::kGuardianPhone, "GUARDIAN_PHONE", "监护人电话", "PHONE_NUMBER", "guardians[0].phone", {}},
      {F::kGuardian2Name, "GUARDIAN2_NAME", "第二监护人姓名", "TEXT", "guardians[1].name", {}},
      {F::kGuardian2Relation,
       "GUARDIAN2_RELATION",
       "第二监护人关系",
       "TEXT",
       "guardians[1].relation",
       {}},
      {F::kGuardian2Phone,
       "GUARDIAN2_PHONE",
       "第二监护人电话",
       "PHONE_NUMBER",
       "guardians[1].phone",
       {}},
      {F::kAddress, "ADDRESS", "住址", "TEXT", "address", {}},
      {F::kVillage, "VILLAGE", "居住村", "ORGANISATION_UNIT", "village", {}},
  };
  for (auto& d : v) d.uid = StableUid("trackerAttribute", d.code);
  return v;
}

std::vector<TrackerFieldDef> MakeDataElements() {
  using F = TrackerField;
  std::vector<TrackerFieldDef> v = {
      {F::kVaccine, "VACCINE", "疫苗", "TEXT", "vaccine", {}},
      {F::kLot, "LOT", "批号", "TEXT", "lot", {}},
      {F::kManufacturer, "MANUFACTURER", "生产企业", "TEXT", "manufacturer", {}},
      {F::kLotExpiry, "LOT_EXPIRY", "有效期", "DATE", "lotExpiry", {}},
      {F::kTraceCode, "TRACE_CODE", "疫苗追溯码", "TEXT", "traceCode", {}},
      {F::kVaccinator, "VACCINATOR", "接种者", "TEXT", "vaccinator", {}},
      {F::kSite, "SITE", "接种部位", "TEXT", "site", {}},
      {F::kRoute, "ROUTE", "接种途径", "TEXT", "route", {}},
      {F::kDoseNumber, "DOSE_NUMBER", "剂次（程序判定）", "INTEGER", "", {}},
      {F::kDoseState, "DOSE_STATE", "剂次状态（程序判定）", "TEXT", "", {}},
  };
  for (auto& d : v) d.uid = StableUid("trackerDataElement", d.code);
  return v;
}

const std::vector<TrackerFieldDef>& Attributes() {
  static const std::vector<TrackerFieldDef> kAttributes = MakeAttributes();
  return kAttributes;
}
const std::vector<TrackerFieldDef>& DataElements() {
  static const std::vector<TrackerFieldDef> kDataElements = MakeDataElements();
  return kDataElements;
}

const TrackerFieldDef* FindIn(const std::vector<TrackerFieldDef>& defs, const std::string& key) {
  for (const auto& d : defs)
    if (d.uid == key || d.code == key) return &d;
  return nullptr;
}

// The attribute or data element an /api/immunization field maps to ("guardians[0].phone").
const TrackerFieldDef* DefOfInput(const std::string& field) {
  if (field.empty()) return nullptr;
  for (const auto* defs : {&Attributes(), &DataElements()})
    for (const auto& d : *defs)
      if (field == d.input) return &d;
  if (field == "guardians") return &TrackerFieldOf(TrackerField::kGuardianName);
  return nullptr;
}

// "2024-03-15T00:00:00.000" or "2024-03-15": the day; "" when absent.
Result<std::string> DayOf(const PayloadNode& obj, const char* key) {
  const PayloadNode it = obj.find(key);
  if (it.missing()) return std::string();
  if (!it.is_string()) return Conflict("应为日期（YYYY-MM-DD 或 ISO 8601 时间）", key);
  std::string text = it.text();
  const std::string day = text.substr(0, 10);
  if (!ParseIsoDate(day).ok() || (text.size() > 10 && text[10] != 'T' && text[10] != ' '))
    return Conflict("应为真实日期（YYYY-MM-DD 或 ISO 8601 时间），收到 " + text, key);
  return day;
}

std::string TextOf(const PayloadNode& obj, const char* key) {
  const PayloadNode it = obj.find(key);
  return it.is_string() ? it.text() : std::string();
}

std::string IsoTime(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string DayTime(const std::string& day) { return day.empty() ? day : day + "T00:00:00.000"; }

const char* kTypes[] = {"TRACKED_ENTITY", "ENROLLMENT", "EVENT"};

// A value as JSON text, as POST /api/tracker's JsonResponse writes it.
std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// `s` as a JSON string: plain printable ASCII as it is, anything else as nlohmann writes it.
void AppendJsonString(std::string& out, std::string_view s) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (!plain) {
    out += DumpJson(std::string(s));
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

}  // namespace

std::span<const TrackerFieldDef> TrackerAttributes() { return Attributes(); }
std::span<const TrackerFieldDef> TrackerDataElements() { return DataElements(); }
const TrackerFieldDef* FindTrackerAttribute(const std::string& k) {
  return FindIn(Attributes(), k);
}
const TrackerFieldDef* FindTrackerDataElement(const std::string& k) {
  return FindIn(DataElements(), k);
}
const TrackerFieldDef& TrackerFieldOf(TrackerField f) {
  for (const auto* defs : {&Attributes(), &DataElements()})
    for (const auto& d : *defs)
      if (d.field == f) return d;
  return Attributes().front();  // unreachable: every field is in one table
}

const std::string& ChildEntityTypeUid() {
  static const std::string kUid = StableUid("trackedEntityType", "CHILD");
  return kUid;
}
const std::string& ImmunizationProgramUid() {
  static const std::string kUid = StableUid("program", "IMMUNIZATION");
  return kUid;
}
const std::string& DoseStageUid() {
  static const std::string kUid = StableUid("programStage", "IMMUNIZATION_DOSE");
  return kUid;
}

json TrackerProgramMetadata() {
  auto def_json = [](const TrackerFieldDef& d) {
    json j = {{"id", d.uid}, {"code", d.code}, {"name", d.name}, {"valueType", d.value_type}};
    if (!*d.input) j["readOnly"] = true;
    return j;
  };
  json attrs = json::array(), des = json::array();
  for (const auto& d : Attributes())
    attrs.push_back(
        {{"trackedEntityAttribute", def_json(d)},
         {"mandatory", d.field == TrackerField::kName || d.field == TrackerField::kSex ||
                           d.field == TrackerField::kBirthDate}});
  for (const auto& d : DataElements())
    des.push_back(
        {{"dataElement", def_json(d)}, {"compulsory", d.field == TrackerField::kVaccine}});
  const json type = {{"id", ChildEntityTypeUid()}, {"code", "CHILD"}, {"name", "儿童"}};
  return {{"trackedEntityTypes", json::array({type})},
          {"programs",
           json::array({{{"id", ImmunizationProgramUid()},
                         {"code", "IMMUNIZATION"},
                         {"name", "免疫规划"},
                         {"programType", "WITH_REGISTRATION"},
                         {"trackedEntityType", {{"id", ChildEntityTypeUid()}}},
                         {"programTrackedEntityAttributes", attrs},
                         {"programStages", json::array({{{"id", DoseStageUid()},
                                                         {"code", "IMMUNIZATION_DOSE"},
                                                         {"name", "接种记录"},
                                                         {"repeatable", true},
                                                         {"programStageDataElements", des}}})}}})}};
}

// --- import -------------------------------------------------------------------------------

struct ImmunizationService::ObjectOutcome {
  std::string action;  // "created", "updated", "deleted" when it passed
  std::string code, message, field;
  const TrackerFieldDef* def = nullptr;  // the attribute or data element the error is about
  bool fatal = false;                    // the store failed: the whole import stops
  // Nothing written or changed yet: write the import's pending doses (FlushImportDoses), then
  // import this object again. Its own write must come after theirs.
  bool flush_first = false;
  json warnings = json::array();
  bool ok() const { return code.empty(); }
};

// One object of the payload in the flat lists the import runs through, not a copy of it
// (bench/README.md "Tracker import", session 14: copying each object into its list and
// destroying the copies was a sixth of the import): the payload's own object (a nested list in
// it is not part of it: its objects have entries of their own), its uid (generated when absent
// or null; "" when it is not a string), and for a nested object its parent's uid, which stands
// for the object's own key of that name (an enrollment's trackedEntity, an event's enrollment).
struct ImmunizationService::ImportObject {
  PayloadNode obj;
  std::string uid;
  std::optional<std::string> parent;
  // The object's key `key`, or its parent's uid when the parent names it.
  std::string ParentOr(const char* key) const;
};

struct ImmunizationService::ImportRun {
  ImportRun(const auth::Principal& who, const metadata::Catalog& cat, const TrackerImportOptions& o,
            Date today, std::int64_t now, const PersonVault* vault)
      : who(who), cat(cat), o(o), today(today), now(now), vault(vault) {}
  const auth::Principal& who;
  const metadata::Catalog& cat;
  const TrackerImportOptions& o;
  Date today;
  std::int64_t now;
  const PersonVault* vault;
  // Sets and maps the checks look up once or more per object: hashed (a red-black tree of
  // 20,000 uids was 4% of an import; bench/README.md "Tracker import", session 14).
  std::unordered_set<std::string> created_tes, failed_tes, failed_enrollments, deleted_tes;
  // The children this import created with an enrollment the payload names (nested in them, or
  // a flat one that took the place of the one generated for them): a second one is refused.
  std::unordered_set<std::string> enrolled_tes;
  // Children this import created with their enrollment CANCELLED (as the export writes a child
  // who left the system): created open, so that their doses are recorded, and closed at the end
  // of the import by a transfer out of the system (a record on file changes status only by a
  // transfer).
  std::vector<std::string> closing;
  // tracked entity uid -> its first enrollment
  std::map<std::string, ImmunizationService::ImportObject> nested_enrollment;
  // What the checks of an event read, read once per import rather than once per event
  // (bench/README.md "Tracker import"): children by enrollment uid, their doses and holds, and
  // the units' lots (a dose's checks read no personal field: the children are not opened). Filled
  // on first use; entries are dropped where a write of this import changes what they hold, and a
  // new dose is added after its write succeeded, so they equal what the import's transaction would
  // read. (An object refused under atomicMode=OBJECT is rolled back to its savepoint; it changed no
  // entry.)
  std::unordered_map<std::string, storage::TrackedEntityRecord> by_enrollment;
  std::unordered_map<std::int64_t, std::vector<storage::ImmunizationDoseRecord>> doses;
  std::unordered_map<std::int64_t, std::vector<Hold>> holds;
  LotsByUnit lots;
  // New doses checked and not yet written (bench/README.md "Tracker import", session 12): the
  // ones without a stock movement wait here and are written together, with one audit row, by
  // FlushImportDoses, before any other write of the import and at its end. Until then they are
  // in `doses` with a provisional id (after every id on record, in payload order, as the ids
  // they will get), and their children's `doses` entries are dropped once they are written.
  static constexpr std::int64_t kProvisionalIds = std::int64_t{1} << 62;
  std::vector<storage::ImmunizationDoseRecord> pending;
  std::unordered_set<std::string> pending_uids;
  // Event uids of the payload no dose had when the import began (one query for them all, not
  // one per event: bench/README.md "Tracker import", session 15). A uid leaves the set when its
  // event passes as created, so that from then on its dose is looked for in the store.
  std::unordered_set<std::string> absent_uids;
  // The same for the payload's tracked-entity uids: a uid no child had when the import began,
  // and that this import has not created, names no child (ImportTrackedEntity reads nothing).
  std::unordered_set<std::string> absent_te_uids;
  // The children this import created, as written (ids filled by FlushImportChildren), and the
  // enrollment uids that only one of them was created with and no child had before the import
  // (enrollment uid → child uid): a nested enrollment of such a child is its creation's, and
  // ImportEnrollment reads nothing for it. `absent_enrollments`: the payload's enrollment uids
  // no child had when the import began and no child of it has claimed yet.
  std::unordered_map<std::string, storage::TrackedEntityRecord> created_records;
  std::unordered_set<std::string> absent_enrollments;
  std::unordered_map<std::string, std::string> own_enrollments;
  std::map<std::int64_t, std::string> pending_children;  // their records: id → uid (the audit)
  std::int64_t next_provisional = kProvisionalIds;
  // New children checked and not yet written (bench/README.md "Tracker import", session 13):
  // written together by FlushImportChildren, in payload order, with one audit row per unit,
  // before any write that is not one of them (every enrollment and event comes after them).
  // `pending_keys` holds their blind indexes ("id ..." and "name_birth ..."): a child with the
  // same ID number, or name and birth date, is checked again after they are written, so that
  // PrepareChild's refusal and duplicate warning see them as before.
  std::vector<storage::Store::BulkChild> pending_tes;
  std::unordered_set<std::string> pending_te_uids, pending_keys;
  std::string import_id = RandomUid();  // names the import in its audit rows
  int batches = 0;
  // The new doses whose placement in the schedule (the report's warnings) is computed after all
  // of a child's doses, one Forecast per child rather than one per dose (PlaceImported).
  struct Placing {
    storage::TrackedEntityRecord person;
    std::vector<Hold> holds;
    struct Dose {
      std::size_t seq;  // the event's place in the report
      std::string uid, vaccine, given_on;
    };
    std::vector<Dose> doses;
  };
  std::map<std::int64_t, Placing> placing;
  std::size_t seq = 0;  // the object being imported, in report order
  std::vector<std::pair<std::size_t, json>> late_warnings;  // (seq, warning) from PlaceImported

  // Forgets what the import read of a child it has just changed.
  void Forget(const storage::TrackedEntityRecord& r) {
    by_enrollment.erase(r.enrollment_uid);
    doses.erase(r.id);
    holds.erase(r.id);
    created_records.erase(r.uid);
  }
};

namespace {

using Outcome = ImmunizationService::ObjectOutcome;

Outcome Fail(std::string code, std::string message, std::string field = {}) {
  Outcome o;
  o.code = std::move(code);
  o.message = std::move(message);
  o.field = std::move(field);
  o.def = DefOfInput(o.field);
  return o;
}

// A refusal of the /api/immunization checks as an error report: out of scope is E1000, a field's
// check E1007 for an attribute, E1302 for a data element, `other` for the rest.
Outcome FromStatus(const Status& s, const char* other) {
  if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kInternal) {
    Outcome o = Fail("E9999", s.message());
    o.fatal = true;
    return o;
  }
  if (s.code() == StatusCode::kPermissionDenied) return Fail("E1000", s.message());
  Outcome o = Fail(other, s.message(), s.field());
  if (o.def) o.code = o.def->field >= TrackerField::kVaccine ? "E1302" : "E1007";
  return o;
}

// The warnings of a dose's placement: recorded but not counted (too early, too soon), or given
// under a hold.
json PlacementWarnings(const json& placed) {
  json out = json::array();
  if (placed.value("state", "") == "GIVEN_INVALID")
    out.push_back({{"errorCode", "E1300"},
                   {"message", "已登记，但为无效剂次（" + placed.value("stateName", "") + "）：" +
                                   placed.value("reason", "")}});
  if (placed.contains("warning"))
    out.push_back({{"errorCode", "E1300"}, {"message", placed["warning"]}});
  return out;
}

Outcome FlushFirst() {
  Outcome o;
  o.flush_first = true;
  return o;
}

Outcome Passed(const char* action) {
  Outcome o;
  o.action = action;
  return o;
}

// The strategy for one object: CREATE_AND_UPDATE resolves to CREATE or UPDATE by existence.
std::string Resolve(const std::string& strategy, bool exists) {
  if (strategy == "CREATE_AND_UPDATE") return exists ? "UPDATE" : "CREATE";
  return strategy;
}

Status CheckUid(const std::string& uid, const char* field) {
  if (!IsValidUid(uid)) return Conflict("uid 应为 11 位字母数字、以字母开头：" + uid, field);
  return Status::Ok();
}

// Why an enrollment day (YYYY-MM-DD, "" for none) cannot be a child's: after today (E1020) or
// before his birth (E1025, DHIS2's code for an invalid enrollment date).
std::optional<Outcome> EnrolledAtRefusal(const std::string& at, const std::string& birth,
                                         Date today) {
  if (at.empty()) return std::nullopt;
  if (at > FormatIsoDate(today)) return Fail("E1020", "入组日期 " + at + " 晚于今天", "enrolledAt");
  if (at < birth) return Fail("E1025", "入组日期 " + at + " 早于出生日期 " + birth, "enrolledAt");
  return std::nullopt;
}

}  // namespace

std::string ImmunizationService::ImportObject::ParentOr(const char* key) const {
  return parent ? *parent : TextOf(obj, key);
}

Outcome ImmunizationService::ImportTrackedEntity(ImportRun& run, const ImportObject& object) {
  const PayloadNode& te = object.obj;
  if (!te.is_object()) return Fail("E1121", "应为对象", "trackedEntity");
  const std::string& uid = object.uid;
  if (Status s = CheckUid(uid, "trackedEntity"); !s.ok()) return Fail("E1048", s.message(), "uid");
  if (run.pending_te_uids.count(uid)) return FlushFirst();  // the same uid above, not written yet
  const std::string type = TextOf(te, "trackedEntityType");
  if (!type.empty() && type != ChildEntityTypeUid() && type != "CHILD")
    return Fail("E1005", "没有儿童以外的追踪实体类型：" + type, "trackedEntityType");
  auto found = run.absent_te_uids.count(uid) && !run.created_tes.count(uid)
                   ? Result<std::optional<storage::TrackedEntityRecord>>(std::nullopt)
                   : store_.FindTrackedEntity(uid);
  if (!found.ok()) return FromStatus(found.status(), "E1121");
  const bool visible = found->has_value() && auth::CanRead(run.who, run.cat, (*found)->org_unit_id);
  const std::string strategy = Resolve(run.o.strategy, found->has_value());
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = run.who.name();
  audit.object = "trackedEntity " + uid;
  audit.created = run.now;
  if (strategy == "DELETE") {
    if (!visible) return Fail("E1063", "没有儿童档案 " + uid, "trackedEntity");
    if (!auth::CanWrite(run.who, run.cat, (*found)->org_unit_id))
      return Fail("E1000", "儿童档案 " + uid + " 的接种单位不在您可以删除的范围内");
    audit.org_unit_id = (*found)->org_unit_id;
    audit.detail = "删除儿童档案（tracker 导入）";
    if (!run.pending_tes.empty()) return FlushFirst();  // the children waiting are written first
    if (Status s = store_.DeleteTrackedEntity((*found)->id, audit); !s.ok())
      return FromStatus(s, "E1100");
    run.Forget(**found);
    run.deleted_tes.insert(uid);
    return Passed("deleted");
  }
  if (strategy == "CREATE" && found->has_value())
    return Fail("E1002", "儿童档案 " + uid + " 已存在，importStrategy=CREATE 不能重复建档",
                "trackedEntity");
  if (strategy == "UPDATE" && !visible)
    return Fail("E1063", "没有儿童档案 " + uid + "（importStrategy=UPDATE 只更新已有档案）",
                "trackedEntity");

  // The child's fields: an update starts from the record and changes what the payload sends.
  ChildInput in;
  std::optional<Person> current;
  if (strategy == "UPDATE") {
    if (!auth::CanWrite(run.who, run.cat, (*found)->org_unit_id))
      return Fail("E1000", "儿童档案 " + uid + " 的接种单位不在您可以修改的范围内");
    auto p = Unseal(*run.vault, **found);
    if (!p.ok()) return FromStatus(p.status(), "E1121");
    current = std::move(*p);
    const auto* unit = run.cat.OrgUnits().ById(current->record.org_unit_id);
    const auto* village =
        current->record.village_id ? run.cat.OrgUnits().ById(current->record.village_id) : nullptr;
    in.org_unit = unit ? unit->uid : "";
    in.village = village ? village->uid : "";
    in.sex = current->record.sex;
    in.birth_date = current->record.birth_date;
    const json& sealed = current->sealed;
    in.name = sealed.value("name", "");
    in.id_number = sealed.value("idNumber", "");
    in.birth_certificate = sealed.value("birthCertificate", "");
    in.address = sealed.value("address", "");
    for (const auto& g : sealed.value("guardians", json::array()))
      in.guardians.push_back({g.value("name", ""), g.value("relation", ""), g.value("phone", "")});
  }
  if (auto ou = TextOf(te, "orgUnit"); !ou.empty()) {
    const auto* unit = run.cat.OrgUnits().ByUidOrCode(ou);
    if (!unit) return Fail("E1049", "没有组织机构 " + ou, "orgUnit");
    if (current && unit->id != current->record.org_unit_id)
      return Fail("E1121",
                  "档案的管理单位不能在导入中变更，请办理迁移（POST "
                  "/api/immunization/children/{uid}/transfers）",
                  "orgUnit");
    in.org_unit = unit->uid;
  } else if (!current) {
    return Fail("E1121", "请填写 orgUnit（管理档案的接种单位）", "orgUnit");
  }
  if (const PayloadNode attrs = te.find("attributes"); !attrs.missing()) {
    if (!attrs.is_array()) return Fail("E1121", "应为数组", "attributes");
    for (const PayloadNode& a : attrs.items()) {
      const std::string key = a.is_object() ? TextOf(a, "attribute") : "";
      const TrackerFieldDef* def = FindTrackerAttribute(key);
      if (!def) return Fail("E1006", "没有属性 " + key + "（见 GET /api/tracker/programs）");
      const PayloadNode v = a.find("value");
      std::string value;
      if (!v.missing()) {
        if (!v.is_string()) {
          Outcome o = Fail("E1007", std::string("属性值应为文字：") + def->name, def->input);
          return o;
        }
        value = v.text();
      }
      if (value.size() > 400) return Fail("E1007", std::string(def->name) + "太长", def->input);
      auto guardian = [&](std::size_t i) -> GuardianInput& {
        if (in.guardians.size() <= i) in.guardians.resize(i + 1);
        return in.guardians[i];
      };
      using F = TrackerField;
      switch (def->field) {
        case F::kName:
          in.name = value;
          break;
        case F::kSex:
          in.sex = value;
          break;
        case F::kBirthDate:
          in.birth_date = value.substr(0, std::min<std::size_t>(value.size(), 10));
          break;
        case F::kIdNumber:
          in.id_number = value;
          break;
        case F::kBirthCertificate:
          in.birth_certificate = value;
          break;
        case F::kGuardianName:
          guardian(0).name = value;
          break;
        case F::kGuardianRelation:
          guardian(0).relation = value;
          break;
        case F::kGuardianPhone:
          guardian(0).phone = value;
          break;
        case F::kGuardian2Name:
          guardian(1).name = value;
          break;
        case F::kGuardian2Relation:
          guardian(1).relation = value;
          break;
        case F::kGuardian2Phone:
          guardian(1).phone = value;
          break;
        case F::kAddress:
          in.address = value;
          break;
        case F::kVillage:
          in.village = value;
          break;
        default:
          break;
      }
    }
  }
  // A second guardian left empty is no guardian.
  std::erase_if(in.guardians, [](const GuardianInput& g) {
    return g.name.empty() && g.phone.empty() && g.relation.empty();
  });
  auto prepared =
      PrepareChild(run.who, run.cat, in, run.today, run.now, current ? &current->record : nullptr);
  if (!prepared.ok()) {
    Outcome o = FromStatus(prepared.status(), "E1121");
    if (o.code == "E1000") o.field = "orgUnit";  // the unit is what a child's scope is about
    return o;
  }
  storage::TrackedEntityRecord& r = prepared->person.record;
  r.uid = uid;
  audit.org_unit_id = r.org_unit_id;
  audit.object = "trackedEntity " + uid;
  if (auto en = run.nested_enrollment.find(uid); en != run.nested_enrollment.end()) {
    const std::string& enrollment = en->second.uid;
    auto at = DayOf(en->second.obj, "enrolledAt");
    if (!at.ok()) return Fail("E1025", at.status().message(), "enrolledAt");
    if (!current) {
      r.enrollment_uid = enrollment;
      // A day after today or before birth is the enrollment's refusal (ImportEnrollment); the
      // child keeps the day of his creation.
      if (!EnrolledAtRefusal(*at, r.birth_date, run.today)) r.enrolled_at = *at;
    }
  }
  Outcome out;
  if (current) {
    audit.detail = "修改儿童档案（tracker 导入）";
    if (!run.pending_tes.empty()) return FlushFirst();  // the children waiting are written first
    if (Status s = store_.UpdateTrackedEntity(r, current->record.updated, audit); !s.ok())
      return FromStatus(s, "E1121");
    run.Forget(current->record);
    out = Passed("updated");
  } else {
    if (r.enrolled_at.empty()) r.enrolled_at = FormatIsoDate(run.today);
    if (r.enrollment_uid.empty()) r.enrollment_uid = RandomUid();
    // PrepareChild read the store without the children waiting: one with the same ID number, or
    // name and birth date, is written first and this child checked again.
    const std::string id_key = "id " + r.id_index, name_key = "name_birth " + r.name_birth_index;
    if ((!r.id_index.empty() && run.pending_keys.count(id_key)) || run.pending_keys.count(name_key))
      return FlushFirst();
    // Written with the import's other new children (FlushImportChildren).
    if (!r.id_index.empty()) run.pending_keys.insert(id_key);
    run.pending_keys.insert(name_key);
    run.pending_te_uids.insert(uid);
    run.pending_tes.push_back({r, {}});
    run.created_tes.insert(uid);
    if (run.nested_enrollment.count(uid)) run.enrolled_tes.insert(uid);
    // Its enrollment is its own while no child had it before and no other child takes it: the
    // first claim takes it out of the absent ones, a second one out of the owned ones.
    if (run.absent_enrollments.erase(r.enrollment_uid))
      run.own_enrollments.emplace(r.enrollment_uid, uid);
    else
      run.own_enrollments.erase(r.enrollment_uid);
    out = Passed("created");
  }
  if (!prepared->duplicates.empty())
    out.warnings.push_back({{"errorCode", "E1113"},
                            {"message", "可能与已有档案重复（同姓名、出生日期和监护人电话）：" +
                                            prepared->duplicates.dump()}});
  return out;
}

Outcome ImmunizationService::ImportEnrollment(ImportRun& run, const ImportObject& object) {
  const PayloadNode& en = object.obj;
  if (!en.is_object()) return Fail("E1121", "应为对象", "enrollment");
  const std::string& uid = object.uid;
  if (Status s = CheckUid(uid, "enrollment"); !s.ok()) return Fail("E1048", s.message(), "uid");
  const std::string te = object.ParentOr("trackedEntity");
  if (run.failed_tes.count(te))
    return Fail("E5000", "所属儿童档案 " + te + " 未通过校验", "trackedEntity");
  if (run.o.strategy == "DELETE") {
    if (run.deleted_tes.count(te)) return Passed("deleted");
    return Fail("E1121",
                "免疫规划的入组不能单独删除：请删除接种记录（events）或儿童档案（trackedEntities）",
                "enrollment");
  }
  const std::string program = TextOf(en, "program");
  if (!program.empty() && program != ImmunizationProgramUid() && program != "IMMUNIZATION")
    return Fail("E1069",
                "没有项目 " + program + "（只有免疫规划 " + ImmunizationProgramUid() + "）",
                "program");
  auto at = DayOf(en, "enrolledAt");
  if (!at.ok()) return Fail("E1025", at.status().message(), "enrolledAt");
  // The enrolling unit, when named, is the child's managing unit: a unit changes by a transfer.
  const std::string ou = TextOf(en, "orgUnit");
  const storage::OrgUnitRecord* unit = ou.empty() ? nullptr : run.cat.OrgUnits().ByUidOrCode(ou);
  if (!ou.empty() && !unit) return Fail("E1070", "没有组织机构 " + ou, "orgUnit");
  // The status is the child's record's: ACTIVE, or CANCELLED once he left the system (as the
  // export writes it). Nothing else is kept, and a change is a transfer, not an import.
  const std::string status = TextOf(en, "status");
  if (!status.empty() && status != "ACTIVE" && status != "CANCELLED")
    return Fail("E1121",
                "入组状态只能是 ACTIVE，或 CANCELLED（已迁出系统）：收到 " + status +
                    "，免疫规划不保存其他状态",
                "status");
  // What the payload says of the child's enrollment that his record does not hold. `created`: the
  // enrollment the child was created with by this import, which may close him (CANCELLED).
  auto refusal = [&](const storage::TrackedEntityRecord& person,
                     bool created) -> std::optional<Outcome> {
    if (unit && unit->id != person.org_unit_id) {
      const auto* managing = run.cat.OrgUnits().ById(person.org_unit_id);
      return Fail("E1041",
                  "入组单位 " + ou + " 不是档案 " + person.uid + " 的接种单位" +
                      (managing ? " " + managing->name : std::string()) +
                      "（变更管理单位请办理迁移：POST /api/immunization/children/{uid}/transfers）",
                  "orgUnit");
    }
    const bool away = person.status == "TRANSFERRED_OUT";
    if (!status.empty() && (status == "CANCELLED") != away && !(created && !away))
      return Fail("E1121",
                  away
                      ? "儿童档案 " + person.uid +
                            " 已迁出系统（入组状态 CANCELLED）：迁回请办理迁入（POST "
                            "/api/immunization/children/{uid}/transfers，指定接种单位）"
                      : "免疫规划的入组不能在导入中取消（CANCELLED）：儿童迁出系统请办理迁出（POST "
                        "/api/immunization/children/{uid}/transfers，填写迁往地）",
                  "status");
    return EnrolledAtRefusal(*at, person.birth_date, run.today);
  };
  auto created = [&](const storage::TrackedEntityRecord& person) {
    if (status == "CANCELLED" && person.status != "TRANSFERRED_OUT")
      run.closing.push_back(person.uid);
    run.by_enrollment.emplace(uid, person);
    return Passed("created");
  };
  // The enrollment a child of this import was created with, which no other child has: what the
  // two reads below would give is known (the child, by its enrollment and by its uid).
  if (auto own = run.own_enrollments.find(uid);
      own != run.own_enrollments.end() && own->second == te) {
    if (auto child = run.created_records.find(te); child != run.created_records.end()) {
      const storage::TrackedEntityRecord& person = child->second;
      if (!auth::CanRead(run.who, run.cat, person.org_unit_id))
        return Fail("E1068", "没有儿童档案 " + te, "trackedEntity");
      if (!auth::CanWrite(run.who, run.cat, person.org_unit_id))
        return Fail("E1000", "儿童档案 " + person.uid + " 的接种单位不在您可以修改的范围内");
      if (auto refused = refusal(person, true)) return *refused;
      return created(person);
    }
  }
  auto by_uid = store_.FindTrackedEntityByEnrollment(uid);
  if (!by_uid.ok()) return FromStatus(by_uid.status(), "E1121");
  auto person = te.empty() ? std::move(*by_uid) : std::optional<storage::TrackedEntityRecord>();
  if (!te.empty()) {
    auto p = store_.FindTrackedEntity(te);
    if (!p.ok()) return FromStatus(p.status(), "E1121");
    person = std::move(*p);
  }
  if (!person || !auth::CanRead(run.who, run.cat, person->org_unit_id))
    return Fail("E1068",
                "没有儿童档案 " + (te.empty() ? std::string("（未填写 trackedEntity）") : te),
                "trackedEntity");
  if (!auth::CanWrite(run.who, run.cat, person->org_unit_id))
    return Fail("E1000", "儿童档案 " + person->uid + " 的接种单位不在您可以修改的范围内");
  if (by_uid->has_value() && (*by_uid)->id != person->id)
    return Fail("E1080", "入组 " + uid + " 已属于另一份档案", "enrollment");
  const bool same = person->enrollment_uid == uid;
  // A child created just above with this enrollment: its creation wrote it. Its events find
  // the child here instead of reading it again.
  const bool creation = same && run.created_tes.count(person->uid);
  // Or one that takes the place of the enrollment generated for a child this import created
  // without one (a flat payload): his creation's as well.
  const bool replacing =
      !same && run.created_tes.count(person->uid) && !run.enrolled_tes.count(person->uid);
  if (auto refused = refusal(*person, creation || replacing)) return *refused;
  if (creation) return created(*person);
  const std::string strategy = Resolve(run.o.strategy, same);
  if (strategy == "CREATE" && same) return Fail("E1080", "入组 " + uid + " 已存在", "enrollment");
  if (strategy == "UPDATE" && !same) return Fail("E1081", "没有入组 " + uid, "enrollment");
  // A child created by this import takes the enrollment named here in place of the one generated
  // for him, once: a second one would replace the first (E1015 within a payload as across).
  if (strategy == "CREATE" &&
      (!run.created_tes.count(person->uid) || run.enrolled_tes.count(person->uid)))
    return Fail("E1015",
                "儿童档案 " + person->uid + " 已入组免疫规划（" + person->enrollment_uid + "）",
                "enrollment");
  storage::TrackedEntityRecord r = *person;
  r.enrollment_uid = uid;
  if (!at->empty()) r.enrolled_at = *at;
  r.updated = std::max(run.now, person->updated + 1);
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = run.who.name();
  audit.org_unit_id = r.org_unit_id;
  audit.object = "enrollment " + uid;
  audit.detail = "免疫规划入组（tracker 导入，档案 " + r.uid + "）";
  audit.created = run.now;
  if (Status s = store_.UpdateTrackedEntity(r, person->updated, audit); !s.ok())
    return FromStatus(s, "E1121");
  run.Forget(*person);
  if (strategy == "CREATE") {
    run.enrolled_tes.insert(person->uid);
    if (status == "CANCELLED" && person->status != "TRANSFERRED_OUT")
      run.closing.push_back(person->uid);
  }
  return Passed(strategy == "CREATE" ? "created" : "updated");
}

Outcome ImmunizationService::ImportEvent(ImportRun& run, const ImportObject& object) {
  const PayloadNode& ev = object.obj;
  if (!ev.is_object()) return Fail("E1121", "应为对象", "event");
  const std::string& uid = object.uid;
  if (Status s = CheckUid(uid, "event"); !s.ok()) return Fail("E1048", s.message(), "uid");
  const std::string enrollment = object.ParentOr("enrollment");
  if (run.failed_enrollments.count(enrollment))
    return Fail("E5001", "所属入组 " + enrollment + " 未通过校验", "enrollment");
  if (run.pending_uids.count(uid)) return FlushFirst();  // the same uid above, not written yet
  auto found = run.absent_uids.count(uid)
                   ? Result<std::optional<storage::ImmunizationDoseRecord>>(std::nullopt)
                   : store_.FindImmunizationDose(uid);
  if (!found.ok()) return FromStatus(found.status(), "E1121");
  // An update or delete is written at once: the doses waiting go first.
  if (found->has_value() && !run.pending.empty()) return FlushFirst();
  std::optional<storage::TrackedEntityRecord> owner;
  if (found->has_value()) {
    auto p = store_.FindTrackedEntityById((*found)->tracked_entity_id);
    if (!p.ok()) return FromStatus(p.status(), "E1121");
    owner = std::move(*p);
  }
  const bool visible = owner && auth::CanRead(run.who, run.cat, owner->org_unit_id);
  const std::string strategy = Resolve(run.o.strategy, found->has_value());
  storage::AuditRecord audit;
  audit.type = "TRACKER";
  audit.username = run.who.name();
  audit.object = "dose " + uid;
  audit.created = run.now;
  if (strategy == "DELETE") {
    if (!visible) return Fail("E1032", "没有接种记录 " + uid, "event");
    if (!auth::CanWrite(run.who, run.cat, owner->org_unit_id))
      return Fail("E1000", "接种记录 " + uid + " 的档案不在您可以删除的范围内");
    audit.org_unit_id = owner->org_unit_id;
    audit.detail =
        "删除接种记录 " + (*found)->vaccine + " " + (*found)->given_on + "（tracker 导入）";
    if (Status s = store_.DeleteImmunizationDose((*found)->id, audit); !s.ok())
      return FromStatus(s, "E1121");
    run.doses.erase(owner->id);
    return Passed("deleted");
  }
  if (strategy == "CREATE" && found->has_value())
    return Fail("E1030", "接种记录 " + uid + " 已存在，importStrategy=CREATE 不能重复登记",
                "event");
  if (strategy == "UPDATE" && !visible)
    return Fail("E1032", "没有接种记录 " + uid + "（importStrategy=UPDATE 只更新已有记录）",
                "event");

  const std::string stage = TextOf(ev, "programStage");
  if (!stage.empty() && stage != DoseStageUid() && stage != "IMMUNIZATION_DOSE")
    return Fail("E1013", "没有程序阶段 " + stage + "（接种记录为 " + DoseStageUid() + "）",
                "programStage");
  const std::string status = TextOf(ev, "status");
  if (!status.empty() && status != "COMPLETED" && status != "ACTIVE")
    return Fail("E1121", "只接受已接种的记录（status COMPLETED 或 ACTIVE），收到 " + status,
                "status");

  // The child: the dose's own for an update, else the enrollment's (or trackedEntity's).
  std::optional<storage::TrackedEntityRecord> person = owner;
  if (!person) {
    if (auto known = run.by_enrollment.find(enrollment); known != run.by_enrollment.end()) {
      person = known->second;
    } else {
      Result<std::optional<storage::TrackedEntityRecord>> p =
          enrollment.empty() ? store_.FindTrackedEntity(TextOf(ev, "trackedEntity"))
                             : store_.FindTrackedEntityByEnrollment(enrollment);
      if (!p.ok()) return FromStatus(p.status(), "E1121");
      person = std::move(*p);
      if (person && !enrollment.empty()) run.by_enrollment.emplace(enrollment, *person);
    }
  }
  if (!person || !auth::CanRead(run.who, run.cat, person->org_unit_id))
    return Fail("E1033",
                "没有入组 " + (enrollment.empty() ? std::string("（未填写）") : enrollment),
                "enrollment");
  if (owner && !enrollment.empty() && enrollment != owner->enrollment_uid)
    return Fail("E1121", "接种记录不能移到另一份档案", "enrollment");

  DoseInput in;
  in.person = person->uid;
  if (found->has_value()) {
    const auto& d = **found;
    const auto* unit = run.cat.OrgUnits().ById(d.org_unit_id);
    in.vaccine = d.vaccine;
    in.date = d.given_on;
    in.org_unit = unit ? unit->uid : "";
    in.vaccinator = d.vaccinator;
    in.site = d.site;
    in.route = d.route;
    in.lot = d.lot;
    in.manufacturer = d.manufacturer;
    in.lot_expiry = d.lot_expiry;
    in.trace_code = d.trace_code;
  }
  auto day = DayOf(ev, "occurredAt");
  if (!day.ok()) return Fail("E1031", day.status().message(), "occurredAt");
  if (!day->empty()) in.date = *day;
  if (in.date.empty()) return Fail("E1031", "请填写接种日期 occurredAt", "occurredAt");
  if (auto ou = TextOf(ev, "orgUnit"); !ou.empty()) in.org_unit = ou;
  if (const PayloadNode values = ev.find("dataValues"); !values.missing()) {
    if (!values.is_array()) return Fail("E1121", "应为数组", "dataValues");
    for (const PayloadNode& dv : values.items()) {
      const std::string key = dv.is_object() ? TextOf(dv, "dataElement") : "";
      const TrackerFieldDef* def = FindTrackerDataElement(key);
      if (!def) return Fail("E1304", "没有数据元 " + key + "（见 GET /api/tracker/programs）");
      if (!*def->input) continue;  // doseNumber and doseState: the engine's, not the client's
      const PayloadNode v = dv.find("value");
      std::string value;
      if (!v.missing()) {
        if (!v.is_string())
          return Fail("E1302", std::string("值应为文字：") + def->name, def->input);
        value = v.text();
      }
      if (value.size() > 200) return Fail("E1302", std::string(def->name) + "太长", def->input);
      using F = TrackerField;
      switch (def->field) {
        case F::kVaccine:
          in.vaccine = value;
          break;
        case F::kLot:
          in.lot = value;
          break;
        case F::kManufacturer:
          in.manufacturer = value;
          break;
        case F::kLotExpiry:
          in.lot_expiry = value;
          break;
        case F::kTraceCode:
          in.trace_code = value;
          break;
        case F::kVaccinator:
          in.vaccinator = value;
          break;
        case F::kSite:
          in.site = value;
          break;
        case F::kRoute:
          in.route = value;
          break;
        default:
          break;
      }
    }
  }
  if (in.vaccine.empty())
    return Fail("E1302", "请填写疫苗（数据元 VACCINE，疫苗目录代码）", "vaccine");

  auto known_doses = run.doses.find(person->id);
  if (known_doses == run.doses.end()) {
    auto read = store_.ListImmunizationDoses(person->id);
    if (!read.ok()) return FromStatus(read.status(), "E1121");
    // The import's doses of the child are inserted below: room for a payload's worth (a child's
    // first year is ten) without moving the records again and again.
    read->reserve(read->size() + 16);
    known_doses = run.doses.emplace(person->id, std::move(*read)).first;
  }
  std::vector<storage::ImmunizationDoseRecord>& doses = known_doses->second;
  // An update checks the dose against the child's other doses.
  std::vector<storage::ImmunizationDoseRecord> others;
  if (found->has_value()) {
    others = doses;
    std::erase_if(others,
                  [&](const storage::ImmunizationDoseRecord& d) { return d.id == (*found)->id; });
  }
  auto prepared = PrepareDose(run.who, run.cat, *person, in, found->has_value() ? others : doses,
                              run.today, run.now, uid, &run.lots);
  if (!prepared.ok()) return FromStatus(prepared.status(), "E1300");
  // Recorded but not counted (too early, too soon), or given under a hold: warnings.
  auto known_holds = run.holds.find(person->id);
  if (known_holds == run.holds.end()) {
    auto read = HoldsOf(person->id);
    if (!read.ok()) return FromStatus(read.status(), "E1121");
    known_holds = run.holds.emplace(person->id, std::move(*read)).first;
  }
  const std::vector<Hold>* holds = &known_holds->second;
  json placed;
  Outcome out;
  if (found->has_value()) {
    storage::ImmunizationDoseRecord d = prepared->dose;
    d.id = (*found)->id;
    d.created = (*found)->created;
    d.created_by = (*found)->created_by;
    prepared->audit.detail = "修改接种记录 " + d.vaccine + " " + d.given_on + "（tracker 导入）";
    if (Status s = store_.UpdateImmunizationDose(d, prepared->audit); !s.ok())
      return FromStatus(s, "E1300");
    prepared->dose = d;
    out = Passed("updated");
    doses = std::move(others);
    doses.push_back(d);  // last, as the schedule engine has always been given an updated dose
    placed = Placement(*person, doses, *holds, d.vaccine, d.given_on);
    doses.pop_back();
  } else if (!prepared->movement) {
    // Written with the import's other new doses (FlushImportDoses).
    prepared->dose.id = run.next_provisional++;  // joins `pending` below, after its last use
    run.pending_uids.insert(uid);
    run.absent_uids.erase(uid);
    run.pending_children[person->id] = person->uid;
    out = Passed("created");
  } else {
    // From stock: written at once with its movement (the lot's balance is checked there).
    if (!run.pending.empty()) return FlushFirst();
    prepared->audit.detail += "（tracker 导入）";
    if (Status s = WriteDose(*prepared); !s.ok()) return FromStatus(s, "E1300");
    run.absent_uids.erase(uid);
    out = Passed("created");
  }
  // A dose from stock changed the lot's balance.
  if (prepared->movement) run.lots.erase(prepared->dose.org_unit_id);
  // In the order ListImmunizationDoses reads them (date, then id: a new dose has the largest id,
  // so it comes last of its day, where the schedule engine has always been given it).
  doses.insert(std::upper_bound(doses.begin(), doses.end(), prepared->dose,
                                [](const storage::ImmunizationDoseRecord& a,
                                   const storage::ImmunizationDoseRecord& b) {
                                  return std::tie(a.given_on, a.id) < std::tie(b.given_on, b.id);
                                }),
               prepared->dose);
  if (placed.is_null() && !prepared->movement) {
    // Placed after the child's other doses of this import (PlaceImported).
    auto [it, fresh] = run.placing.try_emplace(person->id);
    if (fresh) {
      it->second.person = *person;
      it->second.holds = *holds;
    }
    it->second.doses.push_back({run.seq, uid, prepared->dose.vaccine, prepared->dose.given_on});
    if (!found->has_value()) run.pending.push_back(std::move(prepared->dose));
    return out;
  }
  if (placed.is_null())
    placed = Placement(*person, doses, *holds, prepared->dose.vaccine, prepared->dose.given_on);
  out.warnings = PlacementWarnings(placed);
  return out;
}

void ImmunizationService::PlaceImported(ImportRun& run) {
  for (auto& entry : run.placing) {
    // Named, not a structured binding: the lambda below captures it (clang 14 cannot capture a
    // binding; the ASan build is clang's).
    auto& child = entry.second;
    const std::vector<storage::ImmunizationDoseRecord>& all = run.doses.at(entry.first);
    const Date birth = ParseIsoDate(child.person.birth_date).value();
    std::vector<RecordedDose> recorded;
    recorded.reserve(all.size());
    for (const auto& x : all)
      if (auto day = ParseIsoDate(x.given_on); day.ok()) recorded.push_back({x.vaccine, *day});
    // The doses as the import had them when it placed new dose i: without the new ones after it.
    auto before_later = [&](std::size_t i) {
      std::set<std::string> later;
      for (std::size_t j = i + 1; j < child.doses.size(); ++j) later.insert(child.doses[j].uid);
      std::vector<storage::ImmunizationDoseRecord> kept;
      for (const auto& x : all)
        if (!later.count(x.uid)) kept.push_back(x);
      return kept;
    };
    // One Forecast on the last day places a dose as the Forecast on its own day did when no new
    // dose after it in the payload is dated before it, the rows cannot move with later doses,
    // and the alternatives left out (JE, HepA) are those each dose saw.
    bool in_order = true;
    for (std::size_t i = 1; i < child.doses.size(); ++i)
      in_order = in_order && child.doses[i - 1].given_on <= child.doses[i].given_on;
    Date last = birth;
    for (const auto& r : recorded) last = std::max(last, r.date);
    // By edition: the one Forecast, or none when each dose needs its own.
    std::map<const ScheduleEdition*, std::optional<std::vector<DoseForecast>>> rows;
    for (std::size_t i = 0; i < child.doses.size(); ++i) {
      const auto& d = child.doses[i];
      const Date date = ParseIsoDate(d.given_on).value();
      const ScheduleEdition& edition = EditionInForce(date);
      auto [found, first] = rows.try_emplace(&edition);
      if (first && in_order && !LaterDosesMayMoveRows(edition, recorded)) {
        const auto excluded = ExcludedAlternatives(edition, recorded);
        // Without a dose of an alternative series, every dose saw the same ones left out.
        bool alternatives = false;
        for (const auto& alt : edition.alternatives)
          for (const DoseRule& r : edition.doses)
            if (std::find(alt.series.begin(), alt.series.end(), r.series) != alt.series.end())
              for (const auto& x : recorded)
                alternatives = alternatives || std::find(r.products.begin(), r.products.end(),
                                                         x.vaccine) != r.products.end();
        bool same = true;
        for (std::size_t k = 0; alternatives && same && k < child.doses.size(); ++k) {
          std::vector<RecordedDose> seen;
          const Date on = ParseIsoDate(child.doses[k].given_on).value();
          for (const auto& x : before_later(k))
            if (auto day = ParseIsoDate(x.given_on); day.ok() && *day <= on)
              seen.push_back({x.vaccine, *day});
          same = ExcludedAlternatives(edition, seen) == excluded;
        }
        if (same) found->second = tracker::Forecast(edition, birth, recorded, child.holds, last);
      }
      const json placed = found->second ? PlacementIn(*found->second, child.holds, d.vaccine, date)
                                        : Placement(child.person, before_later(i), child.holds,
                                                    d.vaccine, d.given_on);
      for (auto& w : PlacementWarnings(placed)) {
        w["trackerType"] = "EVENT";
        w["uid"] = d.uid;
        run.late_warnings.emplace_back(d.seq, std::move(w));
      }
    }
  }
  run.placing.clear();
}

Status ImmunizationService::FlushImportChildren(ImportRun& run) {
  if (run.pending_tes.empty()) return Status::Ok();
  // One audit row per unit that manages the batch's children (its auditors see their own, as
  // for a child registered by hand), naming the import and every child by its record and
  // enrollment uid (no personal data), with the count and a digest of the uids.
  std::map<std::int64_t, std::pair<std::string, std::string>> by_unit;  // uids, lines
  std::map<std::int64_t, int> counts;
  for (const auto& c : run.pending_tes) {
    auto& [uids, lines] = by_unit[c.person.org_unit_id];
    ++counts[c.person.org_unit_id];
    uids += c.person.uid;
    uids += '\n';
    lines += "\n" + c.person.uid + "（入组 " + c.person.enrollment_uid + "）";
  }
  ++run.batches;
  std::vector<storage::AuditRecord> audits;
  for (const auto& [unit, text] : by_unit) {
    storage::AuditRecord audit;
    audit.type = "TRACKER";
    audit.username = run.who.name();
    audit.org_unit_id = unit;
    audit.object = "tracker import " + run.import_id + " #" + std::to_string(run.batches);
    audit.detail = "tracker 导入：儿童建档 " + std::to_string(counts[unit]) +
                   " 人，档案 uid 摘要 SHA-256 " + Sha256Hex(text.first) + text.second;
    audit.created = run.now;
    audits.push_back(std::move(audit));
  }
  WJ_RETURN_IF_ERROR(store_.AddTrackedEntitiesBulk(run.pending_tes, audits));
  // A child just written has no dose and no hold on record: his events need not read them.
  // (Room for a payload's worth of doses, as ImportEvent leaves after a read.)
  for (storage::Store::BulkChild& c : run.pending_tes) {
    run.doses.try_emplace(c.person.id).first->second.reserve(16);
    run.holds.try_emplace(c.person.id);
    std::string uid = c.person.uid;
    run.created_records.insert_or_assign(std::move(uid), std::move(c.person));  // cleared below
  }
  run.pending_tes.clear();
  run.pending_te_uids.clear();
  run.pending_keys.clear();
  return Status::Ok();
}

Status ImmunizationService::FlushImportDoses(ImportRun& run) {
  if (run.pending.empty()) {
    PlaceImported(run);
    return Status::Ok();
  }
  // The new doses' placements (the report's warnings, a forecast per child) are computed beside
  // the write of the doses, on a thread of their own (bench/README.md "Tracker import", session
  // 24). That thread touches only `placing`, `late_warnings` and (reading) `doses`; this one
  // leaves them alone until it has waited for it.
  auto placed = StartBeside(run.placing.size(), [this, &run] { PlaceImported(run); });
  // One audit row per unit the batch's doses were given at (its auditors see their own, as for
  // a dose entered by hand), naming the import and listing every dose as a clerk's entry names
  // it — uid, vaccine, date, the child's record — with the counts and a digest of the uids.
  std::map<std::int64_t, std::vector<storage::ImmunizationDoseRecord>> by_unit;
  {  // sized first: a dose record is a dozen strings, and each regrowth moved them all
    std::unordered_map<std::int64_t, std::size_t> counts;
    for (const auto& d : run.pending) ++counts[d.org_unit_id];
    for (const auto& [unit, n] : counts) by_unit[unit].reserve(n);
  }
  for (auto& d : run.pending) {
    d.id = 0;
    by_unit[d.org_unit_id].push_back(std::move(d));  // `pending` is cleared below
  }
  ++run.batches;
  for (auto& [unit, doses] : by_unit) {
    std::set<std::int64_t> of;
    std::string uids, lines;
    for (const auto& d : doses) {
      of.insert(d.tracked_entity_id);
      uids += d.uid;
      uids += '\n';
      lines += "\n" + d.uid + " " + d.vaccine + " " + d.given_on + "（档案 " +
               run.pending_children[d.tracked_entity_id] + "）";
    }
    storage::AuditRecord audit;
    audit.type = "TRACKER";
    audit.username = run.who.name();
    audit.org_unit_id = unit;
    audit.object = "tracker import " + run.import_id + " #" + std::to_string(run.batches);
    audit.detail = "tracker 导入：登记接种 " + std::to_string(doses.size()) + " 条（儿童 " +
                   std::to_string(of.size()) + " 人），接种记录 uid 摘要 SHA-256 " +
                   Sha256Hex(uids) + lines;
    audit.created = run.now;
    WJ_RETURN_IF_ERROR(store_.AddImmunizationDosesBulk(doses, audit));
  }
  placed.get();
  // Their ids were provisional: the children's doses are read again when needed.
  for (const auto& [id, uid] : run.pending_children) run.doses.erase(id);
  run.pending.clear();
  run.pending_uids.clear();
  run.pending_children.clear();
  return Status::Ok();
}

Result<json> ImmunizationService::ImportTracker(const auth::Principal& who,
                                                const metadata::Catalog& cat, const json& body,
                                                const TrackerImportOptions& o, Date today,
                                                std::int64_t now) {
  return ImportTrackerPayload(who, cat, TrackerPayload(body), o, today, now);
}

Result<json> ImmunizationService::ImportTrackerPayload(const auth::Principal& who,
                                                       const metadata::Catalog& cat,
                                                       const TrackerPayload& payload,
                                                       const TrackerImportOptions& o, Date today,
                                                       std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const TrackerImportReport report,
                      ImportTrackerText(who, cat, payload, o, today, now));
  return json::parse(report.text);
}

Result<TrackerImportReport> ImmunizationService::ImportTrackerText(const auth::Principal& who,
                                                                   const metadata::Catalog& cat,
                                                                   const TrackerPayload& payload,
                                                                   const TrackerImportOptions& o,
                                                                   Date today, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  static const std::set<std::string> kStrategies = {"CREATE", "UPDATE", "CREATE_AND_UPDATE",
                                                    "DELETE"};
  if (!kStrategies.count(o.strategy))
    return Conflict("importStrategy 应为 CREATE、UPDATE、CREATE_AND_UPDATE 或 DELETE",
                    "importStrategy");
  if (o.atomic != "ALL" && o.atomic != "OBJECT")
    return Conflict("atomicMode 应为 ALL 或 OBJECT", "atomicMode");
  const PayloadNode body =
      payload.impl().body ? PayloadNode(payload.impl().body) : PayloadNode(payload.impl().root);
  if (!body.is_object()) return Conflict("请求体应为 JSON 对象", "body");

  ImportRun run{who, cat, o, today, now, vault};
  // Flattened in DHIS2's order; nested objects get their parent's uid (generated when absent).
  std::vector<ImportObject> lists[3];
  // An object whose uid an object of its kind above it in the payload has is refused, and the
  // objects nested in it with it: imported, it would replace the one above (a child's record, or
  // a dose) without a word. `repeats[t][i]` says so for lists[t][i].
  enum class Repeat : std::uint8_t { kNo, kUid, kParent };
  std::vector<Repeat> repeats[3];
  std::unordered_set<std::string> seen[3];
  auto add = [&](int t, ImportObject x, Repeat parent) {
    Repeat r = parent != Repeat::kNo ? Repeat::kParent : Repeat::kNo;
    if (r == Repeat::kNo && IsValidUid(x.uid) && !seen[t].insert(x.uid).second) r = Repeat::kUid;
    lists[t].push_back(std::move(x));
    repeats[t].push_back(r);
    return r;
  };
  auto array_of = [&](const PayloadNode& parent, const char* key) -> Result<PayloadNode> {
    PayloadNode it = parent.find(key);
    if (it.missing()) return PayloadNode();
    if (!it.is_array()) return Conflict("应为数组", key);
    return it;
  };
  auto object_of = [](const PayloadNode& obj, const char* key, const ImportObject* parent) {
    ImportObject out{obj, {}, {}};
    if (!obj.is_object()) return out;
    const PayloadNode it = obj.find(key);
    out.uid = it.missing() ? RandomUid() : it.is_string() ? it.text() : std::string();
    if (parent) out.parent = parent->uid;
    return out;
  };
  auto add_enrollment = [&](const PayloadNode& original, const ImportObject* te,
                            Repeat parent) -> Status {
    ImportObject en = object_of(original, "enrollment", te);
    if (!original.is_object()) {
      add(1, std::move(en), parent);
      return Status::Ok();
    }
    WJ_ASSIGN_OR_RETURN(const PayloadNode events, array_of(original, "events"));
    std::vector<ImportObject> nested;
    if (events.present())
      for (const PayloadNode& e : events.items()) nested.push_back(object_of(e, "event", &en));
    const Repeat r = add(1, std::move(en), parent);
    if (te && r == Repeat::kNo) run.nested_enrollment.emplace(te->uid, lists[1].back());
    for (auto& ev : nested) add(2, std::move(ev), r);
    return Status::Ok();
  };
  WJ_ASSIGN_OR_RETURN(const PayloadNode tes, array_of(body, "trackedEntities"));
  WJ_ASSIGN_OR_RETURN(const PayloadNode ens, array_of(body, "enrollments"));
  WJ_ASSIGN_OR_RETURN(const PayloadNode evs, array_of(body, "events"));
  if (tes.present()) {
    std::size_t i = 0;
    for (const PayloadNode& original : tes.items()) {
      const Repeat r = add(0, object_of(original, "trackedEntity", nullptr), Repeat::kNo);
      // Not moved while its enrollments are added: they go to the other lists.
      const ImportObject& te = lists[0].back();
      if (original.is_object()) {
        auto nested = array_of(original, "enrollments");
        if (!nested.ok())
          return nested.status().WithFieldPrefix("trackedEntities[" + std::to_string(i) + "]");
        if (nested->present())
          for (const PayloadNode& en : nested->items())
            WJ_RETURN_IF_ERROR(add_enrollment(en, &te, r));
      }
      ++i;
    }
  }
  if (ens.present())
    for (const PayloadNode& en : ens.items())
      WJ_RETURN_IF_ERROR(add_enrollment(en, nullptr, Repeat::kNo));
  if (evs.present())
    for (const PayloadNode& e : evs.items()) add(2, object_of(e, "event", nullptr), Repeat::kNo);

  run.pending.reserve(lists[2].size());  // the new doses wait there (FlushImportDoses)
  run.pending_uids.reserve(lists[2].size());

  struct Stats {
    int created = 0, updated = 0, deleted = 0, ignored = 0;
  };
  Stats stats[3];
  // The object reports of each type as JSON text, comma-separated (the report is written as
  // text: building a DOM of 20,000 of them, writing and destroying it was about a tenth of a
  // large import's CPU; bench/README.md "Tracker import", session 16).
  std::string objects[3];
  for (int t = 0; t < 3; ++t) objects[t].reserve(lists[t].size() * 80);
  json errors = json::array(), warnings = json::array();
  std::vector<std::pair<std::size_t, json>> object_warnings;  // (seq, warning)
  Status fatal;
  bool rollback_on_purpose = false;
  // The doses waiting are written (and placed) before the next write that is not one of them.
  auto flush = [&]() -> Status {
    Status s = FlushImportChildren(run);
    if (s.ok()) s = FlushImportDoses(run);
    if (!s.ok()) fatal = s;
    return s;
  };
  auto run_all = [&]() -> Status {
    // Which of the payload's uids no record has yet: one query per kind, not a read per object
    // (bench/README.md "Tracker import", sessions 15 and 25).
    auto note_absent = [](const std::vector<ImportObject>& list, const auto& existing_of,
                          std::unordered_set<std::string>& absent) -> Status {
      std::vector<std::string> uids;
      uids.reserve(list.size());
      for (const ImportObject& x : list)
        if (IsValidUid(x.uid)) uids.push_back(x.uid);
      WJ_ASSIGN_OR_RETURN(const std::vector<std::string> existing, existing_of(uids));
      absent.reserve(uids.size());
      for (auto& uid : uids) absent.insert(std::move(uid));
      for (const auto& uid : existing) absent.erase(uid);
      return Status::Ok();
    };
    using Key = storage::Store::PersonKey;
    WJ_RETURN_IF_ERROR(note_absent(
        lists[0],
        [&](const auto& uids) { return store_.ExistingTrackedEntityKeys(uids, Key::kUid); },
        run.absent_te_uids));
    WJ_RETURN_IF_ERROR(note_absent(
        lists[1],
        [&](const auto& uids) { return store_.ExistingTrackedEntityKeys(uids, Key::kEnrollment); },
        run.absent_enrollments));
    WJ_RETURN_IF_ERROR(note_absent(
        lists[2], [&](const auto& uids) { return store_.ExistingImmunizationDoseUids(uids); },
        run.absent_uids));
    // Deletes go children first; everything else parents first.
    const std::array<int, 3> order =
        o.strategy == "DELETE" ? std::array<int, 3>{2, 1, 0} : std::array<int, 3>{0, 1, 2};
    for (int t : order) {
      for (std::size_t i = 0; i < lists[t].size(); ++i, ++run.seq) {
        const ImportObject& obj = lists[t][i];
        const std::string& uid = obj.uid;
        if ((t != 2 && !run.pending.empty()) || (t != 0 && !run.pending_tes.empty()))
          WJ_RETURN_IF_ERROR(flush());
        // Each object is written by at most one store call, its last step, which is all or
        // nothing on its own; a refused object has written nothing. atomicMode=OBJECT keeps the
        // savepoint per object all the same; ALL rolls the whole import back on any refusal.
        Outcome out;
        Status s;
        const Repeat repeat = repeats[t][i];
        if (repeat == Repeat::kUid) {
          // DHIS2 has no code of its own for a uid twice in one payload: the code of a uid on
          // record already (E1002, E1080, E1030) is the closest.
          static const char* const kCodes[] = {"E1002", "E1080", "E1030"};
          static const char* const kWhat[] = {"儿童档案", "入组", "接种记录"};
          static const char* const kField[] = {"trackedEntity", "enrollment", "event"};
          out = Fail(kCodes[t],
                     std::string(kWhat[t]) + " " + uid +
                         " 在本次导入中出现了不止一次：同一 uid 只能出现一次，后面的一个不导入",
                     kField[t]);
        } else if (repeat == Repeat::kParent) {
          out = t == 1
                    ? Fail("E5000",
                           "所属儿童档案 " + obj.ParentOr("trackedEntity") +
                               " 在本次导入中重复，未导入",
                           "trackedEntity")
                    : Fail("E5001",
                           "所属入组 " + obj.ParentOr("enrollment") + " 在本次导入中重复，未导入",
                           "enrollment");
        }
        while (repeat == Repeat::kNo) {
          auto import_one = [&]() -> Status {
            out = t == 0   ? ImportTrackedEntity(run, obj)
                  : t == 1 ? ImportEnrollment(run, obj)
                           : ImportEvent(run, obj);
            return out.ok() && !out.flush_first ? Status::Ok() : Conflict("object refused");
          };
          if (o.atomic == "OBJECT") {
            s = store_.InOneTransaction(import_one);
          } else {
            (void)import_one();
            s = Status::Ok();
          }
          if (!out.flush_first) break;
          WJ_RETURN_IF_ERROR(flush());
        }
        if (out.fatal) {
          fatal = Unavailable(out.message);
          return fatal;
        }
        if (out.ok() && !s.ok()) {
          fatal = s;
          return s;
        }
        // {"errorReports":[…],"index":i,"trackerType":"…","uid":"…"}: keys in the order
        // nlohmann writes an object's (sorted).
        std::string& report = objects[t];
        if (!report.empty()) report += ',';
        report += "{\"errorReports\":[";
        if (!out.ok()) {
          std::string message = out.message;
          if (!out.field.empty()) message += "（" + out.field + "）";
          json e = {{"message", message},
                    {"errorCode", out.code},
                    {"trackerType", kTypes[t]},
                    {"uid", uid}};
          if (!out.field.empty()) e["field"] = out.field;
          if (out.def)
            e[out.def->field >= TrackerField::kVaccine ? "dataElement" : "attribute"] =
                out.def->uid;
          report += DumpJson(e);
          errors.push_back(std::move(e));
          ++stats[t].ignored;
          // A repeated uid is the one above's too: what is nested in that one goes on.
          if (t == 0 && repeat == Repeat::kNo) run.failed_tes.insert(uid);
          if (t == 1 && repeat == Repeat::kNo) run.failed_enrollments.insert(uid);
        } else {
          Stats& st = stats[t];
          ++(out.action == "created"   ? st.created
             : out.action == "updated" ? st.updated
                                       : st.deleted);
          for (auto& w : out.warnings) {
            w["trackerType"] = kTypes[t];
            w["uid"] = uid;
            object_warnings.emplace_back(run.seq, std::move(w));
          }
        }
        report += "],\"index\":";
        report += std::to_string(i);
        report += ",\"trackerType\":\"";
        report += kTypes[t];
        report += "\",\"uid\":";
        AppendJsonString(report, uid);
        report += '}';
      }
    }
    WJ_RETURN_IF_ERROR(flush());
    // Children whose enrollment came CANCELLED: closed as the workbench's 迁出 closes one.
    for (const std::string& uid : run.closing) {
      TransferInput out;
      out.destination = "系统外（导入时入组状态为 CANCELLED）";
      out.reason = "tracker 导入";
      if (auto closed = Transfer(who, cat, uid, out, today, now); !closed.ok()) {
        fatal = closed.status();
        return fatal;
      }
    }
    if (o.dry_run || (o.atomic == "ALL" && !errors.empty())) {
      rollback_on_purpose = true;
      return Conflict("rolled back");
    }
    return Status::Ok();
  };
  Status s = store_.InOneTransaction(run_all);
  if (!fatal.ok()) return fatal;
  if (!s.ok() && !rollback_on_purpose) return s;
  // In object order: a dose's warnings are placed after its child's other doses.
  for (auto& w : run.late_warnings) object_warnings.push_back(std::move(w));
  std::stable_sort(object_warnings.begin(), object_warnings.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, w] : object_warnings) warnings.push_back(std::move(w));
  // Under atomicMode=ALL a refused import keeps nothing: every object counts as ignored.
  if (o.atomic == "ALL" && !errors.empty())
    for (int t = 0; t < 3; ++t) stats[t] = {0, 0, 0, static_cast<int>(lists[t].size())};
  const std::string status = !errors.empty() ? "ERROR" : !warnings.empty() ? "WARNING" : "OK";
  auto stats_text = [](const Stats& st) {
    return "{\"created\":" + std::to_string(st.created) +
           ",\"deleted\":" + std::to_string(st.deleted) +
           ",\"ignored\":" + std::to_string(st.ignored) +
           ",\"total\":" + std::to_string(st.created + st.updated + st.deleted + st.ignored) +
           ",\"updated\":" + std::to_string(st.updated) + "}";
  };
  Stats total;
  for (int t = 0; t < 3; ++t) {
    total.created += stats[t].created;
    total.updated += stats[t].updated;
    total.deleted += stats[t].deleted;
    total.ignored += stats[t].ignored;
  }
  // Written in the order nlohmann writes the keys of an object (sorted), so the text is the
  // bytes the DOM's dump() gave (TrackerExchange.TheReportTextIsWhatItsDomWrites).
  TrackerImportReport out;
  out.status = status;
  std::string& text = out.text;
  std::size_t size = 512 + DumpJson(errors).size() + DumpJson(warnings).size();
  for (const std::string& list : objects) size += list.size() + 128;
  text.reserve(size);
  text += "{\"atomicMode\":";
  AppendJsonString(text, o.atomic);
  text += ",\"bundleReport\":{\"status\":";
  AppendJsonString(text, status);
  text += ",\"typeReportMap\":{";
  for (int t : {1, 2, 0}) {  // ENROLLMENT, EVENT, TRACKED_ENTITY
    if (t != 1) text += ',';
    text += '"';
    text += kTypes[t];
    text += "\":{\"objectReports\":[";
    text += objects[t];
    text += "],\"stats\":";
    text += stats_text(stats[t]);
    text += ",\"trackerType\":\"";
    text += kTypes[t];
    text += "\"}";
  }
  text += "}},\"dryRun\":";
  text += o.dry_run ? "true" : "false";
  text += ",\"importStrategy\":";
  AppendJsonString(text, o.strategy);
  text += ",\"stats\":";
  text += stats_text(total);
  text += ",\"status\":";
  AppendJsonString(text, status);
  text += ",\"validationReport\":{\"errorReports\":";
  text += DumpJson(errors);
  text += ",\"warningReports\":";
  text += o.report_mode == "ERRORS" ? "[]" : DumpJson(warnings);
  text += '}';
  if (o.report_mode == "FULL") text += ",\"timingsStats\":{}";
  text += '}';
  return out;
}

// --- export -------------------------------------------------------------------------------

json ImmunizationService::EventJson(const metadata::Catalog& cat,
                                    const storage::TrackedEntityRecord& person,
                                    const storage::ImmunizationDoseRecord& d, const json& placed) {
  const auto* unit = cat.OrgUnits().ById(d.org_unit_id);
  json values = json::array();
  auto put = [&](TrackerField f, const std::string& v) {
    if (!v.empty()) values.push_back({{"dataElement", TrackerFieldOf(f).uid}, {"value", v}});
  };
  put(TrackerField::kVaccine, d.vaccine);
  put(TrackerField::kLot, d.lot);
  put(TrackerField::kManufacturer, d.manufacturer);
  put(TrackerField::kLotExpiry, d.lot_expiry);
  put(TrackerField::kTraceCode, d.trace_code);
  put(TrackerField::kVaccinator, d.vaccinator);
  put(TrackerField::kSite, d.site);
  put(TrackerField::kRoute, d.route);
  if (placed.contains("doseNumber"))
    put(TrackerField::kDoseNumber, std::to_string(placed["doseNumber"].get<int>()));
  put(TrackerField::kDoseState, placed.value("state", ""));
  return {{"event", d.uid},
          {"status", "COMPLETED"},
          {"program", ImmunizationProgramUid()},
          {"programStage", DoseStageUid()},
          {"enrollment", person.enrollment_uid},
          {"trackedEntity", person.uid},
          {"orgUnit", unit ? unit->uid : ""},
          {"orgUnitName", unit ? unit->name : ""},
          {"occurredAt", DayTime(d.given_on)},
          {"createdAt", IsoTime(d.created)},
          {"storedBy", d.created_by},
          {"deleted", false},
          {"dataValues", values}};
}

Result<json> ImmunizationService::EnrollmentJson(const metadata::Catalog& cat,
                                                 const storage::TrackedEntityRecord& person,
                                                 bool with_events, Date) {
  const auto* unit = cat.OrgUnits().ById(person.org_unit_id);
  json j = {{"enrollment", person.enrollment_uid},
            {"trackedEntity", person.uid},
            {"program", ImmunizationProgramUid()},
            {"status", person.status == "TRANSFERRED_OUT" ? "CANCELLED" : "ACTIVE"},
            {"orgUnit", unit ? unit->uid : ""},
            {"orgUnitName", unit ? unit->name : ""},
            {"enrolledAt", DayTime(person.enrolled_at)},
            {"occurredAt", DayTime(person.birth_date)},
            {"createdAt", IsoTime(person.created)},
            {"updatedAt", IsoTime(person.updated)},
            {"deleted", false}};
  if (with_events) {
    WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(person.id));
    WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(person.id));
    json events = json::array();
    for (const auto& d : doses)
      events.push_back(
          EventJson(cat, person, d, Placement(person, doses, holds, d.vaccine, d.given_on)));
    j["events"] = std::move(events);
  }
  return j;
}

Result<std::vector<storage::TrackedEntityRecord>> ImmunizationService::ExportRecords(
    const auth::Principal& who, const metadata::Catalog& cat, const TrackerExportQuery& q,
    const char* uid_kind) {
  if (!q.program.empty() && q.program != ImmunizationProgramUid())
    return Conflict("没有项目 " + q.program, "program");
  std::string id_index;
  if (!q.id_number.empty()) {
    WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
    auto parsed = ParseResidentId(q.id_number, Today());
    if (!parsed.ok()) return Conflict(parsed.status().message(), "filter");
    id_index = vault->BlindIndex("id", parsed->number);
  }
  std::vector<std::int64_t> units;
  if (!q.org_unit.empty()) {
    const auto* unit = cat.OrgUnits().ByUidOrCode(q.org_unit);
    if (!unit) return Conflict("没有组织机构 " + q.org_unit, "orgUnit");
    if (!auth::CanRead(who, cat, unit->id))
      return PermissionDenied("单位 " + q.org_unit + " 不在您负责的范围内");
    if (q.ou_mode == "SELECTED") {
      units.push_back(unit->id);
    } else if (q.ou_mode == "CHILDREN") {
      units.push_back(unit->id);
      for (auto c : cat.tree().Children(unit->id)) units.push_back(c);
    } else if (q.ou_mode == "DESCENDANTS") {
      auto sub = cat.tree().SubtreeIds(unit->id);
      units.assign(sub.begin(), sub.end());
    } else {
      return Conflict("ouMode 应为 SELECTED、CHILDREN 或 DESCENDANTS", "ouMode");
    }
  }
  std::vector<storage::TrackedEntityRecord> found;
  if (!q.tracked_entities.empty()) {
    for (const auto& uid : q.tracked_entities) {
      WJ_ASSIGN_OR_RETURN(auto r, store_.FindTrackedEntity(uid));
      if (r) found.push_back(std::move(*r));
    }
  } else if (!q.enrollments.empty()) {
    for (const auto& uid : q.enrollments) {
      WJ_ASSIGN_OR_RETURN(auto r, store_.FindTrackedEntityByEnrollment(uid));
      if (r) found.push_back(std::move(*r));
    }
  } else if (!units.empty()) {
    WJ_ASSIGN_OR_RETURN(found, store_.ListTrackedEntities(units));
  } else {
    return Conflict("请指定 orgUnit（或 " + std::string(uid_kind) + "）", "orgUnit");
  }
  auto listed = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  std::vector<storage::TrackedEntityRecord> out;
  for (auto& r : found) {
    if (!auth::CanRead(who, cat, r.org_unit_id)) continue;
    if (!units.empty() && std::find(units.begin(), units.end(), r.org_unit_id) == units.end())
      continue;
    if (!listed(q.tracked_entities, r.uid) || !listed(q.enrollments, r.enrollment_uid)) continue;
    if ((q.updated_after && r.updated < q.updated_after) ||
        (q.updated_before && r.updated > q.updated_before))
      continue;
    if ((!id_index.empty() && r.id_index != id_index) || (!q.sex.empty() && r.sex != q.sex) ||
        (!q.birth_date.empty() && r.birth_date != q.birth_date))
      continue;
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

template <class T>
std::pair<std::size_t, std::size_t> PageOf(const std::vector<T>& all, const TrackerExportQuery& q) {
  if (q.page_size <= 0) return {0, all.size()};
  const std::size_t from = std::min(
      all.size(), static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.page_size));
  return {from, std::min(all.size(), from + static_cast<std::size_t>(q.page_size))};
}

json Pager(const TrackerExportQuery& q, std::size_t total) {
  if (q.page_size <= 0) return nullptr;
  return {{"page", q.page}, {"pageSize", q.page_size}, {"total", total}};
}

}  // namespace

Result<json> ImmunizationService::ExportTrackedEntities(const auth::Principal& who,
                                                        const metadata::Catalog& cat,
                                                        const TrackerExportQuery& q, Date today,
                                                        std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(const PersonVault* vault, Vault());
  WJ_ASSIGN_OR_RETURN(auto records, ExportRecords(who, cat, q, "trackedEntity"));
  const auto [from, to] = PageOf(records, q);
  json rows = json::array();
  int unmasked_count = 0;
  std::int64_t unmasked_unit = 0;  // the unit of the first record shown unmasked
  for (std::size_t i = from; i < to; ++i) {
    WJ_ASSIGN_OR_RETURN(Person p, Unseal(*vault, std::move(records[i])));
    const bool unmasked = MayUnmask(who, cat, p.record.org_unit_id);
    unmasked_count += unmasked;
    if (unmasked && !unmasked_unit) unmasked_unit = p.record.org_unit_id;
    const json view = View(cat, p, unmasked);
    json attrs = json::array();
    auto put = [&](TrackerField f, const std::string& v) {
      if (v.empty()) return;
      const auto& d = TrackerFieldOf(f);
      attrs.push_back({{"attribute", d.uid},
                       {"code", d.code},
                       {"displayName", d.name},
                       {"valueType", d.value_type},
                       {"value", v}});
    };
    put(TrackerField::kName, view.value("name", ""));
    put(TrackerField::kSex, p.record.sex);
    put(TrackerField::kBirthDate, p.record.birth_date);
    put(TrackerField::kIdNumber, view.value("idNumber", ""));
    put(TrackerField::kBirthCertificate, view.value("birthCertificate", ""));
    const TrackerField g[2][3] = {{TrackerField::kGuardianName, TrackerField::kGuardianRelation,
                                   TrackerField::kGuardianPhone},
                                  {TrackerField::kGuardian2Name, TrackerField::kGuardian2Relation,
                                   TrackerField::kGuardian2Phone}};
    for (std::size_t k = 0; k < 2 && k < view["guardians"].size(); ++k) {
      const json& guardian = view["guardians"][k];
      put(g[k][0], guardian.value("name", ""));
      put(g[k][1], guardian.value("relation", ""));
      put(g[k][2], guardian.value("phone", ""));
    }
    put(TrackerField::kAddress, view.value("address", ""));
    if (view["village"].is_object()) put(TrackerField::kVillage, view["village"].value("id", ""));
    const auto* unit = cat.OrgUnits().ById(p.record.org_unit_id);
    json te = {{"trackedEntity", p.record.uid},
               {"trackedEntityType", ChildEntityTypeUid()},
               {"orgUnit", unit ? unit->uid : ""},
               {"createdAt", IsoTime(p.record.created)},
               {"updatedAt", IsoTime(p.record.updated)},
               {"inactive", p.record.status == "TRANSFERRED_OUT"},
               {"deleted", false},
               {"potentialDuplicate", false},
               {"attributes", attrs}};
    if (q.nested) {
      WJ_ASSIGN_OR_RETURN(json en, EnrollmentJson(cat, p.record, true, today));
      te["enrollments"] = json::array({std::move(en)});
    }
    rows.push_back(std::move(te));
  }
  if (unmasked_count > 0) {
    storage::AuditRecord audit;
    audit.type = "PERSONAL_DATA";
    audit.username = who.name();
    const auto* unit = q.org_unit.empty() ? nullptr : cat.OrgUnits().ByUidOrCode(q.org_unit);
    audit.org_unit_id = unit ? unit->id : unmasked_unit;
    audit.object = "trackedEntities " + (unit ? unit->uid : std::string("by uid"));
    audit.detail = "导出未脱敏的儿童档案（tracker，" + std::to_string(unmasked_count) + " 人）";
    audit.created = now;
    WJ_RETURN_IF_ERROR(store_.AppendAudit(audit));
  }
  json out = {{"trackedEntities", rows}};
  if (json pager = Pager(q, records.size()); !pager.is_null()) out["pager"] = pager;
  return out;
}

Result<json> ImmunizationService::ExportTrackedEntity(const auth::Principal& who,
                                                      const metadata::Catalog& cat,
                                                      const std::string& uid, Date today,
                                                      std::int64_t now) {
  TrackerExportQuery q;
  q.tracked_entities = {uid};
  q.nested = true;
  q.page_size = 0;
  WJ_ASSIGN_OR_RETURN(json list, ExportTrackedEntities(who, cat, q, today, now));
  if (list["trackedEntities"].empty()) return NotFound("没有儿童档案 " + uid, "trackedEntity");
  return list["trackedEntities"][0];
}

Result<json> ImmunizationService::ExportEnrollments(const auth::Principal& who,
                                                    const metadata::Catalog& cat,
                                                    const TrackerExportQuery& q, std::int64_t) {
  WJ_RETURN_IF_ERROR(Vault().status());
  WJ_ASSIGN_OR_RETURN(auto records, ExportRecords(who, cat, q, "enrollment"));
  const auto [from, to] = PageOf(records, q);
  json rows = json::array();
  for (std::size_t i = from; i < to; ++i) {
    WJ_ASSIGN_OR_RETURN(json en, EnrollmentJson(cat, records[i], q.nested, Date{}));
    rows.push_back(std::move(en));
  }
  json out = {{"enrollments", rows}};
  if (json pager = Pager(q, records.size()); !pager.is_null()) out["pager"] = pager;
  return out;
}

Result<json> ImmunizationService::ExportEvents(const auth::Principal& who,
                                               const metadata::Catalog& cat,
                                               const TrackerExportQuery& q, Date) {
  WJ_RETURN_IF_ERROR(Vault().status());
  std::vector<json> events;
  auto day_millis = [](const std::string& day) -> std::int64_t {
    auto t = ParseTimestamp(day + "T00:00");
    return t.ok() ? *t : 0;
  };
  auto add_person = [&](const storage::TrackedEntityRecord& person) -> Status {
    WJ_ASSIGN_OR_RETURN(auto doses, store_.ListImmunizationDoses(person.id));
    WJ_ASSIGN_OR_RETURN(auto holds, HoldsOf(person.id));
    for (const auto& d : doses) {
      if (!q.uids.empty() && std::find(q.uids.begin(), q.uids.end(), d.uid) == q.uids.end())
        continue;
      const std::int64_t at = day_millis(d.given_on);
      if ((q.occurred_after && at < q.occurred_after) ||
          (q.occurred_before && at > q.occurred_before))
        continue;
      events.push_back(
          EventJson(cat, person, d, Placement(person, doses, holds, d.vaccine, d.given_on)));
    }
    return Status::Ok();
  };
  std::vector<storage::TrackedEntityRecord> persons;
  if (!q.uids.empty() && q.tracked_entities.empty() && q.enrollments.empty()) {
    // The events' children, narrowed as any other (within orgUnit when it is given).
    TrackerExportQuery by_child = q;
    for (const auto& uid : q.uids) {
      WJ_ASSIGN_OR_RETURN(auto d, store_.FindImmunizationDose(uid));
      if (!d) continue;
      WJ_ASSIGN_OR_RETURN(auto person, store_.FindTrackedEntityById(d->tracked_entity_id));
      if (person && std::find(by_child.tracked_entities.begin(), by_child.tracked_entities.end(),
                              person->uid) == by_child.tracked_entities.end())
        by_child.tracked_entities.push_back(person->uid);
    }
    if (!by_child.tracked_entities.empty()) {
      WJ_ASSIGN_OR_RETURN(persons, ExportRecords(who, cat, by_child, "event"));
    }
  } else {
    WJ_ASSIGN_OR_RETURN(persons, ExportRecords(who, cat, q, "event"));
  }
  for (const auto& p : persons) WJ_RETURN_IF_ERROR(add_person(p));
  const auto [from, to] = PageOf(events, q);
  json rows = json::array();
  for (std::size_t i = from; i < to; ++i) rows.push_back(std::move(events[i]));
  json out = {{"events", rows}};
  if (json pager = Pager(q, events.size()); !pager.is_null()) out["pager"] = pager;
  return out;
}

}  // namespace weijian::tracker
