// DHIS2 identifiers: 11 characters, a letter then letters or digits.
//
// Objects that have an official code (org units from the division tree, metadata shipped with the
// product) get a uid derived from that code, so the same code has the same uid in every instance
// and a county and its city can exchange data by uid without a mapping table.
#pragma once

#include <string>
#include <string_view>

namespace weijian {

bool IsValidUid(std::string_view uid);
// Deterministic uid from a namespace and a key, e.g. StableUid("ou", "150624").
std::string StableUid(std::string_view kind, std::string_view key);
// A fresh random uid (libsodium's CSPRNG).
std::string RandomUid();

}  // namespace weijian
