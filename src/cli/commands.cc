#include "cli/commands.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "analytics/analytics.h"
#include "auth/auth_service.h"
#include "auth/password.h"
#include "auth/principal.h"
#include "cli/demo_children.h"
#include "cli/demo_content.h"
#include "cli/demo_portal.h"
#include "core/date.h"
#include "core/uid.h"
#include "exchange/import.h"
#include "http/server.h"
#include "http/site_url.h"
#include "http/web_assets.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "metadata/divisions.h"
#include "portal/site_url.h"
#include "reports/approved_reading.h"
#include "reports/fonts.h"
#include "reports/service.h"
#include "storage/backup.h"
#include "storage/migrate.h"
#include "storage/open_store.h"
#include "storage/store.h"
#include "validation/validation.h"

namespace weijian::cli {

int Fail(const Status& s) {
  std::cerr << "weijian: " << (s.field().empty() ? "" : s.field() + ": ") << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

Result<std::unique_ptr<storage::Store>> OpenExisting(const std::string& db) {
  // A PostgreSQL address (postgresql://…) is opened as it is: the server says whether it exists.
  if (!storage::IsPostgresAddress(db) && !std::filesystem::exists(db))
    return InvalidArgument("the database " + db + " does not exist; create it with `weijian init`",
                           "--db");
  return storage::OpenStore(db);
}

namespace {

// Writes done from the command line are audited under this name (with the OS user).
std::string CliActor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user && *user ? user : "unknown");
}

Status AuditCli(storage::Store& store, const std::string& object, const std::string& detail,
                std::optional<std::int64_t> unit = std::nullopt) {
  storage::AuditRecord r;
  r.type = "USER";
  r.username = CliActor();
  r.org_unit_id = unit;
  r.object = object;
  r.detail = detail;
  r.address = "local";
  r.created = NowMillis();
  return store.AppendAudit(r);
}

Result<std::string> ReadPassword() {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  WJ_RETURN_IF_ERROR(auth::CheckPasswordPolicy(password));
  return password;
}

}  // namespace

