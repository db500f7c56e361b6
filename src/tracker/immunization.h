// The immunization service: children's records, doses, and the forecast of each child.
//
// Callers are checked here, not in handlers: a record is read within the caller's read scope
// (by the unit that manages it), written within his write scope. Identifying fields are sealed
// by the PersonVault before they reach the store and shown masked (张*, 150627********0011,
// 138****5678) unless the caller holds the personal-data authority over the record's unit;
// every unmasked read is audited (PIPL). Without a key file the service refuses every call with
// kUnavailable: nothing personal is ever written in clear.
//
// Workload: a 接种日 at one unit registers tens of children and records a few hundred doses; a
// record holds a few dozen doses, so a forecast reads one person and his doses (two indexed reads).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "core/date.h"
#include "core/status.h"
#include "metadata/catalog.h"
#include "storage/store.h"
#include "tracker/person_vault.h"
#include "tracker/schedule.h"

namespace weijian::tracker {

class TrackerPayload;  // tracker/exchange.h

struct GuardianInput {
  std::string name, relation, phone;
};

struct ChildInput {
  std::string org_unit;  // the 接种单位 that manages the record: uid or code
  std::string name, sex, birth_date, id_number, birth_certificate, address;
  std::string village;  // the village unit the child lives in: uid or code (optional)
  std::vector<GuardianInput> guardians;
};

// A transfer (迁入/迁出): to another unit of the system (org_unit), out of it (destination text,
// no org_unit), or back in (a record transferred out, with org_unit).
struct TransferInput {
  std::string org_unit, village, destination, date, reason;
};

// A due list (应种名单) for the 接种日: children managed within `org_unit` (optionally living in
// `village`) with doses due or overdue on `from`, or becoming due by `to`.
struct DueListQuery {
  std::string org_unit, village;
  Date from{}, to{};
  std::string kind = "all";  // "due" (应种), "overdue" (逾期/漏种，需补种) or "all"
  // Read only the children the store's due index names (false: every child of the units, the
  // computation the index must agree with; tests compare the two).
  bool use_index = true;
};

// A search for a child's record (GET /api/immunization/children?idNumber= or ?name=&birthDate=):
// by the 居民身份证号 (any spelling ParseResidentId accepts), or by name and birth date together.
struct ChildSearch {
  std::string id_number, name, birth_date;
};

struct DoseInput {
  std::string person;    // tracked entity uid
  std::string vaccine;   // catalogue code
  std::string date;      // YYYY-MM-DD
  std::string org_unit;  // where it was given: uid or code (default: the record's unit)
  std::string vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code;
};

// A hold (POST /api/immunization/children/{uid}/holds): kind "CONTRAINDICATION" (禁忌) or
// "DEFERRAL" (暂缓, with an until date); vaccine a catalogue code or "*" (every vaccine).
struct HoldInput {
  std::string vaccine, kind, from, until, reason;
};

// An AEFI report (疑似预防接种异常反应) about a recorded dose.
struct AefiInput {
  std::string dose;  // the dose's uid
  std::string onset_date, reported_on, symptoms, diagnosis, outcome, reporter;
  bool serious = false;
};

// A stock movement at a unit: kind "RECEIPT" (入库: lot, manufacturer, expiry), "ISSUE" (出库, to
// `counterpart` or to another unit of the system `to_org_unit`, which receives it) or "LOSS"
// (报损, with a reason).
struct StockMovementInput {
  std::string org_unit, kind, vaccine, lot, manufacturer, expiry, date, counterpart, reason;
  std::string to_org_unit;
  std::int64_t quantity = 0;
};

// A 盘点 (stock count) at a unit: per lot, the quantity counted; a difference from the balance is
// an ADJUST movement with the line's reason (or the count's).
struct StockCountLine {
  std::string vaccine, lot, reason;
  std::int64_t counted = 0;
};
struct StockCountInput {
  std::string org_unit, date, reason;
  std::vector<StockCountLine> lines;
};

// Lifting a hold before its end (解除): from `date` (default today) the doses are due again.
struct HoldLiftInput {
  std::string date, reason;
};

// GET /api/immunization/aefi: the AEFI reports made by a unit and the units below it, with a
// report date in [from, to].
struct AefiListQuery {
  std::string org_unit;
  Date from{}, to{};
};

// GET /api/immunization/stock: balances of a unit (and the units below it) on `date`, lots
// expiring within `expiring_days`, and the doses the due lists of [from, to] will need.
struct StockQuery {
  std::string org_unit;
  Date date{};
  int expiring_days = 30;
  Date from{}, to{};
};

// Reads a child or a dose from DHIS2-style JSON ({"orgUnit", "name", "sex", "birthDate",
// "idNumber", "birthCertificate", "address", "guardians":[{"name","relation","phone"}]});
// a wrong type is a kInvalidArgument naming the field.
Result<ChildInput> ChildFromJson(const nlohmann::json& body);
Result<DoseInput> DoseFromJson(const nlohmann::json& body);
Result<TransferInput> TransferFromJson(const nlohmann::json& body);
Result<HoldInput> HoldFromJson(const nlohmann::json& body);
Result<AefiInput> AefiFromJson(const nlohmann::json& body);
Result<StockMovementInput> StockMovementFromJson(const nlohmann::json& body);
Result<StockCountInput> StockCountFromJson(const nlohmann::json& body);
Result<HoldLiftInput> HoldLiftFromJson(const nlohmann::json& body);

// POST /api/tracker's parameters: importStrategy CREATE, UPDATE, CREATE_AND_UPDATE or DELETE;
// atomicMode ALL (nothing is written when any object fails) or OBJECT (each object on its own);
// dry_run (dryRun=true or importMode=VALIDATE): everything is checked, nothing is kept.
struct TrackerImportOptions {
  std::string strategy = "CREATE_AND_UPDATE";
  std::string atomic = "ALL";
  bool dry_run = false;
  // reportMode: "ERRORS" lists no warningReports, "FULL" adds timingsStats; "" (not given) or
  // "WARNINGS" lists errors and warnings.
  std::string report_mode;
};

// POST /api/tracker's answer: DHIS2's import report as JSON text, written as text rather than
// built as a DOM (a large import has a report per object: bench/README.md "Tracker import",
// session 16), and its status (OK, WARNING or ERROR).
struct TrackerImportReport {
  std::string text;
  std::string status;
};

// GET /api/tracker/trackedEntities|enrollments|events: the records managed in `org_unit` (uid or
// code; ou_mode SELECTED, CHILDREN or DESCENDANTS), or the ones named in `tracked_entities` or
// `enrollments` (within `org_unit` when both are given), narrowed by every other filter set, a
// page of them (page_size 0: all). A filter is never dropped: the handler refuses what it cannot
// express here.
struct TrackerExportQuery {
  std::string org_unit, ou_mode = "SELECTED";
  std::vector<std::string> tracked_entities, enrollments;
  std::vector<std::string> uids;  // event uids (events only)
  std::string program;            // "" or a program uid: another than the immunization program
                                  // is a 409 naming program
  // Milliseconds since the epoch, inclusive; 0: no bound. occurred: the events' occurredAt;
  // updated: the trackedEntities' and enrollments' updatedAt.
  std::int64_t occurred_after = 0, occurred_before = 0, updated_after = 0, updated_before = 0;
  // filter=ATTR:eq:VALUE on the ID number (compared by its blind index), sex or birth date.
  std::string id_number, sex, birth_date;
  bool nested = false;  // trackedEntities with their enrollments and events (fields=*)
  int page = 1, page_size = 50;
};

class ImmunizationService {
 public:
  // Installs the due indexer in the store (InstallDueIndexer).
  explicit ImmunizationService(storage::Store& store);
  // Set once at start-up, before requests are served (null: no key file).
  void set_vault(std::shared_ptr<const PersonVault> vault) { vault_ = std::move(vault); }

