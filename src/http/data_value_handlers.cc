// /api/dataValues (one value: read, write, delete, history) and /api/dataEntry (a form).
#include "core/date.h"
#include "http/router.h"
#include "validation/validation.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// DHIS2's query parameters: de, pe, ou, co (disaggregation), cc+cp or aoc (attribute).
exchange::DataValueInput InputFromQuery(const Request& req) {
  exchange::DataValueInput in;
  in.data_element = req.Query("de").value_or("");
  in.period = req.Query("pe").value_or("");
  in.org_unit = req.Query("ou").value_or("");
  in.category_option_combo = req.Query("co").value_or("");
  in.attribute_option_combo = req.Query("aoc").value_or("");
  in.value = req.Query("value").value_or("");
  in.comment = req.Query("comment").value_or("");
  if (auto f = req.Query("followUp")) in.followup = *f == "true";
  return in;
}

Result<exchange::DataValueInput> InputFromJson(const json& body) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  exchange::DataValueInput in;
  static const std::map<std::string, std::string exchange::DataValueInput::*> kStrings = {
      {"dataElement", &exchange::DataValueInput::data_element},
      {"period", &exchange::DataValueInput::period},
      {"orgUnit", &exchange::DataValueInput::org_unit},
      {"categoryOptionCombo", &exchange::DataValueInput::category_option_combo},
      {"attributeOptionCombo", &exchange::DataValueInput::attribute_option_combo},
      {"value", &exchange::DataValueInput::value},
      {"comment", &exchange::DataValueInput::comment},
  };
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (auto s = kStrings.find(it.key()); s != kStrings.end()) {
      if (it->is_null()) continue;
      // DHIS2 sends values as strings; a bare number is accepted for the value only.
      if (it.key() == "value" && it->is_number()) {
        in.value = it->dump();
        continue;
      }
      if (!it->is_string()) return Conflict("must be a string", it.key());
      in.*(s->second) = it->get<std::string>();
    } else if (it.key() == "followUp" || it.key() == "followup") {
      if (!it->is_boolean()) return Conflict("must be true or false", it.key());
      in.followup = it->get<bool>();
    } else {
      return Conflict("unknown field \"" + it.key() + "\"", it.key());
    }
  }
  return in;
}

Response WithStatus(const Status& s) {
  // Resolution failures are about the content, not the syntax: 409, as DHIS2 answers.
  if (s.code() == StatusCode::kInvalidArgument)
    return ErrorResponse(Conflict(s.message(), s.field()));
  return ErrorResponse(s);
}

// Resolves the unit of a request and checks it against the caller's scope.
std::optional<Response> CheckUnit(const Request& req, const metadata::Catalog& cat,
                                  const std::string& org_unit, bool write) {
  const auto* u = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!u) return std::nullopt;  // the service names the unknown unit
  const auth::Principal& who = Caller(req);
  if (write ? !auth::CanWrite(who, cat, u->id) : !auth::CanRead(who, cat, u->id))
    return OutsideScope(org_unit);
  return std::nullopt;
}

Response GetDataValue(const Request& req, App& app) {
  auto cat = app.catalog();
  auto in = InputFromQuery(req);
  if (auto denied = CheckUnit(req, *cat, in.org_unit, false)) return *denied;
  auto v = app.values().Get(*cat, in);
  if (!v.ok()) return WithStatus(v.status());
  auto pe = ParsePeriod(in.period);
  return JsonResponse(exchange::DataValueJson(*cat, *v, pe->Id()));
}

Response PostDataValue(const Request& req, App& app) {
  auto cat = app.catalog();
  exchange::DataValueInput in;
  if (!req.body.empty() && req.Header("content-type").find("json") != std::string::npos) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto parsed = InputFromJson(*body);
    if (!parsed.ok()) return WithStatus(parsed.status());
    in = std::move(*parsed);
  } else {
    in = InputFromQuery(req);
  }
  if (auto denied = CheckUnit(req, *cat, in.org_unit, true)) return *denied;
  std::optional<exchange::OutOfRange> range;
  auto counts =
      app.values().Save(*cat, in, Caller(req).name(), WriterLevel(Caller(req), *cat), &range);
  if (!counts.ok()) return WithStatus(counts.status());
  json body = {{"status", "OK"},
               {"importCount",
                {{"imported", counts->imported},
                 {"updated", counts->updated},
                 {"ignored", counts->ignored},
                 {"deleted", counts->deleted}}}};
  if (range) {
    // Saved with the clerk's comment, marked for follow-up: say so.
    body["status"] = "WARNING";
    body["followup"] = true;
    body["warning"] = {{"message", "已保存并标记为待核查：" + range->Describe()},
                       {"lowerBound", range->min},
                       {"upperBound", range->max},
                       {"source", range->from_min_max ? "MIN_MAX" : "HISTORY"}};
  }
  return JsonResponse(body, counts->imported ? 201 : 200);
}

