#include <choline/cli/command.hpp>
#include <choline/report/model_card.hpp>
#include <choline/report/model_card_files.hpp>

#include <CLI/CLI.hpp>

#include <ostream>

namespace choline::cli {

namespace {

std::string label(const std::string& name) {
  return name +
         std::string(report::k_card_label_width > name.size() ? report::k_card_label_width - name.size() : 1, ' ');
}

class CardCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("CHECKPOINT", m_path,
                   "A checkpoint (pulled home or copied elsewhere), its .card.json, or a checkpoint's name")
        ->required();
    app.add_flag("--json", m_json, "Print the card as JSON");
  }

  Result<int> run(CommandContext& context) override {
    auto found = report::find_model_card(context.global.project_dir, m_path);
    if (!found) return std::move(found).error();
    if (m_json) {
      context.out << found->card.dump(2) << "\n";
    } else {
      context.out << report::format_model_card(found->card);
      context.out << label("card file") << found->card_file.string() << " (found " << found->how << ")\n";
    }
    if (found->checksum_matches && !*found->checksum_matches) {
      context.err << "choline: warning: " << found->checkpoint_file.string()
                  << " is not the checkpoint this card describes (its size or XXH3-128 differ)\n";
      return 1;
    }
    if (!m_json && found->checksum_matches) {
      context.out << label("verified") << found->checkpoint_file.string() << " has the card's size and XXH3-128\n";
    }
    return 0;
  }

 private:
  std::string m_path;
  bool m_json = false;
};

}  // namespace

std::unique_ptr<Command> make_card_command() {
  return std::make_unique<CardCommand>();
}

}  // namespace choline::cli
