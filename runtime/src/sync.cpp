#include <choline/runtime/sync.hpp>

#include <torch/csrc/distributed/c10d/Work.hpp>

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace choline::runtime {

namespace {

double parse_number(const std::string& key, const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(value)) {
    throw std::invalid_argument("sync: " + key + " must be a number, got \"" + text + "\"");
  }
  return value;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Ring all-reduce sends 2(W-1)/W of the buffer per rank; ring all-gather (W-1) inputs.
std::int64_t allreduce_bytes(std::int64_t bytes, int world) { return 2 * (world - 1) * bytes / world; }
std::int64_t allgather_bytes(std::int64_t bytes, int world) { return (world - 1) * bytes; }

std::vector<torch::Tensor> trainable(std::vector<torch::Tensor> parameters) {
  std::vector<torch::Tensor> out;
  for (auto& p : parameters) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> parts;
  parts.reserve(tensors.size());
  for (const auto& t : tensors) parts.push_back(t.detach().reshape(-1).to(torch::kFloat));
  return torch::cat(parts);
}

void unflatten_into(const torch::Tensor& flat, std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (auto& t : tensors) {
    const auto n = t.numel();
    t.copy_(flat.narrow(0, offset, n).view_as(t));
    offset += n;
  }
}

// --- ddp: today's bucketed all-reduce, behind the strategy interface ---

class DdpSync final : public SyncStrategy {
 public:
  DdpSync(Distributed& dist, std::vector<torch::Tensor> parameters, const SyncConfig& config)
      : SyncStrategy(dist), m_config(config), m_reducer(dist, parameters) {
    for (const auto& p : parameters) {
      if (p.requires_grad()) m_gradient_bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
    }
  }

  void before_backward(bool last_micro_step) override {
    m_reducer.prepare(last_micro_step);
    m_reducing = last_micro_step && m_dist.world_size() > 1;
  }
  void after_backward() override {
    m_reducer.finish();
    if (m_reducing) {
      m_stats.bytes_sent += allreduce_bytes(m_gradient_bytes, m_dist.world_size());
      ++m_stats.syncs;
    }
    m_reducing = false;
  }
  bool after_step(std::int64_t samples) override {
    ++m_stats.steps;
    m_stats.samples += samples;
    m_stats.global_samples += samples * m_dist.world_size();  // equal shards under ddp
    return true;
  }
  void synchronize() override {}
  const SyncConfig& config() const override { return m_config; }
  const SyncStats& stats() const override { return m_stats; }
  bool per_rank_state() const override { return false; }
  void save(torch::serialize::OutputArchive& archive) const override {
    archive.write("sync_counters", torch::tensor({m_stats.steps, m_stats.samples, m_stats.global_samples, m_stats.syncs,
                                                  m_stats.bytes_sent}, torch::kInt64));
  }
  void load(torch::serialize::InputArchive& archive) override {
    torch::Tensor counters;
    if (!archive.try_read("sync_counters", counters)) return;  // a checkpoint from before sync strategies
    auto c = counters.accessor<std::int64_t, 1>();
    m_stats = {c[0], c[1], c[2], c[3], c[4]};
  }
  void restore_synchronized_parameters() override {}

 private:
  SyncConfig m_config;
  GradientReducer m_reducer;
  std::int64_t m_gradient_bytes = 0;
  bool m_reducing = false;
  SyncStats m_stats;
};

// --- local-sgd and diloco: rounds of local steps, then an outer step ---

class RoundSync final : public SyncStrategy {
 public:
  RoundSync(Distributed& dist, std::vector<torch::Tensor> parameters, const SyncConfig& config)
      : SyncStrategy(dist), m_config(config), m_parameters(trainable(std::move(parameters))) {
    m_global = flatten(m_parameters).to(dist.device());
    m_momentum = torch::zeros_like(m_global);
    m_round_started = std::chrono::steady_clock::now();
  }

  void before_backward(bool) override {}
  void after_backward() override {}

  bool after_step(std::int64_t samples) override {
    ++m_stats.steps;
    m_stats.samples += samples;
    ++m_round_steps;
    m_round_samples += samples;
    const bool round_over =
        timed() ? std::chrono::duration<double>(std::chrono::steady_clock::now() - m_round_started).count() >=
                      m_config.time_budget_s
                : m_round_steps >= m_config.inner_steps;
    if (!round_over) return false;
    outer_step();
    return true;
  }

  void synchronize() override {
    // Under a fixed H every rank is at the same position in the round; under a time budget
    // each rank is in its own, so the collective always runs (ranks without steps weigh 0).
    if (timed() || m_round_steps > 0) outer_step();
  }

  const SyncConfig& config() const override { return m_config; }
  const SyncStats& stats() const override { return m_stats; }
  bool per_rank_state() const override { return m_dist.world_size() > 1; }

  void save(torch::serialize::OutputArchive& archive) const override {
    archive.write("sync_counters", torch::tensor({m_stats.steps, m_stats.samples, m_stats.global_samples, m_stats.syncs,
                                                  m_stats.bytes_sent, m_round_steps, m_round_samples}, torch::kInt64));
    archive.write("sync_global", m_global.cpu());
    archive.write("sync_momentum", m_momentum.cpu());
  }

  void load(torch::serialize::InputArchive& archive) override {
    torch::Tensor counters, global, momentum;
    if (!archive.try_read("sync_counters", counters) || !archive.try_read("sync_global", global) ||
        !archive.try_read("sync_momentum", momentum) || counters.numel() != 7) {
      throw std::runtime_error("checkpoint has no " + m_config.to_string() +
                               " state (saved under another sync strategy?)");
    }
    if (global.numel() != m_global.numel()) {
      throw std::runtime_error("checkpoint's synchronized parameters do not match the model");
    }
    auto c = counters.accessor<std::int64_t, 1>();
    m_stats = {c[0], c[1], c[2], c[3], c[4]};
    m_round_steps = c[5];
    m_round_samples = c[6];
    m_global.copy_(global);
    m_momentum.copy_(momentum);
    m_round_started = std::chrono::steady_clock::now();
  }

  void restore_synchronized_parameters() override { unflatten_into(m_global, m_parameters); }

 private:
  bool timed() const { return m_config.time_budget_s > 0; }

  // The pseudo-gradients of all ranks, averaged (weighted by samples under a time budget),
  // and the total samples of the round. Every rank gets the same bits: Gloo's and NCCL's ring
  // all-reduce hand every rank the same reduced chunks, and the compressed path decodes every
  // rank's part in rank order on every rank.
  std::pair<torch::Tensor, double> average(const torch::Tensor& delta) {
    const int world = m_dist.world_size();
    const double samples = static_cast<double>(m_round_samples);
    const auto options = delta.options();
    if (world == 1) return {delta, samples};
    if (m_config.compression == Compression::none) {
      std::vector<torch::Tensor> buffer = {
          torch::cat({timed() ? delta * samples : delta, torch::full({1}, samples, options)})};
      m_dist.allreduce(buffer)->wait();
      m_stats.bytes_sent += allreduce_bytes(buffer[0].numel() * 4, world);
      const double total = buffer[0][-1].item<double>();
      auto sum = buffer[0].narrow(0, 0, delta.numel());
      if (timed()) return {total > 0 ? sum / total : torch::zeros_like(sum), total};
      return {sum / world, total};
    }
    // Compressed: all-gather every rank's encoding (sums of int8 would overflow, and each rank
    // has its own scales), then decode and add in rank order.
    std::vector<torch::Tensor> header_parts = {torch::full({1}, samples, options)};
    torch::Tensor data;
    if (m_config.compression == Compression::int8) {
      std::vector<torch::Tensor> values;
      std::int64_t offset = 0;
      for (const auto& p : m_parameters) {
        auto q = quantize_int8(delta.narrow(0, offset, p.numel()));
        values.push_back(q.values);
        header_parts.push_back(torch::full({1}, q.scale, options));
        offset += p.numel();
      }
      data = torch::cat(values);
    } else {
      data = delta.to(torch::kBFloat16).view(torch::kHalf);  // Gloo moves Half, not BFloat16: same bits
    }
    std::vector<torch::Tensor> header = {torch::cat(header_parts)};
    std::vector<torch::Tensor> payload = {data};
    std::vector<std::vector<torch::Tensor>> headers(1), payloads(1);
    for (int r = 0; r < world; ++r) {
      headers[0].push_back(torch::empty_like(header[0]));
      payloads[0].push_back(torch::empty_like(data));
    }
    m_dist.allgather(headers, header)->wait();
    m_dist.allgather(payloads, payload)->wait();
    m_stats.bytes_sent += allgather_bytes(header[0].numel() * 4 + data.numel() * data.element_size(), world);
    auto sum = torch::zeros_like(delta);
    double total = 0;
    for (int r = 0; r < world; ++r) {
      const auto h = headers[0][static_cast<std::size_t>(r)].cpu();
      const double n = h[0].item<double>();
      total += n;
      torch::Tensor decoded;
      if (m_config.compression == Compression::int8) {
        std::vector<torch::Tensor> parts;
        std::int64_t offset = 0;
        for (std::size_t k = 0; k < m_parameters.size(); ++k) {
          const auto count = m_parameters[k].numel();
          Int8Tensor q{payloads[0][static_cast<std::size_t>(r)].narrow(0, offset, count), h[static_cast<std::int64_t>(k) + 1].item<float>()};
          parts.push_back(dequantize_int8(q));
          offset += count;
        }
        decoded = torch::cat(parts);
      } else {
        decoded = payloads[0][static_cast<std::size_t>(r)].view(torch::kBFloat16).to(torch::kFloat);
      }
      sum.add_(timed() ? decoded * n : decoded);
    }
    if (timed()) return {total > 0 ? sum / total : torch::zeros_like(sum), total};
    return {sum / world, total};
  }

  void outer_step() {
    torch::NoGradGuard no_grad;
    const auto delta = m_global - flatten(m_parameters).to(m_global.device());  // the pseudo-gradient
    auto [averaged, total] = average(delta);
    if (m_config.kind == SyncKind::local_sgd) {
      m_global.sub_(averaged);  // = the (weighted) mean of the ranks' parameters
    } else {
      // torch.optim.SGD(nesterov=True) on the pseudo-gradient; the buffer starts at zero, so
      // the first step's buffer is the gradient itself, as in PyTorch.
      m_momentum.mul_(m_config.outer_momentum).add_(averaged);
      const auto update = m_config.nesterov ? averaged + m_config.outer_momentum * m_momentum : m_momentum;
      m_global.sub_(m_config.outer_lr * update);
    }
    unflatten_into(m_global, m_parameters);
    ++m_stats.syncs;
    m_stats.global_samples += static_cast<std::int64_t>(std::llround(total));
    m_round_steps = 0;
    m_round_samples = 0;
    m_round_started = std::chrono::steady_clock::now();
  }

  SyncConfig m_config;
  std::vector<torch::Tensor> m_parameters;
  torch::Tensor m_global;    // the last synchronized parameters, flat
  torch::Tensor m_momentum;  // the outer optimizer's buffer
  std::int64_t m_round_steps = 0;
  std::int64_t m_round_samples = 0;
  std::chrono::steady_clock::time_point m_round_started;
  SyncStats m_stats;
};

}  // namespace

SyncConfig SyncConfig::parse(std::string_view text) {
  SyncConfig config;
  const auto colon = text.find(':');
  const std::string kind(text.substr(0, colon));
  if (kind == "ddp") {
    if (colon != std::string_view::npos) throw std::invalid_argument("sync: ddp takes no options, got \"" + std::string(text) + "\"");
    return config;
  }
  if (kind == "local-sgd") {
    config.kind = SyncKind::local_sgd;
  } else if (kind == "diloco") {
    config.kind = SyncKind::diloco;
  } else {
    throw std::invalid_argument("sync: unknown strategy \"" + std::string(text) +
                                "\" (expected ddp, local-sgd:H or diloco:H[,lr=X,momentum=X,nesterov=0|1,compress=none|bf16|int8])");
  }
  if (colon == std::string_view::npos) throw std::invalid_argument("sync: " + kind + " needs H, as in " + kind + ":100");
  const auto parts = split(text.substr(colon + 1), ',');
  const std::string& period = parts[0];
  if (!period.empty() && period.back() == 's') {
    config.time_budget_s = parse_number("the time budget", period.substr(0, period.size() - 1));
    if (!(config.time_budget_s > 0)) throw std::invalid_argument("sync: the time budget must be positive, got " + period);
  } else {
    const double h = parse_number("H", period);
    if (h < 1 || h != std::floor(h) || h > 1e9) throw std::invalid_argument("sync: H must be a whole number >= 1, got " + period);
    config.inner_steps = static_cast<int>(h);
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string::npos) throw std::invalid_argument("sync: expected key=value, got \"" + parts[i] + "\"");
    const std::string key = parts[i].substr(0, eq), value = parts[i].substr(eq + 1);
    const bool outer = key == "lr" || key == "momentum" || key == "nesterov";
    if (outer && config.kind != SyncKind::diloco) throw std::invalid_argument("sync: " + key + " applies to diloco only");
    if (key == "lr") {
      config.outer_lr = parse_number(key, value);
      if (!(config.outer_lr > 0)) throw std::invalid_argument("sync: lr must be positive");
    } else if (key == "momentum") {
      config.outer_momentum = parse_number(key, value);
      if (config.outer_momentum < 0 || config.outer_momentum >= 1) throw std::invalid_argument("sync: momentum must be in [0, 1)");
    } else if (key == "nesterov") {
      if (value != "0" && value != "1") throw std::invalid_argument("sync: nesterov must be 0 or 1");
      config.nesterov = value == "1";
    } else if (key == "compress") {
      if (value == "none") config.compression = Compression::none;
      else if (value == "bf16") config.compression = Compression::bf16;
      else if (value == "int8") config.compression = Compression::int8;
      else throw std::invalid_argument("sync: compress must be none, bf16 or int8, got \"" + value + "\"");
    } else {
      throw std::invalid_argument("sync: unknown option \"" + key + "\" (known: lr, momentum, nesterov, compress)");
    }
  }
  return config;
}

