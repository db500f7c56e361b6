// The analytics engine as published immutable snapshots: readers take a
// `std::shared_ptr<const Engine>` and keep it for as long as they like; nothing they hold is ever
// changed under them, and no query waits for a rebuild.
//
// How a change reaches the readers:
// - Data values: the store reports each commit (OnChanges) into `pending_`. The next query (or
//   the change-log poller) copies the published engine, applies the pending changes to the copy
//   and publishes it. A copy shares every column with the engine it was copied from and copies
//   only the chunks the changes write (column.h), so a query right after a write sees that write
//   (read-your-writes) at the cost of applying the pending batch: never a rebuild, never a copy
//   of the values, never a wait for another reader. An engine is freed when its last reader
//   lets go of it. (Until session 16 two engines took turns, and a query waited up to 50 ms for
//   a reader to let go of the other one: a copy then cost 0.76 s at 10M values.)
// - Pending changes are bounded (`max_pending`): a query applies at most that many. A batch that
//   would take the pending list past it (an import) is applied off to the side instead: the
//   pending list and every batch reported after it go to `big_`, queries go on with the published
//   engine meanwhile (they do not see those changes yet, nor, until the builder takes them, the
//   writes reported after them: read-your-writes is suspended for that moment), and the
//   builder thread copies the published engine, applies `big_` in order, then what was reported
//   during the work (`since_rebuild_`), and publishes it. That costs a merge of the engine's
//   columns at most, not a read of the whole store. Past `max_background` changes, or when a
//   transaction was too big to list (overflow), they are dropped and a rebuild is requested
//   instead.
// - Another process's import, too large for the change log to list (RequestImports): the builder
//   reads that import's values from the store (as they stand: a value written since carries
//   another import's uid, or none) and applies them to a copy of the published engine after the
//   changes pending at that moment, then what was reported during the work, and publishes it;
//   the pending list is emptied then (it is in the copy), so no query applies an older value
//   after the import's.
// - The tail of new values (engine.h) is merged into the base off the queries' path: a query
//   applies its changes without merging (a merge is a pass over every value and lays out the
//   base again: 10.5M values in the load benchmark) and, when the tail has grown past the
//   threshold, asks the builder thread, which merges a copy of the published engine and publishes
//   it with what was reported meanwhile, as for a large batch. (Past four times the threshold, a
//   builder starved of CPU, a query merges after all: Engine::kLeftTailFactor.)
// - Metadata (SetCatalog), overflow, and the first build: a background thread builds the next
//   engine from a read snapshot of the store while queries go on with the previous engine (plus
//   the small pending changes). Changes committed after the build began are collected
//   (`since_rebuild_`) and applied to the new engine before it is published; re-applying a
//   change the build already saw is harmless (Apply sets values, it does not add them).
//   Only a query with no engine at all (the first after a start) waits for a build.
// - The builder thread runs below the queries' CPU priority (core/thread_priority.h), and reads
//   other processes' imports in paced stretches (core/pacer.h); with a database in another
//   process it applies large batches and merges in paced stretches too (set_pace_applies).
//
// Locks: `update_mu_` (an OwnedMutex, checked where required) serialises whoever publishes (a
// query applying pending changes, the builder); `mu_` guards the pending lists, the request
// flags and the counters. Order: update_mu_ before mu_, never the reverse. The store listener
// only takes mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "analytics/engine.h"
#include "core/owned_mutex.h"
#include "core/pacer.h"

namespace weijian::analytics {

class EngineHost {
 public:
  struct Stats {
    std::uint64_t builds = 0;    // engines built from the store
    std::uint64_t applied = 0;   // batches of pending changes applied to a copy by a query
    std::uint64_t dropped = 0;   // batches of pending changes replaced by a rebuild
    std::uint64_t deferred = 0;  // large batches applied to a copy by the builder thread
    std::uint64_t loaded = 0;    // engines adopted whole (e.g. read from a snapshot file)
    std::uint64_t merges = 0;    // tails merged into the base by the builder thread
    std::uint64_t imports = 0;   // other processes' imports read alone and applied to a copy
    // Why builds were asked for (one build may answer several), for tests and diagnosis:
    std::uint64_t catalog_changes = 0;   // SetCatalog
    std::uint64_t rebuild_requests = 0;  // RequestRebuild (another process's unlisted values)
    std::uint64_t failed_applies = 0;    // a batch applied by a query or off to the side failed
    std::uint64_t overflows = 0;  // changes reported during a build or an import outgrew its list
    std::string last_error;       // the last failure's message ("" when none)
    // Each build taken, with what asked for it: "#2 catalog; #3 first query" (the last 1,000
    // characters). For a test that finds a build it did not expect.
    std::string builds_asked;
    // Read with the counts, under the same lock: an engine is published and nothing waits for
    // the builder or runs on it (Idle). A test that takes its baseline counts while quiet knows
    // that any build after them was asked for after them, and so is counted in them.
    bool quiet = false;
  };

