// Background threads at a lower CPU priority than the threads that answer people.
//
// On a small machine (a county's server has two cores) a month-end import, the analytics
// engine's merge of it, or a PDF being rendered would otherwise take the cores that the portal's
// and the officers' requests wait for. Linux schedules each thread with its own nice value, so
// lowering a background thread's priority leaves the handlers' threads first in line while the
// background work still takes whatever the handlers leave (all of it on an idle machine).
#pragma once

namespace weijian {

// The nice value of background threads (0 is the handlers'; 10 gets about a tenth of a core that
// a handler also wants).
inline constexpr int kBackgroundNice = 10;

// Lowers the calling thread's CPU priority to `nice` unless it is already that low or lower.
// A thread never gets its priority back (raising it needs a privilege), so call this only on
// threads that do background work for their whole life. Returns the thread's nice value after
// the call (its old one when the system refused).
int LowerThisThreadsPriority(int nice = kBackgroundNice);

// The calling thread's nice value.
int ThisThreadsNice();

}  // namespace weijian
