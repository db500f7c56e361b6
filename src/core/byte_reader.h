// Reads back what a server wrote to a file of its own (the engine snapshot, the coverage facts):
// plain values in this machine's layout, and vectors as a u64 count then the elements. `ok`
// turns false at the first read past the end (or a count that cannot fit) and stays false; the
// values read after that are zeros, so a caller checks `ok` once, after a run of reads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace weijian {

struct ByteReader {
  std::string_view in;
  bool ok = true;

  template <typename T>
  T Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (in.size() < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return v;
  }
  // T: plain values, or pairs of them (std::pair is not trivially copyable by the trait's rule,
  // but its bytes are its two members', which is how it was written).
  template <typename T>
  void GetVec(std::vector<T>& v) {
    const auto n = Get<std::uint64_t>();
    if (!ok || n > in.size() / sizeof(T)) {
      ok = false;
      return;
    }
    v.resize(n);
    if (n) std::memcpy(static_cast<void*>(v.data()), in.data(), n * sizeof(T));
    in.remove_prefix(n * sizeof(T));
  }
  std::string GetString() {
    const auto n = Get<std::uint64_t>();
    if (!ok || n > in.size()) {
      ok = false;
      return {};
    }
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

}  // namespace weijian
