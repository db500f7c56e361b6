// Objects that belong to a unit: portal articles (and their attachments) and report templates.
//
// The rule (DESIGN.md "Permissions"): an object belongs to the unit of the editor who created it;
// it is changed by editors whose write scope covers that unit, read by those whose read scope
// does, and is read-only below it (a county editor reads the city's template, never overwrites
// or withdraws the city's article). An object with no owner is shared by the whole instance
// (built-in templates, content from before owners were kept) and only superusers change it.
// Refusals name the object as the caller sent it, never its unit.
#pragma once

#include <optional>
#include <string>

#include "auth/principal.h"
#include "core/status.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::auth {

inline constexpr const char* kArticleObject = "article";
inline constexpr const char* kReportTemplateObject = "report_template";

class OwnedObjects {
 public:
  explicit OwnedObjects(storage::Store& store) : store_(store) {}

  // OK when `p` may change the object; PermissionDenied naming `shown_as` otherwise.
  Status CheckWrite(const Principal& p, const metadata::Catalog& cat, const std::string& kind,
                    const std::string& key, const std::string& shown_as);
  // OK when `p` may read the object's unpublished state (drafts, draft attachments).
  Status CheckRead(const Principal& p, const metadata::Catalog& cat, const std::string& kind,
                   const std::string& key, const std::string& shown_as);
  // Records that a new object belongs to `p`'s unit (his first data-entry unit, else his first
  // view unit). A superuser's objects stay shared.
  Status Claim(const Principal& p, const std::string& kind, const std::string& key);
  // Records that an object belongs to `org_unit_id` (a data release: the unit it reports on).
  Status Assign(const std::string& kind, const std::string& key, std::int64_t org_unit_id) {
    return store_.SetObjectOwner(kind, key, org_unit_id);
  }

 private:
  storage::Store& store_;
};

}  // namespace weijian::auth
