#include <choline/sync/ignore.hpp>

#include <catch2/catch.hpp>

using namespace choline::sync;

TEST_CASE("glob_match: * and ? stay within a path component, ** crosses them", "[sync]") {
  CHECK(glob_match("*.py", "train.py"));
  CHECK_FALSE(glob_match("*.py", "a/train.py"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "a/c"));
  CHECK(glob_match("**/x", "x"));
  CHECK(glob_match("**/x", "a/b/x"));
  CHECK(glob_match("a/**", "a/b/c"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  CHECK(glob_match("[abc].txt", "b.txt"));
  CHECK_FALSE(glob_match("[!abc].txt", "b.txt"));
  CHECK(glob_match("[a-c]x", "cx"));
  CHECK(glob_match("\\*", "*"));
  CHECK_FALSE(glob_match("\\*", "x"));
}

TEST_CASE("Ignore rules follow .gitignore semantics", "[sync]") {
  IgnoreRules rules = IgnoreRules::with_defaults();
  rules.add_file("", "# comment\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.md\n\\#literal\n");
  CHECK(rules.is_ignored(".git", true));
  CHECK(rules.is_ignored("x.log", false));
  CHECK(rules.is_ignored("a/b/x.log", false));
  CHECK_FALSE(rules.is_ignored("keep.log", false));
  CHECK(rules.is_ignored("build", true));
  CHECK(rules.is_ignored("src/build", true));
  CHECK_FALSE(rules.is_ignored("build", false));  // a file named build is not a directory
  CHECK(rules.is_ignored("top.txt", false));
  CHECK_FALSE(rules.is_ignored("sub/top.txt", false));  // anchored to the root
  CHECK(rules.is_ignored("docs/a.md", false));
  CHECK_FALSE(rules.is_ignored("docs/sub/a.md", false));
  CHECK(rules.is_ignored("#literal", false));
  CHECK_FALSE(rules.is_ignored("train.py", false));
}

TEST_CASE("A nested ignore file applies below its own directory only", "[sync]") {
  IgnoreRules rules;
  rules.add_file("data", "*.bin\n/raw\n");
  CHECK(rules.is_ignored("data/x.bin", false));
  CHECK(rules.is_ignored("data/deep/x.bin", false));
  CHECK_FALSE(rules.is_ignored("x.bin", false));
  CHECK(rules.is_ignored("data/raw", true));
  CHECK_FALSE(rules.is_ignored("data/deep/raw", true));
  CHECK_FALSE(rules.is_ignored("database/x.bin", false));
}

TEST_CASE("Later rules override earlier ones, and patterns keep escaped trailing spaces", "[sync]") {
  IgnoreRules rules;
  rules.add_pattern("*.ckpt");
  rules.add_pattern("!best.ckpt");
  rules.add_pattern("best.ckpt");
  CHECK(rules.is_ignored("best.ckpt", false));
  rules.add_pattern("name\\ ");
  CHECK(rules.size() == 4);
}