  explicit EngineHost(storage::Store& store, std::size_t max_pending = 200'000,
                      std::size_t max_background = 2'000'000);
  ~EngineHost();  // stops the builder; snapshots handed out stay valid
  EngineHost(const EngineHost&) = delete;
  EngineHost& operator=(const EngineHost&) = delete;

  // Committed data-value changes (the store's listener; any thread; takes only mu_).
  void OnChanges(std::vector<storage::DataValueChange>&& changes, bool overflow);
  // New metadata: the next engine is built with it in the background. With `wait`, returns once
  // an engine built with it (or a later one) is published, or with the build's error.
  Status SetCatalog(std::shared_ptr<const metadata::Catalog> catalog, bool wait);
  // Values changed that no listener reported (another process): the next engine is built from
  // the store in the background; the pending changes still reach the current one meanwhile.
  void RequestRebuild();
  // Imports another process committed, too large for its change-log rows to list (their uids):
  // the builder reads the values each wrote (Store::ScanImportValues) and applies them to a copy
  // of the published engine, as it applies a large batch of this process's own, instead of
  // building the engine from the whole store. Past max_background values, or when a read fails,
  // it builds from the store after all.
  void RequestImports(std::vector<std::string> import_uids);
  // Adopts an engine built elsewhere (a snapshot file) as the current one, if none is published
  // yet; changes reported since are applied on the next Current().
  bool Adopt(std::unique_ptr<Engine> engine, std::shared_ptr<const metadata::Catalog> catalog);
  // No rebuild is requested or running, and an engine is published.
  bool Idle() const;
  // No engine is published yet, or one is being built from the store (requested or running):
  // the published one may then lack values the store holds. A large batch, an import or a merge
  // applied off to the side is not a build: the published engine holds every value it held.
  bool Building() const;

  // The newest snapshot with every reported change applied. Waits only when there is none yet.
  Result<std::shared_ptr<const Engine>> Current();
  // The published snapshot as it is (null before the first build); never waits.
  std::shared_ptr<const Engine> Peek() const { return std::atomic_load(&snapshot_); }
  // Waits until no rebuild is running or requested (tests and shutdown).
  void WaitIdle();
  Stats stats() const;
  // For tests: the tail-merge threshold given to every engine this host builds.
  void set_merge_threshold(std::size_t n) { merge_threshold_ = n; }
  // For tests: runs on the builder thread before each build, and before each large batch is
  // applied off to the side (set before the first build).
  void set_before_build(std::function<void()> f) { before_build_ = std::move(f); }
  // For tests: runs on the builder thread once it has taken a large batch to apply off to the
  // side, or a tail to merge, before it copies the engine (set before the first build).
  void set_after_take(std::function<void()> f) { after_take_ = std::move(f); }
  // For tests: runs on the builder thread when a piece of work is done (a build published),
  // before the builder counts it (set before the first build).
  void set_after_work(std::function<void()> f) { after_work_ = std::move(f); }
  // How the builder paces its reads of other processes' imports from the store, and with
  // set_pace_applies its applies and merges (set before the first build; tests give a clock and
  // a rest of their own).
  void set_pacing(Pacer::Options o) { pacing_ = std::move(o); }
  // Whether the builder also applies large batches (an import of this process's, or another
  // process's once read) and merges the tail in paced stretches. For a database in another
  // process (PostgreSQL), whose backends the builder's CPU would otherwise take cores from:
  // http::App sets it then. With SQLite the builder's lower priority already leaves the cores to
  // the handlers that write. Set before the first build.
  void set_pace_applies(bool pace) { pace_applies_ = pace; }

 private:
  void BuilderLoop();
  // Builds the next engine from the store and publishes it (the builder thread).
  Status BuildFromStore(std::shared_ptr<const metadata::Catalog> catalog);
  // Applies `big_` to a copy of the published engine, merges its tail if asked, and publishes it
  // (the builder thread).
  Status ApplyOffToTheSide();
  // Reads the values of the imports asked for (`imports_`) and applies them to a copy of the
  // published engine, then publishes it (the builder thread).
  Status ApplyImports();
  // A pacer with pacing_'s options (with `rests` false, one that never rests) whose rests end
  // early when the host stops, and which is stopped then (Pacer::stopped): the builder's work
  // ends at its next step rather than running to its end unpaced (the builder thread).
  Pacer MakePacer(bool rests);
  // Publishes an engine made by the builder thread (holding every change reported before its
  // work began) with what was reported since. With
  // `unless_overflowed`, publishes nothing if that list overflowed (a rebuild follows).
  // With `holds_pending`, `next` holds the changes pending at the start of the work, and the
  // pending list is emptied (a query would otherwise apply them again, after newer values).
  // Returns whether it published.
  Result<bool> PublishFromBuilder(std::unique_ptr<Engine> next, bool unless_overflowed,
                                  bool holds_pending = false);
  // No build or batch waits for the builder thread, nor is it working. Requires mu_.
  bool BuilderQuiet() const;
  // Applies `changes` to a copy of the published engine and publishes it. Requires update_mu_.
  Status ApplyAndPublish(std::vector<storage::DataValueChange>& changes);
  // Applies `changes` to `next` without merging its tail, publishes it, and asks the builder
  // thread to merge the tail if it is past the threshold. Requires update_mu_ (takes mu_).
  Status ApplyLeavingTheTail(std::unique_ptr<Engine> next,
                             std::span<const storage::DataValueChange> changes);
  // Makes `engine` the published one. Requires update_mu_.
  void Publish(std::unique_ptr<Engine> engine);

