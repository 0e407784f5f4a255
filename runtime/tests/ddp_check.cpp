// Launched as several ranks by test_ddp.py. Modes:
//   train OUT STEPS BATCH [ACCUM]  a small model on deterministic data; writes its parameters
//                                  (raw floats) and per-step losses to OUT.rank<R>.{params,loss}
//   crash STEP                     the last rank exits mid-training at STEP; others must fail fast
//   resume OUT STEPS SAVE_AT CKPT  like train, saving a checkpoint after SAVE_AT steps (CKPT
//                                  given) or, when CHOLINE_RESUME_FROM is set, resuming from it
//   hetero OUT SAMPLES BATCH       trains under a time-budget strategy (CHOLINE_SYNC=...:Ns) until
//                                  all ranks together saw SAMPLES; the last rank is slowed down;
//                                  writes OUT.rank<R>.params and OUT.rank<R>.steps
//   unit                           parser and codec checks without a process group
// With WORLD_SIZE=1 and BATCH doubled, train is the single-process reference for parity.
// train and resume use the strategy in CHOLINE_SYNC (ddp when unset) and append the parameters
// after every synchronization to OUT.rank<R>.synced; CHECK_OPTIMIZER picks the optimizer:
// momentum (SGD 0.05, momentum 0.9; the default), sgd (plain SGD 0.05) or adamw (1e-3).
#include <choline/runtime/dist.hpp>
#include <choline/runtime/sync.hpp>
#include <choline/runtime/training.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace rt = choline::runtime;

namespace {

struct ModelImpl : torch::nn::Module {
  ModelImpl()
      : a(register_module("a", torch::nn::Linear(32, 256))),
        b(register_module("b", torch::nn::Linear(256, 256))),
        c(register_module("c", torch::nn::Linear(256, 10))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(a(x));
    x = torch::dropout(torch::relu(b(x)), 0.1, is_training());  // exercises the RNG restore
    return c(x);
  }
  torch::nn::Linear a, b, c;
};
TORCH_MODULE(Model);

// The global batch of a step, the same on every rank; each rank takes its slice.
std::pair<torch::Tensor, torch::Tensor> global_batch(std::int64_t step, std::int64_t size) {
  auto gen = at::detail::createCPUGenerator(1000 + static_cast<std::uint64_t>(step));
  auto x = torch::randn({size, 32}, gen);
  auto y = torch::randint(0, 10, {size}, gen);
  return {x, y};
}

void write_params(const std::string& path, Model& model, bool append = false) {
  std::ofstream out(path, append ? std::ios::binary | std::ios::app : std::ios::binary);
  for (const auto& p : model->parameters()) {
    auto t = p.detach().contiguous();
    out.write(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
  }
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Model& model) {
  const char* choice = std::getenv("CHECK_OPTIMIZER");
  const std::string name = choice ? choice : "momentum";
  if (name == "sgd") return std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.05));
  if (name == "adamw") return std::make_unique<torch::optim::AdamW>(model->parameters(), torch::optim::AdamWOptions(1e-3));
  return std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
}

