// /api/system/info: what this server is and holds.
#include <weijian/version.h>

#include "core/date.h"
#include "http/router.h"

namespace weijian::http {

namespace {
Response SystemInfo(const Request& req, App& app) {
  // Instance-wide counts describe everyone's data: superusers only.
  if (!Caller(req).IsSuperuser())
    return JsonResponse(
        {{"name", "weijian"}, {"version", kVersion}, {"serverDate", FormatTimestamp(NowMillis())}});
  auto cat = app.catalog();
  auto values = app.store().CountDataValues(false);
  auto engine = app.Analytics();
  auto schema = app.store().SchemaVersion();
  nlohmann::json info = {
      {"name", "weijian"},
      {"version", kVersion},
      {"schemaVersion", schema.ok() ? *schema : -1},
      {"serverDate", FormatTimestamp(NowMillis())},
      {"startedAt", FormatTimestamp(app.started_millis())},
      {"organisationUnits", cat->org_units().size()},
      {"dataElements", cat->records().data_elements.size()},
      {"dataSets", cat->records().data_sets.size()},
      {"indicators", cat->records().indicators.size()},
      {"dataValues", values.ok() ? *values : -1},
      {"analytics",
       {{"values", engine.ok() ? (*engine)->size() : 0},
        {"memoryBytes", engine.ok() ? (*engine)->memory_bytes() : 0}}},
  };
  // Immunization coverage kept (tracker/coverage.h): its size and what computing it cost.
  const auto coverage = app.coverage().stats();
  info["coverage"] = {{"children", coverage.children},
                      {"facts", coverage.facts},
                      {"memoryBytes", coverage.facts * sizeof(tracker::CoverageKeeper::Fact)},
                      {"builds", coverage.builds},
                      {"recomputed", coverage.recomputed},
                      {"loads", coverage.loads},
                      {"lastBuildSeconds", coverage.last_build_seconds},
                      {"start", coverage.start}};
  // The read replica (--read-db): whether engine builds and exports read from it, and its lag.
  if (auto r = app.store().ReadReplica(); r.attached)
    info["readReplica"] = {{"address", r.address},
                           {"inUse", r.in_use},
                           {"reason", r.reason},
                           {"lagSeconds", r.lag_seconds},
                           {"maxLagSeconds", r.max_lag_seconds},
                           {"primarySeq", r.primary_seq},
                           {"replicaSeq", r.replica_seq},
                           {"checkedAt", FormatTimestamp(r.checked_at)},
                           {"replicaReads", r.replica_scopes},
                           {"primaryReads", r.primary_scopes}};
  return JsonResponse(info);
}
}  // namespace

std::vector<Route> SystemRoutes() { return {{"GET", "/api/system/info", SystemInfo}}; }

}  // namespace weijian::http
