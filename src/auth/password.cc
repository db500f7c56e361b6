#include "auth/password.h"

#include <argon2.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstring>
#include <string>
#include <unordered_set>

#include "core/utf8.h"

namespace weijian::auth {

// data/common-passwords.txt, embedded at build time (one lower-cased password a line; '#' lines
// are comments).
const char* CommonPasswordsText();

namespace {
constexpr std::size_t kMinLength = 10;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

const std::unordered_set<std::string>& CommonPasswords() {
  static const std::unordered_set<std::string> kList = [] {
    std::unordered_set<std::string> out;
    std::string_view text = CommonPasswordsText();
    while (!text.empty()) {
      auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty() && line.front() != '#') out.emplace(line);
    }
    return out;
  }();
  return kList;
}

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Character classes: lower-case, upper-case, digits, ASCII symbols, and other scripts (汉字 …).
int CharacterClasses(std::string_view s) {
  bool lower = false, upper = false, digit = false, symbol = false, other = false;
  for (unsigned char c : s) {
    if (c >= 0x80)
      other = true;
    else if (std::islower(c))
      lower = true;
    else if (std::isupper(c))
      upper = true;
    else if (std::isdigit(c))
      digit = true;
    else
      symbol = true;
  }
  return lower + upper + digit + symbol + other;
}
}  // namespace

Status CheckPasswordPolicy(std::string_view password, std::string_view username) {
  if (Utf8Length(password) < kMinLength)
    return InvalidArgument("密码至少需要 10 个字符", "password");
  if (CharacterClasses(password) < 3)
    return InvalidArgument(
        "密码需包含以下至少三类字符：小写字母、大写字母、数字、符号、汉字等其他文字", "password");
  const std::string lower = Lower(password);
  if (username.size() >= 3 && lower.find(Lower(username)) != std::string::npos)
    return InvalidArgument("密码不能包含用户名", "password");
  // "Password2024!" is "password" with decoration: strip digits and symbols at both ends too.
  std::string_view core = lower;
  auto decoration = [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && !std::isalpha(static_cast<unsigned char>(c));
  };
  while (!core.empty() && decoration(core.front())) core.remove_prefix(1);
  while (!core.empty() && decoration(core.back())) core.remove_suffix(1);
  const auto& common = CommonPasswords();
  if (common.count(lower) || (core.size() >= 4 && common.count(std::string(core))))
    return InvalidArgument("这是常见密码（或常见密码加数字、符号），请另选一个", "password");
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
  // Drawn again until it meets the policy (three classes); almost always the first draw does.
  while (true) {
    std::string out;
    for (int i = 0; i < 16; ++i)
      out += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
    if (CheckPasswordPolicy(out).ok()) return out;
  }
}

}  // namespace weijian::auth
