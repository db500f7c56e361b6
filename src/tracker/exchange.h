// The immunization program as DHIS2 tracker metadata, for POST /api/tracker and the exports.
//
// A child is a tracked entity of type 儿童, enrolled in the program 免疫规划; every dose is an
// event of the program's one stage 接种记录. One stage rather than one per vaccine dose: the
// schedule engine, not the client, decides which dose of a series a recorded dose is (a dose
// given too early does not count, so "dose 2 of HepB" is a result, not an input), and the stage
// list does not change with the schedule's editions. The stage's data elements carry the vaccine
// (catalogue code), lot, manufacturer, expiry, 追溯码, vaccinator, site and route; doseNumber and
// doseState are written by the engine on export and ignored on import.
//
// Every uid is StableUid of a fixed code, so it is the same in every instance; attributes and
// data elements may be named by uid or by code. GET /api/tracker/programs lists them.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

namespace weijian::tracker {

enum class TrackerField {
  kName,
  kSex,
  kBirthDate,
  kIdNumber,
  kBirthCertificate,
  kGuardianName,
  kGuardianRelation,
  kGuardianPhone,
  kGuardian2Name,
  kGuardian2Relation,
  kGuardian2Phone,
  kAddress,
  kVillage,
  // Data elements of the dose stage.
  kVaccine,
  kLot,
  kManufacturer,
  kLotExpiry,
  kTraceCode,
  kVaccinator,
  kSite,
  kRoute,
  kDoseNumber,  // written on export only
  kDoseState,   // written on export only
};

struct TrackerFieldDef {
  TrackerField field;
  const char* code;
  const char* name;        // Chinese, as the register and the workbench call it
  const char* value_type;  // DHIS2's valueType
  const char* input;       // the /api/immunization field it maps to ("" for export-only)
  std::string uid;
};

// The attributes of a child (tracked entity type attributes) and the data elements of a dose.
std::span<const TrackerFieldDef> TrackerAttributes();
std::span<const TrackerFieldDef> TrackerDataElements();
// An attribute or data element by uid or code; null when unknown.
const TrackerFieldDef* FindTrackerAttribute(const std::string& uid_or_code);
const TrackerFieldDef* FindTrackerDataElement(const std::string& uid_or_code);
const TrackerFieldDef& TrackerFieldOf(TrackerField f);

const std::string& ChildEntityTypeUid();
const std::string& ImmunizationProgramUid();
const std::string& DoseStageUid();

// {"programs": [...], "trackedEntityTypes": [...]} in DHIS2's metadata shapes.
nlohmann::json TrackerProgramMetadata();

// The payload of POST /api/tracker as the import reads it: the body parsed by simdjson's DOM
// (a flat tape, no allocation per value), or a nlohmann value (the CSV register's payload; a
// body simdjson refuses). Building, reading and destroying nlohmann's DOM of a 3 MB body was
// about a fifth of an import's CPU (bench/README.md "Tracker import", session 15).
class TrackerPayload {
 public:
  TrackerPayload();
  explicit TrackerPayload(const nlohmann::json& body);  // refers to `body`, which must outlive it
  TrackerPayload(TrackerPayload&&) noexcept;
  TrackerPayload& operator=(TrackerPayload&&) noexcept;
  ~TrackerPayload();
  // Parses `text` with simdjson. False when simdjson refuses it (not JSON, a number out of its
  // range, ...) or an object in it has a key twice: the caller parses it with nlohmann
  // (ParseJsonBody), whose refusals name the place and which decides what is accepted; a body
  // both accept reads the same either way. Call CheckJsonDepth first.
  bool Parse(const std::string& text);

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weijian::tracker
