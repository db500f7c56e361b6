// Editors' API of the portal: articles (drafts, preview, publish now or later, withdraw,
// versions), attachments, and the site settings (admins).
#include <limits>

#include "auth/ownership.h"
#include "core/date.h"
#include "core/uid.h"
#include "http/router.h"
#include "portal/programs.h"
#include "portal/site.h"
#include "portal/text.h"
#include "reports/release.h"

namespace weijian::http {

namespace {
using auth::Authority;
using nlohmann::json;

// Articles belong to the unit of the editor who wrote them (auth/ownership.h).
// A missing article is a 404 before any question of ownership.
Status MayWriteArticle(const Request& req, App& app) {
  const std::string& uid = req.params.at("uid");
  if (auto a = portal::Articles(app.store()).Get(uid); !a.ok()) return a.status();
  return auth::OwnedObjects(app.store())
      .CheckWrite(Caller(req), *app.catalog(), auth::kArticleObject, uid, "文章 " + uid);
}
Status MayReadArticle(const Request& req, App& app) {
  const std::string& uid = req.params.at("uid");
  if (auto a = portal::Articles(app.store()).Get(uid); !a.ok()) return a.status();
  return auth::OwnedObjects(app.store())
      .CheckRead(Caller(req), *app.catalog(), auth::kArticleObject, uid, "文章 " + uid);
}

// The workbench list holds what the caller may open (MayReadArticle): shared articles and those
// owned inside his units; another county's or the city's drafts are not his to see. A portal
// has hundreds to a few thousand articles: a non-superuser's list reads them all, checks each
// one's owner and then pages.
Response ListArticles(const Request& req, App& app) {
  storage::ArticleFilter f;
  f.published_only = false;
  f.column_code = req.Query("column").value_or("");
  auto page = IntParam(req, "page", 1, 1, 100000);
  if (!page.ok()) return ErrorResponse(page.status());
  auto size = IntParam(req, "pageSize", 50, 1, 500);
  if (!size.ok()) return ErrorResponse(size.status());
  const auth::Principal& who = Caller(req);
  const bool everything = who.IsSuperuser();
  f.offset = everything ? (*page - 1) * *size : 0;
  f.limit = everything ? *size : std::numeric_limits<int>::max();
  std::int64_t total = 0;
  auto list = app.store().ListArticles(f, &total);
  if (!list.ok()) return ErrorResponse(list.status());
  std::vector<storage::ArticleRecord> shown;
  if (everything) {
    shown = std::move(*list);
  } else {
    auth::OwnedObjects owners(app.store());
    auto cat = app.catalog();
    total = 0;
    const std::int64_t first = static_cast<std::int64_t>(*page - 1) * *size;
    for (auto& a : *list) {
      Status readable = owners.CheckRead(who, *cat, auth::kArticleObject, a.uid, a.uid);
      if (readable.code() == StatusCode::kPermissionDenied) continue;
      if (!readable.ok()) return ErrorResponse(readable);
      if (total >= first && total < first + *size) shown.push_back(std::move(a));
      ++total;
    }
  }
  json items = json::array();
  for (const auto& a : shown) items.push_back(portal::ArticleJson(a, false));
  return JsonResponse(
      {{"pager", {{"page", *page}, {"pageSize", *size}, {"total", total}}}, {"articles", items}});
}

Response GetArticle(const Request& req, App& app) {
  if (Status s = MayReadArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  auto a = articles.Get(req.params.at("uid"));
  if (!a.ok()) return ErrorResponse(a.status());
  json j = portal::ArticleJson(*a, true);
  auto files = app.store().ListAttachments(a->id);
  if (!files.ok()) return ErrorResponse(files.status());
  j["attachments"] = json::array();
  for (const auto& f : *files)
    j["attachments"].push_back({{"id", f.uid},
                                {"name", f.name},
                                {"contentType", f.content_type},
                                {"size", f.size},
                                {"href", "/files/" + f.uid + "/" + f.name}});
  return JsonResponse(j);
}

Response CreateArticle(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = portal::ArticleInputFromJson(*body);
  if (!in.ok()) return ErrorResponse(409, in.status().message(), in.status().field());
  portal::Articles articles(app.store());
  auto a = articles.Create(*in, Caller(req).name(), NowMillis());
  if (!a.ok()) return ErrorResponse(409, a.status().message(), a.status().field());
  if (Status s = auth::OwnedObjects(app.store()).Claim(Caller(req), auth::kArticleObject, a->uid);
      !s.ok())
    return ErrorResponse(s);
  return JsonResponse(portal::ArticleJson(*a, true), 201);
}

Response UpdateArticle(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = portal::ArticleInputFromJson(*body);
  if (!in.ok()) return ErrorResponse(409, in.status().message(), in.status().field());
  if (Status s = MayWriteArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  auto a = articles.Update(req.params.at("uid"), *in, Caller(req).name(), NowMillis());
  if (!a.ok())
    return a.status().code() == StatusCode::kNotFound
               ? ErrorResponse(a.status())
               : ErrorResponse(409, a.status().message(), a.status().field());
  // A published article's page shows its column, source, author and editor as they are now
  // (its title and text as published): the servers' kept copies go.
  if (a->status == "published") app.ContentChanged();
  return JsonResponse(portal::ArticleJson(*a, true));
}

// POST /api/articles/{uid}/publish[?publishAt=2024-08-01T08:00:00]
Response PublishArticle(const Request& req, App& app) {
  std::int64_t at = 0;
  if (auto when = req.Query("publishAt"); when && !when->empty()) {
    auto parsed = ParseTimestamp(*when);
    if (!parsed.ok())
      return ErrorResponse(409, "must be a date and time such as 2024-08-01T08:00:00", "publishAt");
    at = *parsed;
  }
  if (Status s = MayWriteArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  // The publication and its audit row in one transaction: an action that cannot be audited
  // fails and is not applied.
  Result<storage::ArticleRecord> a = Internal("not run");
  Status audited = app.store().InOneTransaction([&]() -> Status {
    a = articles.Publish(req.params.at("uid"), at, Caller(req).name(), NowMillis());
    if (!a.ok()) return a.status();
    return app.auth().Audit("PUBLISH", Caller(req).name(), std::nullopt, a->uid,
                            "article version " + std::to_string(a->version) + ": " + a->title,
                            req.remote_address);
  });
  if (!a.ok())
    return a.status().code() == StatusCode::kNotFound
               ? ErrorResponse(a.status())
               : ErrorResponse(409, a.status().message(), a.status().field());
  if (!audited.ok()) return ErrorResponse(audited);  // the audit or the commit failed
  app.ContentChanged();
  return JsonResponse(portal::ArticleJson(*a, false));
}

Response WithdrawArticle(const Request& req, App& app) {
  if (Status s = MayWriteArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  Result<storage::ArticleRecord> a = Internal("not run");
  Status audited = app.store().InOneTransaction([&]() -> Status {
    a = articles.Withdraw(req.params.at("uid"), Caller(req).name(), NowMillis());
    if (!a.ok()) return a.status();
    return app.auth().Audit("WITHDRAW", Caller(req).name(), std::nullopt, a->uid, a->title,
                            req.remote_address);
  });
  if (!audited.ok()) return ErrorResponse(audited);
  app.ContentChanged();
  return JsonResponse(portal::ArticleJson(*a, false));
}

Response ArticleVersions(const Request& req, App& app) {
  if (Status s = MayReadArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  auto a = articles.Get(req.params.at("uid"));
  if (!a.ok()) return ErrorResponse(a.status());
  auto versions = app.store().ListArticleVersions(a->id);
  if (!versions.ok()) return ErrorResponse(versions.status());
  json out = json::array();
  for (const auto& v : *versions)
    out.push_back({{"version", v.version},
                   {"title", v.title},
                   {"body", v.body_md},
                   {"publishedAt", FormatTimestamp(v.published_at)},
                   {"publishedBy", v.published_by}});
  return JsonResponse({{"versions", out}});
}

// POST /api/articles/preview {"body": "…"}: the HTML the portal would show.
Response PreviewArticle(const Request& req, App&) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || !body->contains("body") || !(*body)["body"].is_string())
    return ErrorResponse(409, "send {\"body\": \"Markdown text\"}", "body");
  return JsonResponse({{"html", portal::MarkdownToHtml((*body)["body"].get<std::string>())}});
}

// POST /api/articles/{uid}/attachments?name=file.pdf with the file as the body.
Response UploadAttachment(const Request& req, App& app) {
  if (Status s = MayWriteArticle(req, app); !s.ok()) return ErrorResponse(s);
  portal::Articles articles(app.store());
  auto a = articles.Get(req.params.at("uid"));
  if (!a.ok()) return ErrorResponse(a.status());
  const std::string name = req.Query("name").value_or("");
  if (name.empty() || name.size() > 200 || name.find_first_of("/\\\r\n\"") != std::string::npos)
    return ErrorResponse(409, "give the file name without folders, at most 200 bytes", "name");
  auto type = portal::CheckAttachment(name, req.body);
  if (!type.ok()) return ErrorResponse(409, type.status().message(), type.status().field());
  storage::AttachmentRecord f;
  f.uid = RandomUid();
  f.article_id = a->id;
  f.name = name;
  f.content_type = *type;
  f.bytes = req.body;
  f.created = NowMillis();
  f.created_by = Caller(req).name();
  auto id = app.store().SaveAttachment(f);
  if (!id.ok()) return ErrorResponse(id.status());
  if (a->status == "published") app.ContentChanged();  // its page lists the attachment now
  return JsonResponse({{"id", f.uid},
                       {"name", f.name},
                       {"contentType", f.content_type},
                       {"size", req.body.size()},
                       {"href", "/files/" + f.uid + "/" + f.name}},
                      201);
}

// POST /api/dataReleases {"program":"liangai","year":2024,"orgUnit":"1506"}: writes the
// program's data release from the analytics engine as it is now and publishes it (数据发布).
Response PublishDataRelease(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(409, "send a JSON object", "body");
  const std::string program = body->value("program", "");
  const auto* p = portal::FindProgram(program);
  if (!p) return ErrorResponse(409, "no program \"" + program + "\"", "program");
  if (!body->contains("year") || !(*body)["year"].is_number_integer())
    return ErrorResponse(409, "must be a year such as 2024", "year");
  const int year = (*body)["year"];
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  const auto& cat = (*engine)->catalog();
  const auto* unit = cat.OrgUnits().ByUidOrCode(body->value("orgUnit", ""));
  if (!unit) return ErrorResponse(409, "no such org unit", "orgUnit");
  if (!auth::CanRead(Caller(req), cat, unit->id)) return OutsideScope(body->value("orgUnit", ""));
  const std::int64_t now = NowMillis();
  // Approved data only; units not yet approved are named and the publisher confirms.
  auto reading = ReadApproved(req, app, cat, *unit, Date(std::chrono::year(year) / 1 / 1),
                              Date(std::chrono::year(year) / 12 / 31));
  if (!reading.ok()) return ErrorResponse(reading.status());
  if (!reading->unapproved.empty() && !body->value("confirm", false)) {
    std::string names;
    for (std::size_t i = 0; i < reading->unapproved.size() && i < 10; ++i)
      names += (i ? "、" : "") + reading->unapproved[i];
    if (reading->unapproved.size() > 10) names += "等";
    return ErrorResponse(409,
                         std::to_string(reading->unapproved.size()) + "个单位" +
                             std::to_string(year) + "年的数据尚未审核，不计入本次发布：" + names +
                             "。确认发布请加 \"confirm\": true",
                         "confirm");
  }
  auto in = portal::BuildDataRelease(*p, **engine, unit->id, year, now, reading->approved);
  if (!in.ok()) return ErrorResponse(409, in.status().message(), "year");
  in->editor = Caller(req).name();
  portal::Articles articles(app.store());
  // The article, its publication, its owner and the audit row: all or nothing.
  Result<storage::ArticleRecord> published = Internal("not run");
  Status done = app.store().InOneTransaction([&]() -> Status {
    auto created = articles.Create(*in, Caller(req).name(), now);
    if (!created.ok()) return created.status();
    published = articles.Publish(created->uid, 0, Caller(req).name(), now);
    if (!published.ok()) return published.status();
    WJ_RETURN_IF_ERROR(
        auth::OwnedObjects(app.store()).Assign(auth::kArticleObject, published->uid, unit->id));
    return app.auth().Audit("PUBLISH", Caller(req).name(), std::nullopt, published->uid,
                            "data release: " + published->title, req.remote_address);
  });
  if (!done.ok()) return ErrorResponse(done);
  app.ContentChanged();
  return JsonResponse(portal::ArticleJson(*published, false), 201);
}

Response GetSettings(const Request&, App& app) {
  auto s = app.SiteSettings();
  if (!s.ok()) return ErrorResponse(s.status());
  json fields = json::array();
  for (const auto& f : portal::SettingFields())
    fields.push_back({{"key", f.key}, {"label", f.label}, {"value", s->at(f.key)}});
  return JsonResponse({{"settings", *s}, {"fields", fields}});
}

Response PutSettings(const Request& req, App& app) {
  // The settings are the whole instance's (its name, footer, push schedule): an admin whose
  // units are all of it may change them, as a superuser may; an admin of part of it may not.
  // The instance's top: from each root down while a unit has one child (the demo's 内蒙古 →
  // 鄂尔多斯市, the city the instance serves).
  const auth::Principal& who = Caller(req);
  if (!who.IsSuperuser()) {
    const auto cat = app.catalog();
    for (const auto* top : cat->ChildrenOf(0)) {
      for (auto below = cat->ChildrenOf(top->id); below.size() == 1;
           below = cat->ChildrenOf(top->id))
        top = below.front();
      if (!auth::CanWrite(who, *cat, top->id))
        return ErrorResponse(403, "只有管理本平台全部机构的管理员可以修改站点设置");
    }
  }
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  Status saved = Status::Ok();
  Status audited = app.store().InOneTransaction([&]() -> Status {
    saved = portal::SaveSettings(app.store(), *body);
    if (!saved.ok()) return saved;
    return app.auth().Audit("SITE_SETTINGS", Caller(req).name(), std::nullopt, "site", body->dump(),
                            req.remote_address);
  });
  if (!saved.ok()) return ErrorResponse(409, saved.message(), saved.field());
  if (!audited.ok()) return ErrorResponse(audited);  // the audit or the commit failed
  app.ContentChanged();
  return GetSettings(req, app);
}

}  // namespace

std::vector<Route> ArticleRoutes() {
  const Access edit = Needs(Authority::kPortalWrite);
  return {
      {"GET", "/api/articles", ListArticles, edit},
      {"POST", "/api/articles", CreateArticle, edit},
      {"POST", "/api/articles/preview", PreviewArticle, edit},
      {"GET", "/api/articles/{uid}", GetArticle, edit},
      {"PUT", "/api/articles/{uid}", UpdateArticle, edit},
      {"POST", "/api/articles/{uid}/publish", PublishArticle, edit, Cost::kHeavy},
      {"POST", "/api/articles/{uid}/withdraw", WithdrawArticle, edit},
      {"GET", "/api/articles/{uid}/versions", ArticleVersions, edit},
      {"POST", "/api/articles/{uid}/attachments", UploadAttachment, edit, Cost::kHeavy},
      {"POST", "/api/dataReleases", PublishDataRelease, edit, Cost::kHeavy},
      {"GET", "/api/site/settings", GetSettings, SignedIn()},
      {"PUT", "/api/site/settings", PutSettings, Needs(Authority::kMetadataWrite)},
  };
}

}  // namespace weijian::http
