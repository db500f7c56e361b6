// DHIS2's list parameters over JSON objects, one implementation for every /api/<collection>
// list: fields= (id,name / :all / :owner / :identifiable / :nameable / nested
// dataElements[id,name] / !exclusions / transformers name~rename(label), ~size, ~isEmpty,
// ~isNotEmpty, ~pluck(property)), filter=property:operator:value (ANDed, or ORed with
// rootJunction=OR), order=property:asc|desc|iasc|idesc, and paging (page, pageSize,
// paging=false) with DHIS2's pager {page, pageCount, total, pageSize}.
//
// Invariants: an unknown property (in fields, filter or order), an unknown operator or a bad
// page number is a Conflict naming the parameter and the text at fault; nothing is guessed.
// Without page or pageSize every matching object is returned on one page (the pager says so),
// so that clients which do not page still see everything. Workload: metadata lists (thousands
// of objects), filtered and sorted in memory.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace weijian::metadata {

// Finds an object of any collection by uid, to expand references in nested fields
// (dataElements[id,name] on a data set); may return nullptr.
using ObjectLookup = std::function<const nlohmann::json*(const std::string& uid)>;

// Applies the list parameters in `query` to `items` (an array of objects of `collection`) and
// returns DHIS2's list body: {"pager": {…}, "<collection>": […]} (no pager with paging=false).
// `default_page_size` 0: one page of everything unless page or pageSize is given (DHIS2 pages by
// 50; org unit lists, which can be long, keep that default).
Result<nlohmann::json> ApplyListQuery(const nlohmann::json& items, const std::string& collection,
                                      const std::multimap<std::string, std::string>& query,
                                      const ObjectLookup& lookup = {}, long default_page_size = 0);

// Applies only `fields=` to one object (GET /api/<collection>/{id}?fields=…); `collection` tells
// `:owner` which properties the object owns.
Result<nlohmann::json> SelectFields(const nlohmann::json& object, const std::string& fields,
                                    const ObjectLookup& lookup = {},
                                    const std::string& collection = "");

}  // namespace weijian::metadata
