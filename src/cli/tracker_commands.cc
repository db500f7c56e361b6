// `weijian keys init|rotate` and loading the personal-data key file for `serve`.
//
// The key file lives beside the database by default ("<db>.keys") but is a separate file on
// purpose: a copy of the database (a backup sent for analysis, a stolen disk image without the
// key) names nobody. Rotation appends a key and re-seals every record in one transaction; the
// old keys stay in the file so that older backups still open.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/date.h"
#include "storage/open_store.h"

namespace weijian::cli {

namespace {
std::string KeyFileOf(const KeysOptions& o) {
  return o.keys.empty() ? tracker::DefaultKeyFile(o.db) : o.keys;
}
}  // namespace

int RunKeysInit(const KeysOptions& o) {
  const std::string path = KeyFileOf(o);
  if (Status s = tracker::PersonVault::Init(path); !s.ok()) return Fail(s);
  std::cout << "weijian: 个人信息密钥文件已生成：" << path
            << "（请单独备份，丢失后已加密的儿童档案无法恢复）\n";
  return 0;
}

int RunKeysRotate(const KeysOptions& o) {
  const std::string path = KeyFileOf(o);
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

}  // namespace weijian::cli
