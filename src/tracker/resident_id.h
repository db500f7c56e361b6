// The 居民身份证号 (citizen identity number) after GB 11643-1999.
//
// Eighteen characters: six digits of the address code, eight of the birth date (YYYYMMDD), three of
// a sequence whose last digit is odd for men and even for women, and a check character computed
// with ISO 7064 MOD 11-2 (0-9 or X). Numbers issued before 1999 have fifteen digits (a two-digit
// year, no check character); they are upgraded to eighteen by inserting "19" and computing the
// check.
//
// Every person registered in the tracker goes through ParseResidentId: the normalised number is
// what the blind index is computed from, so two spellings of one number (a lowercase x, a 15-digit
// form) always find the same person.
#pragma once

#include <string>
#include <string_view>

#include "core/date.h"
#include "core/status.h"

namespace weijian::tracker {

enum class Sex { kMale, kFemale };

struct ResidentId {
  std::string number;  // 18 characters, uppercase X
  Date birth_date;
  Sex sex = Sex::kMale;
  std::string region;  // the six-digit address code
};

// ISO 7064 MOD 11-2 check character of the first seventeen digits.
char ResidentIdCheckCharacter(std::string_view first17);

// Checks and normalises a number: surrounding spaces are dropped, a lowercase x is made uppercase
// and a fifteen-digit number is upgraded. Errors (InvalidArgument, field "idNumber") say in Chinese
// what is wrong: the length, a character that is not a digit, an impossible birth date (19000229),
// a birth date in the future or before 1900, or a wrong check character (naming the expected one).
Result<ResidentId> ParseResidentId(std::string_view text, Date today);

}  // namespace weijian::tracker