  // Registers a child; the answer is the record (as the caller may see it) with
  // "possibleDuplicates" (same name, birth date and guardian phone). The same ID number twice is
  // a 409 naming idNumber.
  Result<nlohmann::json> Register(const auth::Principal& who, const metadata::Catalog& cat,
                                  const ChildInput& in, Date today, std::int64_t now);
  Result<nlohmann::json> Get(const auth::Principal& who, const metadata::Catalog& cat,
                             const std::string& uid, std::int64_t now);
  // The children managed by a unit and the units below it, youngest last.
  Result<nlohmann::json> List(const auth::Principal& who, const metadata::Catalog& cat,
                              const std::string& org_unit, std::int64_t now);
  // Finds records through the blind indexes, within the caller's read scope (others are not
  // named); {"trackedEntities": [...]} masked as Get, each unmasked record audited as Get.
  Result<nlohmann::json> Find(const auth::Principal& who, const metadata::Catalog& cat,
                              const ChildSearch& q, Date today, std::int64_t now);
  // Records a dose; the answer carries the dose's state in the child's forecast (a dose given
  // too early is recorded and marked 已种无效 with the reason).
  Result<nlohmann::json> RecordDose(const auth::Principal& who, const metadata::Catalog& cat,
                                    const DoseInput& in, Date today, std::int64_t now);
  // GET /api/immunization/forecast: every dose of the child's schedule on `date`.
  Result<nlohmann::json> Forecast(const auth::Principal& who, const metadata::Catalog& cat,
                                  const std::string& uid, Date date);
  // POST /api/immunization/children/{uid}/transfers: moves the record (the caller writes its
  // unit; for a return from outside also the new unit) and keeps the move in its history.
  Result<nlohmann::json> Transfer(const auth::Principal& who, const metadata::Catalog& cat,
                                  const std::string& uid, const TransferInput& in, Date today,
                                  std::int64_t now);
  // GET /api/immunization/due: the 应种/逾期 list, one row per child with the doses to give,
  // guardians' phones masked unless the caller may unmask (then one audit row for the list).
  Result<nlohmann::json> DueList(const auth::Principal& who, const metadata::Catalog& cat,
                                 const DueListQuery& q, std::int64_t now);
  // POST /api/immunization/children/{uid}/holds: records a 禁忌 or 暂缓 (the caller writes the
  // record's unit); the forecast and due lists show the doses it covers as held.
  Result<nlohmann::json> AddHold(const auth::Principal& who, const metadata::Catalog& cat,
                                 const std::string& uid, const HoldInput& in, Date today,
                                 std::int64_t now);
  // POST /api/immunization/children/{uid}/holds/{hold}/lift: ends a hold from a date (the caller
  // writes the record's unit), audited; the forecast shows the doses due again from that day.
  Result<nlohmann::json> LiftHold(const auth::Principal& who, const metadata::Catalog& cat,
                                  const std::string& uid, const std::string& hold,
                                  const HoldLiftInput& in, Date today, std::int64_t now);
  // GET /api/immunization/aefi: a county's list of AEFI reports (no names: the record's uid).
  Result<nlohmann::json> AefiList(const auth::Principal& who, const metadata::Catalog& cat,
                                  const AefiListQuery& q);
  // POST /api/immunization/children/{uid}/aefi: an AEFI report about one of the child's recorded
  // doses (the caller writes the record's unit or the unit that gave the dose).
  // GET /api/immunization/children/{uid} lists them.
  Result<nlohmann::json> ReportAefi(const auth::Principal& who, const metadata::Catalog& cat,
                                    const std::string& uid, const AefiInput& in, Date today,
                                    std::int64_t now);

