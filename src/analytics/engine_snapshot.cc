// The analytics engine as a file beside the database, for fast starts.
//
// Format (little-endian, this machine's layout; another build reads it or refuses it):
// "WJENGINE", u32 format version, i64 change-log sequence, u64 × 3 catalog stamp (org units,
// data elements, option combinations), the period and combination tables, then every column of
// the base, the tail and the rollup as u64 count + raw elements (the engine's big columns padded
// with zeros to an 8-byte offset first, so that a server maps the file and reads them in place:
// column.h), the live count and the merge threshold, and last a 32-byte BLAKE2b of everything
// before.
// A file that fails any check is ignored by the caller (the engine is built from the store).
// Written and read as a sealed file (core/sealed_file.h: "<path>.tmp" renamed, so a crash
// leaves the old file or the new one).

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <type_traits>

#include "analytics/engine.h"
#include "core/byte_reader.h"
#include "core/sealed_file.h"

namespace weijian::analytics {

namespace {

constexpr char kMagic[8] = {'W', 'J', 'E', 'N', 'G', 'I', 'N', 'E'};
// 2: the big columns are aligned and read in place; 3: the tail is its columns alone (no map).
constexpr std::uint32_t kFormat = 3;

struct Writer : SealedFileWriter {
  using SealedFileWriter::SealedFileWriter;
  // A column the reader maps in place: its elements start at an 8-byte file offset.
  template <typename T>
  void PutColumn(const Column<T>& c) {
    Put<std::uint64_t>(c.size());
    Pad(8);
    Bytes(c.data(), c.size() * sizeof(T));
  }
  template <typename T>
  void PutColumn(const CowColumn<T>& c) {
    Put<std::uint64_t>(c.size());
    Pad(8);
    c.ForEachSpan([&](const T* data, std::size_t n) { Bytes(data, n * sizeof(T)); });
  }
};

struct Reader : ByteReader {
  // A view of a column written by PutColumn, in the writable private mapping `keep` holds
  // (`in` points into it, and the mapping starts at a page boundary).
  template <typename C>
  void GetColumn(C& c, const std::shared_ptr<void>& keep) {
    using T = std::remove_cvref_t<decltype(c[0])>;
    const auto n = Get<std::uint64_t>();
    const std::size_t pad = (8 - reinterpret_cast<std::uintptr_t>(in.data()) % 8) % 8;
    if (!ok || pad > in.size() || n > (in.size() - pad) / sizeof(T)) {
      ok = false;
      return;
    }
    in.remove_prefix(pad);
    c = C::View(reinterpret_cast<T*>(const_cast<char*>(in.data())), n, keep);
    in.remove_prefix(n * sizeof(T));
  }
};

std::array<std::uint64_t, 3> Stamp(const metadata::Catalog& c) {
  return {c.org_units().size(), c.records().data_elements.size(),
          c.records().category_option_combos.size()};
}

}  // namespace

Status Engine::SaveSnapshot(const std::string& path, std::int64_t seq) const {
  Writer w(path, kMagic);
  w.Put(kFormat);
  w.Put(seq);
  for (auto x : Stamp(*cat_)) w.Put(x);
  w.PutVec(period_start_);
  w.PutVec(period_end_);
  w.Put<std::uint64_t>(period_index_.size());
  for (const auto& [id, index] : period_index_) {
    w.Put(id);
    w.Put(index);
  }
  w.PutVec(combo_index_);
  for (const Columns* c : {&base_, &tail_}) {
    w.PutVec(c->block);
    w.PutColumn(c->pre);
    w.PutColumn(c->period);
    w.PutColumn(c->coc);
    w.PutColumn(c->aoc);
    w.PutColumn(c->value);
  }
  w.PutVec(roll_.block);
  w.PutColumn(roll_.pre);
  w.PutColumn(roll_.period);
  w.PutColumn(roll_.sum);
  w.PutColumn(roll_.count);
  w.Put<std::uint64_t>(live_);
  w.Put<std::uint64_t>(merge_threshold_);
  return w.Commit();
}

Result<std::unique_ptr<Engine>> Engine::LoadSnapshot(
    const std::string& path, std::int64_t seq, std::shared_ptr<const metadata::Catalog> catalog) {
  // Mapped, and the engine's big columns served from the mapping in place (column.h): a start
  // reads the file once, for its checksum, and copies nothing out of it (at 10M values, 222 MB:
  // the copy, and zeroing the vectors it went into, were most of a start). Private and writable,
  // so that a value changed later copies one page in this process and never reaches the file;
  // the file is only ever replaced by a rename, never changed in place.
  WJ_ASSIGN_OR_RETURN(const SealedFile file, OpenSealedFile(path, kMagic, "engine snapshot"));
  // Unmapped when the last column viewing it goes (or at once, when the file is refused).
  const std::shared_ptr<void>& mapping = file.mapping;
  Reader r{{file.body}};
  if (r.Get<std::uint32_t>() != kFormat) return InvalidArgument(path + ": another format");
  if (r.Get<std::int64_t>() != seq) return Conflict(path + " is not current (changes since)");
  for (auto x : Stamp(*catalog))
    if (r.Get<std::uint64_t>() != x) return Conflict(path + " was built with other metadata");
  auto e = std::make_unique<Engine>();
  e->cat_ = std::move(catalog);
  r.GetVec(e->period_start_);
  r.GetVec(e->period_end_);
  const auto periods = r.Get<std::uint64_t>();
  for (std::uint64_t i = 0; r.ok && i < periods; ++i) {
    auto id = r.Get<std::int64_t>();
    e->period_index_[id] = r.Get<std::uint16_t>();
  }
  r.GetVec(e->combo_index_);
  for (Columns* c : {&e->base_, &e->tail_}) {
    r.GetVec(c->block);
    r.GetColumn(c->pre, mapping);
    r.GetColumn(c->period, mapping);
    r.GetColumn(c->coc, mapping);
    r.GetColumn(c->aoc, mapping);
    r.GetColumn(c->value, mapping);
  }
  r.GetVec(e->roll_.block);
  r.GetColumn(e->roll_.pre, mapping);
  r.GetColumn(e->roll_.period, mapping);
  r.GetColumn(e->roll_.sum, mapping);
  r.GetColumn(e->roll_.count, mapping);
  e->live_ = r.Get<std::uint64_t>();
  e->merge_threshold_ = r.Get<std::uint64_t>();
  if (!r.ok || !r.in.empty()) return InvalidArgument(path + " is damaged (layout)");
  // Every index a query follows must stay inside its column.
  const std::size_t periods_n = e->period_start_.size();
  if (e->period_end_.size() != periods_n) return InvalidArgument(path + " is damaged (periods)");
  for (const Columns* c : {&e->base_, &e->tail_}) {
    const std::size_t n = c->value.size();
    if (c->pre.size() != n || c->period.size() != n || c->coc.size() != n || c->aoc.size() != n)
      return InvalidArgument(path + " is damaged (columns)");
    for (auto [b, end] : c->block)
      if (b > end || end > n) return InvalidArgument(path + " is damaged (blocks)");
    for (auto p : c->period)
      if (p >= periods_n) return InvalidArgument(path + " is damaged (period index)");
  }
  return e;
}

}  // namespace weijian::analytics
