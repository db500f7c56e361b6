// libFuzzer target: the metadata bundle reader as /api/metadata runs it: the depth pre-scan, the
// JSON parser, then ImportMetadata on a dry-run copy of the catalog (the store is shared; a bundle
// that imports is kept, which only makes later inputs meet more metadata).
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/json_limits.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!weijian::CheckJsonDepth(text).ok()) return 0;
  auto bundle = nlohmann::json::parse(text, nullptr, false);
  if (bundle.is_discarded()) return 0;
  auto& f = weijian::fuzz::Shared();
  auto report = weijian::metadata::ImportMetadata(bundle, *f.catalog, *f.store);
  if (report.ok()) {
    auto reloaded = weijian::metadata::Catalog::Load(*f.store);
    if (!reloaded.ok()) __builtin_trap();  // an accepted bundle must leave a loadable catalog
    f.catalog = *reloaded;
  }
  return 0;
}
