// `weijian validate` (validation rule analysis, printed as a Chinese table) and
// `weijian minmax generate` (min-max bounds from each unit's history). Both act with a
// superuser's scope: whoever holds the database file holds all of it.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "auth/principal.h"
#include "cli/commands.h"
#include "core/date.h"
#include "core/period.h"
#include "metadata/catalog.h"
#include "storage/open_store.h"
#include "validation/validation.h"

namespace weijian::cli {

namespace {

int Usage(const std::string& message) {
  std::cerr << "weijian: " << message << "\n";
  return 2;
}

Result<std::unique_ptr<storage::Store>> Open(const std::string& db) {
  // A PostgreSQL address (postgresql://…) is opened as it is: the server says whether it exists.
  if (!storage::IsPostgresAddress(db) && !std::filesystem::exists(db))
    return InvalidArgument("the database " + db + " does not exist; create it with `weijian init`",
                           "--db");
  return storage::OpenStore(db);
}

auth::Principal Cli() {
  auth::Principal p;
  const char* user = std::getenv("USER");
  p.user.username = std::string("cli:") + (user && *user ? user : "unknown");
  p.authorities = {auth::Authority::kAll};
  return p;
}

std::string Figure(std::optional<double> v) {
  if (!v) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

const char* ImportanceWord(const std::string& i) {
  return i == "HIGH" ? "高" : i == "MEDIUM" ? "中" : "低";
}

}  // namespace

int RunValidate(const ValidateOptions& o) {
  auto range = ParsePeriodRange(o.period);
  if (!range.ok()) return Usage("--period: " + range.status().message());
  auto store = Open(o.db);
  if (!store.ok()) return Usage(store.status().message());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) {
    std::cerr << "weijian: " << cat.status().message() << "\n";
    return 1;
  }
  validation::AnalysisRequest req;
  req.org_unit = o.org_unit;
  req.start = range->start();
  req.end = range->end();
  req.group = o.group;
  req.persist = o.persist;
  auto found = validation::RunAnalysis(**store, **cat, Cli(), req);
  if (!found.ok()) {
    const Status& s = found.status();
    std::cerr << "weijian: " << (s.field().empty() ? "" : s.field() + ": ") << s.message() << "\n";
    // An unknown unit or group, or a bad range, is a usage error.
    return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  int high = 0;
  std::cout << "重要性\t审核规则\t单位\t期间\t左侧值\t运算\t右侧值\n";
  for (const auto& v : *found) {
    high += v.rule->importance == "HIGH";
    auto op = validation::ParseOperator(v.rule->op);
    std::cout << ImportanceWord(v.rule->importance) << "\t" << v.rule->name << "\t" << v.unit->name
              << "（" << v.unit->code << "）\t" << v.period.Id() << "\t" << Figure(v.left) << "\t"
              << (op.ok() ? validation::OperatorSymbol(*op) : "?") << "\t" << Figure(v.right)
              << "\n";
  }
  std::cout << "共 " << found->size() << " 条未通过，其中重要性为高的 " << high << " 条。\n";
  return high ? 1 : 0;
}

int RunMinMaxGenerate(const MinMaxOptions& o) {
  auto store = Open(o.db);
  if (!store.ok()) return Usage(store.status().message());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) {
    std::cerr << "weijian: " << cat.status().message() << "\n";
    return 1;
  }
  auto g = validation::GenerateMinMax(**store, **cat, Cli(), o.data_set, o.org_unit, NowMillis());
  if (!g.ok()) {
    const Status& s = g.status();
    std::cerr << "weijian: " << (s.field().empty() ? "" : s.field() + ": ") << s.message() << "\n";
    return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << "已生成 " << g->generated << " 组最小最大值；保留人工设定 " << g->kept_manual
            << " 组；历史数据不足（少于 3 期）未生成 " << g->too_little_history << " 组。\n";
  return 0;
}

}  // namespace weijian::cli
