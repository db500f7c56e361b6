#include "portal/text.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <qrencode.h>

#include <list>
#include <memory>
#include <mutex>
#include <opencc/SimpleConverter.hpp>
#include <unordered_map>
#include <vector>

namespace weijian::portal {

namespace {

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes come back as U+FFFD.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += static_cast<std::size_t>(len);
  return cp;
}

bool IsHan(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0xF900 && c <= 0xFAFF);
}
bool IsWordChar(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xFF10 && c <= 0xFF19);  // full-width digits
}

// Splits text into runs: each run is either Han characters or a word, as UTF-8 strings.
std::vector<std::vector<std::string>> Runs(std::string_view text) {
  std::vector<std::vector<std::string>> runs;
  std::vector<std::string> han;
  std::string word;
  auto flush = [&] {
    if (!han.empty()) runs.push_back(std::move(han));
    han.clear();
    if (!word.empty()) runs.push_back({std::move(word)});
    word.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    char32_t c = NextCodePoint(text, i);
    if (IsHan(c)) {
      if (!word.empty()) {
        runs.push_back({std::move(word)});
        word.clear();
      }
      han.emplace_back(text.substr(start, i - start));
    } else if (IsWordChar(c)) {
      if (!han.empty()) {
        runs.push_back(std::move(han));
        han.clear();
      }
      if (c >= 0xFF10 && c <= 0xFF19) c = c - 0xFF10 + '0';
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else {
      flush();
    }
  }
  flush();
  return runs;
}

// The tokens of one run: Han pairs, a lone Han character, or the word itself.
std::vector<std::string> RunTokens(const std::vector<std::string>& run) {
  if (run.size() == 1) return run;
  bool han = !run[0].empty() && static_cast<unsigned char>(run[0][0]) >= 0x80;
  if (!han) return run;
  std::vector<std::string> out;
  for (std::size_t k = 0; k + 1 < run.size(); ++k) out.push_back(run[k] + run[k + 1]);
  return out;
}

// cmark-gfm keeps its extensions in a process-wide list that
// cmark_gfm_core_extensions_ensure_registered fills on first use without a lock: two article
// pages rendered at once by a fresh server raced on it (ThreadSanitizer). So they are
// registered and looked up once, under a function-local static; the extensions themselves are
// only read after that.
const std::vector<cmark_syntax_extension*>& Extensions() {
  static const std::vector<cmark_syntax_extension*> extensions = [] {
    cmark_gfm_core_extensions_ensure_registered();
    std::vector<cmark_syntax_extension*> found;
    for (const char* name : {"table", "strikethrough", "autolink", "tagfilter"})
      if (cmark_syntax_extension* ext = cmark_find_syntax_extension(name)) found.push_back(ext);
    return found;
  }();
  return extensions;
}

// A parser with the GFM extensions; CMARK_OPT_DEFAULT is safe: no raw HTML, no unsafe URLs.
cmark_parser* NewParser() {
  cmark_parser* parser = cmark_parser_new(CMARK_OPT_DEFAULT);
  for (cmark_syntax_extension* ext : Extensions())
    cmark_parser_attach_syntax_extension(parser, ext);
  return parser;
}

std::string Render(std::string_view markdown, bool html) {
  cmark_parser* parser = NewParser();
  cmark_parser_feed(parser, markdown.data(), markdown.size());
  cmark_node* doc = cmark_parser_finish(parser);
  char* out =
      html ? cmark_render_html(doc, CMARK_OPT_DEFAULT, cmark_parser_get_syntax_extensions(parser))
           : cmark_render_plaintext(doc, CMARK_OPT_DEFAULT, 0);
  std::string result(out ? out : "");
  free(out);
  cmark_node_free(doc);
  cmark_parser_free(parser);
  return result;
}

}  // namespace

std::string MarkdownToHtml(std::string_view markdown) { return Render(markdown, true); }
std::string MarkdownToText(std::string_view markdown) { return Render(markdown, false); }

