// W&B's command template and Python's str() of values on the command line.
#include <choline/sweep/command.hpp>
#include <choline/sweep/python_format.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace choline;
using namespace choline::sweep;
using json = nlohmann::json;

TEST_CASE("Values are written as Python's str() writes them", "[sweep]") {
  CHECK(python_str(true) == "True");
  CHECK(python_str(false) == "False");
  CHECK(python_str(nullptr) == "None");
  CHECK(python_str(1e-5) == "1e-05");
  CHECK(python_str(0.0001) == "0.0001");
  CHECK(python_str(0.001) == "0.001");
  CHECK(python_str(3.0) == "3.0");
  CHECK(python_str(-2.5) == "-2.5");
  CHECK(python_str(1e16) == "1e+16");
  CHECK(python_str(1234567890123456.0) == "1234567890123456.0");
  CHECK(python_str(1.5e-7) == "1.5e-07");
  CHECK(python_str(1e100) == "1e+100");
  CHECK(python_str(0.1 + 0.2) == "0.30000000000000004");
  CHECK(python_str(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(python_str(std::nan("")) == "nan");
  CHECK(python_str(42) == "42");
  CHECK(python_str("relu") == "relu");
  CHECK(python_str(json{64, 128}) == "[64, 128]");
  CHECK(python_str(json{"a", "b"}) == "['a', 'b']");
  CHECK(python_str(json{{"lr", 0.001}, {"nesterov", true}}) == "{'lr': 0.001, 'nesterov': True}");
  CHECK(python_repr("it's") == "\"it's\"");
  CHECK(python_repr("a\\b\n") == "'a\\\\b\\n'");
  CHECK(python_str(json::array()) == "[]");
}

TEST_CASE("The default command runs choline's Python on the program with --name=value", "[sweep]") {
  CommandInputs inputs;
  inputs.program = "tr.py";
  inputs.python = "/usr/bin/python3";
  inputs.params = {{"lr", 1e-5}, {"width", 64}, {"act", "relu"}, {"bn", true}};
  auto argv = expand_command(default_command(), inputs);
  REQUIRE(argv);
  CHECK(*argv ==
        std::vector<std::string>{"/usr/bin/python3", "tr.py", "--act=relu", "--bn=True", "--lr=1e-05", "--width=64"});
}

TEST_CASE("Every W&B macro expands as the agent expands it", "[sweep]") {
  CommandInputs inputs;
  inputs.program = "train.py";
  inputs.params = {{"a", true}, {"b", false}, {"c", 0.5}, {"opt", {{"lr", 0.001}}}};
  inputs.environment = {{"DATA_DIR", "/data"}};
  auto argv = expand_command(
      {"${env}", "python", "${program}", "${args_no_hyphens}", "--", "${args_no_boolean_flags}", "${args_no_equals}",
       "${args_json}", "--data=${envvar:DATA_DIR}/x", "${envvar:UNSET_ONE}", "${unknown}", "literal"},
      inputs);
  REQUIRE(argv);
  CHECK(*argv == std::vector<std::string>{"python",
                                          "train.py",
                                          "a=True",
                                          "b=False",
                                          "c=0.5",
                                          "opt={'lr': 0.001}",
                                          "--",
                                          "--a",
                                          "--c=0.5",
                                          "--opt={'lr': 0.001}",
                                          "--a",
                                          "True",
                                          "--b",
                                          "False",
                                          "--c",
                                          "0.5",
                                          "--opt",
                                          "{'lr': 0.001}",
                                          R"({"a":true,"b":false,"c":0.5,"opt":{"lr":0.001}})",
                                          "--data=/data/x",
                                          "UNSET_ONE",
                                          "literal"});
}

TEST_CASE("Secrets never go into a command, and args_json_file needs a path", "[sweep]") {
  CommandInputs inputs;
  inputs.environment = {{"WANDB_API_KEY", "secret"}};
  auto secret = expand_command({"--key=${envvar:WANDB_API_KEY}"}, inputs);
  REQUIRE_FALSE(secret);
  CHECK(secret.error().message.find("looks like a secret") != std::string::npos);
  CHECK_FALSE(expand_command({"${args_json_file}"}, inputs));
  inputs.args_json_file = "sweep/config-3.json";
  auto file = expand_command({"${args_json_file}"}, inputs);
  REQUIRE(file);
  CHECK(*file == std::vector<std::string>{"sweep/config-3.json"});
}

TEST_CASE("trial_args gives ${args} alone", "[sweep]") {
  CHECK(trial_args({{"layers", {64, 128}}, {"x", nullptr}}) ==
        std::vector<std::string>{"--layers=[64, 128]", "--x=None"});
}
