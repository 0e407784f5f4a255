#pragma once
// A trial's command line from W&B's `command` template (wandb agent and
// sdk/launch/sweeps/utils.py). The template is a list run without a shell; an element that is
// exactly one macro is replaced by its expansion (zero, one or several elements):
//
//   ${env}                   nothing: W&B writes /usr/bin/env to find the interpreter on PATH;
//                            choline names the interpreter itself (next line)
//   ${interpreter}           choline's Python: choline.json `python`, else $CHOLINE_PYTHON, else
//                            python3 (the executor resolves it and passes it in `python`)
//   ${program}               the program (`program` in the file, or the script on the command line)
//   ${args}                  --name=value per parameter
//   ${args_no_hyphens}       name=value
//   ${args_no_boolean_flags} --name for true, nothing for false, --name=value otherwise
//   ${args_no_equals}        --name and value as two elements
//   ${args_json}             one element: the parameters as a JSON object
//   ${args_json_file}        the path in `args_json_file`; the executor writes the same JSON there
//                            on the host before launch
//   ${...} otherwise         nothing (W&B drops unknown macros)
//
// Inside any other element, ${envvar:NAME} (NAME of A-Z, 0-9, _) becomes the variable's value
// from `environment`, or NAME itself when it is not there. Values are written as Python's str()
// writes them (python_format.hpp). Parameters come in name order; nested ones as one dict.
// The default template is {"${env}", "${interpreter}", "${program}", "${args}"}.

#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace choline::sweep {

struct CommandInputs {
  std::string program;
  std::string python = "python3";
  nlohmann::json params = nlohmann::json::object();  // the trial's parameters
  // The variables ${envvar:NAME} may read. The command goes to a rented host: pass only what may
  // go there.
  std::map<std::string, std::string> environment;
  std::string args_json_file;  // the path ${args_json_file} names; empty: the macro is refused
};

const std::vector<std::string>& default_command();

// The argv of a trial. Errors (usage): ${args_json_file} without a path, and ${envvar:NAME} for
// a NAME that looks like a secret (containing KEY, TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL):
// a secret must never reach a host.
Result<std::vector<std::string>> expand_command(const std::vector<std::string>& command_template,
                                                const CommandInputs& inputs);

// ${args}: {"--name=value", ...} for the trial's parameters.
std::vector<std::string> trial_args(const nlohmann::json& params);

}  // namespace choline::sweep
