#include <choline/spec/config.hpp>
#include <choline/spec/data_entry.hpp>
#include <choline/spec/run_options.hpp>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::spec;

namespace {

const std::string k_hash = std::string(64, 'a');

std::string error_of(const std::string& text) {
  auto config = parse_config(text, "choline.json");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().kind == ErrorKind::usage);
  return config.error().message;
}

std::vector<ResolvedData> resolve(const std::vector<DataEntry>& entries) {
  auto resolved = resolve_data_entries(entries, "/home/u/project", "/home/u");
  INFO((resolved ? "" : resolved.error().message));
  REQUIRE(resolved.ok());
  return *resolved;
}

std::string resolve_error(const std::vector<DataEntry>& entries) {
  auto resolved = resolve_data_entries(entries, "/home/u/project", "/home/u");
  REQUIRE_FALSE(resolved.ok());
  CHECK(resolved.error().kind == ErrorKind::usage);
  return resolved.error().message;
}

}  // namespace

TEST_CASE("Data entries: paths, path objects and url objects", "[spec]") {
  auto config = parse_config(R"({
    "env": ["HF_TOKEN"],
    "data": ["data", "~/datasets/imagenet-subset/",
             {"path": "~/datasets/fmnist", "to": "data/fmnist"},
             {"url": "https://example.org/d/train.tar.zst?x=1", "sha256": ")" +
                                 std::string(64, 'A') + R"(",
              "to": "data/train", "extract": true, "headers": {"Authorization": "Bearer ${HF_TOKEN}"}}],
    "data_cache_gb": 120
  })",
                             "choline.json");
  INFO((config ? "" : config.error().message));
  REQUIRE(config.ok());
  REQUIRE(config->data_entries.size() == 4);
  CHECK(config->data_entries[0] == DataEntry{"data", "", "", "", false, {}});
  CHECK(config->data_entries[1].path == "~/datasets/imagenet-subset");  // the trailing slash dropped
  CHECK(config->data_entries[2] == DataEntry{"~/datasets/fmnist", "", "", "data/fmnist", false, {}});
  const DataEntry& url = config->data_entries[3];
  CHECK(url.url == "https://example.org/d/train.tar.zst?x=1");
  CHECK(url.sha256 == k_hash);  // lowercased
  CHECK(url.extract);
  CHECK(url.headers.at("Authorization") == "Bearer ${HF_TOKEN}");
  CHECK(config->data_cache_gb == Approx(120));
}

TEST_CASE("Data entry errors name the key and say how to fix it", "[spec]") {
  CHECK_THAT(error_of(R"({"data": [{"url": "https://x.org/a.zip"}]})"),
             Catch::Contains("\"data[0].sha256\": required for a url entry"));
  CHECK_THAT(error_of(R"({"data": ["a", "b", {"url": "https://x.org/a.zip"}]})"),
             Catch::Contains("\"data[2].sha256\""));
  CHECK_THAT(error_of(R"({"data": [{"url": "ftp://x.org/a.zip", "sha256": ")" + k_hash + R"("}]})"),
             Catch::Contains("\"data[0].url\": must start with http:// or https://"));
  CHECK_THAT(error_of(R"({"data": [{"url": "https://x.org/a", "sha256": "abc"}]})"),
             Catch::Contains("\"data[0].sha256\": expected 64 hex digits"));
  CHECK_THAT(error_of(R"({"data": [{"to": "x"}]})"), Catch::Contains("\"data[0]\": needs \"path\""));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "url": "https://x.org/a", "sha256": ")" + k_hash + R"("}]})"),
             Catch::Contains("has both \"path\" and \"url\""));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "extract": true}]})"),
             Catch::Contains("\"data[0].extract\": applies to url entries only"));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "too": "b"}]})"),
             Catch::Contains("\"data[0].too\": unknown key in a data entry (did you mean \"to\"?)"));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "to": "../b"}]})"),
             Catch::Contains("\"data[0].to\": must be a plain relative path"));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "to": "/abs"}]})"),
             Catch::Contains("\"data[0].to\": must be relative"));
  CHECK_THAT(error_of(R"({"data": [{"path": "a", "to": ".choline/x"}]})"),
             Catch::Contains("must not be under .choline/"));
  CHECK_THAT(error_of(R"({"data": [3]})"), Catch::Contains("\"data[0]\": expected a path or an object"));
  CHECK_THAT(error_of(R"({"data": "data"})"), Catch::Contains("\"data\": expected an array"));
  CHECK_THAT(error_of(R"({"data": [{"url": "https://x.org/a", "sha256": ")" + k_hash + R"(", "extract": "yes"}]})"),
             Catch::Contains("\"data[0].extract\": expected true or false"));
  CHECK_THAT(error_of(R"({"data_cache_gb": 0})"), Catch::Contains("\"data_cache_gb\": must be a positive number"));
}

