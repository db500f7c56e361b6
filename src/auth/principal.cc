#include "auth/principal.h"

#include <algorithm>

namespace weijian::auth {

const std::vector<std::string>& KnownRoles() {
  static const std::vector<std::string> kRoles = {"superuser", "admin",  "approver",
                                                  "entry",     "viewer", "editor"};
  return kRoles;
}

bool IsKnownRole(std::string_view role) {
  const auto& r = KnownRoles();
  return std::find(r.begin(), r.end(), role) != r.end();
}

std::set<Authority> RoleAuthorities(std::string_view role) {
  using A = Authority;
  if (role == "superuser") return {A::kAll};
  // An admin runs the system for his units: metadata, users, and everything they may do, so
  // that he can create clerks and officers (one cannot grant what one does not hold).
  if (role == "admin")
    return {A::kMetadataWrite, A::kUserManage, A::kDataRead,    A::kDataWrite,
            A::kDataApprove,   A::kAuditRead,  A::kPortalWrite, A::kPersonalData};
  if (role == "approver") return {A::kDataRead, A::kDataApprove};
  // Clerks and village doctors register children and vaccinate them: they see whom.
  if (role == "entry") return {A::kDataRead, A::kDataWrite, A::kPersonalData};
  if (role == "viewer") return {A::kDataRead};
  if (role == "editor") return {A::kPortalWrite};
  return {};
}

Principal Principal::FromUser(storage::UserRecord user, std::string via) {
  Principal p;
  for (const auto& r : user.roles)
    for (auto a : RoleAuthorities(r)) p.authorities.insert(a);
  p.user = std::move(user);
  p.via = std::move(via);
  return p;
}

namespace {
bool InAnySubtree(const metadata::Catalog& cat, const std::vector<std::int64_t>& roots,
                  std::int64_t unit) {
  const auto& tree = cat.tree();
  if (!tree.Contains(unit)) return false;
  for (auto root : roots)
    if (tree.Contains(root) && tree.IsInSubtree(unit, root)) return true;
  return false;
}
}  // namespace

bool CanRead(const Principal& p, const metadata::Catalog& cat, std::int64_t unit) {
  if (p.IsSuperuser()) return cat.tree().Contains(unit);
  return InAnySubtree(cat, ReadRoots(p, cat), unit);
}

bool CanWrite(const Principal& p, const metadata::Catalog& cat, std::int64_t unit) {
  if (p.IsSuperuser()) return cat.tree().Contains(unit);
  return InAnySubtree(cat, p.user.capture_org_unit_ids, unit);
}

std::vector<std::int64_t> ReadRoots(const Principal& p, const metadata::Catalog& cat) {
  if (p.IsSuperuser()) {
    std::vector<std::int64_t> roots;
    for (const auto* r : cat.ChildrenOf(0)) roots.push_back(r->id);
    return roots;
  }
  std::vector<std::int64_t> roots = p.user.view_org_unit_ids;
  if (roots.empty()) roots = p.user.capture_org_unit_ids;
  return roots;
}

bool CanGrant(const Principal& granter, std::string_view role) {
  if (granter.IsSuperuser()) return true;
  for (auto a : RoleAuthorities(role))
    if (!granter.authorities.count(a)) return false;
  return IsKnownRole(role);
}

}  // namespace weijian::auth
