// The analytics engine's columns (analytics/column.h): a copy shares memory with the column it
// was copied from, and a write copies only the chunk it changes, never reaching the other.
#include "analytics/column.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

namespace weijian::analytics {
namespace {

constexpr std::size_t kChunkBytes = 65536 * sizeof(double);

std::vector<double> Counting(std::size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

TEST(ColumnTest, ACopySharesEveryChunkAndAWriteCopiesOnlyItsOwn) {
  const CowColumn<double> first(Counting(200'000));  // four chunks, the last one short
  EXPECT_EQ(first.own_bytes(), first.bytes());
  CowColumn<double> second = first;
  EXPECT_EQ(first.own_bytes(), 0u);
  EXPECT_EQ(second.own_bytes(), 0u);

  second.Mutable(70'000) = -1;  // in the second chunk
  EXPECT_EQ(second[70'000], -1);
  EXPECT_EQ(first[70'000], 70'000);
  EXPECT_EQ(second.own_bytes(), kChunkBytes);
  EXPECT_EQ(first.own_bytes(), kChunkBytes);  // the old chunk is the first's alone now
  second.Mutable(70'001) = -2;                // the same chunk: no other copy
  EXPECT_EQ(second.own_bytes(), kChunkBytes);
  second.Mutable(199'999) = -3;  // the short last chunk
  EXPECT_EQ(second.own_bytes(), kChunkBytes + (200'000 - 3 * 65536) * sizeof(double));
  for (std::size_t i = 0; i < first.size(); ++i) ASSERT_EQ(first[i], static_cast<double>(i));
  EXPECT_EQ(second[0], 0);
  EXPECT_EQ(second[131'072], 131'072);
}

TEST(ColumnTest, ChunksOutliveTheColumnTheyWereCopiedFrom) {
  auto first = std::make_unique<CowColumn<std::uint16_t>>(std::vector<std::uint16_t>(70'000, 7));
  CowColumn<std::uint16_t> second = *first;
  first.reset();
  EXPECT_EQ(second.own_bytes(), second.bytes());
  EXPECT_EQ(second[69'999], 7);
  second.Mutable(5) = 9;  // its own already: written in place
  EXPECT_EQ(second[5], 9);
  std::vector<std::uint16_t> out;
  second.ForEachSpan(
      [&](const std::uint16_t* p, std::size_t n) { out.insert(out.end(), p, p + n); });
  ASSERT_EQ(out.size(), 70'000u);
  EXPECT_EQ(out[5], 9);
  EXPECT_EQ(out[69'999], 7);
}

TEST(ColumnTest, AViewIsWrittenInPlaceOnlyWhileNoCopySharesIt) {
  std::vector<double> mapping = Counting(100'000);  // stands for a mapped file
  auto keep = std::make_shared<int>(0);
  CowColumn<double> view = CowColumn<double>::View(mapping.data(), mapping.size(), keep);
  EXPECT_TRUE(view.mapped());
  view.Mutable(3) = -1;  // no copy shares it: in place
  EXPECT_EQ(mapping[3], -1);
  const CowColumn<double> copy = view;
  view.Mutable(4) = -1;  // shared now: the view's chunk is copied first
  EXPECT_EQ(mapping[4], 4);
  EXPECT_EQ(copy[4], 4);
  EXPECT_EQ(view[4], -1);
  EXPECT_EQ(copy[3], -1);
}

TEST(ColumnTest, AnImmutableColumnIsSharedByItsCopies) {
  const Column<std::int32_t> first(std::vector<std::int32_t>{1, 2, 3});
  EXPECT_FALSE(first.shared());
  const Column<std::int32_t> second = first;
  EXPECT_TRUE(first.shared());
  EXPECT_EQ(second.data(), first.data());
  EXPECT_EQ(second[2], 3);
}

// Copies made and written on other threads while this one reads the original (run under
// ThreadSanitizer by make test): the counts of a chunk's holders are the only shared writes.
TEST(ColumnTest, CopiesWrittenOnOtherThreadsLeaveTheOriginalAsItWas) {
  const CowColumn<double> original(Counting(300'000));
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&original, t] {
      for (int round = 0; round < 20; ++round) {
        CowColumn<double> copy = original;
        for (std::size_t i = static_cast<std::size_t>(t); i < copy.size(); i += 40'000)
          copy.Mutable(i) = -1;
      }
    });
  double sum = 0;
  for (int round = 0; round < 20; ++round)
    for (std::size_t i = 0; i < original.size(); ++i) sum += original[i];
  for (auto& w : writers) w.join();
  EXPECT_EQ(sum, 20 * (300'000.0 * 299'999.0 / 2));
  EXPECT_EQ(original.own_bytes(), original.bytes());
}

}  // namespace
}  // namespace weijian::analytics
