#include "auth/ownership.h"

namespace weijian::auth {

Status OwnedObjects::CheckWrite(const Principal& p, const metadata::Catalog& cat,
                                const std::string& kind, const std::string& key,
                                const std::string& shown_as) {
  if (p.IsSuperuser()) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(auto owner, store_.FindObjectOwner(kind, key));
  if (!owner)
    return PermissionDenied(shown_as +
                            " 由全平台共用，只有超级管理员可以修改；您可以查看或另存一份");
  if (!CanWrite(p, cat, *owner))
    return PermissionDenied(shown_as + " 属于上级或其他单位，您只能查看，不能修改");
  return Status::Ok();
}

Status OwnedObjects::CheckRead(const Principal& p, const metadata::Catalog& cat,
                               const std::string& kind, const std::string& key,
                               const std::string& shown_as) {
  if (p.IsSuperuser()) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(auto owner, store_.FindObjectOwner(kind, key));
  if (!owner) return Status::Ok();  // shared by everyone
  if (!CanRead(p, cat, *owner) && !CanWrite(p, cat, *owner))
    return PermissionDenied(shown_as + " 属于其他单位，不在您的范围内");
  return Status::Ok();
}

Status OwnedObjects::Claim(const Principal& p, const std::string& kind, const std::string& key) {
  if (p.IsSuperuser()) return Status::Ok();
  const auto& units =
      p.user.capture_org_unit_ids.empty() ? p.user.view_org_unit_ids : p.user.capture_org_unit_ids;
  if (units.empty()) return PermissionDenied("您的账号没有分配单位，不能创建");
  return store_.SetObjectOwner(kind, key, units.front());
}

}  // namespace weijian::auth
