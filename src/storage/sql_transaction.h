// A write transaction on one connection of either backend (sqlite/sqlite_db.h, postgres/pg_db.h).
#pragma once

#include "core/status.h"

namespace weijian::storage {

// BEGIN IMMEDIATE on Begin(), ROLLBACK on destruction unless Commit() succeeded.
template <class DbT>
class BasicTransaction {
 public:
  explicit BasicTransaction(DbT& db) : db_(db) {}
  // Inside a transaction already (Store::InOneTransaction), a savepoint: its Commit releases it
  // into the outer transaction and its Rollback undoes only its own part.
  Status Begin() {
    nested_ = db_.InTransaction();
    Status s = db_.Exec(nested_ ? "SAVEPOINT wj_nested" : "BEGIN IMMEDIATE");
    active_ = s.ok();
    return s;
  }
  Status Commit() {
    Status s = db_.Exec(nested_ ? "RELEASE wj_nested" : "COMMIT");
    if (s.ok()) active_ = false;
    return s;
  }
  // False when the rollback failed: the connection may be left inside the transaction.
  bool Rollback() {
    bool ok = true;
    if (active_) {
      if (nested_) {
        ok = db_.Exec("ROLLBACK TO wj_nested").ok();
        ok = db_.Exec("RELEASE wj_nested").ok() && ok;
      } else {
        ok = db_.Exec("ROLLBACK").ok();
      }
    }
    active_ = false;
    return ok;
  }
  ~BasicTransaction() { Rollback(); }
  BasicTransaction(const BasicTransaction&) = delete;
  BasicTransaction& operator=(const BasicTransaction&) = delete;

 private:
  DbT& db_;
  bool active_ = false;
  bool nested_ = false;
};

}  // namespace weijian::storage
