// Whether a caller may import a metadata bundle (POST /api/metadata): the scope rule of
// DESIGN.md "Permissions" applied to metadata.
//
// A superuser changes anything. Anyone else changes only what his units own:
//   - a unit he may write (its parent, for a new unit);
//   - a data set or org-unit group whose every assigned unit, before and after, lies in his
//     write scope (shrinking a city-wide data set to one county is a change to the whole city);
//   - new objects of the shared kinds (data elements, indicators, categories, constants …), but
//     never an existing one: they are shared by every unit of the instance.
// The refusal names the object as the bundle wrote it (its collection, index and id or code).
#pragma once

#include <nlohmann/json.hpp>

#include "auth/principal.h"
#include "core/status.h"
#include "metadata/catalog.h"

namespace weijian::auth {

Status CheckMetadataChange(const Principal& who, const metadata::Catalog& cat,
                           const nlohmann::json& bundle);

}  // namespace weijian::auth
