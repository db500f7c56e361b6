// The server's shared state: the store, the current metadata snapshot and the services.
// Handlers reach everything through an App&; nothing here knows about sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "analytics/engine_host.h"
#include "auth/auth_service.h"
#include "core/date.h"
#include "exchange/data_values.h"
#include "http/request.h"
#include "http/web_assets.h"
#include "metadata/catalog.h"
#include "portal/columns.h"
#include "portal/site.h"
#include "storage/store.h"
#include "tracker/coverage.h"
#include "tracker/immunization.h"

namespace weijian::http {

// The analytics engine for one query: an immutable snapshot the query keeps for as long as it
// runs (analytics/engine_host.h); writes and rebuilds publish the next one beside it.
using EngineLease = std::shared_ptr<const analytics::Engine>;

class App {
 public:
  explicit App(std::unique_ptr<storage::Store> store, auth::Clock clock = NowMillis)
      : store_(std::move(store)),
        values_(*store_),
        auth_(*store_, std::move(clock)),
        immunization_(*store_),
        engines_(std::make_unique<analytics::EngineHost>(*store_)),
        coverage_(std::make_unique<tracker::CoverageKeeper>(*store_)),
        article_views_(std::make_unique<portal::ArticleViews>(*store_)) {
    // A database that tells this server of other processes' commits is a server of its own
    // (PostgreSQL), whose backends share the cores with this process: the builder paces its
    // applies of large imports and its merges (bench/README.md (c)).
    engines_->set_pace_applies(store_->HearsChanges());
    // Every committed change of a data value reaches the engine before the next query.
    store_->SetDataValueListener(
        [this](std::vector<storage::DataValueChange>&& changes, bool overflow) {
          engines_->OnChanges(std::move(changes), overflow);
          ++data_version_;
        });
    // A saved cell's range check reads the unit's history of the cell from the engine, with every
    // write this server reported applied (Current), and from the store while an engine is being
    // built (none published yet, or a build from the store asked for: the published one may then
    // be stale by any amount). While a large import is applied off to the side (a few seconds),
    // the engine's history is the one before the import: the check warns, it does not decide
    // what is stored, and DHIS2's own min-max bounds come from a scheduled job, older still.
    // Reading the store then cost every save 5 ms of PostgreSQL's time just when an import had
    // made it busiest (bench/README.md, (c)). Another server's write reaches the engine within
    // the change log's poll.
    values_.set_cell_history(
        [this](const storage::DataValueKey& key) -> std::optional<std::vector<double>> {
          if (engines_->Building()) return std::nullopt;
          auto engine = engines_->Current();
          if (!engine.ok()) return std::nullopt;
          return (*engine)->CellHistory(key);
        });
  }
  ~App() {
    {
      std::lock_guard lock(poll_mu_);
      poll_stop_ = true;
    }
    poll_cv_.notify_all();
    if (poller_.joinable()) poller_.join();
    if (replica_checker_.joinable()) replica_checker_.join();
    store_->SetDataValueListener(nullptr);
    coverage_.reset();  // stops its build while the store is still open
    engines_.reset();   // joins the builder while the store is still open
  }

