#include <choline/spec/config.hpp>
#include <choline/spec/init_template.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::spec;

namespace {

// What init writes must load through the real config loader.
Config loads(const std::string& text) {
  INFO(text);
  auto config = parse_config(text, "choline.json");
  REQUIRE(config.ok());
  return *config;
}

}  // namespace

TEST_CASE("has_main_block", "[spec][init]") {
  CHECK(has_main_block("import x\n\nif __name__ == \"__main__\":\n    main()\n"));
  CHECK(has_main_block("if __name__=='__main__':\n  main()"));
  CHECK_FALSE(has_main_block("def main():\n    pass\n"));
  CHECK_FALSE(has_main_block("# if __name__ == '__main__':\n"));
}

TEST_CASE("init: requirements.txt and train.py", "[spec][init]") {
  ProjectFacts facts;
  facts.requirements_txt = true;
  facts.scripts = {"model.py", "train.py"};
  facts.scripts_with_main = {"train.py"};
  const InitProposal proposal = propose_config(facts);
  CHECK(proposal.entry == "train.py");
  CHECK(proposal.run_hint == "choline train train.py --2xcpu");
  REQUIRE(proposal.setup.size() == 1);
  CHECK(proposal.setup[0] == "\"$CHOLINE_PYTHON\" -m pip install -r requirements.txt");
  const Config config = loads(render_config(proposal, "demo"));
  CHECK(config.setup == proposal.setup);
  CHECK(config.provider == "local");
  CHECK(config.gpus == "2xcpu");
  CHECK(config.checkpoint_dir == "checkpoints");
  CHECK(config.max_restarts == 3);
  CHECK_FALSE(config.max_cost);  // commented out: the built-in default stays in charge
}

TEST_CASE("init: pyproject.toml, and a single script with __main__ as the entry", "[spec][init]") {
  ProjectFacts facts;
  facts.pyproject_toml = true;
  facts.scripts = {"fit_model.py", "utils.py"};
  facts.scripts_with_main = {"fit_model.py"};
  const InitProposal proposal = propose_config(facts);
  CHECK(proposal.entry == "fit_model.py");
  CHECK(proposal.setup == std::vector<std::string>{"\"$CHOLINE_PYTHON\" -m pip install ."});
  CHECK(loads(render_config(proposal, "demo")).setup == proposal.setup);
}

TEST_CASE("init: a CMake project builds on the host and ignores build directories", "[spec][init]") {
  ProjectFacts facts;
  facts.cmake_lists = true;
  const InitProposal proposal = propose_config(facts);
  CHECK_FALSE(proposal.entry);
  CHECK(proposal.setup.size() == 2);
  CHECK(proposal.run_hint == "choline train --2xcpu -- ./build-host/YOUR_PROGRAM");
  const Config config = loads(render_config(proposal, "demo"));
  CHECK(config.setup == proposal.setup);
  CHECK(config.ignore == std::vector<std::string>{"build/", "build-host/"});
}

TEST_CASE("init: conventional names win, several candidates are a note, not a guess", "[spec][init]") {
  ProjectFacts conventional;
  conventional.scripts = {"main.py", "tr.py"};
  conventional.scripts_with_main = {"main.py", "tr.py"};
  CHECK(propose_config(conventional).entry == "tr.py");

  ProjectFacts ambiguous;
  ambiguous.scripts = {"a.py", "b.py"};
  ambiguous.scripts_with_main = {"a.py", "b.py"};
  const InitProposal proposal = propose_config(ambiguous);
  CHECK_FALSE(proposal.entry);
  REQUIRE_FALSE(proposal.notes.empty());
  CHECK_THAT(proposal.notes[0], Catch::Contains("a.py, b.py"));
  const std::string text = render_config(proposal, "demo");
  CHECK_THAT(text, Catch::Contains("// Note: several scripts"));
  loads(text);
}

TEST_CASE("init: an empty project still gets a file that loads, with every key shown", "[spec][init]") {
  const std::string text = render_config(propose_config({}), "empty");
  const Config config = loads(text);
  CHECK(config.setup.empty());
  for (const auto& key : config_keys()) {
    INFO(key);
    CHECK_THAT(text, Catch::Contains("\"" + key + "\":"));
  }
}

TEST_CASE("init: every commented-out key can be uncommented as it is", "[spec][init]") {
  std::string text = render_config(propose_config({}), "demo");
  const std::string commented = "\n  // \"";
  for (std::size_t at; (at = text.find(commented)) != std::string::npos;) text.replace(at, commented.size(), "\n  \"");
  const Config config = loads(text);
  CHECK(config.nodes == 2);
  CHECK(config.max_cost == 25);
  CHECK(config.sync == "diloco:100");
  CHECK(config.hosts.size() == 1);
}
