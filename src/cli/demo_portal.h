// The demo's portal content: site settings, articles and data releases (see demo_portal.cc).
#pragma once

#include "core/status.h"
#include "storage/store.h"

namespace weijian::cli {

// Fills the portal of a store that already holds the demo's metadata and data.
Status BuildDemoPortal(storage::Store& store);

}  // namespace weijian::cli
