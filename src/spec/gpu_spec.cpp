#include <choline/spec/gpu_spec.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <map>

namespace choline::spec {

namespace {

struct GpuEntry {
  const char* canonical;
  std::vector<const char*> extra_aliases;  // spellings the normalization below does not reach
};

const std::vector<GpuEntry>& gpu_table() {
  static const std::vector<GpuEntry> table = {
      {"cpu", {}},
      {"RTX3060", {}},
      {"RTX3070", {}},
      {"RTX3080", {}},
      {"RTX3090", {}},
      {"RTX3090TI", {}},
      {"RTX4070", {}},
      {"RTX4080", {}},
      {"RTX4090", {}},
      {"RTX5090", {}},
      {"RTXA4000", {"A4000"}},
      {"RTXA5000", {"A5000"}},
      {"RTXA6000", {"A6000"}},
      {"RTX6000ADA", {"6000ADA", "RTX6000"}},
      {"T4", {}},
      {"V100", {}},
      {"A10", {}},
      {"A40", {}},
      {"L4", {}},
      {"L40S", {}},
      {"A100", {}},
      {"A100-40GB", {}},
      {"A100-80GB", {}},
      {"H100", {}},
      {"H100-NVL", {}},
      {"H200", {}},
      {"B200", {}},
  };
  return table;
}

// Reduces a spelling to a key that all spellings of one GPU share: upper case, separators and
// vendor words dropped, "80G" read as "80GB".
std::string normalize(std::string_view name) {
  std::string key;
  for (char c : util::to_upper(name)) {
    if (c == ' ' || c == '_' || c == '-') continue;
    key += c;
  }
  for (const char* prefix : {"NVIDIA", "GEFORCE", "TESLA", "RTX"}) {
    if (util::starts_with(key, prefix)) key.erase(0, std::string_view(prefix).size());
  }
  if (key.size() >= 2 && key.back() == 'G' && std::isdigit(static_cast<unsigned char>(key[key.size() - 2]))) {
    key += 'B';
  }
  return key;
}

const std::map<std::string, std::string>& alias_map() {
  static const std::map<std::string, std::string> aliases = [] {
    std::map<std::string, std::string> m;
    for (const auto& entry : gpu_table()) {
      m[normalize(entry.canonical)] = entry.canonical;
      for (const char* alias : entry.extra_aliases) m[normalize(alias)] = entry.canonical;
    }
    return m;
  }();
  return aliases;
}

Error spec_error(std::string message) {
  return make_error(ErrorKind::usage, std::move(message) + "\n" + accepted_forms());
}

Result<int> parse_count(std::string_view count_text, std::string_view gpu, std::string_view shown) {
  const int max = gpu == k_cpu ? k_max_cpu_slots_per_host : k_max_gpus_per_host;
  const auto count = util::parse_uint(count_text, 1'000'000'000);
  if (!count) {
    return spec_error("invalid GPU spec '" + std::string(shown) + "': the count '" + std::string(count_text) +
                      "' is not a whole number");
  }
  if (*count < 1) return spec_error("invalid GPU spec '" + std::string(shown) + "': the count must be at least 1");
  if (*count > max) {
    return spec_error("invalid GPU spec '" + std::string(shown) + "': at most " + std::to_string(max) + " " +
                      (gpu == k_cpu ? "CPU slots" : "GPUs") + " per host; use --nodes N for more hosts");
  }
  return static_cast<int>(*count);
}

Result<GpuSpec> finish(std::string_view gpu_text, std::string_view count_text, std::string_view shown) {
  if (gpu_text.empty()) {
    return spec_error("invalid GPU spec '" + std::string(shown) + "': the GPU name is missing");
  }
  auto gpu = canonical_gpu(gpu_text);
  if (!gpu) return spec_error("invalid GPU spec '" + std::string(shown) + "': " + gpu.error().message);
  auto count = parse_count(count_text, *gpu, shown);
  if (!count) return std::move(count).error();
  return GpuSpec{*gpu, *count, 1};
}

}  // namespace

std::string GpuSpec::describe() const {
  std::string text = std::to_string(count) + "x" + gpu;
  if (nodes > 1) text += " x " + std::to_string(nodes) + " nodes";
  return text;
}

const std::vector<std::string>& known_gpus() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& entry : gpu_table()) v.emplace_back(entry.canonical);
    return v;
  }();
  return names;
}

