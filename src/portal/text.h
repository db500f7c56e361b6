// Text services of the portal: Markdown to safe HTML, Chinese full-text tokens, Simplified to
// Traditional conversion, and QR codes as SVG.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace weijian::portal {

// Renders an article body (GitHub-flavoured Markdown: tables, strikethrough, autolinks) to HTML.
// Raw HTML in the body is never passed through: cmark-gfm's safe mode drops it (leaving a
// comment) and removes javascript:, vbscript:, file: and data: links (but data:image).
std::string MarkdownToHtml(std::string_view markdown);
// The plain text of a Markdown body (for summaries, the search index and RSS descriptions).
std::string MarkdownToText(std::string_view markdown);
// A reader-facing snippet of a Markdown body (search results, lists, RSS descriptions): the text
// of its paragraphs, headings, list items and quotes, read from cmark-gfm's AST, so no Markdown
// syntax (#, *, -, |, [..](..), ``` ) ever shows; tables, code blocks (chart data) and raw HTML
// are left out; blocks are joined by one space. At most `max_chars` characters, "…" when cut.
std::string MarkdownSnippet(std::string_view markdown, std::size_t max_chars);

// Search tokens for SQLite FTS5: Han characters become overlapping pairs ("卫生健康" →
// "卫生 生健 健康"), a lone Han character stays itself, letters and digits stay words (lower
// case); everything else separates. Used for both the index and the query, so a two-character
// word like 疫苗 matches wherever it occurs.
std::string SearchTokens(std::string_view text);
// An FTS5 MATCH expression for what a reader typed: every token must occur, in order within a
// phrase ("健康教育" → "健康" "康教" "教育" as one phrase). Empty when nothing searchable is left.
std::string SearchQuery(std::string_view typed);

// Simplified → Traditional Chinese, character by character (OpenCC s2t.json; never the Taiwan or
// Hong Kong phrase tables, which rewrite an official text's vocabulary). Thread-safe; converted
// texts are cached. Fails only when OpenCC's data is not installed.
Result<std::string> ToTraditional(std::string_view simplified);
// Traditional → Simplified (OpenCC t2s.json), for what a reader types in 繁體 before searching:
// 兩癌 → 两癌. Thread-safe. Fails only when OpenCC's data is not installed.
Result<std::string> ToSimplified(std::string_view traditional);

// The QR code of `text` (a URL) as a standalone SVG image, black on white, with a quiet zone.
Result<std::string> QrSvg(std::string_view text);

// The first `max_chars` characters (not bytes) of UTF-8 text, with "…" when cut.
std::string Utf8Prefix(std::string_view text, std::size_t max_chars);

}  // namespace weijian::portal