int train(const rt::DistEnv& env, int argc, char** argv, bool resumable) {
  const std::string out = argv[2];
  const int steps = std::atoi(argv[3]);
  const int batch = resumable ? 8 : std::atoi(argv[4]);  // per rank
  const int accum = !resumable && argc > 5 ? std::atoi(argv[5]) : 1;
  const int save_at = resumable ? std::atoi(argv[4]) : -1;
  const std::string ckpt = resumable ? argv[5] : "";
  auto dist = rt::Distributed::init(env, std::chrono::seconds(10));
  torch::manual_seed(7 + dist->rank());  // ranks start different: the broadcast must fix that
  Model model;
  dist->broadcast_parameters(*model);
  // Dropout masks drawn for 2 x 8 samples differ from those for 1 x 16: parity runs without
  // dropout, resume runs with it (and so check the RNG restore).
  if (!resumable) model->eval();
  torch::manual_seed(42);
  auto optimizer = make_optimizer(model);
  const auto config = rt::choose_sync(env);
  // Under ddp the runtime's GradientReducer with tiny buckets, so that even this model spans
  // several and the ordering logic is exercised; otherwise the chosen strategy.
  std::unique_ptr<rt::GradientReducer> reducer;
  std::unique_ptr<rt::SyncStrategy> sync;
  if (config.kind == rt::SyncKind::ddp) {
    reducer = std::make_unique<rt::GradientReducer>(*dist, model->parameters(), 4096, 16384);
  } else {
    sync = rt::make_sync_strategy(*dist, model->parameters(), config);
  }
  rt::TrainState state;
  if (resumable && !env.resume_from.empty()) {
    state = sync ? rt::load_checkpoint(env.resume_from, *model, *optimizer, *sync)
                 : rt::load_checkpoint(env.resume_from, *model, *optimizer);
  }
  const std::string prefix = out + ".rank" + std::to_string(dist->rank());
  std::ofstream losses(prefix + ".loss", std::ios::app);
  const char* die_at = std::getenv("CHECK_DIE_AT");  // the last rank is killed at this step
  for (; state.step < steps; ++state.step) {
    if (die_at && std::atoi(die_at) == state.step && dist->rank() == dist->world_size() - 1) {
      std::cerr << "rank " << dist->rank() << " dies at step " << state.step << std::endl;
      ::_exit(9);
    }
    if (resumable && state.step == save_at && env.resume_from.empty()) {
      if (sync) {
        rt::save_checkpoint(ckpt, *model, *optimizer, state, *sync);
      } else if (dist->is_main()) {
        rt::save_checkpoint(ckpt, *model, *optimizer, state);
      }
      dist->barrier();
    }
    auto [x, y] = global_batch(state.step, static_cast<std::int64_t>(batch) * dist->world_size());
    x = x.narrow(0, static_cast<std::int64_t>(batch) * dist->rank(), batch);
    y = y.narrow(0, static_cast<std::int64_t>(batch) * dist->rank(), batch);
    optimizer->zero_grad();
    double step_loss = 0;
    const int micro = batch / accum;
    for (int m = 0; m < accum; ++m) {
      if (reducer) reducer->prepare(m == accum - 1); else sync->before_backward(m == accum - 1);
      auto loss = torch::nn::functional::cross_entropy(model->forward(x.narrow(0, m * micro, micro)),
                                                       y.narrow(0, m * micro, micro)) / accum;
      loss.backward();
      step_loss += loss.item<double>();
    }
    if (reducer) reducer->finish(); else sync->after_backward();
    optimizer->step();
    if (sync && sync->after_step(batch)) write_params(prefix + ".synced", model, true);
    losses << state.step << " " << std::setprecision(17) << dist->mean(step_loss) << "\n";
  }
  write_params(prefix + ".params", model);
  dist->barrier();
  return 0;
}

// Heterogeneous hosts: the last rank is slow; rounds last a time budget; the loop ends when the
// ranks together have seen `target` samples, which every rank learns at the same outer step.
int hetero(const rt::DistEnv& env, const std::string& out, std::int64_t target, int batch) {
  auto dist = rt::Distributed::init(env, std::chrono::seconds(10));
  torch::manual_seed(7 + dist->rank());
  Model model;
  dist->broadcast_parameters(*model);
  model->eval();
  auto optimizer = make_optimizer(model);
  auto sync = rt::make_sync_strategy(*dist, model->parameters(), rt::choose_sync(env));
  if (sync->config().time_budget_s <= 0) throw std::runtime_error("hetero needs a time budget (CHOLINE_SYNC=diloco:0.1s)");
  const bool slow = dist->rank() == dist->world_size() - 1;
  for (std::int64_t step = 0;; ++step) {
    auto [x, y] = global_batch(step * dist->world_size() + dist->rank(), batch);
    optimizer->zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    optimizer->step();
    if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (sync->after_step(batch) && sync->stats().global_samples >= target) break;
  }
  const std::string prefix = out + ".rank" + std::to_string(dist->rank());
  write_params(prefix + ".params", model);
  std::ofstream(prefix + ".steps") << sync->stats().steps << " " << sync->stats().global_samples << " "
                                   << sync->stats().syncs << "\n";
  dist->barrier();
  return 0;
}

