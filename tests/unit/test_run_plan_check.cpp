// A plan the chosen provider can never serve is the user's to fix: refused before a run record
// exists, with the provider's advice, as a usage error (exit 2).
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/run_commands.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace choline;
using namespace choline::testing;

namespace {

run::TrainRequest request_for(const std::filesystem::path& project, const char* spec) {
  run::TrainRequest request;
  request.project_dir = project;
  request.options.provider = "local";
  request.options.spec = *spec::parse_short_spec(spec);
  request.job.argv = {"python3", "tr.py"};
  request.job.entry = "tr.py";
  return request;
}

}  // namespace

TEST_CASE("A GPU the local provider does not have is refused before any run exists", "[run]") {
  TempDir project;
  std::ostringstream out;
  auto result = run::train(request_for(project.path, "4x3090"), out);
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::usage);
  CHECK(result.error().message.find("--4xcpu") != std::string::npos);  // the advice comes along
  CHECK(out.str().empty());
  CHECK_FALSE(std::filesystem::exists(records::runs_dir(project.path)));
  CHECK_FALSE(run::check_plan(request_for(project.path, "4x3090").options).ok());
}

TEST_CASE("A plan the local provider can serve passes the plan check", "[run]") {
  TempDir project;
  CHECK(run::check_plan(request_for(project.path, "2xcpu").options).ok());
}
