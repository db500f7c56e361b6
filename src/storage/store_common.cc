// What both stores share outside SqlStore: the hash of the audit chains, secrets, origins.
#include <sodium.h>

#include <charconv>
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

void AppendValueKey(std::string& text, const DataValueKey& key) {
  char buf[5 * 21];
  char* p = buf;
  const std::int64_t ids[] = {key.data_element_id, key.period_id, key.org_unit_id, key.coc_id,
                              key.aoc_id};
  for (std::size_t i = 0; i < 5; ++i) {
    if (i) *p++ = ',';
    p = std::to_chars(p, buf + sizeof buf, ids[i]).ptr;
  }
  text.append(buf, p);
  text.push_back('\n');
}

bool ParseValueKeys(std::string_view text, std::vector<DataValueKey>& keys) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p != end) {
    std::int64_t ids[5];
    for (std::size_t i = 0; i < 5; ++i) {
      auto [next, ec] = std::from_chars(p, end, ids[i]);
      if (ec != std::errc() || next == end || *next != (i < 4 ? ',' : '\n')) return false;
      p = next + 1;
    }
    keys.push_back({ids[0], ids[1], ids[2], ids[3], ids[4]});
  }
  return true;
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
