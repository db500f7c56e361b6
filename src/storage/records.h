// Plain rows that cross the Store interface. Metadata rows refer to one another by uid (metadata
// is small and is resolved in memory by the catalog); data values refer to rows by store id
// (they are many, and ids keep them compact).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace weijian::storage {

struct OrgUnitRecord {
  std::int64_t id = 0;         // filled on load
  std::int64_t parent_id = 0;  // filled on load; 0 for a root
  std::string uid;
  std::string code;
  std::string name;
  std::string short_name;
  int level = 1;
  std::string parent_uid;     // used on insert; empty for a root
  std::string path;           // "/uid/uid/uid", DHIS2's path
  std::string facility_type;  // empty for administrative divisions
  std::string opening_date;
};

struct IdentifiedRecord {
  std::int64_t id = 0;
  std::string uid;
  std::string code;
  std::string name;
};

struct CategoryOptionRecord : IdentifiedRecord {
  std::string short_name;
};
struct CategoryRecord : IdentifiedRecord {
  std::string data_dimension_type = "DISAGGREGATION";
  std::vector<std::string> option_uids;
};
struct CategoryComboRecord : IdentifiedRecord {
  std::string data_dimension_type = "DISAGGREGATION";
  std::vector<std::string> category_uids;
};
struct CategoryOptionComboRecord : IdentifiedRecord {
  std::string combo_uid;
  std::vector<std::string> option_uids;
};
struct DataElementRecord : IdentifiedRecord {
  std::string short_name;
  std::string description;
  std::string value_type = "INTEGER_ZERO_OR_POSITIVE";
  std::string aggregation_type = "SUM";
  std::string domain_type = "AGGREGATE";
  std::string combo_uid;
  bool zero_is_significant = false;
};
struct DataSetElementRecord {
  std::string data_element_uid;
  std::string combo_uid;  // empty: the data element's own combo
};
struct DataSetRecord : IdentifiedRecord {
  std::string short_name;
  std::string period_type = "Monthly";
  std::string combo_uid;  // attribute combo
  int open_future_periods = 0;
  int expiry_days = 0;
  int timely_days = 15;
  std::vector<DataSetElementRecord> elements;
  std::vector<std::string> org_unit_uids;
};
struct IndicatorTypeRecord : IdentifiedRecord {
  int factor = 1;
  bool number = false;
};
struct IndicatorRecord : IdentifiedRecord {
  std::string short_name;
  std::string description;
  std::string indicator_type_uid;
  std::string numerator;
  std::string numerator_description;
  std::string denominator;
  std::string denominator_description;
  std::optional<int> decimals;
};
struct OrgUnitGroupRecord : IdentifiedRecord {
  std::string short_name;
  std::vector<std::string> org_unit_uids;
};
struct ConstantRecord : IdentifiedRecord {
  double value = 0;
};

struct ValidationRuleRecord;       // defined below, with the validation block
struct ValidationRuleGroupRecord;  // defined below
struct CompulsoryOperandRecord;    // defined below

// Everything but org units, which are loaded separately (there can be 665k of them).
struct MetadataDocumentRecord;  // DHIS2 collections kept as documents (end of this file)
struct MetadataRecords {
  std::vector<CategoryOptionRecord> category_options;
  std::vector<CategoryRecord> categories;
  std::vector<CategoryComboRecord> category_combos;
  std::vector<CategoryOptionComboRecord> category_option_combos;
  std::vector<DataElementRecord> data_elements;
  std::vector<DataSetRecord> data_sets;
  std::vector<IndicatorTypeRecord> indicator_types;
  std::vector<IndicatorRecord> indicators;
  std::vector<OrgUnitGroupRecord> org_unit_groups;
  std::vector<ConstantRecord> constants;
  std::vector<ValidationRuleRecord> validation_rules;
  std::vector<ValidationRuleGroupRecord> validation_rule_groups;
  // Of the data sets listed above: an upsert replaces these for each data set it names.
  std::vector<CompulsoryOperandRecord> compulsory_operands;
  // DHIS2 collections weijian keeps as normalised JSON documents, upserted by (collection, uid).
  std::vector<MetadataDocumentRecord> documents;
  // Fields DHIS2 carries on the objects above that weijian keeps as JSON beside them
  // (attributeValues, optionSet, legendSets); an empty body removes them. Objects not listed
  // keep theirs.
  std::vector<MetadataDocumentRecord> object_extras;
};

