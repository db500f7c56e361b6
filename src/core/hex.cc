#include "core/hex.h"

#include <sodium.h>

namespace weijian {

std::string HexOf(const void* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');  // sodium_bin2hex writes a terminating NUL
  sodium_bin2hex(out.data(), out.size(), static_cast<const unsigned char*>(bytes), size);
  out.pop_back();
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return HexOf(digest, sizeof digest);
}

}  // namespace weijian
