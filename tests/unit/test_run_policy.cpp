#include <choline/run/policy.hpp>

#include <catch2/catch.hpp>

using namespace choline::run;

TEST_CASE("One failed host fails the attempt; a stop anywhere stops it", "[run]") {
  CHECK(combine_outcomes({"succeeded", "succeeded"}) == AttemptOutcome::succeeded);
  CHECK(combine_outcomes({"succeeded", "failed"}) == AttemptOutcome::failed);
  CHECK(combine_outcomes({"stopped", "succeeded"}) == AttemptOutcome::stopped);
  CHECK(combine_outcomes({"failed", "stopped"}) == AttemptOutcome::failed);
  CHECK(combine_outcomes({"unknown"}) == AttemptOutcome::stopped);
}

TEST_CASE("Failures restart while restarts remain", "[run]") {
  CHECK(decide_after_attempt(AttemptOutcome::succeeded, 1, 3).restart == false);
  CHECK(decide_after_attempt(AttemptOutcome::succeeded, 1, 3).final_state == RunState::succeeded);
  CHECK(decide_after_attempt(AttemptOutcome::failed, 1, 3).restart);
  CHECK(decide_after_attempt(AttemptOutcome::failed, 3, 3).restart);
  CHECK_FALSE(decide_after_attempt(AttemptOutcome::failed, 4, 3).restart);
  CHECK(decide_after_attempt(AttemptOutcome::failed, 4, 3).final_state == RunState::failed);
  CHECK_FALSE(decide_after_attempt(AttemptOutcome::failed, 1, 0).restart);
  CHECK(decide_after_attempt(AttemptOutcome::stopped, 1, 3).final_state == RunState::stopped);
  CHECK_FALSE(decide_after_attempt(AttemptOutcome::stopped, 1, 3).restart);
}

TEST_CASE("The newest complete checkpoint is chosen, temp files never", "[run]") {
  CHECK(newest_checkpoint({}) == std::nullopt);
  CHECK(newest_checkpoint({{"epoch-1.pt", 10}, {"epoch-2.pt", 20}, {"epoch-3.pt.tmp", 30}, {".epoch-4.pt", 40}}) ==
        "epoch-2.pt");
  CHECK(newest_checkpoint({{"a.pt", 5}, {"b.pt", 5}}) == "b.pt");
  CHECK(newest_checkpoint({{"sub/x.partial", 9}}) == std::nullopt);
}

TEST_CASE("The job's exit code is the failed rank's", "[run]") {
  CHECK(job_exit_code(AttemptOutcome::succeeded, {}) == 0);
  CHECK(job_exit_code(AttemptOutcome::failed, {3}) == 3);
  CHECK(job_exit_code(AttemptOutcome::failed, {}) == 1);
  CHECK(job_exit_code(AttemptOutcome::stopped, {}) == 1);
}

TEST_CASE("An outcome that is not retried ends the run in its own state", "[run]") {
  CHECK(final_state_of(AttemptOutcome::succeeded) == RunState::succeeded);
  CHECK(final_state_of(AttemptOutcome::failed) == RunState::failed);
  CHECK(final_state_of(AttemptOutcome::stopped) == RunState::stopped);
}
