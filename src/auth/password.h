// Password hashing with argon2id (libargon2) and the rules a new password must meet.
//
// The encoded hash ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash") carries its own salt and
// parameters, so parameters can be raised later and old hashes still verify (and are re-hashed
// on the next successful sign-in, see NeedsRehash).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace weijian::auth {

struct Argon2Params {
  unsigned time_cost = 3;
  unsigned memory_kib = 64 * 1024;
  unsigned parallelism = 1;
};

// Refuses passwords shorter than 10 characters, with fewer than three character classes
// (lower, upper, digit, symbol, other scripts), containing the user name (when given, 3+
// characters), or on the shipped list of common passwords (data/common-passwords.txt), also
// when only digits and symbols were added around a listed word.
Status CheckPasswordPolicy(std::string_view password, std::string_view username = {});
Result<std::string> HashPassword(std::string_view password, const Argon2Params& params = {});
// Constant-time verification against an encoded hash.
bool VerifyPassword(std::string_view password, const std::string& encoded);
// How many times VerifyPassword ran in this process (the cost of argon2 shows in tests).
std::uint64_t PasswordVerifications();
bool NeedsRehash(const std::string& encoded, const Argon2Params& params = {});
// A random one-time password for demo users: 16 characters from an unambiguous alphabet.
std::string GeneratePassword();

}  // namespace weijian::auth
