// Bytes as lowercase hex, and SHA-256 digests as hex (libsodium's): the audit chains' hashes,
// digests named in audit rows, build ids, random origins.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weijian {

std::string HexOf(const void* bytes, std::size_t size);
std::string Sha256Hex(std::string_view data);

}  // namespace weijian
