#pragma once
// choline's libtorch DDP runtime: what a C++ training program needs to train data-parallel
// under the environment choline's agent (or torchrun) gives it. libtorch's C++ API has no
// DistributedDataParallel; this is it, written against c10d directly.
//
//   auto env = DistEnv::from_environment();
//   auto dist = Distributed::init(env);
//   dist->broadcast_parameters(*model);                 // every rank starts equal
//   GradientReducer reducer(*dist, model->parameters());
//   reducer.prepare(/*sync=*/true); loss.backward(); reducer.finish(); optimizer.step();

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>

namespace c10d {
class ProcessGroupGloo;
class ProcessGroupNCCL;
class Store;
class Work;
}  // namespace c10d

namespace choline::runtime {

// The torchrun environment plus choline's variables; missing ones mean a single process.
struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int attempt = 1;               // CHOLINE_ATTEMPT (or TORCHELASTIC_RESTART_COUNT + 1)
  std::string run_id;            // CHOLINE_RUN_ID / TORCHELASTIC_RUN_ID
  std::string checkpoint_dir;    // CHOLINE_CKPT_DIR, default "checkpoints"
  std::string resume_from;       // CHOLINE_RESUME_FROM, empty on a first attempt
  std::string metrics_file;      // CHOLINE_METRICS, empty: metrics go to stdout
  // CHOLINE_DEVICE: "cpu", "cuda", or "auto" (cuda:LOCAL_RANK when this libtorch has CUDA and a
  // GPU is visible, else cpu).
  std::string device = "auto";
  // CHOLINE_SYNC: the sync strategy when the trainer does not choose one ("ddp",
  // "local-sgd:H", "diloco:H[,...]"; see sync.hpp). Empty: ddp.
  std::string sync;

  static DistEnv from_environment();
};

// Collectives time out after this long by default, not Gloo's 30 minutes: a lost peer must
// surface as an error the supervisor can act on.
inline constexpr std::chrono::seconds k_default_collective_timeout{60};

class Distributed {
 public:
  // Rendezvous through a TCPStore on MASTER_ADDR:MASTER_PORT (rank 0 serves it, as under
  // torchrun) and creates the process group: NCCL on cuda:LOCAL_RANK when libtorch was built
  // with it and the device resolves to cuda, else Gloo. Throws c10::Error on failure.
  static std::unique_ptr<Distributed> init(const DistEnv& env,
                                           std::chrono::milliseconds timeout = k_default_collective_timeout);
  ~Distributed();

  int rank() const { return m_rank; }
  int world_size() const { return m_world_size; }
  bool is_main() const { return m_rank == 0; }
  // Where tensors for collectives live: cuda:LOCAL_RANK under NCCL, else cpu.
  torch::Device device() const { return m_device; }

  // Collectives on the concrete process group (libtorch 2.x backends are not ProcessGroups, so
  // the runtime never upcasts).
  c10::intrusive_ptr<c10d::Work> allreduce(std::vector<torch::Tensor>& tensors);
  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<torch::Tensor>& tensors);
  // outputs[0] receives every rank's input, in rank order (each the input's size and type).
  c10::intrusive_ptr<c10d::Work> allgather(std::vector<std::vector<torch::Tensor>>& outputs,
                                           std::vector<torch::Tensor>& inputs);

  // Copies rank 0's parameters and buffers to every rank, in one flattened broadcast.
  void broadcast_parameters(torch::nn::Module& module);

  // Averages a scalar over all ranks (for logging a global loss).
  double mean(double value);

  void barrier();

 private:
  Distributed();
  int m_rank = 0;
  int m_world_size = 1;
  torch::Device m_device = torch::kCPU;
  // The concrete process groups live in dist.cpp, which alone includes their headers.
  struct Groups;
  std::unique_ptr<Groups> m_groups;
};

// Bucketed gradient all-reduce overlapped with backward. Parameters are packed into flat
// buckets in reverse registration order (the order backward produces their gradients): a small
// first bucket so communication starts early, larger ones after. A bucket's all-reduce starts
// from a gradient hook the moment its last gradient arrives, while backward goes on; buckets are
// launched strictly in bucket order on every rank, as collectives must match across ranks.
class GradientReducer {
 public:
  static constexpr std::size_t k_first_bucket_bytes = 1 << 20;
  static constexpr std::size_t k_bucket_bytes = 25 << 20;

  GradientReducer(Distributed& dist, std::vector<torch::Tensor> parameters,
                  std::size_t first_bucket_bytes = k_first_bucket_bytes, std::size_t bucket_bytes = k_bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before backward. `sync` false for gradient-accumulation micro-steps: gradients only
  // accumulate locally, as under DDP's no_sync().
  void prepare(bool sync);

  // After backward on a sync step: launches what is left, waits, and writes the averaged
  // gradients into every parameter's .grad.
  void finish();

  std::size_t bucket_count() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace choline::runtime
