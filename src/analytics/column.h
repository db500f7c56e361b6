// One column of the analytics engine: either its own vector, or a view of a column in a mapped
// engine snapshot file (engine_snapshot.cc), so that a server starting from a snapshot serves its
// first query without copying hundreds of megabytes out of the file.
//
// A view reads and writes the mapping in place: the file is mapped MAP_PRIVATE with write access,
// so a write (a value changed after the start) copies only the page it touches, in this process,
// and never reaches the file. Anything that changes a column's length (push_back, resize, ...)
// first copies a view into a vector of its own. Copying a Column always yields its own vector:
// two engines never share writable memory (EngineHost clones an engine to change it while
// readers hold the old one). The mapping stays alive as long as any view of it (`keep_`).
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace weijian::analytics {

template <typename T>
class Column {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  Column() = default;
  // A view of `n` values at `data`, which `keep` keeps mapped. `data` must be aligned for T.
  static Column View(T* data, std::size_t n, std::shared_ptr<void> keep) {
    Column c;
    c.data_ = data;
    c.size_ = n;
    c.keep_ = std::move(keep);
    return c;
  }
  Column(const Column& o) : owned_(o.begin(), o.end()) { Sync(); }
  Column& operator=(const Column& o) {
    if (this != &o) {
      owned_.assign(o.begin(), o.end());
      keep_.reset();
      Sync();
    }
    return *this;
  }
  // A moved vector keeps its buffer, so a moved view or vector stays valid.
  Column(Column&& o) noexcept
      : owned_(std::move(o.owned_)), keep_(std::move(o.keep_)), data_(o.data_), size_(o.size_) {
    o.Reset();
  }
  Column& operator=(Column&& o) noexcept {
    if (this != &o) {
      owned_ = std::move(o.owned_);
      keep_ = std::move(o.keep_);
      data_ = o.data_;
      size_ = o.size_;
      o.Reset();
    }
    return *this;
  }

  bool mapped() const { return keep_ != nullptr; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes the column takes: its vector's capacity, or the length of its view.
  std::size_t bytes() const { return (keep_ ? size_ : owned_.capacity()) * sizeof(T); }
  const T* data() const { return data_; }
  T* data() { return data_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& back() const { return data_[size_ - 1]; }
  T& back() { return data_[size_ - 1]; }

  void push_back(const T& v) {
    Own();
    owned_.push_back(v);
    Sync();
  }
  void resize(std::size_t n) {
    Own();
    owned_.resize(n);
    Sync();
  }
  void assign(std::size_t n, const T& v) {
    keep_.reset();
    owned_.assign(n, v);
    Sync();
  }
  void shrink_to_fit() {
    Own();
    owned_.shrink_to_fit();
    Sync();
  }

 private:
  // Copies a view into a vector of its own (before the length changes).
  void Own() {
    if (!keep_) return;
    owned_.assign(data_, data_ + size_);
    keep_.reset();
    Sync();
  }
  void Sync() {
    data_ = owned_.data();
    size_ = owned_.size();
  }
  void Reset() {
    owned_.clear();
    keep_.reset();
    data_ = nullptr;
    size_ = 0;
  }

  std::vector<T> owned_;
  std::shared_ptr<void> keep_;  // the mapping a view reads; null for a column of its own
  T* data_ = nullptr;           // owned_.data() or the view
  std::size_t size_ = 0;
};

}  // namespace weijian::analytics
