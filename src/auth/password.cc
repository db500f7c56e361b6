#include "auth/password.h"

#include <argon2.h>
#include <sodium.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

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

namespace {
// argon2's working memory (64 MiB a hash) in a mapping of its own, on 2 MiB pages where the
// kernel allows them (MADV_HUGEPAGE: transparent huge pages "always" or "madvise") and faulted in
// at once (MADV_POPULATE_WRITE, Linux 5.14). libargon2's own hash calls take it from malloc,
// which maps 64 MiB of fresh 4 KiB pages and faults each of the 16,384 in as the hash first
// writes it: on this project's 2-core VM that was 140 of a hash's 400 ms of CPU, and the 4 KiB
// pages' TLB misses most of the rest over plain computing (bench/README.md, "Sign-in").
// Measured there: 120 ms a hash this way. The mapping is returned to the kernel when the hash
// ends (after argon2 has wiped it), so a server keeps nothing between sign-ins. Where either
// advice is refused (an older kernel, huge pages off) the hash runs as before on 4 KiB pages.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
constexpr std::size_t kHugePage = std::size_t{2} << 20;

int MapArgon2Memory(std::uint8_t** memory, std::size_t bytes) {
  // A region of at least one huge page is mapped with a huge page's slack and trimmed to start on
  // a huge-page boundary (mmap aligns to 4 KiB only), so that free_cbk's (memory, bytes) is the
  // whole mapping.
  const bool huge = bytes >= kHugePage;
  const std::size_t slack = huge ? kHugePage : 0;
  void* mapped =
      mmap(nullptr, bytes + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return ARGON2_MEMORY_ALLOCATION_ERROR;
  auto* base = static_cast<std::uint8_t*>(mapped);
  std::uint8_t* start = base;
  if (huge) {
    auto at = reinterpret_cast<std::uintptr_t>(base);
    start = base + ((kHugePage - at % kHugePage) % kHugePage);
    if (start > base) munmap(base, static_cast<std::size_t>(start - base));
    std::uint8_t* end = start + bytes;
    if (end < base + bytes + slack)
      munmap(end, static_cast<std::size_t>(base + bytes + slack - end));
    (void)madvise(start, bytes, MADV_HUGEPAGE);  // advice: refused where huge pages are off
  }
  (void)madvise(start, bytes, MADV_POPULATE_WRITE);  // advice: refused before Linux 5.14
  *memory = start;
  return ARGON2_OK;
}

void UnmapArgon2Memory(std::uint8_t* memory, std::size_t bytes) { munmap(memory, bytes); }

// argon2id over our own memory (above), the same computation as libargon2's argon2id_hash_raw.
// `out` is filled; with `expected` it is compared in constant time instead (argon2_verify_ctx).
int RunArgon2id(std::string_view password, const std::uint8_t* salt, std::size_t salt_len,
                const Argon2Params& p, std::uint8_t* out, std::size_t out_len,
                const std::uint8_t* expected = nullptr) {
  argon2_context c{};
  c.out = out;
  c.outlen = static_cast<std::uint32_t>(out_len);
  // argon2 reads the password and salt only (the default flags wipe neither).
  c.pwd = reinterpret_cast<std::uint8_t*>(const_cast<char*>(password.data()));
  c.pwdlen = static_cast<std::uint32_t>(password.size());
  c.salt = const_cast<std::uint8_t*>(salt);
  c.saltlen = static_cast<std::uint32_t>(salt_len);
  c.t_cost = p.time_cost;
  c.m_cost = p.memory_kib;
  c.lanes = p.parallelism;
  c.threads = p.parallelism;
  c.version = ARGON2_VERSION_13;
  c.allocate_cbk = MapArgon2Memory;
  c.free_cbk = UnmapArgon2Memory;
  c.flags = ARGON2_DEFAULT_FLAGS;
  if (expected == nullptr) return argon2_ctx(&c, Argon2_id);
  return argon2_verify_ctx(&c, reinterpret_cast<const char*>(expected), Argon2_id);
}

std::string Base64(const std::uint8_t* bytes, std::size_t n) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
  std::string out(sodium_base64_encoded_len(n, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, kVariant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// The encoded form's text up to the salt: "$argon2id$v=19$m=65536,t=3,p=1$".
std::string ParamsPrefix(const Argon2Params& p) {
  return "$argon2id$v=19$m=" + std::to_string(p.memory_kib) + ",t=" + std::to_string(p.time_cost) +
         ",p=" + std::to_string(p.parallelism) + "$";
}

// The encoded form libargon2 writes and reads ("$argon2id$v=19$m=65536,t=3,p=1$SALT$HASH",
// base64 without padding), read strictly: anything else is left to libargon2's own reader.
struct Encoded {
  Argon2Params params;
  std::vector<std::uint8_t> salt, hash;
};

std::optional<Encoded> ParseEncoded(std::string_view s) {
  auto take = [&s](std::string_view prefix) {
    if (!s.starts_with(prefix)) return false;
    s.remove_prefix(prefix.size());
    return true;
  };
  auto number = [&s](unsigned* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end == s.data()) return false;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    return true;
  };
  auto bytes = [](std::string_view b64, std::vector<std::uint8_t>* out) {
    out->resize(b64.size());
    std::size_t len = 0;
    if (b64.empty() ||
        sodium_base642bin(out->data(), out->size(), b64.data(), b64.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
      return false;
    out->resize(len);
    return true;
  };
  Encoded e;
  if (!take("$argon2id$v=19$m=") || !number(&e.params.memory_kib) || !take(",t=") ||
      !number(&e.params.time_cost) || !take(",p=") || !number(&e.params.parallelism) || !take("$"))
    return std::nullopt;
  auto dollar = s.find('$');
  if (dollar == std::string_view::npos || !bytes(s.substr(0, dollar), &e.salt) ||
      !bytes(s.substr(dollar + 1), &e.hash))
    return std::nullopt;
  return e;
}
}  // namespace

Result<std::string> HashPassword(std::string_view password, const Argon2Params& p) {
  if (sodium_init() < 0) return Internal("libsodium could not initialise");
  std::uint8_t salt[kSaltBytes];
  randombytes_buf(salt, sizeof salt);
  std::uint8_t hash[kHashBytes];
  int rc = RunArgon2id(password, salt, sizeof salt, p, hash, sizeof hash);
  if (rc != ARGON2_OK) return Internal(std::string("argon2: ") + argon2_error_message(rc));
  std::string encoded =
      ParamsPrefix(p) + Base64(salt, sizeof salt) + "$" + Base64(hash, sizeof hash);
  sodium_memzero(hash, sizeof hash);
  return encoded;
}

namespace {
std::atomic<std::uint64_t> verifications{0};
}  // namespace

std::uint64_t PasswordVerifications() { return verifications.load(); }

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  ++verifications;
  if (sodium_init() < 0) return false;
  auto e = ParseEncoded(encoded);
  // A form this reader does not take (none is written today) is libargon2's to judge.
  if (!e) return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
  // argon2_verify_ctx compares in constant time.
  std::vector<std::uint8_t> out(e->hash.size());
  return RunArgon2id(password, e->salt.data(), e->salt.size(), e->params, out.data(), out.size(),
                     e->hash.data()) == ARGON2_OK;
}

bool NeedsRehash(const std::string& encoded, const Argon2Params& p) {
  return !encoded.starts_with(ParamsPrefix(p));
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
