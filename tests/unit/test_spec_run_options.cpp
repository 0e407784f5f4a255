#include <choline/providers/registry.hpp>
#include <choline/spec/run_options.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::spec;

namespace {

Result<RunOptions> resolve(const Config& config, const RunFlags& flags, const std::optional<std::string>& python) {
  return resolve_run_options(config, flags, python, providers::provider_traits());
}

}  // namespace

TEST_CASE("Run options default to one CPU slot on the local provider", "[spec]") {
  auto options = resolve({}, {}, std::nullopt);
  REQUIRE(options.ok());
  CHECK(options->provider == "local");
  CHECK(options->spec == GpuSpec{"cpu", 1, 1});
  CHECK(options->python == "python3");
  CHECK(options->checkpoint_dir == "checkpoints");
  CHECK(options->max_restarts == k_default_max_restarts);
  CHECK_FALSE(options->max_price);
}

TEST_CASE("Flags override the environment, which overrides choline.json", "[spec]") {
  Config config;
  config.provider = "ssh";
  config.gpus = "2x3090";
  config.nodes = 3;
  config.python = "/opt/py";
  config.max_restarts = 7;
  config.max_price = 0.5;

  auto from_config = resolve(config, {}, std::nullopt);
  REQUIRE(from_config.ok());
  CHECK(from_config->spec == GpuSpec{"RTX3090", 2, 3});
  CHECK(from_config->python == "/opt/py");
  CHECK(from_config->max_restarts == 7);

  auto from_env = resolve(config, {}, std::string("/usr/bin/python3"));
  CHECK(from_env->python == "/usr/bin/python3");

  RunFlags flags;
  flags.gpus = "H100:8";
  flags.nodes = 1;
  flags.provider = "local";
  flags.python = "python3.11";
  flags.max_restarts = 0;
  flags.max_price = 2.0;
  auto from_flags = resolve(config, flags, std::string("/usr/bin/python3"));
  REQUIRE(from_flags.ok());
  CHECK(from_flags->spec == GpuSpec{"H100", 8, 1});
  CHECK(from_flags->provider == "local");
  CHECK(from_flags->python == "python3.11");
  CHECK(from_flags->max_restarts == 0);
  CHECK(*from_flags->max_price == Approx(2.0));
}

TEST_CASE("Renting providers need a GPU spec", "[spec]") {
  RunFlags flags;
  flags.provider = "vast";
  auto options = resolve({}, flags, std::nullopt);
  REQUIRE_FALSE(options.ok());
  CHECK(options.error().kind == ErrorKind::usage);
  CHECK_THAT(options.error().message, Catch::Contains("say which GPUs"));
}

TEST_CASE("Unknown providers and bad option values are usage errors", "[spec]") {
  RunFlags flags;
  flags.provider = "vastai";
  CHECK_THAT(resolve({}, flags, std::nullopt).error().message, Catch::Contains("did you mean vast?"));

  RunFlags nodes;
  nodes.nodes = 0;
  CHECK_FALSE(resolve({}, nodes, std::nullopt).ok());

  RunFlags restarts;
  restarts.max_restarts = -1;
  CHECK_FALSE(resolve({}, restarts, std::nullopt).ok());

  RunFlags price;
  price.max_price = 0;
  CHECK_FALSE(resolve({}, price, std::nullopt).ok());
}

TEST_CASE("Checkpoint dirs must stay inside the project", "[spec]") {
  for (const char* dir : {"/tmp/ckpt", "../ckpt", "a/../../b"}) {
    RunFlags flags;
    flags.checkpoint_dir = dir;
    INFO(dir);
    auto options = resolve({}, flags, std::nullopt);
    REQUIRE_FALSE(options.ok());
    CHECK_THAT(options.error().message, Catch::Contains("must be a relative path inside the project"));
  }
}

TEST_CASE("Recovery limits come from flags over choline.json over defaults", "[spec]") {
  auto defaults = resolve({}, {}, std::nullopt);
  REQUIRE(defaults.ok());
  CHECK(defaults->max_host_losses == k_default_max_host_losses);
  CHECK(defaults->host_timeout_s == k_default_host_timeout_s);
  Config config;
  config.max_host_losses = 2;
  config.host_timeout = 30;
  RunFlags flags;
  flags.host_timeout = 5;
  auto resolved = resolve(config, flags, std::nullopt);
  REQUIRE(resolved.ok());
  CHECK(resolved->max_host_losses == 2);
  CHECK(resolved->host_timeout_s == 5);
  flags.host_timeout = 1;
  CHECK_FALSE(resolve(config, flags, std::nullopt).ok());
  auto parsed = parse_config(R"({"max_host_losses": 1, "host_timeout": 20})", "choline.json");
  REQUIRE(parsed.ok());
  CHECK(parsed->host_timeout == 20);
  CHECK_FALSE(parse_config(R"({"host_timeout": 0})", "choline.json").ok());
}