Response DeleteDataValue(const Request& req, App& app) {
  auto cat = app.catalog();
  auto in = InputFromQuery(req);
  if (auto denied = CheckUnit(req, *cat, in.org_unit, true)) return *denied;
  auto counts = app.values().Delete(*cat, in, Caller(req).name(), WriterLevel(Caller(req), *cat));
  if (!counts.ok()) return WithStatus(counts.status());
  Response r;
  r.status = 204;
  return r;
}

Response DataValueHistory(const Request& req, App& app) {
  auto cat = app.catalog();
  auto in = InputFromQuery(req);
  if (auto denied = CheckUnit(req, *cat, in.org_unit, false)) return *denied;
  auto r = app.values().Resolve(*cat, in, {}, true);
  if (!r.ok()) return WithStatus(r.status());
  auto pe = app.values().ExistingPeriodId(r->period);
  if (!pe.ok()) return ErrorResponse(pe.status());
  json audits = json::array();
  if (*pe) {
    storage::DataValueKey key{r->data_element->id, **pe, r->org_unit->id, r->coc->id, r->aoc->id};
    auto rows = app.store().DataValueHistory(key);
    if (!rows.ok()) return ErrorResponse(rows.status());
    for (const auto& a : *rows) {
      json j = {{"auditType", a.audit_type},
                {"modifiedBy", a.modified_by},
                {"created", FormatTimestamp(a.created)}};
      j["previousValue"] = a.previous_value ? json(*a.previous_value) : json(nullptr);
      j["value"] = a.value ? json(*a.value) : json(nullptr);
      audits.push_back(std::move(j));
    }
  }
  return JsonResponse({{"dataValueAudits", audits}});
}

Response GetForm(const Request& req, App& app) {
  auto cat = app.catalog();
  for (const char* p : {"dataSet", "orgUnit", "period"})
    if (!req.Query(p)) return ErrorResponse(409, "is required", p);
  if (auto denied = CheckUnit(req, *cat, *req.Query("orgUnit"), false)) return *denied;
  auto form = app.values().Form(*cat, *req.Query("dataSet"), *req.Query("orgUnit"),
                                *req.Query("period"), WriterLevel(Caller(req), *cat));
  if (!form.ok()) return WithStatus(form.status());
  return JsonResponse(*form);
}

Response SetComplete(const Request& req, App& app, bool complete) {
  auto cat = app.catalog();
  for (const char* p : {"dataSet", "orgUnit", "period"})
    if (!req.Query(p)) return ErrorResponse(409, "is required", p);
  if (auto denied = CheckUnit(req, *cat, *req.Query("orgUnit"), true)) return *denied;
  // A locked form says so before anything else (not "please confirm", then "locked").
  if (Status s = app.values().CheckCompletable(*cat, *req.Query("dataSet"), *req.Query("orgUnit"),
                                               *req.Query("period"));
      !s.ok())
    return WithStatus(s);
  if (complete) {
    auto confirmed = BoolParam(req, "confirm", false);
    if (!confirmed.ok()) return ErrorResponse(confirmed.status());
    if (Status s =
            validation::CheckSubmission(app.store(), *cat, *req.Query("dataSet"),
                                        *req.Query("orgUnit"), *req.Query("period"), *confirmed);
        !s.ok())
      return WithStatus(s);
  }
  Status s = app.values().SetComplete(*cat, *req.Query("dataSet"), *req.Query("orgUnit"),
                                      *req.Query("period"), complete, Caller(req).name());
  if (!s.ok()) return WithStatus(s);
  return JsonResponse({{"status", "OK"}, {"complete", complete}});
}
}  // namespace

std::vector<Route> DataValueRoutes() {
  return {
      {"GET", "/api/dataValues", GetDataValue, Needs(auth::Authority::kDataRead)},
      {"POST", "/api/dataValues", PostDataValue, Needs(auth::Authority::kDataWrite)},
      {"DELETE", "/api/dataValues", DeleteDataValue, Needs(auth::Authority::kDataWrite)},
      {"GET", "/api/audits/dataValue", DataValueHistory, Needs(auth::Authority::kDataRead)},
      {"GET", "/api/dataEntry/form", GetForm, Needs(auth::Authority::kDataRead)},
      {"POST", "/api/dataEntry/complete",
       [](const Request& r, App& a) { return SetComplete(r, a, true); },
       Needs(auth::Authority::kDataWrite)},
      {"DELETE", "/api/dataEntry/complete",
       [](const Request& r, App& a) { return SetComplete(r, a, false); },
       Needs(auth::Authority::kDataWrite)},
  };
}

}  // namespace weijian::http
