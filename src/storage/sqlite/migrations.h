#pragma once
#include <vector>

namespace weijian::storage {
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
// Every migration of src/storage/migrations/, in version order, numbered from 1 without gaps.
const std::vector<Migration>& Migrations();
// Every migration of src/storage/postgres/migrations/, the same way (PostgreSQL's own numbering).
const std::vector<Migration>& PostgresMigrations();
}  // namespace weijian::storage
