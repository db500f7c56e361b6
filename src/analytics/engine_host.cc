// EngineHost: see engine_host.h for the snapshot model and its locks.
#include "analytics/engine_host.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/thread_priority.h"

namespace weijian::analytics {

EngineHost::EngineHost(storage::Store& store, std::size_t max_pending, std::size_t max_background)
    : store_(store), max_pending_(max_pending), max_background_(max_background) {
  builder_ = std::thread([this] { BuilderLoop(); });
}

EngineHost::~EngineHost() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  builder_.join();
}

namespace {

// The batches as one list, in their order: one is taken whole, several are joined.
std::vector<storage::DataValueChange> Joined(
    std::vector<std::vector<storage::DataValueChange>>&& batches) {
  if (batches.size() == 1) return std::move(batches.front());
  std::size_t n = 0;
  for (const auto& b : batches) n += b.size();
  std::vector<storage::DataValueChange> out;
  out.reserve(n);
  for (auto& b : batches) {
    out.insert(out.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
    std::vector<storage::DataValueChange>().swap(b);
  }
  return out;
}

}  // namespace

void EngineHost::OnChanges(std::vector<storage::DataValueChange>&& changes, bool overflow) {
  // What the lists drop is freed once mu_ is let go (declared before the lock).
  std::vector<storage::DataValueChange> dropped_pending;
  Batches dropped_big;
  std::lock_guard l(mu_);
  ++reported_;
  if (rebuilding_ && !since_overflow_) {
    if (overflow || since_rebuild_.size() + changes.size() > max_pending_) {
      // The work in progress cannot be completed from the list and is not published. After a
      // merge alone nothing is missing from the published engine: the merge is done again
      // after these changes (below, the builder's next batch). Otherwise a build follows.
      since_overflow_ = true;
      since_rebuild_ = {};
      if (merging_only_)
        merge_requested_ = true;
      else
        AskForBuildLocked("list overflowed during a build");
      ++stats_.overflows;
    } else {
      since_rebuild_.insert(since_rebuild_.end(), changes.begin(), changes.end());
    }
  }
  const std::size_t waiting = (big_open_ ? big_count_ : pending_.size()) + changes.size();
  if (overflow || waiting > max_background_ ||
      (waiting > max_pending_ && !big_open_ && rebuild_requested_)) {
    // Too many to list or to apply, or a build from the store (asked for already, and so to
    // start after this commit) is to read them there anyway.
    ++stats_.dropped;
    dropped_pending.swap(pending_);
    dropped_big = TakeBigLocked();
    AskForBuildLocked("changes dropped");
    work_cv_.notify_one();
    return;
  }
  // Whole batches, never element by element (big_ in engine_host.h says why).
  auto to_big = [&](std::vector<storage::DataValueChange>&& batch) {
    big_count_ += batch.size();
    big_.push_back(std::move(batch));
  };
  if (big_open_) {
    to_big(std::move(changes));  // later than what the builder is to apply: after it, never before
    return;
  }
  if (waiting > max_pending_) {
    // Too many for a query to apply: the builder applies them to a copy, after the pending ones.
    if (!pending_.empty()) to_big(std::exchange(pending_, {}));
    to_big(std::move(changes));
    big_open_ = true;
    work_cv_.notify_one();
    return;
  }
  pending_.insert(pending_.end(), std::make_move_iterator(changes.begin()),
                  std::make_move_iterator(changes.end()));
}

Status EngineHost::SetCatalog(std::shared_ptr<const metadata::Catalog> catalog, bool wait) {
  std::unique_lock l(mu_);
  catalog_ = std::move(catalog);
  ++stats_.catalog_changes;
  AskForBuildLocked("catalog");
  const std::uint64_t target = build_started_ + 1;  // the next build reads catalog_
  work_cv_.notify_one();
  if (!wait) return Status::Ok();
  done_cv_.wait(l, [&] { return stop_ || build_done_ >= target || build_failed_ >= target; });
  if (build_done_ >= target) return Status::Ok();
  return stop_ ? Unavailable("the analytics engine is shutting down") : last_error_;
}

void EngineHost::RequestRebuild() {
  std::lock_guard l(mu_);
  ++stats_.rebuild_requests;
  AskForBuildLocked("rebuild request");
  work_cv_.notify_one();
}

void EngineHost::RequestImports(std::vector<std::string> import_uids) {
  std::lock_guard l(mu_);
  imports_.insert(imports_.end(), std::make_move_iterator(import_uids.begin()),
                  std::make_move_iterator(import_uids.end()));
  work_cv_.notify_one();
}

bool EngineHost::Adopt(std::unique_ptr<Engine> engine,
                       std::shared_ptr<const metadata::Catalog> catalog) {
  std::lock_guard u(update_mu_);
  if (std::atomic_load(&snapshot_)) return false;
  if (std::size_t m = merge_threshold_.load()) engine->set_merge_threshold(m);
  // A server stopped before its builder merged a long tail: merged now, not at the next write.
  const bool merge = engine->TailWantsMerge();
  Publish(std::move(engine));
  std::lock_guard l(mu_);
  catalog_ = std::move(catalog);
  published_ = true;
  merge_requested_ = merge;
  ++stats_.loaded;
  done_cv_.notify_all();
  work_cv_.notify_one();
  return true;
}

Result<std::shared_ptr<const Engine>> EngineHost::Current() {
  // The counters first, then the snapshot (see reported_).
  if (applied_.load() == reported_.load())
    if (auto snap = std::atomic_load(&snapshot_)) return snap;
  if (!std::atomic_load(&snapshot_)) {
    // The first engine: ask the builder and wait for it (the only query that ever waits).
    std::unique_lock l(mu_);
    if (!published_) {
      // The build the start asked for publishes the first engine: ask for one only when none
      // is running or asked for (asking while one runs would build the whole engine twice).
      if (!rebuild_requested_ && !rebuilding_) {
        AskForBuildLocked("first query");
        work_cv_.notify_one();
      }
      const std::uint64_t target = build_started_ + (rebuilding_ ? 0 : 1);
      done_cv_.wait(l, [&] { return stop_ || published_ || build_failed_ >= target; });
      if (!published_)
        return stop_ ? Unavailable("the analytics engine is shutting down") : last_error_;
    }
  }
  std::lock_guard u(update_mu_);
  std::vector<storage::DataValueChange> changes;
  std::uint64_t upto = 0;
  {
    std::lock_guard l(mu_);
    changes.swap(pending_);
    upto = reported_.load();
  }
  if (!changes.empty()) {
    Status s = ApplyAndPublish(changes);
    if (!s.ok()) {
      std::lock_guard l(mu_);
      ++stats_.failed_applies;  // counted, as the builder's are: a build follows
      stats_.last_error = s.message();
      AskForBuildLocked("a query's apply failed");  // the next engine is built from the store
      work_cv_.notify_one();
      return s;
    }
  }
  // Published above (or by whoever held update_mu_ before): everything up to `upto` is in it.
  if (applied_.load() < upto) applied_.store(upto);
  return std::atomic_load(&snapshot_);
}

Status EngineHost::ApplyAndPublish(std::vector<storage::DataValueChange>& changes) {
  WJ_ASSERT_HELD(update_mu_);
  // A copy shares the published engine's columns; Apply copies only the chunks it writes.
  WJ_RETURN_IF_ERROR(
      ApplyLeavingTheTail(std::make_unique<Engine>(*std::atomic_load(&snapshot_)), changes));
  std::lock_guard l(mu_);
  ++stats_.applied;
  return Status::Ok();
}

Status EngineHost::ApplyLeavingTheTail(std::unique_ptr<Engine> next,
                                       std::span<const storage::DataValueChange> changes) {
  WJ_ASSERT_HELD(update_mu_);
  // Not merged here (a pass over every value, while queries with writes to apply wait for
  // update_mu_): the builder thread is asked to.
  WJ_RETURN_IF_ERROR(next->Apply(changes, store_, Engine::TailMerge::kLeaveTail));
  const bool merge = next->TailWantsMerge();
  Publish(std::move(next));
  if (!merge) return Status::Ok();
  std::lock_guard l(mu_);
  if (!merge_requested_) {
    merge_requested_ = true;
    work_cv_.notify_one();
  }
  return Status::Ok();
}

void EngineHost::Publish(std::unique_ptr<Engine> engine) {
  WJ_ASSERT_HELD(update_mu_);
  std::atomic_store(&snapshot_, std::shared_ptr<const Engine>(std::move(engine)));
}

void EngineHost::BuilderLoop() {
  while (true) {
    Batches dropped;  // what a build replaces
    std::shared_ptr<const metadata::Catalog> catalog;
    std::uint64_t generation = 0;
    bool build = false;
    bool first = false;
    {
      std::unique_lock l(mu_);
      auto work = [&] {
        return catalog_ && (rebuild_requested_ ||
                            ((big_open_ || merge_requested_ || !imports_.empty()) && published_));
      };
      work_cv_.wait(l, [&] { return stop_ || work(); });
      if (stop_) return;
      working_ = true;
      first = !published_;
      build = rebuild_requested_;
      if (build) {
        // The build reads every change reported so far from the store.
        std::string& asked = stats_.builds_asked;
        asked += (asked.empty() ? "#" : "; #") + std::to_string(build_started_ + 1) + " " +
                 (asked_by_.empty() ? std::string("?") : asked_by_);
        if (asked.size() > 1000) asked.erase(0, asked.size() - 1000);
        asked_by_.clear();
        rebuilding_ = true;
        from_store_ = true;
        rebuild_requested_ = false;
        dropped = TakeBigLocked();
        merge_requested_ = false;  // a build lays out a new base
        since_overflow_ = false;
        since_rebuild_.clear();
        imports_.clear();  // the build reads their values with every other
        catalog = catalog_;
        generation = ++build_started_;
      }
    }
    Batches().swap(dropped);  // now, without mu_
    // Once an engine is published, builds and imports applied off to the side (and the merges
    // they bring) take what the queries' threads leave of the CPU (core/thread_priority.h). The
    // first build runs at the queries' priority: they are all waiting for it. (A thread never
    // gets its priority back, so it is lowered only from then on.)
    if (!first) LowerThisThreadsPriority();
    if (before_build_) before_build_();
    // This process's own batch (or a merge) before other processes' imports. Either order is
    // right: an import's values are read as the store holds them now, and a value written since
    // carries another import's uid, or none, and so is not among them.
    bool own_first = false;
    if (!build) {
      std::lock_guard l(mu_);
      own_first = big_open_ || merge_requested_;
    }
    Status status = build       ? BuildFromStore(std::move(catalog))
                    : own_first ? ApplyOffToTheSide()
                                : ApplyImports();
    if (after_work_) after_work_();
    std::unique_lock l(mu_);
    working_ = false;
    rebuilding_ = false;
    from_store_ = false;
    merging_only_ = false;
    if (stop_ && !status.ok()) {
      // Work a stop ended part-way (Pacer::stopped) is no failure: nothing follows it.
    } else if (!build) {
      if (!status.ok()) {
        // The published engine lacks the batch: the next one is built from the store.
        last_error_ = status;
        ++stats_.failed_applies;
        stats_.last_error = status.message();
        AskForBuildLocked("the builder's apply failed");
      }
    } else if (status.ok()) {
      published_ = true;
      build_done_ = generation;
      ++stats_.builds;
    } else {
      build_failed_ = generation;
      last_error_ = status;
      stats_.last_error = status.message();
    }
    done_cv_.notify_all();
    if (build && !status.ok() && published_) {
      // The published engine may lack changes the build was to read from the store (an import
      // handed to it, a dropped batch): build again after a pause, until one succeeds. The
      // engine counts as Building during the pause (not as busy: Idle, WaitIdle).
      retry_pending_ = true;
      work_cv_.wait_for(l, std::chrono::seconds(1), [&] { return stop_; });
      retry_pending_ = false;
      AskForBuildLocked("retry of a failed build");
    }
  }
}

Status EngineHost::BuildFromStore(std::shared_ptr<const metadata::Catalog> catalog) {
  // Without any lock: queries go on with the published engine meanwhile. With a read replica
  // the scan reads from it once it has replayed every write committed before now (waiting up
  // to a second, else from the primary): the changes this server commits from here on are
  // collected in since_rebuild_ and applied below, through the primary.
  auto built = [&] {
    {
      auto replica = store_.ReadFromReplica();
      auto first = Engine::Build(store_, catalog);
      if (first.ok() || !replica) return first;
    }
    // The replica could not finish the scan (its connection dropped, or a long scan was
    // cancelled by a conflict with its recovery): once more from the primary, rather than
    // leave this server's analytics without the change that asked for the build.
    return Engine::Build(store_, catalog);
  }();
  WJ_RETURN_IF_ERROR(built.status());
  if (std::size_t m = merge_threshold_.load()) (*built)->set_merge_threshold(m);
  return PublishFromBuilder(std::move(*built), false).status();
}

Result<bool> EngineHost::PublishFromBuilder(std::unique_ptr<Engine> next, bool unless_overflowed,
                                            bool holds_pending) {
  // What the lists drop, and `since` once applied, are freed after the locks are let go
  // (declared before them).
  std::vector<storage::DataValueChange> dropped_pending, since;
  Batches dropped_big;
  std::lock_guard u(update_mu_);
  {
    std::lock_guard l(mu_);
    // A list that overflowed cannot complete this engine: the rebuild asked for replaces it.
    if (unless_overflowed && since_overflow_) return false;
    // Every pending change is in `next` or in `since`: none is applied again after them.
    if (holds_pending) dropped_pending.swap(pending_);
    since.swap(since_rebuild_);
    rebuilding_ = false;
    merging_only_ = false;
    if (!unless_overflowed) {
      // A build: what waits for the builder was reported after the build began, so it is in
      // `since` (an import that arrived while the build ran need not be applied again).
      dropped_big = TakeBigLocked();
    }
  }
  WJ_RETURN_IF_ERROR(ApplyLeavingTheTail(std::move(next), since));
  return true;
}

Status EngineHost::ApplyOffToTheSide() {
  Batches batches;
  std::shared_ptr<const Engine> base;
  bool merge = false;
  {
    // Under update_mu_ no query is applying pending changes, so the published engine holds
    // every change reported before `big_` (those that were pending went into it) and none after.
    std::lock_guard u(update_mu_);
    std::lock_guard l(mu_);
    base = std::atomic_load(&snapshot_);
    // A merge asked for again while the last one ran finds the tail already merged.
    merge = std::exchange(merge_requested_, false) && base->TailWantsMerge();
    batches = TakeBigLocked();
    // Nothing: the batch was dropped meanwhile for a build from the store.
    if (batches.empty() && !merge) return Status::Ok();
    rebuilding_ = true;  // from here on, reported batches also collect in since_rebuild_
    since_overflow_ = false;
    // What is pending now was reported before the copy and is not in it (a batch's opening took
    // the pending list with it; a merge's did not): a query may apply it to the published engine
    // before this publishes, so it is applied to this one as well (at most max_pending).
    since_rebuild_ = pending_;
    merging_only_ = batches.empty();
  }
  if (after_take_) after_take_();
  std::vector<storage::DataValueChange> batch = Joined(std::move(batches));
  // Without any lock: queries go on with the published engine (which nobody changes) plus the
  // batches reported from now on, which also collect in since_rebuild_. Paced when the database
  // is another process's (set_pace_applies).
  auto next = std::make_unique<Engine>(*base);  // shares base's columns (column.h)
  base.reset();
  const bool applied = !batch.empty();
  // A stop ends the work at its next step (the copy is dropped), paced or not.
  Pacer pacer = MakePacer(pace_applies_);
  WJ_RETURN_IF_ERROR(next->Apply(batch, store_, Engine::TailMerge::kMerge, &pacer));
  std::vector<storage::DataValueChange>().swap(batch);
  merge = merge && next->TailWantsMerge();  // (a large batch merges it as it is applied)
  if (merge) WJ_RETURN_IF_ERROR(next->MergeTail(&pacer));
  auto published = PublishFromBuilder(std::move(next), true);
  WJ_RETURN_IF_ERROR(published.status());
  if (*published) {
    std::lock_guard l(mu_);
    stats_.deferred += applied ? 1 : 0;
    stats_.merges += merge ? 1 : 0;
  }
  return Status::Ok();
}

Pacer EngineHost::MakePacer(bool rests) {
  Pacer::Options pacing = pacing_;
  if (!rests) pacing.rest_per_work = 0;
  pacing.rest = [this, rest = std::move(pacing.rest)](Pacer::Clock::duration d) {
    if (rest) return rest(d);
    std::unique_lock l(mu_);
    work_cv_.wait_for(l, d, [&] { return stop_; });
  };
  pacing.stop = [this] {
    std::lock_guard l(mu_);
    return stop_;
  };
  return Pacer(std::move(pacing));
}

Status EngineHost::ApplyImports() {
  std::vector<std::string> uids;
  std::shared_ptr<const Engine> base;
  // The copy gets, in this order: what is pending now (reported before the take, not yet in the
  // published engine: it stays pending for the queries meanwhile), the imports' values as the
  // store holds them when read, then every batch reported from the take on (since_rebuild_).
  // Pending changes go before the imports' values, not after: one may be older than an import
  // (a value saved here, then overwritten by the import on another server), and a value written
  // after an import carries another import's uid or none, so it is not among the values read.
  // (Until a review of session 21 the pending list was applied after them, as since_rebuild_:
  // the older value won.)
  std::vector<storage::DataValueChange> batch;
  {
    std::lock_guard u(update_mu_);
    std::lock_guard l(mu_);
    uids.swap(imports_);
    if (uids.empty() || rebuild_requested_) return Status::Ok();  // a build reads them anyway
    if (big_open_) {  // a batch of our own came first: the imports wait for the next turn
      imports_.swap(uids);
      return Status::Ok();
    }
    base = std::atomic_load(&snapshot_);
    rebuilding_ = true;
    since_overflow_ = false;
    since_rebuild_.clear();
    batch = pending_;
    merging_only_ = false;
  }
  if (after_take_) after_take_();
  // An error (too many values, the store unreadable) has BuilderLoop build from the store instead.
  // The rests end at once when the host stops, and so does the read: a paced read of a million
  // values takes about 20 s, and the server's shutdown waited for all of it. The apply that
  // follows is paced with set_pace_applies only, and ends at a stop either way.
  Pacer pacer = MakePacer(true);
  for (const auto& uid : uids)
    WJ_RETURN_IF_ERROR(store_.ScanImportValues(
        uid,
        [&](const storage::DataValueKey& key, std::string_view value, bool deleted) -> Status {
          if (pacer.stopped()) return Unavailable("the analytics engine is shutting down");
          if (batch.size() >= max_background_)
            return ResourceExhausted("an import too large to apply off to the side");
          batch.push_back({key, std::string(value), deleted});
          return Status::Ok();
        },
        &pacer));
  auto next = std::make_unique<Engine>(*base);  // shares base's columns (column.h)
  base.reset();
  Pacer apply_pacer = MakePacer(pace_applies_);
  WJ_RETURN_IF_ERROR(next->Apply(batch, store_, Engine::TailMerge::kMerge, &apply_pacer));
  std::vector<storage::DataValueChange>().swap(batch);
  if (next->TailWantsMerge()) WJ_RETURN_IF_ERROR(next->MergeTail(&apply_pacer));
  auto published = PublishFromBuilder(std::move(next), true, /*holds_pending=*/true);
  WJ_RETURN_IF_ERROR(published.status());
  if (*published) {
    std::lock_guard l(mu_);
    ++stats_.imports;
  }
  return Status::Ok();
}

bool EngineHost::BuilderQuiet() const {
  // Changes waiting for the builder count only once an engine is published (before, the first
  // build reads them from the store).
  return !rebuild_requested_ && !rebuilding_ && !working_ &&
         !((big_open_ || merge_requested_ || !imports_.empty()) && published_);
}

void EngineHost::WaitIdle() {
  std::unique_lock l(mu_);
  done_cv_.wait(l, [&] { return stop_ || BuilderQuiet() || !catalog_; });
}

bool EngineHost::Idle() const {
  std::lock_guard l(mu_);
  return published_ && BuilderQuiet();
}

bool EngineHost::Building() const {
  std::lock_guard l(mu_);
  return !published_ || rebuild_requested_ || from_store_ || retry_pending_;
}

EngineHost::Stats EngineHost::stats() const {
  std::lock_guard l(mu_);
  Stats out = stats_;
  out.quiet = published_ && BuilderQuiet();
  return out;
}

}  // namespace weijian::analytics
