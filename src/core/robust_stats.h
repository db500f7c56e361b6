// Robust statistics of one unit's own history of a count: the median and the median absolute
// deviation (MAD), and the bounds that min-max generation and the entry check derive from them.
//
// Why median ± k·MAD and not mean ± k·SD (DHIS2's generator): the history we learn bounds from
// is the very data that may hold the outliers we want to catch. One 99,999,999 among monthly
// values of about 30 drags the mean to millions and the SD further, so mean ± 3·SD stretches to
// tens of millions (and with ten values or fewer it can flag nothing at all: no z-score exceeds
// (n − 1)/√n); the median and the MAD do not move (a breakdown point of 50 %). 1.4826·MAD
// estimates the SD of normal data, so k = 3.5 is Iglewicz and Hoaglin's modified z-score cut-off
// (|0.6745·(x − median) / MAD| > 3.5), the same as the MOD_Z_SCORE outlier algorithm.
//
// Workload: a few dozen values per call (months of one element in one unit); header-only.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace weijian {

// The modified z-score cut-off used for generated bounds and the entry check.
inline constexpr double kRobustK = 3.5;
// Fewer values than this say nothing about a unit's normal range.
inline constexpr std::size_t kMinHistory = 3;

// The median of a non-empty sample (the mean of the middle two for an even count).
inline double Median(std::vector<double> v) {
  const std::size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + n / 2, v.end());
  double hi = v[n / 2];
  if (n % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + n / 2);
  return (lo + hi) / 2;
}

// The median absolute deviation from `median`.
inline double MedianAbsoluteDeviation(const std::vector<double>& v, double median) {
  std::vector<double> d;
  d.reserve(v.size());
  for (double x : v) d.push_back(std::fabs(x - median));
  return Median(std::move(d));
}

struct RobustBounds {
  double min = 0;
  double max = 0;
  double median = 0;
  double mad = 0;
};

// median ± k·1.4826·MAD, rounded outward to whole numbers. The half-width is at least
// max(2, median / 2): a history of identical values (MAD 0) would otherwise flag any change at
// all. The lower bound never goes below 0 when no value in the history is negative (counts).
// nullopt with fewer than kMinHistory values.
inline std::optional<RobustBounds> HistoryBounds(const std::vector<double>& history,
                                                 double k = kRobustK) {
  if (history.size() < kMinHistory) return std::nullopt;
  RobustBounds b;
  b.median = Median(history);
  b.mad = MedianAbsoluteDeviation(history, b.median);
  double half = std::max({k * 1.4826 * b.mad, std::fabs(b.median) / 2, 2.0});
  b.min = std::floor(b.median - half);
  b.max = std::ceil(b.median + half);
  if (*std::min_element(history.begin(), history.end()) >= 0) b.min = std::max(0.0, b.min);
  return b;
}

}  // namespace weijian