std::string MarkdownSnippet(std::string_view markdown, std::size_t max_chars) {
  cmark_parser* parser = NewParser();
  cmark_parser_feed(parser, markdown.data(), markdown.size());
  cmark_node* doc = cmark_parser_finish(parser);
  std::string out;
  bool pending_space = false;  // a block ended: the next text starts after one space
  // Enough text for the snippet plus the cut mark; a long body is not walked to its end.
  const std::size_t byte_budget = max_chars * 4 + 8;
  cmark_iter* it = cmark_iter_new(doc);
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    if (out.size() > byte_budget) break;
    cmark_node* n = cmark_iter_get_node(it);
    const cmark_node_type type = cmark_node_get_type(n);
    const std::string_view type_name = cmark_node_get_type_string(n);
    if (ev == CMARK_EVENT_ENTER &&
        (type_name == "table" || type == CMARK_NODE_CODE_BLOCK || type == CMARK_NODE_HTML_BLOCK ||
         type == CMARK_NODE_HTML_INLINE)) {
      // Skipped with everything inside (tables and leaf blocks alike).
      if (type_name == "table") cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
      continue;
    }
    if (ev == CMARK_EVENT_EXIT &&
        (type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING || type == CMARK_NODE_ITEM)) {
      pending_space = !out.empty();
      continue;
    }
    if (ev != CMARK_EVENT_ENTER) continue;
    std::string_view text;
    if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE) {
      const char* literal = cmark_node_get_literal(n);
      text = literal ? literal : "";
    } else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
      pending_space = !out.empty();
      continue;
    } else {
      continue;
    }
    if (text.empty()) continue;
    if (pending_space) out += ' ';
    pending_space = false;
    out += text;
  }
  cmark_iter_free(it);
  cmark_node_free(doc);
  cmark_parser_free(parser);
  return Utf8Prefix(out, max_chars);
}

std::string SearchTokens(std::string_view text) {
  std::string out;
  for (const auto& run : Runs(text))
    for (const auto& t : RunTokens(run)) {
      if (!out.empty()) out += ' ';
      out += t;
    }
  return out;
}

std::string SearchQuery(std::string_view typed) {
  std::string out;
  for (const auto& run : Runs(typed)) {
    std::string phrase;
    for (const auto& t : RunTokens(run)) phrase += (phrase.empty() ? "" : " ") + t;
    // Tokens hold only letters, digits and Han characters, so quoting is safe.
    if (!phrase.empty()) out += (out.empty() ? "\"" : " \"") + phrase + "\"";
  }
  return out;
}

Result<std::string> ToSimplified(std::string_view traditional) {
  // Queries are short and rare next to page views: no cache, one converter under its lock.
  static std::mutex mu;
  static std::unique_ptr<opencc::SimpleConverter> converter;  // guarded by mu
  std::lock_guard lock(mu);
  if (!converter) {
    try {
      converter = std::make_unique<opencc::SimpleConverter>("t2s.json");
    } catch (const std::exception& e) {
      return Unavailable(std::string("OpenCC t2s.json cannot be loaded (install opencc's data): ") +
                         e.what());
    }
  }
  try {
    return converter->Convert(std::string(traditional));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("not UTF-8 text: ") + e.what(), "q");
  }
}

Result<std::string> ToTraditional(std::string_view simplified) {
  static std::mutex mu;
  static std::unique_ptr<opencc::SimpleConverter> converter;
  static std::string load_error;
  // A small cache: pages are converted again and again (an LRU of 256 texts).
  static std::list<std::pair<std::string, std::string>> lru;
  static std::unordered_map<std::string_view, decltype(lru)::iterator> index;
  std::lock_guard lock(mu);
  if (!converter && load_error.empty()) {
    try {
      converter = std::make_unique<opencc::SimpleConverter>("s2t.json");
    } catch (const std::exception& e) {
      load_error =
          std::string("OpenCC s2t.json cannot be loaded (install opencc's data): ") + e.what();
    }
  }
  if (!converter) return Unavailable(load_error);
  if (auto it = index.find(simplified); it != index.end()) {
    lru.splice(lru.begin(), lru, it->second);
    return it->second->second;
  }
  std::string out = converter->Convert(std::string(simplified));
  lru.emplace_front(std::string(simplified), out);
  index[lru.front().first] = lru.begin();
  if (lru.size() > 256) {
    index.erase(lru.back().first);
    lru.pop_back();
  }
  return out;
}

Result<std::string> QrSvg(std::string_view text) {
  std::string input(text);
  QRcode* qr = QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M);
  if (!qr) return InvalidArgument("the text is too long for a QR code");
  const int n = qr->width, quiet = 4, size = n + 2 * quiet;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"100%\" "
                    "height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if (qr->data[y * n + x] & 1)
        svg += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
  svg += "\"/></svg>";
  QRcode_free(qr);
  return svg;
}

std::string Utf8Prefix(std::string_view text, std::size_t max_chars) {
  std::size_t i = 0, n = 0;
  while (i < text.size() && n < max_chars) {
    NextCodePoint(text, i);
    ++n;
  }
  if (i >= text.size()) return std::string(text);
  return std::string(text.substr(0, i)) + "…";
}

}  // namespace weijian::portal
