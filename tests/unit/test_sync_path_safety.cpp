#include <choline/sync/path_safety.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::sync;

TEST_CASE("Relative paths inside the root are accepted", "[sync]") {
  for (const char* path : {"a", "a/b/c.txt", ".hidden", "x..y", "a/.b", "spaces in name", "tab\tname"}) {
    INFO(path);
    CHECK(validate_relative_path(path).ok());
  }
}

TEST_CASE("Paths that could leave the root are refused with the rule they broke", "[sync]") {
  struct Case {
    std::string path;
    const char* says;
  };
  for (const Case& c : {Case{"", "empty path"}, Case{"/etc/passwd", "absolute"}, Case{"../x", "'..' component"},
                        Case{"a/../../x", "'..' component"}, Case{"a//b", "empty path component"},
                        Case{"a/./b", "'.' component"}, Case{"a/", "empty path component"},
                        Case{std::string("a\0b", 3), "NUL"}, Case{std::string(300, 'x'), "longer than 255"},
                        Case{std::string(5000, 'x'), "longer than 4096"}}) {
    INFO(c.path);
    auto status = validate_relative_path(c.path);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::protocol);
    CHECK_THAT(status.error().message, Catch::Contains(c.says));
  }
}

TEST_CASE("Symlink targets must stay inside the root", "[sync]") {
  CHECK(validate_symlink_target("a/link", "../b.txt").ok());
  CHECK(validate_symlink_target("link", "sub/x").ok());
  CHECK(validate_symlink_target("a/b/link", "../../c").ok());
  CHECK(validate_symlink_target("link", "./x").ok());
  CHECK_FALSE(validate_symlink_target("link", "/etc/passwd").ok());
  CHECK_FALSE(validate_symlink_target("link", "../outside").ok());
  CHECK_FALSE(validate_symlink_target("a/link", "../../outside").ok());
  // ".." after a name could climb through another symlink: refused.
  CHECK_FALSE(validate_symlink_target("a/b/link", "d/../..").ok());
  CHECK_FALSE(validate_symlink_target("link", "").ok());
}
