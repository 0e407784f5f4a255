#include <choline/report/model_card.hpp>

#include <catch2/catch.hpp>

using namespace choline::records;
using namespace choline::report;
using nlohmann::json;

namespace {

MetricPoint point(int attempt, std::int64_t step, json values) {
  values["step"] = step;
  return {attempt, step, values};
}

RunRecord sample_record() {
  RunRecord record;
  record.id = "20261201-101010-tr-abcd";
  record.project_dir = "/home/me/project";
  record.created_at = "2026-12-01T10:10:10.000Z";
  record.command = {"python3", "tr.py", "--epochs", "3"};
  record.entry = "tr.py";
  record.options.provider = "vast";
  record.options.spec.gpu = "RTX3090";
  record.options.spec.count = 2;
  record.options.spec.nodes = 2;
  record.options.checkpoint_dir = "checkpoints";
  auto host = [](int node, const std::string& id, double price) {
    HostRecord h;
    h.node = node;
    h.host.provider = "vast";
    h.host.id = id;
    h.host.address = "10.0.0." + id;
    h.host.gpu = "RTX3090";
    h.host.slots = 2;
    h.host.price_per_hour = price;
    return h;
  };
  record.hosts = {host(0, "1", 0.40), host(1, "2", 0.35), host(1, "3", 0.30)};
  record.hosts[1].state = HostState::released;
  record.events = json::array({
      {{"type", "host_created"}, {"node", 0}, {"id", "1"}},
      {{"type", "host_created"}, {"node", 1}, {"id", "2"}},
      {{"type", "attempt_started"}, {"attempt", 1}},
      {{"type", "host_lost"}, {"node", 1}, {"id", "2"}},
      {{"type", "host_released"}, {"node", 1}, {"id", "2"}},
      {{"type", "host_created"}, {"node", 1}, {"id", "3"}},
      {{"type", "attempt_started"}, {"attempt", 2}},
  });
  return record;
}

}  // namespace

TEST_CASE("A checkpoint's step comes from its name, its epoch, or the pull", "[run][card]") {
  const std::vector<MetricPoint> history = {point(1, 0, {{"loss", 2.0}, {"epoch", 0}}),
                                            point(1, 93, {{"epoch", 0}, {"acc", 0.7}}),
                                            point(1, 100, {{"loss", 1.0}, {"epoch", 1}})};
  auto step = checkpoint_step("step-1200.pt", history, std::nullopt);
  REQUIRE(step);
  CHECK(step->step == 1200);
  CHECK(step->basis == "step in the file name");
  CHECK(checkpoint_step("sub/Model_Step_7.bin", history, std::nullopt)->step == 7);
  step = checkpoint_step("epoch-0000.pt", history, std::nullopt);
  REQUIRE(step);
  CHECK(step->step == 93);
  CHECK(step->basis == "epoch in the file name");
  step = checkpoint_step("epoch-0009.pt", history, 100);  // no metrics of epoch 9: the pull's step
  REQUIRE(step);
  CHECK(step->step == 100);
  CHECK(step->basis == "newest step when pulled");
  CHECK(checkpoint_step("final.pt", history, 42)->step == 42);
  CHECK_FALSE(checkpoint_step("final.pt", history, std::nullopt));
}

TEST_CASE("The hosts of an attempt come from the journal, replacements included", "[run][card]") {
  const RunRecord record = sample_record();
  auto first = hosts_of_attempt(record, 1);
  REQUIRE(first.size() == 2);
  CHECK(first[0].host.id == "1");
  CHECK(first[1].host.id == "2");
  auto second = hosts_of_attempt(record, 2);
  REQUIRE(second.size() == 2);
  CHECK(second[1].host.id == "3");
  CHECK(hosts_of_attempt(record, 9).size() == 2);  // unknown attempt: the hosts held now
}

