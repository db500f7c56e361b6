// Work done on a thread of its own while the caller goes on with something else: the
// schedule's forecasts for a batch of doses while SQLite writes the doses (bench/README.md
// "Tracker import", session 24). The caller's thread is the one that holds the store, so only
// work that touches none of what the caller touches meanwhile may go beside it.
#pragma once

#include <future>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/thread_priority.h"

namespace weijian {

// Starts `work` on a new thread when `worth_a_thread` (a small batch costs less than the thread)
// and returns its future; otherwise, or when no thread can be had, the work runs on the caller's
// thread when the future is asked for its value. The thread runs at the caller's CPU priority (a
// job's work stays below the handlers'). The future waits for the work when it is destroyed, so
// whatever the work refers to must outlive the future.
template <class Work>
std::future<std::invoke_result_t<Work&>> StartBeside(bool worth_a_thread, Work work) {
  if (worth_a_thread) {
    try {
      return std::async(std::launch::async, [work, nice = ThisThreadsNice()]() mutable {
        if (nice > 0) LowerThisThreadsPriority(nice);
        return work();
      });
    } catch (const std::system_error&) {
      // No thread to be had: done on the caller's, below.
    }
  }
  return std::async(std::launch::deferred, std::move(work));
}

}  // namespace weijian