  // POST /api/immunization/stock/movements: 入库, 出库 (to another unit: its 入库 in the same
  // transaction) or 报损, with an audit row per movement.
  Result<nlohmann::json> RecordStock(const auth::Principal& who, const metadata::Catalog& cat,
                                     const StockMovementInput& in, Date today, std::int64_t now);
  // POST /api/immunization/stock/counts: a 盘点 (the caller writes the unit); each lot whose
  // count differs from its balance gets an ADJUST movement and an audit row, all in one
  // transaction, against the balance at that moment.
  Result<nlohmann::json> CountStock(const auth::Principal& who, const metadata::Catalog& cat,
                                    const StockCountInput& in, Date today, std::int64_t now);
  // GET /api/immunization/stock: per vaccine and lot, expiry alerts, and needs vs on hand.
  Result<nlohmann::json> Stock(const auth::Principal& who, const metadata::Catalog& cat,
                               const StockQuery& q);
  // GET /api/immunization/stock/movements: a unit's ledger, newest first.
  Result<nlohmann::json> StockMovements(const auth::Principal& who, const metadata::Catalog& cat,
                                        const std::string& org_unit, const std::string& vaccine,
                                        const std::string& lot);

  // GET /api/immunization/monthlyDoses?ou=&pe=YYYYMM: the doses given in a month by a unit and
  // the units below it (of the children they manage), counted per vaccine group of the aggregate
  // 免疫规划 form (免疫规划疫苗接种剂次 EPI_DOSES by 疫苗种类), as the values the data entry form
  // takes: {"dataElement", "period", "orgUnit", "dataValues": [{"categoryOptionCombo", "value"}]}.
  Result<nlohmann::json> MonthlyDoses(const auth::Principal& who, const metadata::Catalog& cat,
                                      const std::string& org_unit, const std::string& month);

