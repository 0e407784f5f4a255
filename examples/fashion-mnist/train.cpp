// Fashion-MNIST CNN trained data-parallel on choline's libtorch runtime. The same model, data
// and optimizer as examples/ddp-python/tr.py, so the two can be compared (scripts/bench-ddp).
//
//   choline train --2xcpu -- ./build/fashion-mnist --epochs 3
//
// On a GPU host (CUDA libtorch with NCCL) each rank trains on cuda:LOCAL_RANK; CHOLINE_DEVICE=cpu
// forces the CPU.
//
// It reads the torchrun environment choline gives (RANK, WORLD_SIZE, MASTER_ADDR, ...), writes
// a checkpoint per epoch to $CHOLINE_CKPT_DIR, and resumes from $CHOLINE_RESUME_FROM at the
// exact batch it stopped at.
//
// --sync ddp|local-sgd:H|diloco:H[,lr=X,momentum=X,compress=int8] (else $CHOLINE_SYNC, else ddp)
// picks how ranks agree (runtime/include/choline/runtime/sync.hpp). With a time budget
// (diloco:5s) each rank trains at its own speed and training ends when all ranks together have
// seen --epochs epochs' worth of samples.
#include <choline/runtime/dist.hpp>
#include <choline/runtime/sync.hpp>
#include <choline/runtime/training.hpp>

#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace rt = choline::runtime;

namespace {

struct Options {
  int epochs = 2;
  int batch_size = 64;  // per rank
  double lr = 0.01;
  int limit = 0;        // first N training images (0: all)
  int test_limit = 0;
  int threads = 1;
  std::string sync;  // empty: $CHOLINE_SYNC, else ddp
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--epochs") o.epochs = std::stoi(next());
    else if (arg == "--batch-size") o.batch_size = std::stoi(next());
    else if (arg == "--lr") o.lr = std::stod(next());
    else if (arg == "--limit") o.limit = std::stoi(next());
    else if (arg == "--test-limit") o.test_limit = std::stoi(next());
    else if (arg == "--threads") o.threads = std::stoi(next());
    else if (arg == "--data") o.data_dir = next();
    else if (arg == "--sync") o.sync = next();
    else throw std::invalid_argument("unknown option " + arg + " (known: --epochs --batch-size --lr --limit --test-limit --threads --sync --data)");
  }
  return o;
}

std::string read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path + " (install dataset-fashion-mnist or pass --data DIR)");
  std::string data;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) data.append(buffer, static_cast<std::size_t>(n));
  gzclose(file);
  return data;
}

std::uint32_t be32(const std::string& data, std::size_t at) {
  return (std::uint32_t(std::uint8_t(data[at])) << 24) | (std::uint32_t(std::uint8_t(data[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(data[at + 2])) << 8) | std::uint32_t(std::uint8_t(data[at + 3]));
}

// Images normalized with Fashion-MNIST's mean and std, as tr.py does.
std::pair<torch::Tensor, torch::Tensor> load_split(const std::string& dir, bool train, int limit) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images = read_gzip(dir + "/" + prefix + "-images-idx3-ubyte.gz");
  const std::string labels = read_gzip(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  std::int64_t count = be32(images, 4);
  if (limit > 0 && limit < count) count = limit;
  auto x = torch::from_blob(const_cast<char*>(images.data() + 16), {count, 1, 28, 28}, torch::kUInt8).to(torch::kFloat32);
  x = (x / 255.0 - 0.2860) / 0.3530;
  auto y = torch::from_blob(const_cast<char*>(labels.data() + 8), {count}, torch::kUInt8).to(torch::kInt64);
  return {x.clone(), y.clone()};
}

struct NetImpl : torch::nn::Module {
  NetImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)))),
        fc1(register_module("fc1", torch::nn::Linear(64 * 7 * 7, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);
    x = torch::relu(fc1(x.flatten(1)));
    return fc2(x);
  }
  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

double evaluate(Net& model, const torch::Tensor& x, const torch::Tensor& y, torch::Device device) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < x.size(0); start += 1000) {
    const auto n = std::min<std::int64_t>(1000, x.size(0) - start);
    const auto predicted = model->forward(x.narrow(0, start, n).to(device)).argmax(1).cpu();
    correct += predicted.eq(y.narrow(0, start, n)).sum().item<std::int64_t>();
  }
  model->train();
  return static_cast<double>(correct) / static_cast<double>(x.size(0));
}

}  // namespace

