#include <choline/runtime/dist.hpp>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <mutex>

namespace choline::runtime {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

std::shared_ptr<::gloo::transport::Device> make_device(const std::string& master_addr) {
  // On one machine (tests, the local provider) bind loopback; across hosts, this host's address.
  const bool loopback = master_addr == "127.0.0.1" || master_addr == "localhost";
  const std::string host = env_or("CHOLINE_GLOO_HOST", loopback ? "127.0.0.1" : "");
  // 2.x added a defaulted lazyInit argument; the one-argument call compiles on 1.13 and 2.x.
  return host.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                      : c10d::ProcessGroupGloo::createDeviceForHostname(host);
}

}  // namespace

DistEnv DistEnv::from_environment() {
  DistEnv env;
  env.rank = env_int("RANK", 0);
  env.world_size = env_int("WORLD_SIZE", 1);
  env.local_rank = env_int("LOCAL_RANK", 0);
  env.local_world_size = env_int("LOCAL_WORLD_SIZE", 1);
  env.master_addr = env_or("MASTER_ADDR", "127.0.0.1");
  env.master_port = env_int("MASTER_PORT", 29500);
  env.attempt = env_int("CHOLINE_ATTEMPT", env_int("TORCHELASTIC_RESTART_COUNT", 0) + 1);
  env.run_id = env_or("CHOLINE_RUN_ID", env_or("TORCHELASTIC_RUN_ID", "local"));
  env.checkpoint_dir = env_or("CHOLINE_CKPT_DIR", "checkpoints");
  env.resume_from = env_or("CHOLINE_RESUME_FROM", "");
  env.metrics_file = env_or("CHOLINE_METRICS", "");
  env.device = env_or("CHOLINE_DEVICE", "auto");
  env.sync = env_or("CHOLINE_SYNC", "");
  return env;
}

struct Distributed::Groups {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;  // under CUDA
#endif
};

Distributed::Distributed() : m_groups(std::make_unique<Groups>()) {}

std::unique_ptr<Distributed> Distributed::init(const DistEnv& env, std::chrono::milliseconds timeout) {
  std::unique_ptr<Distributed> dist(new Distributed());
  dist->m_rank = env.rank;
  dist->m_world_size = env.world_size;
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = env.world_size;
  options.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  // A prefix per attempt: a restarted gang never reads keys a previous attempt left behind.
  dist->m_groups->store = c10::make_intrusive<c10d::PrefixStore>("choline/attempt-" + std::to_string(env.attempt), store);
  const bool want_cuda = env.device == "cuda" || (env.device == "auto" && torch::cuda::is_available());
#ifdef USE_C10D_NCCL
  if (want_cuda) {
    dist->m_device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
    auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
    nccl_options->timeout = timeout;
    dist->m_groups->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(dist->m_groups->store, env.rank, env.world_size, nccl_options);
    return dist;
  }
#else
  if (env.device == "cuda" && want_cuda) {
    throw std::runtime_error("CHOLINE_DEVICE=cuda, but this libtorch was built without NCCL");
  }
#endif
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
  gloo_options->devices.push_back(make_device(env.master_addr));
  dist->m_groups->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(dist->m_groups->store, env.rank, env.world_size, gloo_options);
  return dist;
}

c10::intrusive_ptr<c10d::Work> Distributed::allreduce(std::vector<torch::Tensor>& tensors) {
#ifdef USE_C10D_NCCL
  if (m_groups->nccl) return m_groups->nccl->allreduce(tensors);
#endif
  return m_groups->gloo->allreduce(tensors);
}

c10::intrusive_ptr<c10d::Work> Distributed::broadcast(std::vector<torch::Tensor>& tensors) {
#ifdef USE_C10D_NCCL
  if (m_groups->nccl) return m_groups->nccl->broadcast(tensors);
#endif
  return m_groups->gloo->broadcast(tensors);
}

c10::intrusive_ptr<c10d::Work> Distributed::allgather(std::vector<std::vector<torch::Tensor>>& outputs,
                                                      std::vector<torch::Tensor>& inputs) {
#ifdef USE_C10D_NCCL
  if (m_groups->nccl) return m_groups->nccl->allgather(outputs, inputs);
#endif
  return m_groups->gloo->allgather(outputs, inputs);
}

Distributed::~Distributed() = default;

void Distributed::broadcast_parameters(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;  // in-place copies into leaf parameters
  std::vector<torch::Tensor> tensors = module.parameters();
  for (auto& buffer : module.buffers()) tensors.push_back(buffer);
  if (tensors.empty() || m_world_size == 1) return;
  std::vector<torch::Tensor> flat_parts;
  for (auto& t : tensors) flat_parts.push_back(t.detach().reshape(-1).to(torch::kFloat));
  std::vector<torch::Tensor> flat = {torch::cat(flat_parts)};
  broadcast(flat)->wait();
  std::int64_t offset = 0;
  for (auto& t : tensors) {
    const auto n = t.numel();
    t.copy_(flat[0].narrow(0, offset, n).view_as(t));
    offset += n;
  }
}

double Distributed::mean(double value) {
  if (m_world_size == 1) return value;
  std::vector<torch::Tensor> t = {torch::tensor({value}, torch::kDouble).to(m_device)};
  allreduce(t)->wait();
  return t[0].item<double>() / m_world_size;
}

void Distributed::barrier() {
  if (m_world_size == 1) return;
#ifdef USE_C10D_NCCL
  if (m_groups->nccl) {
    m_groups->nccl->barrier()->wait();
    return;
  }
#endif
  m_groups->gloo->barrier()->wait();
}