  // GET /api/immunization/children/{uid}/certificate[.pdf]: the 预防接种证, every dose recorded
  // (masked as Get; an unmasked print is audited).
  Result<nlohmann::json> Certificate(const auth::Principal& who, const metadata::Catalog& cat,
                                     const std::string& uid, Date date, std::int64_t now);
  // GET /api/immunization/children/{uid}/notice[.pdf]: the 预约通知单, the doses to give at the
  // next appointment after `date` (or on `appointment` when given).
  Result<nlohmann::json> Notice(const auth::Principal& who, const metadata::Catalog& cat,
                                const std::string& uid, Date date, std::optional<Date> appointment,
                                std::int64_t now);
  // POST /api/immunization/school-check: 入托入学查验 of a class list (CSV: 身份证号, or 姓名 and
  // 出生日期), row by row: found or not, and the doses each child lacks on `date`.
  Result<nlohmann::json> SchoolCheck(const auth::Principal& who, const metadata::Catalog& cat,
                                     const std::string& csv, Date date, std::int64_t now);

  // --- DHIS2 tracker exchange (tracker/exchange.cc) ---
  // POST /api/tracker: trackedEntities (with nested enrollments and events), enrollments and
  // events checked as /api/immunization checks them, within the caller's write scope; the answer
  // is DHIS2's import report (status, validationReport, stats, bundleReport). A malformed body or
  // parameter is an error; a bad object is an error report in the answer.
  Result<nlohmann::json> ImportTracker(const auth::Principal& who, const metadata::Catalog& cat,
                                       const nlohmann::json& body, const TrackerImportOptions& o,
                                       Date today, std::int64_t now);
  // The same over a body parsed by simdjson (POST /api/tracker) or any other payload.
  Result<nlohmann::json> ImportTrackerPayload(const auth::Principal& who,
                                              const metadata::Catalog& cat,
                                              const TrackerPayload& body,
                                              const TrackerImportOptions& o, Date today,
                                              std::int64_t now);
  // The same report as text (what POST /api/tracker sends): the bytes nlohmann's dump() of the
  // report above writes.
  Result<TrackerImportReport> ImportTrackerText(const auth::Principal& who,
                                                const metadata::Catalog& cat,
                                                const TrackerPayload& body,
                                                const TrackerImportOptions& o, Date today,
                                                std::int64_t now);
  // GET /api/tracker/trackedEntities, /enrollments, /events in DHIS2's shapes; attributes masked
  // unless the caller may unmask (each unmasked list audited once).
  Result<nlohmann::json> ExportTrackedEntities(const auth::Principal& who,
                                               const metadata::Catalog& cat,
                                               const TrackerExportQuery& q, Date today,
                                               std::int64_t now);
  Result<nlohmann::json> ExportEnrollments(const auth::Principal& who, const metadata::Catalog& cat,
                                           const TrackerExportQuery& q, std::int64_t now);
  Result<nlohmann::json> ExportEvents(const auth::Principal& who, const metadata::Catalog& cat,
                                      const TrackerExportQuery& q, Date today);
  // GET /api/tracker/trackedEntities/{uid}: one record with its enrollment and events.
  Result<nlohmann::json> ExportTrackedEntity(const auth::Principal& who,
                                             const metadata::Catalog& cat, const std::string& uid,
                                             Date today, std::int64_t now);
  // The 接种卡 register as CSV (tracker/register_csv.cc): one row per dose (or per child without
  // doses); the answer lists row-numbered errors in Chinese naming the column; a dry run or any
  // error writes nothing.
  Result<nlohmann::json> ImportRegisterCsv(const auth::Principal& who, const metadata::Catalog& cat,
                                           const std::string& csv, bool dry_run, Date today,
                                           std::int64_t now);

