// 互动交流 (issue 15): the public message board (/messages: the list of published answers with
// 收到/办结/平均办理天数, the form with its spoken human check, the query by code) and the staff
// API (/api/citizenMessages: list with overdue flags, route, reply, publish, reject). Public
// pages render through the portal's layout (templates are mustache: everything escaped); a
// phone number appears only in the staff API. Rules live in portal/messages.cc.
#include <algorithm>
#include <functional>

#include "core/date.h"
#include "core/uid.h"
#include "http/json_fields.h"
#include "http/router.h"
#include "portal/messages.h"

namespace weijian::http {

namespace {
using auth::Authority;
using nlohmann::json;

constexpr int kPublicPageSize = 20;
constexpr const char* kColumn = "zxts";  // the menu entry marked on these pages

struct Category {
  const char* value;  // ASCII in forms: pages in 繁體 are converted character by character
  const char* label;
};
constexpr Category kCategories[] = {{"zx", "咨询"}, {"ts", "投诉"}, {"jy", "建议"}};

std::string MessageDate(std::int64_t millis) { return FormatTimestamp(millis).substr(0, 10); }

std::string CookieOf(const Request& req, const std::string& name) {
  const std::string header = req.Header("cookie");
  const std::string key = name + "=";
  for (std::size_t pos = 0; pos < header.size();) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.substr(0, key.size()) == key) return std::string(part.substr(key.size()));
    pos = end + 1;
  }
  return "";
}

// The page of the board: counts, the published exchanges, the query box.
json BoardData(App& app, int page, Status* error) {
  json d = json::object();
  auto stats = app.store().CitizenMessageStatsAll();
  if (!stats.ok()) {
    *error = stats.status();
    return d;
  }
  char avg[32];
  std::snprintf(avg, sizeof avg, "%.1f", stats->average_days);
  d["received"] = std::to_string(stats->received);
  d["answered"] = std::to_string(stats->answered);
  d["average_days"] = stats->answered ? avg : "—";
  storage::CitizenMessageFilter f;
  f.published_only = true;
  f.status = {"answered"};
  f.limit = kPublicPageSize;
  f.offset = (page - 1) * kPublicPageSize;
  std::int64_t total = 0;
  auto list = app.store().ListCitizenMessages(f, &total);
  if (!list.ok()) {
    *error = list.status();
    return d;
  }
  json items = json::array();
  for (const auto& m : *list)
    items.push_back({{"id", std::to_string(m.id)},
                     {"category", m.category},
                     {"subject", m.subject},
                     {"date", MessageDate(m.created)},
                     {"replied_by", m.replied_by},
                     {"replied_date", MessageDate(m.replied_at)}});
  d["items"] = items;
  d["has_items"] = !items.empty();
  const int pages =
      std::max<int>(1, static_cast<int>((total + kPublicPageSize - 1) / kPublicPageSize));
  if (page > 1) d["prev"] = "/messages?page=" + std::to_string(page - 1);
  if (page < pages) d["next"] = "/messages?page=" + std::to_string(page + 1);
  d["page"] = std::to_string(page);
  d["pages"] = std::to_string(pages);
  return d;
}

Response Board(const Request& req, App& app) {
  int page = 1;
  if (auto p = req.Query("page")) {
    page = std::atoi(p->c_str());
    if (page < 1 || page > 100000) return PortalNotFound(req, app);
  }
  Status error;
  json d = BoardData(app, page, &error);
  if (!error.ok()) return ErrorResponse(error);
  d["mode_board"] = true;
  return RenderPortalPage(req, app, "咨询投诉", "messages", d, kColumn);
}

// The form, with a fresh question; `values` and `error` when a first try failed.
Response Form(const Request& req, App& app, const json& values, const Status& error, int status) {
  auto challenge = portal::NewChallenge(app.store(), NowMillis());
  if (!challenge.ok()) return ErrorResponse(challenge.status());
  json d = json::object();
  d["mode_form"] = true;
  d["token"] = challenge->token;
  d["question"] = challenge->question;
  json cats = json::array();
  const std::string chosen = values.value("category", "zx");
  for (const auto& c : kCategories)
    cats.push_back({{"value", c.value}, {"label", c.label}, {"checked", chosen == c.value}});
  d["categories"] = cats;
  for (const char* k : {"name", "phone", "subject", "body"}) d[k] = values.value(k, "");
  d["consent"] = values.value("consent", false);
  if (!error.ok()) {
    d["error"] = error.message();
    d["error_field"] = error.field();
    d["error_" + (error.field().empty() ? std::string("other") : error.field())] = true;
  }
  Response r = RenderPortalPage(req, app, "我要留言", "messages", d, kColumn, status);
  if (CookieOf(req, "wj_dev").empty())
    r.headers.push_back({"Set-Cookie", "wj_dev=" + RandomUid() +
                                           "; Path=/messages; Max-Age=31536000; HttpOnly; "
                                           "SameSite=Lax"});
  return r;
}

