#pragma once
// Escaping for text placed into HTML and SVG documents.

#include <string>
#include <string_view>

namespace choline::util {

// `text` with & < > " ' replaced by character references, safe both as element content and
// inside a quoted attribute. Bytes that are not valid UTF-8 and control characters other than
// tab and newline become U+FFFD, so a hostile string cannot break the document's encoding.
std::string html_escape(std::string_view text);

}  // namespace choline::util