  // One tracker import's state, one object of its payload and one object's outcome (defined in
  // exchange.cc).
  struct ImportRun;
  struct ImportObject;
  struct ObjectOutcome;

  // Re-seals and re-indexes every record under the vault's current key (after `keys rotate`).
  Result<int> Reseal(const std::string& actor, std::int64_t now);

 private:
  struct Person {
    storage::TrackedEntityRecord record;
    nlohmann::json sealed;  // the opened identifying fields
  };
  Result<Person> Load(const auth::Principal& who, const metadata::Catalog& cat,
                      const std::string& uid);
  // A record validated as Register validates it, not yet written; `existing` for an update (the
  // record keeps its id, uid, enrollment and creation; its own ID number is no duplicate).
  struct PreparedChild {
    Person person;
    nlohmann::json duplicates;
  };
  Result<PreparedChild> PrepareChild(const auth::Principal& who, const metadata::Catalog& cat,
                                     const ChildInput& in, Date today, std::int64_t now,
                                     const storage::TrackedEntityRecord* existing);
  // A dose validated as RecordDose validates it (refusing rules as kConflict naming the field),
  // with its stock movement when the unit stocks the vaccine; `others`: the child's other doses.
  struct PreparedDose {
    storage::ImmunizationDoseRecord dose;
    storage::AuditRecord audit;
    std::optional<storage::VaccineStockMovementRecord> movement;
    storage::AuditRecord movement_audit;
  };
  // `lots`: the units' lots already read by this caller (an import reads a unit's once), or
  // null to read them from the store.
  using LotsByUnit = std::map<std::int64_t, std::vector<storage::VaccineLotRecord>>;
  // Reads only the child's record: nothing personal is needed to check a dose, so an import
  // does not open (decrypt) the children it records doses of.
  Result<PreparedDose> PrepareDose(const auth::Principal& who, const metadata::Catalog& cat,
                                   const storage::TrackedEntityRecord& child, const DoseInput& in,
                                   std::span<const storage::ImmunizationDoseRecord> others,
                                   Date today, std::int64_t now, const std::string& uid = {},
                                   LotsByUnit* lots = nullptr);
  Status WriteDose(PreparedDose& prepared);
  // Where a recorded dose lands in the child's schedule: series, doseNumber, state, stateName,
  // reason, and a warning when a hold covered that day.
  static nlohmann::json Placement(const storage::TrackedEntityRecord& person,
                                  std::span<const storage::ImmunizationDoseRecord> doses,
                                  const std::vector<Hold>& holds, const std::string& vaccine,
                                  const std::string& given_on);
  // The same from the rows of a Forecast that holds the dose (given on `date`).
  static nlohmann::json PlacementIn(const std::vector<DoseForecast>& rows,
                                    const std::vector<Hold>& holds, const std::string& vaccine,
                                    Date date);
  // Tracker import, one object (exchange.cc).
  ObjectOutcome ImportTrackedEntity(ImportRun& run, const ImportObject& te);
  ObjectOutcome ImportEnrollment(ImportRun& run, const ImportObject& en);
  ObjectOutcome ImportEvent(ImportRun& run, const ImportObject& ev);
  // The placements of an import's new doses, one Forecast per child where that gives what one
  // per dose gave; then the doses waiting, written in one batch (Store::AddImmunizationDosesBulk).
  void PlaceImported(ImportRun& run);
  Status FlushImportDoses(ImportRun& run);
  // The new children waiting, written in one batch (Store::AddTrackedEntitiesBulk) with one
  // audit row per unit.
  Status FlushImportChildren(ImportRun& run);
  nlohmann::json EventJson(const metadata::Catalog& cat, const storage::TrackedEntityRecord& person,
                           const storage::ImmunizationDoseRecord& d, const nlohmann::json& placed);
  Result<nlohmann::json> EnrollmentJson(const metadata::Catalog& cat,
                                        const storage::TrackedEntityRecord& person,
                                        bool with_events, Date today);
  Result<std::vector<storage::TrackedEntityRecord>> ExportRecords(const auth::Principal& who,
                                                                  const metadata::Catalog& cat,
                                                                  const TrackerExportQuery& q,
                                                                  const char* uid_kind);
  // Opens a record's sealed fields.
  static Result<Person> Unseal(const PersonVault& vault, storage::TrackedEntityRecord record);
  // The PERSONAL_DATA audit row of one record shown unmasked.
  Status AuditUnmaskedRecord(const auth::Principal& who, const storage::TrackedEntityRecord& record,
                             const std::string& detail, std::int64_t now);
  // The PERSONAL_DATA audit row of a list that showed `unmasked` children unmasked (none when 0).
  Status AuditUnmaskedList(const auth::Principal& who, const storage::OrgUnitRecord& unit,
                           const std::string& object, const std::string& detail, int unmasked,
                           std::int64_t now);
  // A record's doses and holds, as the engine reads them.
  Result<std::vector<RecordedDose>> RecordedDosesOf(std::int64_t person);
  Result<std::vector<Hold>> HoldsOf(std::int64_t person);
  Result<const PersonVault*> Vault() const;
  nlohmann::json View(const metadata::Catalog& cat, const Person& p, bool unmasked) const;
  bool MayUnmask(const auth::Principal& who, const metadata::Catalog& cat, std::int64_t unit) const;

