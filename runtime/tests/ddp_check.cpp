// Launched as several ranks by test_ddp.py. Modes:
//   train OUT STEPS BATCH [ACCUM]  a small model on deterministic data; writes its parameters
//                                  (raw floats) and per-step losses to OUT.rank<R>.{params,loss}
//   crash STEP                     the last rank exits mid-training at STEP; others must fail fast
//   resume OUT STEPS SAVE_AT CKPT  like train, saving a checkpoint after SAVE_AT steps (CKPT
//                                  given) or, when CHOLINE_RESUME_FROM is set, resuming from it
// With WORLD_SIZE=1 and BATCH doubled, train is the single-process reference for parity.
#include <choline/runtime/dist.hpp>
#include <choline/runtime/training.hpp>

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
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

void write_params(const std::string& path, Model& model) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& p : model->parameters()) {
    auto t = p.detach().contiguous();
    out.write(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
  }
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
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  // Tiny buckets so that even this model spans several and the ordering logic is exercised.
  rt::GradientReducer reducer(*dist, model->parameters(), 4096, 16384);
  rt::TrainState state;
  if (resumable && !env.resume_from.empty()) state = rt::load_checkpoint(env.resume_from, *model, optimizer);
  std::ofstream losses(out + ".rank" + std::to_string(dist->rank()) + ".loss", std::ios::app);
  for (; state.step < steps; ++state.step) {
    if (resumable && state.step == save_at && env.resume_from.empty()) {
      if (dist->is_main()) rt::save_checkpoint(ckpt, *model, optimizer, state);
      dist->barrier();
    }
    auto [x, y] = global_batch(state.step, static_cast<std::int64_t>(batch) * dist->world_size());
    x = x.narrow(0, static_cast<std::int64_t>(batch) * dist->rank(), batch);
    y = y.narrow(0, static_cast<std::int64_t>(batch) * dist->rank(), batch);
    optimizer.zero_grad();
    double step_loss = 0;
    const int micro = batch / accum;
    for (int m = 0; m < accum; ++m) {
      reducer.prepare(m == accum - 1);
      auto loss = torch::nn::functional::cross_entropy(model->forward(x.narrow(0, m * micro, micro)),
                                                       y.narrow(0, m * micro, micro)) / accum;
      loss.backward();
      step_loss += loss.item<double>();
    }
    reducer.finish();
    optimizer.step();
    losses << state.step << " " << dist->mean(step_loss) << "\n";
  }
  write_params(out + ".rank" + std::to_string(dist->rank()) + ".params", model);
  dist->barrier();
  return 0;
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
  std::cerr << "usage: ddp-check train OUT STEPS BATCH [ACCUM] | resume OUT STEPS SAVE_AT CKPT | crash STEP\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "ddp-check: rank error: " << e.what() << std::endl;
  return 1;
}
