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

// Reads a child or a dose from DHIS2-style JSON ({"orgUnit", "name", "sex", "birthDate",
// "idNumber", "birthCertificate", "address", "guardians":[{"name","relation","phone"}]});
// a wrong type is a kInvalidArgument naming the field.
Result<ChildInput> ChildFromJson(const nlohmann::json& body);
Result<DoseInput> DoseFromJson(const nlohmann::json& body);
Result<TransferInput> TransferFromJson(const nlohmann::json& body);

class ImmunizationService {
 public:
  explicit ImmunizationService(storage::Store& store) : store_(store) {}
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
  // Re-seals and re-indexes every record under the vault's current key (after `keys rotate`).
  Result<int> Reseal(const std::string& actor, std::int64_t now);

 private:
  struct Person {
    storage::TrackedEntityRecord record;
    nlohmann::json sealed;  // the opened identifying fields
  };
  Result<Person> Load(const auth::Principal& who, const metadata::Catalog& cat,
                      const std::string& uid);
  // Opens a record's sealed fields.
  static Result<Person> Unseal(const PersonVault& vault, storage::TrackedEntityRecord record);
  // The PERSONAL_DATA audit row of one record shown unmasked.
  Status AuditUnmaskedRecord(const auth::Principal& who, const storage::TrackedEntityRecord& record,
                             const std::string& detail, std::int64_t now);
  // The PERSONAL_DATA audit row of a list that showed `unmasked` children unmasked (none when 0).
  Status AuditUnmaskedList(const auth::Principal& who, const storage::OrgUnitRecord& unit,
                           const std::string& object, const std::string& detail, int unmasked,
                           std::int64_t now);
  Result<const PersonVault*> Vault() const;
  nlohmann::json View(const metadata::Catalog& cat, const Person& p, bool unmasked) const;
  bool MayUnmask(const auth::Principal& who, const metadata::Catalog& cat, std::int64_t unit) const;

  storage::Store& store_;
  std::shared_ptr<const PersonVault> vault_;  // set before serving; read-only afterwards
};

// The area a unit serves: its own subtree, or for a facility (a 卫生院 hangs under its township)
// the division it hangs under.
std::int64_t ServedArea(const storage::OrgUnitRecord& unit);

// The doses recorded for every person managed by `units`, by person (store id), in date order.
Result<std::map<std::int64_t, std::vector<RecordedDose>>> RecordedDosesManagedBy(
    storage::Store& store, std::span<const std::int64_t> units);

// Masks for people without the personal-data authority.
std::string MaskName(const std::string& name);
std::string MaskIdNumber(const std::string& id);
std::string MaskPhone(const std::string& phone);

}  // namespace weijian::tracker
