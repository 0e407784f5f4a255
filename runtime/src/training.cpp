#include <choline/runtime/training.hpp>

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>
#include <unistd.h>

namespace choline::runtime {

DistributedSampler::DistributedSampler(std::size_t dataset_size, int rank, int world_size, std::uint64_t seed, bool shuffle)
    : m_size(dataset_size), m_rank(rank), m_world_size(world_size), m_seed(seed), m_shuffle(shuffle) {
  m_per_rank = (m_size + static_cast<std::size_t>(m_world_size) - 1) / static_cast<std::size_t>(m_world_size);
}

std::vector<std::int64_t> DistributedSampler::indices() const {
  std::vector<std::int64_t> all(m_size);
  std::iota(all.begin(), all.end(), 0);
  if (m_shuffle) {
    // Same seed and epoch on every rank: one permutation, split below.
    std::mt19937_64 rng(m_seed * 1000003ull + static_cast<std::uint64_t>(m_epoch));
    std::shuffle(all.begin(), all.end(), rng);
  }
  const std::size_t total = m_per_rank * static_cast<std::size_t>(m_world_size);
  for (std::size_t i = 0; all.size() < total; ++i) all.push_back(all[i % m_size]);  // pad by wrapping
  std::vector<std::int64_t> mine;
  mine.reserve(m_per_rank);
  for (std::size_t i = static_cast<std::size_t>(m_rank); i < total; i += static_cast<std::size_t>(m_world_size)) {
    mine.push_back(all[i]);
  }
  return mine;
}

std::string checkpoint_path(const std::string& dir, std::int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "step-%08lld.pt", static_cast<long long>(step));
  return (std::filesystem::path(dir) / name).string();
}

namespace {

// Temp file, fsync, rename, fsync the directory: durable before visible under its final name.
void save_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::filesystem::path final_path(path);
  std::filesystem::create_directories(final_path.parent_path());
  const std::string temp = path + ".tmp";
  archive.save_to(temp);
  const int fd = ::open(temp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::filesystem::rename(temp, final_path);
  const int dir = ::open(final_path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_local(torch::serialize::OutputArchive& archive, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
}

void read_local(torch::serialize::InputArchive& archive, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  model.load(model_archive);
  torch::serialize::InputArchive optimizer_archive;
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  torch::Tensor rng;
  archive.read("rng", rng);
  auto generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(rng);
}

void write_state(torch::serialize::OutputArchive& archive, const TrainState& state) {
  archive.write("step", torch::tensor(state.step, torch::kInt64));
  archive.write("epoch", torch::tensor(state.epoch, torch::kInt64));
  archive.write("epoch_batch", torch::tensor(state.epoch_batch, torch::kInt64));
}

TrainState read_state(torch::serialize::InputArchive& archive) {
  TrainState state;
  torch::Tensor value;
  archive.read("step", value);
  state.step = value.item<std::int64_t>();
  archive.read("epoch", value);
  state.epoch = value.item<std::int64_t>();
  archive.read("epoch_batch", value);
  state.epoch_batch = value.item<std::int64_t>();
  return state;
}

std::string rank_path(const std::string& path, int rank) { return path + ".rank" + std::to_string(rank); }

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainState& state) {
  torch::serialize::OutputArchive archive;
  write_local(archive, model, optimizer);
  write_state(archive, state);
  save_atomically(archive, path);
}

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainState& state, SyncStrategy& sync) {
  Distributed& dist = sync.dist();
  if (sync.per_rank_state() && !dist.is_main()) {
    torch::serialize::OutputArchive archive;
    write_local(archive, model, optimizer);
    save_atomically(archive, rank_path(path, dist.rank()));
  }
  dist.barrier();  // every rank's part is durable before the checkpoint exists
  if (dist.is_main()) {
    torch::serialize::OutputArchive archive;
    write_local(archive, model, optimizer);
    write_state(archive, state);
    torch::serialize::OutputArchive sync_archive;
    sync.save(sync_archive);
    archive.write("sync", sync_archive);
    save_atomically(archive, path);
  }
}

TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  read_local(archive, model, optimizer);
  return read_state(archive);
}

TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                           SyncStrategy& sync) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  read_local(archive, model, optimizer);
  const TrainState state = read_state(archive);
  torch::serialize::InputArchive sync_archive;
  if (archive.try_read("sync", sync_archive)) sync.load(sync_archive);
  const Distributed& dist = sync.dist();
  if (sync.per_rank_state() && !dist.is_main()) {
    const std::string own = rank_path(path, dist.rank());
    if (std::filesystem::exists(own)) {
      torch::serialize::InputArchive rank_archive;
      rank_archive.load_from(own);
      read_local(rank_archive, model, optimizer);
    } else {
      std::cerr << "choline-runtime: rank " << dist.rank() << ": " << own
                << " is missing; continuing from the last synchronized parameters" << std::endl;
      sync.restore_synchronized_parameters();
    }
  }
  return state;
}

Metrics::Metrics(int rank, std::string file) : m_rank(rank), m_file(std::move(file)) {}

void Metrics::log(const std::map<std::string, double>& values) {
  if (m_rank != 0) return;
  std::ostringstream line;
  line << "{";
  bool first = true;
  for (const auto& [key, value] : values) {
    line << (first ? "" : ", ") << "\"" << key << "\": " << value;
    first = false;
  }
  line << "}";
  if (m_file.empty()) {
    std::cout << "choline-metrics: " << line.str() << std::endl;
  } else {
    std::ofstream(m_file, std::ios::app) << line.str() << "\n";
  }
}

}  // namespace choline::runtime
