// The Store: everything weijian keeps, behind one interface.
//
// SQLite (storage/sqlite/) is the default; a PostgreSQL implementation will satisfy the same
// interface and the same test suite. Every method is one transaction: it either happens whole or
// not at all, and reports failure as a Status (kUnavailable for a busy or full disk, kConflict
// for a constraint, kInternal for anything else), never by throwing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/pacer.h"
#include "core/status.h"
#include "storage/records.h"

namespace weijian::storage {

// The schema version this binary writes; files with a higher version are refused.
int LatestSchemaVersion();

struct DataValueFilter {
  std::optional<std::int64_t> data_element_id;
  std::optional<std::int64_t> period_id;
  std::optional<std::int64_t> org_unit_id;
  bool include_deleted = false;
};

// For exports: values of some elements, in periods of a day interval, in some units.
struct DataValueExportFilter {
  std::vector<std::int64_t> data_element_ids;  // empty: none
  std::vector<std::int64_t> period_ids;        // empty: none
  std::vector<std::int64_t> org_unit_ids;      // empty: none
  bool include_deleted = false;
};

// A long write of many data values in one transaction (an import). Nothing is visible to others
// until Commit(); destroying the writer without committing rolls everything back. It is used and
// destroyed on the thread that began it. How it shares the store meanwhile: ImportWriter.
class DataValueBulkWriter {
 public:
  virtual ~DataValueBulkWriter() = default;
  // Applies the writes in order. The positions (in `writes`) of values this same import had
  // already written are appended to `duplicates`: the later one wins.
  virtual Result<WriteCounts> Write(std::span<const DataValueWrite> writes,
                                    std::vector<std::size_t>* duplicates) = 0;
  virtual Status Commit() = 0;
  // Commits the values together with the import's summary and its audit row (either may be
  // null): all of them or none survive a crash.
  virtual Status CommitWith(const DataImportRecord* summary, const AuditRecord* audit) = 0;
  // The store id of a period, created inside this transaction when new.
  virtual Result<std::int64_t> EnsurePeriod(const PeriodRecord& period) = 0;
};

// One committed change of a data value, as the analytics engine needs it to stay current.
struct DataValueChange {
  DataValueKey key;
  std::string value;
  bool deleted = false;
};
// Called after each commit that changed data values, with the changes in the order they were
// made; `overflow` (and no changes) when a transaction changed more values than are worth
// listing (then everything derived from the values must be rebuilt). Runs on the writer's
// thread while the store is still locked: it must not call back into the store.
using DataValueListener =
    std::function<void(std::vector<DataValueChange>&& changes, bool overflow)>;

// How an import's writer (Store::BeginDataValueImport) shares the store with the rest of the
// process while it lives.
enum class ImportWriter {
  // It holds the store's writer lock: every other write of the process waits for it, and every
  // store call of its thread runs inside its transaction (federation's batch bookkeeping, which
  // must commit with the values, reads and writes through it).
  kExclusive,
  // Where the store has writer connections to spare (PostgreSQL) it writes through one of its
  // own and holds the writer lock at no point: the process's other writes go on beside it and
  // wait only for the cells it wrote (row locks), as another server's would, and the listener
  // still hears every commit in commit order. Other store calls of its thread do not see its
  // writes. Where the store has one writer (SQLite) this is kExclusive.
  kBeside,
};

class Store {
 public:
  virtual ~Store() = default;

  virtual void SetDataValueListener(DataValueListener listener) = 0;

  virtual Result<int> SchemaVersion() = 0;

  // Org units. Inserts are all-or-nothing; parents must exist already or come earlier in `units`.
  virtual Status InsertOrgUnits(std::span<const OrgUnitRecord> units) = 0;
  virtual Result<std::vector<OrgUnitRecord>> LoadOrgUnits() = 0;
  virtual Result<std::int64_t> CountOrgUnits() = 0;

  // Metadata. Upserts by uid, replacing the members of each object given; new org units
  // (facilities, say) are inserted first, in the same transaction.
  virtual Status UpsertMetadata(const MetadataRecords& records,
                                std::span<const OrgUnitRecord> new_org_units = {}) = 0;
  virtual Result<MetadataRecords> LoadMetadata() = 0;
  // Deletes one metadata object of a DHIS2 collection (dataElements, categoryCombos with their
  // option combos, optionSets and the other document collections, …) and the fields kept beside
  // it. NotFound when there is none; Conflict, with nothing deleted, when a row still refers to it
  // (data values, a data set's elements, an org unit group's members …). Org units are not
  // deleted here (InvalidArgument). Inside InOneTransaction it is a savepoint of that transaction.
  virtual Status DeleteMetadataObject(const std::string& collection, const std::string& uid) = 0;

  // Periods get a store id the first time a value uses them.
  virtual Result<std::int64_t> EnsurePeriod(const PeriodRecord& period) = 0;
  virtual Result<std::vector<PeriodRecord>> LoadPeriods() = 0;

