// Paces background work that makes another process work for it: after each stretch of work,
// the caller rests a set multiple of the time the stretch took.
//
// A thread's lower priority (core/thread_priority.h) keeps it behind the handlers of its own
// process, but it does not reach the database server that reads rows for it, and on Linux with
// autogroup (each session its own scheduling group, Debian's default) not even another process
// of the same machine: there the groups share the cores equally, whatever a thread's nice
// value. So an analytics engine's read of another server's import (a million values) took the
// database's cores from the saves for seconds (bench/README.md (c), session 29). Resting between
// stretches leaves them a share of the cores whoever schedules them. A stop asked for at the end
// of a stretch (Options::stop: the host is shutting down) ends the work: the caller sees
// stopped() and leaves it unfinished.
//
// One thread's: not shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

namespace weijian {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    double rest_per_work = 2.0;  // rest this many times a stretch's time
    Clock::duration stretch = std::chrono::milliseconds(20);  // work at least this long between
    std::size_t check_every = 256;  // Step() calls between two reads of the clock
    // For tests: the clock, and the rest (null: steady_clock and sleep_for).
    std::function<Clock::time_point()> now;
    std::function<void(Clock::duration)> rest;
    // Asked at the end of each stretch, after its rest if any (also when nothing is rested per
    // work): true ends the work (stopped()). Null: the work is never ended.
    std::function<bool()> stop;
  };

  explicit Pacer(Options o) : o_(std::move(o)) {
    if (o_.check_every == 0) o_.check_every = 1;
    start_ = Now();
  }

  // One unit of work done (a row read or applied). Rests when a stretch is over.
  void Step() {
    if (stopped_ || ++steps_ < o_.check_every) return;
    Pause();
  }

  // A point between two phases of the work: reads the clock now, and rests if a stretch is over
  // (a phase that steps no row, such as a sort, is then followed by its share of rest).
  void Pause() {
    if (stopped_) return;
    steps_ = 0;
    const Clock::time_point now = Now();
    const Clock::duration worked = now - start_;
    if (worked < o_.stretch) return;
    const auto rest = std::chrono::duration_cast<Clock::duration>(worked * o_.rest_per_work);
    if (rest > Clock::duration::zero()) {
      if (o_.rest)
        o_.rest(rest);
      else
        std::this_thread::sleep_for(rest);
      rested_ += rest;
    }
    if (o_.stop && o_.stop()) {
      stopped_ = true;
      return;
    }
    start_ = Now();
  }

  // The time rested so far.
  Clock::duration rested() const { return rested_; }
  // Whether `stop` ended the work: the caller leaves it unfinished, and from then on the pacer
  // neither reads the clock nor rests.
  bool stopped() const { return stopped_; }

 private:
  Clock::time_point Now() const { return o_.now ? o_.now() : Clock::now(); }

  Options o_;
  Clock::time_point start_;  // when the current stretch began
  std::size_t steps_ = 0;    // Step() calls since the clock was last read
  Clock::duration rested_{};
  bool stopped_ = false;
};

}  // namespace weijian
