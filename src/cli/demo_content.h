// The demo: 鄂尔多斯市 with its 9 旗/区, 88 苏木/乡镇/街道 and 1,011 嘎查/村/社区, a health centre
// under every township, the project's metadata package (data/demo/metadata.json) and three years
// (2022–2024) of monthly values.
//
// Values are drawn from a fixed seed with seasonality, so every build produces the same
// database; a few units report late or not at all, so completeness means something. For 鄂托克旗
// in 2023 the yearly totals equal the figures of the commission's own year-in-review (两癌筛查
// 2748 of a task of 2600, 结直肠癌 15629 / 14834 / 1130, 布病 3486 / 276, 义诊 72 / 32643 …).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

struct DemoUser {
  std::string username;
  std::string role;
  std::string org_unit_name;
  std::string password;  // one-time, shown once at creation
};

struct DemoSummary {
  int facilities = 0;
  long long data_values = 0;
  std::vector<DemoUser> users;
};

// The metadata package shipped with the binary (data/demo/metadata.json).
const char* DemoMetadataJson();

// Fills a store that already holds the 1506 division tree.
Result<DemoSummary> BuildDemo(storage::Store& store);

// A demo store is marked by `weijian init --demo` (the site setting "demo_store" = "1", which
// the settings page neither shows as a field nor accepts): what writes invented records
// (`weijian tracker generate`) asks for it first.
Status MarkDemoStore(storage::Store& store);
Result<bool> IsDemoStore(storage::Store& store);

// Gives the demo users fresh one-time passwords (each start of `weijian demo` prints new ones,
// since only their hashes are kept).
Result<std::vector<DemoUser>> ResetDemoPasswords(storage::Store& store);

}  // namespace weijian::cli
