// Validation rules at work (/api/validation/dataSet, /api/dataAnalysis/validationRules,
// /api/validationResults), min-max bounds (/api/minMaxDataElements, /api/minMaxValues) and
// /api/outlierDetection, in DHIS2's shapes. Each handler parses, checks the caller's scope for
// what was sent, calls one validation service and maps the Status. Rules themselves are metadata
// (/api/metadata, /api/validationRules in metadata_handlers.cc).
#include <charconv>

#include "core/date.h"
#include "http/json_fields.h"
#include "http/router.h"
#include "validation/validation.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// 403 naming only what the caller sent, for a unit outside the caller's read (or write) scope.
std::optional<Response> Denied(const Request& req, const metadata::Catalog& cat,
                               const std::string& key, bool write) {
  const auto* u = cat.OrgUnits().ByUidOrCode(key);
  if (!u) return std::nullopt;
  const auth::Principal& who = Caller(req);
  if (write ? !auth::CanWrite(who, cat, u->id) : !auth::CanRead(who, cat, u->id))
    return ErrorResponse(403, "org unit " + key + " is outside your org units");
  return std::nullopt;
}

Response ValidationFailure(const Status& s) {
  // Content that does not fit is a conflict (409), as DHIS2 answers; syntax stays a 400.
  if (s.code() == StatusCode::kNotFound) return ErrorResponse(Conflict(s.message(), s.field()));
  return ErrorResponse(s);
}

Result<Date> DateParam(const std::string& text, const std::string& name) {
  auto d = ParseIsoDate(text);
  if (!d.ok()) return Conflict("must be a date (yyyy-MM-dd), not \"" + text + "\"", name);
  return *d;
}

Response ValidateDataSet(const Request& req, App& app) {
  auto cat = app.catalog();
  const std::string& key = req.params.at("ds");
  const auto* ds = cat->DataSets().ByUidOrCode(key);
  if (!ds) return ErrorResponse(404, "unknown data set " + key, "dataSet");
  auto pe_text = req.Query("pe"), ou_text = req.Query("ou");
  if (!pe_text) return ErrorResponse(409, "is required", "pe");
  if (!ou_text) return ErrorResponse(409, "is required", "ou");
  const auto* ou = cat->OrgUnits().ByUidOrCode(*ou_text);
  if (!ou) return ErrorResponse(409, "unknown org unit " + *ou_text, "ou");
  if (auto d = Denied(req, *cat, *ou_text, false)) return *d;
  auto pe = ParsePeriod(*pe_text);
  if (!pe.ok()) return ErrorResponse(409, pe.status().message(), "pe");
  auto violations = validation::ValidateForm(app.store(), *cat, *ds, *ou, *pe);
  if (!violations.ok()) return ValidationFailure(violations.status());
  json list = json::array();
  for (const auto& v : *violations) list.push_back(validation::ViolationJson(*cat, v));
  return JsonResponse(
      {{"validationRuleViolations", list}, {"commentRequiredViolations", json::array()}});
}