  // The first engine is built in the background; the first query waits for it if need be.
  // Starts the change-log poller: what other processes (the CLI) commit to the file reaches
  // the catalog and the engine within a second.
  Status Init() {
    WJ_ASSIGN_OR_RETURN(seen_seq_, store_->LatestChangeSeq());
    WJ_ASSIGN_OR_RETURN(auto c, metadata::Catalog::Load(*store_));
    std::atomic_store(&catalog_, std::shared_ptr<const metadata::Catalog>(c));
    ++data_version_;
    // A current snapshot file spares the first query the build.
    snapshot_note_ = "no snapshot file";
    bool adopted = false;
    if (!snapshot_path_.empty()) {
      auto e = analytics::Engine::LoadSnapshot(snapshot_path_, seen_seq_, c);
      if (e.ok())
        adopted = engines_->Adopt(std::move(*e), c);
      else
        snapshot_note_ = e.status().message();
    }
    loaded_from_snapshot_ = adopted;
    if (adopted) snapshot_seq_ = seen_seq_;
    if (!adopted) WJ_RETURN_IF_ERROR(engines_->SetCatalog(std::move(c), false));
    // Immunization coverage: every child's facts, computed once beside the engine's build.
    coverage_->StartBuild(Today());
    if (!poller_.joinable())
      poller_ = std::thread([this] {
        // Every 250 ms a look at the change log; on PostgreSQL the wait ends early when another
        // server's commit is notified (LISTEN/NOTIFY), and the looks go on when it cannot be.
        constexpr int kPollMillis = 250;
        const auto stop = [&] { return poll_stop_; };
        auto next_prune = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        std::unique_lock lock(poll_mu_);
        while (!poll_stop_) {
          bool heard = false;
          if (store_->HearsChanges()) {
            lock.unlock();
            auto r = store_->WaitForChange(kPollMillis);
            lock.lock();
            heard = r.ok();  // a notification or the time out: look now
          }
          if (!heard && poll_cv_.wait_for(lock, std::chrono::milliseconds(kPollMillis), stop))
            break;
          if (poll_stop_) break;
          PollChanges();
          if (std::chrono::steady_clock::now() >= next_prune) {
            next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
            lock.unlock();  // a prune holds the store's writer, not the looks' lock
            PruneChangeLog();
            lock.lock();
          }
        }
      });
    // About once a second, a look at the read replica (--read-db): its lag decides where engine
    // builds and exports read; a change of that decision is logged, once. On a thread of its own:
    // a replica that hangs (its host frozen) holds up only this look, never the change log's.
    if (store_->ReadReplica().attached && !replica_checker_.joinable())
      replica_checker_ = std::thread([this] {
        const auto stop = [&] { return poll_stop_; };
        std::unique_lock lock(poll_mu_);
        while (!poll_cv_.wait_for(lock, std::chrono::seconds(1), stop)) {
          lock.unlock();
          auto line = store_->CheckReadReplica();
          lock.lock();
          if (line) std::cerr << "weijian: " << *line << std::endl;
        }
      });
    return Status::Ok();
  }

  // The engine snapshot file beside the database (set before Init, by `serve`).
  void set_engine_snapshot_path(std::string path) { snapshot_path_ = std::move(path); }
  // Whether Init took the engine from the snapshot file, and if not, why not.
  bool engine_loaded_from_snapshot() const { return loaded_from_snapshot_; }
  const std::string& engine_snapshot_note() const { return snapshot_note_; }
  // Writes the engine to the snapshot file, stamped with the change-log sequence it is current
  // at (at a clean stop). The stamp is read first and every change up to it is applied before
  // writing, so a file is never older than its stamp; when other processes' changes are still
  // being built in, nothing is written (the next start builds from the store). A file this
  // start loaded is left as it is when nothing was written since (same stamp): a stop does not
  // rewrite hundreds of megabytes to say the same.
  Status SaveEngineSnapshot() {
    if (snapshot_path_.empty()) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(std::int64_t seq, store_->LatestChangeSeq());
    if (snapshot_seq_ && *snapshot_seq_ == seq) return Status::Ok();
    {
      std::lock_guard lock(poll_mu_);
      PollChanges();
    }
    if (!engines_->Idle()) return Unavailable("the analytics engine is being rebuilt");
    WJ_ASSIGN_OR_RETURN(auto snap, engines_->Current());
    return snap->SaveSnapshot(snapshot_path_, seq);
  }

  // How long change-log rows are kept: every server reads them within a second; one stopped or
  // stalled for longer reloads everything when it looks again (ChangesSince's "pruned").
  static constexpr std::int64_t kChangeLogKeepMillis = 24 * 3600 * 1000;
  // Once an hour from the poller: the rows older than kChangeLogKeepMillis are deleted, by one
  // server at a time (a job lease), 1,000 rows a transaction (a row lists up to 5,000 keys) so
  // that writers wait for no more than one batch, with a look at the log between batches (a
  // first prune of a long backlog does not keep this server from hearing of changes). Without
  // it the log grew by a row per write for ever.
  void PruneChangeLog() {
    constexpr int kBatch = 1'000;
    const std::int64_t now = NowMillis();
    auto taken =
        store_->TakeJobLease("change_log.prune", store_->ChangeOrigin(), now, 50 * 60 * 1000);
    if (!taken.ok() || !*taken) return;
    for (int batch = 0; batch < 1'000; ++batch) {
      {
        std::lock_guard lock(poll_mu_);
        if (poll_stop_) return;
        if (batch > 0) PollChanges();
      }
      auto pruned = store_->PruneChangeLog(now - kChangeLogKeepMillis, kBatch);
      if (!pruned.ok()) {
        std::cerr << "weijian: pruning the change log: " << pruned.status().message() << std::endl;
        return;
      }
      if (*pruned < kBatch) return;
    }
  }

