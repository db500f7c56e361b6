// Shared by the libFuzzer targets: a store (in a temp file, created once per process) holding the
// default combos and a small metadata bundle, so readers that resolve codes have a catalog.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::fuzz {

struct Fixture {
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const metadata::Catalog> catalog;
};

inline Fixture& Shared() {
  static Fixture f = [] {
    Fixture x;
    std::string path =
        (std::filesystem::temp_directory_path() / ("wj-fuzz-" + std::to_string(getpid()) + ".db"))
            .string();
    std::filesystem::remove(path);
    auto opened = storage::OpenSqliteStore(path);
    if (!opened.ok()) std::abort();
    x.store = std::move(*opened);
    std::atexit([] {
      std::filesystem::remove(std::filesystem::temp_directory_path() /
                              ("wj-fuzz-" + std::to_string(getpid()) + ".db"));
    });
    (void)metadata::EnsureDefaults(*x.store);
    auto empty = metadata::Catalog::Load(*x.store);
    nlohmann::json bundle = nlohmann::json::parse(R"({
      "organisationUnits":[{"code":"OU1","name":"甲","level":1}],
      "dataElements":[{"code":"DE1","name":"数据元一","valueType":"NUMBER"},
                      {"code":"DE2","name":"数据元二","valueType":"INTEGER"}],
      "dataSets":[{"code":"DS1","name":"月报","periodType":"Monthly",
                   "dataSetElements":[{"dataElement":{"code":"DE1"}},{"dataElement":{"code":"DE2"}}],
                   "organisationUnits":[{"code":"OU1"}]}]})");
    if (empty.ok()) (void)metadata::ImportMetadata(bundle, **empty, *x.store);
    x.catalog = *metadata::Catalog::Load(*x.store);
    return x;
  }();
  return f;
}

}  // namespace weijian::fuzz
