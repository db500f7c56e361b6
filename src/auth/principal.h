// Who is asking, what they may do, and where: roles, authorities and org-unit scope.
//
// One function decides whether a user may read or write a given org unit (CanRead / CanWrite);
// every endpoint goes through it. Scope is a set of subtrees: a unit is in scope when it lies in
// the subtree of one of the user's assigned units, which the pre-order tree answers with two
// integer comparisons per assigned unit.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "metadata/catalog.h"
#include "storage/records.h"

namespace weijian::auth {

enum class Authority {
  kAll,            // superuser
  kMetadataWrite,  // import metadata, add facilities
  kUserManage,     // create and change users within scope
  kDataRead,       // read data values, forms, analytics
  kDataWrite,      // enter and import data values
  kDataApprove,    // approve and unapprove data
  kAuditRead,      // read the audit trail within scope
  kPortalWrite,    // write and publish portal articles
  kPersonalData,   // see persons' names, ID numbers and phones unmasked (within write scope)
};

const std::vector<std::string>& KnownRoles();
bool IsKnownRole(std::string_view role);
// The authorities a role grants.
std::set<Authority> RoleAuthorities(std::string_view role);

struct Principal {
  storage::UserRecord user;
  std::set<Authority> authorities;
  std::string via;                 // "session", "basic" or "token"
  std::string session_token_hash;  // set when via == "session"
  std::string csrf_token;          // set when via == "session"

  static Principal FromUser(storage::UserRecord user, std::string via);
  bool Has(Authority a) const { return authorities.count(Authority::kAll) || authorities.count(a); }
  bool IsSuperuser() const { return authorities.count(Authority::kAll) > 0; }
  const std::string& name() const { return user.username; }
};

// Read scope: data view units (capture units when none are set). Write scope: capture units.
bool CanRead(const Principal& p, const metadata::Catalog& catalog, std::int64_t org_unit_id);
bool CanWrite(const Principal& p, const metadata::Catalog& catalog, std::int64_t org_unit_id);
// The user's read roots (the units whose subtrees they may read), superusers: the tree roots.
std::vector<std::int64_t> ReadRoots(const Principal& p, const metadata::Catalog& catalog);
// May `granter` give `role` to someone? Only roles whose authorities the granter holds.
bool CanGrant(const Principal& granter, std::string_view role);

}  // namespace weijian::auth
