#pragma once
// The rest of a training loop's plumbing: a distributed sampler, atomic checkpoints that
// resume at the exact step, and metrics as JSON lines.

#include <choline/runtime/sync.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace choline::runtime {

// Deterministic per-epoch shuffle shared by all ranks, split into equal shards (the list is
// padded by wrapping, as PyTorch's DistributedSampler does, so every rank runs the same number
// of steps and collectives stay matched).
class DistributedSampler {
 public:
  DistributedSampler(std::size_t dataset_size, int rank, int world_size, std::uint64_t seed = 0, bool shuffle = true);
  void set_epoch(std::int64_t epoch) { m_epoch = epoch; }
  // This rank's sample indices for the current epoch.
  std::vector<std::int64_t> indices() const;
  std::size_t samples_per_rank() const { return m_per_rank; }

 private:
  std::size_t m_size;
  int m_rank;
  int m_world_size;
  std::uint64_t m_seed;
  bool m_shuffle;
  std::int64_t m_epoch = 0;
  std::size_t m_per_rank;
};

// Where training stands: enough to continue at the exact next step.
struct TrainState {
  std::int64_t step = 0;         // optimizer steps taken
  std::int64_t epoch = 0;        // current epoch
  std::int64_t epoch_batch = 0;  // batches of this epoch already done (the sampler position)
};

// Writes model, optimizer, state and the CPU RNG state to `path` atomically (temp file, fsync,
// rename): a reader, or choline's checkpoint pull, never sees half a checkpoint.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainState& state);

// Loads what save_checkpoint wrote, restoring the RNG too. Throws on a missing or bad file.
TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer);

// The same, collectively, under a sync strategy: every rank calls it at the same step. Rank 0
// writes `path` with the strategy's state too (outer optimizer, last synchronized parameters,
// position in the round, counters). Where replicas differ between rounds (local-sgd, diloco on
// several ranks) every other rank R first writes `path.rank<R>` with its own parameters,
// optimizer and RNG; `path` appears only after they are all written.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainState& state, SyncStrategy& sync);

// Loads what the collective save wrote, on every rank. A rank whose `path.rank<R>` is missing
// (its host was lost) continues from the last synchronized parameters with rank 0's optimizer
// state: the outer loop still resumes exactly, that rank's inner steps of the round are lost.
TrainState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                           SyncStrategy& sync);

// "<dir>/step-00001200.pt".
std::string checkpoint_path(const std::string& dir, std::int64_t step);

// One JSON object per line, from rank 0 only: to CHOLINE_METRICS if set, else stdout prefixed
// with "choline-metrics: " so choline (and people) can pick the lines out of the logs.
class Metrics {
 public:
  Metrics(int rank, std::string file);
  void log(const std::map<std::string, double>& values);

 private:
  int m_rank;
  std::string m_file;
};

}  // namespace choline::runtime