Response NewForm(const Request& req, App& app) { return Form(req, app, json::object(), {}, 200); }

Response Submit(const Request& req, App& app) {
  auto parsed = ParseQuery(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  auto field = [&](const char* k) {
    auto it = parsed->find(k);
    return it == parsed->end() ? std::string() : it->second;
  };
  json values = {{"category", field("category")}, {"name", field("name")},
                 {"phone", field("phone")},       {"subject", field("subject")},
                 {"body", field("body")},         {"consent", field("consent") == "1"}};
  portal::MessageInput in;
  for (const auto& c : kCategories)
    if (field("category") == c.value) in.category = c.label;
  in.name = field("name");
  in.phone = field("phone");
  in.subject = field("subject");
  in.body = field("body");
  in.consent = field("consent") == "1";
  in.challenge = field("token");
  in.answer = field("answer");
  // The writer's address for the rate limit: the client's, as the server settled it (behind a
  // reverse proxy, the address that proxy saw; see ForwardedClient).
  in.source_addr = req.remote_address;
  in.source_device = CookieOf(req, "wj_dev");
  // The message and its audit row in one transaction.
  Result<storage::CitizenMessageRecord> m = Internal("not run");
  Status committed = app.store().InOneTransaction([&]() -> Status {
    m = portal::SubmitMessage(app.store(), in, NowMillis());
    if (!m.ok()) return m.status();
    return app.auth().Audit("CITIZEN_MESSAGE", "public", std::nullopt, std::to_string(m->id),
                            m->category + "：" + m->subject, req.remote_address);
  });
  if (!m.ok()) {
    const int status = m.status().code() == StatusCode::kResourceExhausted ? 429 : 400;
    return Form(req, app, values, m.status(), status);
  }
  if (!committed.ok()) return ErrorResponse(committed);
  json d = {{"mode_sent", true},
            {"code", portal::FormatQueryCode(m->query_code)},
            {"subject", m->subject}};
  return RenderPortalPage(req, app, "留言已提交", "messages", d, kColumn, 201);
}

// The writer's own view by query code: status and reply, never the phone number.
Response Query(const Request& req, App& app) {
  json d = {{"mode_query", true}};
  const std::string raw = req.Query("code").value_or("");
  d["code"] = raw;
  if (!raw.empty()) {
    const std::string code = portal::NormalizeQueryCode(raw);
    storage::CitizenMessageFilter f;
    f.query_code = code;
    f.limit = 1;
    auto list = code.empty() ? Result<std::vector<storage::CitizenMessageRecord>>(
                                   std::vector<storage::CitizenMessageRecord>{})
                             : app.store().ListCitizenMessages(f, nullptr);
    if (!list.ok()) return ErrorResponse(list.status());
    if (list->empty()) {
      d["not_found"] = true;
    } else {
      const auto& m = list->front();
      d["found"] = {{"category", m.category},
                    {"subject", m.subject},
                    {"body", m.body},
                    {"date", MessageDate(m.created)},
                    {"status", portal::StatusLabel(m.status)},
                    {"answered", m.status == "answered"},
                    {"reply", m.reply},
                    {"replied_by", m.replied_by},
                    {"replied_date", m.replied_at ? MessageDate(m.replied_at) : ""},
                    {"published", m.published}};
    }
  }
  return RenderPortalPage(req, app, "留言查询", "messages", d, kColumn);
}

// One published exchange.
Response View(const Request& req, App& app) {
  const std::string id = req.params.at("id");
  if (id.empty() || id.size() > 12 || id.find_first_not_of("0123456789") != std::string::npos)
    return PortalNotFound(req, app);
  storage::CitizenMessageFilter f;
  f.id = std::stoll(id);
  f.published_only = true;
  f.status = {"answered"};
  f.limit = 1;
  auto list = app.store().ListCitizenMessages(f, nullptr);
  if (!list.ok()) return ErrorResponse(list.status());
  if (list->empty()) return PortalNotFound(req, app);
  const auto& m = list->front();
  json d = {{"mode_view", true},
            {"category", m.category},
            {"subject", m.subject},
            {"body", m.body},
            {"date", MessageDate(m.created)},
            {"reply", m.reply},
            {"replied_by", m.replied_by},
            {"replied_date", MessageDate(m.replied_at)}};
  return RenderPortalPage(req, app, m.subject, "messages", d, kColumn);
}

// --- staff ---

Result<std::int64_t> IdOf(const Request& req) {
  const std::string id = req.params.at("id");
  if (id.empty() || id.size() > 12 || id.find_first_not_of("0123456789") != std::string::npos)
    return NotFound("没有这条留言");
  return std::stoll(id);
}

portal::Deadlines DeadlinesNow(App& app) {
  auto s = app.SiteSettings();
  return s.ok() ? portal::DeadlinesOf(*s) : portal::Deadlines{};
}

Response StaffList(const Request& req, App& app) {
  const auto& who = Caller(req);
  auto catalog = app.catalog();
  storage::CitizenMessageFilter f;
  f.limit = 2000;
  auto list = app.store().ListCitizenMessages(f, nullptr);
  if (!list.ok()) return ErrorResponse(list.status());
  const auto d = DeadlinesNow(app);
  const std::int64_t now = NowMillis();
  json items = json::array();
  int overdue = 0, warning = 0, open = 0;
  for (const auto& m : *list) {
    if (!portal::MayHandle(who, *catalog, m)) continue;
    json j = portal::StaffJson(m, *catalog, d, now);
    if (j["flag"] == "overdue") ++overdue;
    if (j["flag"] == "warning") ++warning;
    if (m.status == "received" || m.status == "routed") ++open;
    items.push_back(std::move(j));
  }
  // Overdue first, then warnings, then the rest: what needs doing on top.
  std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
    auto rank = [](const json& x) {
      return x["flag"] == "overdue" ? 0 : x["flag"] == "warning" ? 1 : 2;
    };
    return rank(a) < rank(b);
  });
  return JsonResponse({{"messages", items},
                       {"counts", {{"open", open}, {"overdue", overdue}, {"warning", warning}}},
                       {"warnDays", d.warn_days},
                       {"limitDays", d.limit_days},
                       {"dispatcher", portal::IsDispatcher(who, *catalog)}});
}