Response AnalyseRules(const Request& req, App& app) {
  auto cat = app.catalog();
  json body = json::object();
  if (!req.body.empty()) {
    auto parsed = ParseJsonBody(req);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    if (!parsed->is_object()) return ErrorResponse(400, "the body must be a JSON object");
    body = std::move(*parsed);
  }
  // DHIS2 takes these as query parameters; a JSON body is accepted as well.
  auto field = [&](const std::string& name) -> std::string {
    if (auto q = req.Query(name)) return *q;
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return "";
    if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "ou" && it.key() != "startDate" && it.key() != "endDate" && it.key() != "vrg" &&
        it.key() != "persist" && it.key() != "notification")
      return ErrorResponse(409, "unknown field \"" + it.key() + "\"", it.key());
  validation::AnalysisRequest r;
  r.org_unit = field("ou");
  if (r.org_unit.empty()) return ErrorResponse(409, "is required", "ou");
  for (const char* name : {"startDate", "endDate"})
    if (field(name).empty()) return ErrorResponse(409, "is required", name);
  auto start = DateParam(field("startDate"), "startDate");
  if (!start.ok()) return ErrorResponse(start.status());
  auto end = DateParam(field("endDate"), "endDate");
  if (!end.ok()) return ErrorResponse(end.status());
  r.start = *start;
  r.end = *end;
  r.group = field("vrg");
  std::string persist = field("persist");
  if (!persist.empty() && persist != "true" && persist != "false")
    return ErrorResponse(409, "must be true or false", "persist");
  r.persist = persist == "true";
  if (!cat->OrgUnits().ByUidOrCode(r.org_unit))
    return ErrorResponse(409, "unknown org unit " + r.org_unit, "ou");
  if (auto d = Denied(req, *cat, r.org_unit, false)) return *d;
  auto violations = validation::RunAnalysis(app.store(), *cat, Caller(req), r);
  if (!violations.ok()) return ValidationFailure(violations.status());
  json list = json::array();
  for (const auto& v : *violations) list.push_back(validation::ViolationJson(*cat, v));
  return JsonResponse(list);
}

Response ListResults(const Request& req, App& app) {
  auto cat = app.catalog();
  storage::ValidationResultFilter f;
  for (const auto& key : req.QueryAll("ou")) {
    const auto* u = cat->OrgUnits().ByUidOrCode(key);
    if (!u) return ErrorResponse(409, "unknown org unit " + key, "ou");
    if (auto d = Denied(req, *cat, key, false)) return *d;
    f.org_unit_ids.push_back(u->id);
  }
  auto periods = app.store().LoadPeriods();
  if (!periods.ok()) return ErrorResponse(periods.status());
  std::map<std::int64_t, std::string> iso;
  for (const auto& p : *periods) iso[p.id] = p.iso;
  for (const auto& text : req.QueryAll("pe")) {
    auto pe = ParsePeriod(text);
    if (!pe.ok()) return ErrorResponse(409, pe.status().message(), "pe");
    // Results whose period overlaps the one asked for.
    for (const auto& p : *periods)
      if (auto q = ParsePeriod(p.iso); q.ok() && q->start <= pe->end && pe->start <= q->end)
        f.period_ids.push_back(p.id);
    if (f.period_ids.empty()) f.period_ids.push_back(-1);
  }
  for (const auto& key : req.QueryAll("vr")) {
    const storage::ValidationRuleRecord* rule = nullptr;
    for (const auto& r : cat->records().validation_rules)
      if (r.uid == key || (!r.code.empty() && r.code == key)) rule = &r;
    if (!rule) return ErrorResponse(409, "unknown validation rule " + key, "vr");
    f.rule_uids.push_back(rule->uid);
  }
  auto rows = app.store().ListValidationResults(f);
  if (!rows.ok()) return ErrorResponse(rows.status());
  json list = json::array();
  const auth::Principal& who = Caller(req);
  for (const auto& r : *rows) {
    const auto* u = cat->OrgUnits().ById(r.org_unit_id);
    if (!u || !auth::CanRead(who, *cat, u->id)) continue;
    const auto* aoc = cat->CategoryOptionCombos().ById(r.aoc_id);
    json j = {{"id", r.id},
              {"validationRule", {{"id", r.rule_uid}}},
              {"organisationUnit", {{"id", u->uid}, {"code", u->code}, {"name", u->name}}},
              {"period", {{"id", iso[r.period_id]}}},
              {"attributeOptionCombo", {{"id", aoc ? aoc->uid : ""}}},
              {"importance", r.importance},
              {"notificationSent", false},
              {"created", FormatTimestamp(r.created)}};
    j["leftsideValue"] = r.left ? json(*r.left) : json(nullptr);
    j["rightsideValue"] = r.right ? json(*r.right) : json(nullptr);
    list.push_back(std::move(j));
  }
  return JsonResponse({{"pager", {{"page", 1}, {"pageCount", 1}, {"total", list.size()}}},
                       {"validationResults", list}});
}

