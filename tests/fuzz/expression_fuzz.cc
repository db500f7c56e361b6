// libFuzzer target: indicator expressions (analytics/expression.h) against a small catalog.
#include <string_view>

#include "analytics/expression.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)weijian::analytics::Expression::Parse(text, *weijian::fuzz::Shared().catalog);
  return 0;
}
