// The files of the web front end (templates, style sheets, bundled scripts), read once at
// start-up from the web folder that `make` fills (build/web), and served from memory with
// ETags and cache headers.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/request.h"

namespace weijian::http {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string etag;
  std::string gzip;  // the body gzip-compressed, for text types; empty when it would not pay
};

struct WebAssets {
  std::string dir;
  std::map<std::string, std::string> templates;  // "layout" → text of layout.mustache
  std::map<std::string, StaticFile> files;       // "portal.css" → file
  std::string version;                           // changes whenever any file changes
  const std::string& Template(const std::string& name) const;
};

// $WEIJIAN_WEB_DIR, else "web" next to the executable.
std::string DefaultWebDir();
// Fails, naming the folder, when it has no templates (the front end was not built).
Result<std::shared_ptr<const WebAssets>> LoadWebAssets(const std::string& dir);

// Serves /static/{name}: gzip-compressed when the client accepts it, 304 for a matching
// If-None-Match; long caching when the URL carries the asset version (?v=…), an hour otherwise.
Response ServeStatic(const WebAssets& assets, const Request& req, const std::string& name);

}  // namespace weijian::http
