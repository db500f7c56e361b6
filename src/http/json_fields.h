// Typed reads of one field of a request body for handlers that read fields in place: a value of
// the wrong type is refused with a 409 naming the field's path, never left to throw. (Numbers out
// of range are named by ParseJsonBody; router.cc holds the net under reads that do not check.)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace weijian::http {

// obj[key] as text; `fallback` when absent or null. Conflict naming `path` (default: `key`) when
// the value is not text, or "body" when `obj` is not an object.
inline Result<std::string> TextField(const nlohmann::json& obj, const std::string& key,
                                     const std::string& fallback = "",
                                     const std::string& path = "") {
  if (!obj.is_object()) return Conflict("send a JSON object", "body");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Conflict("must be text", path.empty() ? key : path);
  return it->get<std::string>();
}

// obj[key] as true/false; `fallback` when absent or null.
inline Result<bool> BoolField(const nlohmann::json& obj, const std::string& key, bool fallback,
                              const std::string& path = "") {
  if (!obj.is_object()) return Conflict("send a JSON object", "body");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Conflict("must be true or false", path.empty() ? key : path);
  return it->get<bool>();
}

}  // namespace weijian::http
