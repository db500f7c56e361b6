// The demo's children's immunization records (鄂托克旗, six birth years); see demo_children.cc.
#pragma once

#include <string>

#include "core/date.h"
#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

struct DemoChildrenSummary {
  int children = 0;
  int doses = 0;
  int transfers = 0;
};

// Which children to write: copy 0 is the demo's; copies 1–999 are further cohorts of the same
// size drawn from other seeds, for the scale benchmark (`weijian tracker generate`,
// bench/tracker_scale.bench.sh).
struct DemoChildrenOptions {
  int first_copy = 0;
  int copies = 1;
  // The division whose townships the children live in, each child in one drawn at random
  // (default: the demo's county); a township's 接种单位 is its 卫生院, or the township itself.
  std::string area = "150624";
  // The store's bulk path (Store::AddTrackedEntitiesBulk): children and doses inserted with
  // prepared statements, one audit row per cohort instead of one per child and dose; transfers
  // as usual. For the benchmark only: a clerk's entry writes every audit row.
  bool bulk = false;
};

// Writes the children, sealed with the key file `key_file`, into a store holding the demo
// (BuildDemo first); all or nothing per copy (one transaction each).
Result<DemoChildrenSummary> BuildDemoChildren(storage::Store& store, const std::string& key_file,
                                              Date today, const DemoChildrenOptions& options = {});

struct DemoStockSummary {
  int units = 0;
  int lots = 0;
  int movements = 0;
};

// The demo's vaccine stock (after BuildDemoChildren): each 鄂托克旗 接种单位 (the 卫生院 that
// manages children) holds a lot of every vaccine its due lists of the next 30 days call for,
// received on the first of this month from the county's CDC — most enough, some short — with a
// lot expiring within weeks at every unit, an expired lot not yet written off at a few, and a
// 报损 today at a few. Deterministic for one `today`; every movement has its audit row.
Result<DemoStockSummary> BuildDemoStock(storage::Store& store, Date today);

}  // namespace weijian::cli
