// Immunization records over HTTP: children (tracked entities), doses and the forecast
// (GET /api/immunization/forecast?te=&date=). Handlers parse, call the tracker layer's
// ImmunizationService with the caller and map its Status through the one table.
#include "core/date.h"
#include "http/router.h"
#include "tracker/immunization.h"

namespace weijian::http {

namespace {

Result<Date> DateParam(const Request& req, const std::string& name) {
  auto text = req.Query(name);
  if (!text || text->empty()) return Today();
  auto d = ParseIsoDate(*text);
  if (!d.ok()) return Conflict("日期应为 YYYY-MM-DD 的真实日期", name);
  return *d;
}

Response Register(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::ChildFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().Register(Caller(req), *app.catalog(), *in, Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response ListChildren(const Request& req, App& app) {
  auto out = app.immunization().List(Caller(req), *app.catalog(), req.Query("ou").value_or(""),
                                     NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response GetChild(const Request& req, App& app) {
  auto out = app.immunization().Get(Caller(req), *app.catalog(), req.params.at("uid"), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response RecordDose(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::DoseFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().RecordDose(Caller(req), *app.catalog(), *in, Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response Forecast(const Request& req, App& app) {
  auto date = DateParam(req, "date");
  if (!date.ok()) return ErrorResponse(date.status());
  auto te = req.Query("te").value_or("");
  if (te.empty()) return ErrorResponse(409, "请指定儿童档案 te", "te");
  auto out = app.immunization().Forecast(Caller(req), *app.catalog(), te, *date);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

}  // namespace

std::vector<Route> ImmunizationRoutes() {
  const auto read = Needs(auth::Authority::kDataRead);
  const auto write = Needs(auth::Authority::kDataWrite);
  return {
      {"GET", "/api/immunization/children", ListChildren, read},
      {"POST", "/api/immunization/children", Register, write},
      {"GET", "/api/immunization/children/{uid}", GetChild, read},
      {"POST", "/api/immunization/doses", RecordDose, write},
      {"GET", "/api/immunization/forecast", Forecast, read},
  };
}

}  // namespace weijian::http
