// The analytics engine's columns, and how two engines share them.
//
// EngineHost keeps two engines (the published one and the one the next batch of changes is
// applied to) and, after a build, copies one into the other; it applies an import to a copy of
// the published engine. At 10M values a deep copy cost 0.76 s of CPU and 220 MB, and queries
// waited for it. So a copy shares every column with the engine it was copied from:
// - `Column<T>`: a column that never changes once laid out (units, periods, combinations, the
//   rollup's keys). A copy shares its memory; a merge lays out new columns instead of changing
//   these. Its memory is a vector of its own or a view of a mapped snapshot file.
// - `CowColumn<T>`: a column changed in place by a write (values, the rollup's sums and counts),
//   in chunks of 65,536 elements, each shared by the engines that hold it until one of them
//   writes to it: the writer then copies that chunk alone (copy-on-write). A copy of an engine
//   costs a vector of chunk pointers per column; a write of one value copies at most one chunk.
//
// The views (`View`) read a snapshot file mapped MAP_PRIVATE with write access: a write to a
// chunk no other engine shares changes the mapping in place, which copies only the page it
// touches, in this process, and never reaches the file. The mapping stays alive as long as any
// column reads it (`keep_`).
//
// Threads: a chunk's count of holders is atomic. An engine is written only by the one thread
// that holds it unpublished (EngineHost's rules), and a chunk it does not share with any other
// engine is reachable by no other thread; the count is read with acquire so that the reads
// other engines made of a chunk before they let go of it happen before this write.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace weijian::analytics {

template <typename T>
class Column {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  Column() = default;
  explicit Column(std::vector<T> v) {
    auto owned = std::make_shared<std::vector<T>>(std::move(v));
    data_ = owned->data();
    size_ = owned->size();
    keep_ = std::move(owned);
  }
  // A view of `n` values at `data`, which `keep` keeps mapped. `data` must be aligned for T.
  static Column View(const T* data, std::size_t n, std::shared_ptr<void> keep) {
    Column c;
    c.data_ = data;
    c.size_ = n;
    c.keep_ = std::move(keep);
    c.mapped_ = true;
    return c;
  }

  bool mapped() const { return mapped_; }
  // Whether another column shares this one's memory (a diagnostic: the count may be changing).
  bool shared() const { return keep_.use_count() > 1; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t bytes() const { return size_ * sizeof(T); }
  const T* data() const { return data_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  std::shared_ptr<const void> keep_;  // the vector or the mapping `data_` points into
  const T* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
};

template <typename T>
class CowColumn {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr std::size_t kShift = 16;
  static constexpr std::size_t kChunk = std::size_t{1} << kShift;
  static constexpr std::size_t kMask = kChunk - 1;

 public:
  CowColumn() = default;
  explicit CowColumn(const std::vector<T>& v)
      : CowColumn(Generate(v.size(), [&v](std::size_t i) { return v[i]; })) {}
  // `n` values, the i-th being at(i), written straight into the chunks (no whole copy first).
  template <typename At>
  static CowColumn Generate(std::size_t n, At&& at) {
    CowColumn col;  // if a chunk cannot be allocated, its destructor lets go of those made
    col.size_ = n;
    col.Reserve();
    for (std::size_t first = 0; first < n; first += kChunk) {
      const std::size_t count = std::min(kChunk, n - first);
      Chunk* c = NewChunk(count);
      col.Append(c);
      for (std::size_t j = 0; j < count; ++j) c->data[j] = at(first + j);
    }
    return col;
  }
  // A view of `n` values at `data`, which `keep` keeps mapped and writable (see above).
  static CowColumn View(T* data, std::size_t n, std::shared_ptr<void> keep) {
    CowColumn col;
    col.size_ = n;
    col.keep_ = std::move(keep);
    col.Reserve();
    for (std::size_t at = 0; at < n; at += kChunk) col.Append(new Chunk{{1}, nullptr, data + at});
    return col;
  }
  CowColumn(const CowColumn& o)
      : chunks_(o.chunks_), data_(o.data_), size_(o.size_), keep_(o.keep_) {
    for (Chunk* c : chunks_) c->refs.fetch_add(1, std::memory_order_relaxed);
  }
  CowColumn(CowColumn&& o) noexcept
      : chunks_(std::move(o.chunks_)),
        data_(std::move(o.data_)),
        size_(std::exchange(o.size_, 0)),
        keep_(std::move(o.keep_)) {
    o.chunks_.clear();
    o.data_.clear();
  }
  CowColumn& operator=(CowColumn o) noexcept {
    std::swap(chunks_, o.chunks_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(keep_, o.keep_);
    return *this;
  }
  ~CowColumn() {
    for (Chunk* c : chunks_) Release(c);
  }

  bool mapped() const { return keep_ != nullptr; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t bytes() const { return size_ * sizeof(T); }
  const T& operator[](std::size_t i) const { return data_[i >> kShift][i & kMask]; }
  // The element to change: its chunk is this column's own from here on.
  T& Mutable(std::size_t i) {
    const std::size_t k = i >> kShift;
    Chunk* c = chunks_[k];
    if (c->refs.load(std::memory_order_acquire) != 1) {
      const std::size_t n = std::min(kChunk, size_ - (k << kShift));
      Chunk* own = NewChunk(n);
      std::copy(c->data, c->data + n, own->data);
      Release(c);
      chunks_[k] = own;
      data_[k] = own->data;
    }
    return data_[k][i & kMask];
  }
  // Calls f(pointer, count) for each chunk in order (e.g. to write the column out).
  template <typename F>
  void ForEachSpan(F&& f) const {
    for (std::size_t k = 0; k < data_.size(); ++k)
      f(static_cast<const T*>(data_[k]), std::min(kChunk, size_ - (k << kShift)));
  }
  // Bytes of the chunks no other column shares (a diagnostic: the counts may be changing).
  std::size_t own_bytes() const {
    std::size_t n = 0;
    for (std::size_t k = 0; k < chunks_.size(); ++k)
      if (chunks_[k]->refs.load(std::memory_order_relaxed) == 1)
        n += std::min(kChunk, size_ - (k << kShift)) * sizeof(T);
    return n;
  }

 private:
  struct Chunk {
    std::atomic<std::uint32_t> refs;  // columns holding this chunk
    std::unique_ptr<T[]> owned;       // null for a view of the mapping
    T* data;
  };
  static Chunk* NewChunk(std::size_t n) {
    auto owned = std::make_unique_for_overwrite<T[]>(n);
    T* data = owned.get();
    return new Chunk{{1}, std::move(owned), data};
  }
  static void Release(Chunk* c) {
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
  }
  void Reserve() {
    chunks_.reserve((size_ + kMask) >> kShift);
    data_.reserve(chunks_.capacity());
  }
  void Append(Chunk* c) {  // after Reserve: cannot throw
    chunks_.push_back(c);
    data_.push_back(c->data);
  }

  std::vector<Chunk*> chunks_;  // each holds one count of its chunk's refs
  std::vector<T*> data_;        // chunks_[k]->data, so that a read follows one pointer
  std::size_t size_ = 0;
  std::shared_ptr<void> keep_;  // the mapping the views read; null when none is a view
};

}  // namespace weijian::analytics
