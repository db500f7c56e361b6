// A mutex that knows which thread holds it, so a function that requires a lock can check it
// (`WJ_ASSERT_HELD(mu)`), in every build: a missing lock is a crash with a message, not a race.
// Invariant: owner_ is this thread's id exactly while this thread holds the lock.
// Cost: one relaxed atomic store per lock and unlock.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace weijian {

class OwnedMutex {
 public:
  void lock() {
    mu_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  bool try_lock() {
    if (!mu_.try_lock()) return false;
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    return true;
  }
  void unlock() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mu_.unlock();
  }
  // True when the calling thread holds the lock (only this thread can make it true).
  bool HeldByMe() const {
    return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

 private:
  std::mutex mu_;
  std::atomic<std::thread::id> owner_{};
};

// The same, re-entrant: the thread that holds it may lock it again (each lock() needs its
// unlock()). For the store's writer lock, so that an action run in one transaction
// (Store::InOneTransaction) can call the store's own methods, which lock it too.
// Invariant: depth_ > 0 exactly while mu_ is held; depth_ is touched only by its holder (so it is
// guarded by mu_).
class RecursiveOwnedMutex {
 public:
  void lock() {
    if (!HeldByMe()) mu_.lock();
    ++depth_;
  }
  bool try_lock() {
    if (!HeldByMe() && !mu_.try_lock()) return false;
    ++depth_;
    return true;
  }
  void unlock() {
    if (--depth_ == 0) mu_.unlock();
  }
  bool HeldByMe() const { return mu_.HeldByMe(); }

 private:
  OwnedMutex mu_;
  int depth_ = 0;  // guarded by mu_
};

}  // namespace weijian

// Aborts with the lock's name when the calling thread does not hold it.
#define WJ_ASSERT_HELD(mu)                                                                     \
  do {                                                                                         \
    if (!(mu).HeldByMe()) {                                                                    \
      std::fprintf(stderr, "weijian: %s:%d: %s must be held here\n", __FILE__, __LINE__, #mu); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