  // Applies the writes in order in one transaction, recording history for each change. A save
  // of one cell (one write) may share its transaction with other threads' saves that wait for
  // the writer at the same time: each keeps its own history row and answer, and one that fails
  // leaves the others written.
  virtual Result<WriteCounts> WriteDataValues(std::span<const DataValueWrite> writes,
                                              const std::string& user, std::int64_t now_millis) = 0;
  // How many saves of one cell wait to be written in the next shared transaction.
  virtual std::size_t SavesWaiting() = 0;
  // Starts an import: values written through it carry `import_uid` as their provenance.
  virtual Result<std::unique_ptr<DataValueBulkWriter>> BeginDataValueImport(
      const std::string& user, const std::string& import_uid, std::int64_t now_millis,
      ImportWriter mode) = 0;
  virtual Status SaveImport(const DataImportRecord& record) = 0;
  virtual Result<std::optional<DataImportRecord>> FindImport(const std::string& uid) = 0;
  virtual Result<std::optional<DataValueRecord>> GetDataValue(const DataValueKey& key) = 0;
  virtual Result<std::vector<DataValueRecord>> ListDataValues(const DataValueFilter& filter) = 0;
  // Streams every live (not deleted) value, in key order, for building the analytics engine.
  virtual Status ScanDataValues(const std::function<Status(const DataValueRecord&)>& sink) = 0;
  // The same live values, only their key and value (what an engine build needs), read as cheaply
  // as the store can: on PostgreSQL one COPY of six columns instead of a cursor over thirteen. Same
  // snapshot as ScanDataValues (the read lease's transaction when it has one, else the one
  // statement's). `value` is valid only during the call, and the sink must not use the store
  // (PostgreSQL's connection is busy with the COPY until the scan ends).
  virtual Status ScanValueCells(
      const std::function<Status(const DataValueKey& key, std::string_view value)>& sink) {
    return ScanDataValues([&](const DataValueRecord& v) { return sink(v.key, v.value); });
  }
  // Every value the import `import_uid` wrote and no write has changed since (the rows that
  // still carry its import_id), deleted ones included: what another server reads of an import
  // too large for the change log to list (ChangeLogEntry::import_uid). Read from the primary.
  // An empty uid names no import: it reads nothing (not the values saved one by one). With a
  // `pacer` (background reads), each row read is a Step() of it, except while the read holds the
  // writer's lock (a read connection could not be had): resting then would hold up every write.
  virtual Status ScanImportValues(
      const std::string& import_uid,
      const std::function<Status(const DataValueKey& key, std::string_view value, bool deleted)>&
          sink,
      Pacer* pacer) = 0;
  // Streams matching values to `sink` in key order without holding them all in memory.
  virtual Status ExportDataValues(const DataValueExportFilter& filter,
                                  const std::function<Status(const DataValueRecord&)>& sink) = 0;
  virtual Result<std::vector<DataValueAuditRecord>> DataValueHistory(const DataValueKey& key) = 0;
  virtual Result<std::int64_t> CountDataValues(bool include_deleted) = 0;

  // "Mark complete" for one form; `complete=false` removes the registration.
  virtual Status SetComplete(const CompleteRegistrationRecord& reg, bool complete) = 0;
  virtual Result<std::optional<CompleteRegistrationRecord>> GetComplete(std::int64_t data_set_id,
                                                                        std::int64_t period_id,
                                                                        std::int64_t org_unit_id,
                                                                        std::int64_t aoc_id) = 0;

  virtual Result<std::int64_t> CreateUser(const UserRecord& user) = 0;
  virtual Result<std::optional<UserRecord>> FindUser(const std::string& username) = 0;
  virtual Result<std::optional<UserRecord>> FindUserById(std::int64_t id) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;
  // Replaces display name, password hash, disabled flag, roles and units of an existing user.
  virtual Status UpdateUser(const UserRecord& user) = 0;

  virtual Status CreateSession(const SessionRecord& session) = 0;
  virtual Result<std::optional<SessionRecord>> FindSession(const std::string& token_hash) = 0;
  // Moves the session's last_seen. Never waits for the writer: while another write holds it (an
  // import applying its rows) the touch is skipped, and a later request of the session makes it
  // (a signed-in read must not wait for a write).
  virtual Status TouchSession(const std::string& token_hash, std::int64_t now_millis) = 0;
  virtual Status DeleteSession(const std::string& token_hash) = 0;
  virtual Status DeleteUserSessions(std::int64_t user_id) = 0;

