#include <choline/spec/config.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace choline;
using namespace choline::spec;

namespace {
std::string error_of(std::string_view text) {
  auto config = parse_config(text, "choline.json");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().kind == ErrorKind::usage);
  return config.error().message;
}
}  // namespace

TEST_CASE("Config parses every key", "[config]") {
  auto config = parse_config(R"({
    "provider": "ssh", "gpus": "4x3090", "nodes": 2, "image": "pytorch/pytorch:2.3.0-cuda12.1",
    "python": "/usr/bin/python3", "setup": ["pip install -r requirements.txt"], "env": ["WANDB_API_KEY", "HF_HOME"],
    "ignore": ["data/raw/", "*.ckpt"], "checkpoint_dir": "ckpt", "max_price": 0.35, "max_restarts": 5,
    "hosts": [{"host": "10.0.0.5", "port": 2222, "user": "ubuntu", "identity": "~/.ssh/id_ed25519", "gpus": "2x4090",
               "workdir": "/workspace/choline"},
              {"host": "gpu2.example"}]
  })", "choline.json");
  REQUIRE(config.ok());
  CHECK(config->provider == "ssh");
  CHECK(config->gpus == "4x3090");
  CHECK(config->nodes == 2);
  CHECK(config->image == "pytorch/pytorch:2.3.0-cuda12.1");
  CHECK(config->python == "/usr/bin/python3");
  CHECK(config->setup == std::vector<std::string>{"pip install -r requirements.txt"});
  CHECK(config->env == std::vector<std::string>{"WANDB_API_KEY", "HF_HOME"});
  CHECK(config->ignore.size() == 2);
  CHECK(config->checkpoint_dir == "ckpt");
  CHECK(config->max_price == Approx(0.35));
  CHECK(config->max_restarts == 5);
  REQUIRE(config->hosts.size() == 2);
  CHECK(config->hosts[0] == HostEntry{"10.0.0.5", 2222, "ubuntu", "~/.ssh/id_ed25519", "2x4090", "/workspace/choline"});
  CHECK(config->hosts[1] == HostEntry{"gpu2.example", 22, "root", "", "1xcpu", ".choline"});
}

TEST_CASE("An empty config object leaves every key unset", "[config]") {
  auto config = parse_config("{}", "choline.json");
  REQUIRE(config.ok());
  CHECK_FALSE(config->provider);
  CHECK(config->hosts.empty());
}

TEST_CASE("Config allows comments", "[config]") {
  CHECK(parse_config("{ // the provider\n \"provider\": \"local\" /* default */ }", "choline.json").ok());
}

TEST_CASE("Config syntax errors give line and column", "[config]") {
  const std::string message = error_of("{\n  \"provider\": \"local\",\n  \"nodes\": ,\n}");
  CHECK_THAT(message, Catch::StartsWith("choline.json:3:"));
  CHECK_THAT(message, Catch::Contains("not valid JSON"));
}

TEST_CASE("Config must be an object", "[config]") {
  CHECK_THAT(error_of("[1,2]"), Catch::Contains("expected a JSON object at the top, got an array"));
}

TEST_CASE("Unknown config keys are errors with a suggestion", "[config]") {
  const std::string message = error_of(R"({"max_prise": 1})");
  CHECK_THAT(message, Catch::Contains("choline.json: \"max_prise\": unknown key"));
  CHECK_THAT(message, Catch::Contains("did you mean \"max_price\"?"));
}

TEST_CASE("Wrong config types name the key, the expected and the actual type", "[config]") {
  CHECK_THAT(error_of(R"({"provider": 3})"), Catch::Contains("\"provider\": expected a string, got an integer"));
  CHECK_THAT(error_of(R"({"nodes": "2"})"), Catch::Contains("\"nodes\": expected an integer, got a string"));
  CHECK_THAT(error_of(R"({"nodes": 0})"), Catch::Contains("\"nodes\": must be between 1 and 64"));
  CHECK_THAT(error_of(R"({"max_price": "cheap"})"), Catch::Contains("\"max_price\": expected a number, got a string"));
  CHECK_THAT(error_of(R"({"max_price": -1})"), Catch::Contains("\"max_price\": must be a positive number"));
  CHECK_THAT(error_of(R"({"max_restarts": 1.5})"), Catch::Contains("\"max_restarts\": expected an integer, got a number"));
  CHECK_THAT(error_of(R"({"setup": "make"})"), Catch::Contains("\"setup\": expected an array of strings, got a string"));
  CHECK_THAT(error_of(R"({"setup": ["make", 3]})"), Catch::Contains("\"setup[1]\": expected a string, got an integer"));
  CHECK_THAT(error_of(R"({"env": ["1BAD"]})"), Catch::Contains("\"1BAD\" is not an environment variable name"));
  CHECK_THAT(error_of(R"({"image": ""})"), Catch::Contains("\"image\": must not be empty"));
  CHECK_THAT(error_of(R"({"gpus": "4xBANANA"})"), Catch::Contains("\"gpus\": invalid GPU spec"));
  CHECK_THAT(error_of(R"({"hosts": {}})"), Catch::Contains("\"hosts\": expected an array of host objects"));
  CHECK_THAT(error_of(R"({"hosts": [3]})"), Catch::Contains("\"hosts[0]\": expected an object"));
  CHECK_THAT(error_of(R"({"hosts": [{"port": 22}]})"), Catch::Contains("\"hosts[0]\": missing \"host\""));
  CHECK_THAT(error_of(R"({"hosts": [{"host": "a", "port": 70000}]})"), Catch::Contains("\"hosts[0].port\": must be between 1 and 65535"));
  CHECK_THAT(error_of(R"({"hosts": [{"host": "a", "gpu": "2x3090"}]})"), Catch::Contains("\"hosts[0].gpu\": unknown key in a host entry (did you mean \"gpus\"?)"));
  CHECK_THAT(error_of(R"({"hosts": [{"host": "a", "gpus": "2xBANANA"}]})"), Catch::Contains("\"hosts[0].gpus\": invalid GPU spec"));
}

