#pragma once
// `choline init`: from what a project directory holds, the choline.json to propose. Pure: the
// command scans the directory, this decides and writes the text, and the text always loads
// through parse_config (tested for every kind of project).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::spec {

// What `choline init` found in the project directory.
struct ProjectFacts {
  bool requirements_txt = false;
  bool pyproject_toml = false;
  bool cmake_lists = false;
  std::vector<std::string> scripts;            // *.py directly in the project directory, sorted
  std::vector<std::string> scripts_with_main;  // those with an `if __name__ == "__main__":` block
};

struct InitProposal {
  std::vector<std::string> setup;    // commands run once per host
  std::vector<std::string> ignore;   // extra sync ignore patterns (build directories)
  std::optional<std::string> entry;  // the script to train with, when one stands out
  std::string run_hint;              // the command line to start with ("choline train train.py --2xcpu")
  std::vector<std::string> notes;    // what init could not decide, said in the file and on stdout
};

// The conventional names, in the order they win: one of these at the top of the project is
// the entry; else the single top-level script with a __main__ block.
inline const std::vector<std::string>& conventional_entries() {
  static const std::vector<std::string> names = {"train.py", "tr.py", "main.py"};
  return names;
}

// Whether Python source has an `if __name__ == "__main__":` block (either quote style).
bool has_main_block(std::string_view source);

InitProposal propose_config(const ProjectFacts& facts);

// The commented choline.json: the proposal's keys set, every other key choline.json accepts
// present as a commented-out example with what it does.
std::string render_config(const InitProposal& proposal, std::string_view project_name);

}  // namespace choline::spec
