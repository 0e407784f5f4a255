#include <choline/sweep/problems.hpp>

namespace choline::sweep {

void Problems::add(std::string path, std::string message) {
  m_list.push_back({std::move(path), std::move(message)});
}

Error Problems::to_error(const std::string& what) const {
  if (m_list.size() == 1) return make_error(ErrorKind::usage, what + ": " + m_list[0].path + ": " + m_list[0].message);
  std::string text = what + ": " + std::to_string(m_list.size()) + " problems:";
  for (const auto& problem : m_list) text += "\n  " + problem.path + ": " + problem.message;
  return make_error(ErrorKind::usage, text);
}

std::string key_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

}  // namespace choline::sweep
