#include <choline/records/journal_event.hpp>

#include <catch2/catch.hpp>

using namespace choline::records;

TEST_CASE("Journal events: every kind reads back from its name, unknown names and shapes are none", "[records]") {
  for (int k = 0; k <= static_cast<int>(JournalEvent::finished); ++k) {
    const auto kind = static_cast<JournalEvent>(k);
    CHECK(journal_event_from(to_string(kind)) == kind);
  }
  CHECK(std::string(to_string(JournalEvent::host_created)) == "host_created");
  CHECK(kind_of({{"type", "replacement_wait"}, {"seconds", 30}}) == JournalEvent::replacement_wait);
  CHECK_FALSE(kind_of({{"type", "from_the_future"}}));
  CHECK_FALSE(kind_of({{"type", 7}}));
  CHECK_FALSE(kind_of(nlohmann::json::array()));
  CHECK(is_event({{"type", "finished"}}, JournalEvent::finished));
  CHECK_FALSE(is_event({{"type", "finished"}}, JournalEvent::created));
}
