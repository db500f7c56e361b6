// Process-wide signal dispositions the server needs, set once at start-up before any thread.
#pragma once

namespace weijian {

// A write past RLIMIT_FSIZE (a full quota, `ulimit -f`) raises SIGXFSZ, whose default action
// kills the process. Ignored, the write fails with EFBIG instead, and the store reports a clean
// error for that one request.
void IgnoreFileSizeLimitSignal();

}  // namespace weijian
