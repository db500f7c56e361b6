// The faces an official document is set in (GB/T 9704-2012): the title in 小标宋, the body in
// 仿宋, 一、 headings in 黑体 and （一） headings in 楷体. A site may drop its licensed fonts
// (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312, 黑体) into a fonts folder; those are preferred.
// Otherwise the Debian faces stand in: Noto Serif CJK SC Black (fonts-noto-cjk-extra) for the
// heavy title, Noto Serif CJK SC for the body, Noto Sans CJK SC for 黑体 and LXGW WenKai
// (fonts-lxgw-wenkai) for 楷体. A face counts only if it has the simplified characters a report
// uses (cwTeX 仿宋 from fonts-cwtex-fs lacks 卫, 报, 进 …, so it never qualifies).
// Workload: resolved once per fonts folder and cached; PDF and DOCX renderers read the result.
#pragma once

#include <string>

namespace weijian::reports {

struct DocumentFonts {
  std::string title;        // 小标宋 style (heavy serif)
  bool title_bold = false;  // true when only a regular serif stands in (bold synthesised)
  std::string body;         // 仿宋 style, else a serif
  std::string hei;          // 黑体 style
  std::string kai;          // 楷体 style
};

// Adds a folder of site fonts to fontconfig (as application fonts) so that the renderer prefers
// them; a folder that does not exist is ignored. Call before rendering (at start-up).
void UseFontsDir(const std::string& dir);
// The site's fonts folder: $WEIJIAN_FONTS_DIR if set, else "fonts" beside the database file.
std::string SiteFontsDir(const std::string& db_path);
// The faces in use now (cached; recomputed after UseFontsDir).
DocumentFonts ResolveDocumentFonts();

}  // namespace weijian::reports
