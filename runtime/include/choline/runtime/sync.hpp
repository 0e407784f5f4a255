#pragma once
// How data-parallel replicas stay in agreement: the sync strategy.
//
//   ddp          every step all-reduces the gradients (GradientReducer, overlapped with backward)
//   local-sgd:H  every rank steps on its own; every H steps the parameters are averaged
//   diloco:H     every rank runs H inner steps with the trainer's optimizer; then the averaged
//                pseudo-gradient (last synchronized parameters - local parameters) feeds an outer
//                Nesterov SGD step on the last synchronized parameters (Douillard et al., 2023)
//
// local-sgd and diloco send the model once per H steps instead of the gradients every step: for
// ranks joined by slow links (homes, datacenters over the internet), H = 100 sends ~100x less.
//
// Spec text (CHOLINE_SYNC, choline.json "sync", a trainer's --sync):
//   ddp | local-sgd:H[,opt...] | diloco:H[,opt...]
//   H        inner steps per round (>= 1), or a time budget like "30s": each rank runs inner
//            steps for that long and the average is weighted by the samples each processed
//            (heterogeneous hosts; see README "Training across slow links")
//   lr=X, momentum=X, nesterov=0|1   the outer optimizer (diloco only; 0.7, 0.9, 1 by default)
//   compress=none|bf16|int8          the pseudo-gradient on the wire (int8: per-tensor scale)
//
// Use in a training loop (every rank, in the same order):
//
//   dist->broadcast_parameters(*model);               // every rank starts equal
//   auto sync = make_sync_strategy(*dist, model->parameters(), SyncConfig::parse(text));
//   for (...) {
//     optimizer.zero_grad();
//     sync->before_backward();  loss.backward();  sync->after_backward();
//     optimizer.step();
//     sync->after_step(batch_size);                   // may run the outer step
//   }
//   sync->synchronize();                              // end of training: one model everywhere

#include <choline/runtime/dist.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace choline::runtime {

enum class SyncKind { ddp, local_sgd, diloco };
enum class Compression { none, bf16, int8 };

struct SyncConfig {
  SyncKind kind = SyncKind::ddp;
  int inner_steps = 1;         // H (local-sgd, diloco); unused when time_budget_s > 0
  double time_budget_s = 0;    // > 0: heterogeneous mode, rounds last this long, weighted average
  double outer_lr = 0.7;       // diloco's outer Nesterov SGD (the paper's values)
  double outer_momentum = 0.9;
  bool nesterov = true;
  Compression compression = Compression::none;

  // Parses the spec text above. Throws std::invalid_argument naming the problem.
  static SyncConfig parse(std::string_view text);
  // The canonical spec text ("diloco:100,lr=0.7,momentum=0.9,nesterov=1,compress=int8").
  std::string to_string() const;
};

// What a strategy has done so far on this rank.
struct SyncStats {
  std::int64_t steps = 0;           // inner (optimizer) steps on this rank
  std::int64_t samples = 0;         // samples this rank trained on
  std::int64_t global_samples = 0;  // all ranks' samples, as of the last synchronization
  std::int64_t syncs = 0;           // gradient all-reduces (ddp) or outer steps
  std::int64_t bytes_sent = 0;      // payload this rank sent in collectives (algorithmic count:
                                    // ring all-reduce 2(W-1)/W x size, ring all-gather (W-1) x size)
};

class SyncStrategy {
 public:
  virtual ~SyncStrategy() = default;

  // Before each backward. `last_micro_step` false on gradient-accumulation micro-steps.
  virtual void before_backward(bool last_micro_step = true) = 0;
  // After the last backward of a step, before optimizer.step(): ddp averages gradients here.
  virtual void after_backward() = 0;
  // After optimizer.step(), with the samples this rank trained on in the step. Returns true
  // when the parameters are now synchronized: every ddp step; local-sgd and diloco at the end
  // of a round, after the outer step (replicas are then bit-identical).
  virtual bool after_step(std::int64_t samples) = 0;
  // Ends the current round now, if any rank has stepped in it (e.g. before evaluating or at the
  // end of training). Collective: every rank calls it at the same point. No-op under ddp.
  virtual void synchronize() = 0;

  virtual const SyncConfig& config() const = 0;
  virtual const SyncStats& stats() const = 0;
  // Whether replicas differ between synchronizations (so each rank's optimizer and parameters
  // are its own and a checkpoint needs every rank's part).
  virtual bool per_rank_state() const = 0;

  // The strategy's state for checkpoints: the outer optimizer's momentum, the last synchronized
  // parameters, the round's position and the counters.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
  // Puts the last synchronized parameters into the model (a rank that lost its own state).
  virtual void restore_synchronized_parameters() = 0;

  Distributed& dist() const { return m_dist; }

 protected:
  explicit SyncStrategy(Distributed& dist) : m_dist(dist) {}
  Distributed& m_dist;
};

// `parameters` must already be equal on every rank (broadcast_parameters). Buffers are not
// touched (models with batch-norm statistics keep per-rank statistics between rounds).
std::unique_ptr<SyncStrategy> make_sync_strategy(Distributed& dist, std::vector<torch::Tensor> parameters,
                                                 const SyncConfig& config);

// The trainer's choice if it made one, else CHOLINE_SYNC (DistEnv::sync), else ddp.
SyncConfig choose_sync(const DistEnv& env, const std::string& trainer_choice = "");

// Pseudo-gradient codecs, exposed for tests. int8: q = round(x / s), s = max|x| / 127 per
// tensor, so |x - s q| <= s / 2 = max|x| / 254 elementwise. bf16: relative error <= 2^-8.
struct Int8Tensor {
  torch::Tensor values;  // int8
  float scale = 0;
};
Int8Tensor quantize_int8(const torch::Tensor& x);
torch::Tensor dequantize_int8(const Int8Tensor& q);

}  // namespace choline::runtime