struct PeriodRecord {
  std::int64_t id = 0;
  std::string iso;
  std::string period_type;
  std::string start_date;
  std::string end_date;
};

struct DataValueKey {
  std::int64_t data_element_id = 0;
  std::int64_t period_id = 0;
  std::int64_t org_unit_id = 0;
  std::int64_t coc_id = 0;
  std::int64_t aoc_id = 0;
  friend bool operator==(const DataValueKey&, const DataValueKey&) = default;
};

struct DataValueRecord {
  DataValueKey key;
  std::string import_id;  // the import that last wrote the value; empty for single entries
  std::string value;
  std::string comment;
  bool followup = false;
  std::string stored_by;
  std::int64_t created = 0;       // unix millis
  std::int64_t last_updated = 0;  // unix millis
  bool deleted = false;
};

// How a write treats what is stored (DHIS2's import strategies).
enum class WriteMode {
  kUpsert,      // CREATE_AND_UPDATE
  kCreateOnly,  // CREATE: values already stored are left alone (ignored)
  kUpdateOnly,  // UPDATE: values not stored are ignored
  kDelete,      // DELETE: soft-deletes (the row stays, flagged, with its history)
};

// One change to apply.
struct DataValueWrite {
  DataValueKey key;
  std::string value;
  std::string comment;
  bool followup = false;
  WriteMode mode = WriteMode::kUpsert;
};

struct WriteCounts {
  int imported = 0;
  int updated = 0;
  int deleted = 0;
  int ignored = 0;  // unchanged rows, or deletes of values that do not exist
};

struct DataValueAuditRecord {
  std::int64_t id = 0;
  DataValueKey key;
  std::string audit_type;  // CREATE, UPDATE, DELETE
  std::optional<std::string> previous_value;
  std::optional<std::string> value;
  std::string modified_by;
  std::int64_t created = 0;
};

struct CompleteRegistrationRecord {
  std::int64_t data_set_id = 0;
  std::int64_t period_id = 0;
  std::int64_t org_unit_id = 0;
  std::int64_t aoc_id = 0;
  std::string completed_by;
  std::int64_t created = 0;
};

struct UserRecord {
  std::int64_t id = 0;
  std::string uid;
  std::string username;
  std::string display_name;
  std::string password_hash;
  bool disabled = false;
  std::vector<std::string> roles;
  std::vector<std::int64_t> capture_org_unit_ids;
  std::vector<std::int64_t> view_org_unit_ids;
  std::int64_t created = 0;
};

struct DataImportRecord {
  std::string uid;
  std::string username;
  std::string format;
  std::int64_t created = 0;
  std::string status;
  std::string summary_json;
};

struct ArticleRecord {
  std::int64_t id = 0;
  std::string uid;
  std::string column_code;
  std::string title;
  std::string body_md;
  std::string source, author, editor;
  std::string status = "draft";  // draft, published
  std::int64_t publish_at = 0;   // ms; in the future: scheduled
  std::int64_t created = 0, updated = 0;
  std::string updated_by;
  std::int64_t views = 0;
  int version = 0;
  std::string report_uid;  // a published report: the page shows its frozen HTML
  // Written by the application for the full-text index (see article_fts); not read back.
  std::string search_title, search_body;
};

struct ArticleVersionRecord {
  std::int64_t article_id = 0;
  int version = 0;
  std::string title, body_md;
  std::int64_t published_at = 0;
  std::string published_by;
};

struct ArticleFilter {
  std::string column_code;     // empty: every column
  bool published_only = true;  // and publish_at <= now
  std::int64_t now = 0;
  std::string search;  // an FTS5 query over article_fts; empty: none
  int offset = 0, limit = 20;
};

struct AttachmentRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t article_id = 0;  // 0: not yet attached
  std::string name, content_type;
  std::string bytes;  // empty in listings
  std::int64_t size = 0;
  std::int64_t created = 0;
  std::string created_by;
};

struct ReportTemplateRecord {
  std::string name;
  std::string definition;  // JSON
  std::int64_t updated = 0;
  std::string updated_by;
};

struct ReportRecord {
  std::int64_t id = 0;
  std::string uid, template_name, org_unit_code, period, title, html, figures_json;
  std::string article_uid, note;
  std::int64_t created = 0;
  std::string created_by;
  std::int64_t data_changed_at = 0;
};

