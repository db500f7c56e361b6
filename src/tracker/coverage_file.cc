// The coverage keeper's facts as a file beside a SQLite database, for fast starts (coverage.h).
//
// Computing every child's facts is linear in the register (about 0.1 ms of CPU per child: 48 s
// at 324k children, bench/README.md); reading them back is a copy. A start that computed every
// child writes the file in the background (not a stop: at 2M children it is a gigabyte, and a
// stop must be quick); the next start uses it only when it belongs to this store and build:
//   - the build id of the program that wrote it (core/build_id.h): another build may compute
//     facts by other rules (a corrected schedule, a changed indicator), so it computes afresh;
//   - the schedule edition the facts were computed under, and their day (not after today);
//   - the store's coverage-mark horizon then, and every mark below it: a mark is one row per
//     child with the seq of its newest write (migration 0028), so a later write moves its row to
//     or past the horizon, and the marks below the horizon can only be fewer, never other ones.
//     Every child written since the file is marked at or after the horizon and is computed again
//     before the first query, as after any write. A database replaced by an older copy has a
//     lower horizon or marks below it that the file does not have (its children written since
//     the copy was made); `weijian restore` also deletes the file.
//
// Format (little-endian, this machine's layout; another build refuses it anyway):
// "WJCOVERG", u32 format, the build id, the edition code, i32 day computed on, i64 horizon,
// the marks below the horizon (u64 count; i64 child, i64 seq each, by child), the children's units
// (u64 count, i64 each), the recheck days (u64 count; i32 day, u64 count, i64 ids each), the marks
// last read (u64 count; i64 child, i64 seq each), the lists (u64 count; i64 key, then 4 × (u64
// count, facts)); written and read as a sealed file (core/sealed_file.h: the magic, this, a
// BLAKE2b of both). Strings: u64 length, bytes.
#include <algorithm>
#include <memory>
#include <type_traits>

#include "core/build_id.h"
#include "core/byte_reader.h"
#include "core/sealed_file.h"
#include "tracker/coverage.h"

