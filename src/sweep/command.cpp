#include <choline/sweep/command.hpp>

#include <choline/sweep/python_format.hpp>
#include <choline/util/json.hpp>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

bool looks_secret(const std::string& name) {
  for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

bool envvar_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A whole element "${identifier}" that no rule above knew.
bool is_unknown_macro(const std::string& element) {
  if (element.size() < 4 || element.rfind("${", 0) != 0 || element.back() != '}') return false;
  for (std::size_t i = 2; i + 1 < element.size(); ++i) {
    const char c = element[i];
    if (!(envvar_char(c) || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

// ${envvar:NAME} substituted inside one element.
Result<std::string> substitute_envvars(const std::string& element, const CommandInputs& inputs) {
  static const std::string k_open = "${envvar:";
  std::string out;
  std::size_t pos = 0;
  while (pos < element.size()) {
    const auto start = element.find(k_open, pos);
    if (start == std::string::npos) break;
    std::size_t end = start + k_open.size();
    while (end < element.size() && envvar_char(element[end])) ++end;
    if (end >= element.size() || element[end] != '}') {  // not a macro: keep the text
      out += element.substr(pos, end - pos);
      pos = end;
      continue;
    }
    const std::string name = element.substr(start + k_open.size(), end - start - k_open.size());
    if (looks_secret(name)) {
      return make_error(ErrorKind::usage, "command: ${envvar:" + name +
                                              "} looks like a secret, and the command goes to a rented host; pass "
                                              "it another way or rename the variable");
    }
    out += element.substr(pos, start - pos);
    const auto it = inputs.environment.find(name);
    out += it != inputs.environment.end() ? it->second : name;
    pos = end + 1;
  }
  out += element.substr(pos);
  return out;
}

}  // namespace

const std::vector<std::string>& default_command() {
  static const std::vector<std::string> command = {"${env}", "${interpreter}", "${program}", "${args}"};
  return command;
}

std::vector<std::string> trial_args(const json& params) {
  std::vector<std::string> args;
  for (const auto& [name, value] : params.items()) args.push_back("--" + name + "=" + python_str(value));
  return args;
}

Result<std::vector<std::string>> expand_command(const std::vector<std::string>& command_template,
                                                const CommandInputs& inputs) {
  std::vector<std::string> argv;
  for (const auto& element : command_template) {
    if (element == "${env}") continue;
    if (element == "${interpreter}") {
      argv.push_back(inputs.python);
    } else if (element == "${program}") {
      argv.push_back(inputs.program);
    } else if (element == "${args}") {
      for (auto& arg : trial_args(inputs.params)) argv.push_back(std::move(arg));
    } else if (element == "${args_no_hyphens}") {
      for (const auto& [name, value] : inputs.params.items()) argv.push_back(name + "=" + python_str(value));
    } else if (element == "${args_no_boolean_flags}") {
      for (const auto& [name, value] : inputs.params.items()) {
        if (value.is_boolean()) {
          if (value.get<bool>()) argv.push_back("--" + name);
        } else {
          argv.push_back("--" + name + "=" + python_str(value));
        }
      }
    } else if (element == "${args_no_equals}") {
      for (const auto& [name, value] : inputs.params.items()) {
        argv.push_back("--" + name);
        argv.push_back(python_str(value));
      }
    } else if (element == "${args_json}") {
      argv.push_back(util::dump_json(inputs.params));
    } else if (element == "${args_json_file}") {
      if (inputs.args_json_file.empty()) {
        return make_error(ErrorKind::unsupported, "command: ${args_json_file} is not available here; use ${args_json}");
      }
      argv.push_back(inputs.args_json_file);
    } else if (is_unknown_macro(element)) {
      continue;  // an unknown macro expands to nothing, as in W&B
    } else {
      auto substituted = substitute_envvars(element, inputs);
      if (!substituted) return std::move(substituted).error();
      argv.push_back(std::move(*substituted));
    }
  }
  return argv;
}

}  // namespace choline::sweep