struct SessionRecord {
  std::string token_hash;
  std::int64_t user_id = 0;
  std::string csrf_token;
  std::int64_t created = 0;
  std::int64_t last_seen = 0;
  std::string address;
};

struct ApiTokenRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t user_id = 0;
  std::string name;
  std::string token_hash;
  std::int64_t expires = 0;
  std::int64_t created = 0;
};

struct AuditRecord {
  std::int64_t id = 0;
  std::string type;  // LOGIN, LOGIN_FAILED, LOGOUT, METADATA, USER, DATA_VALUE, EXPORT, …
  std::string username;
  std::optional<std::int64_t> org_unit_id;
  std::string object;
  std::string detail;
  std::string address;
  std::int64_t created = 0;
  std::string prev_hash;  // filled by the store
  std::string hash;       // filled by the store
};

struct AuditFilter {
  std::optional<std::string> type;
  std::optional<std::string> username;
  std::optional<std::int64_t> from;  // unix millis, inclusive
  std::optional<std::int64_t> to;    // unix millis, exclusive
  int limit = 1000;
};

// The result of re-computing one table's hash chain.
struct ChainCheck {
  std::string table;
  std::int64_t rows = 0;
  std::int64_t legacy_rows = 0;  // written before the chain existed (schema < 3)
  std::optional<std::int64_t> first_broken_id;
};

// --- approval, periods and locks (issue 11) ---
struct DataApprovalLevelRecord {
  std::string uid, code, name;
  int org_unit_level = 1;
};
struct DataApprovalWorkflowRecord {
  std::string uid, code, name;
  std::string period_type = "Monthly";
  std::vector<std::string> level_uids;  // any order; the service orders them by org unit level
};
struct DataInputPeriodRecord {
  std::string period;        // a period identifier
  std::string opening_date;  // YYYY-MM-DD; empty: open from the start
  std::string closing_date;  // YYYY-MM-DD; empty: never closes
};
struct DataSetControlRecord {
  std::string data_set_uid;
  std::string workflow_uid;                          // empty: the data set needs no approval
  std::vector<DataInputPeriodRecord> input_periods;  // empty: every period is open
};
struct DataElementControlRecord {
  std::string data_element_uid;
  int assigned_level = 0;  // units below this org unit level may read, never write
};
// Metadata of approval and locks, loaded with the catalog.
struct ControlRecords {
  std::vector<DataApprovalLevelRecord> levels;
  std::vector<DataApprovalWorkflowRecord> workflows;
  std::vector<DataSetControlRecord> data_sets;
  std::vector<DataElementControlRecord> data_elements;
};
struct DataApprovalRecord {
  std::string workflow_uid;
  std::string period;
  std::int64_t org_unit_id = 0;
  std::string level_uid;
  bool accepted = false;
  std::string created_by;
  std::int64_t created = 0;
  std::string accepted_by;
};
struct DataReturnRecord {
  std::string workflow_uid;
  std::string period;
  std::int64_t org_unit_id = 0;
  std::string reason;
  std::string created_by;
  std::int64_t created = 0;
};
struct LockExceptionRecord {
  std::string data_set_uid;
  std::string period;
  std::int64_t org_unit_id = 0;
  std::string created_by;
  std::int64_t created = 0;
};
struct MessageRecord {
  std::int64_t id = 0;
  std::string uid, subject, text, sender;
  std::int64_t recipient_user_id = 0;
  std::int64_t created = 0;
  bool read = false;
};
// One approval action, written in one transaction with its audit row: approvals put (replacing
// the row of the same key) or removed, a return recorded, forms un-completed, messages sent.
struct ApprovalChange {
  std::vector<DataApprovalRecord> put;
  std::vector<DataApprovalRecord> remove;  // by (workflow_uid, period, org_unit_id)
  std::vector<DataReturnRecord> returns;
  std::vector<CompleteRegistrationRecord> uncomplete;
  std::vector<MessageRecord> messages;
  std::vector<AuditRecord> audits;
};

