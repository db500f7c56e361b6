#include "auth/password.h"

#include <argon2.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstring>
#include <string>

namespace weijian::auth {

namespace {
constexpr std::size_t kMinLength = 10;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// The most common passwords of 10 or more characters in public breach lists, plus local
// favourites; lower-cased comparison.
constexpr std::array<std::string_view, 24> kCommon = {
    "1234567890",  "12345678910",   "123456789a",  "1q2w3e4r5t",   "1qaz2wsx3edc", "qwertyuiop",
    "password123", "password1234",  "passw0rd123", "abc1234567",   "a123456789",   "admin12345",
    "admin123456", "administrator", "iloveyou123", "0123456789",   "9876543210",   "1111111111",
    "0000000000",  "woaini1314",    "5201314520",  "qwerty123456", "weijian123",   "weijian2024"};

std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}
}  // namespace

Status CheckPasswordPolicy(std::string_view password) {
  if (Utf8Length(password) < kMinLength)
    return InvalidArgument("the password must be at least 10 characters long", "password");
  std::string lower;
  for (char c : password) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (std::find(kCommon.begin(), kCommon.end(), lower) != kCommon.end())
    return InvalidArgument("this password is on the list of common passwords; choose another",
                           "password");
  bool all_same =
      std::all_of(password.begin(), password.end(), [&](char c) { return c == password.front(); });
  if (all_same) return InvalidArgument("the password must not repeat one character", "password");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password, const Argon2Params& p) {
  if (sodium_init() < 0) return Internal("libsodium could not initialise");
  unsigned char salt[kSaltBytes];
  randombytes_buf(salt, sizeof salt);
  std::size_t len = argon2_encodedlen(p.time_cost, p.memory_kib, p.parallelism, kSaltBytes,
                                      kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(p.time_cost, p.memory_kib, p.parallelism, password.data(),
                                 password.size(), salt, sizeof salt, kHashBytes, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

namespace {
std::atomic<std::uint64_t> verifications{0};
}  // namespace

std::uint64_t PasswordVerifications() { return verifications.load(); }

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  ++verifications;
  // argon2id_verify compares in constant time.
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool NeedsRehash(const std::string& encoded, const Argon2Params& p) {
  std::string want = "$argon2id$v=19$m=" + std::to_string(p.memory_kib) +
                     ",t=" + std::to_string(p.time_cost) + ",p=" + std::to_string(p.parallelism) +
                     "$";
  return !encoded.starts_with(want);
}

std::string GeneratePassword() {
  if (sodium_init() < 0) return {};
  static constexpr std::string_view kAlphabet =
      "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 16; ++i)
    out += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
  return out;
}

}  // namespace weijian::auth