  // Failed sign-ins (auth::LoginThrottle), kept in the store so that every server on it counts
  // the same failures. The times of `key`'s failures after `since`, oldest first.
  virtual Result<std::vector<std::int64_t>> LoginFailures(const std::string& key,
                                                          std::int64_t since) = 0;
  // Records a failure of each of `keys` at `at`, forgets every key's failures up to `since`, and
  // returns each key's failures after `since` (this one included, oldest first; in the order of
  // `keys`), as one write: however many keys an attempt counts against, it costs one commit.
  virtual Result<std::vector<std::vector<std::int64_t>>> AddLoginFailures(
      std::span<const std::string> keys, std::int64_t at, std::int64_t since) = 0;
  // Forgets `key`'s failures when the writer is free at once; when it is busy (an import), the
  // failures are left to age out rather than a correct sign-in waiting for the import.
  virtual Status ClearLoginFailures(const std::string& key) = 0;
  // The secret named `name` that every server on the store shares: the stored one, or
  // `candidate`, stored now, when there is none yet (the first server to ask sets it for all).
  virtual Result<std::string> SharedSecret(const std::string& name,
                                           const std::string& candidate) = 0;

  virtual Status CreateApiToken(const ApiTokenRecord& token) = 0;
  virtual Result<std::optional<ApiTokenRecord>> FindApiToken(const std::string& token_hash) = 0;
  virtual Result<std::vector<ApiTokenRecord>> ListApiTokens(std::int64_t user_id) = 0;
  // Deletes the user's token with this uid; NotFound when there is none.
  virtual Status DeleteApiToken(const std::string& uid, std::int64_t user_id) = 0;

  // The portal: site settings (key → value), articles, their published versions, attachments.
  virtual Result<std::map<std::string, std::string>> LoadSiteSettings() = 0;
  virtual Status SaveSiteSettings(const std::map<std::string, std::string>& settings) = 0;
  // Inserts (id 0) or updates by id, with its full-text row; with `version`, also records that
  // published version, in the same transaction. Returns the id.
  virtual Result<std::int64_t> SaveArticle(const ArticleRecord& article,
                                           const ArticleVersionRecord* version) = 0;
  virtual Result<std::optional<ArticleRecord>> FindArticle(const std::string& uid) = 0;
  // Newest first; `total` gets the number of matches before paging.
  virtual Result<std::vector<ArticleRecord>> ListArticles(const ArticleFilter& filter,
                                                          std::int64_t* total) = 0;
  virtual Result<std::vector<ArticleVersionRecord>> ListArticleVersions(
      std::int64_t article_id) = 0;
  // Adds readers' views to articles (article id → views), in one transaction. An article
  // deleted since is skipped.
  virtual Status AddArticleViews(const std::map<std::int64_t, std::int64_t>& views) = 0;
  virtual Result<std::int64_t> SaveAttachment(const AttachmentRecord& attachment) = 0;
  virtual Result<std::optional<AttachmentRecord>> FindAttachment(const std::string& uid) = 0;
  virtual Result<std::vector<AttachmentRecord>> ListAttachments(std::int64_t article_id) = 0;

  // Reports: stored templates and published reports.
  virtual Result<std::optional<ReportTemplateRecord>> FindReportTemplate(
      const std::string& name) = 0;
  virtual Result<std::vector<ReportTemplateRecord>> ListReportTemplates() = 0;
  virtual Status SaveReportTemplate(const ReportTemplateRecord& t) = 0;
  virtual Result<std::int64_t> SaveReport(const ReportRecord& r) = 0;
  virtual Result<std::optional<ReportRecord>> FindReport(const std::string& uid) = 0;
  // Newest first; empty template: all.
  virtual Result<std::vector<ReportRecord>> ListReports(const std::string& template_name) = 0;
  virtual Status SetReportArticle(const std::string& uid, const std::string& article_uid) = 0;
  virtual Status MarkReportDataChanged(const std::string& uid, std::int64_t when) = 0;

  // Appends to the audit trail, chaining the row's hash to the previous one.
  virtual Status AppendAudit(const AuditRecord& record) = 0;
  virtual Result<std::vector<AuditRecord>> ListAudits(const AuditFilter& filter) = 0;
  // Re-computes the hash chains of the audit trail and of the data value history.
  virtual Result<std::vector<ChainCheck>> VerifyAuditChains() = 0;

  // --- approval, periods and locks (issue 11) ---
  virtual Result<ControlRecords> LoadControls() = 0;
  // Upserts the objects given (levels, workflows, data set and element controls) by uid.
  virtual Status SaveControls(const ControlRecords& controls) = 0;
  virtual Result<std::vector<DataApprovalRecord>> ListApprovals() = 0;
  virtual Result<std::vector<DataReturnRecord>> ListReturns() = 0;
  virtual Status ApplyApprovalChange(const ApprovalChange& change) = 0;
  // Every completion of one data set (all periods and units).
  virtual Result<std::vector<CompleteRegistrationRecord>> ListCompleteRegistrations(
      std::int64_t data_set_id) = 0;
  virtual Result<std::vector<LockExceptionRecord>> ListLockExceptions() = 0;
  // Adds (add=true) or removes exceptions, with the audit row, in one transaction.
  virtual Status ChangeLockExceptions(std::span<const LockExceptionRecord> records, bool add,
                                      const AuditRecord& audit) = 0;
  virtual Result<std::vector<MessageRecord>> ListMessages(std::int64_t recipient_user_id) = 0;
  virtual Status SendMessages(std::span<const MessageRecord> messages) = 0;
  virtual Status MarkMessageRead(const std::string& uid, std::int64_t recipient_user_id) = 0;
  // --- durability (issue 13) ---
  // Saves (or replaces) an import's summary and appends its audit row in one transaction: for
  // an import that committed no values (refused whole).
  virtual Status SaveImportWithAudit(const DataImportRecord& summary, const AuditRecord* audit) = 0;
  // UpsertMetadata with its audit row in the same transaction.
  virtual Status UpsertMetadataWithAudit(const MetadataRecords& records,
                                         std::span<const OrgUnitRecord> new_org_units,
                                         const AuditRecord& audit) = 0;