TEST_CASE("Credentials in a url entry must come from variables listed in env", "[spec]") {
  const std::string entry = R"({"url": "https://x.org/a?token=${TOKEN}", "sha256": ")" + k_hash +
                            R"(", "headers": {"Authorization": "Bearer ${HF_TOKEN}"}})";
  const std::string message = error_of(R"({"env": ["TOKEN"], "data": [)" + entry + "]}");
  CHECK_THAT(message, Catch::Contains("\"data[0].headers.Authorization\": ${HF_TOKEN} is not listed in \"env\""));
  CHECK_THAT(message, !Catch::Contains("data[0].url"));
  CHECK(parse_config(R"({"env": ["TOKEN", "HF_TOKEN"], "data": [)" + entry + "]}", "choline.json").ok());
  CHECK_THAT(error_of(R"({"data": [{"url": "https://x.org/${A", "sha256": ")" + k_hash + R"("}]})"),
             Catch::Contains("\"data[0].url\": \"${\" without a closing \"}\""));
  CHECK_THAT(
      error_of(R"({"data": [{"url": "https://x.org/a", "sha256": ")" + k_hash + R"(", "headers": {"X": "a\nb"}}]})"),
      Catch::Contains("\"data[0].headers.X\": must not hold control characters"));
}

TEST_CASE("Env references expand from the given variables only", "[spec]") {
  const std::map<std::string, std::string> env = {{"A", "1"}, {"TOKEN", "s3cr$t"}};
  CHECK(*expand_env_refs("x${A}y${TOKEN}z$A", env) == "x1ys3cr$tz$A");
  auto missing = expand_env_refs("Bearer ${NOPE}", env);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("${NOPE} is not set"));
  CHECK(*env_refs("a ${B} ${C_2}") == std::vector<std::string>{"B", "C_2"});
  CHECK_FALSE(env_refs("${1X}").ok());
}

TEST_CASE("Resolving data entries: sources, default places, overlaps", "[spec]") {
  const auto resolved = resolve({{"data", "", "", "", false, {}},
                                 {"~/datasets/fmnist", "", "", "", false, {}},
                                 {"/mnt/big/imagenet", "", "", "vision/imagenet", false, {}},
                                 {"", "https://x.org/files/train.tar.zst?sig=1", k_hash, "", true, {}},
                                 {"", "https://x.org/files/labels.csv", k_hash, "", false, {}}});
  REQUIRE(resolved.size() == 5);
  CHECK(resolved[0].source == "/home/u/project/data");
  CHECK(resolved[0].inside_project);
  CHECK(resolved[0].project_relative == "data");
  CHECK(resolved[0].to == "data");
  CHECK(resolved[1].source == "/home/u/datasets/fmnist");
  CHECK_FALSE(resolved[1].inside_project);
  CHECK(resolved[1].to == "fmnist");  // the base name for paths outside the project
  CHECK(resolved[2].to == "vision/imagenet");
  CHECK(resolved[3].kind == ResolvedData::Kind::url);
  CHECK(resolved[3].to == "train");  // the archive's name without its suffix when extracted
  CHECK(resolved[4].to == "labels.csv");
  CHECK(resolved[4].key == "data[4]");
  CHECK(project_push_ignores(resolved) ==
        std::vector<std::string>{"/data", "/fmnist", "/vision/imagenet", "/train", "/labels.csv"});

  CHECK_THAT(resolve_error({{"data", "", "", "", false, {}}, {"other", "", "", "data/x", false, {}}}),
             Catch::Contains("data[1].to: \"data/x\" overlaps data[0].to \"data\""));
  CHECK_THAT(resolve_error({{"a/x", "", "", "", false, {}}, {"b/x", "", "", "a/x", false, {}}}),
             Catch::Contains("data[1].to: \"a/x\" overlaps data[0].to"));
  CHECK_THAT(resolve_error({{"", "https://x.org/", k_hash, "", false, {}}}), Catch::Contains("data[0].to: required"));
  CHECK_THAT(resolve_error({{".", "", "", "", false, {}}}), Catch::Contains("is the project itself"));
  CHECK_THAT(resolve_error({{"/", "", "", "", false, {}}}), Catch::Contains("data[0].to: required"));
}

TEST_CASE("Data entries survive run.json", "[spec]") {
  auto config = parse_config(R"({"env": ["T"], "data": ["data", {"path": "~/x", "to": "y"},
      {"url": "https://x.org/a.zip", "sha256": ")" +
                                 k_hash + R"(", "extract": true, "headers": {"A": "${T}"}}],
      "data_cache_gb": 7.5})",
                             "choline.json");
  REQUIRE(config.ok());
  auto options = resolve_run_options(*config, {}, std::nullopt, {{"local", false}});
  REQUIRE(options.ok());
  CHECK(options->data == config->data_entries);
  auto back = run_options_from_json(to_json(*options));
  INFO((back ? "" : back.error().message));
  REQUIRE(back.ok());
  CHECK(back->data == config->data_entries);
  CHECK(back->data_cache_gb == Approx(7.5));
  CHECK(data_entry_to_json(config->data_entries[0]) == "data");
}

TEST_CASE("Project push ignores escape glob characters in data paths", "[spec]") {
  const auto resolved = resolve({{"data[1]*", "", "", "", false, {}}});
  CHECK(project_push_ignores(resolved) == std::vector<std::string>{"/data\\[1]\\*"});
}
