// The one rule every provider that chooses among offers follows: no excluded machine, nothing
// the run already tried, then the ranking's best; and the capacity errors saying which rule
// left nothing.
#include <choline/providers/offer_choice.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::providers;

namespace {

Offer machine_offer(std::string id, std::string machine, double price, std::string location = "Ohio, US") {
  Offer o;
  o.provider = "vast";
  o.id = std::move(id);
  o.machine = std::move(machine);
  o.gpu = "RTX 3090";
  o.gpus = 2;
  o.price_per_hour = price;
  o.reliability = 0.99;
  o.location = std::move(location);
  return o;
}

// A region or GPU type: the provider picks the machine.
Offer pool_offer(std::string id, double price, std::string location) {
  Offer o = machine_offer(std::move(id), "", price, std::move(location));
  o.provider = "lambda";
  return o;
}

HostRequest request_for(std::string run, std::vector<std::string> exclude = {}, int nodes = 1) {
  HostRequest request;
  request.run_id = std::move(run);
  request.shape = {"RTX3090", 2, nodes};
  request.exclude = std::move(exclude);
  return request;
}

std::vector<std::string> ids(const std::vector<Offer>& offers) {
  std::vector<std::string> out;
  for (const auto& o : offers) out.push_back(o.id);
  return out;
}

}  // namespace

TEST_CASE("Offer choice: excluded machines are never chosen while another offer exists", "[providers][offer_choice]") {
  const std::vector<Offer> offers = {machine_offer("1001", "501", 0.40), machine_offer("1002", "502", 0.44),
                                     machine_offer("1003", "503", 0.48)};
  auto chosen = choose_offer(offers, request_for("r", {"501"}), {}, "vast.ai");
  REQUIRE(chosen);
  CHECK(chosen->id == "1002");
  // An offer id names it too.
  chosen = choose_offer(offers, request_for("r", {"1001", "502"}), {}, "vast.ai");
  REQUIRE(chosen);
  CHECK(chosen->id == "1003");

  auto none = choose_offer(offers, request_for("r", {"501", "502", "503"}), {}, "vast.ai");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::capacity);
  CHECK_THAT(none.error().message, Catch::Contains("every vast.ai offer for 2xRTX3090") &&
                                       Catch::Contains("on a machine this run must not use"));
  auto empty = choose_offer({}, request_for("r"), {}, "vast.ai");
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message, Catch::Contains("vast.ai has no offer for 2xRTX3090"));
}

TEST_CASE("Offer choice: an offer naming its machine is tried once per run, whatever happened",
          "[providers][offer_choice]") {
  const std::vector<Offer> offers = {machine_offer("1001", "501", 0.40), machine_offer("1002", "502", 0.44)};
  OfferHistory history;
  record_attempt(history, request_for("r"), offers[0], RentOutcome::failed);
  auto chosen = choose_offer(offers, request_for("r"), history, "vast.ai");
  REQUIRE(chosen);
  CHECK(chosen->id == "1002");
  record_attempt(history, request_for("r"), offers[1], RentOutcome::rented);
  auto none = choose_offer(offers, request_for("r"), history, "vast.ai");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::capacity);
  CHECK_THAT(none.error().message, Catch::Contains("on a machine this run has not tried yet"));

  // The memory is per run: another run starts afresh.
  OfferMemory memory;
  memory.record(request_for("r"), offers[0], RentOutcome::refused);
  CHECK(memory.of("r").used.count("1001"));
  CHECK(memory.of("other").used.empty());
}

TEST_CASE("Offer choice: a pool offer counts only when it refused, and then goes last instead of out",
          "[providers][offer_choice]") {
  const std::vector<Offer> regions = {pool_offer("t@us-east-1", 0.60, "us-east-1"),
                                      pool_offer("t@us-south-1", 0.60, "us-south-1")};
  OfferHistory history;
  // Rented from: a pool rents many hosts, the next node may use it again.
  record_attempt(history, request_for("r"), regions[0], RentOutcome::rented);
  CHECK(choose_offer(regions, request_for("r"), history, "Lambda")->id == "t@us-east-1");
  // Refused: the other region first, even when dearer.
  record_attempt(history, request_for("r"), regions[0], RentOutcome::refused);
  std::vector<Offer> dearer = regions;
  dearer[1].price_per_hour = 0.90;
  CHECK(choose_offer(dearer, request_for("r"), history, "Lambda")->id == "t@us-south-1");
  // Every region refused: capacity comes back, so the first refused is asked again.
  record_attempt(history, request_for("r"), regions[1], RentOutcome::refused);
  CHECK(ids(*usable_offers(regions, request_for("r"), history, "Lambda")) ==
        std::vector<std::string>{"t@us-east-1", "t@us-south-1"});
  CHECK(choose_offer(regions, request_for("r"), history, "Lambda")->id == "t@us-east-1");
  // A rent that worked clears the refusal.
  record_attempt(history, request_for("r"), regions[0], RentOutcome::rented);
  CHECK_FALSE(history.refused.count("t@us-east-1"));
}

TEST_CASE("Offer choice: the run's later nodes go where its first went, within the price cap",
          "[providers][offer_choice]") {
  const std::vector<Offer> offers = {machine_offer("1", "m1", 0.30, "Quebec, CA"), machine_offer("2", "m2", 0.40),
                                     machine_offer("3", "m3", 0.41), machine_offer("4", "m4", 0.50, "Quebec, CA")};
  OfferHistory history;
  record_attempt(history, request_for("r", {}, 2), offers[0], RentOutcome::rented);
  CHECK(history.location == "Quebec, CA");
  CHECK(choose_offer(offers, request_for("r", {"m1"}, 2), history, "vast.ai")->id == "4");
  // A single-node run remembers no place.
  OfferHistory single;
  record_attempt(single, request_for("r"), offers[0], RentOutcome::rented);
  CHECK_FALSE(single.location);

  HostRequest capped = request_for("r");
  capped.max_price = 0.1;  // per GPU-hour: every offer is dearer
  auto none = choose_offer(offers, capped, {}, "vast.ai");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::capacity);
  CHECK_THAT(none.error().message, Catch::Contains("at or below the --max-price of $0.100/GPU-h"));
}
