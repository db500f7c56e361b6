#include "core/uid.h"

#include <sodium.h>

#include <array>

namespace weijian {

namespace {
constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// 11 characters from 16 bytes: the first byte picks a letter, each next one a letter or digit.
// The modulo bias (256 % 62) is irrelevant here: these are identifiers, not secrets.
std::string UidFromBytes(const std::array<unsigned char, 16>& b) {
  std::string uid(11, 'a');
  uid[0] = kLetters[b[0] % kLetters.size()];
  for (int i = 1; i < 11; ++i) uid[i] = kAlnum[b[i] % kAlnum.size()];
  return uid;
}

void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; it only fails when no entropy source exists.
  static const int kInit = sodium_init();
  (void)kInit;
}
}  // namespace

bool IsValidUid(std::string_view uid) {
  if (uid.size() != 11) return false;
  if (kLetters.find(uid[0]) == std::string_view::npos) return false;
  for (char c : uid)
    if (kAlnum.find(c) == std::string_view::npos) return false;
  return true;
}

std::string StableUid(std::string_view kind, std::string_view key) {
  EnsureSodium();
  std::string input;
  input.reserve(kind.size() + key.size() + 1);
  input.append(kind).push_back(':');
  input.append(key);
  std::array<unsigned char, 16> hash;
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  return UidFromBytes(hash);
}

std::string RandomUid() {
  EnsureSodium();
  std::array<unsigned char, 16> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  return UidFromBytes(bytes);
}

}  // namespace weijian