  // One look at the change log: rows written by other processes since the last look.
  // Metadata, or rows pruned before this server saw them: the catalog is reloaded and the engine
  // rebuilt in the background. Values: those the rows list are read from the store and reach
  // the engine as this process's own writes do (Store::ReportStoredValues); a row that lists
  // none names the import that wrote them, whose values the engine's builder reads alone
  // (EngineHost::RequestImports); one that names nothing either (a row from before migration
  // 0031, a transaction of several writers) has the engine rebuilt in the background (queries
  // meanwhile use the previous engine). Values leave
  // the rendered pages alone, as this process's own writes do (no page shows a data value; a
  // published report compares its figures per data version): until session 21 every cell saved
  // through one server emptied the other's kept pages, and under the month-end load its portal
  // rendered every page again from the store (bench/README.md, pg_load). Content (the site's
  // articles, columns, settings; approvals): the kept pages go, and the data version moves.
  void PollChanges() {
    auto rows = store_->ChangesSince(seen_seq_, 10'000);
    if (!rows.ok()) return;  // busy or gone: the next look tries again
    const std::int64_t looked_from = seen_seq_;
    bool values = false, metadata = false, content = false, unlisted = false;
    std::vector<storage::DataValueKey> keys;
    std::vector<std::string> imports;  // rows that list no keys but name their import
    for (auto& r : *rows) {
      seen_seq_ = r.seq;
      if (r.origin == store_->ChangeOrigin()) continue;  // ours: already known
      if (r.kind == "metadata" || r.kind == "pruned") {
        metadata = true;
        continue;
      }
      if (r.kind == "content") {
        content = true;
        continue;
      }
      values = true;
      if (!r.keys_listed && !r.import_uid.empty()) {
        imports.push_back(std::move(r.import_uid));
        continue;
      }
      if (!r.keys_listed || unlisted ||
          keys.size() + r.keys.size() > storage::kMaxLoggedValueKeys) {
        unlisted = true;
        std::vector<storage::DataValueKey>().swap(keys);
      } else {
        keys.insert(keys.end(), r.keys.begin(), r.keys.end());
      }
    }
    if (metadata) {
      std::lock_guard lock(metadata_mu_);
      auto c = metadata::Catalog::Load(*store_);
      if (!c.ok()) {
        seen_seq_ = looked_from;  // the next look reads these rows again
        return;
      }
      std::atomic_store(&catalog_, std::shared_ptr<const metadata::Catalog>(*c));
      (void)engines_->SetCatalog(std::move(*c), false);  // never fails without waiting
    } else if (values && (unlisted || !store_->ReportStoredValues(keys).ok())) {
      engines_->RequestRebuild();  // (a failed read: the rebuild reads them all)
    } else if (!imports.empty()) {
      // After the listed keys were reported: the builder reads the imports' values as they
      // stand, later than those.
      engines_->RequestImports(std::move(imports));
    }
    if (content) {
      // An approval, a return or a lock exception may be among them: the write guards read the
      // approvals from this server's snapshot. (A failed read leaves the old one until the next
      // content row or this server's own approval change.)
      if (Status s = values_.approvals().Refresh(); !s.ok())
        std::cerr << "weijian: reading approvals changed by another server: " << s.message()
                  << std::endl;
    }
    if (metadata || values || content) ++data_version_;
    if (metadata || content) DropKeptPages();
  }

  // The snapshot a request works on; it stays valid for the request even if metadata changes.
  std::shared_ptr<const metadata::Catalog> catalog() const { return std::atomic_load(&catalog_); }
  // After a metadata write: returns once the engine is rebuilt with it (queries meanwhile use
  // the previous engine), so the writer's next request sees its metadata in analytics.
  Status ReloadCatalog() {
    WJ_ASSIGN_OR_RETURN(auto c, metadata::Catalog::Load(*store_));
    std::atomic_store(&catalog_, std::shared_ptr<const metadata::Catalog>(c));
    ++data_version_;
    return engines_->SetCatalog(std::move(c), true);
  }

  // Metadata changed: the engine is rebuilt in the background (data values need no call; the
  // store reports them).
  void MetadataChanged() {
    ++data_version_;
    (void)engines_->SetCatalog(catalog(), false);  // never fails without waiting
  }
  // The newest engine snapshot with every committed write applied; never waits for a rebuild
  // (only the very first query after a start may wait for the first engine).
  Result<EngineLease> Analytics() { return engines_->Current(); }
  analytics::EngineHost& engines() { return *engines_; }
  // Immunization coverage facts (接种率 …), kept current by the children's writes.
  tracker::CoverageKeeper& coverage() { return *coverage_; }

  // The web front end (templates and static files); null when it is not installed.
  std::shared_ptr<const WebAssets> web() const { return std::atomic_load(&web_); }
  void set_web(std::shared_ptr<const WebAssets> web) { std::atomic_store(&web_, std::move(web)); }

  // Rendered pages, the site settings and the column tree, kept until content changes (pages: or a
  // minute passes). An approval, unapproval or return: what approved data hold has moved, so every
  // answer kept per data version (a published report's 数据已更新 check, cached pages) is asked
  // again.
  void ApprovalsChanged() {
    ++data_version_;
    ContentChanged();
  }
  // After a committed change of the site's content: this server's kept pages go, and a
  // change-log row tells the other servers on the store to drop theirs (PollChanges). The row
  // is a transaction of its own, after the change's: if it cannot be written (the store gone
  // meanwhile) the others' pages and settings still expire within kKeepPagesMillis.
  void ContentChanged() {
    DropKeptPages();
    if (Status logged = store_->LogContentChange(); !logged.ok())
      std::cerr << "weijian: telling the other servers of a content change: " << logged.message()
                << std::endl;
  }
  Result<std::map<std::string, std::string>> SiteSettings() {
    std::lock_guard lock(pages_mu_);
    if (!site_ || NowMillis() - site_loaded_ > kKeepPagesMillis) {
      WJ_ASSIGN_OR_RETURN(auto s, portal::LoadSettings(*store_));
      site_ = std::move(s);
      site_loaded_ = NowMillis();
    }
    return *site_;
  }
  // The portal's column tree (navigation, crumbs, each article's column), kept like the site
  // settings: every portal page read it from the store, twice for an article, and on
  // PostgreSQL those reads were most of what the readers cost the database (bench/README.md, (c)).
  Result<std::shared_ptr<const portal::ColumnTree>> Columns() {
    std::lock_guard lock(pages_mu_);
    if (!columns_ || NowMillis() - columns_loaded_ > kKeepPagesMillis) {
      WJ_ASSIGN_OR_RETURN(auto tree, portal::ColumnTree::Load(*store_));
      columns_ = std::make_shared<const portal::ColumnTree>(std::move(tree));
      columns_loaded_ = NowMillis();
    }
    return columns_;
  }
  // A published article as its page shows it: the record with its latest version, and its
  // attachments. Kept like the column tree, and only until this server next writes its readers'
  // views (the page adds the views not yet written to the stored count, which would otherwise
  // seem to fall): about five seconds under readers. Each article page read it from the store in
  // three read transactions, most of what the portal's readers still cost PostgreSQL once the
  // column tree was kept (bench/README.md, (c)).
  struct PublishedArticle {
    storage::ArticleRecord article;
    std::vector<storage::AttachmentRecord> attachments;
  };
  Result<std::shared_ptr<const PublishedArticle>> Article(const std::string& uid) {
    const std::uint64_t written = article_views_->written();
    std::uint64_t dropped = 0;
    {
      std::lock_guard lock(pages_mu_);
      auto it = articles_.find(uid);
      if (it != articles_.end() && it->second.written == written &&
          NowMillis() - it->second.loaded <= kKeepPagesMillis)
        return it->second.article;
      dropped = dropped_;
    }
    // Read without the lock (pages and settings are served meanwhile); kept only if no content
    // change dropped the kept things while it was read.
    portal::Articles articles(*store_);
    WJ_ASSIGN_OR_RETURN(auto found, articles.Published(uid, NowMillis()));
    auto kept = std::make_shared<PublishedArticle>();
    auto files = store_->ListAttachments(found.id);
    if (files.ok()) kept->attachments = std::move(*files);
    kept->article = std::move(found);
    std::lock_guard lock(pages_mu_);
    // Not kept when its attachments could not be read (the page goes without them this once).
    if (dropped_ == dropped && files.ok()) {
      // Bounded by the text kept (an article's body may reach 2 MB): a crawler walking every
      // article keeps at most kKeptArticleBytes of them.
      const std::size_t bytes = kept->article.body_md.size() + kept->article.title.size();
      if (articles_bytes_ + bytes > kKeptArticleBytes) {
        articles_.clear();
        articles_bytes_ = 0;
      }
      articles_.insert_or_assign(uid, KeptArticle{written, NowMillis(), kept});
      articles_bytes_ += bytes;
    }
    return std::shared_ptr<const PublishedArticle>(std::move(kept));
  }
  // How long a rendered page, the site settings and the column tree are kept at most.
  static constexpr std::int64_t kKeepPagesMillis = 60'000;
  std::optional<Response> CachedPage(const std::string& key) {
    std::lock_guard lock(pages_mu_);
    auto it = pages_.find(key);
    if (it == pages_.end() || NowMillis() - it->second.first > kKeepPagesMillis)
      return std::nullopt;
    return it->second.second;
  }
  // Counts the drops of what is kept: a page rendered from what it read before a drop is not
  // kept after it (CachePage's `since`).
  std::uint64_t KeptSince() {
    std::lock_guard lock(pages_mu_);
    return dropped_;
  }
  void CachePage(const std::string& key, const Response& page, std::uint64_t since) {
    std::lock_guard lock(pages_mu_);
    if (dropped_ != since) return;
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
  // Readers' article views (portal/site.h): counted without waiting for the store's writer.
  portal::ArticleViews& article_views() { return *article_views_; }
  exchange::DataValueService& values() { return values_; }
  auth::AuthService& auth() { return auth_; }
  // Children's records; its key file is set once by `serve` before requests are served.
  tracker::ImmunizationService& immunization() { return immunization_; }
  // Metadata writes are serialised: each validates against the snapshot the previous one left.
  std::mutex& metadata_mutex() { return metadata_mu_; }
  std::int64_t started_millis() const { return started_millis_; }
  void set_started_millis(std::int64_t t) { started_millis_ = t; }

 private:
  void DropKeptPages() {
    std::lock_guard lock(pages_mu_);
    pages_.clear();
    site_.reset();
    columns_.reset();
    articles_.clear();
    articles_bytes_ = 0;
    ++dropped_;
  }
  std::unique_ptr<storage::Store> store_;
  exchange::DataValueService values_;
  auth::AuthService auth_;
  tracker::ImmunizationService immunization_;
  std::shared_ptr<const metadata::Catalog> catalog_;  // std::atomic_load/atomic_store only
  std::shared_ptr<const WebAssets> web_;              // std::atomic_load/atomic_store only
  std::mutex pages_mu_;
  std::map<std::string, std::pair<std::int64_t, Response>> pages_;  // guarded by pages_mu_
  std::optional<std::map<std::string, std::string>> site_;          // guarded by pages_mu_
  std::int64_t site_loaded_ = 0;                                    // guarded by pages_mu_
  std::shared_ptr<const portal::ColumnTree> columns_;               // guarded by pages_mu_
  std::int64_t columns_loaded_ = 0;                                 // guarded by pages_mu_
  struct KeptArticle {
    std::uint64_t written;  // ArticleViews::written() when it was read
    std::int64_t loaded;
    std::shared_ptr<const PublishedArticle> article;
  };
  std::map<std::string, KeptArticle> articles_;  // guarded by pages_mu_
  std::size_t articles_bytes_ = 0;               // guarded by pages_mu_; their titles and texts
  static constexpr std::size_t kKeptArticleBytes = 32 << 20;
  std::uint64_t dropped_ = 0;  // guarded by pages_mu_; DropKeptPages' count
  std::map<std::string, std::uint64_t> report_checked_;  // guarded by pages_mu_
  std::atomic<std::uint64_t> data_version_{0};
  std::mutex metadata_mu_;
  // Declared after store_: destroyed (its builder joined) before the store closes.
  std::unique_ptr<analytics::EngineHost> engines_;
  std::unique_ptr<tracker::CoverageKeeper> coverage_;  // after store_, like engines_
  // After store_: its last counts are written before the store closes.
  std::unique_ptr<portal::ArticleViews> article_views_;
  std::int64_t started_millis_ = 0;
  // The change-log poller (Init) and what it has seen.
  std::mutex poll_mu_;
  std::condition_variable poll_cv_;    // with poll_mu_
  bool poll_stop_ = false;             // guarded by poll_mu_
  std::int64_t seen_seq_ = 0;          // guarded by poll_mu_ once the poller runs
  std::string snapshot_path_;          // set before Init
  bool loaded_from_snapshot_ = false;  // set by Init
  // The change-log stamp of the snapshot file Init loaded (none when it built from the store).
  std::optional<std::int64_t> snapshot_seq_;  // set by Init
  std::string snapshot_note_;                 // set by Init
  std::thread poller_;
  std::thread replica_checker_;  // with a read replica: CheckReadReplica once a second
};

}  // namespace weijian::http