namespace weijian::tracker {

namespace {

constexpr char kCoverageMagic[8] = {'W', 'J', 'C', 'O', 'V', 'E', 'R', 'G'};
constexpr std::uint32_t kCoverageFormat = 1;
static_assert(std::is_trivially_copyable_v<CoverageKeeper::Fact> &&
              sizeof(CoverageKeeper::Fact) == 12);

// The store's marks below `horizon`, by child: (child, seq) pairs, flattened.
Result<std::vector<std::int64_t>> MarksBelow(storage::Store& store, std::int64_t horizon) {
  WJ_ASSIGN_OR_RETURN(auto marks, store.CoverageMarksFrom(0, true));
  std::sort(marks.marks.begin(), marks.marks.end());
  std::vector<std::int64_t> out;
  for (const auto& [child, seq] : marks.marks)
    if (seq < horizon) out.insert(out.end(), {child, seq});
  return out;
}

}  // namespace

Status CoverageKeeper::SaveFile(Date today) {
  if (file_.empty()) return Status::Ok();
  // What to write, current and copied under the lock (the lists are immutable: shared, not
  // copied); written off it, so that queries go on meanwhile.
  std::shared_ptr<const Units> units;
  std::vector<std::int64_t> unit_of;
  std::map<Date, std::vector<std::int64_t>> recheck;
  std::map<std::int64_t, std::int64_t> window;
  std::string edition;
  Date computed_on;
  std::int64_t horizon = 0;
  {
    std::lock_guard lock(mu_);
    if (!units_) return Unavailable("the coverage facts were never computed");
    WJ_RETURN_IF_ERROR(UpdateLocked(today));
    units = units_;
    unit_of = unit_of_;
    recheck = recheck_;
    window = window_;
    edition = edition_;
    computed_on = computed_on_;
    horizon = horizon_;
  }
  // Read after the horizon: the marks below it now are those at any later time, or more.
  WJ_ASSIGN_OR_RETURN(const auto below, MarksBelow(store_, horizon));
  SealedFileWriter w(file_, kCoverageMagic);
  w.Put(kCoverageFormat);
  w.PutString(ProgramBuildId());
  w.PutString(edition);
  w.Put<std::int32_t>(static_cast<std::int32_t>(computed_on.time_since_epoch().count()));
  w.Put(horizon);
  w.PutVec(below);
  w.PutVec(unit_of);
  w.Put<std::uint64_t>(recheck.size());
  for (const auto& [day, ids] : recheck) {
    w.Put<std::int32_t>(static_cast<std::int32_t>(day.time_since_epoch().count()));
    w.PutVec(ids);
  }
  w.Put<std::uint64_t>(window.size());
  for (const auto& [id, seq] : window) {
    w.Put(id);
    w.Put(seq);
  }
  w.Put<std::uint64_t>(units->size());
  for (const auto& [key, unit] : *units) {
    // A stop does not wait for the file (the writer removes what it wrote).
    if (stop_) return Unavailable("stopping");
    w.Put(key);
    for (const auto& list : unit->facts) w.PutVec(list);
  }
  return w.Commit();
}

Status CoverageKeeper::LoadFileLocked(Date today) {
  // Mapped, not read into memory: the facts are copied out of it once (at 2M children the file
  // is a gigabyte; a copy of it beside the facts would double the start's memory).
  WJ_ASSIGN_OR_RETURN(const SealedFile file,
                      OpenSealedFile(file_, kCoverageMagic, "coverage file"));
  ByteReader r{file.body};
  if (r.Get<std::uint32_t>() != kCoverageFormat) return InvalidArgument(file_ + ": another format");
  const std::string build = r.GetString();
  if (ProgramBuildId().empty() || build != ProgramBuildId())
    return Conflict(file_ + " was written by another build of weijian");
  const std::string edition = r.GetString();
  if (edition != EditionInForce(today).code)
    return Conflict(file_ + " was computed under another schedule edition");
  const Date computed_on{std::chrono::days(r.Get<std::int32_t>())};
  if (computed_on > today) return Conflict(file_ + " was computed on a later day");
  const auto horizon = r.Get<std::int64_t>();
  std::vector<std::int64_t> below;
  r.GetVec(below);
  if (!r.ok || below.size() % 2) return InvalidArgument(file_ + " is damaged (its lengths)");
  // The store's marks up to the horizon: those the file saw, or fewer (the top of this file).
  WJ_ASSIGN_OR_RETURN(auto now, store_.CoverageMarksFrom(0, false));
  if (now.next < horizon) return Conflict(file_ + " is newer than the database");
  // Each mark below the horizon now must be one the file saw (by child; both sorted).
  WJ_ASSIGN_OR_RETURN(const auto marks, MarksBelow(store_, horizon));
  for (std::size_t m = 0, b = 0; m < marks.size(); m += 2) {
    while (b < below.size() && below[b] < marks[m]) b += 2;
    if (b >= below.size() || below[b] != marks[m] || below[b + 1] != marks[m + 1])
      return Conflict(file_ + " does not belong to this database");
  }
  std::vector<std::int64_t> unit_of;
  r.GetVec(unit_of);
  std::map<Date, std::vector<std::int64_t>> recheck;
  for (auto n = r.Get<std::uint64_t>(); r.ok && n > 0; --n) {
    const Date day{std::chrono::days(r.Get<std::int32_t>())};
    r.GetVec(recheck[day]);
  }
  std::map<std::int64_t, std::int64_t> window;
  for (auto n = r.Get<std::uint64_t>(); r.ok && n > 0; --n) {
    const auto id = r.Get<std::int64_t>();
    window[id] = r.Get<std::int64_t>();
  }
  auto units = std::make_shared<Units>();
  std::size_t children = 0, facts = 0;
  for (auto n = r.Get<std::uint64_t>(); r.ok && n > 0; --n) {
    const auto key = r.Get<std::int64_t>();
    auto unit = std::make_shared<UnitFacts>();
    for (auto& list : unit->facts) {
      r.GetVec(list);
      facts += list.size();
    }
    units->emplace(key, std::move(unit));
  }
  if (!r.ok || !r.in.empty()) return InvalidArgument(file_ + " is damaged (its lengths)");
  for (auto unit : unit_of) children += unit != 0;
  units_ = std::move(units);
  unit_of_ = std::move(unit_of);
  recheck_ = std::move(recheck);
  edition_ = edition;
  computed_on_ = computed_on;
  horizon_ = horizon;
  window_ = std::move(window);
  std::lock_guard lock(stats_mu_);
  stats_.children = children;
  stats_.facts = facts;
  return Status::Ok();
}

}  // namespace weijian::tracker
