// A PostgreSQL server for the tests, started by the test process itself: Debian's postgresql
// binaries, initdb in a temporary directory, a free loopback port, unix sockets in that directory,
// stopped when the process ends. Nothing is downloaded. One cluster per process; each test gets
// a fresh database, copied (CREATE DATABASE … TEMPLATE) from one migrated once.
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace weijian::testing {

class PgCluster {
 public:
  // The process's cluster, started on first use; nullptr when the postgres binaries are absent
  // (`why` then says so) or the server would not start (`why` has its log).
  static PgCluster* Get(std::string* why);
  ~PgCluster();

  // A new, empty database already at the latest schema; its address.
  std::string NewDatabase();
  // A new database with no schema at all (for tests of opening and migrating).
  std::string NewEmptyDatabase();
  // Runs SQL as the superuser on database `db` (psql); false on failure.
  bool Psql(const std::string& db, const std::string& sql, std::string* out = nullptr);
  std::string Address(const std::string& db) const;
  int port() const { return port_; }
  // The cluster's data directory (every database's files and the write-ahead log).
  std::string data_dir() const { return dir_ + "/data"; }
  // A role that must give its password (scram-sha-256 over TCP), for tests of a wrong one.
  static constexpr const char* kPasswordRole = "wj_pw";
  static constexpr const char* kPassword = "right-password-1";

 private:
  PgCluster() = default;
  std::string bin_, dir_, user_;
  int port_ = 0;
  int next_ = 0;
  bool started_ = false;
};

// A store on a fresh PostgreSQL database (GTEST_SKIP from the caller when null: `why` says why).
// `address` (optional) gets the database's address.
std::unique_ptr<storage::Store> NewPostgresStore(std::string* why, std::string* address = nullptr);

}  // namespace weijian::testing
