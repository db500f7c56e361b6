// The portal's column tree (栏目树): loaded from the store for each page, with the rules an
// administrator edits it under. Invariants kept by Create/Update/Remove: codes are unique slugs;
// every parent exists; the tree has no cycle and is at most three levels deep; an external link
// has an http(s) or site-relative URL; a column with children or articles is never deleted.
// Workload: a few dozen columns, read on every portal page (one small query), edited rarely.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::portal {

using storage::ColumnRecord;

// The kinds a column may have, with their Chinese labels.
struct ColumnKind {
  const char* kind;
  const char* label;
};
const std::vector<ColumnKind>& ColumnKinds();
// Whether articles can be filed in a column of this kind (not an external link).
bool HoldsArticles(const ColumnRecord& c);

class ColumnTree {
 public:
  static Result<ColumnTree> Load(storage::Store& store);
  explicit ColumnTree(std::vector<ColumnRecord> columns);
  const ColumnRecord* Find(std::string_view code) const;
  // Children of `parent_code` ("" : the top level), in order.
  std::vector<const ColumnRecord*> Children(std::string_view parent_code) const;
  // From the top-level column down to `code` (empty when unknown).
  std::vector<const ColumnRecord*> Path(std::string_view code) const;
  // Pre-order: every column after its parent, siblings in order.
  std::vector<const ColumnRecord*> PreOrder() const;
  const std::vector<ColumnRecord>& all() const { return columns_; }

 private:
  std::vector<ColumnRecord> columns_;
};

// The link of a column on the site: its URL for an external link, else /column/<code>.
std::string ColumnHref(const ColumnRecord& c);
nlohmann::json ColumnJson(const ColumnRecord& c);

// Administration. Errors are InvalidArgument (naming the field, in Chinese), NotFound,
// Conflict or PermissionDenied. `catalog` checks the owning unit's code. Scope: superusers
// change any column; an editor only columns whose owning unit is inside his capture scope
// (a 旗/区 editor edits his 旗/区's columns), and files new ones only under such a column.
bool MayEditColumn(const auth::Principal& who, const metadata::Catalog& catalog,
                   const ColumnRecord& c);
Result<ColumnRecord> CreateColumn(storage::Store& store, const metadata::Catalog& catalog,
                                  const auth::Principal& who, const nlohmann::json& body);
// Fields missing from `body` keep their values; a new code is carried to children and articles.
Result<ColumnRecord> UpdateColumn(storage::Store& store, const metadata::Catalog& catalog,
                                  const auth::Principal& who, const std::string& code,
                                  const nlohmann::json& body);
Status RemoveColumn(storage::Store& store, const metadata::Catalog& catalog,
                    const auth::Principal& who, const std::string& code);

}  // namespace weijian::portal
