#include <choline/spec/job.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::spec;

TEST_CASE("A .py entry runs with the python interpreter and its arguments", "[spec]") {
  auto job = make_job_command(std::string("tr.py"), EntryKind::python_script, {"--lr", "0.1"}, {"--epochs", "3"}, "python3");
  REQUIRE(job.ok());
  CHECK(job->argv == std::vector<std::string>{"python3", "tr.py", "--lr", "0.1", "--epochs", "3"});
  CHECK(job->entry == "tr.py");
}

TEST_CASE("An executable entry runs as is", "[spec]") {
  auto job = make_job_command(std::string("bin/trainer"), EntryKind::executable, {"-n", "2"}, {}, "python3");
  REQUIRE(job.ok());
  CHECK(job->argv == std::vector<std::string>{"./bin/trainer", "-n", "2"});
}

TEST_CASE("Without an entry, the command after -- runs", "[spec]") {
  auto job = make_job_command(std::nullopt, EntryKind::missing, {}, {"bash", "-c", "echo hi"}, "python3");
  REQUIRE(job.ok());
  CHECK(job->argv == std::vector<std::string>{"bash", "-c", "echo hi"});
  CHECK(job->entry.empty());
}

TEST_CASE("Bad entries are usage errors that say how to fix them", "[spec]") {
  auto nothing = make_job_command(std::nullopt, EntryKind::missing, {}, {}, "python3");
  CHECK_THAT(nothing.error().message, Catch::Contains("nothing to run"));
  auto missing = make_job_command(std::string("nope.py"), EntryKind::missing, {}, {}, "python3");
  CHECK_THAT(missing.error().message, Catch::Contains("'nope.py' does not exist"));
  auto outside = make_job_command(std::string("../x.py"), EntryKind::outside_project, {}, {}, "python3");
  CHECK_THAT(outside.error().message, Catch::Contains("outside the project"));
  auto plain = make_job_command(std::string("data.txt"), EntryKind::not_executable, {}, {}, "python3");
  CHECK_THAT(plain.error().message, Catch::Contains("chmod +x"));
  CHECK(plain.error().kind == ErrorKind::usage);
}
