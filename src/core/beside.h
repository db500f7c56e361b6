// Work done on a thread of its own while the caller goes on with something else: the
// schedule's forecasts for a batch of doses while SQLite writes the doses (bench/README.md
// "Tracker import", session 24). The caller's thread is the one that holds the store, so only
// work that touches none of what the caller touches meanwhile may go beside it.
#pragma once

#include <cstddef>
#include <future>
#include <system_error>
#include <type_traits>
#include <utility>

namespace weijian {

// Work over fewer items than this costs less than a thread: done in line.
inline constexpr std::size_t kBesideMinItems = 64;

// Starts `work` (over `items` items) on a new thread and returns its future; for fewer than
// kBesideMinItems items, or when no thread can be had, the work runs on the caller's thread when
// the future is asked for its value. The new thread has the caller's CPU priority (Linux gives a
// thread its creator's nice value: a job's work stays below the handlers', core/thread_priority.h).
// The future waits for the work when it is destroyed, so whatever the work refers to must
// outlive the future.
template <class Work>
std::future<std::invoke_result_t<Work&>> StartBeside(std::size_t items, Work work) {
  if (items >= kBesideMinItems) {
    try {
      return std::async(std::launch::async, work);
    } catch (const std::system_error&) {
      // No thread to be had: done on the caller's, below.
    }
  }
  return std::async(std::launch::deferred, std::move(work));
}

}  // namespace weijian
