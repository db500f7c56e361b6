// The server's shared state: the store, the current metadata snapshot and the services.
// Handlers reach everything through an App&; nothing here knows about sockets.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "analytics/engine.h"
#include "auth/auth_service.h"
#include "core/date.h"
#include "exchange/data_values.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::http {

class App {
 public:
  explicit App(std::unique_ptr<storage::Store> store, auth::Clock clock = NowMillis)
      : store_(std::move(store)), values_(*store_), auth_(*store_, std::move(clock)) {}

  Status Init() { return ReloadCatalog(); }

  // The snapshot a request works on; it stays valid for the request even if metadata changes.
  std::shared_ptr<const metadata::Catalog> catalog() const { return std::atomic_load(&catalog_); }
  Status ReloadCatalog() {
    WJ_ASSIGN_OR_RETURN(auto c, metadata::Catalog::Load(*store_));
    std::atomic_store(&catalog_, std::move(c));
    DataChanged();
    return Status::Ok();
  }

  // Every write of data or metadata calls this, so the next analytics query sees it.
  void DataChanged() { ++data_generation_; }
  // The analytics engine for the current data, rebuilt when anything changed since it was built.
  Result<std::shared_ptr<const analytics::Engine>> Analytics() {
    std::lock_guard lock(engine_mu_);
    const std::uint64_t generation = data_generation_.load();
    if (!engine_ || engine_generation_ != generation) {
      WJ_ASSIGN_OR_RETURN(engine_, analytics::Engine::Build(*store_, catalog()));
      engine_generation_ = generation;
    }
    return engine_;
  }

  storage::Store& store() { return *store_; }
  exchange::DataValueService& values() { return values_; }
  auth::AuthService& auth() { return auth_; }
  // Metadata writes are serialised: each validates against the snapshot the previous one left.
  std::mutex& metadata_mutex() { return metadata_mu_; }
  std::int64_t started_millis() const { return started_millis_; }
  void set_started_millis(std::int64_t t) { started_millis_ = t; }

 private:
  std::unique_ptr<storage::Store> store_;
  exchange::DataValueService values_;
  auth::AuthService auth_;
  std::shared_ptr<const metadata::Catalog> catalog_;
  std::mutex metadata_mu_;
  std::mutex engine_mu_;
  std::shared_ptr<const analytics::Engine> engine_;
  std::atomic<std::uint64_t> data_generation_{1};
  std::uint64_t engine_generation_ = 0;
  std::int64_t started_millis_ = 0;
};

}  // namespace weijian::http