  // --- change log (issue 13) ---
  // Every transaction that changes data values or metadata also appends a change-log row with
  // this store's origin (random per open). Rows after `seq`, oldest first, at most `limit`.
  virtual const std::string& ChangeOrigin() const = 0;
  // When rows after `seq` were pruned (PruneChangeLog) before this reader saw them, the first
  // entry has kind "pruned" and the seq before the oldest row kept: the reader cannot know what
  // changed and reloads everything (a server stopped or stalled for longer than the log keeps).
  // With it the answer may hold `limit` + 1 entries.
  virtual Result<std::vector<ChangeLogEntry>> ChangesSince(std::int64_t seq, int limit) = 0;
  virtual Result<std::int64_t> LatestChangeSeq() = 0;
  // Deletes the oldest change-log rows written before `before` (ms), at most `max_rows` of them
  // in one short transaction, and never the newest row (LatestChangeSeq stays); how many went.
  // Only a prefix of the log goes: the first row written at or after `before` stops it.
  virtual Result<int> PruneChangeLog(std::int64_t before, int max_rows) = 0;
  // Appends a change-log row of kind "content" in a transaction of its own: the public site's
  // articles, columns or settings changed, and every other server drops the pages it keeps
  // rendered. It names no value (as a metadata row).
  virtual Status LogContentChange() = 0;
  // The stored value of each key (another process changed them: a change-log row's keys),
  // handed to the data-value listener as this store's own commits hand theirs: under the store's
  // write lock, so no write of this process is reported between the read and the report. A key
  // with no live value is reported deleted. Without a listener, nothing is read.
  virtual Status ReportStoredValues(std::span<const DataValueKey> keys) = 0;
  // Whether WaitForChange hears other processes' commits (PostgreSQL: LISTEN/NOTIFY); SQLite
  // cannot be told, and its readers poll ChangesSince.
  virtual bool HearsChanges() const { return false; }
  // Waits up to `timeout_ms` for another commit with a change-log row. True when one came or
  // may have come unheard (the listening connection was opened again): read ChangesSince. False
  // when the time ran out; kUnavailable when the database cannot be reached (poll meanwhile).
  virtual Result<bool> WaitForChange(int timeout_ms) {
    (void)timeout_ms;
    return false;
  }
  // --- read replica (issue 16 item 4; src/README.md "Read replicas") ---
  // A scope of the calling thread in which the reads that may be served by a read replica
  // (LoadPeriods, ScanDataValues, ScanValueCells, ExportDataValues: data values and periods,
  // which every writing transaction logs in the change log) go to it. Returned only when a
  // replica is attached, in use, and has replayed the change log up to the primary's head as read
  // when the scope opens (waiting up to a second for it); otherwise null, and those reads go to
  // the primary. So a scope never reads data older than any write committed before it opened.
  // Every other read in the scope goes to the primary. Held by one thread; nested scopes keep the
  // outer decision.
  class ReplicaScope {
   public:
    virtual ~ReplicaScope() = default;
  };
  virtual std::unique_ptr<ReplicaScope> ReadFromReplica() { return nullptr; }
  struct ReplicaState {
    bool attached = false;       // --read-db was given
    bool in_use = false;         // scopes may go to it (reachable, lag within the bound)
    std::string address;         // without its password
    std::string reason;          // why it is not in use ("" when it is)
    double lag_seconds = 0;      // age of the oldest change-log row it has not replayed (0: none)
    double max_lag_seconds = 0;  // --read-db-max-lag
    std::int64_t primary_seq = 0, replica_seq = 0;        // change-log heads at the last check
    std::int64_t checked_at = 0;                          // ms, the last check
    std::int64_t replica_scopes = 0, primary_scopes = 0;  // scopes served by each since start
  };
  // Looks at the replica (reachable? its change-log head against the primary's) and decides
  // whether scopes may use it. Returns a line to log when that decision changed. Called by the
  // server's change-log poller about once a second; a no-op without a replica.
  virtual std::optional<std::string> CheckReadReplica() { return std::nullopt; }
  virtual ReplicaState ReadReplica() const { return {}; }

