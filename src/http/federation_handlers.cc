// The federation workbench (issue 16 item 6): /api/federation/targets (the lower side: where
// this instance pushes, its last push, pending batches, failures with the upper side's
// conflicts) and /api/federation/sources (the upper side: each pushing instance's last push,
// its lag behind the approval, and refusals). Receiving a push is /api/dataValueSets with the
// X-Federation-* headers (data_value_set_handlers.cc).
#include "core/date.h"
#include "exchange/federation.h"
#include "http/router.h"

namespace weijian::http {

namespace {

// Targets are the instance's own configuration (set with `weijian federation add`): metadata
// writers (admins) see them whole.
Response Targets(const Request&, App& app) {
  auto cat = app.catalog();
  auto j = exchange::FederationTargets(app.store(), *cat);
  if (!j.ok()) return ErrorResponse(j.status());
  return JsonResponse(*j);
}

// Receipts of batches whose unit the caller may read.
Response Sources(const Request& req, App& app) {
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  auto j = exchange::FederationSources(
      app.store(), *cat,
      [&](std::int64_t unit) {
        return unit == 0 ? who.IsSuperuser() : auth::CanRead(who, *cat, unit);
      },
      NowMillis());
  if (!j.ok()) return ErrorResponse(j.status());
  return JsonResponse(*j);
}

}  // namespace

std::vector<Route> FederationRoutes() {
  return {
      {"GET", "/api/federation/targets", Targets, Needs(auth::Authority::kMetadataWrite)},
      {"GET", "/api/federation/sources", Sources, Needs(auth::Authority::kDataRead)},
  };
}

}  // namespace weijian::http
