// libFuzzer target: period identifiers and ranges (core/period.h), e.g. "2024W53", "202401:202412".
#include <string_view>

#include "core/period.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = weijian::ParsePeriod(text);
  if (p.ok()) {
    // A parsed period prints back to an identifier that parses to the same period.
    auto again = weijian::ParsePeriod(p->Id());
    if (!again.ok() || again->Id() != p->Id()) __builtin_trap();
  }
  (void)weijian::ParsePeriodRange(text);
  (void)weijian::ParsePeriodType(text);
  return 0;
}
