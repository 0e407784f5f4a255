#include <choline/util/html.hpp>

#include <catch2/catch.hpp>

using choline::util::html_escape;

TEST_CASE("html_escape neutralises markup and quotes", "[util]") {
  CHECK(html_escape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_escape("a & b \"c\"") == "a &amp; b &quot;c&quot;");
  CHECK(html_escape("plain text 0.41") == "plain text 0.41");
}

TEST_CASE("html_escape keeps valid UTF-8 and replaces broken bytes and control characters", "[util]") {
  CHECK(html_escape("Genauigkeit \xC3\xBC \xE2\x9C\x93") == "Genauigkeit \xC3\xBC \xE2\x9C\x93");
  CHECK(html_escape("bad \xC3 end") == "bad \xEF\xBF\xBD end");
  CHECK(html_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(html_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(html_escape(std::string("nul\0bell\a", 9)) ==
        "nul\xEF\xBF\xBD"
        "bell\xEF\xBF\xBD");
  CHECK(html_escape("tab\tnewline\n") == "tab\tnewline\n");
}
