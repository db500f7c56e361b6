// The `weijian` command's subcommands as functions returning an exit code:
// 0 success, 1 the operation failed, 2 bad usage or unreadable input.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/demo_children.h"
#include "core/status.h"
#include "storage/store.h"
#include "tracker/immunization.h"

namespace weijian::http {
class App;
}  // namespace weijian::http

namespace weijian::cli {

// Prints a failed operation's error ("weijian: field: message") on stderr and returns the exit
// code for it: 2 for bad input, 1 otherwise.
int Fail(const Status& s);
// Opens the store of --db; one that does not exist is a mistake everywhere but `init`.
Result<std::unique_ptr<storage::Store>> OpenExisting(const std::string& db);

struct InitOptions {
  std::string db;
  std::string divisions;
  bool demo = false;
  // With --demo: the key file sealing the demo children's records (made when missing). Default
  // <db>.keys beside a file; a PostgreSQL address has no folder, so there it must be given.
  std::string keys;
};
int RunInit(const InitOptions& o);

struct ServeOptions {
  std::string db;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int max_header_kb = 16;
  int max_body_mb = 64;
  int max_connections = 2000;
  std::string web_dir;   // empty: $WEIJIAN_WEB_DIR or "web" next to the executable
  std::string site_url;  // absolute links; empty: the 网站地址 setting, else relative links
  std::string keys;      // personal-data key file; empty: "<db>.keys" when it exists
  std::string read_db;   // a read replica of a PostgreSQL --db (issue 16 item 4); empty: none
  double read_db_max_lag = 30;  // seconds the replica may lag before reads go to the primary
  std::vector<std::string> trusted_proxies;  // --trusted-proxy: whose X-Forwarded-For to believe
};
int RunServe(const ServeOptions& o);
// Creates the demo database when it does not exist, then serves it.
int RunDemo(const ServeOptions& o);

struct UserAddOptions {
  std::string db;
  std::string name;
  std::string role;
  std::string org_unit;
  bool password_stdin = false;
};
int RunUserAdd(const UserAddOptions& o);
int RunUserList(const std::string& db);
int RunUserPasswd(const std::string& db, const std::string& name, bool password_stdin);
int RunUserDisable(const std::string& db, const std::string& name, bool disable);
// Re-computes the audit hash chains; exit 1 and the first broken row when tampered with.
int RunAuditVerify(const std::string& db);
// A consistent copy of a database, also while it is served (SQLite's online backup).
int RunBackup(const std::string& db, const std::string& out);
// Replaces a database by a backup (not while it is served; an existing one only with --force),
// then verifies the audit chains of the result.
int RunRestore(const std::string& from, const std::string& db, bool force);
// Copies a whole SQLite store into an empty PostgreSQL database in one transaction, checks row
// counts and the audit chains there, and prints what it copied (storage/migrate.h).
int RunMigrate(const std::string& from, const std::string& to);

// `weijian import`: each file is one import; its summary is printed as JSON.
// Exit 0 when every file was SUCCESS, 1 on WARNING or ERROR, 2 when a file cannot be read.
int RunImport(const std::string& db,
              const std::vector<std::pair<std::string, std::string>>& options,
              const std::vector<std::string>& files);
int RunExport(const std::string& db,
              const std::vector<std::pair<std::string, std::string>>& options,
              const std::string& out);

// `weijian metadata import|export`: DHIS2 metadata bundles from and to files.
int RunMetadataImport(const std::string& db, const std::string& file);
int RunMetadataExport(const std::string& db, const std::string& out);

// `weijian analytics`: the /api/analytics query from the command line, printed as JSON.
int RunAnalytics(const std::string& db,
                 const std::vector<std::pair<std::string, std::string>>& params);

struct OrgUnitsOptions {
  std::string db;
  int level = 0;
  std::string parent;
};
int RunOrgUnits(const OrgUnitsOptions& o);

struct ReportOptions {
  std::string db, template_name, ou, period, format = "html", out, publish, note, user = "cli";
  int issue = 0;
  bool all_data = false;  // everything entered instead of approved data only
};
// Generates a report, prints its data checks, writes it in the format asked; with `publish`,
// also publishes it to that portal column with its figures frozen. Reads approved data only (as
// the workbench does), naming the units not yet approved among its checks, unless `all_data`.
int RunReport(const ReportOptions& o);

// `weijian validate`: validation rules over a subtree and period range, printed as a Chinese
// table. Exit 1 when a HIGH rule fails, 0 otherwise, 2 on bad usage.
struct ValidateOptions {
  std::string db, org_unit, period, group;
  bool persist = false;
};
int RunValidate(const ValidateOptions& o);
// `weijian minmax generate`: min-max bounds from each unit's own history.
struct MinMaxOptions {
  std::string db, data_set, org_unit;
};
int RunMinMaxGenerate(const MinMaxOptions& o);
// `weijian keys init|rotate`: the personal-data key file (tracker_commands.cc).
struct KeysOptions {
  std::string db, keys;  // keys empty: "<db>.keys"
};
int RunKeysInit(const KeysOptions& o);
int RunKeysRotate(const KeysOptions& o);
// Loads the key file into the serving app: the explicit one must load; the default one is used
// when present. Returns false (after printing why) when the server must not start.
// `weijian federation add|list|push` (federation_commands.cc, issue 16 item 6).
struct FederationAddOptions {
  std::string db, to, token_file, format = "json", source;
  std::vector<std::string> data_sets;
  int level = 0;
};
int RunFederationAdd(const FederationAddOptions& o);
int RunFederationList(const std::string& db);
struct FederationPushOptions {
  std::string db;
  bool dry_run = false, retry_refused = false;
};
// Exit 0 when every batch due was delivered (or there was none), 1 when one was refused or is
// still waiting for the upper side.
int RunFederationPush(const FederationPushOptions& o);
// Runs the scheduled federation push while it lives (`serve`): every `federation.push_interval`
// minutes (a site setting; 0: never), on one server at a time across servers sharing the
// database (the lease "federation.push" in job_lease).
class FederationSchedule {
 public:
  explicit FederationSchedule(http::App& app);
  ~FederationSchedule();
  FederationSchedule(const FederationSchedule&) = delete;
  FederationSchedule& operator=(const FederationSchedule&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};
bool LoadPersonKeys(const std::string& db, const std::string& explicit_keys,
                    tracker::ImmunizationService& service);

// `weijian tracker import --db F --file F.csv [--dry-run] [--keys K]`: the 接种卡 register as CSV
// (ImmunizationService::ImportRegisterCsv), all or nothing; prints each error with its row.
struct TrackerRegisterOptions {
  std::string db, keys, file;
  bool dry_run = false;
};
int RunTrackerImport(const TrackerRegisterOptions& o);
// Bench only (bench/tracker_scale.bench.sh): more cohorts of the demo's children (see
// DemoChildrenOptions) into a demo database (weijian init --demo), through the store's calls.
int RunTrackerGenerate(const std::string& db, const std::string& keys,
                       const DemoChildrenOptions& options);
// `weijian tracker reindex`: computes the due index of every child whose index is not known
// (records written before migration 0027), in transactions of 5,000 children.
int RunTrackerReindex(const std::string& db);

}  // namespace weijian::cli