  storage::Store& store_;
  const std::size_t max_pending_, max_background_;
  std::atomic<std::size_t> merge_threshold_{0};
  std::function<void()> before_build_;  // set before the first build; read by the builder only
  std::function<void()> after_take_;    // the same
  std::function<void()> after_work_;    // the same
  // Another process's import is read from the store in paced stretches (core/pacer.h): after
  // each, the builder rests twice as long as the stretch took, so the work goes at about a third
  // of its unpaced pace. Unpaced, a million values kept the database's backend busy for about
  // 5 s while both servers' saves waited for cores, and an unpaced apply of a server's own
  // import took a core for the 7 s after it (bench/README.md (c)); paced, the values reach this
  // server's queries later by twice the work's unpaced time. With pace_applies_, the applies
  // and merges likewise. Set before the first build; read by the builder only.
  Pacer::Options pacing_;
  bool pace_applies_ = false;  // set before the first build; read by the builder only

  OwnedMutex update_mu_;
  // The published engine: read with atomic_load by anyone, stored (atomic_store) only under
  // update_mu_, so that whoever holds update_mu_ reads the engine the next one is copied from.
  std::shared_ptr<const Engine> snapshot_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;            // with mu_
  std::shared_ptr<const metadata::Catalog> catalog_;     // guarded by mu_
  std::vector<storage::DataValueChange> pending_;        // guarded by mu_
  std::vector<storage::DataValueChange> since_rebuild_;  // guarded by mu_
  // Changes for the builder to apply off to the side: the batches in the order reported. While
  // `big_open_`, every batch reported joins them (none may reach the published engine before
  // them). A list of batches, each moved in whole, so that no batch is moved element by element
  // under mu_: an import's million changes arriving behind pending ones were appended to them
  // that way, on the import's niced thread, and every save's range check waited for it, queued
  // on update_mu_ behind a query waiting for mu_ (half a second; bench/README.md (c), session
  // 28). The builder joins them without a lock.
  using Batches = std::vector<std::vector<storage::DataValueChange>>;
  Batches big_;                // guarded by mu_
  std::size_t big_count_ = 0;  // guarded by mu_; changes in big_
  bool big_open_ = false;      // guarded by mu_
  // Empties big_ (and closes it) for the builder to apply or for the caller to drop, which frees
  // it once mu_ is let go. The caller holds mu_ (as for AskForBuildLocked).
  Batches TakeBigLocked() {
    big_count_ = 0;
    big_open_ = false;
    return std::exchange(big_, {});
  }
  bool merge_requested_ = false;      // guarded by mu_; the published tail is too long
  std::vector<std::string> imports_;  // guarded by mu_; RequestImports' uids, in order
  bool merging_only_ = false;       // guarded by mu_; the builder's work is a merge, with no batch
  bool rebuild_requested_ = false;  // guarded by mu_
  std::string asked_by_;            // guarded by mu_; why, since the last build was taken
  // Asks the builder for a build from the store, saying why (Stats::builds_asked). The caller
  // holds mu_ (a std::mutex: not checkable here; every caller takes it in the same function).
  void AskForBuildLocked(const char* why) {
    rebuild_requested_ = true;
    if (!asked_by_.empty()) asked_by_ += ", ";
    asked_by_ += why;
  }
  bool rebuilding_ = false;  // guarded by mu_; a build or an off-to-the-side apply is running
  // guarded by mu_; the builder has taken work and not yet counted it. rebuilding_ ends at the
  // publish (PublishFromBuilder), a moment before the builder counts what it published: until
  // session 25 Idle() was true in that moment, and a test that read the counts then found a
  // build more a moment later (SeveralServers.ALargeImport…, the TSan flake of sessions 22-25).
  bool working_ = false;
  bool from_store_ = false;      // guarded by mu_; of those, a build from the store (Building)
  bool retry_pending_ = false;   // guarded by mu_; a failed build waits to be tried again
  bool since_overflow_ = false;  // guarded by mu_
  bool published_ = false;       // guarded by mu_
  bool stop_ = false;            // guarded by mu_
  std::uint64_t build_started_ = 0, build_done_ = 0;  // guarded by mu_ (generations)
  std::uint64_t build_failed_ = 0;                    // guarded by mu_
  Status last_error_;                                 // guarded by mu_
  Stats stats_;                                       // guarded by mu_
  // Batches reported (OnChanges, incremented under mu_) and the count that the published engine
  // includes (stored after the publish). A query may skip the update only when they are equal:
  // read in that order, so a write reported before the query is always in what it gets.
  std::atomic<std::uint64_t> reported_{0}, applied_{0};
  std::thread builder_;  // started in the constructor, joined in the destructor
};

}  // namespace weijian::analytics
