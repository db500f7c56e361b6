// storage/backup.h with SQLite's backup API (sqlite3_backup_*), flock(2) for the serving lock.
#include "storage/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "storage/sqlite/sqlite_db.h"

namespace weijian::storage {

namespace {
// Copies every page of `src` into `dst` in steps, so writers in between are not held up long.
Status CopyPages(sqlite3* src, sqlite3* dst, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return SqliteStatus(dst, sqlite3_errcode(dst), what);
  int rc;
  do {
    rc = sqlite3_backup_step(b, 1024);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return SqliteStatus(dst, rc, what);
  return Status::Ok();
}

Result<sqlite3*> OpenRaw(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(db, rc, "cannot open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}
}  // namespace

Status BackupDatabase(const std::string& from, const std::string& to) {
  if (!std::filesystem::exists(from)) return NotFound(from + " does not exist");
  WJ_ASSIGN_OR_RETURN(sqlite3 * src, OpenRaw(from, SQLITE_OPEN_READONLY));
  std::error_code ec;
  std::filesystem::remove(to, ec);
  auto dst = OpenRaw(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst.ok()) {
    sqlite3_close(src);
    return dst.status();
  }
  Status s = CopyPages(src, *dst, "backup of " + from);
  sqlite3_close(src);
  sqlite3_close(*dst);
  return s;
}

ServingLock::~ServingLock() {
  flock(fd_, LOCK_UN);
  close(fd_);
}

Result<std::unique_ptr<ServingLock>> HoldServingLock(const std::string& db) {
  const std::string path = db + ".serving";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("cannot open " + path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return Unavailable(db + " is being served by another weijian process");
  }
  return std::make_unique<ServingLock>(fd);
}

Status RestoreDatabase(const std::string& from, const std::string& db, bool force) {
  if (!std::filesystem::exists(from)) return NotFound(from + " does not exist", "--from");
  // While we hold the serving lock, no server can start on `db` either.
  WJ_ASSIGN_OR_RETURN(auto served, HoldServingLock(db));
  if (std::filesystem::exists(db) && !force)
    return Conflict(db + " exists; restoring replaces it: add --force to do so", "--db");
  WJ_ASSIGN_OR_RETURN(sqlite3 * src, OpenRaw(from, SQLITE_OPEN_READONLY));
  // A weijian database has user_version set and a data_value table.
  sqlite3_stmt* q = nullptr;
  bool looks_right =
      sqlite3_prepare_v2(src, "SELECT count(*) FROM sqlite_master WHERE name = 'data_value'", -1,
                         &q, nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1;
  sqlite3_finalize(q);
  if (!looks_right) {
    sqlite3_close(src);
    return InvalidArgument(from + " is not a weijian database", "--from");
  }
  auto dst = OpenRaw(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst.ok()) {
    sqlite3_close(src);
    return dst.status();
  }
  Status s = CopyPages(src, *dst, "restore into " + db);
  sqlite3_close(src);
  sqlite3_close(*dst);
  return s;
}

}  // namespace weijian::storage