// --- change log (issue 13) ---
// One committed transaction that changed data values ("values"), metadata ("metadata") or the
// public site's content ("content": Store::LogContentChange).
struct ChangeLogEntry {
  std::int64_t seq = 0;
  std::string kind;
  std::string origin;  // the store (process) that wrote it
  // "values": the keys of the values the transaction changed, when it listed them (at most
  // kMaxLoggedValueKeys); not listed (an import of more, or a row written before migration
  // 0030), a reader must take every value as possibly changed.
  bool keys_listed = false;
  std::vector<DataValueKey> keys;
  // "values" not listed, written by one import alone: its uid (the rows it wrote carry it in
  // data_value.import_id, Store::ScanImportValues); "" otherwise (migration 0031).
  std::string import_uid;
};
// The most value keys a change-log row lists; a transaction that changes more lists none. A
// reader reads the listed values one statement a key under its store's write lock (about 0.07 ms
// a key on PostgreSQL on loopback, bench/README.md): 5,000 keep that under half a second, and
// cover a form saved whole or a township's month; larger imports have the reader rebuild instead.
inline constexpr std::size_t kMaxLoggedValueKeys = 5'000;

// --- validation rules, min-max bounds, validation results ---

// One side of a validation rule (DHIS2's leftSide/rightSide).
struct ValidationSideRecord {
  std::string expression;
  std::string description;
  // SKIP_IF_ANY_VALUE_MISSING, SKIP_IF_ALL_VALUES_MISSING (DHIS2's default) or NEVER_SKIP.
  std::string missing_value_strategy = "SKIP_IF_ALL_VALUES_MISSING";
};
struct ValidationRuleRecord : IdentifiedRecord {
  std::string description;
  std::string instruction;            // the Chinese sentence a clerk reads when the rule fails
  std::string importance = "MEDIUM";  // HIGH, MEDIUM, LOW
  std::string op;  // DHIS2's operator: less_than_or_equal_to, compulsory_pair …
  std::string period_type = "Monthly";
  ValidationSideRecord left, right;
  std::vector<int> org_unit_levels;  // empty: every level
};
struct ValidationRuleGroupRecord : IdentifiedRecord {
  std::string description;
  std::vector<std::string> rule_uids;
};
// A cell a form cannot be submitted without (DHIS2's compulsoryDataElementOperands).
struct CompulsoryOperandRecord {
  std::string data_set_uid;
  std::string data_element_uid;
  std::string coc_uid;  // empty: every option combo of the element
};

// Bounds of one (data element, unit, option combo): DHIS2's minMaxDataElements.
struct MinMaxRecord {
  std::int64_t data_element_id = 0;
  std::int64_t org_unit_id = 0;
  std::int64_t coc_id = 0;
  double min = 0;
  double max = 0;
  bool generated = false;  // computed from history (false: set by a person)
  std::int64_t updated = 0;
  std::string updated_by;
};
struct MinMaxFilter {
  std::vector<std::int64_t> data_element_ids;  // empty: all
  std::vector<std::int64_t> org_unit_ids;      // empty: all
};

// A rule that failed for a unit and period, kept when an analysis asks to persist.
struct ValidationResultRecord {
  std::int64_t id = 0;
  std::string rule_uid;
  std::int64_t org_unit_id = 0;
  std::int64_t period_id = 0;
  std::int64_t aoc_id = 0;
  std::optional<double> left, right;
  std::string importance;
  std::int64_t created = 0;
};
struct ValidationResultFilter {
  std::vector<std::int64_t> org_unit_ids;  // empty: all
  std::vector<std::int64_t> period_ids;    // empty: all
  std::vector<std::string> rule_uids;      // empty: all
  int limit = 10000;
};

// --- tracker (issue 17) ---
// A child's due index (migration 0027; tracker::DueIndexOf computes it): for every due-list
// window [from, to] with from >= basis, the child can be listed only if next <= to and
// until >= from. next "" (with until "9999-12-31") is "not known": always read; next
// "9999-12-31" (until "") is "on no list from basis on". Dates YYYY-MM-DD.
struct DueIndexRecord {
  std::string next;
  std::string until = "9999-12-31";
  std::string basis;
  friend bool operator==(const DueIndexRecord&, const DueIndexRecord&) = default;
};
// A recorded dose as a forecast reads it: whose, which vaccine, which day.
struct DoseDay {
  std::int64_t tracked_entity_id = 0;
  std::string vaccine, given_on;
};
// Computes a child's due index from his birth date and doses (any order). Installed in a store
// by the tracker layer (Store::SetDueIndexer); pure and thread-safe.
using DueIndexer =
    std::function<DueIndexRecord(const std::string& birth_date, std::span<const DoseDay> doses)>;