int main(int argc, char** argv) try {
  const Options options = parse(argc, argv);
  torch::set_num_threads(options.threads);
  const auto env = rt::DistEnv::from_environment();
  auto dist = rt::Distributed::init(env);
  torch::manual_seed(1);

  const torch::Device device = dist->device();
  Net model;
  model->to(device);
  dist->broadcast_parameters(*model);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(options.lr).momentum(0.9));
  const rt::SyncConfig sync_config = rt::choose_sync(env, options.sync);
  auto sync = rt::make_sync_strategy(*dist, model->parameters(), sync_config);
  const bool timed = sync_config.time_budget_s > 0;
  rt::Metrics metrics(dist->rank(), env.metrics_file);
  if (dist->is_main()) std::cout << "sync " << sync_config.to_string() << std::endl;

  auto [train_x, train_y] = load_split(options.data_dir, true, options.limit);
  rt::DistributedSampler sampler(static_cast<std::size_t>(train_x.size(0)), dist->rank(), dist->world_size(), 1);
  const std::int64_t batches_per_epoch =
      static_cast<std::int64_t>((sampler.samples_per_rank() + options.batch_size - 1) / options.batch_size);
  // Under a time budget ranks step at their own speed: training ends at the first outer step
  // after which all ranks together have seen this many samples (every rank learns it there).
  const std::int64_t target_samples = static_cast<std::int64_t>(options.epochs) * train_x.size(0);

  rt::TrainState state;
  if (!env.resume_from.empty()) {
    state = rt::load_checkpoint(env.resume_from, *model, optimizer, *sync);
    if (dist->is_main()) std::cout << "resumed from " << env.resume_from << " at step " << state.step << std::endl;
  }

  double train_seconds = 0;
  std::int64_t trained = 0;  // this rank, this process
  bool done = false;
  for (; !done && (timed || state.epoch < options.epochs); ++state.epoch, state.epoch_batch = 0) {
    sampler.set_epoch(state.epoch);
    const auto indices = torch::tensor(sampler.indices(), torch::kInt64);
    const auto started = std::chrono::steady_clock::now();
    std::int64_t seen = 0;
    double loss_sum = 0;
    for (; state.epoch_batch < batches_per_epoch; ++state.epoch_batch, ++state.step) {
      const auto begin = state.epoch_batch * options.batch_size;
      const auto n = std::min<std::int64_t>(options.batch_size, indices.size(0) - begin);
      const auto batch = indices.narrow(0, begin, n);
      optimizer.zero_grad();
      sync->before_backward();
      auto loss = torch::nn::functional::cross_entropy(model->forward(train_x.index_select(0, batch).to(device)),
                                                       train_y.index_select(0, batch).to(device));
      loss.backward();
      sync->after_backward();
      optimizer.step();
      seen += n;
      loss_sum += loss.item<double>();
      const bool synced = sync->after_step(n);
      if (state.step % 100 == 0) {
        metrics.log({{"step", double(state.step)}, {"epoch", double(state.epoch)}, {"loss", loss.item<double>()}});
      }
      if (timed && synced && sync->stats().global_samples >= target_samples) {
        done = true;
        ++state.epoch_batch;
        ++state.step;
        break;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    train_seconds += seconds;
    trained += seen;
    if (timed) {
      // Ranks are at different places in their epochs: no collective here.
      if (dist->is_main()) {
        std::cout << "epoch " << state.epoch << " (rank 0) done: mean loss " << loss_sum / std::max<std::int64_t>(1, state.epoch_batch)
                  << ", global samples " << sync->stats().global_samples << std::endl;
      }
      continue;
    }
    const double mean_loss = dist->mean(loss_sum / std::max<std::int64_t>(1, batches_per_epoch));
    const double samples_per_second = seen * dist->world_size() / std::max(seconds, 1e-9);
    // "step": choline merges metrics by step across restarts (README, Metrics).
    metrics.log({{"step", double(state.step)}, {"epoch", double(state.epoch)}, {"loss", mean_loss},
                 {"samples_per_s", samples_per_second},
                 {"comm_bytes_per_sample", double(sync->stats().bytes_sent) / double(std::max<std::int64_t>(1, sync->stats().samples))}});
    if (dist->is_main()) {
      std::cout << "epoch " << state.epoch << " done: mean loss " << mean_loss << ", " << samples_per_second
                << " samples/s" << std::endl;
    }
    rt::TrainState next = state;
    next.epoch += 1;
    next.epoch_batch = 0;
    rt::save_checkpoint(rt::checkpoint_path(env.checkpoint_dir, state.step), *model, optimizer, next, *sync);
    dist->barrier();
  }
  // The last round's steps count too: one model on every rank before it is evaluated.
  const auto sync_started = std::chrono::steady_clock::now();
  sync->synchronize();
  train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_started).count();
  const auto& stats = sync->stats();
  // Throughput of the slowest rank's view: every rank's samples over this rank's training time.
  const double global_trained = timed ? double(stats.global_samples) : double(trained) * dist->world_size();
  const double samples_per_second = dist->mean(global_trained / std::max(train_seconds, 1e-9));
  const double bytes_per_sample = double(stats.bytes_sent) / double(std::max<std::int64_t>(1, stats.samples));
  if (dist->is_main()) {
    auto [test_x, test_y] = load_split(options.data_dir, false, options.test_limit);
    const double accuracy = evaluate(model, test_x, test_y, device);
    std::cout << "train: " << static_cast<std::int64_t>(global_trained) << " samples, " << samples_per_second
              << " samples/s, " << bytes_per_sample << " comm bytes/sample/rank, " << stats.bytes_sent
              << " comm bytes rank 0, " << stats.syncs << " syncs" << std::endl;
    std::cout << "test accuracy " << accuracy << std::endl;
    metrics.log({{"step", double(state.step)}, {"samples_per_s", samples_per_second}, {"comm_bytes_per_sample", bytes_per_sample},
                 {"comm_bytes", double(stats.bytes_sent)}, {"test_accuracy", accuracy}, {"samples", global_trained}});
  }
  dist->barrier();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "fashion-mnist: error: " << e.what() << std::endl;
  return 1;
}