json MinMaxJson(const metadata::Catalog& cat, const storage::MinMaxRecord& m) {
  auto ref = [](const auto* r) {
    return r ? json{{"id", r->uid}, {"name", r->name}} : json{{"id", ""}};
  };
  return {{"source", ref(cat.OrgUnits().ById(m.org_unit_id))},
          {"dataElement", ref(cat.DataElements().ById(m.data_element_id))},
          {"optionCombo", ref(cat.CategoryOptionCombos().ById(m.coc_id))},
          {"min", m.min},
          {"max", m.max},
          {"generated", m.generated}};
}

// DHIS2's list filters: filter=dataElement.id:eq:X, filter=source.id:in:[a,b]; de= and ou= too.
Result<std::pair<std::vector<std::string>, std::vector<std::string>>> MinMaxFilters(
    const Request& req) {
  std::vector<std::string> des = req.QueryAll("de"), ous = req.QueryAll("ou");
  for (const auto& f : req.QueryAll("filter")) {
    auto first = f.find(':'), second = f.find(':', first == std::string::npos ? 0 : first + 1);
    if (first == std::string::npos || second == std::string::npos)
      return Conflict("must look like dataElement.id:eq:<uid>, not \"" + f + "\"", "filter");
    std::string prop = f.substr(0, first), op = f.substr(first + 1, second - first - 1);
    std::string value = f.substr(second + 1);
    std::vector<std::string> values;
    if (op == "eq") {
      values.push_back(value);
    } else if (op == "in" && value.size() >= 2 && value.front() == '[' && value.back() == ']') {
      std::string inner = value.substr(1, value.size() - 2);
      std::size_t start = 0;
      while (start <= inner.size()) {
        auto comma = inner.find(',', start);
        values.push_back(inner.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else {
      return Conflict("only the eq and in operators are supported", "filter");
    }
    if (prop == "dataElement.id")
      des.insert(des.end(), values.begin(), values.end());
    else if (prop == "source.id")
      ous.insert(ous.end(), values.begin(), values.end());
    else
      return Conflict("filters on dataElement.id and source.id only", "filter");
  }
  return std::pair{des, ous};
}

Response ListMinMax(const Request& req, App& app) {
  auto cat = app.catalog();
  auto filters = MinMaxFilters(req);
  if (!filters.ok()) return ErrorResponse(filters.status());
  storage::MinMaxFilter f;
  for (const auto& key : filters->first) {
    const auto* de = cat->DataElements().ByUidOrCode(key);
    if (!de) return ErrorResponse(409, "unknown data element " + key, "dataElement");
    f.data_element_ids.push_back(de->id);
  }
  for (const auto& key : filters->second) {
    const auto* u = cat->OrgUnits().ByUidOrCode(key);
    if (!u) return ErrorResponse(409, "unknown org unit " + key, "source");
    if (auto d = Denied(req, *cat, key, false)) return *d;
    f.org_unit_ids.push_back(u->id);
  }
  auto rows = app.store().ListMinMax(f);
  if (!rows.ok()) return ErrorResponse(rows.status());
  json list = json::array();
  const auth::Principal& who = Caller(req);
  for (const auto& m : *rows)
    if (auth::CanRead(who, *cat, m.org_unit_id)) list.push_back(MinMaxJson(*cat, m));
  return JsonResponse({{"pager", {{"page", 1}, {"pageCount", 1}, {"total", list.size()}}},
                       {"minMaxDataElements", list}});
}

// One {"source","dataElement","optionCombo","min","max"} object, resolved and scope-checked.
Result<storage::MinMaxRecord> ParseMinMax(const Request& req, const metadata::Catalog& cat,
                                          const json& body, bool need_bounds) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  auto ref = [&](const char* name) -> Result<std::string> {
    auto it = body.find(name);
    if (it == body.end() || !it->is_object()) return Conflict("is required ({\"id\": …})", name);
    WJ_ASSIGN_OR_RETURN(std::string id, TextField(*it, "id", "", std::string(name) + ".id"));
    WJ_ASSIGN_OR_RETURN(std::string code, TextField(*it, "code", "", std::string(name) + ".code"));
    std::string key = id.empty() ? code : id;
    if (key.empty()) return Conflict("needs \"id\" or \"code\"", name);
    return key;
  };
  storage::MinMaxRecord m;
  WJ_ASSIGN_OR_RETURN(std::string ou_key, ref("source"));
  const auto* ou = cat.OrgUnits().ByUidOrCode(ou_key);
  if (!ou) return Conflict("unknown org unit " + ou_key, "source");
  const auth::Principal& who = Caller(req);
  if (!auth::CanWrite(who, cat, ou->id))
    return PermissionDenied("org unit " + ou_key + " is outside your org units");
  WJ_ASSIGN_OR_RETURN(std::string de_key, ref("dataElement"));
  const auto* de = cat.DataElements().ByUidOrCode(de_key);
  if (!de) return Conflict("unknown data element " + de_key, "dataElement");
  const storage::CategoryOptionComboRecord* coc = cat.DefaultCoc();
  if (body.contains("optionCombo")) {
    WJ_ASSIGN_OR_RETURN(std::string coc_key, ref("optionCombo"));
    coc = cat.CategoryOptionCombos().ByUidOrCode(coc_key);
    if (!coc) return Conflict("unknown category option combo " + coc_key, "optionCombo");
  }
  if (!coc || coc->combo_uid != de->combo_uid)
    return Conflict("the option combo does not belong to the data element's disaggregation",
                    "optionCombo");
  m.org_unit_id = ou->id;
  m.data_element_id = de->id;
  m.coc_id = coc->id;
  if (need_bounds) {
    for (const char* name : {"min", "max"})
      if (!body.contains(name) || !body[name].is_number())
        return Conflict("must be a number", name);
    m.min = body["min"].get<double>();
    m.max = body["max"].get<double>();
    if (m.min > m.max) return Conflict("min must not be greater than max", "min");
    WJ_ASSIGN_OR_RETURN(m.generated, BoolField(body, "generated", false));
  }
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "source" && it.key() != "dataElement" && it.key() != "optionCombo" &&
        it.key() != "min" && it.key() != "max" && it.key() != "generated")
      return Conflict("unknown field \"" + it.key() + "\"", it.key());
  return m;
}

Response PostMinMax(const Request& req, App& app) {
  auto cat = app.catalog();
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto m = ParseMinMax(req, *cat, *body, true);
  if (!m.ok()) return ErrorResponse(m.status());
  m->updated = NowMillis();
  m->updated_by = Caller(req).name();
  if (Status s = app.store().SaveMinMax({&*m, 1}); !s.ok()) return ErrorResponse(s);
  return JsonResponse({{"status", "OK"}, {"minMaxDataElement", MinMaxJson(*cat, *m)}}, 201);
}

Response DeleteMinMax(const Request& req, App& app) {
  auto cat = app.catalog();
  json body;
  if (!req.body.empty()) {
    auto parsed = ParseJsonBody(req);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    body = std::move(*parsed);
  } else {
    // Query form: de, ou, co.
    body = {{"dataElement", {{"id", req.Query("de").value_or("")}}},
            {"source", {{"id", req.Query("ou").value_or("")}}}};
    if (auto co = req.Query("co")) body["optionCombo"] = {{"id", *co}};
  }
  auto m = ParseMinMax(req, *cat, body, false);
  if (!m.ok()) return ErrorResponse(m.status());
  auto n = app.store().DeleteMinMax({&*m, 1});
  if (!n.ok()) return ErrorResponse(n.status());
  if (*n == 0)
    return ErrorResponse(404, "no min-max value is set for this element, unit and combo");
  Response r;
  r.status = 204;
  return r;
}

Response GenerateMinMax(const Request& req, App& app) {
  auto cat = app.catalog();
  const std::string& ou = req.params.at("ou");
  if (cat->OrgUnits().ByUidOrCode(ou))
    if (auto d = Denied(req, *cat, ou, true)) return *d;
  auto g = validation::GenerateMinMax(app.store(), *cat, Caller(req), req.params.at("ds"), ou,
                                      NowMillis());
  if (!g.ok()) return ValidationFailure(g.status());
  return JsonResponse({{"status", "OK"},
                       {"generated", g->generated},
                       {"keptManual", g->kept_manual},
                       {"tooLittleHistory", g->too_little_history}},
                      201);
}

Response OutlierDetection(const Request& req, App& app) {
  auto cat = app.catalog();
  validation::OutlierRequest r;
  r.data_sets = req.QueryAll("ds");
  r.data_elements = req.QueryAll("de");
  r.org_units = req.QueryAll("ou");
  auto start = req.Query("startDate"), end = req.Query("endDate");
  if (!start || !end)
    return ErrorResponse(409, "start date and end date must be specified",
                         start ? "endDate" : "startDate");
  auto s = DateParam(*start, "startDate");
  if (!s.ok()) return ErrorResponse(s.status());
  auto e = DateParam(*end, "endDate");
  if (!e.ok()) return ErrorResponse(e.status());
  r.start = *s;
  r.end = *e;
  for (const char* name : {"dataStartDate", "dataEndDate"})
    if (auto v = req.Query(name)) {
      auto d = DateParam(*v, name);
      if (!d.ok()) return ErrorResponse(d.status());
      (std::string(name) == "dataStartDate" ? r.data_start : r.data_end) = *d;
    }
  if (auto a = req.Query("algorithm")) r.algorithm = *a;
  if (auto o = req.Query("orderBy")) r.order_by = *o;
  if (auto t = req.Query("threshold")) {
    double v = 0;
    auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec != std::errc() || p != t->data() + t->size())
      return ErrorResponse(409, "threshold must be a positive number", "threshold");
    r.threshold = v;
  }
  auto max = IntParam(req, "maxResults", 500, 1, 10000);
  if (!max.ok()) return ErrorResponse(max.status());
  r.max_results = *max;
  for (const auto& key : r.org_units)
    if (auto d = Denied(req, *cat, key, false)) return *d;
  // Values from the engine's snapshot (current with every committed write), not a store scan.
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  r.engine = engine->get();
  auto out = validation::DetectOutliers(app.store(), (*engine)->catalog(), Caller(req), r);
  if (!out.ok()) return ValidationFailure(out.status());
  return JsonResponse(*out);
}
}  // namespace

std::vector<Route> ValidationRoutes() {
  using auth::Authority;
  return {
      {"GET", "/api/validation/dataSet/{ds}", ValidateDataSet, Needs(Authority::kDataRead)},
      {"POST", "/api/dataAnalysis/validationRules", AnalyseRules, Needs(Authority::kDataRead)},
      {"GET", "/api/validationResults", ListResults, Needs(Authority::kDataRead)},
      {"GET", "/api/minMaxDataElements", ListMinMax, Needs(Authority::kDataRead)},
      {"POST", "/api/minMaxDataElements", PostMinMax, Needs(Authority::kDataWrite)},
      {"DELETE", "/api/minMaxDataElements", DeleteMinMax, Needs(Authority::kDataWrite)},
      {"POST", "/api/minMaxValues/{ds}/{ou}", GenerateMinMax, Needs(Authority::kDataWrite)},
      {"GET", "/api/outlierDetection", OutlierDetection, Needs(Authority::kDataRead)},
  };
}

}  // namespace weijian::http
