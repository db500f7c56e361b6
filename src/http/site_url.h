// The site URL a server was started with (`weijian serve --site-url`): the base of absolute links
// in feeds, the sitemap, share links and QR codes (src/http/portal_handlers.cc), ahead of the
// 网站地址 setting. One per process: set once before the server starts (after
// portal::CheckSiteUrl), read-only while it serves, so readers need no lock.
#pragma once

#include <string>

namespace weijian::http {

void SetServedSiteUrl(std::string url);
// Empty when the server was started without --site-url.
const std::string& ServedSiteUrl();

}  // namespace weijian::http