TEST_CASE("Config reports all errors at once, one per line", "[config]") {
  const std::string message = error_of(R"({"provider": 1, "nodes": "x", "bogus": true, "max_price": "y"})");
  CHECK(std::count(message.begin(), message.end(), '\n') == 3);
  CHECK_THAT(message, Catch::Contains("\"provider\""));
  CHECK_THAT(message, Catch::Contains("\"nodes\""));
  CHECK_THAT(message, Catch::Contains("\"bogus\""));
  CHECK_THAT(message, Catch::Contains("\"max_price\""));
}

TEST_CASE("A missing config file is an empty config, an unreadable one names the path", "[config]") {
  const auto dir = std::filesystem::temp_directory_path() / ("choline-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto missing = load_config_file(dir / "choline.json");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->provider);

  std::ofstream(dir / "choline.json") << R"({"nodes": "two"})";
  auto bad = load_config_file(dir / "choline.json");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains((dir / "choline.json").string() + ": \"nodes\""));

  std::filesystem::create_directories(dir / "dir.json");
  auto unreadable = load_config_file(dir / "dir.json");
  CHECK_FALSE(unreadable.ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("Config sync takes the runtime's strategies", "[config]") {
  for (const char* text : {"ddp", "local-sgd:20", "diloco:100", "diloco:500,lr=0.7,momentum=0.9,nesterov=1,compress=int8",
                           "local-sgd:30s,compress=bf16", "diloco:2.5s"}) {
    auto config = parse_config(std::string(R"({"sync": ")") + text + "\"}", "choline.json");
    REQUIRE(config.ok());
    CHECK(config->sync == text);
  }
  CHECK_FALSE(parse_config("{}", "choline.json")->sync);
}

TEST_CASE("Config sync rejects what the runtime would reject, naming the key", "[config]") {
  for (const char* text : {"diloco", "diloco:0", "diloco:1.5", "diloco:x", "local-sgd:4,lr=0.7", "ddp:3", "sgd:4",
                           "diloco:4,compress=fp8", "diloco:4,momentum=1", "diloco:4,bogus=1", "diloco:-1s", "diloco:4,lr"}) {
    INFO(text);
    const std::string message = error_of(std::string(R"({"sync": ")") + text + "\"}");
    CHECK_THAT(message, Catch::StartsWith("choline.json: \"sync\": "));
  }
  CHECK_THAT(error_of(R"({"sync": 100})"), Catch::Contains("expected a string"));
  CHECK(sync_spec_error("diloco:100") == std::nullopt);
  CHECK_THAT(*sync_spec_error("diloco:100,compress=fp8"), Catch::Contains("bf16 or int8"));
}

TEST_CASE("Config takes the model card keys: data, purpose, preprocessing", "[config]") {
  auto config = parse_config(R"({"data": ["data/train", "/mnt/shared/labels.csv"], "purpose": "sorting shoes",
                                 "preprocessing": "normalized with mean 0.286, std 0.353"})", "choline.json");
  REQUIRE(config.ok());
  REQUIRE(config->data_entries.size() == 2);
  CHECK(config->data_entries[0].path == "data/train");
  CHECK(config->data_entries[1].path == "/mnt/shared/labels.csv");
  CHECK(config->purpose == "sorting shoes");
  CHECK(config->preprocessing == "normalized with mean 0.286, std 0.353");
}

TEST_CASE("Config model card keys report wrong types and typos like every key", "[config]") {
  CHECK_THAT(error_of(R"({"data": "data/train"})"), Catch::Contains("\"data\": expected an array of paths"));
  CHECK_THAT(error_of(R"({"data": ["a", 3]})"), Catch::Contains("\"data[1]\": expected a path or an object"));
  CHECK_THAT(error_of(R"({"purpose": ["x"]})"), Catch::Contains("\"purpose\": expected a string, got an array"));
  CHECK_THAT(error_of(R"({"preprocessing": 1})"), Catch::Contains("\"preprocessing\": expected a string, got an integer"));
  CHECK_THAT(error_of(R"({"purpse": "x"})"), Catch::Contains("did you mean \"purpose\"?"));
  CHECK_THAT(error_of(R"({"datta": []})"), Catch::Contains("did you mean \"data\"?"));
}
