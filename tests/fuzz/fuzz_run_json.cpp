// run.json and checkpoints.json as they may be found after a crash or a bad disk: any bytes load
// as a record or as "damaged", never crash; a record that loads can be saved and loaded back.
#include <choline/records/cost.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/lifecycle.hpp>

#include "fuzz_support.hpp"

#include <fstream>

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::Sandbox sandbox;
  const auto project = sandbox.fresh_root();
  const auto run_dir = project / ".choline" / "runs" / "fuzzed";
  std::filesystem::create_directories(run_dir);
  std::ofstream(run_dir / "run.json", std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  auto list = records::list_runs(project);
  for (auto& record : list.runs) {
    (void)records::cost_of(record, 1.9e9);
    (void)run::snapshot_of(record, false);
    const std::string text = record.to_json().dump();
    if (!record.save()) continue;
    if (!records::load_run(record.dir)) std::abort();  // what we wrote must read back
    (void)text;
  }
  for (const auto& damaged : list.damaged) (void)records::damaged_run_advice(damaged);
  return 0;
}
