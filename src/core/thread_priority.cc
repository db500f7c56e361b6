#include "core/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace weijian {

int ThisThreadsNice() {
  // getpriority may return -1 as a value: errno tells it from a failure.
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? now : 0;
}

int LowerThisThreadsPriority(int nice) {
  const int now = ThisThreadsNice();
  if (now >= nice) return now;
  // On Linux PRIO_PROCESS with a thread id sets that thread alone (see setpriority(2), BUGS).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) return now;
  return ThisThreadsNice();
}

}  // namespace weijian
