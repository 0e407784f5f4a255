#include <choline/records/checkpoint_names.hpp>

#include <catch2/catch.hpp>

using namespace choline::records;

TEST_CASE("The newest complete checkpoint is chosen, temp files never", "[records]") {
  CHECK(newest_checkpoint({}) == std::nullopt);
  CHECK(newest_checkpoint({{"epoch-1.pt", 10}, {"epoch-2.pt", 20}, {"epoch-3.pt.tmp", 30}, {".epoch-4.pt", 40}}) ==
        "epoch-2.pt");
  CHECK(newest_checkpoint({{"a.pt", 5}, {"b.pt", 5}}) == "b.pt");
  CHECK(newest_checkpoint({{"sub/x.partial", 9}}) == std::nullopt);
  CHECK(newest_checkpoint({{"step-40.pt", 10}, {"step-40.pt.rank1", 11}}) == "step-40.pt");
}

TEST_CASE("Checkpoint names: temp files, rank parts and model cards are not checkpoints", "[records]") {
  CHECK(is_checkpoint_name("epoch-1.pt"));
  CHECK(is_checkpoint_name("sub/step-40.pt"));
  CHECK_FALSE(is_checkpoint_name("epoch-1.pt.tmp"));
  CHECK_FALSE(is_checkpoint_name("sub/.hidden"));
  CHECK_FALSE(is_checkpoint_name("x.partial"));
  CHECK_FALSE(is_checkpoint_name("step-40.pt.rank1"));
  CHECK(is_checkpoint_name("step-40.pt.rank"));  // no rank number: an ordinary name
  CHECK_FALSE(is_checkpoint_name("step-40.pt.card.json"));
  CHECK(card_name_for("a.pt") == "a.pt.card.json");
  // A pull ignores exactly the names that are not checkpoints by their base name.
  const auto& ignore = checkpoint_pull_ignore();
  CHECK(std::find(ignore.begin(), ignore.end(), "*.card.json") != ignore.end());
  CHECK(std::find(ignore.begin(), ignore.end(), "*.tmp") != ignore.end());
}