Result<std::string> canonical_gpu(std::string_view name) {
  const auto& aliases = alias_map();
  if (const auto it = aliases.find(normalize(name)); it != aliases.end()) return it->second;
  std::string message = "unknown GPU '" + std::string(name) + "'";
  if (auto suggestion = util::closest_match(name, known_gpus())) message += " (did you mean " + *suggestion + "?)";
  message += "; known GPUs: " + util::join(known_gpus(), ", ");
  return make_error(ErrorKind::usage, message);
}

Result<GpuSpec> parse_short_spec(std::string_view text) {
  const std::string shown = "--" + std::string(text);
  const std::size_t x = text.find_first_of("xX");
  if (x == std::string_view::npos) return spec_error("invalid GPU spec '" + shown + "': expected <N>x<GPU>");
  const std::string_view count_text = text.substr(0, x);
  if (count_text.empty()) return spec_error("invalid GPU spec '" + shown + "': the count before 'x' is missing");
  return finish(text.substr(x + 1), count_text, shown);
}

Result<GpuSpec> parse_spec(std::string_view text) {
  if (text.empty()) return spec_error("empty GPU spec");
  if (std::isdigit(static_cast<unsigned char>(text.front())) && text.find_first_of("xX") != std::string_view::npos) {
    return parse_short_spec(text);
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return finish(text, "1", text);
  return finish(text.substr(0, colon), text.substr(colon + 1), text);
}

Status validate_nodes(long long nodes) {
  if (nodes < 1 || nodes > k_max_nodes) {
    return make_error(ErrorKind::usage, "invalid --nodes " + std::to_string(nodes) + ": expected 1 to " +
                                            std::to_string(k_max_nodes) + " hosts");
  }
  return {};
}

std::string accepted_forms() {
  return "accepted forms: --<N>x<GPU> (e.g. --4x3090, --1xA100-80GB, --8xH100, --2xcpu) or --gpus <GPU>:<N> "
         "(e.g. --gpus RTX3090:4), with --nodes <K> for K such hosts";
}

bool looks_like_short_spec_flag(std::string_view arg) {
  if (!util::starts_with(arg, "--") || arg.size() < 3) return false;
  const std::string_view body = arg.substr(2);
  const std::size_t digits = std::find_if_not(body.begin(), body.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) - body.begin();
  // A leading count is required so that script flags such as `--xla` pass through untouched.
  return digits > 0 && digits < body.size() && (body[digits] == 'x' || body[digits] == 'X');
}

Result<std::vector<std::string>> rewrite_spec_flags(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size());
  std::string seen;
  bool after_separator = false;
  for (const auto& arg : args) {
    if (after_separator || !looks_like_short_spec_flag(arg)) {
      after_separator = after_separator || arg == "--";
      if (!after_separator && (arg == "--gpus" || util::starts_with(arg, "--gpus="))) {
        if (!seen.empty()) return make_error(ErrorKind::usage, "two GPU specs given (" + seen + " and --gpus); give one");
        seen = "--gpus";
      }
      out.push_back(arg);
      continue;
    }
    auto spec = parse_short_spec(std::string_view(arg).substr(2));
    if (!spec) return std::move(spec).error();
    if (!seen.empty()) {
      return make_error(ErrorKind::usage, "two GPU specs given (" + seen + " and " + arg + "); give one");
    }
    seen = arg;
    out.push_back("--gpus=" + spec->gpu + ":" + std::to_string(spec->count));
  }
  return out;
}

}  // namespace choline::spec
