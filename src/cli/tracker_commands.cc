// `weijian keys init|rotate` and loading the personal-data key file for `serve`.
//
// The key file lives beside the database by default ("<db>.keys") but is a separate file on
// purpose: a copy of the database (a backup sent for analysis, a stolen disk image without the
// key) names nobody. Rotation appends a key and re-seals every record in one transaction; the
// old keys stay in the file so that older backups still open.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/demo_children.h"
#include "cli/demo_content.h"
#include "core/date.h"
#include "storage/open_store.h"

namespace weijian::cli {

namespace {
// The key file of a command: --keys, or "<db>.keys" beside a SQLite file. A database address
// has no folder for one (and "<address>.keys" would print its password): --keys is needed.
Result<std::string> KeyFileOf(const std::string& db, const std::string& keys) {
  if (!keys.empty()) return keys;
  if (storage::IsPostgresAddress(db))
    return InvalidArgument(
        "--keys: a database address has no folder for <db>.keys: give the key file with --keys "
        "FILE");
  return tracker::DefaultKeyFile(db);
}
// The same for a command: prints the error (exit 2) when there is none.
std::optional<std::string> KeyFileOrUsage(const std::string& db, const std::string& keys) {
  auto path = KeyFileOf(db, keys);
  if (path.ok()) return *path;
  std::cerr << "weijian: " << path.status().message() << "\n";
  return std::nullopt;
}
}  // namespace

int RunKeysInit(const KeysOptions& o) {
  const auto key_file = KeyFileOrUsage(o.db, o.keys);
  if (!key_file) return 2;
  const std::string& path = *key_file;
  if (Status s = tracker::PersonVault::Init(path); !s.ok()) return Fail(s);
  std::cout << "weijian: 个人信息密钥文件已生成：" << path
            << "（请单独备份，丢失后已加密的儿童档案无法恢复）\n";
  return 0;
}

int RunKeysRotate(const KeysOptions& o) {
  const auto key_file = KeyFileOrUsage(o.db, o.keys);
  if (!key_file) return 2;
  const std::string& path = *key_file;
  if (!storage::IsPostgresAddress(o.db) && !std::filesystem::exists(o.db)) {
    std::cerr << "weijian: --db: the database " << o.db << " does not exist\n";
    return 2;
  }
  auto store = storage::OpenStore(o.db);
  if (!store.ok()) return Fail(store.status());
  if (Status s = tracker::PersonVault::AddKey(path); !s.ok()) return Fail(s);
  auto vault = tracker::PersonVault::Load(path);
  if (!vault.ok()) return Fail(vault.status());
  tracker::ImmunizationService service(**store);
  service.set_vault(std::make_shared<const tracker::PersonVault>(std::move(*vault)));
  const char* user = std::getenv("USER");
  auto n = service.Reseal(std::string("cli:") + (user && *user ? user : "unknown"), NowMillis());
  if (!n.ok()) return Fail(n.status());
  std::cout << "weijian: 已换用新密钥，重新加密 " << *n << " 份档案\n";
  return 0;
}

bool LoadPersonKeys(const std::string& db, const std::string& explicit_keys,
                    tracker::ImmunizationService& service) {
  if (explicit_keys.empty() && storage::IsPostgresAddress(db)) {
    std::cerr << "weijian: no personal-data key file (--keys FILE): children's records are "
                 "unavailable\n";
    return true;
  }
  const std::string path = explicit_keys.empty() ? tracker::DefaultKeyFile(db) : explicit_keys;
  if (explicit_keys.empty() && !std::filesystem::exists(path)) {
    std::cerr << "weijian: no personal-data key file (" << path
              << "): children's records are unavailable until `weijian keys init`\n";
    return true;
  }
  auto vault = tracker::PersonVault::Load(path);
  if (!vault.ok()) {
    std::cerr << "weijian: --keys: " << vault.status().message() << "\n";
    return false;
  }
  service.set_vault(std::make_shared<const tracker::PersonVault>(std::move(*vault)));
  return true;
}

int RunTrackerImport(const TrackerRegisterOptions& o) {
  if (!storage::IsPostgresAddress(o.db) && !std::filesystem::exists(o.db)) {
    std::cerr << "weijian: --db: the database " << o.db << " does not exist\n";
    return 2;
  }
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    std::cerr << "weijian: --file: cannot read " << o.file << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto store = storage::OpenStore(o.db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  tracker::ImmunizationService service(**store);
  const auto keys = KeyFileOrUsage(o.db, o.keys);
  if (!keys) return 2;
  auto vault = tracker::PersonVault::Load(*keys);
  if (!vault.ok()) {
    std::cerr << "weijian: --keys: " << vault.status().message() << "\n";
    return 2;
  }
  service.set_vault(std::make_shared<const tracker::PersonVault>(std::move(*vault)));
  // The command line acts with every authority (like `weijian import`), as cli:$USER.
  auth::Principal cli;
  const char* user = std::getenv("USER");
  cli.user.username = std::string("cli:") + (user && *user ? user : "unknown");
  cli.authorities = {auth::Authority::kAll};
  auto report = service.ImportRegisterCsv(cli, **cat, text.str(), o.dry_run, Today(), NowMillis());
  if (!report.ok()) return Fail(report.status());
  const auto& r = *report;
  for (const auto& e : r["errors"])
    std::cerr << o.file << ": " << e["text"].get<std::string>() << "\n";
  for (const auto& w : r["warnings"])
    std::cerr << o.file << ": 提示：" << w["text"].get<std::string>() << "\n";
  const bool ok = r["status"] == "OK";
  std::cout << "weijian: "
            << (o.dry_run ? "试导入（未写入）"
                : ok      ? "已导入"
                          : "未导入（有错误，未写入任何记录）")
            << "：" << r["rows"].get<int>() << " 行；儿童 新建 "
            << r["children"]["created"].get<int>() << "、更新 "
            << r["children"]["updated"].get<int>() << "；接种记录 新增 "
            << r["doses"]["created"].get<int>() << "；错误 " << r["errors"].size() << " 处\n";
  return ok ? 0 : 1;
}

int RunTrackerGenerate(const std::string& db, const std::string& keys,
                       const DemoChildrenOptions& options) {
  if (!storage::IsPostgresAddress(db) && !std::filesystem::exists(db)) {
    std::cerr << "weijian: --db: the database " << db << " does not exist\n";
    return 2;
  }
  const auto key_file = KeyFileOrUsage(db, keys);
  if (!key_file) return 2;
  auto store = storage::OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  // Invented children never go into a store of real records.
  auto demo = IsDemoStore(**store);
  if (!demo.ok()) return Fail(demo.status());
  if (!*demo) {
    std::cerr << "weijian: tracker generate 只写入演示库（由 weijian init --demo 建立）："
              << storage::RedactAddress(db) << " 不是演示库，未写入任何内容\n";
    return 1;
  }
  const std::int64_t start = NowMillis();
  auto made = BuildDemoChildren(**store, *key_file, Today(), options);
  if (!made.ok()) return Fail(made.status());
  std::cout << "weijian: " << made->children << " children, " << made->doses << " doses, "
            << made->transfers << " transfers in " << (NowMillis() - start) << " ms\n";
  return 0;
}

int RunTrackerReindex(const std::string& db) {
  if (!storage::IsPostgresAddress(db) && !std::filesystem::exists(db)) {
    std::cerr << "weijian: --db: the database " << db << " does not exist\n";
    return 2;
  }
  auto store = storage::OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  tracker::InstallDueIndexer(**store);
  std::int64_t after = 0, done = 0;
  while (true) {
    auto ids = (*store)->ListUnindexedTrackedEntities(after, 5000);
    if (!ids.ok()) return Fail(ids.status());
    if (ids->empty()) break;
    if (Status s = (*store)->RefreshDueIndex(*ids); !s.ok()) return Fail(s);
    after = ids->back();
    done += static_cast<std::int64_t>(ids->size());
  }
  std::cout << "weijian: 已为 " << done << " 份儿童档案计算应种索引\n";
  return 0;
}

}  // namespace weijian::cli
