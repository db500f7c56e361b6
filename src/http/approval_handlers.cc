// 上报 → 审核/退回 over HTTP: approval levels and workflows, DHIS2's /api/dataApprovals (one unit,
// bulk approvals and unapprovals), /api/dataAcceptances, weijian's /api/dataApprovals/returns,
// /api/lockExceptions, the 上报审核 grid, 本月待填 and in-app messages (/api/messageConversations).
// Handlers parse, build the caller as an Approver, call the exchange layer's ApprovalService and
// map its Status through the one table.
#include <set>

#include "core/date.h"
#include "core/uid.h"
#include "http/json_fields.h"
#include "http/router.h"
#include "metadata/controls.h"

namespace weijian::http {

int WriterLevel(const auth::Principal& who, const metadata::Catalog& cat) {
  if (who.IsSuperuser()) return 0;
  int level = 0;
  for (auto id : who.user.capture_org_unit_ids)
    if (const auto* u = cat.OrgUnits().ById(id))
      level = level == 0 ? u->level : std::min(level, u->level);
  return level == 0 ? 1 << 20 : level;  // no data entry unit: below every level
}

namespace {
using exchange::ApprovalService;
using nlohmann::json;

exchange::Approver ApproverOf(const auth::Principal& who) {
  exchange::Approver a;
  a.username = who.name();
  a.superuser = who.IsSuperuser();
  a.may_approve = who.Has(auth::Authority::kDataApprove);
  a.units = who.user.capture_org_unit_ids;
  for (auto v : who.user.view_org_unit_ids) a.units.push_back(v);
  return a;
}

Response Levels(const Request&, App& app) {
  auto cat = app.catalog();
  json a = json::array();
  for (const auto& l : cat->controls().levels) a.push_back(metadata::ApprovalLevelJson(l));
  return JsonResponse({{"dataApprovalLevels", a}});
}

Response Workflows(const Request& req, App& app) {
  auto cat = app.catalog();
  json a = json::array();
  for (const auto& w : cat->controls().workflows) {
    json j = metadata::ApprovalWorkflowJson(*cat, w);
    if (req.params.count("id")) {
      if (w.uid == req.params.at("id") || w.code == req.params.at("id")) return JsonResponse(j);
      continue;
    }
    a.push_back(std::move(j));
  }
  if (req.params.count("id")) return ErrorResponse(404, "没有审核流程 " + req.params.at("id"));
  return JsonResponse({{"dataApprovalWorkflows", a}});
}

// GET /api/dataApprovals?wf=&pe=&ou=: DHIS2's status with permissions.
Response GetApproval(const Request& req, App& app) {
  auto cat = app.catalog();
  auto wf = exchange::FindWorkflow(*cat, req.Query("wf").value_or(""));
  if (!wf.ok()) return ErrorResponse(wf.status());
  auto st = app.values().approvals().GetStatus(
      *cat, req.Query("wf").value_or(""), req.Query("pe").value_or(""),
      req.Query("ou").value_or(""), ApproverOf(Caller(req)));
  if (!st.ok()) return ErrorResponse(st.status());
  if (!st->may_read_data) return ErrorResponse(403, "该单位不在您负责的范围内");
  return JsonResponse(st->ToJson(*cat, *wf));
}

Response Act(const Request& req, App& app, ApprovalService::Action action) {
  auto cat = app.catalog();
  Status s = app.values().approvals().Act(*cat, action, req.Query("wf").value_or(""),
                                          req.Query("pe").value_or(""),
                                          req.Query("ou").value_or(""), ApproverOf(Caller(req)));
  if (!s.ok()) return ErrorResponse(s);
  app.ApprovalsChanged();
  Response r;
  r.status = 204;
  return r;
}

// Strings or {"id"} / {"ou"} objects of a JSON array (or one string): `body[field]`, or the whole
// body when `field` is empty. Anything else is a Conflict naming its path ("wf[1].id").
Result<std::vector<std::string>> Ids(const json& body, const std::string& field, const char* key) {
  std::vector<std::string> out;
  const json* v = &body;
  if (!field.empty()) {
    if (!body.is_object()) return Conflict("send a JSON object", "body");
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return out;
    v = &*it;
  }
  auto one = [&](const json& x, const std::string& where) -> Status {
    if (x.is_string()) {
      out.push_back(x.get<std::string>());
      return Status::Ok();
    }
    if (!x.is_object()) return Conflict("must be text or {\"id\": \"…\"}", where);
    for (const std::string& k : {std::string(key), std::string("id")})
      if (auto f = x.find(k); f != x.end()) {
        const std::string at = where.empty() ? k : where + "." + k;
        if (!f->is_string()) return Conflict("must be text", at);
        out.push_back(f->get<std::string>());
        return Status::Ok();
      }
    return Conflict("must be text or {\"id\": \"…\"}", where.empty() ? "body" : where);
  };
  if (v->is_array()) {
    for (std::size_t i = 0; i < v->size(); ++i)
      WJ_RETURN_IF_ERROR(one((*v)[i], field + "[" + std::to_string(i) + "]"));
  } else {
    WJ_RETURN_IF_ERROR(one(*v, field));
  }
  return out;
}

// GET /api/dataApprovals/approvals?wf=…&pe=…&ou=…(repeated): one status per combination.
Response ListApprovals(const Request& req, App& app) {
  auto cat = app.catalog();
  auto who = ApproverOf(Caller(req));
  json out = json::array();
  for (const auto& w : req.QueryAll("wf")) {
    auto wf = exchange::FindWorkflow(*cat, w);
    if (!wf.ok()) return ErrorResponse(wf.status());
    for (const auto& pe : req.QueryAll("pe"))
      for (const auto& ou : req.QueryAll("ou")) {
        auto st = app.values().approvals().GetStatus(*cat, w, pe, ou, who);
        if (!st.ok()) return ErrorResponse(st.status());
        if (!st->may_read_data) return ErrorResponse(403, ou + " 不在您负责的范围内", "ou");
        json j = st->ToJson(*cat, *wf);
        json perms = {{"mayApprove", j["mayApprove"]},   {"mayUnapprove", j["mayUnapprove"]},
                      {"mayAccept", j["mayAccept"]},     {"mayUnaccept", j["mayUnaccept"]},
                      {"mayReadData", j["mayReadData"]}, {"mayReturn", j["mayReturn"]}};
        json row = {{"wf", wf->record->uid},
                    {"pe", pe},
                    {"ou", ou},
                    {"state", j["state"]},
                    {"permissions", perms}};
        if (j.contains("approvalLevel")) row["level"] = j["approvalLevel"];
        if (j.contains("returned")) row["returned"] = j["returned"];
        out.push_back(std::move(row));
      }
  }
  return JsonResponse(out);
}

// POST /api/dataApprovals/{approvals,unapprovals,returns}: {"wf":[…],"pe":[…],"approvals":[{"ou"}]}
// or {"wf","pe","ou","reason"}. Every target is checked first; nothing is changed unless all
// of them may be.
Response Bulk(const Request& req, App& app, ApprovalService::Action action) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  auto wf_ids = Ids(*body, "wf", "id");
  if (!wf_ids.ok()) return ErrorResponse(wf_ids.status());
  auto pe_ids = Ids(*body, "pe", "id");
  if (!pe_ids.ok()) return ErrorResponse(pe_ids.status());
  auto ou_ids = Ids(*body, "ou", "id");
  if (!ou_ids.ok()) return ErrorResponse(ou_ids.status());
  auto approvals = Ids(*body, "approvals", "ou");
  if (!approvals.ok()) return ErrorResponse(approvals.status());
  const std::vector<std::string>& wfs = *wf_ids;
  const std::vector<std::string>& pes = *pe_ids;
  std::vector<std::string> ous = *ou_ids;
  for (const auto& o : *approvals) ous.push_back(o);
  auto reason_field = TextField(*body, "reason");
  if (!reason_field.ok()) return ErrorResponse(reason_field.status());
  const std::string reason = *reason_field;
  if (wfs.empty()) return ErrorResponse(409, "is required", "wf");
  if (pes.empty()) return ErrorResponse(409, "is required", "pe");
  if (ous.empty()) return ErrorResponse(409, "is required", "ou");
  if (ous.size() * pes.size() * wfs.size() > 5000)
    return ErrorResponse(409, "一次最多处理 5000 个单位期间", "ou");
  auto cat = app.catalog();
  auto who = ApproverOf(Caller(req));
  auto& svc = app.values().approvals();
  for (const auto& w : wfs)
    for (const auto& pe : pes)
      for (const auto& ou : ous) {
        auto st = svc.GetStatus(*cat, w, pe, ou, who);
        if (!st.ok()) return ErrorResponse(st.status());
        bool may = action == ApprovalService::Action::kApprove     ? st->may_approve
                   : action == ApprovalService::Action::kUnapprove ? st->may_unapprove
                                                                   : st->may_return;
        // Let the service explain the refusal, without changing anything.
        if (!may) {
          Status s = svc.Act(*cat, action, w, pe, ou, who, reason);
          if (!s.ok()) return ErrorResponse(s);
        }
      }
  if (action == ApprovalService::Action::kReturn &&
      reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return ErrorResponse(409, "退回须写明原因", "reason");
  int done = 0;
  for (const auto& w : wfs)
    for (const auto& pe : pes)
      for (const auto& ou : ous) {
        Status s = svc.Act(*cat, action, w, pe, ou, who, reason);
        if (!s.ok()) {
          if (done) app.ApprovalsChanged();
          return ErrorResponse(s);
        }
        ++done;
      }
  if (done) app.ApprovalsChanged();
  return JsonResponse({{"status", "OK"}, {"count", done}});
}

// /api/lockExceptions: GET the list; POST and DELETE ?ou=&pe=&ds= (admins, within their units).
Response LockExceptions(const Request& req, App& app) {
  auto cat = app.catalog();
  auto snap = app.values().approvals().Snapshot();
  if (!snap.ok()) return ErrorResponse(snap.status());
  const auth::Principal& who = Caller(req);
  json a = json::array();
  for (const auto& e : (*snap)->exception_list) {
    if (!auth::CanRead(who, *cat, e.org_unit_id)) continue;
    const auto* ds = cat->DataSets().ByUid(e.data_set_uid);
    const auto* ou = cat->OrgUnits().ById(e.org_unit_id);
    a.push_back({{"dataSet", {{"id", e.data_set_uid}, {"name", ds ? ds->name : ""}}},
                 {"period", {{"id", e.period}}},
                 {"organisationUnit", {{"id", ou ? ou->uid : ""}, {"name", ou ? ou->name : ""}}},
                 {"createdBy", e.created_by},
                 {"created", FormatTimestamp(e.created)}});
  }
  return JsonResponse({{"lockExceptions", a}});
}

Response ChangeLockException(const Request& req, App& app, bool add) {
  auto cat = app.catalog();
  for (const char* p : {"ou", "pe", "ds"})
    if (!req.Query(p)) return ErrorResponse(409, "is required", p);
  const auth::Principal& who = Caller(req);
  std::vector<std::string> units = req.QueryAll("ou");
  for (const auto& ou : units)
    if (const auto* u = cat->OrgUnits().ByUidOrCode(ou); u && !auth::CanWrite(who, *cat, u->id))
      return OutsideScope(ou);
  // Each change moves what the write guards allow: the other servers read them again
  // (ApprovalsChanged writes a "content" row of the change log).
  int done = 0;
  for (const auto& ou : units) {
    auto& svc = app.values().approvals();
    Status s =
        add ? svc.AddLockException(*cat, *req.Query("ds"), *req.Query("pe"), ou, who.name())
            : svc.RemoveLockException(*cat, *req.Query("ds"), *req.Query("pe"), ou, who.name());
    if (!s.ok()) {
      if (done) app.ApprovalsChanged();
      return ErrorResponse(s);
    }
    ++done;
  }
  if (done) app.ApprovalsChanged();
  if (!add) {
    Response r;
    r.status = 204;
    return r;
  }
  return JsonResponse({{"status", "OK"}}, 201);
}

// GET /api/approvalGrid?ds=&ou=&pe=2026|202601..202612
Response Grid(const Request& req, App& app) {
  auto cat = app.catalog();
  for (const char* p : {"ds", "ou", "pe"})
    if (!req.Query(p)) return ErrorResponse(409, "is required", p);
  const auto* ds = cat->DataSets().ByUidOrCode(*req.Query("ds"));
  if (!ds) return ErrorResponse(404, "没有数据集 " + *req.Query("ds"), "ds");
  const auto* ou = cat->OrgUnits().ByUidOrCode(*req.Query("ou"));
  if (!ou) return ErrorResponse(404, "没有组织机构 " + *req.Query("ou"), "ou");
  if (!auth::CanRead(Caller(req), *cat, ou->id)) return OutsideScope(*req.Query("ou"));
  auto range = ParsePeriodRange(*req.Query("pe"));
  if (!range.ok()) return ErrorResponse(Conflict(range.status().message(), "pe"));
  auto grid = app.values().approvals().Grid(*cat, *ds, *ou, range->start(), range->end(), Today());
  if (!grid.ok()) return ErrorResponse(grid.status());
  return JsonResponse(*grid);
}

// GET /api/dataEntry/due: 本月待填 for the caller's data entry units.
Response Due(const Request& req, App& app) {
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  auto due = app.values().approvals().Due(*cat, who.user.capture_org_unit_ids, Today(), 50);
  if (!due.ok()) return ErrorResponse(due.status());
  return JsonResponse(*due);
}

// The clerks of `units`: users whose data entry units lie inside one of them, or are its parent
// (a township clerk enters her health centre's forms), not those further up.
Result<std::vector<storage::UserRecord>> ClerksOf(App& app, const metadata::Catalog& cat,
                                                  const std::vector<std::int64_t>& units) {
  WJ_ASSIGN_OR_RETURN(auto users, app.store().ListUsers());
  std::vector<storage::UserRecord> out;
  for (auto& u : users) {
    if (u.disabled) continue;
    bool hit = false;
    for (auto c : u.capture_org_unit_ids)
      for (auto r : units)
        if (cat.tree().Contains(c) && cat.tree().Contains(r) &&
            (cat.tree().IsInSubtree(c, r) || cat.tree().Parent(r) == c))
          hit = true;
    if (hit) out.push_back(std::move(u));
  }
  return out;
}

// POST /api/approvalGrid/remind {"ds","pe","ou"}: 提醒未报单位 — a message to the clerks of every
// unit inside `ou` that has not completed `pe`.
Response Remind(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  auto ds_id = TextField(*body, "ds"), ou_id = TextField(*body, "ou"),
       pe_id = TextField(*body, "pe");
  for (const auto* f : {&ds_id, &ou_id, &pe_id})
    if (!f->ok()) return ErrorResponse(f->status());
  const auto* ds = cat->DataSets().ByUidOrCode(*ds_id);
  if (!ds) return ErrorResponse(409, "没有这个数据集", "ds");
  const auto* ou = cat->OrgUnits().ByUidOrCode(*ou_id);
  if (!ou) return ErrorResponse(409, "没有这个组织机构", "ou");
  if (!auth::CanRead(who, *cat, ou->id)) return OutsideScope(*ou_id);
  auto pe = ParsePeriod(*pe_id);
  if (!pe.ok()) return ErrorResponse(Conflict(pe.status().message(), "pe"));
  auto missing = app.values().approvals().Missing(*cat, *ds, *ou, *pe);
  if (!missing.ok()) return ErrorResponse(missing.status());
  std::vector<storage::MessageRecord> msgs;
  std::set<std::int64_t> told;
  for (const auto* u : *missing) {
    auto clerks = ClerksOf(app, *cat, {u->id});
    if (!clerks.ok()) return ErrorResponse(clerks.status());
    for (const auto& c : *clerks) {
      if (!told.insert(c.id).second) continue;
      storage::MessageRecord m;
      m.uid = RandomUid();
      m.subject = "催报：" + ds->name + " " + pe->Id();
      m.text = u->name + "尚未上报" + ds->name + "（" + pe->Id() + "），截止日期 " +
               FormatIsoDate(pe->end + std::chrono::days(ds->timely_days)) +
               "。请尽快填报并标记完成。";
      m.sender = who.name();
      m.recipient_user_id = c.id;
      m.created = NowMillis();
      msgs.push_back(std::move(m));
    }
  }
  if (Status s = app.store().SendMessages(msgs); !s.ok()) return ErrorResponse(s);
  return JsonResponse({{"status", "OK"},
                       {"missingUnits", static_cast<int>(missing->size())},
                       {"messages", static_cast<int>(msgs.size())}});
}

// GET /api/messageConversations: the caller's messages, newest first, with the unread count.
Response Messages(const Request& req, App& app) {
  auto list = app.store().ListMessages(Caller(req).user.id);
  if (!list.ok()) return ErrorResponse(list.status());
  json a = json::array();
  int unread = 0;
  for (const auto& m : *list) {
    if (!m.read) ++unread;
    a.push_back({{"id", m.uid},
                 {"subject", m.subject},
                 {"read", m.read},
                 {"lastMessage", FormatTimestamp(m.created)},
                 {"messages", json::array({{{"text", m.text},
                                            {"sender", {{"username", m.sender}}},
                                            {"created", FormatTimestamp(m.created)}}})}});
  }
  return JsonResponse({{"messageConversations", a}, {"unread", unread}});
}

// POST /api/messageConversations {"subject","text","users":[{"id"}],"organisationUnits":[{"id"}]}:
// to named users and to the clerks of units, all inside the sender's units.
Response SendMessage(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  auto subject_field = TextField(*body, "subject"), text_field = TextField(*body, "text");
  if (!subject_field.ok()) return ErrorResponse(subject_field.status());
  if (!text_field.ok()) return ErrorResponse(text_field.status());
  const std::string subject = *subject_field, text = *text_field;
  if (subject.empty()) return ErrorResponse(409, "is required", "subject");
  if (text.empty()) return ErrorResponse(409, "is required", "text");
  std::vector<std::int64_t> units;
  auto unit_ids = Ids(*body, "organisationUnits", "id");
  if (!unit_ids.ok()) return ErrorResponse(unit_ids.status());
  for (const auto& id : *unit_ids) {
    const auto* u = cat->OrgUnits().ByUidOrCode(id);
    if (!u) return ErrorResponse(409, "没有组织机构 " + id, "organisationUnits");
    if (!auth::CanRead(who, *cat, u->id)) return OutsideScope(id);
    units.push_back(u->id);
  }
  auto clerks = ClerksOf(app, *cat, units);
  if (!clerks.ok()) return ErrorResponse(clerks.status());
  std::set<std::int64_t> to;
  for (const auto& c : *clerks) to.insert(c.id);
  auto user_ids = Ids(*body, "users", "id");
  if (!user_ids.ok()) return ErrorResponse(user_ids.status());
  for (const auto& id : *user_ids) {
    auto users = app.store().ListUsers();
    if (!users.ok()) return ErrorResponse(users.status());
    bool found = false;
    for (const auto& u : *users)
      if (u.uid == id || u.username == id) {
        bool visible = who.IsSuperuser();
        for (auto c : u.capture_org_unit_ids) visible = visible || auth::CanRead(who, *cat, c);
        for (auto c : u.view_org_unit_ids) visible = visible || auth::CanRead(who, *cat, c);
        if (!visible) return ErrorResponse(403, "用户 " + id + " 不在您负责的单位内", "users");
        to.insert(u.id);
        found = true;
      }
    if (!found) return ErrorResponse(409, "没有用户 " + id, "users");
  }
  if (to.empty()) return ErrorResponse(409, "没有收件人", "users");
  std::vector<storage::MessageRecord> msgs;
  for (auto id : to) {
    storage::MessageRecord m;
    m.uid = RandomUid();
    m.subject = subject;
    m.text = text;
    m.sender = who.name();
    m.recipient_user_id = id;
    m.created = NowMillis();
    msgs.push_back(std::move(m));
  }
  if (Status s = app.store().SendMessages(msgs); !s.ok()) return ErrorResponse(s);
  return JsonResponse({{"status", "OK"}, {"recipients", static_cast<int>(msgs.size())}}, 201);
}

// POST /api/messageConversations/read ["uid", …]
Response MarkRead(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto ids = Ids(*body, "", "id");
  if (!ids.ok()) return ErrorResponse(ids.status());
  for (const auto& id : *ids)
    if (Status s = app.store().MarkMessageRead(id, Caller(req).user.id); !s.ok())
      return ErrorResponse(s);
  return JsonResponse({{"status", "OK"}});
}

}  // namespace

std::vector<Route> ApprovalRoutes() {
  using A = ApprovalService::Action;
  const auto read = Needs(auth::Authority::kDataRead);
  const auto approve = Needs(auth::Authority::kDataApprove);
  return {
      {"GET", "/api/dataApprovalLevels", Levels, read},
      {"GET", "/api/dataApprovalWorkflows", Workflows, read},
      {"GET", "/api/dataApprovalWorkflows/{id}", Workflows, read},
      {"GET", "/api/dataApprovals", GetApproval, read},
      {"POST", "/api/dataApprovals",
       [](const Request& r, App& a) { return Act(r, a, A::kApprove); }, approve},
      {"DELETE", "/api/dataApprovals",
       [](const Request& r, App& a) { return Act(r, a, A::kUnapprove); }, approve},
      {"POST", "/api/dataAcceptances",
       [](const Request& r, App& a) { return Act(r, a, A::kAccept); }, approve},
      {"DELETE", "/api/dataAcceptances",
       [](const Request& r, App& a) { return Act(r, a, A::kUnaccept); }, approve},
      {"GET", "/api/dataApprovals/approvals", ListApprovals, read},
      {"POST", "/api/dataApprovals/approvals",
       [](const Request& r, App& a) { return Bulk(r, a, A::kApprove); }, approve},
      {"POST", "/api/dataApprovals/unapprovals",
       [](const Request& r, App& a) { return Bulk(r, a, A::kUnapprove); }, approve},
      {"POST", "/api/dataApprovals/returns",
       [](const Request& r, App& a) { return Bulk(r, a, A::kReturn); }, approve},
      {"GET", "/api/lockExceptions", LockExceptions, read},
      {"POST", "/api/lockExceptions",
       [](const Request& r, App& a) { return ChangeLockException(r, a, true); },
       Needs(auth::Authority::kMetadataWrite)},
      {"DELETE", "/api/lockExceptions",
       [](const Request& r, App& a) { return ChangeLockException(r, a, false); },
       Needs(auth::Authority::kMetadataWrite)},
      {"GET", "/api/approvalGrid", Grid, read},
      {"POST", "/api/approvalGrid/remind", Remind, read},
      {"GET", "/api/dataEntry/due", Due, read},
      {"GET", "/api/messageConversations", Messages, SignedIn()},
      {"POST", "/api/messageConversations", SendMessage, read},
      {"POST", "/api/messageConversations/read", MarkRead, SignedIn()},
  };
}

}  // namespace weijian::http