int RunInit(const InitOptions& o) {
  auto start = std::chrono::steady_clock::now();
  // Refused before the database is touched: "<address>.keys" would be a path under a folder
  // named "postgresql:".
  if (o.demo && o.keys.empty() && storage::IsPostgresAddress(o.db))
    return Fail(Conflict(
        "--demo on PostgreSQL needs --keys FILE: the key file that seals the demo children's "
        "records (a database address has no folder for <db>.keys)"));
  const std::string key_file = o.keys.empty() ? tracker::DefaultKeyFile(o.db) : o.keys;
  auto store = storage::OpenStore(o.db);
  if (!store.ok()) return Fail(store.status());
  if (Status s = metadata::EnsureDefaults(**store); !s.ok()) return Fail(s);
  auto summary = metadata::LoadDivisions(metadata::FindDivisionDatabase(), o.divisions, **store);
  if (!summary.ok()) return Fail(summary.status());
  static const char* kLevelNames[] = {"", "省级", "地市级", "县级", "乡级", "村级"};
  std::cout << "weijian: " << storage::RedactAddress(o.db) << ": loaded " << summary->created
            << " org units";
  if (summary->existing) std::cout << " (" << summary->existing << " were already there)";
  std::cout << "\n";
  for (int l = 1; l <= 5; ++l)
    if (summary->by_level[l])
      std::cout << "  " << kLevelNames[l] << " (level " << l << "): " << summary->by_level[l]
                << "\n";
  if (o.demo) {
    // The demo's children's records are sealed with a key file (--keys, or beside the file).
    if (!std::filesystem::exists(key_file))
      if (Status k = tracker::PersonVault::Init(key_file); !k.ok()) return Fail(k);
    auto demo = BuildDemo(**store);
    if (!demo.ok()) return Fail(demo.status());
    if (Status s = BuildDemoPortal(**store); !s.ok()) return Fail(s);
    if (auto k = BuildDemoChildren(**store, key_file, Today()); !k.ok()) return Fail(k.status());
    if (auto k = BuildDemoStock(**store, Today()); !k.ok()) return Fail(k.status());
    if (Status s = MarkDemoStore(**store); !s.ok()) return Fail(s);
    std::cout << "  demo: " << demo->facilities << " facilities, " << demo->data_values
              << " data values\n";
    std::cout << "  demo users (one-time passwords, shown only now):\n";
    for (const auto& u : demo->users)
      std::cout << "    " << u.username << "  " << u.password << "  (" << u.role << ", "
                << u.org_unit_name << ")\n";
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "  done in " << secs << " s\n";
  return 0;
}

int RunServe(const ServeOptions& o) {
  std::string site_url;
  if (!o.site_url.empty()) {
    auto url = portal::CheckSiteUrl(o.site_url);
    if (!url.ok()) {
      std::cerr << "weijian: --site-url: " << url.status().message() << "\n";
      return 1;
    }
    site_url = *url;
  }
  reports::UseFontsDir(reports::SiteFontsDir(o.db));  // a site's licensed fonts come first
  if (!o.read_db.empty() && !storage::IsPostgresAddress(o.db))  // before the file is opened
    return Fail(Conflict("--read-db needs a PostgreSQL --db: a SQLite file has no read replica"));
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  if (!o.read_db.empty()) {
    if (Status s = storage::AttachReadReplica(**store, o.read_db, o.read_db_max_lag); !s.ok())
      return Fail(s);
    auto replica = (*store)->ReadReplica();
    std::cerr << "weijian: read replica " << replica.address << ": "
              << (replica.in_use ? "engine builds and data value exports read from it"
                                 : replica.reason + "; reads go to the primary until it catches up")
              << "\n";
  }
  // The engine snapshot, the coverage facts and the serving lock are files beside a SQLite file;
  // a PostgreSQL store has none (its engine is built from the store at each start). The lock is
  // taken before the app starts and dropped after it has stopped: its start reads and writes the
  // files beside the database (a second `serve` is refused before touching them).
  const bool file_store = !storage::IsPostgresAddress(o.db);
  std::optional<decltype(storage::HoldServingLock(o.db))> serving;
  if (file_store) {
    serving = storage::HoldServingLock(o.db);  // `weijian restore` refuses meanwhile
    if (!serving->ok()) return Fail(serving->status());
  }
  http::App app(std::move(*store));
  http::SetServedSiteUrl(site_url);
  if (file_store) {
    app.set_engine_snapshot_path(o.db + ".engine");
    app.coverage().SetFile(o.db + ".coverage");
  }
  app.coverage().SetStartListener([](const std::string& how) {
    std::cerr << "weijian: immunization coverage facts " << how << "\n";
  });
  if (!LoadPersonKeys(o.db, o.keys, app.immunization())) return 1;
  if (Status s = app.Init(); !s.ok()) return Fail(s);
  // Records written before the due index (migration 0027) are read by every due list of their
  // unit until they are indexed: correct, but as slow as before.
  if (auto unindexed = app.store().ListUnindexedTrackedEntities(0, 1);
      unindexed.ok() && !unindexed->empty())
    std::cerr << "weijian: some children's records have no due index yet (due lists read them "
                 "all): run `weijian tracker reindex --db "
              << o.db << "`\n";
  std::cerr << "weijian: analytics engine: "
            << (app.engine_loaded_from_snapshot()
                    ? "loaded from snapshot"
                    : "building from the store (" + app.engine_snapshot_note() + ")")
            << "\n";
  auto web = http::LoadWebAssets(o.web_dir.empty() ? http::DefaultWebDir() : o.web_dir);
  if (web.ok())
    app.set_web(*web);
  else  // the API still works; pages say what is missing
    std::cerr << "weijian: warning: " << web.status().message() << "\n";
  http::ServerOptions options;
  options.bind = o.bind;
  options.port = static_cast<unsigned short>(o.port);
  options.max_header_bytes = static_cast<std::size_t>(o.max_header_kb) * 1024;
  options.max_body_bytes = static_cast<std::size_t>(o.max_body_mb) * 1024 * 1024;
  options.max_connections = o.max_connections;
  options.trusted_proxies = o.trusted_proxies;
  FederationSchedule federation(app);  // scheduled pushes upward, stopped before the app goes
  Status s = http::ServeForever(app, options);
  const auto engine = app.engines().stats();
  std::cerr << "weijian: analytics engine: " << engine.builds << " built from the store, "
            << engine.loaded << " read from the snapshot file, " << engine.applied
            << " batches of writes applied by queries, " << engine.deferred
            << " imports applied off to the side, " << engine.merges
            << " tails merged off to the side, " << engine.dropped
            << " rebuilds for too many changes\n";
  // A clean stop leaves the engine beside the database for the next start.
  if (Status saved = app.SaveEngineSnapshot(); !saved.ok())
    std::cerr << "weijian: engine snapshot not written: " << saved.message() << "\n";
  return s.ok() ? 0 : Fail(s);
}

int RunDemo(const ServeOptions& o) {
  if (std::filesystem::exists(o.db)) {
    auto store = OpenExisting(o.db);
    if (!store.ok()) return Fail(store.status());
    // A demo database from before the portal existed gets its articles now.
    storage::ArticleFilter any;
    any.published_only = false;
    std::int64_t articles = 0;
    if (auto list = (*store)->ListArticles(any, &articles); list.ok() && articles == 0)
      if (Status s = BuildDemoPortal(**store); !s.ok()) return Fail(s);
    auto users = ResetDemoPasswords(**store);
    if (!users.ok()) return Fail(users.status());
    std::cout << "weijian: demo users (one-time passwords for this start):\n";
    for (const auto& u : *users)
      std::cout << "    " << u.username << "  " << u.password << "  (" << u.role << ", "
                << u.org_unit_name << ")\n";
  } else {
    std::cout << "weijian: creating the demo database " << storage::RedactAddress(o.db)
              << " (鄂尔多斯市)\n";
    InitOptions init{o.db, "1506", true, ""};
    if (int rc = RunInit(init); rc != 0) {
      std::error_code ec;
      std::filesystem::remove(o.db, ec);  // never leave a half-built demo behind
      std::filesystem::remove(o.db + "-wal", ec);
      std::filesystem::remove(o.db + "-shm", ec);
      return rc;
    }
  }
  return RunServe(o);
}

int RunUserAdd(const UserAddOptions& o) {
  if (!auth::IsKnownRole(o.role))
    return Fail(InvalidArgument(
        "unknown role \"" + o.role + "\" (superuser, admin, approver, entry, viewer, editor)",
        "--role"));
  if (Status s = auth::CheckUsername(o.name); !s.ok())
    return Fail(InvalidArgument(s.message(), "--name"));
  if (!o.password_stdin)
    return Fail(InvalidArgument("give the password on standard input with --password-stdin",
                                "--password-stdin"));
  auto password = ReadPassword();
  if (!password.ok()) return Fail(password.status());
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  const auto* unit = (*cat)->OrgUnits().ByUidOrCode(o.org_unit);
  if (!unit)
    return Fail(InvalidArgument("no org unit with code or uid \"" + o.org_unit + "\"", "--ou"));
  auto hash = auth::HashPassword(*password);
  if (!hash.ok()) return Fail(hash.status());
  storage::UserRecord u;
  u.uid = RandomUid();
  u.username = o.name;
  u.password_hash = *hash;
  u.roles = {o.role};
  u.capture_org_unit_ids = {unit->id};
  u.view_org_unit_ids = {unit->id};
  u.created = NowMillis();
  auto id = (*store)->CreateUser(u);
  if (!id.ok()) return Fail(id.status());
  if (Status s = AuditCli(**store, o.name, "created with role " + o.role, unit->id); !s.ok())
    return Fail(s);
  std::cout << "weijian: added user " << o.name << " (" << o.role << ", " << unit->name << ")\n";
  return 0;
}

int RunUserList(const std::string& db) {
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  auto users = (*store)->ListUsers();
  if (!users.ok()) return Fail(users.status());
  for (const auto& u : *users) {
    std::string roles, units;
    for (const auto& r : u.roles) roles += (roles.empty() ? "" : ",") + r;
    for (auto id : u.capture_org_unit_ids)
      if (const auto* ou = (*cat)->OrgUnits().ById(id))
        units += (units.empty() ? "" : ",") + ou->code;
    std::cout << u.uid << '\t' << u.username << '\t' << roles << '\t' << units << '\t'
              << (u.disabled ? "disabled" : "active") << '\n';
  }
  return 0;
}

int RunUserPasswd(const std::string& db, const std::string& name, bool password_stdin) {
  if (!password_stdin)
    return Fail(InvalidArgument("give the password on standard input with --password-stdin",
                                "--password-stdin"));
  auto password = ReadPassword();
  if (!password.ok()) return Fail(password.status());
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto user = (*store)->FindUser(name);
  if (!user.ok()) return Fail(user.status());
  if (!*user) return Fail(InvalidArgument("no user named \"" + name + "\"", "--name"));
  auto hash = auth::HashPassword(*password);
  if (!hash.ok()) return Fail(hash.status());
  (*user)->password_hash = *hash;
  if (Status s = (*store)->UpdateUser(**user); !s.ok()) return Fail(s);
  if (Status s = (*store)->DeleteUserSessions((*user)->id); !s.ok()) return Fail(s);
  if (Status s = AuditCli(**store, name, "password changed"); !s.ok()) return Fail(s);
  std::cout << "weijian: changed the password of " << name << "\n";
  return 0;
}

int RunUserDisable(const std::string& db, const std::string& name, bool disable) {
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto user = (*store)->FindUser(name);
  if (!user.ok()) return Fail(user.status());
  if (!*user) return Fail(InvalidArgument("no user named \"" + name + "\"", "--name"));
  (*user)->disabled = disable;
  if (Status s = (*store)->UpdateUser(**user); !s.ok()) return Fail(s);
  if (disable)
    if (Status s = (*store)->DeleteUserSessions((*user)->id); !s.ok()) return Fail(s);
  if (Status s = AuditCli(**store, name, disable ? "disabled" : "enabled"); !s.ok()) return Fail(s);
  std::cout << "weijian: " << (disable ? "disabled " : "enabled ") << name << "\n";
  return 0;
}

// backup and restore copy SQLite files; a PostgreSQL database has its own tools.
Status RefusePostgres(const std::string& db) {
  if (!storage::IsPostgresAddress(db)) return Status::Ok();
  return InvalidArgument(
      "backup and restore copy SQLite files; for a PostgreSQL database use"
      " pg_dump and pg_restore",
      "--db");
}

int RunBackup(const std::string& db, const std::string& out) {
  if (Status s = RefusePostgres(db); !s.ok()) return Fail(s);
  if (Status s = storage::BackupDatabase(db, out); !s.ok()) return Fail(s);
  std::cout << "backed up " << db << " to " << out << "\n";
  return 0;
}

int RunRestore(const std::string& from, const std::string& db, bool force) {
  if (Status s = RefusePostgres(db); !s.ok()) return Fail(s);
  if (Status s = storage::RestoreDatabase(from, db, force); !s.ok()) return Fail(s);
  // What a server kept beside the database it replaced describes that database, not this one.
  for (const char* kept : {".engine", ".coverage"}) {
    std::error_code ignored;
    std::filesystem::remove(db + kept, ignored);
  }
  std::cout << "restored " << db << " from " << from << "\n";
  return RunAuditVerify(db);
}

int RunMigrate(const std::string& from, const std::string& to) {
  auto report = storage::MigrateSqliteToPostgres(from, to);
  if (!report.ok()) return Fail(report.status());
  std::int64_t rows = 0;
  for (const auto& t : report->tables) rows += t.rows;
  std::cout << "migrated " << from << " to " << storage::RedactAddress(to) << ": " << rows
            << " rows in " << report->tables.size() << " tables, "
            << static_cast<long long>(report->seconds * 1000) << " ms\n";
  for (const auto& t : report->tables)
    std::cout << "  " << t.target << (t.target != t.source ? " (from " + t.source + ")" : "")
              << ": " << t.rows << " rows, the same as the source\n";
  for (const auto& s : report->skipped)
    std::cout << "  skipped " << s.table << ": " << s.why << "\n";
  for (const auto& c : report->chains)
    std::cout << "  audit chain " << c.table << ": " << c.rows << " rows — intact\n";
  return 0;
}

int RunAuditVerify(const std::string& db) {
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto checks = (*store)->VerifyAuditChains();
  if (!checks.ok()) return Fail(checks.status());
  bool intact = true;
  for (const auto& c : *checks) {
    std::cout << c.table << ": " << c.rows << " rows";
    if (c.legacy_rows) std::cout << " (" << c.legacy_rows << " from before the chain, unchecked)";
    if (c.first_broken_id) {
      intact = false;
      std::cout << " — BROKEN at row " << *c.first_broken_id
                << ": this row or one before it was changed outside weijian";
    } else {
      std::cout << " — intact";
    }
    std::cout << "\n";
  }
  return intact ? 0 : 1;
}

int RunImport(const std::string& db, const std::vector<std::pair<std::string, std::string>>& opts,
              const std::vector<std::string>& files) {
  exchange::ImportOptions options;
  for (const auto& [name, value] : opts)
    if (Status s = exchange::ParseImportOption(options, name, value); !s.ok())
      return Fail(InvalidArgument(s.message(), "--" + name));
  options.user = CliActor();
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  exchange::DataValueService values(**store);
  int worst = 0;
  for (const auto& file : files) {
    // The audit row commits with the values and the summary.
    options.audit = [&file](const exchange::ImportSummary& s) {
      storage::AuditRecord r;
      r.type = "IMPORT";
      r.username = CliActor();
      r.object = s.import_id;
      r.detail = file + " " + s.status;
      r.address = "local";
      r.created = NowMillis();
      return r;
    };
    // The format is chosen by content: '{' JSON, '<' DXF2 XML or ADX (by the root), else CSV.
    auto probe = exchange::FileSource(file);
    if (!probe.ok()) return Fail(probe.status());
    char head[1024] = {};
    auto got = (*probe)->Read(head, sizeof head);
    if (!got.ok()) return Fail(got.status());
    auto format = exchange::SniffFormat(std::string_view(head, *got));
    auto summary =
        exchange::ImportDataValues(exchange::OpenFile(file), format, options, **cat, values);
    if (!summary.ok()) {
      std::cerr << "weijian: " << file << ": " << summary.status().message() << "\n";
      worst = 2;
      continue;
    }
    std::cout << summary->ToJson().dump(2) << "\n";
    if (summary->status != "SUCCESS") worst = std::max(worst, 1);
  }
  return worst;
}

int RunExport(const std::string& db, const std::vector<std::pair<std::string, std::string>>& opts,
              const std::string& out) {
  exchange::ExportOptions options;
  for (const auto& [name, value] : opts)
    if (Status s = exchange::ParseExportOption(options, name, value); !s.ok())
      return Fail(InvalidArgument(s.message(), "--" + name));
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  exchange::DataValueService values(**store);
  std::FILE* f = out.empty() || out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (!f) return Fail(InvalidArgument("cannot write " + out, "--out"));
  Status s = exchange::ExportDataValues(options, **cat, values, [&](std::string_view chunk) {
    std::fwrite(chunk.data(), 1, chunk.size(), f);
  });
  if (f != stdout) std::fclose(f);
  if (!s.ok()) {
    if (s.code() == StatusCode::kNotFound) s = InvalidArgument(s.message(), s.field());
    return Fail(s);
  }
  return 0;
}

int RunMetadataImport(const std::string& db, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(InvalidArgument("cannot read " + file, "file"));
  nlohmann::json bundle;
  try {
    bundle = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return Fail(
        InvalidArgument(file + " is not valid JSON (at byte " + std::to_string(e.byte) + ")"));
  }
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  // The audit row commits with the metadata.
  metadata::MetadataImportOptions checked;
  checked.check_expression = validation::ExpressionChecker();
  auto report = metadata::ImportMetadata(
      bundle, **cat, **store, checked, [&file](const metadata::MetadataImportReport& rep) {
        storage::AuditRecord r;
        r.type = "METADATA";
        r.username = CliActor();
        r.object = file;
        r.detail =
            "created " + std::to_string(rep.created) + ", updated " + std::to_string(rep.updated);
        r.address = "local";
        r.created = NowMillis();
        return r;
      });
  if (!report.ok()) {
    Status s = report.status();
    std::cerr << "weijian: " << file << ": " << (s.field().empty() ? "" : s.field() + ": ")
              << s.message() << "\n";
    return 1;
  }
  std::cout << report->ToJson().dump(2) << "\n";
  return 0;
}

int RunMetadataExport(const std::string& db, const std::string& out) {
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  std::string text = metadata::ExportMetadata(**cat).dump(1) + "\n";
  if (out.empty() || out == "-") {
    std::cout << text;
  } else {
    std::ofstream f(out, std::ios::binary);
    if (!(f << text)) return Fail(InvalidArgument("cannot write " + out, "--out"));
  }
  return 0;
}

int RunAnalytics(const std::string& db,
                 const std::vector<std::pair<std::string, std::string>>& params) {
  analytics::QueryParams q;
  for (const auto& [name, value] : params)
    if (Status s = analytics::ParseQueryParam(q, name, value); !s.ok())
      return Fail(InvalidArgument(s.message(), "--" + s.field()));
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  auto engine = analytics::Engine::Build(**store, *cat);
  if (!engine.ok()) return Fail(engine.status());
  auto result = analytics::RunQuery(q, **engine, analytics::QueryScope{});
  if (!result.ok())
    return Fail(InvalidArgument(result.status().message(), result.status().field()));
  std::cout << result->dump(2) << "\n";
  return 0;
}

int RunOrgUnits(const OrgUnitsOptions& o) {
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  auto loaded = metadata::Catalog::Load(**store);
  if (!loaded.ok()) return Fail(loaded.status());
  const metadata::Catalog& cat = **loaded;
  std::vector<const storage::OrgUnitRecord*> units;
  if (!o.parent.empty()) {
    const auto* p = cat.OrgUnits().ByUidOrCode(o.parent);
    if (!p)
      return Fail(InvalidArgument("no org unit with code or uid \"" + o.parent + "\"", "--parent"));
    units = cat.ChildrenOf(p->id);
  } else {
    for (std::size_t i = 0; i < cat.tree().size(); ++i)
      units.push_back(cat.OrgUnits().ById(cat.tree().IdAt(static_cast<std::int32_t>(i))));
  }
  std::string out;
  for (const auto* u : units) {
    if (o.level && u->level != o.level) continue;
    const auto* parent = cat.OrgUnits().ById(u->parent_id);
    out += u->uid + '\t' + u->code + '\t' + u->name + '\t' + std::to_string(u->level) + '\t' +
           (parent ? parent->code : std::string()) + '\n';
  }
  std::cout << out;
  return 0;
}

int RunReport(const ReportOptions& o) {
  reports::UseFontsDir(reports::SiteFontsDir(o.db));  // a site's licensed fonts come first
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  auto engine = analytics::Engine::Build(**store, *cat);
  if (!engine.ok()) return Fail(engine.status());
  reports::ReportRequest req{o.template_name, o.ou, o.period, o.issue, "", {}, nullptr, {}};
  const std::int64_t now = NowMillis();
  req.scope.everything = true;  // the operator at the console reads every unit
  // Approved data by default, as the workbench reads them (口径: 截至…已审核数据).
  exchange::ApprovalService approvals(**store);
  if (const auto* unit = (*cat)->OrgUnits().ByUidOrCode(o.ou); unit && !o.all_data)
    if (auto range = ParsePeriodRange(o.period); range.ok()) {
      auto reading = reports::ReadApproved(approvals, **cat, *unit, range->start(), range->end(),
                                           Today(), [](std::int64_t) { return true; });
      if (!reading.ok()) return Fail(reading.status());
      req.approved = reading->approved;
      req.unapproved_units = std::move(reading->unapproved);
    }
  auto report = reports::Generate(**store, **engine, req, now);
  if (!report.ok()) {
    Status s = report.status();
    const std::string field = s.field() == "ou"         ? "--ou"
                              : s.field() == "period"   ? "--period"
                              : s.field() == "template" ? "--template"
                                                        : s.field();
    return Fail(InvalidArgument(s.message(), field));
  }
  for (const auto& c : report->checks) std::cerr << "weijian: check: " << c.message << "\n";
  auto bytes = reports::Render(*report, o.format);
  if (!bytes.ok()) return Fail(InvalidArgument(bytes.status().message(), "--format"));
  std::ofstream out(o.out, std::ios::binary);
  if (!out) return Fail(InvalidArgument("cannot write " + o.out, "--out"));
  out << *bytes;
  out.close();
  std::cout << "weijian: wrote " << o.out << " (" << report->title << ", " << report->figures.size()
            << " figures, " << report->checks.size() << " checks)\n";
  if (!o.publish.empty()) {
    auto published =
        reports::Publish(**store, *report, req, o.publish, o.note, o.user, NowMillis());
    if (!published.ok()) return Fail(InvalidArgument(published.status().message(), "--publish"));
    std::cout << "weijian: published at /article/" << published->article_uid << "\n";
  }
  return 0;
}

}  // namespace weijian::cli