TEST_CASE("A model card holds run, command, code, config, data, metrics and hardware", "[run][card]") {
  const RunRecord record = sample_record();
  const std::vector<MetricPoint> history = {point(1, 0, {{"loss", 2.0}, {"epoch", 0}}),
                                            point(2, 93, {{"epoch", 0}, {"acc", 0.7}})};
  CardFacts facts;
  facts.checkpoint = {"epoch-0000.pt", 1234, 0, "00ff"};
  facts.checkpoint_home = "/home/me/project/.choline/runs/r/checkpoints/epoch-0000.pt";
  facts.attempt = 2;
  facts.pulled_at_step = 93;
  facts.created_at = "2026-12-01T11:00:00.000Z";
  facts.provenance = {
      {"captured_at", "c"},
      {"git",
       {{"commit", "abc123"}, {"dirty", true}, {"diff_xxh3", "dd"}, {"branch", "main"}, {"root", "/home/me/project"}}},
      {"config_file", "/home/me/project/choline.json"},
      {"config", {{"purpose", "shoes"}}},
      {"purpose", "shoes"},
      {"preprocessing", "none"},
      {"data", json::array({{{"path", "data"}, {"kind", "directory"}, {"fingerprint", "ee"}}})}};
  const json card = build_model_card(record, history, facts);
  CHECK(card["schema"] == std::string(k_card_schema));
  CHECK(card["checkpoint"]["path"] == "checkpoints/epoch-0000.pt");
  CHECK(card["checkpoint"]["xxh3"] == "00ff");
  CHECK(card["checkpoint"]["size"] == 1234);
  CHECK(card["run"]["id"] == record.id);
  CHECK(card["run"]["project_dir"] == "/home/me/project");
  CHECK(card["run"]["attempt"] == 2);
  CHECK(card["entry"] == "tr.py");
  CHECK(card["arguments"] == json::array({"--epochs", "3"}));
  CHECK(card["code"]["commit"] == "abc123");
  CHECK(card["code"]["dirty"] == true);
  CHECK(card["purpose"] == "shoes");
  CHECK(card["data"][0]["fingerprint"] == "ee");
  CHECK(card["metrics"]["step"] == 93);
  CHECK(card["metrics"]["values"] == json{{"loss", 2.0}, {"epoch", 0}, {"acc", 0.7}});
  CHECK(card["hardware"]["workers"] == 4);
  CHECK(card["hardware"]["price_per_hour"].get<double>() == Approx(0.70));
  CHECK(card["hardware"]["hosts"][1]["id"] == "3");
  CHECK(card["created_at"] == facts.created_at);

  const std::string text = format_model_card(card);
  CHECK_THAT(text, Catch::Contains("checkpoints/epoch-0000.pt (1.2 KB, xxh3 00ff)"));
  CHECK_THAT(text, Catch::Contains("git abc123 on main, dirty (diff xxh3 dd)"));
  CHECK_THAT(text, Catch::Contains("step 93 (epoch in the file name)"));
  CHECK_THAT(text, Catch::Contains("4 x RTX3090 on vast, 2 node(s), $0.700/h"));
}

TEST_CASE("A card without provenance or metrics has nulls, and prints", "[run][card]") {
  RunRecord record = sample_record();
  record.entry.clear();
  record.command = {"./train", "--fast"};
  CardFacts facts;
  facts.checkpoint = {"final.bin", 1, 0, "aa"};
  const json card = build_model_card(record, {}, facts);
  CHECK(card["code"].is_null());
  CHECK(card["data"].is_null());
  CHECK(card["metrics"].is_null());
  CHECK(card["entry"].is_null());
  CHECK(card["arguments"] == json::array({"--fast"}));
  const std::string text = format_model_card(card);
  CHECK_THAT(text, Catch::Contains("not a git repository"));
  CHECK_THAT(text, Catch::Contains("none reported"));
  // Whatever a card holds, printing it does not throw.
  CHECK_NOTHROW(
      format_model_card(json{{"checkpoint", 3}, {"metrics", {{"values", "x"}}}, {"hardware", {{"hosts", 1}}}}));
  CHECK_NOTHROW(format_model_card(json::array()));
}

TEST_CASE("Card names sit next to their checkpoint", "[run][card]") {
  CHECK(card_name_for("epoch-0001.pt") == "epoch-0001.pt.card.json");
  CHECK(is_card_name("sub/step-3.pt.card.json"));
  CHECK_FALSE(is_card_name("step-3.pt"));
}
