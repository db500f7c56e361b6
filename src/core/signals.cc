#include "core/signals.h"

#include <csignal>

namespace weijian {

void IgnoreFileSizeLimitSignal() { std::signal(SIGXFSZ, SIG_IGN); }

}  // namespace weijian