using Action = std::function<Result<storage::CitizenMessageRecord>(const Request&, App&,
                                                                   std::int64_t, const json&)>;

Response Act(const Request& req, App& app, const char* audit, const Action& action) {
  auto id = IdOf(req);
  if (!id.ok()) return ErrorResponse(id.status());
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(InvalidArgument("请以 JSON 对象提交", "body"));
  // The action and its audit row in one transaction.
  Result<storage::CitizenMessageRecord> m = Internal("not run");
  Status committed = app.store().InOneTransaction([&]() -> Status {
    m = action(req, app, *id, *body);
    if (!m.ok()) return m.status();
    return app.auth().Audit(audit, Caller(req).name(), std::nullopt, std::to_string(*id),
                            body->dump(), req.remote_address);
  });
  if (!m.ok()) return ErrorResponse(m.status());
  if (!committed.ok()) return ErrorResponse(committed);
  app.ContentChanged();
  return JsonResponse(portal::StaffJson(*m, *app.catalog(), DeadlinesNow(app), NowMillis()));
}

Response RouteMessage(const Request& req, App& app) {
  return Act(req, app, "CITIZEN_MESSAGE_ROUTE",
             [](const Request& r, App& a, std::int64_t id,
                const json& b) -> Result<storage::CitizenMessageRecord> {
               WJ_ASSIGN_OR_RETURN(auto unit, TextField(b, "unit"));
               return portal::RouteMessage(a.store(), *a.catalog(), Caller(r), id, unit,
                                           NowMillis());
             });
}
Response Reply(const Request& req, App& app) {
  return Act(req, app, "CITIZEN_MESSAGE_REPLY",
             [](const Request& r, App& a, std::int64_t id,
                const json& b) -> Result<storage::CitizenMessageRecord> {
               WJ_ASSIGN_OR_RETURN(auto reply, TextField(b, "reply"));
               return portal::ReplyMessage(a.store(), *a.catalog(), Caller(r), id, reply,
                                           NowMillis());
             });
}
Response Publish(const Request& req, App& app) {
  return Act(req, app, "CITIZEN_MESSAGE_PUBLISH",
             [](const Request& r, App& a, std::int64_t id,
                const json& b) -> Result<storage::CitizenMessageRecord> {
               WJ_ASSIGN_OR_RETURN(bool on, BoolField(b, "published", true));
               return portal::PublishMessage(a.store(), *a.catalog(), Caller(r), id, on,
                                             NowMillis());
             });
}
Response Reject(const Request& req, App& app) {
  return Act(req, app, "CITIZEN_MESSAGE_REJECT",
             [](const Request& r, App& a, std::int64_t id,
                const json& b) -> Result<storage::CitizenMessageRecord> {
               WJ_ASSIGN_OR_RETURN(auto note, TextField(b, "note"));
               return portal::RejectMessage(a.store(), *a.catalog(), Caller(r), id, note,
                                            NowMillis());
             });
}

}  // namespace

std::vector<Route> MessageRoutes() {
  const Access staff = Needs(Authority::kPortalWrite);
  return {
      {"GET", "/messages", Board, Public()},
      {"GET", "/messages/new", NewForm, Public()},
      {"POST", "/messages", Submit, Public()},
      {"GET", "/messages/query", Query, Public()},
      {"GET", "/messages/{id}", View, Public()},
      {"GET", "/api/citizenMessages", StaffList, staff},
      {"POST", "/api/citizenMessages/{id}/route", RouteMessage, staff},
      {"POST", "/api/citizenMessages/{id}/reply", Reply, staff},
      {"POST", "/api/citizenMessages/{id}/publish", Publish, staff},
      {"POST", "/api/citizenMessages/{id}/reject", Reject, staff},
  };
}

}  // namespace weijian::http
