// The `weijian` command. Exit codes: 0 success, 1 the operation failed, 2 bad usage.
#include <arpa/inet.h>
#include <weijian/version.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "core/signals.h"

int main(int argc, char** argv) {
  using namespace weijian::cli;
  weijian::IgnoreFileSizeLimitSignal();  // a full disk quota fails one write, not the server
  CLI::App app{"weijian — 卫生健康信息平台 (health information platform)", "weijian"};
  app.set_version_flag("--version", std::string("weijian ") + weijian::kVersion);
  app.require_subcommand(1);

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a database and load the org-unit tree");
  init_cmd->add_option("--db", init.db, "database file")->required();
  init_cmd
      ->add_option("--divisions", init.divisions,
                   "division code to load: 0 (all of China), 15, 1506, 150624 …")
      ->required();
  init_cmd->add_flag("--demo", init.demo, "also load the demo metadata, facilities and data");
  init_cmd->add_option("--keys", init.keys,
                       "with --demo: the key file sealing the demo children's records, made when "
                       "missing (default: <db>.keys; needed with a postgresql:// --db)");

  ServeOptions demo;
  demo.db = "weijian-demo.db";
  auto* demo_cmd = app.add_subcommand("demo", "create the demo database if needed and serve it");
  demo_cmd->add_option("--db", demo.db, "database file")->capture_default_str();
  demo_cmd->add_option("--port", demo.port, "port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  demo_cmd->add_option("--bind", demo.bind, "address to listen on")->capture_default_str();
  demo_cmd->add_option("--site-url", demo.site_url,
                       "the demo site's address for absolute links and QR codes (default: none)");
  demo_cmd->add_option("--web-dir", demo.web_dir,
                       "folder of the built front end (default: web next to the binary)");

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "serve a database over HTTP");
  serve_cmd->add_option("--db", serve.db, "database file")->required();
  serve_cmd->add_option("--web-dir", serve.web_dir,
                        "folder of the built front end (default: web next to the binary)");
  serve_cmd->add_option("--bind", serve.bind, "address to listen on")->capture_default_str();
  serve_cmd->add_option("--site-url", serve.site_url,
                        "the site's address for absolute links in feeds, the sitemap, share "
                        "links and QR codes (default: the 网站地址 setting, else relative links)");
  serve_cmd->add_option("--port", serve.port, "port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve_cmd->add_option("--max-header-kb", serve.max_header_kb, "largest request header accepted")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve_cmd->add_option("--max-body-mb", serve.max_body_mb, "largest request body accepted")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-connections", serve.max_connections,
                   "connections served at once; more get 503 (kept below the fd limit)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();

  serve_cmd->add_option("--read-db", serve.read_db,
                        "a streaming replica of the PostgreSQL --db: engine builds and data value "
                        "exports read from it while it keeps up");
  serve_cmd
      ->add_option("--read-db-max-lag", serve.read_db_max_lag,
                   "seconds the read replica may lag before those reads go to the primary")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  serve_cmd
      ->add_option("--trusted-proxy", serve.trusted_proxies,
                   "IP address of a reverse proxy or load balancer in front (comma-separated or "
                   "repeated): its X-Forwarded-For names the client for sign-in limits and audit "
                   "rows (a proxy on this machine, loopback, is always believed)")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            unsigned char address[16];
            if (inet_pton(AF_INET, text.c_str(), address) == 1 ||
                inet_pton(AF_INET6, text.c_str(), address) == 1)
              return {};
            return "not an IP address: " + text;
          },
          "IP"));
  serve_cmd->add_option("--keys", serve.keys,
                        "personal-data key file (default: <db>.keys when it exists)");

  KeysOptions keys;
  auto* keys_cmd = app.add_subcommand("keys", "the key file that seals personal data");
  keys_cmd->require_subcommand(1);
  auto* keys_init_cmd = keys_cmd->add_subcommand("init", "create the key file with a fresh key");
  auto* keys_rotate_cmd =
      keys_cmd->add_subcommand("rotate", "add a fresh key and re-seal every record with it");
  for (auto* c : {keys_init_cmd, keys_rotate_cmd}) {
    c->add_option("--db", keys.db, "database file")->required();
    c->add_option("--keys", keys.keys, "key file (default: <db>.keys)");
  }

  TrackerRegisterOptions tracker_import;
  auto* tracker_cmd = app.add_subcommand("tracker", "children's immunization records");
  tracker_cmd->require_subcommand(1);
  auto* tracker_import_cmd = tracker_cmd->add_subcommand(
      "import", "import a 接种卡 register (CSV, one row per dose; see README)");
  tracker_import_cmd->add_option("--db", tracker_import.db, "database file or address")->required();
  tracker_import_cmd->add_option("--file", tracker_import.file, "the register, CSV (UTF-8)")
      ->required();
  tracker_import_cmd->add_flag("--dry-run", tracker_import.dry_run,
                               "check every row and report, write nothing");
  tracker_import_cmd->add_option("--keys", tracker_import.keys, "key file (default: <db>.keys)");
  std::string generate_db, generate_keys, generate_area = "150624";
  int generate_from = 1, generate_copies = 1;
  bool generate_bulk = false;
  auto* tracker_generate_cmd = tracker_cmd->add_subcommand(
      "generate",
      "benchmarks only: more cohorts of the demo's children (weijian init --demo first)");
  tracker_generate_cmd->add_option("--db", generate_db, "database file or address")->required();
  tracker_generate_cmd->add_option("--keys", generate_keys, "key file (default: <db>.keys)");
  tracker_generate_cmd->add_option("--from", generate_from, "first copy (1–999; 0 is the demo's)")
      ->check(CLI::Range(1, 999))
      ->capture_default_str();
  tracker_generate_cmd
      ->add_option("--copies", generate_copies, "cohorts of about 8,800 children each")
      ->check(CLI::Range(1, 999))
      ->capture_default_str();
  tracker_generate_cmd
      ->add_option("--area", generate_area,
                   "division whose townships the children live in (15: all of Inner Mongolia)")
      ->capture_default_str();
  tracker_generate_cmd->add_flag(
      "--bulk", generate_bulk,
      "the store's bulk path: one audit row per cohort instead of one per child and dose");
  std::string reindex_db;
  auto* tracker_reindex_cmd = tracker_cmd->add_subcommand(
      "reindex", "compute the due index of the children written before it existed");
  tracker_reindex_cmd->add_option("--db", reindex_db, "database file or address")->required();

  auto* user_cmd = app.add_subcommand("user", "manage users");
  user_cmd->require_subcommand(1);
  UserAddOptions user_add;
  auto* add_cmd = user_cmd->add_subcommand("add", "add a user");
  add_cmd->add_option("--db", user_add.db, "database file")->required();
  add_cmd->add_option("--name", user_add.name, "user name")->required();
  add_cmd
      ->add_option("--role", user_add.role, "superuser, admin, approver, entry, viewer or editor")
      ->required();
  add_cmd->add_option("--ou", user_add.org_unit, "org unit code or uid")->required();
  add_cmd->add_flag("--password-stdin", user_add.password_stdin,
                    "read the password from standard input");
  std::string list_db;
  auto* list_cmd = user_cmd->add_subcommand("list", "list users");
  list_cmd->add_option("--db", list_db, "database file")->required();
  std::string passwd_db, passwd_name;
  bool passwd_stdin = false;
  auto* passwd_cmd = user_cmd->add_subcommand("passwd", "set a user's password");
  passwd_cmd->add_option("--db", passwd_db, "database file")->required();
  passwd_cmd->add_option("--name", passwd_name, "user name")->required();
  passwd_cmd->add_flag("--password-stdin", passwd_stdin, "read the password from standard input");
  std::string disable_db, disable_name;
  bool enable = false;
  auto* disable_cmd = user_cmd->add_subcommand("disable", "disable a user (ends their sessions)");
  disable_cmd->add_option("--db", disable_db, "database file")->required();
  disable_cmd->add_option("--name", disable_name, "user name")->required();
  disable_cmd->add_flag("--enable", enable, "enable the user again instead");

  auto* audit_cmd = app.add_subcommand("audit", "the audit trail");
  audit_cmd->require_subcommand(1);
  std::string verify_db;
  auto* verify_cmd = audit_cmd->add_subcommand("verify", "check the audit hash chains");
  verify_cmd->add_option("--db", verify_db, "database file")->required();

  std::string backup_db, backup_out, restore_from, restore_db;
  bool restore_force = false;
  auto* backup_cmd =
      app.add_subcommand("backup", "copy a database consistently, also while it is served");
  backup_cmd->add_option("--db", backup_db, "database file")->required();
  backup_cmd->add_option("--out", backup_out, "backup file to write")->required();
  auto* restore_cmd = app.add_subcommand("restore", "replace a database by a backup");
  restore_cmd->add_option("--from", restore_from, "backup file")->required();
  restore_cmd->add_option("--db", restore_db, "database file to replace")->required();
  restore_cmd->add_flag("--force", restore_force, "replace an existing database");

  std::string migrate_from, migrate_to;
  auto* migrate_cmd = app.add_subcommand(
      "migrate", "copy a whole SQLite store into an empty PostgreSQL database, then verify it");
  migrate_cmd->add_option("--from", migrate_from, "SQLite database file")->required();
  migrate_cmd->add_option("--to", migrate_to, "PostgreSQL address (postgresql://user@host:port/db)")
      ->required();

  // DHIS2's option names, as flags: --dataElementIdScheme code, --atomicMode NONE …
  std::string import_db;
  std::vector<std::string> import_files;
  std::vector<std::pair<std::string, std::string>> import_opts;
  auto* import_cmd =
      app.add_subcommand("import", "import data value sets (DHIS2 JSON, XML, CSV, ADX)");
  import_cmd->add_option("--db", import_db, "database file")->required();
  import_cmd->add_option("files", import_files, "files to import (format chosen by content)")
      ->required()
      ->check(CLI::ExistingFile);
  for (const char* name :
       {"dataElementIdScheme", "orgUnitIdScheme", "categoryOptionComboIdScheme", "categoryIdScheme",
        "categoryOptionIdScheme", "dataSetIdScheme", "idScheme", "importStrategy", "atomicMode",
        "format", "dataSet", "firstRowIsHeader", "requireCategoryOptionCombo"})
    import_cmd->add_option_function<std::string>(
        std::string("--") + name,
        [&import_opts, name](const std::string& v) { import_opts.emplace_back(name, v); }, name);
  import_cmd->add_flag_callback(
      "--dryRun", [&import_opts] { import_opts.emplace_back("dryRun", "true"); },
      "check and count, write nothing");

  std::string export_db, export_out;
  std::vector<std::pair<std::string, std::string>> export_opts;
  auto* export_cmd = app.add_subcommand("export", "export data value sets");
  export_cmd->add_option("--db", export_db, "database file")->required();
  export_cmd->add_option("--out", export_out, "output file (default: standard output)");
  for (const char* name :
       {"format", "dataSet", "period", "startDate", "endDate", "orgUnit", "dataElementIdScheme",
        "orgUnitIdScheme", "categoryOptionComboIdScheme", "categoryIdScheme",
        "categoryOptionIdScheme", "dataSetIdScheme", "idScheme"})
    export_cmd->add_option_function<std::vector<std::string>>(
        std::string("--") + name,
        [&export_opts, name](const std::vector<std::string>& vs) {
          for (const auto& v : vs) export_opts.emplace_back(name, v);
        },
        name);
  export_cmd->add_flag_callback(
      "--children", [&export_opts] { export_opts.emplace_back("children", "true"); },
      "include every unit below the named ones");
  export_cmd->add_flag_callback(
      "--includeDeleted", [&export_opts] { export_opts.emplace_back("includeDeleted", "true"); },
      "also export deleted values");

  auto* metadata_cmd = app.add_subcommand("metadata", "DHIS2 metadata bundles");
  metadata_cmd->require_subcommand(1);
  std::string mi_db, mi_file, me_db, me_out;
  auto* mi_cmd = metadata_cmd->add_subcommand("import", "import a metadata bundle (JSON)");
  mi_cmd->add_option("--db", mi_db, "database file")->required();
  mi_cmd->add_option("file", mi_file, "bundle file")->required()->check(CLI::ExistingFile);
  auto* me_cmd = metadata_cmd->add_subcommand("export", "export the metadata bundle (JSON)");
  me_cmd->add_option("--db", me_db, "database file")->required();
  me_cmd->add_option("--out", me_out, "output file (default: standard output)");

  std::string analytics_db;
  std::vector<std::pair<std::string, std::string>> analytics_params;
  auto* analytics_cmd =
      app.add_subcommand("analytics", "run an analytics query (as /api/analytics)");
  analytics_cmd->add_option("--db", analytics_db, "database file")->required();
  for (const char* name : {"dimension", "filter", "displayProperty", "sortOrder", "limit",
                           "measureCriteria", "relativePeriodDate"})
    analytics_cmd->add_option_function<std::vector<std::string>>(
        std::string("--") + name,
        [&analytics_params, name](const std::vector<std::string>& vs) {
          for (const auto& v : vs) analytics_params.emplace_back(name, v);
        },
        name);
  for (const char* name : {"skipRounding", "includeNumDen", "ignoreLimit"})
    analytics_cmd->add_flag_callback(
        std::string("--") + name,
        [&analytics_params, name] { analytics_params.emplace_back(name, "true"); }, name);

  ReportOptions rep;
  auto* report_cmd =
      app.add_subcommand("report", "write a report from the data: html, pdf, docx or xlsx");
  report_cmd->add_option("--db", rep.db, "database file")->required();
  report_cmd
      ->add_option("--template", rep.template_name, "progress, annual, bulletin or a stored one")
      ->required();
  report_cmd->add_option("--ou", rep.ou, "the unit (code or uid)")->required();
  report_cmd->add_option("--period", rep.period, "a period or range: 2023, 202401..202407")
      ->required();
  report_cmd->add_option("--format", rep.format, "html, pdf, docx or xlsx")
      ->check(CLI::IsMember({"html", "pdf", "docx", "xlsx"}))
      ->capture_default_str();
  report_cmd->add_option("--out", rep.out, "the file to write")->required();
  report_cmd->add_option("--publish", rep.publish,
                         "also publish it to this portal column (tzgg, gzdt, sjfb, wsjkxx)");
  report_cmd->add_option("--note", rep.note, "the editor's note on the data checks");
  report_cmd->add_option("--issue", rep.issue, "bulletin issue number (default: the next one)");
  report_cmd->add_flag("--all-data", rep.all_data,
                       "read every value entered, not only approved data (the default)");

  OrgUnitsOptions ous;
  auto* ou_cmd =
      app.add_subcommand("orgunits", "list org units: uid, code, name, level, parent code");
  ou_cmd->add_option("--db", ous.db, "database file")->required();
  ou_cmd->add_option("--level", ous.level, "only this level (1 省 … 5 村)")
      ->check(CLI::Range(1, 20));
  ou_cmd->add_option("--parent", ous.parent, "only the children of this unit (code or uid)");

  ValidateOptions val;
  auto* validate_cmd =
      app.add_subcommand("validate", "run validation rules over a unit's subtree and periods");
  validate_cmd->add_option("--db", val.db, "database file")->required();
  validate_cmd->add_option("--ou", val.org_unit, "the unit (code or uid)")->required();
  validate_cmd->add_option("--period", val.period, "a period or range, e.g. 202401..202412")
      ->required();
  validate_cmd->add_option("--group", val.group, "only this validation rule group");
  validate_cmd->add_flag("--persist", val.persist, "keep the failures (/api/validationResults)");
  MinMaxOptions mm;
  auto* minmax_cmd = app.add_subcommand("minmax", "min-max bounds of data values");
  minmax_cmd->require_subcommand(1);
  auto* mm_gen_cmd =
      minmax_cmd->add_subcommand("generate", "generate bounds from each unit's history");
  mm_gen_cmd->add_option("--db", mm.db, "database file")->required();
  mm_gen_cmd->add_option("--data-set", mm.data_set, "data set (code or uid)")->required();
  mm_gen_cmd->add_option("--ou", mm.org_unit, "the subtree's unit (code or uid)")->required();

  auto* fed_cmd = app.add_subcommand("federation", "push approved data to the instance above");
  fed_cmd->require_subcommand(1);
  FederationAddOptions fed_add;
  auto* fed_add_cmd = fed_cmd->add_subcommand("add", "add an upper instance to push to");
  fed_add_cmd->add_option("--db", fed_add.db, "database file")->required();
  fed_add_cmd->add_option("--to", fed_add.to, "the upper instance's address, http://host:port")
      ->required();
  fed_add_cmd
      ->add_option("--token-file", fed_add.token_file,
                   "file holding an API token of the upper instance (chmod 600; read at each push)")
      ->required();
  fed_add_cmd->add_option("--data-set", fed_add.data_sets, "data set to push (code or uid)")
      ->required();
  fed_add_cmd->add_option("--level", fed_add.level,
                          "sum values to this org unit level (default: the values' own units)");
  fed_add_cmd->add_option("--format", fed_add.format, "json or adx")->capture_default_str();
  fed_add_cmd->add_option("--source", fed_add.source,
                          "this instance's name at the upper side (default: its top unit's code)");
  std::string fed_list_db;
  auto* fed_list_cmd = fed_cmd->add_subcommand("list", "targets, pending batches and failures");
  fed_list_cmd->add_option("--db", fed_list_db, "database file")->required();
  FederationPushOptions fed_push;
  auto* fed_push_cmd = fed_cmd->add_subcommand("push", "push approved data not yet delivered");
  fed_push_cmd->add_option("--db", fed_push.db, "database file")->required();
  fed_push_cmd->add_flag("--dry-run", fed_push.dry_run, "show what would be pushed, send nothing");
  fed_push_cmd->add_flag("--retry-refused", fed_push.retry_refused,
                         "send batches the upper instance refused again");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line that says what is wrong; the usage is one --help away.
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    std::cerr << "weijian: " << what << " (see weijian --help)\n";
    return 2;
  }

  try {
    if (*init_cmd) return RunInit(init);
    if (*demo_cmd) return RunDemo(demo);
    if (*serve_cmd) return RunServe(serve);
    if (*add_cmd) return RunUserAdd(user_add);
    if (*list_cmd) return RunUserList(list_db);
    if (*passwd_cmd) return RunUserPasswd(passwd_db, passwd_name, passwd_stdin);
    if (*disable_cmd) return RunUserDisable(disable_db, disable_name, !enable);
    if (*verify_cmd) return RunAuditVerify(verify_db);
    if (*backup_cmd) return RunBackup(backup_db, backup_out);
    if (*restore_cmd) return RunRestore(restore_from, restore_db, restore_force);
    if (*migrate_cmd) return RunMigrate(migrate_from, migrate_to);
    if (*import_cmd) return RunImport(import_db, import_opts, import_files);
    if (*analytics_cmd) return RunAnalytics(analytics_db, analytics_params);
    if (*report_cmd) return RunReport(rep);
    if (*mi_cmd) return RunMetadataImport(mi_db, mi_file);
    if (*me_cmd) return RunMetadataExport(me_db, me_out);
    if (*export_cmd) return RunExport(export_db, export_opts, export_out);
    if (*ou_cmd) return RunOrgUnits(ous);
    if (*validate_cmd) return RunValidate(val);
    if (*keys_init_cmd) return RunKeysInit(keys);
    if (*keys_rotate_cmd) return RunKeysRotate(keys);
    if (*tracker_import_cmd) return RunTrackerImport(tracker_import);
    if (*tracker_generate_cmd)
      return RunTrackerGenerate(generate_db, generate_keys,
                                {generate_from, generate_copies, generate_area, generate_bulk});
    if (*tracker_reindex_cmd) return RunTrackerReindex(reindex_db);
    if (*mm_gen_cmd) return RunMinMaxGenerate(mm);
    if (*fed_add_cmd) return RunFederationAdd(fed_add);
    if (*fed_list_cmd) return RunFederationList(fed_list_db);
    if (*fed_push_cmd) return RunFederationPush(fed_push);
  } catch (const std::exception& e) {
    std::cerr << "weijian: internal error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