// --- GradientReducer ---

struct GradientReducer::State {
  struct Bucket {
    std::vector<std::size_t> params;  // indices into `parameters`
    std::vector<std::int64_t> offsets;
    torch::Tensor flat;
    std::size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };

  Distributed& dist;
  std::vector<torch::Tensor> parameters;
  std::vector<std::size_t> bucket_of;  // parameter index -> bucket
  std::vector<std::size_t> slot_of;    // parameter index -> position in its bucket
  std::vector<bool> arrived;
  std::vector<Bucket> buckets;
  std::size_t next_launch = 0;
  bool sync = true;
  std::mutex mutex;  // autograd may run hooks on its own threads

  State(Distributed& d, std::vector<torch::Tensor> params) : dist(d), parameters(std::move(params)) {}

  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      std::vector<torch::Tensor> tensors = {buckets[next_launch].flat};
      buckets[next_launch].work = dist.allreduce(tensors);
      ++next_launch;
    }
  }

  void on_gradient(std::size_t index, const torch::Tensor& grad) {
    std::lock_guard lock(mutex);
    if (!sync || arrived[index]) return;
    arrived[index] = true;
    Bucket& bucket = buckets[bucket_of[index]];
    const std::size_t slot = slot_of[index];
    const auto numel = parameters[index].numel();
    auto view = bucket.flat.narrow(0, bucket.offsets[slot], numel);
    // The hook runs before autograd adds `grad` into .grad: on a step that follows
    // accumulation micro-steps, the gradient to reduce is what .grad holds plus `grad`.
    const auto& accumulated = parameters[index].grad();
    if (accumulated.defined()) {
      view.copy_((accumulated + grad).reshape(-1));
    } else {
      view.copy_(grad.reshape(-1));
    }
    --bucket.pending;
    launch_ready();
  }
};

GradientReducer::GradientReducer(Distributed& dist, std::vector<torch::Tensor> parameters, std::size_t first_bucket_bytes,
                                 std::size_t bucket_bytes)
    : m_state(std::make_unique<State>(dist, std::move(parameters))) {
  State& s = *m_state;
  const std::size_t count = s.parameters.size();
  s.bucket_of.resize(count);
  s.slot_of.resize(count);
  s.arrived.assign(count, false);
  std::size_t limit = first_bucket_bytes;
  std::size_t bytes = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t index = count - 1 - k;  // backward produces gradients roughly in reverse
    const auto& p = s.parameters[index];
    if (!p.requires_grad()) continue;
    if (s.buckets.empty() || bytes >= limit) {
      if (!s.buckets.empty()) limit = bucket_bytes;
      s.buckets.emplace_back();
      bytes = 0;
    }
    auto& bucket = s.buckets.back();
    s.bucket_of[index] = s.buckets.size() - 1;
    s.slot_of[index] = bucket.params.size();
    bucket.offsets.push_back(bucket.params.empty() ? 0 : bucket.offsets.back() + s.parameters[bucket.params.back()].numel());
    bucket.params.push_back(index);
    bytes += static_cast<std::size_t>(p.numel()) * p.element_size();
  }
  for (auto& bucket : s.buckets) {
    std::int64_t total = 0;
    for (auto index : bucket.params) total += s.parameters[index].numel();
    bucket.flat = torch::zeros({total}, s.parameters[bucket.params.front()].options().requires_grad(false));
  }
  for (std::size_t index = 0; index < count; ++index) {
    if (!s.parameters[index].requires_grad()) continue;
    State* state = m_state.get();
    s.parameters[index].register_hook([state, index](torch::Tensor grad) { state->on_gradient(index, grad); });
  }
}

GradientReducer::~GradientReducer() = default;

std::size_t GradientReducer::bucket_count() const { return m_state->buckets.size(); }

void GradientReducer::prepare(bool sync) {
  std::lock_guard lock(m_state->mutex);
  State& s = *m_state;
  s.sync = sync && s.dist.world_size() > 1;
  s.next_launch = 0;
  std::fill(s.arrived.begin(), s.arrived.end(), false);
  for (auto& bucket : s.buckets) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
  }
}

void GradientReducer::finish() {
  State& s = *m_state;
  {
    std::lock_guard lock(s.mutex);
    if (!s.sync) return;
    // Parameters that got no gradient this step (unused branches) contribute what .grad holds,
    // or zeros, so every bucket completes and launches in order on every rank.
    for (std::size_t index = 0; index < s.parameters.size(); ++index) {
      if (!s.parameters[index].requires_grad() || s.arrived[index]) continue;
      auto& bucket = s.buckets[s.bucket_of[index]];
      auto view = bucket.flat.narrow(0, bucket.offsets[s.slot_of[index]], s.parameters[index].numel());
      const auto& grad = s.parameters[index].grad();
      if (grad.defined()) view.copy_(grad.reshape(-1)); else view.zero_();
      s.arrived[index] = true;
      --bucket.pending;
    }
    s.launch_ready();
  }
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / s.dist.world_size();
  for (auto& bucket : s.buckets) {
    bucket.work->wait();
    bucket.flat.mul_(scale);
    for (std::size_t slot = 0; slot < bucket.params.size(); ++slot) {
      auto& p = s.parameters[bucket.params[slot]];
      auto averaged = bucket.flat.narrow(0, bucket.offsets[slot], p.numel()).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged.clone();
      }
    }
  }
  s.sync = false;
}

}  // namespace choline::runtime
