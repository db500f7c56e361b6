#include "http/web_assets.h"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace weijian::http {

namespace fs = std::filesystem;

namespace {
std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ContentTypeOf(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json; charset=utf-8";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

// FNV-1a, 64 bits: enough to tell versions of a file apart.
std::string Fingerprint(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}
// gzip (RFC 1952) at the best compression: files are compressed once, at start-up.
std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return "";
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}
}  // namespace

const std::string& WebAssets::Template(const std::string& name) const {
  static const std::string empty;
  auto it = templates.find(name);
  return it == templates.end() ? empty : it->second;
}

std::string DefaultWebDir() {
  if (const char* env = std::getenv("WEIJIAN_WEB_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return (exe.parent_path() / "web").string();
}

Result<std::shared_ptr<const WebAssets>> LoadWebAssets(const std::string& dir) {
  auto a = std::make_shared<WebAssets>();
  a->dir = dir;
  std::error_code ec;
  std::string all;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "templates", ec)) {
    if (e.path().extension() != ".mustache") continue;
    a->templates[e.path().stem().string()] = ReadAll(e.path());
    all += a->templates[e.path().stem().string()];
  }
  if (ec || a->templates.empty())
    return Unavailable("no page templates in " + dir +
                       "/templates; build the front end first (make build)");
  for (const auto& e : fs::recursive_directory_iterator(fs::path(dir) / "static", ec)) {
    if (!e.is_regular_file()) continue;
    StaticFile f;
    f.body = ReadAll(e.path());
    f.content_type = ContentTypeOf(e.path());
    f.etag = "\"" + Fingerprint(f.body) + "\"";
    const bool text = f.content_type.starts_with("text/") ||
                      f.content_type.starts_with("image/svg") ||
                      f.content_type.starts_with("application/json");
    if (text && f.body.size() > 1024) {
      f.gzip = Gzip(f.body);
      if (f.gzip.size() * 10 > f.body.size() * 9) f.gzip.clear();  // under 10% saved: not worth it
    }
    all += f.etag;
    a->files[fs::relative(e.path(), fs::path(dir) / "static").string()] = std::move(f);
  }
  a->version = Fingerprint(all).substr(0, 10);
  return std::shared_ptr<const WebAssets>(std::move(a));
}

Response ServeStatic(const WebAssets& assets, const Request& req, const std::string& name) {
  auto it = assets.files.find(name);
  if (it == assets.files.end()) return ErrorResponse(404, "no such file: /static/" + name);
  const StaticFile& f = it->second;
  const bool gzip =
      !f.gzip.empty() && req.Header("accept-encoding").find("gzip") != std::string::npos;
  // Each encoding is its own representation, with its own tag.
  const std::string etag = gzip ? f.etag.substr(0, f.etag.size() - 1) + "-gz\"" : f.etag;
  Response r;
  r.headers.push_back({"ETag", etag});
  r.headers.push_back({"Cache-Control", req.Query("v") ? "public, max-age=31536000, immutable"
                                                       : "public, max-age=3600"});
  if (!f.gzip.empty()) r.headers.push_back({"Vary", "Accept-Encoding"});
  if (req.Header("if-none-match") == etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = f.content_type;
  if (gzip) {
    r.headers.push_back({"Content-Encoding", "gzip"});
    r.body = f.gzip;
  } else {
    r.body = f.body;
  }
  return r;
}

}  // namespace weijian::http
