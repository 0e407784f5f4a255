#include <choline/cli/command.hpp>
#include <choline/spec/config.hpp>
#include <choline/spec/init_template.hpp>
#include <choline/util/files.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

namespace choline::cli {

namespace {

namespace fs = std::filesystem;

// Reads no more of a script than a __main__ check needs.
constexpr std::size_t k_max_script_bytes = 4 << 20;

spec::ProjectFacts scan_project(const fs::path& dir) {
  spec::ProjectFacts facts;
  std::error_code ec;
  facts.requirements_txt = fs::is_regular_file(dir / "requirements.txt", ec);
  facts.pyproject_toml = fs::is_regular_file(dir / "pyproject.toml", ec);
  facts.cmake_lists = fs::is_regular_file(dir / "CMakeLists.txt", ec);
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (!item.is_regular_file(ec) || item.path().extension() != ".py") continue;
    facts.scripts.push_back(item.path().filename().string());
  }
  std::sort(facts.scripts.begin(), facts.scripts.end());
  for (const auto& name : facts.scripts) {
    auto source = util::read_file(dir / name, k_max_script_bytes);
    if (source && spec::has_main_block(*source)) facts.scripts_with_main.push_back(name);
  }
  return facts;
}

Error exists_error(const fs::path& target) {
  return make_error(ErrorKind::io, target.string() +
                                       " already exists; choline init never overwrites it (edit it, or move "
                                       "it away and run choline init again)");
}

// Whole or not at all, and never over a file that appeared meanwhile: a complete temp file is
// hard-linked to the name, which fails if the name exists.
Status write_new_file(const fs::path& target, const std::string& text) {
  const fs::path temp = target.string() + ".choline-init-" + std::to_string(::getpid());
  if (auto ok = util::write_file_atomic(temp, text); !ok) return ok;
  const int linked = ::link(temp.c_str(), target.c_str());
  const int error = errno;
  ::unlink(temp.c_str());
  if (linked == 0) return {};
  if (error == EEXIST) return exists_error(target);
  return make_error(ErrorKind::io, "cannot write " + target.string() + ": " + std::strerror(error));
}

class InitCommand final : public Command {
 public:
  void define(CLI::App& app) override { (void)app; }

  Result<int> run(CommandContext& context) override {
    const fs::path dir = context.global.project_dir;
    const fs::path target =
        context.global.config_path.empty() ? dir / spec::k_config_file_name : fs::path(context.global.config_path);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(target, ec))) return exists_error(target);
    const spec::InitProposal proposal = propose_config(scan_project(dir));
    const fs::path absolute = fs::absolute(dir, ec).lexically_normal();
    const std::string name =
        absolute.filename().empty() ? absolute.parent_path().filename().string() : absolute.filename().string();
    const std::string text = spec::render_config(proposal, name);
    // What is written must load: a template bug is caught here, not at the first train.
    if (auto parsed = spec::parse_config(text, target.string()); !parsed) {
      return make_error(ErrorKind::internal,
                        "choline init made a choline.json that does not load: " + parsed.error().message);
    }
    if (auto ok = write_new_file(target, text); !ok) return ok.error();
    context.out << "choline: wrote " << target.string() << "\n";
    for (const auto& command : proposal.setup) context.out << "  setup: " << command << "\n";
    for (const auto& note : proposal.notes) context.out << "  note: " << note << "\n";
    context.out << "Start with:  " << proposal.run_hint << "\n";
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_init_command() {
  return std::make_unique<InitCommand>();
}

}  // namespace choline::cli
