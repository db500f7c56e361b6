#include "auth/metadata_scope.h"

#include "metadata/documents.h"

namespace weijian::auth {

namespace {
using nlohmann::json;

// "dataSets[3] (DS_X)": how the refusal names an object, from what the caller sent.
std::string Named(const std::string& where, const json& obj) {
  for (const char* k : {"code", "id"})
    if (auto it = obj.find(k); it != obj.end() && it->is_string())
      return where + " (" + it->get<std::string>() + ")";
  return where;
}

// The stored object the bundle entry updates: by uid, else by code.
template <typename T>
const T* Existing(const json& obj, const metadata::RecordIndex<T>& index) {
  if (auto id = obj.find("id"); id != obj.end() && id->is_string())
    return index.ByUid(id->get<std::string>());
  if (auto code = obj.find("code"); code != obj.end() && code->is_string())
    return index.ByCode(code->get<std::string>());
  return nullptr;
}

bool AllWritable(const Principal& who, const metadata::Catalog& cat,
                 const std::vector<std::string>& unit_uids) {
  for (const auto& uid : unit_uids) {
    const auto* u = cat.OrgUnits().ByUid(uid);
    if (!u || !CanWrite(who, cat, u->id)) return false;
  }
  return true;
}

Status CheckRef(const Principal& who, const metadata::Catalog& cat, const json& ref,
                const std::string& where) {
  if (!ref.is_object()) return Status::Ok();
  std::string key;
  for (const char* k : {"id", "code"})
    if (auto it = ref.find(k); it != ref.end() && it->is_string() && key.empty())
      key = it->get<std::string>();
  const auto* u = cat.OrgUnits().ByUidOrCode(key);
  if (u && !CanWrite(who, cat, u->id))
    return PermissionDenied(where + ": org unit " + key + " is outside your org units");
  return Status::Ok();
}

// A collection whose objects are assigned to units (data sets, groups).
template <typename T>
Status CheckAssigned(const Principal& who, const metadata::Catalog& cat, const json& bundle,
                     const char* collection, const metadata::RecordIndex<T>& index,
                     const char* noun) {
  auto it = bundle.find(collection);
  if (it == bundle.end() || !it->is_array()) return Status::Ok();
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& obj = (*it)[i];
    if (!obj.is_object()) continue;
    const std::string where = std::string(collection) + "[" + std::to_string(i) + "]";
    if (auto units = obj.find("organisationUnits"); units != obj.end() && units->is_array())
      for (std::size_t k = 0; k < units->size(); ++k)
        WJ_RETURN_IF_ERROR(CheckRef(who, cat, (*units)[k],
                                    where + ".organisationUnits[" + std::to_string(k) + "]"));
    if (const T* old = Existing(obj, index); old && !AllWritable(who, cat, old->org_unit_uids))
      return PermissionDenied(Named(where, obj) + ": this " + noun +
                              " is also used by units outside yours; only a superuser may "
                              "change it");
  }
  return Status::Ok();
}

// A collection shared by the whole instance: new objects only.
template <typename T>
Status CheckShared(const json& bundle, const char* collection,
                   const metadata::RecordIndex<T>& index) {
  auto it = bundle.find(collection);
  if (it == bundle.end() || !it->is_array()) return Status::Ok();
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& obj = (*it)[i];
    if (!obj.is_object()) continue;
    if (Existing(obj, index))
      return PermissionDenied(
          Named(std::string(collection) + "[" + std::to_string(i) + "]", obj) +
          ": shared by every unit of the instance; only a superuser may change it");
  }
  return Status::Ok();
}
}  // namespace

Status CheckMetadataChange(const Principal& who, const metadata::Catalog& cat, const json& bundle) {
  if (who.IsSuperuser() || !bundle.is_object()) return Status::Ok();
  if (auto it = bundle.find("organisationUnits"); it != bundle.end() && it->is_array()) {
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& obj = (*it)[i];
      if (!obj.is_object()) continue;
      const std::string where = "organisationUnits[" + std::to_string(i) + "]";
      if (auto p = obj.find("parent"); p != obj.end())
        WJ_RETURN_IF_ERROR(CheckRef(who, cat, *p, where + ".parent"));
      if (const auto* old = Existing(obj, cat.OrgUnits()); old && !CanWrite(who, cat, old->id))
        return PermissionDenied(Named(where, obj) + ": outside your org units");
    }
  }
  WJ_RETURN_IF_ERROR(CheckAssigned(who, cat, bundle, "dataSets", cat.DataSets(), "data set"));
  WJ_RETURN_IF_ERROR(CheckAssigned(who, cat, bundle, "organisationUnitGroups", cat.OrgUnitGroups(),
                                   "org unit group"));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "dataElements", cat.DataElements()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "indicators", cat.Indicators()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "indicatorTypes", cat.IndicatorTypes()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "constants", cat.Constants()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "categoryOptions", cat.CategoryOptions()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "categories", cat.Categories()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "categoryCombos", cat.CategoryCombos()));
  WJ_RETURN_IF_ERROR(CheckShared(bundle, "categoryOptionCombos", cat.CategoryOptionCombos()));
  // Option sets, legend sets, attributes, groups, levels (metadata/documents.h): shared too.
  for (const auto& c : metadata::DocumentCollections()) {
    auto it = bundle.find(c);
    if (it == bundle.end() || !it->is_array()) continue;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& obj = (*it)[i];
      if (!obj.is_object()) continue;
      for (const char* key : {"id", "code"})
        if (auto k = obj.find(key); k != obj.end() && k->is_string())
          if (cat.Document(c, k->get<std::string>()))
            return PermissionDenied(
                Named(c + "[" + std::to_string(i) + "]", obj) +
                ": shared by every unit of the instance; only a superuser may change it");
    }
  }
  return Status::Ok();
}

}  // namespace weijian::auth
