// Word boundaries in Chinese text (ICU's dictionary-based word break iterator), so that a title
// breaks between words ("民生项目 / 工作进展汇报", never "民生项目工 / 作进展汇报").
// Workload: a few short strings per document; ICU's iterator is made per call.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace weijian::reports {

// Byte ranges [begin, end) of the words of more than one character in a UTF-8 string.
std::vector<std::pair<std::size_t, std::size_t>> WordSpans(std::string_view utf8);

}  // namespace weijian::reports
