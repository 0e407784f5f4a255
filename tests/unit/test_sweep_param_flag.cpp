// -p NAME=SPEC: the command line's way to name a search space.
#include <choline/sweep/param_flag.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::sweep;
using json = nlohmann::json;

namespace {

Parameter flag(const std::string& text) {
  Problems problems;
  auto entry = parse_param_flag(text, problems);
  INFO(text);
  REQUIRE(problems.empty());
  REQUIRE(entry);
  return entry->parameter;
}

std::string error_of(const std::vector<std::string>& flags) {
  auto result = parse_param_flags(flags);
  return result ? "" : result.error().message;
}

}  // namespace

TEST_CASE("The issue's flags parse into W&B parameters", "[sweep]") {
  const Parameter lr = flag("lr=loguniform:1e-5:1e-1");
  CHECK(lr.distribution == Distribution::log_uniform_values);
  CHECK(lr.min == 1e-5);
  CHECK(lr.max == 0.1);
  const Parameter width = flag("width=choice:64,128,256");
  CHECK(width.distribution == Distribution::categorical);
  CHECK(width.values == std::vector<json>{64, 128, 256});
  const Parameter dropout = flag("dropout=uniform:0:0.5");
  CHECK(dropout.distribution == Distribution::uniform);
  CHECK(dropout.max == 0.5);
  const Parameter layers = flag("layers=int:1:8");
  CHECK(layers.distribution == Distribution::int_uniform);
  CHECK(layers.min == 1);
  CHECK(layers.max == 8);
  const Parameter x = flag("x=q_uniform:0:1:0.1");
  CHECK(x.distribution == Distribution::q_uniform);
  CHECK(x.q == 0.1);
  CHECK_FALSE(x.q_is_integer);
  const Parameter seed = flag("seed=42");
  CHECK(seed.distribution == Distribution::constant);
  CHECK(seed.value == json(42));
}

TEST_CASE("Other kinds, constants and choice items", "[sweep]") {
  CHECK(flag("act=choice:relu,gelu,true,0.5").values == std::vector<json>{"relu", "gelu", true, 0.5});
  CHECK(flag("name=resnet").value == json("resnet"));
  CHECK(flag("tag=value:a:b").value == json("a:b"));
  CHECK(flag("url=http://x").value == json("http://x"));  // "http" names no distribution
  CHECK(flag("n=normal:0:2").sigma == 2);
  CHECK(flag("b=beta:2:3").a == 2);
  CHECK(flag("k=q_loguniform:1:1000:10").distribution == Distribution::q_log_uniform_values);
  CHECK(flag("k=q_loguniform:1:1000:10").q_is_integer);
  CHECK(flag("f=0.25").value == json(0.25));
}

TEST_CASE("Bad flags are all reported, each naming the flag", "[sweep]") {
  const auto message = error_of({"lr=loguniform:0:1", "width=choice:", "layers=int:1", "x=unifrom:0:1", "noequals",
                                 "9x=1", "d=uniform:a:1", "lr=uniform:0:1"});
  CHECK(message.rfind("parameters: 7 problems:", 0) == 0);
  for (const char* line : {"\n  -p lr=loguniform:0:1: min: log_uniform_values needs min > 0",
                           "\n  -p width=choice:: an empty value in the list: write choice:V1,V2,...",
                           "\n  -p layers=int:1: expected int:MIN:MAX, got 1 argument",
                           "\n  -p x=unifrom:0:1: unknown distribution 'unifrom' (did you mean uniform?)",
                           "\n  -p noequals: expected NAME=SPEC", "\n  -p 9x=1: '9x' is not a valid parameter name",
                           "\n  -p d=uniform:a:1: min must be a number, got 'a'"}) {
    CHECK(message.find(line) != std::string::npos);
  }
  CHECK(error_of({"lr=uniform:0:1", "lr=uniform:0:2"}) ==
        "parameters: -p lr=uniform:0:2: parameter 'lr' is given twice");
}

TEST_CASE("Flags give a sorted space", "[sweep]") {
  auto space = parse_param_flags({"width=choice:64,128", "dropout=uniform:0:0.5", "lr=loguniform:1e-5:1e-1"});
  REQUIRE(space);
  REQUIRE(space->entries.size() == 3);
  CHECK(space->entries[0].name() == "dropout");
  CHECK(space->entries[1].name() == "lr");
  CHECK(space->entries[2].name() == "width");
}

TEST_CASE("Command-line scalars", "[sweep]") {
  CHECK(parse_cli_scalar("12") == json(12));
  CHECK(parse_cli_scalar("-3") == json(-3));
  CHECK(parse_cli_scalar("1e-3").get<double>() == 1e-3);
  CHECK(parse_cli_scalar("false") == json(false));
  CHECK(parse_cli_scalar("-") == json("-"));
  CHECK(parse_cli_scalar("nan") == json("nan"));
  CHECK(parse_cli_scalar("99999999999999999999").is_number_float());
}
