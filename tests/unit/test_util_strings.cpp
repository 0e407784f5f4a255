#include <choline/util/strings.hpp>

#include <catch2/catch.hpp>

using namespace choline::util;

TEST_CASE("parse_uint accepts digits only, within bounds", "[util]") {
  CHECK(parse_uint("42", 100) == 42);
  CHECK_FALSE(parse_uint("", 100));
  CHECK_FALSE(parse_uint("-1", 100));
  CHECK_FALSE(parse_uint("4x", 100));
  CHECK_FALSE(parse_uint("101", 100));
  CHECK_FALSE(parse_uint("99999999999999999999999", 100));
}

TEST_CASE("closest_match suggests near words only", "[util]") {
  CHECK(closest_match("provder", {"provider", "python"}) == "provider");
  CHECK_FALSE(closest_match("zzzzzz", {"provider", "python"}));
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("split and join are inverse", "[util]") {
  CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
  CHECK(join(split("a,,b", ','), ",") == "a,,b");
  CHECK(trim("  x y \n") == "x y");
}
