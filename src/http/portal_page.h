// The page at "/" until the public portal arrives: what this server holds, in Chinese,
// rendered through the escaping template engine.
#pragma once

#include "http/app.h"
#include "http/request.h"

namespace weijian::http {
Response RenderLandingPage(App& app);
}
