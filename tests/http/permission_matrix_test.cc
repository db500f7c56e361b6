// The permission model as a table (one row per route), run as a matrix: every route × every
// role {superuser, city admin, county admin, county editor, township clerk, viewer, anonymous}
// × every relation of the target to the caller's unit {own unit, child, sibling, parent, object
// shared by all}. The same table, in words, is src/README.md "Permissions".
//
// A route registered without a row fails PermissionMatrix.EveryRouteHasARow, which lists the
// missing routes: add a row here (and a line to src/README.md) for each new endpoint.
#include <sodium.h>

#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "http/router.h"
#include "http/server_env.h"

namespace weijian::http {
namespace {

using auth::Authority;

// --- the table ---

// Who passes the route's door.
enum class Gate { kPublic, kOptional, kSignedIn, kAuthority };
// What decides beyond the door, from the target's relation to the caller's unit.
enum class Rule {
  kNone,          // nothing about units: the door decides (relation: shared)
  kRead,          // the unit must be in the caller's read scope
  kWrite,         // … in his write scope
  kReadOrPublic,  // anyone may read a division; signed-in callers by read scope
  kManage,        // a user at the unit: the caller must hold authority over his units and roles
  kOwnerRead,     // an object belonging to the unit: read within read scope; shared: everyone
  kOwnerWrite,    // … changed within write scope; shared: superusers only
  kNoToken,       // refused to every caller signed in by an API token (the matrix's callers)
  kOwnImport,     // an import: its importer, or an admin whose scope covers the importer
  kInstance,      // the whole instance's: superusers, and admins whose units cover all of it (the
                  // demo's 鄂尔多斯市, 1506: the city's admin, not a county's)
};

struct Call {
  std::string method, path, body, content_type = "application/json";
};
struct Target {
  std::string unit;    // code of the unit the relation names ("" for shared)
  std::string object;  // the object at that unit (user name, article uid, template name)
};
struct Row {
  std::string method, pattern;
  Gate gate;
  Authority authority = Authority::kAll;
  Rule rule = Rule::kNone;
  std::function<Call(const Target&)> make = {};
  bool hides = false;  // refusals look like "not found" (404)
  // A refusal reported inside a 2xx/409 body (imports report out-of-scope rows as conflicts).
  std::string refusal_text = {};
  // A second authority the caller must hold (publishing figures also needs reading them).
  std::optional<Authority> also = std::nullopt;
};

std::vector<Row> Table() {
  auto get = [](std::string path) {
    return [path](const Target&) { return Call{"GET", path, ""}; };
  };
  auto post = [](std::string path, std::string body = "{}") {
    return [path, body](const Target&) { return Call{"POST", path, body}; };
  };
  const std::string de = "&de=VC_VISITS&pe=202305";
  std::vector<Row> rows = {
      // sign-in and one's own account
      {"POST",
       "/api/auth/login",
       Gate::kPublic,
       {},
       Rule::kNone,
       post("/api/auth/login", R"({"username":"nobody-at-all"})")},
      {"POST", "/api/auth/logout", Gate::kSignedIn, {}, Rule::kNone, post("/api/auth/logout")},
      {"GET", "/api/me", Gate::kSignedIn, {}, Rule::kNone, get("/api/me")},
      {"POST",
       "/api/apiToken",
       Gate::kSignedIn,
       {},
       Rule::kNoToken,
       post("/api/apiToken", R"({"name":"矩阵"})")},
      {"GET", "/api/apiToken", Gate::kSignedIn, {}, Rule::kNone, get("/api/apiToken")},
      {"DELETE",
       "/api/apiToken/{id}",
       Gate::kSignedIn,
       {},
       Rule::kNone,
       [](const Target&) {
         return Call{"DELETE", "/api/apiToken/Xmatrix0001", ""};
       }},
      // users
      {"GET", "/api/users", Gate::kAuthority, Authority::kUserManage, Rule::kNone,
       get("/api/users")},
      {"POST", "/api/users", Gate::kAuthority, Authority::kUserManage, Rule::kWrite,
       [](const Target& t) {
         static int n = 0;
         json body = {{"username", "mxnew" + std::to_string(++n)},
                      {"password", "草原深处的卫生院-2025"},
                      {"roles", {"viewer"}},
                      {"organisationUnits", {{{"code", t.unit}}}}};
         return Call{"POST", "/api/users", body.dump()};
       }},
      {"GET", "/api/users/{username}", Gate::kAuthority, Authority::kUserManage, Rule::kManage,
       [](const Target& t) {
         return Call{"GET", "/api/users/" + t.object, ""};
       },
       true},
      {"POST", "/api/users/{username}/disable", Gate::kAuthority, Authority::kUserManage,
       Rule::kManage,
       [](const Target& t) {
         return Call{"POST", "/api/users/" + t.object + "/disable", ""};
       },
       true},
      {"POST", "/api/users/{username}/enable", Gate::kAuthority, Authority::kUserManage,
       Rule::kManage,
       [](const Target& t) {
         return Call{"POST", "/api/users/" + t.object + "/enable", ""};
       },
       true},
      {"POST", "/api/users/{username}/password", Gate::kAuthority, Authority::kUserManage,
       Rule::kManage,
       [](const Target& t) {
         return Call{"POST", "/api/users/" + t.object + "/password",
                     R"({"password":"黄河几字弯-2026-春天"})"};
       },
       true},
      // audit trail, system
      {"GET", "/api/audits", Gate::kAuthority, Authority::kAuditRead, Rule::kRead,
       [](const Target& t) {
         return Call{"GET", "/api/audits?orgUnit=" + t.unit, ""};
       }},
      {"GET", "/api/system/info", Gate::kSignedIn, {}, Rule::kNone, get("/api/system/info")},
      // org units and metadata
      {"GET",
       "/api/organisationUnits",
       Gate::kOptional,
       {},
       Rule::kNone,
       get("/api/organisationUnits?level=3")},
      {"POST", "/api/organisationUnits", Gate::kAuthority, Authority::kMetadataWrite, Rule::kWrite,
       [](const Target& t) {
         return Call{"POST", "/api/organisationUnits",
                     json{{"parent", {{"code", t.unit}}}}.dump()};  // no name: 409 after scope
       }},
      {"GET",
       "/api/organisationUnits/{id}",
       Gate::kOptional,
       {},
       Rule::kReadOrPublic,
       [](const Target& t) {
         return Call{"GET", "/api/organisationUnits/" + t.unit, ""};
       }},
      {"GET",
       "/api/metadata",
       Gate::kSignedIn,
       {},
       Rule::kNone,
       get("/api/metadata?organisationUnits=false")},
      {"POST", "/api/metadata", Gate::kAuthority, Authority::kMetadataWrite, Rule::kWrite,
       [](const Target& t) {
         json ds = {{"code", "MX_DS_NEW"}, {"organisationUnits", {{{"code", t.unit}}}}};
         return Call{"POST", "/api/metadata", json{{"dataSets", {ds}}}.dump()};  // no name
       }},
      // data values
      {"GET", "/api/dataValues", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [de](const Target& t) {
         return Call{"GET", "/api/dataValues?ou=" + t.unit + de, ""};
       }},
      {"POST", "/api/dataValues", Gate::kAuthority, Authority::kDataWrite, Rule::kWrite,
       [](const Target& t) {
         json v = {{"dataElement", "VC_VISITS"},
                   {"period", "202305"},
                   {"orgUnit", t.unit},
                   {"value", "不是数字"}};
         return Call{"POST", "/api/dataValues", v.dump()};
       }},
      {"DELETE", "/api/dataValues", Gate::kAuthority, Authority::kDataWrite, Rule::kWrite,
       [](const Target& t) {
         return Call{"DELETE", "/api/dataValues?de=VC_VISITS&pe=190001&ou=" + t.unit, ""};
       }},
      {"GET", "/api/audits/dataValue", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [de](const Target& t) {
         return Call{"GET", "/api/audits/dataValue?ou=" + t.unit + de, ""};
       }},
      {"GET", "/api/dataEntry/form", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{
             "GET",
             "/api/dataEntry/form?dataSet=DS_VILLAGE_MONTHLY&period=202305&orgUnit=" + t.unit, ""};
       }},
      {"POST", "/api/dataEntry/complete", Gate::kAuthority, Authority::kDataWrite, Rule::kWrite,
       [](const Target& t) {
         return Call{
             "POST",
             "/api/dataEntry/complete?dataSet=DS_VILLAGE_MONTHLY&period=190001&orgUnit=" + t.unit,
             ""};
       }},
      {"DELETE", "/api/dataEntry/complete", Gate::kAuthority, Authority::kDataWrite, Rule::kWrite,
       [](const Target& t) {
         return Call{
             "DELETE",
             "/api/dataEntry/complete?dataSet=DS_VILLAGE_MONTHLY&period=190001&orgUnit=" + t.unit,
             ""};
       }},
      {"POST", "/api/dataValueSets", Gate::kAuthority, Authority::kDataWrite, Rule::kWrite,
       [](const Target& t) {
         return Call{"POST", "/api/dataValueSets?dryRun=true&idScheme=code",
                     "dataelement,period,orgunit,catoptcombo,attroptcombo,value\nVC_VISITS,"
                     "202305," +
                         t.unit + ",,,1\n",
                     "application/csv"};
       },
       false, "outside your org units"},
      {"GET", "/api/dataValueSets", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{
             "GET", "/api/dataValueSets?dataSet=DS_VILLAGE_MONTHLY&period=202305&orgUnit=" + t.unit,
             ""};
       }},
      {"GET", "/api/dataValueSets/imports/{id}", Gate::kAuthority, Authority::kDataRead,
       Rule::kOwnImport,
       [](const Target& t) {
         return Call{"GET", "/api/dataValueSets/imports/" + t.object, ""};
       },
       true},
      // analytics
      {"GET", "/api/analytics", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{"GET",
                     "/api/analytics?dimension=dx:VC_VISITS&filter=pe:2023&dimension=ou:" + t.unit,
                     ""};
       }},
      {"POST",
       "/api/expressions/description",
       Gate::kSignedIn,
       {},
       Rule::kNone,
       post("/api/expressions/description", R"({"expression":"#{VC_VISITS}"})")},
      {"GET", "/api/analytics.xlsx", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{
             "GET",
             "/api/analytics.xlsx?dimension=dx:VC_VISITS&filter=pe:2023&dimension=ou:" + t.unit,
             ""};
       }},
      // the public portal
      {"GET", "/", Gate::kPublic, {}, Rule::kNone, get("/")},
      {"GET", "/column/{code}", Gate::kPublic, {}, Rule::kNone, get("/column/gzdt")},
      {"GET", "/article/{uid}", Gate::kPublic, {}, Rule::kNone, get("/article/Xmatrix0001")},
      {"GET", "/search", Gate::kPublic, {}, Rule::kNone, get("/search?q=%E5%8D%AB")},
      {"GET", "/feed/{file}", Gate::kPublic, {}, Rule::kNone, get("/feed/gzdt.xml")},
      {"GET", "/sitemap.xml", Gate::kPublic, {}, Rule::kNone, get("/sitemap.xml")},
      {"GET", "/qr.svg", Gate::kPublic, {}, Rule::kNone, get("/qr.svg?path=/")},
      {"GET", "/prefs", Gate::kPublic, {}, Rule::kNone, get("/prefs?elder=1&back=/")},
      {"GET",
       "/files/{uid}/{name}",
       Gate::kOptional,
       {},
       Rule::kNone,
       get("/files/Xmatrix0001/a.png")},
      {"GET", "/static/{name}", Gate::kPublic, {}, Rule::kNone, get("/static/portal.js")},
      // the editors' portal API
      {"GET", "/api/articles", Gate::kAuthority, Authority::kPortalWrite, Rule::kNone,
       get("/api/articles")},
      {"POST", "/api/articles", Gate::kAuthority, Authority::kPortalWrite, Rule::kNone,
       post("/api/articles", R"({"column":"gzdt"})")},
      {"POST", "/api/articles/preview", Gate::kAuthority, Authority::kPortalWrite, Rule::kNone,
       post("/api/articles/preview", R"({"body":"**好**"})")},
      {"GET", "/api/articles/{uid}", Gate::kAuthority, Authority::kPortalWrite, Rule::kOwnerRead,
       [](const Target& t) {
         return Call{"GET", "/api/articles/" + t.object, ""};
       }},
      {"PUT", "/api/articles/{uid}", Gate::kAuthority, Authority::kPortalWrite, Rule::kOwnerWrite,
       [](const Target& t) {
         return Call{"PUT", "/api/articles/" + t.object,
                     R"({"column":"gzdt","title":"矩阵测试","body":"正文"})"};
       }},
      {"POST", "/api/articles/{uid}/publish", Gate::kAuthority, Authority::kPortalWrite,
       Rule::kOwnerWrite,
       [](const Target& t) {
         return Call{"POST", "/api/articles/" + t.object + "/publish?publishAt=2099-01-01T08:00",
                     ""};
       }},
      {"POST", "/api/articles/{uid}/withdraw", Gate::kAuthority, Authority::kPortalWrite,
       Rule::kOwnerWrite,
       [](const Target& t) {
         return Call{"POST", "/api/articles/" + t.object + "/withdraw", ""};
       }},
      {"GET", "/api/articles/{uid}/versions", Gate::kAuthority, Authority::kPortalWrite,
       Rule::kOwnerRead,
       [](const Target& t) {
         return Call{"GET", "/api/articles/" + t.object + "/versions", ""};
       }},
      {"POST", "/api/articles/{uid}/attachments", Gate::kAuthority, Authority::kPortalWrite,
       Rule::kOwnerWrite,
       [](const Target& t) {
         return Call{"POST", "/api/articles/" + t.object + "/attachments?name=a.png",
                     "<html></html>", "application/octet-stream"};
       }},
      {"POST", "/api/dataReleases", Gate::kAuthority, Authority::kPortalWrite, Rule::kRead,
       [](const Target& t) {
         return Call{"POST", "/api/dataReleases",
                     json{{"program", "liangai"}, {"year", 1900}, {"orgUnit", t.unit}}.dump()};
       }},
      {"GET", "/api/site/settings", Gate::kSignedIn, {}, Rule::kNone, get("/api/site/settings")},
      {"PUT", "/api/site/settings", Gate::kAuthority, Authority::kMetadataWrite, Rule::kInstance,
       [](const Target&) {
         return Call{"PUT", "/api/site/settings", R"({"nosuch":"x"})"};
       }},
      // the workbench
      {"GET", "/admin", Gate::kOptional, {}, Rule::kNone, get("/admin")},
      {"GET", "/admin/login", Gate::kOptional, {}, Rule::kNone, get("/admin/login")},
      {"GET", "/admin/{page}", Gate::kOptional, {}, Rule::kNone, get("/admin/entry")},
      {"GET", "/api/programs", Gate::kSignedIn, {}, Rule::kNone, get("/api/programs")},
      // reports
      {"GET",
       "/api/reportTemplates",
       Gate::kSignedIn,
       {},
       Rule::kNone,
       get("/api/reportTemplates")},
      {"GET",
       "/api/reportTemplates/{name}",
       Gate::kSignedIn,
       {},
       Rule::kNone,
       get("/api/reportTemplates/progress")},
      {"PUT", "/api/reportTemplates/{name}", Gate::kAuthority, Authority::kPortalWrite,
       Rule::kOwnerWrite,
       [](const Target& t) {
         static const std::string progress = [] {
           return Body(Get("/api/reportTemplates/progress")).dump();
         }();
         return Call{"PUT", "/api/reportTemplates/" + t.object, progress};
       }},
      {"GET", "/api/reports/preview", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{"GET", "/api/reports/preview?template=progress&period=2023&ou=" + t.unit, ""};
       }},
      {"GET", "/api/reports/render", Gate::kAuthority, Authority::kDataRead, Rule::kRead,
       [](const Target& t) {
         return Call{"GET",
                     "/api/reports/render?template=progress&period=2023&format=odt&ou=" + t.unit,
                     ""};
       }},
      {"POST", "/api/reports/publish", Gate::kAuthority, Authority::kPortalWrite, Rule::kRead,
       [](const Target& t) {
         json b = {{"template", "progress"},
                   {"period", "2023"},
                   {"ou", t.unit},
                   {"column", "no-such-column"},
                   {"note", "矩阵"}};
         return Call{"POST", "/api/reports/publish", b.dump()};
       },
       false, "", Authority::kDataRead},
      {"GET", "/api/reports", Gate::kSignedIn, {}, Rule::kNone, get("/api/reports")},
  };
  // The read-only metadata collections.
  for (const char* c :
       {"categoryOptions", "categories", "categoryCombos", "categoryOptionCombos", "dataElements",
        "dataSets", "indicatorTypes", "indicators", "organisationUnitGroups", "constants",
        "validationRules", "validationRuleGroups",
        // kept as documents (issue 14)
        "optionSets", "options", "legendSets", "attributes", "dataElementGroups",
        "dataElementGroupSets", "indicatorGroups", "organisationUnitGroupSets",
        "categoryOptionGroups", "categoryOptionGroupSets", "organisationUnitLevels"}) {
    rows.push_back({"GET",
                    std::string("/api/") + c,
                    Gate::kSignedIn,
                    {},
                    Rule::kNone,
                    get(std::string("/api/") + c)});
    rows.push_back({"GET",
                    std::string("/api/") + c + "/{id}",
                    Gate::kSignedIn,
                    {},
                    Rule::kNone,
                    get(std::string("/api/") + c + "/Xmatrix0001")});
  }
  // Routes whose unit scope is tested by their own suites (validation_test.cc, approval_test.cc,
  // dhis2_test.cc): here only the door (authority or sign-in) is checked, with calls that name
  // no unit.
  struct DoorOnly {
    const char* method;
    const char* pattern;
    Gate gate;
    Authority authority;
    const char* path;
  };
  const DoorOnly door_only[] = {
      {"POST", "/api/dataValueSets.xml", Gate::kAuthority, Authority::kDataWrite,
       "/api/dataValueSets.xml?dryRun=true"},
      {"POST", "/api/dataValueSets.csv", Gate::kAuthority, Authority::kDataWrite,
       "/api/dataValueSets.csv?dryRun=true"},
      {"POST", "/api/dataValueSets.adx", Gate::kAuthority, Authority::kDataWrite,
       "/api/dataValueSets.adx?dryRun=true"},
      {"GET", "/api/dataValueSets.xml", Gate::kAuthority, Authority::kDataRead,
       "/api/dataValueSets.xml"},
      {"GET", "/api/dataValueSets.csv", Gate::kAuthority, Authority::kDataRead,
       "/api/dataValueSets.csv"},
      {"GET", "/api/dataValueSets.adx", Gate::kAuthority, Authority::kDataRead,
       "/api/dataValueSets.adx"},
      {"GET", "/api/system/tasks/{type}/{id}", Gate::kSignedIn, Authority::kAll,
       "/api/system/tasks/DATAVALUE_IMPORT/Xmatrix0001"},
      {"GET", "/api/system/taskSummaries/{type}/{id}", Gate::kSignedIn, Authority::kAll,
       "/api/system/taskSummaries/DATAVALUE_IMPORT/Xmatrix0001"},
      {"GET", "/api/analytics.csv", Gate::kAuthority, Authority::kDataRead, "/api/analytics.csv"},
      {"GET", "/api/analytics/dataValueSet", Gate::kAuthority, Authority::kDataRead,
       "/api/analytics/dataValueSet"},
      {"GET", "/sitemap", Gate::kPublic, Authority::kAll, "/sitemap"},
      {"GET", "/api/dataApprovalLevels", Gate::kAuthority, Authority::kDataRead,
       "/api/dataApprovalLevels"},
      {"GET", "/api/dataApprovalWorkflows", Gate::kAuthority, Authority::kDataRead,
       "/api/dataApprovalWorkflows"},
      {"GET", "/api/dataApprovalWorkflows/{id}", Gate::kAuthority, Authority::kDataRead,
       "/api/dataApprovalWorkflows/Xmatrix0001"},
      {"GET", "/api/dataApprovals", Gate::kAuthority, Authority::kDataRead, "/api/dataApprovals"},
      {"POST", "/api/dataApprovals", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataApprovals"},
      {"DELETE", "/api/dataApprovals", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataApprovals"},
      {"POST", "/api/dataAcceptances", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataAcceptances"},
      {"DELETE", "/api/dataAcceptances", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataAcceptances"},
      {"GET", "/api/dataApprovals/approvals", Gate::kAuthority, Authority::kDataRead,
       "/api/dataApprovals/approvals"},
      {"POST", "/api/dataApprovals/approvals", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataApprovals/approvals"},
      {"POST", "/api/dataApprovals/unapprovals", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataApprovals/unapprovals"},
      {"POST", "/api/dataApprovals/returns", Gate::kAuthority, Authority::kDataApprove,
       "/api/dataApprovals/returns"},
      {"GET", "/api/lockExceptions", Gate::kAuthority, Authority::kDataRead, "/api/lockExceptions"},
      // Federation (issue 16): the targets are the instance's own settings (admins); the
      // sources' receipts are filtered to the caller's units (tests/cli/federation_test.sh).
      {"GET", "/api/federation/targets", Gate::kAuthority, Authority::kMetadataWrite,
       "/api/federation/targets"},
      {"GET", "/api/federation/sources", Gate::kAuthority, Authority::kDataRead,
       "/api/federation/sources"},
      {"POST", "/api/lockExceptions", Gate::kAuthority, Authority::kMetadataWrite,
       "/api/lockExceptions"},
      {"DELETE", "/api/lockExceptions", Gate::kAuthority, Authority::kMetadataWrite,
       "/api/lockExceptions"},
      {"GET", "/api/approvalGrid", Gate::kAuthority, Authority::kDataRead, "/api/approvalGrid"},
      {"POST", "/api/approvalGrid/remind", Gate::kAuthority, Authority::kDataRead,
       "/api/approvalGrid/remind"},
      {"GET", "/api/dataEntry/due", Gate::kAuthority, Authority::kDataRead, "/api/dataEntry/due"},
      {"GET", "/api/messageConversations", Gate::kSignedIn, Authority::kAll,
       "/api/messageConversations"},
      {"POST", "/api/messageConversations", Gate::kAuthority, Authority::kDataRead,
       "/api/messageConversations"},
      {"POST", "/api/messageConversations/read", Gate::kSignedIn, Authority::kAll,
       "/api/messageConversations/read"},
      {"GET", "/api/validation/dataSet/{ds}", Gate::kAuthority, Authority::kDataRead,
       "/api/validation/dataSet/Xmatrix0001"},
      {"POST", "/api/dataAnalysis/validationRules", Gate::kAuthority, Authority::kDataRead,
       "/api/dataAnalysis/validationRules"},
      {"GET", "/api/validationResults", Gate::kAuthority, Authority::kDataRead,
       "/api/validationResults?ou=Xmatrix0001"},
      {"GET", "/api/minMaxDataElements", Gate::kAuthority, Authority::kDataRead,
       "/api/minMaxDataElements?ou=Xmatrix0001"},
      {"POST", "/api/minMaxDataElements", Gate::kAuthority, Authority::kDataWrite,
       "/api/minMaxDataElements"},
      {"DELETE", "/api/minMaxDataElements", Gate::kAuthority, Authority::kDataWrite,
       "/api/minMaxDataElements"},
      {"POST", "/api/minMaxValues/{ds}/{ou}", Gate::kAuthority, Authority::kDataWrite,
       "/api/minMaxValues/Xmatrix0001/Xmatrix0002"},
      {"GET", "/api/outlierDetection", Gate::kAuthority, Authority::kDataRead,
       "/api/outlierDetection"},
      // Children's records: units and masking are tested in immunization_test.cc.
      {"GET", "/api/immunization/children", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/children"},
      {"POST", "/api/immunization/children", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/children"},
      {"GET", "/api/immunization/children/{uid}", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/children/Xmatrix0001"},
      {"POST", "/api/immunization/doses", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/doses"},
      {"GET", "/api/immunization/forecast", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/forecast?te=Xmatrix0001"},
      {"POST", "/api/immunization/children/{uid}/transfers", Gate::kAuthority,
       Authority::kDataWrite, "/api/immunization/children/Xmatrix0001/transfers"},
      {"GET", "/api/immunization/due", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/due"},
      {"GET", "/api/immunization/due.xlsx", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/due.xlsx"},
      // Holds, AEFI, stock, prints and 入托入学查验: scope tested in immunization_stock_test.cc.
      {"POST", "/api/immunization/children/{uid}/holds", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/children/Xmatrix0001/holds"},
      {"POST", "/api/immunization/children/{uid}/holds/{hold}/lift", Gate::kAuthority,
       Authority::kDataWrite, "/api/immunization/children/Xmatrix0001/holds/Xmatrix0002/lift"},
      {"POST", "/api/immunization/children/{uid}/aefi", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/children/Xmatrix0001/aefi"},
      {"GET", "/api/immunization/aefi", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/aefi"},
      {"GET", "/api/immunization/monthlyDoses", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/monthlyDoses"},
      {"GET", "/api/immunization/stock", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/stock"},
      {"GET", "/api/immunization/stock/movements", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/stock/movements"},
      {"POST", "/api/immunization/stock/movements", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/stock/movements"},
      {"POST", "/api/immunization/stock/counts", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/stock/counts"},
      {"GET", "/api/immunization/children/{uid}/certificate", Gate::kAuthority,
       Authority::kDataRead, "/api/immunization/children/Xmatrix0001/certificate"},
      {"GET", "/api/immunization/children/{uid}/certificate.pdf", Gate::kAuthority,
       Authority::kDataRead, "/api/immunization/children/Xmatrix0001/certificate.pdf"},
      {"GET", "/api/immunization/children/{uid}/notice", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/children/Xmatrix0001/notice"},
      {"GET", "/api/immunization/children/{uid}/notice.pdf", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/children/Xmatrix0001/notice.pdf"},
      {"POST", "/api/immunization/school-check", Gate::kAuthority, Authority::kDataRead,
       "/api/immunization/school-check"},
      // DHIS2's tracker API and the 接种卡 register: scope and masking in tracker_exchange_test.cc.
      {"POST", "/api/tracker", Gate::kAuthority, Authority::kDataWrite, "/api/tracker"},
      {"GET", "/api/tracker/trackedEntities", Gate::kAuthority, Authority::kDataRead,
       "/api/tracker/trackedEntities?orgUnit=Xmatrix0001"},
      {"GET", "/api/tracker/trackedEntities/{uid}", Gate::kAuthority, Authority::kDataRead,
       "/api/tracker/trackedEntities/Xmatrix0001"},
      {"GET", "/api/tracker/enrollments", Gate::kAuthority, Authority::kDataRead,
       "/api/tracker/enrollments?orgUnit=Xmatrix0001"},
      {"GET", "/api/tracker/events", Gate::kAuthority, Authority::kDataRead,
       "/api/tracker/events?orgUnit=Xmatrix0001"},
      {"GET", "/api/tracker/programs", Gate::kSignedIn, Authority::kAll, "/api/tracker/programs"},
      {"GET", "/api/programIndicators", Gate::kSignedIn, Authority::kAll, "/api/programIndicators"},
      {"POST", "/api/immunization/import", Gate::kAuthority, Authority::kDataWrite,
       "/api/immunization/import"},
      // issue 15: the column tree (scope by owning unit: tests/http/message_test.cc) and the
      // message board (public pages; staff by the unit a message is routed to).
      {"GET", "/api/portal/columns", Gate::kAuthority, Authority::kPortalWrite,
       "/api/portal/columns"},
      {"POST", "/api/portal/columns", Gate::kAuthority, Authority::kPortalWrite,
       "/api/portal/columns"},
      {"PUT", "/api/portal/columns/{code}", Gate::kAuthority, Authority::kPortalWrite,
       "/api/portal/columns/mxnone"},
      {"DELETE", "/api/portal/columns/{code}", Gate::kAuthority, Authority::kPortalWrite,
       "/api/portal/columns/mxnone"},
      {"GET", "/api/portal/health", Gate::kAuthority, Authority::kPortalWrite,
       "/api/portal/health"},
      {"GET", "/messages", Gate::kPublic, Authority::kAll, "/messages"},
      {"GET", "/messages/new", Gate::kPublic, Authority::kAll, "/messages/new"},
      {"POST", "/messages", Gate::kPublic, Authority::kAll, "/messages"},
      {"GET", "/messages/query", Gate::kPublic, Authority::kAll, "/messages/query?code=X"},
      {"GET", "/messages/{id}", Gate::kPublic, Authority::kAll, "/messages/999999"},
      {"GET", "/api/citizenMessages", Gate::kAuthority, Authority::kPortalWrite,
       "/api/citizenMessages"},
      {"POST", "/api/citizenMessages/{id}/route", Gate::kAuthority, Authority::kPortalWrite,
       "/api/citizenMessages/999999/route"},
      {"POST", "/api/citizenMessages/{id}/reply", Gate::kAuthority, Authority::kPortalWrite,
       "/api/citizenMessages/999999/reply"},
      {"POST", "/api/citizenMessages/{id}/publish", Gate::kAuthority, Authority::kPortalWrite,
       "/api/citizenMessages/999999/publish"},
      {"POST", "/api/citizenMessages/{id}/reject", Gate::kAuthority, Authority::kPortalWrite,
       "/api/citizenMessages/999999/reject"},
  };
  for (const auto& d : door_only) {
    const std::string method = d.method, path = d.path;
    rows.push_back(
        {method, d.pattern, d.gate, d.authority, Rule::kNone, [method, path](const Target&) {
           return Call{method, path, ""};
         }});
  }
  return rows;
}

// --- the actors and their relations ---

struct Actor {
  std::string name;  // "" anonymous
  std::string role;
  std::string unit;
};
const std::vector<Actor>& Actors() {
  static const std::vector<Actor> kActors = {{"root", "superuser", "15"},
                                             {"city_admin_t", "admin", "1506"},
                                             {"county_admin", "admin", "150624"},
                                             {"mx_county_editor", "editor", "150624"},
                                             {"clerk_in", "entry", "150624100"},
                                             {"viewer_in", "viewer", "150624100"},
                                             {"", "", ""}};
  return kActors;
}

enum class Relation { kOwn, kChild, kSibling, kParent, kShared };
const char* RelationName(Relation r) {
  switch (r) {
    case Relation::kOwn:
      return "own unit";
    case Relation::kChild:
      return "child";
    case Relation::kSibling:
      return "sibling";
    case Relation::kParent:
      return "parent";
    case Relation::kShared:
      return "shared";
  }
  return "?";
}

// The unit in `relation` to `code`; "" when there is none (the root has no parent).
std::string Related(const std::string& code, Relation relation) {
  auto cat = env->app->catalog();
  const auto* u = cat->OrgUnits().ByCode(code);
  if (!u) return "";
  const auto* parent = u->parent_id ? cat->OrgUnits().ById(u->parent_id) : nullptr;
  switch (relation) {
    case Relation::kOwn:
      return code;
    case Relation::kChild:
      for (const auto* c : cat->ChildrenOf(u->id))
        if (!c->code.empty() && c->code.find('H') == std::string::npos) return c->code;
      return "";
    case Relation::kSibling:
      if (parent)
        for (const auto* c : cat->ChildrenOf(parent->id))
          if (c->id != u->id && !c->code.empty() && c->code.find('H') == std::string::npos)
            return c->code;
      return "";
    case Relation::kParent:
      return parent ? parent->code : "";
    case Relation::kShared:
      return "";
  }
  return "";
}

bool HasAuthority(const Actor& a, Authority x) {
  for (auto have : auth::RoleAuthorities(a.role))
    if (have == Authority::kAll || have == x) return true;
  return false;
}

// What the table says the outcome must be.
bool Expected(const Row& row, const Actor& a, Relation rel) {
  const bool anonymous = a.name.empty();
  const bool super = a.role == "superuser";
  if (anonymous) {
    if (row.gate != Gate::kPublic && row.gate != Gate::kOptional) return false;
    return true;  // public rows have no unit rule but the divisions (public)
  }
  if (row.gate == Gate::kAuthority && !HasAuthority(a, row.authority)) return false;
  if (row.also && !HasAuthority(a, *row.also)) return false;
  const bool inside = rel == Relation::kOwn || rel == Relation::kChild;
  switch (row.rule) {
    case Rule::kNone:
      return true;
    case Rule::kRead:
    case Rule::kWrite:
    case Rule::kReadOrPublic:
    case Rule::kManage:
      return super || inside;
    case Rule::kOwnerRead:
      return super || inside || rel == Relation::kShared;
    case Rule::kOwnerWrite:
      return super || inside;  // shared objects: superusers only
    case Rule::kNoToken:
      return false;
    case Rule::kOwnImport:
      // The import was made by clerk_in (乌兰镇): he, and admins over 乌兰镇.
      return super || a.name == "clerk_in" || a.role == "admin";
    case Rule::kInstance:
      return super || a.unit == "1506";
  }
  return false;
}

std::vector<Relation> RelationsOf(const Row& row) {
  switch (row.rule) {
    case Rule::kNone:
    case Rule::kNoToken:
    case Rule::kOwnImport:
    case Rule::kInstance:
      return {Relation::kShared};
    case Rule::kOwnerRead:
    case Rule::kOwnerWrite:
      return {Relation::kOwn, Relation::kChild, Relation::kSibling, Relation::kParent,
              Relation::kShared};
    default:
      return {Relation::kOwn, Relation::kChild, Relation::kSibling, Relation::kParent};
  }
}

constexpr const char* kMxPassword = "草原深处的卫生院-2025";

std::string Basic(const std::string& user) {
  const std::string s = user + ":" + kMxPassword;
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return "Basic " + out;
}

// Objects at each unit the matrix names: a user, an article and a report template owned there.
struct Fixture {
  std::map<std::string, std::string> token;    // matrix actor → API token
  std::map<std::string, std::string> article;  // unit code → article uid owned by the unit
  std::string shared_article, import_id;
};

Fixture& Objects() {
  static Fixture f = [] {
    Fixture out;
    std::set<std::string> units;
    for (const auto& a : Actors())
      if (!a.unit.empty())
        for (auto r : {Relation::kOwn, Relation::kChild, Relation::kSibling, Relation::kParent})
          if (auto u = Related(a.unit, r); !u.empty()) units.insert(u);
    for (const auto& u : units) {
      for (const char* role : {"entry", "editor"}) {
        json body = {{"username", std::string(std::string(role) == "entry" ? "mx_" : "mxe_") + u},
                     {"password", kMxPassword},
                     {"roles", {role}},
                     {"organisationUnits", {{{"code", u}}}}};
        auto r = PostJson("/api/users", body.dump());
        EXPECT_EQ(r.status, 201) << r.body;
      }
      auto a = Http(env->port, "POST", "/api/articles",
                    R"({"column":"gzdt","title":"矩阵单位文章","body":"正文"})",
                    {{"Authorization", Basic("mxe_" + u)}, {"Content-Type", "application/json"}});
      EXPECT_EQ(a.status, 201) << a.body;
      if (a.status == 201) out.article[u] = Body(a)["id"].get<std::string>();
      auto t = Http(env->port, "PUT", "/api/reportTemplates/mx-" + u,
                    Body(Get("/api/reportTemplates/progress")).dump(),
                    {{"Authorization", Basic("mxe_" + u)}, {"Content-Type", "application/json"}});
      EXPECT_EQ(t.status, 200) << t.body;
    }
    // The county editor is one of the matrix's roles.
    json editor = {{"username", "mx_county_editor"},
                   {"password", kMxPassword},
                   {"roles", {"editor"}},
                   {"organisationUnits", {{{"code", "150624"}}}}};
    EXPECT_EQ(PostJson("/api/users", editor.dump()).status, 201);
    auto token =
        Http(env->port, "POST", "/api/apiToken", R"({"name":"矩阵"})",
             {{"Authorization", Basic("mx_county_editor")}, {"Content-Type", "application/json"}});
    EXPECT_EQ(token.status, 201) << token.body;
    out.token["mx_county_editor"] =
        token.status == 201 ? Body(token)["token"].get<std::string>() : std::string();
    // A superuser's objects belong to no unit: shared by the whole instance.
    auto shared =
        PostJson("/api/articles", R"({"column":"gzdt","title":"矩阵共用文章","body":"正文"})");
    EXPECT_EQ(shared.status, 201) << shared.body;
    out.shared_article =
        shared.status == 201 ? Body(shared)["id"].get<std::string>() : std::string();
    EXPECT_EQ(As("root", "PUT", "/api/reportTemplates/mx-shared",
                 Body(Get("/api/reportTemplates/progress")).dump())
                  .status,
              200);
    auto imp = AsTyped("clerk_in", "POST", "/api/dataValueSets?idScheme=code",
                       "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
                       "VC_VISITS,201701,150624100005,,,5\n",
                       "application/csv");
    EXPECT_EQ(imp.status, 200) << imp.body;
    out.import_id =
        imp.status == 200 ? Body(imp)["response"]["importId"].get<std::string>() : std::string();
    return out;
  }();
  return f;
}

HttpReply Send(const Actor& a, const Call& c) {
  std::map<std::string, std::string> headers;
  if (!a.name.empty()) {
    auto it = Objects().token.find(a.name);
    headers["Authorization"] =
        "ApiToken " + (it != Objects().token.end() ? it->second : env->tokens.at(a.name));
  }
  if (!c.body.empty()) headers["Content-Type"] = c.content_type;
  return Http(env->port, c.method, c.path, c.body, headers);
}

bool Refused(const Row& row, const HttpReply& r) {
  if (r.status == 401 || r.status == 403) return true;
  if (row.hides && r.status == 404) return true;
  return !row.refusal_text.empty() && r.body.find(row.refusal_text) != std::string::npos;
}

// --- the tests ---

TEST(PermissionMatrix, EveryRouteHasARow) {
  std::set<std::pair<std::string, std::string>> rows;
  for (const auto& row : Table()) rows.insert({row.method, row.pattern});
  std::string missing;
  const Router router = BuildApiRouter();
  for (const auto& route : router.routes())
    if (!rows.count({route.method, route.pattern}))
      missing += "\n  " + route.method + " " + route.pattern;
  EXPECT_TRUE(missing.empty())
      << "routes without a row in the permission table (tests/http/permission_matrix_test.cc "
         "Table(), and src/README.md \"Permissions\"): add one for each:"
      << missing;
}

// The table people read (src/README.md "Permissions") names every route too: literally
// ("`GET /api/users/{u}`"), with an optional tail ("`/api/reportTemplates[/{name}]`"), as a
// prefix ("`/api/dataApprovals*`", "`/api/system/tasks…`"), with other extensions
// ("`/api/dataValueSets.xml\\|.csv`"), or as a last segment beside its parent in the same row
// ("`POST /api/users/{u}`, `disable`"). Parameter names do not matter.
TEST(PermissionMatrix, TheReadmeTableNamesEveryRoute) {
  std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/src/README.md");
  ASSERT_TRUE(in) << "src/README.md";
  std::vector<std::string> rows;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) inside = line == "## Permissions";
    if (inside && line.starts_with("|")) rows.push_back(line);
  }
  ASSERT_GT(rows.size(), 10u);
  auto normal = [](std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '{') {
        i = s.find('}', i);
        if (i == std::string::npos) break;
        out += "{}";
      } else {
        out += s[i];
      }
    }
    return out;
  };
  struct Name {
    std::string path;
    bool prefix = false;
  };
  // The paths one backticked name stands for.
  auto expand = [&](std::string t) {
    std::vector<Name> out;
    for (auto sp = t.find(' '); sp != std::string::npos; sp = t.find(' ')) {
      const std::string word = t.substr(0, sp);
      if (word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ/") != std::string::npos) break;
      t = t.substr(sp + 1);
    }
    std::vector<std::string> alts;
    for (std::size_t at = 0;;) {
      const auto bar = t.find("\\|", at);
      alts.push_back(t.substr(at, bar == std::string::npos ? bar : bar - at));
      if (bar == std::string::npos) break;
      at = bar + 2;
    }
    for (std::size_t i = 1; i < alts.size(); ++i)
      if (alts[i].starts_with(".")) alts[i] = alts[0].substr(0, alts[0].rfind('.')) + alts[i];
    for (std::string a : alts) {
      if (auto open = a.find('['); open != std::string::npos && a.back() == ']') {
        out.push_back({normal(a.substr(0, open))});
        a = a.substr(0, open) + a.substr(open + 1, a.size() - open - 2);
      }
      if (a.ends_with("*")) {
        out.push_back({normal(a.substr(0, a.size() - 1)), true});
      } else if (a.ends_with("…")) {
        out.push_back({normal(a.substr(0, a.size() - std::string("…").size())), true});
      } else {
        out.push_back({normal(a)});
      }
    }
    return out;
  };
  auto matches = [](const std::vector<Name>& names, const std::string& path) {
    for (const auto& n : names)
      if (n.prefix ? path.starts_with(n.path) : path == n.path) return true;
    return false;
  };
  std::vector<std::vector<Name>> named;         // per row: its paths
  std::vector<std::vector<std::string>> words;  // per row: its bare last segments
  for (const auto& row : rows) {
    std::vector<Name> n;
    std::vector<std::string> w;
    // Only the first cell names routes.
    const std::string cell = row.substr(1, row.find(" | ", 1));
    for (auto open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
      const auto close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      const std::string token = cell.substr(open + 1, close - open - 1);
      if (token.find('/') == std::string::npos) {
        w.push_back(token);
      } else {
        for (auto& e : expand(token)) n.push_back(e);
      }
      open = close + 1;
    }
    named.push_back(n);
    words.push_back(w);
  }
  std::string missing;
  const Router router = BuildApiRouter();
  for (const auto& route : router.routes()) {
    const std::string path = normal(route.pattern);
    bool found = false;
    for (std::size_t r = 0; r < named.size() && !found; ++r) {
      found = matches(named[r], path);
      const auto slash = path.rfind('/');
      for (const auto& w : words[r])
        found = found || (path.substr(slash + 1) == w && matches(named[r], path.substr(0, slash)));
    }
    if (!found) missing += "\n  " + route.method + " " + route.pattern;
  }
  EXPECT_TRUE(missing.empty()) << "routes the table in src/README.md \"Permissions\" does not name:"
                               << missing;
}

TEST(PermissionMatrix, EveryRouteRoleAndRelationBehavesAsTheTableSays) {
  Fixture& fx = Objects();
  std::set<std::pair<std::string, std::string>> registered;
  const Router router = BuildApiRouter();
  for (const auto& route : router.routes()) registered.insert({route.method, route.pattern});
  int checked = 0;
  for (const auto& row : Table()) {
    if (!registered.count({row.method, row.pattern})) continue;  // a row for a removed route
    for (const auto& actor : Actors()) {
      for (Relation rel : RelationsOf(row)) {
        Target t;
        if (rel != Relation::kShared) {
          const std::string& home = actor.unit.empty() ? std::string("150624100") : actor.unit;
          t.unit = Related(home, rel);
          if (t.unit.empty()) continue;  // the root has no parent or sibling
          t.object =
              row.rule == Rule::kOwnerRead || row.rule == Rule::kOwnerWrite
                  ? (row.pattern.find("reportTemplates") != std::string::npos ? "mx-" + t.unit
                                                                              : fx.article[t.unit])
                  : "mx_" + t.unit;
        } else {
          t.object = row.pattern.find("reportTemplates") != std::string::npos ? "mx-shared"
                     : row.rule == Rule::kOwnImport                           ? fx.import_id
                                                                              : fx.shared_article;
        }
        const Call call = row.make(t);
        const HttpReply r = Send(actor, call);
        const bool allowed = Expected(row, actor, rel);
        ++checked;
        EXPECT_LT(r.status, 500) << row.method << " " << row.pattern << " as "
                                 << (actor.name.empty() ? "anonymous" : actor.name) << ", "
                                 << RelationName(rel) << ": " << r.body.substr(0, 300);
        EXPECT_EQ(!Refused(row, r), allowed)
            << row.method << " " << row.pattern << " as "
            << (actor.name.empty() ? "anonymous" : actor.name) << " (" << actor.role << "), "
            << RelationName(rel) << " (" << call.method << " " << call.path << "): expected "
            << (allowed ? "allowed" : "refused") << ", got " << r.status << " "
            << r.body.substr(0, 300);
      }
    }
  }
  EXPECT_GT(checked, 500);
}

}  // namespace
}  // namespace weijian::http
