// Picks the document faces through fontconfig: the first candidate family (site fonts first)
// that covers a sample of simplified characters. See fonts.h.
#include "reports/fonts.h"

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

namespace weijian::reports {

namespace {

std::mutex fonts_mu;
std::optional<DocumentFonts> cached;  // guarded by fonts_mu

// Characters a simplified-Chinese report cannot do without (a traditional-only face lacks them).
constexpr char32_t kSample[] = {U'卫', U'报', U'进', U'这', U'为', U'国', U'们', U'检',
                                U'龄', U'项', U'务', U'数', U'一', U'、', U'（', U'）'};

bool Covers(const std::string& family) {
  FcPattern* p = FcPatternCreate();
  FcPatternAddString(p, FC_FAMILY, reinterpret_cast<const FcChar8*>(family.c_str()));
  FcCharSet* cs = FcCharSetCreate();
  for (char32_t c : kSample) FcCharSetAddChar(cs, static_cast<FcChar32>(c));
  FcPatternAddCharSet(p, FC_CHARSET, cs);
  FcObjectSet* os = FcObjectSetBuild(FC_FAMILY, nullptr);
  FcFontSet* fs = FcFontList(nullptr, p, os);
  const bool ok = fs && fs->nfont > 0;
  if (fs) FcFontSetDestroy(fs);
  FcObjectSetDestroy(os);
  FcCharSetDestroy(cs);
  FcPatternDestroy(p);
  return ok;
}

std::string First(const std::vector<std::string>& candidates, const std::string& fallback) {
  for (const auto& c : candidates)
    if (Covers(c)) return c;
  return fallback;
}

DocumentFonts Resolve() {
  FcInit();
  DocumentFonts f;
  f.title = First({"方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", "FZXiaoBiaoSong-B05",
                   "小标宋", "Noto Serif CJK SC Black"},
                  "");
  if (f.title.empty()) {
    f.title = "Noto Serif CJK SC";
    f.title_bold = true;
  }
  f.body = First({"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong"},
                 "Noto Serif CJK SC");
  f.hei = First({"黑体", "SimHei", "方正黑体简体", "FZHei-B01S"}, "Noto Sans CJK SC");
  f.kai = First({"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", "方正楷体简体",
                 "LXGW WenKai", "AR PL UKai CN", "AR PL KaitiM GB"},
                f.body);
  return f;
}

}  // namespace

std::string SiteFontsDir(const std::string& db_path) {
  if (const char* env = std::getenv("WEIJIAN_FONTS_DIR"); env && *env) return env;
  return (std::filesystem::path(db_path).parent_path() / "fonts").string();
}

void UseFontsDir(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return;
  std::lock_guard lock(fonts_mu);
  FcInit();
  FcConfigAppFontAddDir(FcConfigGetCurrent(), reinterpret_cast<const FcChar8*>(dir.c_str()));
  // Font maps made before this call (Pango keeps one per thread) see the new faces too.
  PangoFontMap* map = pango_cairo_font_map_get_default();
  if (PANGO_IS_FC_FONT_MAP(map)) pango_fc_font_map_config_changed(PANGO_FC_FONT_MAP(map));
  cached.reset();
}

DocumentFonts ResolveDocumentFonts() {
  std::lock_guard lock(fonts_mu);
  if (!cached) cached = Resolve();
  return *cached;
}

}  // namespace weijian::reports
