#include <choline/agent/data_cache_policy.hpp>

#include <catch2/catch.hpp>

using namespace choline::agent;

TEST_CASE("Data ids name content and nothing else", "[agent][data]") {
  const std::string digest(32, 'a'), sha(64, 'b');
  CHECK(tree_data_id(digest) == "tree-" + digest);
  CHECK(url_data_id(sha, false) == "sha256-" + sha);
  CHECK(url_data_id(sha, true) == "sha256-" + sha + "-extracted");
  CHECK(is_data_id(tree_data_id(digest)));
  CHECK(is_data_id(url_data_id(sha, true)));
  CHECK_FALSE(is_data_id("tree-" + std::string(31, 'a')));
  CHECK_FALSE(is_data_id("tree-" + std::string(32, 'A')));  // lowercase only
  CHECK_FALSE(is_data_id("sha256-" + sha + "-x"));
  CHECK_FALSE(is_data_id("../tree-" + digest));
  CHECK_FALSE(is_data_id(".stage-tree-" + digest));
  CHECK(data_id_fingerprint(url_data_id(sha, true)) == sha);
  CHECK(data_id_fingerprint(tree_data_id(digest)) == digest);
}

TEST_CASE("The data cache sits beside the host's agent directory", "[agent][data]") {
  CHECK(data_cache_dir("/root/choline/agent") == "/root/choline/data");
  CHECK(data_cache_dir("/root/choline/agent/") == "/root/choline/data");
  CHECK(data_cache_dir(".choline/agent") == ".choline/data");
  CHECK(data_cache_dir("agent") == "data");
}

TEST_CASE("The default cache limit is a share of what the disk could give", "[agent][data]") {
  CHECK(default_cache_limit(100'000, 0) == 50'000);
  CHECK(default_cache_limit(60'000, 40'000) == 50'000);
}

TEST_CASE("Eviction takes the least recently used entries no run holds", "[agent][data]") {
  const std::vector<CachedEntry> entries = {
      {"old", 40, 100, false}, {"held", 50, 50, true}, {"recent", 30, 300, false}, {"older", 20, 90, false}};
  // 140 bytes, limit 100: the two oldest unheld go (older, then old).
  CHECK(plan_eviction(entries, 100, 0) == std::vector<std::string>{"older", "old"});
  CHECK(plan_eviction(entries, 140, 0).empty());
  // Room for 30 incoming bytes.
  CHECK(plan_eviction(entries, 140, 30) == std::vector<std::string>{"older", "old"});
  // Held entries alone over the limit: everything else goes, the held one stays.
  CHECK(plan_eviction(entries, 10, 0) == std::vector<std::string>{"older", "old", "recent"});
  CHECK(plan_eviction({}, 0, 0).empty());
}

TEST_CASE("A run's mark holds its entry while it links it and runs or ran lately", "[agent][data]") {
  const std::int64_t now = 1'000'000;
  CHECK(mark_holds(true, true, 0, now));
  CHECK(mark_holds(true, false, now - 60, now));
  CHECK_FALSE(mark_holds(true, false, now - k_mark_grace_s - 1, now));
  CHECK_FALSE(mark_holds(false, true, now, now));  // the run links another version now
}
