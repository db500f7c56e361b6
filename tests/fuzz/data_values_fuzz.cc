// libFuzzer target: the data value readers (JSON, CSV, ADX) behind every import, fed the same
// bytes; the first byte picks the format. Rows go to a sink that keeps nothing.
#include <string_view>

#include "exchange/internal/readers.h"
#include "fuzz_support.h"

namespace {
class NullSink : public weijian::exchange::internal::RowSink {
 public:
  weijian::Status Add(std::int64_t, weijian::exchange::internal::Row&) override {
    return weijian::Status::Ok();
  }
  void Complete(const std::string&, const std::string&, const std::string&) override {}
  weijian::Status PayloadScheme(const std::string&, const std::string&) override {
    return weijian::Status::Ok();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace weijian::exchange;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  NullSink sink;
  switch (data[0] % 3) {
    case 0: {
      bool retry = false;
      auto s = internal::ReadJson(OpenString(text), sink, false, &retry);
      if (s.ok() && retry) (void)internal::ReadJson(OpenString(text), sink, true, &retry);
      break;
    }
    case 1: {
      auto source = StringSource(text);
      (void)internal::ReadCsv(*source, sink);
      break;
    }
    default: {
      auto source = StringSource(text);
      (void)internal::ReadAdx(*source, sink, *weijian::fuzz::Shared().catalog);
      break;
    }
  }
  return 0;
}
