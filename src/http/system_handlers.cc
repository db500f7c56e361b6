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
  return JsonResponse({
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
  });
}
}  // namespace

std::vector<Route> SystemRoutes() { return {{"GET", "/api/system/info", SystemInfo}}; }

}  // namespace weijian::http
