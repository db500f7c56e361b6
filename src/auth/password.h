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

// argon2id's memory in KiB: 64 MiB. Only make test's two sanitizer builds set less (the top
// CMakeLists.txt, WEIJIAN_ARGON2_MEMORY_KIB; refused for a Release build): under ThreadSanitizer
// each hash's 64 MiB, allocated, wiped and freed through the interceptors, faulted in 128 MiB of
// shadow memory and took about half a CPU second, two thirds of a sign-in test's time.
#ifndef WEIJIAN_ARGON2_MEMORY_KIB
#define WEIJIAN_ARGON2_MEMORY_KIB (64 * 1024)
#endif

struct Argon2Params {
  unsigned time_cost = 3;
  unsigned memory_kib = WEIJIAN_ARGON2_MEMORY_KIB;
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
