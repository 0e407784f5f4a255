#include <choline/spec/init_template.hpp>

#include <algorithm>
#include <regex>

namespace choline::spec {

namespace {

// A JSON string literal (the commands hold quotes and backslashes).
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string string_array(const std::vector<std::string>& items, const std::string& indent) {
  if (items.empty()) return "[]";
  std::string out = "[\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += indent + "  " + json_string(items[i]) + (i + 1 < items.size() ? ",\n" : "\n");
  }
  return out + indent + "]";
}

constexpr std::size_t k_comment_column = 34;

// One line of the object: a key set ("active") or shown commented out, and what it means.
struct Line {
  bool active;
  std::string key_value;  // "\"gpus\": \"2xcpu\""
  std::string comment;
};

}  // namespace

bool has_main_block(std::string_view source) {
  static const std::regex main_block(R"(^if\s+__name__\s*==\s*['"]__main__['"]\s*:)", std::regex::multiline);
  return std::regex_search(source.begin(), source.end(), main_block);
}

InitProposal propose_config(const ProjectFacts& facts) {
  InitProposal proposal;
  // "$CHOLINE_PYTHON" is the run's interpreter on the host: packages go where workers look.
  if (facts.requirements_txt) proposal.setup.push_back("\"$CHOLINE_PYTHON\" -m pip install -r requirements.txt");
  if (facts.pyproject_toml) proposal.setup.push_back("\"$CHOLINE_PYTHON\" -m pip install .");
  if (facts.cmake_lists) {
    // Against the host's own libtorch when its Python has one (the C++ runtime's way).
    proposal.setup.push_back(
        "cmake -S . -B build-host -DCMAKE_BUILD_TYPE=Release "
        "-DCMAKE_PREFIX_PATH=\"$(\"$CHOLINE_PYTHON\" -c 'import torch; print(torch.utils.cmake_prefix_path)' "
        "2>/dev/null)\"");
    proposal.setup.push_back("cmake --build build-host -j\"$(nproc)\"");
    proposal.ignore = {"build/", "build-host/"};
  }

  for (const auto& name : conventional_entries()) {
    if (std::find(facts.scripts.begin(), facts.scripts.end(), name) != facts.scripts.end()) {
      proposal.entry = name;
      break;
    }
  }
  if (!proposal.entry && facts.scripts_with_main.size() == 1) proposal.entry = facts.scripts_with_main.front();

  if (proposal.entry) {
    proposal.run_hint = "choline train " + *proposal.entry + " --2xcpu";
  } else if (facts.cmake_lists && facts.scripts.empty()) {
    proposal.run_hint = "choline train --2xcpu -- ./build-host/YOUR_PROGRAM";
    proposal.notes.push_back("the program CMake builds is not known: put its path after '--'");
  } else {
    proposal.run_hint = "choline train SCRIPT.py --2xcpu";
    if (facts.scripts_with_main.size() > 1) {
      std::string names;
      for (const auto& name : facts.scripts_with_main) names += (names.empty() ? "" : ", ") + name;
      proposal.notes.push_back("several scripts could be the entry (" + names + "): name one after 'choline train'");
    } else {
      proposal.notes.push_back("no training script found at the top of the project: name yours after 'choline train'");
    }
  }
  if (!facts.requirements_txt && !facts.pyproject_toml && !facts.cmake_lists) {
    proposal.notes.push_back(
        "no requirements.txt, pyproject.toml or CMakeLists.txt: add what the hosts must install to \"setup\"");
  }
  return proposal;
}

std::string render_config(const InitProposal& proposal, std::string_view project_name) {
  const std::string indent = "  ";
  // The last line is always set, so every commented-out line above it, comma included, can be
  // uncommented as it is.
  const std::vector<Line> lines = {
      {true, "\"provider\": \"local\"", "local (this machine's CPU) | ssh (\"hosts\" below) | vast | runpod | lambda"},
      {true, "\"gpus\": \"2xcpu\"", "per host: \"4x3090\", \"1xA100-80GB\", \"8xH100\", or \"RTX3090:4\""},
      {false, "\"nodes\": 2", "hosts; each runs one worker per GPU"},
      {false, "\"image\": \"pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\"",
       "the container image on marketplace hosts"},
      {true, "\"python\": \"python3\"", "the interpreter on the hosts (CHOLINE_PYTHON overrides it)"},
      {true, "\"setup\": " + string_array(proposal.setup, indent),
       "run once per host after the first sync, in the project; $CHOLINE_PYTHON is the run's interpreter"},
      {false, "\"env\": [\"WANDB_API_KEY\"]", "local environment variables forwarded to the workers"},
      {true, "\"ignore\": " + string_array(proposal.ignore, indent),
       "not synced, on top of .gitignore and .cholineignore"},
      {false, "\"max_price\": 0.40", "USD per GPU-hour, the most an offer may cost"},
      {false, "\"max_cost\": 25", "USD for the whole run: stop (checkpoints pulled) before spending more"},
      {false, "\"max_host_losses\": 5", "lost hosts replaced per run"},
      {false, "\"host_timeout\": 10", "seconds without a heartbeat before a host counts as lost"},
      {false, "\"replacement_timeout\": 1800", "seconds to keep trying to rent a replacement"},
      {false, "\"sync\": \"diloco:100\"", "C++ runtime only: ddp | local-sgd:H | diloco:H (CHOLINE_SYNC)"},
      {false,
       "\"hosts\": [{\"host\": \"10.0.0.5\", \"port\": 22, \"user\": \"root\", \"identity\": \"~/.ssh/id_ed25519\", "
       "\"gpus\": \"2x4090\"}]",
       "the ssh provider's machines"},
      {false, "\"data\": [\"data/\", {\"path\": \"~/datasets/x\", \"to\": \"data/x\"}]",
       "datasets every host gets (paths, or {\"url\", \"sha256\", \"extract\"}), cached there and fingerprinted into "
       "model cards"},
      {false, "\"data_cache_gb\": 100", "size limit of each host's data cache (default: half its free disk)"},
      {false, "\"purpose\": \"what this model is for\"", "free text, copied into every model card"},
      {false, "\"preprocessing\": \"how the data was prepared\"", "free text, copied into every model card"},
      {true, "\"max_restarts\": 3", "gang restarts from the newest checkpoint after a worker fails"},
      {true, "\"checkpoint_dir\": \"checkpoints\"",
       "workers write to $CHOLINE_CKPT_DIR (temp name, then rename); pulled to .choline/runs/<run>/checkpoints/"},
  };
  const auto last_active = std::find_if(lines.rbegin(), lines.rend(), [](const Line& l) { return l.active; });

  std::string out;
  out += "// choline.json for " + std::string(project_name) + ", written by `choline init`. Comments are allowed;\n";
  out += "// every key is optional, and a flag on the command line overrides it (choline train --help).\n";
  out += "// Start with:  " + proposal.run_hint + "   (--4x3090 and \"provider\" to rent GPUs instead)\n";
  for (const auto& note : proposal.notes) out += "// Note: " + note + ".\n";
  out += "{\n";
  for (auto it = lines.begin(); it != lines.end(); ++it) {
    const bool comma = it->active && &*it != &*last_active;
    std::string text = it->key_value + (comma ? "," : "");
    // Commented-out keys are shown as they would be written, comma and all.
    if (!it->active) text = "// " + text + ",";
    if (text.find('\n') != std::string::npos) {
      out += indent + "// " + it->comment + "\n" + indent + text + "\n";  // a list: its comment goes above
    } else {
      // Comments in one column where the values are short enough for it.
      const std::size_t column = std::max(text.size() + 2, k_comment_column);
      out += indent + text + std::string(column - text.size(), ' ') + "// " + it->comment + "\n";
    }
  }
  out += "}\n";
  return out;
}

}  // namespace choline::spec
