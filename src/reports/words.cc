// See words.h. ICU (libicu, Debian's libicu-dev) carries a Chinese word dictionary (cjdict);
// writing a segmenter by hand would need a dictionary of our own.
#include "reports/words.h"

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <memory>

namespace weijian::reports {

std::vector<std::pair<std::size_t, std::size_t>> WordSpans(std::string_view utf8) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createWordInstance(icu::Locale::getSimplifiedChinese(), status));
  if (U_FAILURE(status) || !it) return out;
  UText* text = utext_openUTF8(nullptr, utf8.data(), static_cast<int64_t>(utf8.size()), &status);
  if (U_FAILURE(status)) return out;
  it->setText(text, status);
  if (U_SUCCESS(status)) {
    int32_t start = it->first();
    for (int32_t end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
      // More than one character: a multi-byte span holding at least two code points.
      std::size_t chars = 0;
      for (int32_t i = start; i < end; ++i)
        chars += (static_cast<unsigned char>(utf8[static_cast<std::size_t>(i)]) & 0xC0) != 0x80;
      if (chars > 1)
        out.push_back({static_cast<std::size_t>(start), static_cast<std::size_t>(end)});
    }
  }
  utext_close(text);
  return out;
}

}  // namespace weijian::reports
