// Escaping text for XML (ADX exports, DOCX parts).
#pragma once

#include <string>
#include <string_view>

namespace weijian {

// &, <, >, " and ' as entities; control characters XML 1.0 does not allow are dropped.
std::string XmlEscape(std::string_view s);

}  // namespace weijian