// A person. Identifying fields are in `sealed` (sealed by the tracker layer); the store never
// sees them in clear.
struct TrackedEntityRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t org_unit_id = 0;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex;         // "M" or "F"
  std::string status = "ACTIVE";
  std::string sealed;
  std::string key_id;
  std::string id_index;  // "" without an ID number
  std::string name_birth_index;
  std::int64_t created = 0;
  std::string created_by;
  std::int64_t updated = 0;
  std::int64_t village_id = 0;  // 0: none (migration 0021)
  // The enrollment in the immunization program (migration 0024): its uid and day (YYYY-MM-DD).
  // Empty on insert: 'E' and the record uid's last ten characters, and the creation day.
  std::string enrollment_uid, enrolled_at;
  // The due index (migration 0027), as the store keeps it: read with the record, never written
  // from it (the store computes it on every write that changes the child's doses or birth).
  DueIndexRecord due = {};
};
// A transfer of a person's record (迁入/迁出, migration 0021). direction: "MOVE" to another unit
// of the system, "OUT" of the system (to_org_unit_id 0), "IN" back from outside.
struct TrackedEntityTransferRecord {
  std::int64_t id = 0;
  std::int64_t tracked_entity_id = 0;
  std::string direction;
  std::int64_t from_org_unit_id = 0;
  std::int64_t to_org_unit_id = 0;
  std::string destination;
  std::string transferred_on;  // YYYY-MM-DD
  std::string reason;
  std::int64_t created = 0;
  std::string created_by;
};
struct ImmunizationDoseRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t tracked_entity_id = 0;
  std::string vaccine;
  std::string given_on;  // YYYY-MM-DD
  std::int64_t org_unit_id = 0;
  std::string vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code;
  std::int64_t created = 0;
  std::string created_by;
};

// What a child's immunization coverage facts are computed from (tracker/coverage.h): the record's
// unit, birth date, status and creation time, and its doses (vaccine code, YYYY-MM-DD).
struct CoverageInputRecord {
  std::int64_t id = 0, org_unit_id = 0, created = 0;
  std::string birth_date, status;
  std::vector<std::pair<std::string, std::string>> doses;
};
// Children marked for their coverage facts to be computed again (migration 0028): each mark's
// child and sequence number, and the horizon to ask from next time.
struct CoverageMarks {
  std::vector<std::pair<std::int64_t, std::int64_t>> marks;  // tracked entity id, seq
  std::int64_t next = 0;
};

// A hold (migration 0022): kind "CONTRAINDICATION" (禁忌) or "DEFERRAL" (暂缓); vaccine a
// catalogue code or "*"; until_date "" when open-ended. Lifted early (migration 0025): from
// lifted_on ("" while it stands) the doses it covered are due again.
struct ImmunizationHoldRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t tracked_entity_id = 0;
  std::string vaccine, kind, from_date, until_date, reason;
  std::int64_t org_unit_id = 0;
  std::int64_t created = 0;
  std::string created_by;
  std::string lifted_on = {}, lifted_by = {}, lift_reason = {};
};
// An AEFI report (疑似预防接种异常反应, migration 0022) about one dose.
struct AefiReportRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t dose_id = 0;
  std::int64_t tracked_entity_id = 0;
  std::string onset_date, reported_on, symptoms, diagnosis;
  bool serious = false;
  std::string outcome = "UNKNOWN";
  std::int64_t org_unit_id = 0;
  std::string reporter;
  std::int64_t created = 0;
  std::string created_by;
};
// An AEFI report as a county's list shows it: with its dose and the child's record uid.
struct AefiListRow {
  AefiReportRecord report;
  std::string dose_uid, vaccine, given_on, person_uid;
  std::int64_t person_unit_id = 0;  // the unit that manages the child's record
};
// A lot of a vaccine held by a unit, with its balance (migration 0022).
struct VaccineLotRecord {
  std::int64_t id = 0;
  std::int64_t org_unit_id = 0;
  std::string vaccine, lot, manufacturer, expiry;  // expiry YYYY-MM-DD
  std::int64_t balance = 0;
  std::string first_received;  // YYYY-MM-DD
};
// A change of a lot's balance: kind RECEIPT (入库), ISSUE (出库), LOSS (报损), DOSE (a recorded
// dose) or ADJUST (a 盘点's difference, migration 0025); quantity signed. The lot is named by
// (org_unit_id, vaccine, lot); a receipt of a lot the unit does not hold yet creates it with
// manufacturer and expiry.
struct VaccineStockMovementRecord {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t org_unit_id = 0;
  std::string vaccine, lot, manufacturer, expiry;
  std::string kind;
  std::int64_t quantity = 0;
  std::string moved_on;  // YYYY-MM-DD
  std::string counterpart, reason;
  std::int64_t dose_id = 0;  // DOSE: the dose; else 0
  std::int64_t created = 0;
  std::string created_by;
  std::int64_t balance_after = 0;  // filled by the store
};

