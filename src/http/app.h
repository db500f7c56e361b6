// The server's shared state: the store, the current metadata snapshot and the services.
// Handlers reach everything through an App&; nothing here knows about sockets.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "analytics/engine.h"
#include "auth/auth_service.h"
#include "core/date.h"
#include "exchange/data_values.h"
#include "http/request.h"
#include "http/web_assets.h"
#include "metadata/catalog.h"
#include "portal/site.h"
#include "storage/store.h"

namespace weijian::http {

// The analytics engine, read-locked for one query: writes wait until it is released.
class EngineLease {
 public:
  EngineLease(std::shared_lock<std::shared_mutex> lock, const analytics::Engine* engine)
      : lock_(std::move(lock)), engine_(engine) {}
  const analytics::Engine& operator*() const { return *engine_; }
  const analytics::Engine* operator->() const { return engine_; }

 private:
  std::shared_lock<std::shared_mutex> lock_;
  const analytics::Engine* engine_;
};

class App {
 public:
  explicit App(std::unique_ptr<storage::Store> store, auth::Clock clock = NowMillis)
      : store_(std::move(store)), values_(*store_), auth_(*store_, std::move(clock)) {
    // Every committed change of a data value reaches the engine before the next query.
    store_->SetDataValueListener(
        [this](std::vector<storage::DataValueChange>&& changes, bool overflow) {
          std::lock_guard lock(pending_mu_);
          if (overflow) {
            rebuild_ = true;
            pending_.clear();
          } else if (!rebuild_) {
            pending_.insert(pending_.end(), std::make_move_iterator(changes.begin()),
                            std::make_move_iterator(changes.end()));
          }
          dirty_ = true;
          ++data_version_;
        });
  }
  ~App() { store_->SetDataValueListener(nullptr); }

  Status Init() { return ReloadCatalog(); }

  // The snapshot a request works on; it stays valid for the request even if metadata changes.
  std::shared_ptr<const metadata::Catalog> catalog() const { return std::atomic_load(&catalog_); }
  Status ReloadCatalog() {
    WJ_ASSIGN_OR_RETURN(auto c, metadata::Catalog::Load(*store_));
    std::atomic_store(&catalog_, std::move(c));
    MetadataChanged();
    return Status::Ok();
  }

  // Metadata changed: the engine is rebuilt before the next query (data values need no call;
  // the store reports them).
  void MetadataChanged() {
    ++data_version_;
    std::lock_guard lock(pending_mu_);
    rebuild_ = true;
    pending_.clear();
    dirty_ = true;
  }
  // The analytics engine with every committed write applied, read-locked for one query.
  Result<EngineLease> Analytics() {
    if (dirty_.load()) {
      std::unique_lock write(engine_mu_);
      std::vector<storage::DataValueChange> changes;
      bool rebuild;
      {
        std::lock_guard lock(pending_mu_);
        changes.swap(pending_);
        rebuild = rebuild_ || !engine_;
        rebuild_ = false;
        dirty_ = false;
      }
      if (rebuild) {
        auto built = analytics::Engine::Build(*store_, catalog());
        if (!built.ok()) {
          MetadataChanged();  // try again next time
          return built.status();
        }
        engine_ = std::move(*built);
      }
      // After a rebuild these are already in it; applying them again in order is harmless.
      if (Status s = engine_->Apply(changes, *store_); !s.ok()) {
        MetadataChanged();
        return s;
      }
    }
    return EngineLease(std::shared_lock(engine_mu_), engine_.get());
  }

  // The web front end (templates and static files); null when it is not installed.
  std::shared_ptr<const WebAssets> web() const { return std::atomic_load(&web_); }
  void set_web(std::shared_ptr<const WebAssets> web) { std::atomic_store(&web_, std::move(web)); }

  // Rendered pages and the site settings, kept until content changes (pages: or a minute
  // passes).
  void ContentChanged() {
    std::lock_guard lock(pages_mu_);
    pages_.clear();
    site_.reset();
  }
  Result<std::map<std::string, std::string>> SiteSettings() {
    std::lock_guard lock(pages_mu_);
    if (!site_) {
      WJ_ASSIGN_OR_RETURN(auto s, portal::LoadSettings(*store_));
      site_ = std::move(s);
    }
    return *site_;
  }
  std::optional<Response> CachedPage(const std::string& key) {
    std::lock_guard lock(pages_mu_);
    auto it = pages_.find(key);
    if (it == pages_.end() || NowMillis() - it->second.first > 60'000) return std::nullopt;
    return it->second.second;
  }
  void CachePage(const std::string& key, const Response& page) {
    std::lock_guard lock(pages_mu_);
    if (pages_.size() > 256) pages_.clear();
    pages_[key] = {NowMillis(), page};
  }

  // Counts commits of data and metadata: what was derived from the data at one version still
  // holds while it is unchanged.
  std::uint64_t DataVersion() const { return data_version_.load(); }
  // A published report found equal to the data at `version` (its page need not compare again
  // until the data moves).
  bool ReportCheckedAt(const std::string& uid, std::uint64_t version) {
    std::lock_guard lock(pages_mu_);
    auto it = report_checked_.find(uid);
    return it != report_checked_.end() && it->second == version;
  }
  void SetReportChecked(const std::string& uid, std::uint64_t version) {
    std::lock_guard lock(pages_mu_);
    report_checked_[uid] = version;
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
  std::shared_ptr<const WebAssets> web_;
  std::mutex pages_mu_;
  std::map<std::string, std::pair<std::int64_t, Response>> pages_;
  std::optional<std::map<std::string, std::string>> site_;
  std::map<std::string, std::uint64_t> report_checked_;
  std::atomic<std::uint64_t> data_version_{0};
  std::mutex metadata_mu_;
  std::shared_mutex engine_mu_;
  std::unique_ptr<analytics::Engine> engine_;  // guarded by engine_mu_
  std::mutex pending_mu_;
  std::vector<storage::DataValueChange> pending_;  // committed, not yet in the engine
  bool rebuild_ = true;
  std::atomic<bool> dirty_{true};
  std::int64_t started_millis_ = 0;
};

}  // namespace weijian::http