  // --- account security (issue 12) ---
  // Ends every session of the user but `keep_session_hash` ("" keeps none) and deletes every API
  // token of the user, in one transaction: what a password change or reset must revoke.
  virtual Status RevokeUserCredentials(std::int64_t user_id,
                                       const std::string& keep_session_hash) = 0;
  // The unit an editable object belongs to ("article" + uid, "report_template" + name); nullopt:
  // shared by the whole instance. Set once when the object is created.
  virtual Result<std::optional<std::int64_t>> FindObjectOwner(const std::string& kind,
                                                              const std::string& key) = 0;
  virtual Status SetObjectOwner(const std::string& kind, const std::string& key,
                                std::int64_t org_unit_id) = 0;
  // The uid of the article with this row id (an attachment's article), if any.
  virtual Result<std::optional<std::string>> ArticleUidById(std::int64_t article_id) = 0;
  // --- validation rules, min-max bounds, validation results ---
  // Validation rules, their groups and compulsory operands travel with UpsertMetadata and
  // LoadMetadata (MetadataRecords); these are the per-unit rows.
  virtual Result<std::vector<MinMaxRecord>> ListMinMax(const MinMaxFilter& filter) = 0;
  // Inserts or replaces bounds by (element, unit, option combo), all or nothing.
  virtual Status SaveMinMax(std::span<const MinMaxRecord> bounds) = 0;
  // Deletes the bounds of these keys (min/max ignored); returns how many existed.
  virtual Result<int> DeleteMinMax(std::span<const MinMaxRecord> keys) = 0;
  // Inserts results, replacing an earlier one of the same rule, unit, period and attribute.
  virtual Status SaveValidationResults(std::span<const ValidationResultRecord> results) = 0;
  virtual Result<std::vector<ValidationResultRecord>> ListValidationResults(
      const ValidationResultFilter& filter) = 0;
  // Live values of one unit, optionally of one period and/or one element, read through the
  // primary key's unit prefix (a form's cells, one cell's history).
  virtual Result<std::vector<DataValueRecord>> ListUnitValues(
      std::int64_t org_unit_id, std::optional<std::int64_t> period_id,
      std::optional<std::int64_t> data_element_id) = 0;
  // --- tracker (issue 17) ---
  // Inserts a person (id filled) with its audit row, in one transaction.
  virtual Status CreateTrackedEntity(TrackedEntityRecord& record, const AuditRecord& audit) = 0;
  virtual Result<std::optional<TrackedEntityRecord>> FindTrackedEntity(const std::string& uid) = 0;
  virtual Result<std::optional<TrackedEntityRecord>> FindTrackedEntityById(std::int64_t id) = 0;
  // The person enrolled under this enrollment uid (migration 0024).
  virtual Result<std::optional<TrackedEntityRecord>> FindTrackedEntityByEnrollment(
      const std::string& enrollment_uid) = 0;
  // Replaces a person's unit, village, birth date, sex, sealed text, key, indexes and enrollment
  // (by id) with its audit row; kConflict naming "trackedEntity" when it changed meanwhile (its
  // `updated` is not `expected_updated`).
  virtual Status UpdateTrackedEntity(const TrackedEntityRecord& person,
                                     std::int64_t expected_updated, const AuditRecord& audit) = 0;
  // Deletes a person with its doses, holds and transfers, and its audit row. A person one of whose
  // doses took from stock or has an AEFI report is kept: kConflict naming "doses".
  virtual Status DeleteTrackedEntity(std::int64_t id, const AuditRecord& audit) = 0;
  virtual Result<std::optional<ImmunizationDoseRecord>> FindImmunizationDose(
      const std::string& uid) = 0;
  // Of `uids`, the ones doses have, in no particular order: a tracker import asks once for its
  // payload's events rather than once per event (bench/README.md "Tracker import", session 15).
  virtual Result<std::vector<std::string>> ExistingImmunizationDoseUids(
      const std::vector<std::string>& uids) = 0;
  // Of `keys`, the ones tracked entities have as their uid (kUid) or as their enrollment's uid
  // (kEnrollment), in no particular order: the tracker import asks once for its payload's
  // children and enrollments rather than once per object.
  enum class PersonKey { kUid, kEnrollment };
  virtual Result<std::vector<std::string>> ExistingTrackedEntityKeys(
      const std::vector<std::string>& keys, PersonKey by) = 0;
  // Replaces a dose's fields (by id; its person stays) with its audit row. A dose that took from
  // stock keeps its vaccine, lot and unit: changing one is a kConflict naming the field.
  virtual Status UpdateImmunizationDose(const ImmunizationDoseRecord& dose,
                                        const AuditRecord& audit) = 0;
  // Deletes a dose with its audit row; one that took from stock or has an AEFI report is kept
  // (kConflict naming "event").
  virtual Status DeleteImmunizationDose(std::int64_t id, const AuditRecord& audit) = 0;
  // Persons with this blind index ("id" or "name_birth" column), at most 50.
  virtual Result<std::vector<TrackedEntityRecord>> FindTrackedEntitiesByIndex(
      const std::string& column, const std::string& value) = 0;
  // Persons managed by these units, by birth date.
  virtual Result<std::vector<TrackedEntityRecord>> ListTrackedEntities(
      std::span<const std::int64_t> org_unit_ids) = 0;
  // Replaces sealed text, key id and indexes of these persons (by id): a key rotation, all or
  // nothing, with its audit row.
  virtual Status ResealTrackedEntities(std::span<const TrackedEntityRecord> records,
                                       const AuditRecord& audit) = 0;
  virtual Status AddImmunizationDose(ImmunizationDoseRecord& dose, const AuditRecord& audit) = 0;
  virtual Result<std::vector<ImmunizationDoseRecord>> ListImmunizationDoses(
      std::int64_t tracked_entity_id) = 0;
  // The doses of every person managed by these units (due lists, coverage), by person and date.
  virtual Result<std::vector<ImmunizationDoseRecord>> ListImmunizationDosesManagedBy(
      std::span<const std::int64_t> org_unit_ids) = 0;
  // Immunization coverage kept (migration 0028). Calls `sink` for every person (all of them when
  // `ids` is null, else those of `ids` that exist) in id order with its doses, all read in one
  // read transaction; stops at the first error the sink returns.
  virtual Status ScanCoverageInputs(
      const std::vector<std::int64_t>* ids,
      const std::function<Status(const CoverageInputRecord&)>& sink) = 0;
  // The children marked since `from` (a horizon an earlier call returned as `next`; 0 for all),
  // each with its mark's sequence number, and the horizon for the next call. A mark committed
  // after this call is always at or after `next`; a mark may be returned again by the next call
  // (PostgreSQL: committed by a transaction that was running meanwhile), with the same seq.
  // With `rows` false, only `next` (the horizon now).
  virtual Result<CoverageMarks> CoverageMarksFrom(std::int64_t from, bool rows) = 0;
  // Records a transfer and moves the person (its unit, village and status as in `person`, by id)
  // in one transaction with its audit row; kConflict when the person changed meanwhile (its
  // `updated` is not `expected_updated`).
  virtual Status TransferTrackedEntity(const TrackedEntityRecord& person,
                                       std::int64_t expected_updated,
                                       TrackedEntityTransferRecord& transfer,
                                       const AuditRecord& audit) = 0;
  virtual Result<std::vector<TrackedEntityTransferRecord>> ListTrackedEntityTransfers(
      std::int64_t tracked_entity_id) = 0;
  // --- the due index (migration 0027; see DueIndexRecord) ---
  // Installs the function that computes a child's due index (the tracker layer's). From then on
  // every write that changes a child's doses or birth date (CreateTrackedEntity,
  // UpdateTrackedEntity, Add/Update/DeleteImmunizationDose, ApplyStockMovements with a dose,
  // AddTrackedEntitiesBulk) recomputes it in the write's own transaction; without one they mark
  // it "not known" (the child is then read by every due list of his unit). Holds, transfers and
  // status changes do not change it: the due list checks those on the records it reads.
  virtual void SetDueIndexer(DueIndexer indexer) = 0;
  // The ACTIVE persons managed by these units that the due list of [from, to] (YYYY-MM-DD) may
  // list: due_next <= to and due_until >= from, or due_basis > from. Unit by unit in the order
  // given, then by birth date and id (as ListTrackedEntities).
  virtual Result<std::vector<TrackedEntityRecord>> ListDueCandidates(
      std::span<const std::int64_t> org_unit_ids, const std::string& from,
      const std::string& to) = 0;
  // The doses (as DoseDay: what a forecast reads) and the holds of these persons, by person (in
  // the order given), then by date and id (doses) or id (holds).
  virtual Result<std::vector<DoseDay>> ListDoseDaysOf(
      std::span<const std::int64_t> tracked_entity_ids) = 0;
  virtual Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHoldsOf(
      std::span<const std::int64_t> tracked_entity_ids) = 0;
  // Up to `limit` persons whose due index is not known (written before migration 0027 or without
  // an indexer), by id, from id `after` on; and recomputing the index of these persons in one
  // transaction (`weijian tracker reindex`).
  virtual Result<std::vector<std::int64_t>> ListUnindexedTrackedEntities(std::int64_t after,
                                                                         int limit) = 0;
  virtual Status RefreshDueIndex(std::span<const std::int64_t> tracked_entity_ids) = 0;
  // The bench generator's and the tracker import's bulk path: inserts persons (ids filled, in
  // the order given) and their doses (each child's `doses`, tracked_entity_id filled) with
  // prepared statements, each child's due index computed once, and the audit rows given (one
  // per batch, or per batch and unit) instead of one per row. In the caller's transaction
  // (InOneTransaction) when there is one, without a savepoint of its own (an error leaves it to
  // be rolled back); else in one transaction of its own, all or nothing.
  struct BulkChild {
    TrackedEntityRecord person;
    std::vector<ImmunizationDoseRecord> doses;
  };
  virtual Status AddTrackedEntitiesBulk(std::span<BulkChild> children,
                                        std::span<const AuditRecord> audits) = 0;
  // The tracker import's bulk path (tracker/exchange.cc): inserts doses the caller has checked
  // (tracked_entity_id set; ids are not filled), in the caller's transaction
  // (InOneTransaction) when there is one, with each child's due index recomputed once after its
  // doses, the coverage marks of the triggers, and ONE audit row for the batch instead of one
  // per dose. Outside a transaction all or nothing; inside one, an error leaves the caller's
  // transaction to be rolled back (no savepoint of its own). Nothing is written for an empty
  // batch. SQLite: one prepared INSERT run per dose; PostgreSQL: one COPY.
  virtual Status AddImmunizationDosesBulk(std::span<const ImmunizationDoseRecord> doses,
                                          const AuditRecord& audit) = 0;
  // Holds (禁忌/暂缓) and AEFI reports (migration 0022), each written with its audit row.
  virtual Status AddImmunizationHold(ImmunizationHoldRecord& hold, const AuditRecord& audit) = 0;
  virtual Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHolds(
      std::int64_t tracked_entity_id) = 0;
  // The holds of every person managed by these units (due lists), by person.
  virtual Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHoldsManagedBy(
      std::span<const std::int64_t> org_unit_ids) = 0;
  // Lifts a hold from hold.lifted_on (with lifted_by, lift_reason), with its audit row; a
  // kConflict naming "hold" when it was lifted meanwhile (migration 0025).
  virtual Status LiftImmunizationHold(const ImmunizationHoldRecord& hold,
                                      const AuditRecord& audit) = 0;
  virtual Status AddAefiReport(AefiReportRecord& report, const AuditRecord& audit) = 0;
  virtual Result<std::vector<AefiReportRecord>> ListAefiReports(std::int64_t tracked_entity_id) = 0;
  // The AEFI reports made by these units (the reporting unit) with a report date in [from, to]
  // (YYYY-MM-DD), newest report first, at most `limit`.
  virtual Result<std::vector<AefiListRow>> ListAefiReportsOfUnits(
      std::span<const std::int64_t> org_unit_ids, const std::string& from, const std::string& to,
      int limit) = 0;
  // Vaccine stock (migration 0022). Applies the movements in order, each with its audit row, in
  // one transaction with `dose` (inserted first when given, and each DOSE movement then points
  // at it): all or nothing. A movement that would take a lot below zero, or take from a lot the
  // unit does not hold, is a kConflict naming "quantity" (or "lot" for a dose); a receipt of a
  // held lot with another expiry or manufacturer is a kConflict naming "expiry"/"manufacturer".
  // Fills each movement's id and balance_after, and the dose's id.
  virtual Status ApplyStockMovements(std::span<VaccineStockMovementRecord> movements,
                                     std::span<const AuditRecord> audits,
                                     ImmunizationDoseRecord* dose,
                                     const AuditRecord* dose_audit) = 0;
  // The lots held by these units (every lot ever received, balance 0 included), by vaccine,
  // expiry, lot.
  virtual Result<std::vector<VaccineLotRecord>> ListVaccineLots(
      std::span<const std::int64_t> org_unit_ids) = 0;
  // The movements of a unit's lots, newest first, at most `limit`; vaccine/lot "" for all.
  virtual Result<std::vector<VaccineStockMovementRecord>> ListStockMovements(
      std::int64_t org_unit_id, const std::string& vaccine, const std::string& lot, int limit) = 0;
  // The doses given by each of these units (the 接种单位 that gave them, whoever manages the child
  // now) on the days first..last (YYYY-MM-DD, both included), counted per vaccine: the aggregate
  // form's 接种剂次 filled from the records.
  virtual Result<std::map<std::string, std::int64_t>> CountImmunizationDosesGiven(
      std::span<const std::int64_t> org_unit_ids, const std::string& first,
      const std::string& last) = 0;