int unit() {
  int failures = 0;
  auto expect = [&](bool ok, const std::string& what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << std::endl;
    failures += ok ? 0 : 1;
  };
  auto parse_fails = [](const std::string& text) {
    try {
      rt::SyncConfig::parse(text);
      return false;
    } catch (const std::invalid_argument&) {
      return true;
    }
  };
  const auto d = rt::SyncConfig::parse("diloco:100,lr=0.5,momentum=0.8,compress=int8");
  expect(d.kind == rt::SyncKind::diloco && d.inner_steps == 100 && d.outer_lr == 0.5 && d.outer_momentum == 0.8 &&
             d.nesterov && d.compression == rt::Compression::int8,
         "diloco:100,lr=0.5,momentum=0.8,compress=int8 parses: " + d.to_string());
  expect(rt::SyncConfig::parse(d.to_string()).to_string() == d.to_string(), "to_string round-trips");
  const auto l = rt::SyncConfig::parse("local-sgd:2.5s");
  expect(l.kind == rt::SyncKind::local_sgd && l.time_budget_s == 2.5, "local-sgd:2.5s is a time budget");
  expect(rt::SyncConfig::parse("ddp").kind == rt::SyncKind::ddp, "ddp parses");
  for (const char* bad : {"", "diloco", "diloco:0", "diloco:1.5", "diloco:x", "local-sgd:4,lr=0.7", "ddp:3",
                          "diloco:4,compress=fp8", "diloco:4,momentum=1", "diloco:4,bogus=1", "diloco:-1s", "sgd:4"}) {
    expect(parse_fails(bad), std::string("\"") + bad + "\" is rejected");
  }
  auto gen = at::detail::createCPUGenerator(3);
  for (double magnitude : {1e-6, 1.0, 1e3}) {
    const auto x = torch::randn({10000}, gen) * magnitude;
    const auto q = rt::quantize_int8(x);
    const double error = (x - rt::dequantize_int8(q)).abs().max().item<double>();
    const double bound = x.abs().max().item<double>() / 254.0 * (1 + 1e-5);
    expect(q.values.scalar_type() == torch::kChar && error <= bound,
           "int8 round trip at magnitude " + std::to_string(magnitude) + ": max error " + std::to_string(error) +
               " <= max|x|/254 = " + std::to_string(bound));
    const auto b = x.to(torch::kBFloat16).to(torch::kFloat);
    const double relative = ((x - b).abs() / x.abs().clamp_min(1e-30)).max().item<double>();
    expect(relative <= std::pow(2.0, -8), "bf16 round trip relative error " + std::to_string(relative) + " <= 2^-8");
  }
  const auto zeros = rt::quantize_int8(torch::zeros({5}));
  expect(rt::dequantize_int8(zeros).abs().max().item<double>() == 0, "int8 of zeros is zeros");
  return failures == 0 ? 0 : 1;
}

int crash(const rt::DistEnv& env, int crash_step) {
  auto dist = rt::Distributed::init(env, std::chrono::seconds(10));
  Model model;
  dist->broadcast_parameters(*model);
  rt::GradientReducer reducer(*dist, model->parameters());
  for (int step = 0; step < 1000; ++step) {
    if (step == crash_step && dist->rank() == dist->world_size() - 1) {
      std::cerr << "rank " << dist->rank() << " dies at step " << step << std::endl;
      ::_exit(9);
    }
    auto [x, y] = global_batch(step, 16);
    reducer.prepare(true);
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    reducer.finish();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  torch::set_num_threads(1);
  const auto env = rt::DistEnv::from_environment();
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "train" && argc >= 5) return train(env, argc, argv, false);
  if (mode == "resume" && argc >= 6) return train(env, argc, argv, true);
  if (mode == "crash" && argc >= 3) return crash(env, std::atoi(argv[2]));
  if (mode == "hetero" && argc >= 5) return hetero(env, argv[2], std::atoll(argv[3]), std::atoi(argv[4]));
  if (mode == "unit") return unit();
  std::cerr << "usage: ddp-check train OUT STEPS BATCH [ACCUM] | resume OUT STEPS SAVE_AT CKPT | crash STEP"
               " | hetero OUT SAMPLES BATCH | unit\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "ddp-check: rank error: " << e.what() << std::endl;
  return 1;
}
