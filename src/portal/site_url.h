// The site's own address, the one base of every absolute link the portal writes (RSS feeds, the
// sitemap, share links, QR codes). It comes from configuration only — `serve --site-url` or the
// 网站地址 setting — and never from a request's Host header, which anyone can set and which caches
// would then keep for every reader.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace weijian::portal {

// http or https, a host name or address with an optional port, and at most a plain path prefix
// ("/portal"). Returns it without a trailing "/" (scheme and host in lower case); refuses user
// info, queries, fragments, "." and ".." segments, backslashes, percent signs, spaces and control
// characters with one Chinese sentence saying which.
Result<std::string> CheckSiteUrl(std::string_view url);

}  // namespace weijian::portal