  // --- bulk completions (issue 11: the demo's submissions) ---
  // Registers many completions (标记完成) in one transaction, all or nothing, each as SetComplete
  // with complete=true would.
  virtual Status SetCompleteMany(std::span<const CompleteRegistrationRecord> regs) = 0;
  // --- actions with their audit (issue 13) ---
  // Runs `action`, which calls this store's own methods (from this thread), in one transaction:
  // every write it makes, its audit row included, is kept only if it returns Ok and the commit
  // succeeds; otherwise none is. Reads inside see the action's own writes. Other writers wait
  // for the whole action, so it must be short: compute first, then write in here. For actions
  // that change no data values (the value listener would hear of changes before the commit).
  virtual Status InOneTransaction(const std::function<Status()>& action) = 0;

  // --- portal column tree (issue 15) ---
  // Every column, by parent then position.
  virtual Result<std::vector<ColumnRecord>> ListColumns() = 0;
  // Inserts or replaces the column `previous_code` (empty: a new one). A changed code is carried
  // to its children and its articles in the same transaction.
  virtual Status SaveColumn(const std::string& previous_code, const ColumnRecord& c) = 0;
  virtual Status DeleteColumn(const std::string& code) = 0;
  // Articles (any status) filed in a column.
  virtual Result<std::int64_t> CountColumnArticles(const std::string& code) = 0;