// --- DHIS2 metadata documents (issue 14) ---
// One object of a DHIS2 collection weijian keeps whole (optionSets, options, legendSets,
// attributes, …Groups, …GroupSets, organisationUnitLevels), or the extra fields of a modelled
// object (then code and name are empty). `body` is the object's normalised JSON.
struct MetadataDocumentRecord {
  std::string collection;
  std::string uid;
  std::string code;
  std::string name;
  std::string body;
};

// --- portal column tree (issue 15) ---
// One column (栏目) of the public site; see migrations/0012_columns.sql.
struct ColumnRecord {
  std::string code;  // slug, unique
  std::string name;
  std::string parent_code;  // empty: top level
  int position = 0;
  std::string kind;  // article_list, single_page, external_link, data_releases, messages, bulletin
  std::string url;   // external_link only
  std::string description;
  std::string unit_code;  // owning unit; empty: the site's host
  bool in_menu = true;    // false: reached from the footer and the site map only
};

// --- citizen messages (issue 15) ---
// One message of the 互动交流 board; see migrations/0017_messages.sql.
struct CitizenMessageRecord {
  std::int64_t id = 0;
  std::string query_code, category, name, phone, subject, body;
  bool consent = false;
  std::string unit_code;            // routed to; empty: not yet routed
  std::string status = "received";  // received, routed, answered, rejected
  std::string reply, replied_by;
  std::int64_t replied_at = 0;
  bool published = false;
  std::string note;
  std::string source_addr, source_device;  // hashes, for the rate limit
  std::int64_t created = 0, updated = 0;
};
struct CitizenMessageFilter {
  std::int64_t id = 0;              // 0: any
  std::string query_code;           // empty: any
  std::vector<std::string> status;  // empty: any
  bool published_only = false;
  int limit = 500, offset = 0;
};
struct CitizenMessageStats {
  std::int64_t received = 0;  // all but rejected
  std::int64_t answered = 0;
  double average_days = 0;  // from receipt to reply, over the answered
};

// --- federation (issue 16 item 6, migration 0023) ---
// Lower side: where approved data are pushed. The token stays in the file `token_file` names.
struct FedTargetRecord {
  std::int64_t id = 0;
  std::string uid;
  std::string url;
  std::string token_file;
  std::vector<std::string> data_set_uids;
  int level = 0;  // org unit level to aggregate to; 0: the values' own units
  std::string format = "json";
  std::string source;
  std::int64_t created = 0;
  std::string created_by;
};
// One batch of the outbox: kind PUSH or RETRACT; state PENDING, SENT, REFUSED or SUPERSEDED.
struct FedOutboxRecord {
  std::int64_t id = 0;
  std::int64_t target_id = 0;
  std::string kind;
  std::string data_set_uid;
  std::string workflow_uid;
  std::string period;
  std::int64_t org_unit_id = 0;
  std::int64_t stamp = 0;
  std::string state;
  int attempts = 0;
  std::int64_t next_attempt = 0;
  std::string last_error;
  std::string conflicts;
  std::int64_t value_count = 0;
  std::int64_t created = 0;
  std::int64_t sent = 0;
};
// Upper side: the standing stamp of one batch key of one source.
struct FedBatchRecord {
  std::string source;
  std::string data_set_uid;
  std::string period;
  std::string org_unit_uid;
  std::int64_t stamp = 0;
  std::string action;  // PUSH or RETRACT
  std::int64_t received = 0;
};
// Upper side: one batch received and its outcome (APPLIED, UNCHANGED, SUPERSEDED, REFUSED).
struct FedReceiptRecord {
  std::int64_t id = 0;
  std::string source;
  std::string username;
  std::string data_set_uid;
  std::string period;
  std::string org_unit_uid;
  std::int64_t stamp = 0;
  std::string action;
  std::string outcome;
  std::string import_id;
  std::int64_t value_count = 0;
  std::string conflicts;
  std::int64_t received = 0;
};

}  // namespace weijian::storage