std::string SyncConfig::to_string() const {
  if (kind == SyncKind::ddp) return "ddp";
  std::ostringstream out;
  out << (kind == SyncKind::local_sgd ? "local-sgd:" : "diloco:");
  if (time_budget_s > 0) out << time_budget_s << "s"; else out << inner_steps;
  if (kind == SyncKind::diloco) out << ",lr=" << outer_lr << ",momentum=" << outer_momentum << ",nesterov=" << (nesterov ? 1 : 0);
  if (compression != Compression::none) out << ",compress=" << (compression == Compression::int8 ? "int8" : "bf16");
  return out.str();
}

std::unique_ptr<SyncStrategy> make_sync_strategy(Distributed& dist, std::vector<torch::Tensor> parameters,
                                                 const SyncConfig& config) {
  if (config.kind == SyncKind::ddp) return std::make_unique<DdpSync>(dist, std::move(parameters), config);
  return std::make_unique<RoundSync>(dist, std::move(parameters), config);
}

SyncConfig choose_sync(const DistEnv& env, const std::string& trainer_choice) {
  if (!trainer_choice.empty()) return SyncConfig::parse(trainer_choice);
  if (!env.sync.empty()) return SyncConfig::parse(env.sync);
  return SyncConfig{};
}

Int8Tensor quantize_int8(const torch::Tensor& x) {
  Int8Tensor q;
  q.scale = x.numel() == 0 ? 0.0f : x.abs().max().item<float>() / 127.0f;
  if (q.scale == 0 || !std::isfinite(q.scale)) {
    q.scale = std::isfinite(q.scale) ? 0.0f : q.scale;
    q.values = torch::zeros(x.sizes(), x.options().dtype(torch::kChar));
    return q;
  }
  q.values = (x / q.scale).round().clamp(-127, 127).to(torch::kChar);
  return q;
}

torch::Tensor dequantize_int8(const Int8Tensor& q) { return q.values.to(torch::kFloat) * q.scale; }

}  // namespace choline::runtime
