// Immunization records over HTTP: children (tracked entities), doses, transfers, the forecast
// (GET /api/immunization/forecast?te=&date=), the due list of a 接种日
// (GET /api/immunization/due[.xlsx]?ou=&date= or &from=&to=, &village=, &kind=), holds (禁忌/暂缓)
// (lifted early: …/holds/{hold}/lift) and AEFI reports (a county's list: GET
// /api/immunization/aefi), vaccine stock (/api/immunization/stock…, 盘点: …/stock/counts), the
// prints (预防接种证, 预约通知单, as JSON or PDF) and 入托入学查验 (POST
// /api/immunization/school-check). Handlers parse, call the tracker layer's ImmunizationService
// with the caller and map its Status through the one table; the XLSX is written with libxlsxwriter
// (reports::TempWorkbook).
#include "core/date.h"
#include "http/router.h"
#include "reports/workbook.h"
#include "tracker/immunization.h"
#include "tracker/prints.h"

namespace weijian::http {

namespace {

using nlohmann::json;

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

// GET /api/immunization/children?ou= lists a unit's children; with idNumber= or name=&birthDate=
// it finds one child through the blind indexes (the 接种日 page's search).
Response ListChildren(const Request& req, App& app) {
  if (req.Query("idNumber") || req.Query("name") || req.Query("birthDate")) {
    tracker::ChildSearch q{req.Query("idNumber").value_or(""), req.Query("name").value_or(""),
                           req.Query("birthDate").value_or("")};
    auto found = app.immunization().Find(Caller(req), *app.catalog(), q, Today(), NowMillis());
    if (!found.ok()) return ErrorResponse(found.status());
    return JsonResponse(*found);
  }
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

Response Transfer(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::TransferFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().Transfer(Caller(req), *app.catalog(), req.params.at("uid"), *in,
                                         Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response AddHold(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::HoldFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().AddHold(Caller(req), *app.catalog(), req.params.at("uid"), *in,
                                        Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response LiftHold(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::HoldLiftFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().LiftHold(Caller(req), *app.catalog(), req.params.at("uid"),
                                         req.params.at("hold"), *in, Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

// GET /api/immunization/aefi?ou=&from=&to=: by default the 90 days up to today.
Response AefiList(const Request& req, App& app) {
  tracker::AefiListQuery q;
  q.org_unit = req.Query("ou").value_or("");
  auto to = DateParam(req, "to");
  if (!to.ok()) return ErrorResponse(to.status());
  q.to = *to;
  q.from = q.to - std::chrono::days(90);
  if (req.Query("from")) {
    auto from = DateParam(req, "from");
    if (!from.ok()) return ErrorResponse(from.status());
    q.from = *from;
  }
  auto out = app.immunization().AefiList(Caller(req), *app.catalog(), q);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response ReportAefi(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::AefiFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().ReportAefi(Caller(req), *app.catalog(), req.params.at("uid"), *in,
                                           Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response RecordStock(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::StockMovementFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().RecordStock(Caller(req), *app.catalog(), *in, Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response MonthlyDoses(const Request& req, App& app) {
  auto out = app.immunization().MonthlyDoses(
      Caller(req), *app.catalog(), req.Query("ou").value_or(""), req.Query("pe").value_or(""));
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response CountStock(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto in = tracker::StockCountFromJson(*body);
  if (!in.ok()) return ErrorResponse(in.status());
  auto out = app.immunization().CountStock(Caller(req), *app.catalog(), *in, Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, 201);
}

Response Stock(const Request& req, App& app) {
  tracker::StockQuery q;
  q.org_unit = req.Query("ou").value_or("");
  auto date = DateParam(req, "date");
  if (!date.ok()) return ErrorResponse(date.status());
  q.date = *date;
  if (auto days = req.Query("expiringDays"); days && !days->empty()) {
    if (days->size() > 3 || days->find_first_not_of("0123456789") != std::string::npos)
      return ErrorResponse(409, "临期天数应为 0–366 的整数", "expiringDays");
    q.expiring_days = std::stoi(*days);
  }
  // The due lists the stock must cover: by default the next 30 days from `date`.
  q.from = q.date;
  q.to = q.date + std::chrono::days(30);
  if (req.Query("from")) {
    auto from = DateParam(req, "from");
    if (!from.ok()) return ErrorResponse(from.status());
    q.from = *from;
    q.to = q.from + std::chrono::days(30);
  }
  if (req.Query("to")) {
    auto to = DateParam(req, "to");
    if (!to.ok()) return ErrorResponse(to.status());
    q.to = *to;
  }
  auto out = app.immunization().Stock(Caller(req), *app.catalog(), q);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response StockMovements(const Request& req, App& app) {
  auto out = app.immunization().StockMovements(
      Caller(req), *app.catalog(), req.Query("ou").value_or(""), req.Query("vaccine").value_or(""),
      req.Query("lot").value_or(""));
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Result<json> RunCertificate(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(const Date date, DateParam(req, "date"));
  return app.immunization().Certificate(Caller(req), *app.catalog(), req.params.at("uid"), date,
                                        NowMillis());
}

Result<json> RunNotice(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(const Date date, DateParam(req, "date"));
  std::optional<Date> appointment;
  if (req.Query("appointment")) {
    WJ_ASSIGN_OR_RETURN(appointment, DateParam(req, "appointment"));
  }
  return app.immunization().Notice(Caller(req), *app.catalog(), req.params.at("uid"), date,
                                   appointment, NowMillis());
}

Response PdfDownload(const Result<std::string>& bytes, const std::string& filename) {
  if (!bytes.ok()) return ErrorResponse(bytes.status());
  Response r;
  r.content_type = "application/pdf";
  r.body = *bytes;
  r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + filename + "\""});
  return r;
}

Response Certificate(const Request& req, App& app) {
  auto out = RunCertificate(req, app);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response CertificatePdf(const Request& req, App& app) {
  auto out = RunCertificate(req, app);
  if (!out.ok()) return ErrorResponse(out.status());
  return PdfDownload(tracker::CertificatePdf(*out), "certificate.pdf");
}

Response Notice(const Request& req, App& app) {
  auto out = RunNotice(req, app);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response NoticePdf(const Request& req, App& app) {
  auto out = RunNotice(req, app);
  if (!out.ok()) return ErrorResponse(out.status());
  return PdfDownload(tracker::NoticePdf(*out), "notice.pdf");
}

// The class list is the body: CSV (UTF-8) with a header row 身份证号, or 姓名 and 出生日期.
Response SchoolCheck(const Request& req, App& app) {
  auto date = DateParam(req, "date");
  if (!date.ok()) return ErrorResponse(date.status());
  auto out =
      app.immunization().SchoolCheck(Caller(req), *app.catalog(), req.body, *date, NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Result<json> RunDueList(const Request& req, App& app) {
  tracker::DueListQuery q;
  q.org_unit = req.Query("ou").value_or("");
  q.village = req.Query("village").value_or("");
  q.kind = req.Query("kind").value_or("all");
  if (q.kind.empty()) q.kind = "all";
  if (req.Query("date") && (req.Query("from") || req.Query("to")))
    return Conflict("date 与 from/to 只能选一种", "date");
  WJ_ASSIGN_OR_RETURN(q.from, DateParam(req, req.Query("date") ? "date" : "from"));
  q.to = q.from;
  if (req.Query("to")) {
    WJ_ASSIGN_OR_RETURN(q.to, DateParam(req, "to"));
  }
  return app.immunization().DueList(Caller(req), *app.catalog(), q, NowMillis());
}

Response DueList(const Request& req, App& app) {
  auto out = RunDueList(req, app);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

// The due list as a workbook to print: one row per child, the doses in one cell.
Response DueListXlsx(const Request& req, App& app) {
  auto result = RunDueList(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  const json& list = *result;
  reports::TempWorkbook book;
  lxw_workbook* wb = book.get();
  if (!wb) return ErrorResponse(500, "cannot create a workbook in the temporary folder");
  lxw_worksheet* ws = workbook_add_worksheet(wb, "应种名单");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format* wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  const std::string title =
      list["orgUnit"]["name"].get<std::string>() + " 应种名单（" + list["from"].get<std::string>() +
      (list["from"] == list["to"] ? "" : " 至 " + list["to"].get<std::string>()) + "）";
  worksheet_write_string(ws, 0, 0, title.c_str(), bold);
  const char* heads[] = {"村",       "姓名",   "性别", "出生日期",
                         "接种单位", "监护人", "电话", "应种/补种疫苗"};
  for (lxw_col_t c = 0; c < 8; ++c) worksheet_write_string(ws, 2, c, heads[c], bold);
  lxw_row_t r = 3;
  for (const auto& child : list["children"]) {
    std::string guardian, phone, doses;
    if (!child["guardians"].empty()) {
      guardian = child["guardians"][0].value("name", "");
      phone = child["guardians"][0].value("phone", "");
    }
    for (const auto* part : {&child["doses"], &child["held"]})
      for (const auto& d : *part) {
        if (!doses.empty()) doses += "\n";
        doses += d["vaccineName"].get<std::string>() + " 第" +
                 std::to_string(d["dose"].get<int>()) + "剂（" + d["stateName"].get<std::string>() +
                 "）";
      }
    const std::string village =
        child["village"].is_object() ? child["village"].value("name", "") : "";
    const std::string cells[] = {village,
                                 child.value("name", ""),
                                 child.value("sex", "") == "M" ? "男" : "女",
                                 child.value("birthDate", ""),
                                 child["orgUnit"].value("name", ""),
                                 guardian,
                                 phone,
                                 doses};
    for (lxw_col_t c = 0; c < 8; ++c)
      worksheet_write_string(ws, r, c, cells[c].c_str(), c == 7 ? wrap : nullptr);
    ++r;
  }
  worksheet_set_column(ws, 0, 6, 14, nullptr);
  worksheet_set_column(ws, 7, 7, 40, nullptr);
  return XlsxResponse(book.Finish(), "due-list.xlsx");
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
      {"POST", "/api/immunization/children/{uid}/transfers", Transfer, write},
      {"GET", "/api/immunization/due", DueList, read},
      {"GET", "/api/immunization/due.xlsx", DueListXlsx, read},
      {"POST", "/api/immunization/children/{uid}/holds", AddHold, write},
      {"POST", "/api/immunization/children/{uid}/holds/{hold}/lift", LiftHold, write},
      {"POST", "/api/immunization/children/{uid}/aefi", ReportAefi, write},
      {"GET", "/api/immunization/aefi", AefiList, read},
      {"GET", "/api/immunization/monthlyDoses", MonthlyDoses, read},
      {"GET", "/api/immunization/stock", Stock, read},
      {"GET", "/api/immunization/stock/movements", StockMovements, read},
      {"POST", "/api/immunization/stock/movements", RecordStock, write},
      {"POST", "/api/immunization/stock/counts", CountStock, write},
      {"GET", "/api/immunization/children/{uid}/certificate", Certificate, read},
      {"GET", "/api/immunization/children/{uid}/certificate.pdf", CertificatePdf, read,
       Cost::kHeavy},
      {"GET", "/api/immunization/children/{uid}/notice", Notice, read},
      {"GET", "/api/immunization/children/{uid}/notice.pdf", NoticePdf, read, Cost::kHeavy},
      // A read (the class list is checked, nothing is written) sent as a body.
      {"POST", "/api/immunization/school-check", SchoolCheck, read},
  };
}

}  // namespace weijian::http
