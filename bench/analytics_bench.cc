// Analytics benchmark: the three queries on a store of ~20 million values, answered by
// the weijian engine (warm p50 of repeated runs) and, side by side on the same machine and data,
// by SQLite running the equivalent GROUP BY over the same file. PostgreSQL runs the same SQL
// from analytics.bench.sh. Prints one line per query with absolutes and ratios.
// Given a postgresql:// address (pg_analytics.bench.sh), the engine is built from that store and
// only its own query times are printed (the SQL side by side is the script's).
//
// Usage: analytics_bench STORE [RUNS]
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "analytics/analytics.h"
#include "metadata/catalog.h"
#include "storage/open_store.h"
#include "storage/store.h"

using namespace weijian;
using Clock = std::chrono::steady_clock;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double P50(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// User + system seconds of this process so far (every thread).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<double> RunSql(sqlite3* db, const std::string& sql, int runs, long long* rows_out) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    sqlite3_stmt* s = nullptr;
    auto t0 = Clock::now();
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
      std::exit(1);
    }
    long long rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) ++rows;
    sqlite3_finalize(s);
    times.push_back(Ms(Clock::now() - t0));
    *rows_out = rows;
  }
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: analytics_bench STORE [RUNS]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 7;
  const bool postgres = storage::IsPostgresAddress(path);
  auto store = storage::OpenStore(path);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return 1;
  const double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto engine = analytics::Engine::Build(**store, *cat);
  if (!engine.ok()) return std::fprintf(stderr, "%s\n", engine.status().ToString().c_str()), 1;
  double build_s = Ms(Clock::now() - t0) / 1000;
  const double build_cpu = CpuSeconds() - cpu0;
  const std::size_t n = (*engine)->size();

  struct Query {
    const char* name;
    std::vector<std::pair<std::string, std::string>> params;
    std::string sql;
  };
  auto list = [](const char* prefix, int from, int count) {
    std::string s;
    for (int i = from; i < from + count; ++i) {
      char b[16];
      std::snprintf(b, sizeof b, "%s%02d", prefix, i);
      s += (s.empty() ? "" : ";") + std::string(b);
    }
    return s;
  };
  auto in_list = [](const char* prefix, int from, int count) {
    std::string s;
    for (int i = from; i < from + count; ++i) {
      char b[16];
      std::snprintf(b, sizeof b, "'%s%02d'", prefix, i);
      s += (s.empty() ? "" : ",") + std::string(b);
    }
    return s;
  };
  // SQL over the same store: values joined to their county / township and period identifier.
  const std::string base =
      " FROM data_value v JOIN bench_unit h ON h.id = v.org_unit_id JOIN period p ON p.id = "
      "v.period_id"
      " JOIN data_element d ON d.id = v.data_element_id WHERE v.deleted = 0 ";
  std::vector<Query> queries = {
      {"Q1 dashboard: 10 indicators x 12 months x 9 banners",
       {{"dimension", "dx:" + list("BIND", 0, 10)},
        {"dimension", "pe:LAST_12_MONTHS"},
        {"dimension", "ou:1506;LEVEL-3"},
        {"relativePeriodDate", "2025-01-01"}},
       "SELECT h.county, p.iso, d.code, sum(CAST(v.value AS REAL))" + base + "AND d.code IN (" +
           in_list("BDE", 0, 11) +
           ") AND p.iso BETWEEN '202401' AND '202412'"
           " GROUP BY 1, 2, 3"},
      {"Q2 heavy: 27 elements x 36 months x 88 townships",
       {{"dimension", "dx:" + list("BDE", 0, 27)},
        {"dimension", "pe:" +
                          [] {
                            std::string s;
                            for (int y = 2022; y <= 2024; ++y)
                              for (int m = 1; m <= 12; ++m)
                                s += (s.empty() ? "" : ";") + std::to_string(y) +
                                     (m < 10 ? "0" : "") + std::to_string(m);
                            return s;
                          }()},
        {"dimension", "ou:1506;LEVEL-4"},
        {"ignoreLimit", "true"}},
       "SELECT h.township, p.iso, d.code, sum(CAST(v.value AS REAL))" + base + "AND d.code IN (" +
           in_list("BDE", 0, 27) +
           ") AND p.iso BETWEEN '202201' AND '202412'"
           " GROUP BY 1, 2, 3"},
      {"Q3 ranking: 1 indicator, 1 year, 1,011 villages sorted",
       {{"dimension", "dx:BIND00"},
        {"filter", "pe:2024"},
        {"dimension", "ou:1506;LEVEL-5"},
        {"sortOrder", "DESC"}},
       "SELECT v.org_unit_id, sum(CASE WHEN d.code = 'BDE00' THEN CAST(v.value AS REAL) END) /"
       " sum(CASE WHEN d.code = 'BDE01' THEN CAST(v.value AS REAL) END) * 100 AS r" +
           base +
           "AND d.code IN ('BDE00', 'BDE01') AND p.iso BETWEEN '202401' AND '202412'"
           " GROUP BY 1 ORDER BY r DESC"},
  };

  std::printf(
      "\n== analytics: %zu values, engine built in %.1f s (%.1f CPU s), %.1f bytes/value in "
      "columns, peak RSS %ld MB ==\n",
      n, build_s, build_cpu, n ? static_cast<double>((*engine)->memory_bytes()) / n : 0.0,
      PeakRssMb());
  // On PostgreSQL only the engine's own times (the script runs the SQL in PostgreSQL).
  sqlite3* db = nullptr;
  if (!postgres) {
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA cache_size = -1048576", nullptr, nullptr, nullptr);
    // The hierarchy as a plain table, as a SQL user would have it.
    sqlite3_exec(db,
                 "DROP TABLE IF EXISTS bench_unit; CREATE TABLE bench_unit (id INTEGER PRIMARY KEY,"
                 " township INTEGER, county INTEGER)",
                 nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& u : (*cat)->org_units()) {
      if (u.level != 5) continue;
      auto chain = (*cat)->AncestorsAndSelf(u.id);
      std::string sql = "INSERT INTO bench_unit VALUES (" + std::to_string(u.id) + "," +
                        std::to_string(chain[3]->id) + "," + std::to_string(chain[2]->id) + ")";
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }

  std::printf("%-52s %10s %6s %12s %12s\n", "", "weijian p50", "rows", db ? "SQLite p50" : "",
              db ? "SQLite/wj" : "");
  for (const auto& q : queries) {
    analytics::QueryParams params;
    for (const auto& [k, v] : q.params)
      if (Status s = analytics::ParseQueryParam(params, k, v); !s.ok())
        return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
    std::vector<double> times;
    std::size_t rows = 0;
    for (int i = 0; i < runs + 1; ++i) {
      auto t = Clock::now();
      auto r = analytics::RunQuery(params, **engine, analytics::QueryScope{});
      double ms = Ms(Clock::now() - t);
      if (!r.ok())
        return std::fprintf(stderr, "%s: %s\n", q.name, r.status().ToString().c_str()), 1;
      rows = (*r)["rows"].size();
      if (i > 0) times.push_back(ms);  // the first run warms caches
    }
    if (!db) {
      std::printf("%-52s %8.2f ms %6zu\n", q.name, P50(times), rows);
      continue;
    }
    long long sql_rows = 0;
    auto sql_times = RunSql(db, q.sql, std::max(1, runs / 3), &sql_rows);
    double wj = P50(times), sq = P50(sql_times);
    std::printf("%-52s %8.2f ms %6zu %9.0f ms %11.1fx\n", q.name, wj, rows, sq, sq / wj);
    std::fflush(stdout);
    std::printf("  SQL: %s\n", q.sql.c_str());
  }
  if (db) sqlite3_exec(db, "DROP TABLE IF EXISTS bench_unit", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return 0;
}
