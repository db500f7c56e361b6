// Backups of a weijian database: SQLite's online backup API (a consistent copy while the server
// writes: the copy is of one committed state), restores that refuse to overwrite a database a
// server is serving, and the lock that marks a database as served.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace weijian::storage {

// Copies the database `from` to the file `to` (replaced), page by page, consistent at one
// committed state even while other connections write.
Status BackupDatabase(const std::string& from, const std::string& to);

// Held by a server for as long as it serves `db` (an exclusive flock on "<db>.serving").
class ServingLock {
 public:
  explicit ServingLock(int fd) : fd_(fd) {}
  ~ServingLock();
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;

 private:
  int fd_;
};
// Fails (kUnavailable) when another process serves `db` already.
Result<std::unique_ptr<ServingLock>> HoldServingLock(const std::string& db);

// Replaces `db` by the backup `from`. Refused while a server serves `db`, and when `db` exists
// unless `force`. The backup must be a weijian database.
Status RestoreDatabase(const std::string& from, const std::string& db, bool force);

}  // namespace weijian::storage
