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
// count, facts)), and last a 32-byte BLAKE2b of everything before. Strings: u64 length, bytes.
#include <fcntl.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <type_traits>

#include "core/build_id.h"
#include "core/byte_reader.h"
#include "tracker/coverage.h"

namespace weijian::tracker {

namespace {

constexpr char kCoverageMagic[8] = {'W', 'J', 'C', 'O', 'V', 'E', 'R', 'G'};
constexpr std::uint32_t kCoverageFormat = 1;
static_assert(std::is_trivially_copyable_v<CoverageKeeper::Fact> &&
              sizeof(CoverageKeeper::Fact) == 12);

// Writes to a file and hashes what it writes.
class HashedWriter {
 public:
  explicit HashedWriter(const std::string& path) : out_(path, std::ios::binary | std::ios::trunc) {
    crypto_generichash_init(&hash_, nullptr, 0, 32);
  }
  void Bytes(const void* p, std::size_t n) {
    crypto_generichash_update(&hash_, static_cast<const unsigned char*>(p), n);
    out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  }
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Bytes(&v, sizeof v);
  }
  void PutString(const std::string& s) {
    Put<std::uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  template <typename T>
  void PutVec(const std::vector<T>& v) {
    Put<std::uint64_t>(v.size());
    Bytes(v.data(), v.size() * sizeof(T));
  }
  // The checksum, then whether every byte reached the file.
  bool Finish() {
    unsigned char sum[32];
    crypto_generichash_final(&hash_, sum, sizeof sum);
    out_.write(reinterpret_cast<const char*>(sum), sizeof sum);
    out_.flush();
    return static_cast<bool>(out_);
  }

 private:
  std::ofstream out_;
  crypto_generichash_state hash_;
};

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
  const std::string tmp = file_ + ".tmp";
  const auto abandon = [&](Status why) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return why;
  };
  {
    HashedWriter w(tmp);
    w.Bytes(kCoverageMagic, sizeof kCoverageMagic);
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
      if (stop_) return abandon(Unavailable("stopping"));  // a stop does not wait for the file
      w.Put(key);
      for (const auto& list : unit->facts) w.PutVec(list);
    }
    if (!w.Finish()) return abandon(Unavailable("cannot write " + tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
  if (ec) return Unavailable("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

Status CoverageKeeper::LoadFileLocked(Date today) {
  // Mapped, not read into memory: the facts are copied out of it once (at 2M children the file
  // is a gigabyte; a copy of it beside the facts would double the start's memory).
  const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("no file " + file_);
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0 && st.st_size > 0;
  void* map =
      sized ? ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
            : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return InvalidArgument(file_ + " cannot be read");
  const std::unique_ptr<void, std::function<void(void*)>> unmap(
      map, [n = static_cast<std::size_t>(st.st_size)](void* p) { ::munmap(p, n); });
  const std::string_view bytes(static_cast<const char*>(map), static_cast<std::size_t>(st.st_size));
  if (bytes.size() < sizeof kCoverageMagic + 32 ||
      std::memcmp(bytes.data(), kCoverageMagic, sizeof kCoverageMagic) != 0)
    return InvalidArgument(file_ + " is not a coverage file");
  unsigned char sum[32];
  crypto_generichash(sum, sizeof sum, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size() - 32, nullptr, 0);
  if (std::memcmp(sum, bytes.data() + bytes.size() - 32, 32) != 0)
    return InvalidArgument(file_ + " is damaged (checksum)");
  ByteReader r{bytes.substr(sizeof kCoverageMagic, bytes.size() - sizeof kCoverageMagic - 32)};
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