  // --- citizen messages (issue 15) ---
  // Inserts (id 0; returns the new id) or replaces a message.
  virtual Result<std::int64_t> SaveCitizenMessage(const CitizenMessageRecord& m) = 0;
  // Newest first; `total` (optional) gets the count before limit/offset.
  virtual Result<std::vector<CitizenMessageRecord>> ListCitizenMessages(
      const CitizenMessageFilter& f, std::int64_t* total) = 0;
  virtual Result<CitizenMessageStats> CitizenMessageStatsAll() = 0;
  // Messages written since `since` (epoch ms) from this address hash or this device hash.
  virtual Result<std::int64_t> CountCitizenMessagesFrom(const std::string& addr,
                                                        const std::string& device,
                                                        std::int64_t since) = 0;
  virtual Status SaveMessageChallenge(const std::string& token, const std::string& answer,
                                      std::int64_t expires) = 0;
  // Removes the challenge (single use) and expired ones; its answer if it existed and had not
  // expired at `now`.
  virtual Result<std::optional<std::string>> TakeMessageChallenge(const std::string& token,
                                                                  std::int64_t now) = 0;

  // --- federation (issue 16 item 6) ---
  // Lower side: targets and the outbox.
  virtual Result<std::int64_t> AddFedTarget(const FedTargetRecord& target) = 0;
  virtual Result<std::vector<FedTargetRecord>> ListFedTargets() = 0;
  // Every outbox row of a target (0: of every target), oldest first.
  virtual Result<std::vector<FedOutboxRecord>> ListFedOutbox(std::int64_t target_id) = 0;
  // The decision of one push run, in one transaction: inserts `add` (ids ignored) and marks the
  // rows `supersede` SUPERSEDED, but only those still PENDING or REFUSED.
  virtual Status EnqueueFedBatches(std::span<const FedOutboxRecord> add,
                                   std::span<const std::int64_t> supersede) = 0;
  // Replaces the delivery fields of one row (state, attempts, next_attempt, last_error,
  // conflicts, value_count, sent) by id.
  virtual Status UpdateFedOutbox(const FedOutboxRecord& row) = 0;
  // Upper side. Inside a transaction (an import's, see ImportOptions::before_commit): the
  // standing stamp of a batch key, locked until the commit on PostgreSQL (SQLite's writer holds
  // the whole file).
  virtual Result<std::optional<FedBatchRecord>> LockFedBatch(const FedBatchRecord& key) = 0;
  virtual Status SaveFedBatch(const FedBatchRecord& batch) = 0;
  virtual Status AddFedReceipt(const FedReceiptRecord& receipt) = 0;
  // The import ids of the APPLIED pushes of one batch key (whose values a newer stamp replaces
  // and a retraction removes).
  virtual Result<std::vector<std::string>> FedAppliedImports(const FedBatchRecord& key) = 0;
  // Receipts received at or after `since` (ms), newest first, at most `limit`.
  virtual Result<std::vector<FedReceiptRecord>> ListFedReceipts(std::int64_t since, int limit) = 0;
  // Scheduled work run once across servers: takes (or renews) the lease `name` for `holder`
  // until now + ttl when it is free, expired or already the holder's. True when taken.
  virtual Result<bool> TakeJobLease(const std::string& name, const std::string& holder,
                                    std::int64_t now, std::int64_t ttl_ms) = 0;
};

// SHA-256 (hex) of `prev_hash` and a row's canonical text: the link of an audit chain.
std::string ChainHash(const std::string& prev_hash, const std::string& canonical_row);
// SHA-256 (hex) of a secret (session cookie, API token), as stored.
std::string SecretHash(const std::string& secret);
// A change-log row's value keys (ChangeLogEntry::keys) as written: one line a key, its five ids
// separated by commas. ParseValueKeys appends what `text` lists to `keys`; false when `text` is
// not such lines (then `keys` is left in an unspecified state).
void AppendValueKey(std::string& text, const DataValueKey& key);
bool ParseValueKeys(std::string_view text, std::vector<DataValueKey>& keys);

// Opens (creating if absent) a SQLite store and brings its schema up to date. A file written by
// a newer weijian is refused with a message that says so.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// For tests of upgrades: open and migrate only up to `version`.
Result<std::unique_ptr<Store>> OpenSqliteStoreAtVersion(const std::string& path, int version);

}  // namespace weijian::storage
