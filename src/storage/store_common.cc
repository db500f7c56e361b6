// What both stores share outside SqlStore: the hash of the audit chains, secrets, origins.
#include <sodium.h>

#include <optional>
#include <string>

#include "core/hex.h"
#include "storage/open_store.h"
#include "storage/postgres/pg_db.h"

namespace weijian::storage {

// 16 random bytes as hex: which open store wrote a change-log row.
std::string RandomOrigin() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return HexOf(b, sizeof b);
}

std::string ChainHash(const std::string& prev_hash, const std::string& canonical_row) {
  return Sha256Hex(prev_hash + '\n' + canonical_row);
}

void AppendCopyText(std::string& line, bool first, std::string_view field) {
  if (!first) line.push_back('\t');
  for (char c : field) {
    switch (c) {
      case '\\':
        line += "\\\\";
        break;
      case '\t':
        line += "\\t";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      default:
        line.push_back(c);
    }
  }
}

void AppendCopyField(std::string& line, bool first, const std::optional<std::string>& field) {
  if (!field) {
    if (!first) line.push_back('\t');
    line += "\\N";
    return;
  }
  AppendCopyText(line, first, *field);
}

void AppendCopyField(std::string& line, bool first, std::int64_t field) {
  if (!first) line.push_back('\t');
  line += std::to_string(field);
}

std::string SecretHash(const std::string& secret) { return Sha256Hex(secret); }

Result<std::unique_ptr<Store>> OpenStore(const std::string& address) {
  if (IsPostgresAddress(address)) return OpenPostgresStore(address);
  return OpenSqliteStore(address);
}

}  // namespace weijian::storage
