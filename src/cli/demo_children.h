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

// Writes the children, sealed with the key file `key_file`, into a store holding the demo
// (BuildDemo first); all or nothing per copy. Copy 0 is the demo's; copies 1–999 are further
// cohorts of the same size drawn from other seeds, for the scale benchmark
// (`weijian tracker generate`, bench/tracker_scale.bench.sh): one transaction each.
Result<DemoChildrenSummary> BuildDemoChildren(storage::Store& store, const std::string& key_file,
                                              Date today, int first_copy = 0, int copies = 1);

}  // namespace weijian::cli
