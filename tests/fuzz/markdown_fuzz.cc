// libFuzzer target: Markdown of articles through cmark-gfm (portal/text.h), to HTML and to text,
// and the search tokenizer over the same bytes.
#include <string_view>

#include "portal/text.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)weijian::portal::MarkdownToHtml(text);
  (void)weijian::portal::MarkdownToText(text);
  (void)weijian::portal::SearchQuery(text);
  (void)weijian::portal::Utf8Prefix(text, 20);
  return 0;
}