  storage::Store& store_;
  std::shared_ptr<const PersonVault> vault_;  // set before serving; read-only afterwards
};

// The area a unit serves: its own subtree, or for a facility (a 卫生院 hangs under its township)
// the division it hangs under.
std::int64_t ServedArea(const storage::OrgUnitRecord& unit);

// Whether `unit` may manage children's records (be the 接种单位 of a record): a facility that
// vaccinates (卫生院, 社区卫生服务中心, 村卫生室, 妇幼保健院, 医院: the workbench's VACCINATING), a
// village (its village doctor keeps its children's cards), or a township (level 4) with no such
// facility of its own (an instance of divisions only: the township keeps them). Never a county,
// city or province, a facility that does not vaccinate (疾控中心, 托育机构), nor a township whose
// 卫生院 manages its children (the 卫生院's staff would not see them). A refusal is a kConflict
// naming orgUnit.
Status CheckManagingUnit(const metadata::Catalog& cat, const storage::OrgUnitRecord& unit);

// The doses recorded for every person managed by `units`, by person (store id), in date order.
Result<std::map<std::int64_t, std::vector<RecordedDose>>> RecordedDosesManagedBy(
    storage::Store& store, std::span<const std::int64_t> units);

Hold HoldFromRecord(const storage::ImmunizationHoldRecord& r);

// Doses due or overdue in [from, to] (as a due list counts them: 应种 on `from` or becoming due by
// `to`, 逾期 still within the catch-up age; a deferral ending in the window counts) for every
// active child managed by `units`, by vaccine code. No personal data is read.
Result<std::map<std::string, int>> DueDosesByVaccine(storage::Store& store,
                                                     std::span<const std::int64_t> units, Date from,
                                                     Date to);

// A child's due index (storage::DueIndexRecord, kept by the store; see due_list.cc): from his
// birth date and doses (any order), the first day one of his open doses can be given (next), the
// last day one of them can still be caught up (until), and the day from which both hold (basis:
// the later of birth and last dose). For every window [from, to] with from >= basis, a child on
// the due list (any kind, any village, any holds) has next <= to and until >= from.
storage::DueIndexRecord DueIndexOf(Date birth, const std::vector<RecordedDose>& doses);
// Installs DueIndexOf as the store's due indexer (Store::SetDueIndexer).
void InstallDueIndexer(storage::Store& store);

// A forecast row's common fields: vaccine, vaccineName, series, dose, state, stateName.
nlohmann::json ForecastRowJson(const DoseForecast& f);

// The text a name-and-birth-date blind index is computed over.
std::string NameBirthKey(const std::string& name, const std::string& birth);
// A hold and an AEFI report as the API shows them.
nlohmann::json HoldJson(const storage::ImmunizationHoldRecord& h);
nlohmann::json AefiJson(const storage::AefiReportRecord& a, const std::string& dose_uid);

// Masks for people without the personal-data authority.
std::string MaskName(const std::string& name);
std::string MaskIdNumber(const std::string& id);
std::string MaskPhone(const std::string& phone);

}  // namespace weijian::tracker
