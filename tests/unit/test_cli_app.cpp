#include <choline/cli/app.hpp>
#include <choline/error.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace choline;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_command_line(args, out, err);
  return {code, out.str(), err.str()};
}

// A throwaway project directory with a script in it.
struct Project {
  std::filesystem::path dir;
  Project() {
    dir = std::filesystem::temp_directory_path() / ("choline-cli-test-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(counter()++));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "tr.py") << "print('hi')\n";
  }
  ~Project() { std::filesystem::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

}  // namespace

TEST_CASE("choline --help lists the commands and hides the agent", "[cli]") {
  const auto r = run({"--help"});
  CHECK(r.code == 0);
  for (const char* command : {"train", "resume", "logs", "status", "stop", "offers", "sync"}) {
    CHECK_THAT(r.out, Catch::Contains(command));
  }
  CHECK_THAT(r.out, !Catch::Contains("agent"));
  CHECK_THAT(r.out, Catch::Contains("Exit codes"));
}

TEST_CASE("choline train --help documents the spec forms and options", "[cli]") {
  const auto r = run({"train", "--help"});
  CHECK(r.code == 0);
  for (const char* text : {"--gpus", "--nodes", "--provider", "--max-price", "--max-restarts", "--4x3090", "--dry-run"}) {
    CHECK_THAT(r.out, Catch::Contains(text));
  }
}

TEST_CASE("Every subcommand has help", "[cli]") {
  for (const char* command : {"resume", "logs", "status", "stop", "offers", "sync", "agent"}) {
    INFO(command);
    const auto r = run({command, "--help"});
    CHECK(r.code == 0);
    CHECK_FALSE(r.out.empty());
  }
}

TEST_CASE("A bad GPU spec exits 2 with a helpful message", "[cli]") {
  const auto r = run({"train", "x.py", "--4xBANANA"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("choline: error: invalid GPU spec '--4xBANANA': unknown GPU 'BANANA'"));
  CHECK_THAT(r.err, Catch::Contains("accepted forms"));
}

TEST_CASE("Usage errors exit 2", "[cli]") {
  CHECK(run({}).code == 2);
  CHECK(run({"bogus"}).code == 2);
  CHECK(run({"train", "--nodes", "abc", "x.py"}).code == 2);
  CHECK(run({"stop"}).code == 2);
  CHECK(run({"sync", "a"}).code == 2);
  const auto passthrough = run({"status", "--", "x"});
  CHECK(passthrough.code == 2);
  CHECK_THAT(passthrough.err, Catch::Contains("takes no arguments after '--'"));
}

TEST_CASE("The version flag and agent version print the version and exit 0", "[cli]") {
  const auto version = run({"--version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out + version.err, Catch::Contains("choline "));
  const auto agent = run({"agent", "version"});
  CHECK(agent.code == 0);
  CHECK_THAT(agent.out, Catch::StartsWith("choline-agent "));
}

TEST_CASE("train --dry-run resolves spec, script arguments and passthrough", "[cli]") {
  Project project;
  const auto r = run({"-C", project.dir.string(), "train", "--dry-run", "tr.py", "--lr", "0.1", "--2xcpu", "--nodes",
                      "2", "extra", "--", "--nodes", "9"});
  REQUIRE(r.code == 0);
  const auto plan = nlohmann::json::parse(r.out);
  CHECK(plan["provider"] == "local");
  CHECK(plan["gpu"] == "cpu");
  CHECK(plan["gpus_per_host"] == 2);
  CHECK(plan["nodes"] == 2);
  CHECK(plan["workers"] == 4);
  const auto command = plan["command"].get<std::vector<std::string>>();
  REQUIRE(command.size() == 7);
  CHECK(command[1] == "tr.py");
  CHECK(std::vector<std::string>(command.begin() + 2, command.end()) ==
        std::vector<std::string>{"--lr", "0.1", "extra", "--nodes", "9"});
}

TEST_CASE("train reports every config error at once with exit 2", "[cli]") {
  Project project;
  std::ofstream(project.dir / "choline.json") << R"({"nodes": "two", "max_prise": 1})";
  const auto r = run({"-C", project.dir.string(), "train", "--dry-run", "tr.py"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("\"nodes\": expected an integer"));
  CHECK_THAT(r.err, Catch::Contains("\"max_prise\": unknown key"));
}

TEST_CASE("train refuses a missing entry and a missing --config file", "[cli]") {
  Project project;
  const auto missing = run({"-C", project.dir.string(), "train", "--dry-run", "nope.py"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("'nope.py' does not exist"));
  const auto config = run({"-C", project.dir.string(), "--config", "/nonexistent/c.json", "train", "tr.py"});
  CHECK(config.code == 2);
  CHECK_THAT(config.err, Catch::Contains("does not exist"));
}

TEST_CASE("Exit codes follow the error kind", "[cli]") {
  CHECK(exit_code_for(ErrorKind::usage) == 2);
  CHECK(exit_code_for(ErrorKind::interrupted) == 130);
  CHECK(exit_code_for(ErrorKind::network) == 1);
  CHECK(exit_code_for(ErrorKind::unsupported) == 1);
}
