#include <choline/sweep/config_fields.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

Fields::Fields(const nlohmann::json& object, std::string where, Problems& problems)
    : m_object(object), m_where(std::move(where)), m_problems(problems) {}

std::string Fields::path(const std::string& key) const {
  return key_path(m_where, key);
}

bool Fields::object() {
  if (m_object.is_object()) return true;
  m_problems.add(m_where.empty() ? "(top level)" : m_where, "must be a mapping of keys, got " + m_object.dump());
  return false;
}

void Fields::allow(const std::vector<std::string>& keys) {
  if (!m_object.is_object()) return;
  for (const auto& [key, unused] : m_object.items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    const auto guess = util::closest_match(key, keys);
    m_problems.add(path(key), "unknown key" + (guess ? " (did you mean " + *guess + "?)" : std::string()) +
                                  "; known: " + util::join(keys, ", "));
  }
}

bool Fields::string(const char* key, std::string& out, bool required) {
  const auto it = m_object.find(key);
  if (it == m_object.end()) {
    if (required) m_problems.add(path(key), "missing");
    return !required;
  }
  if (!it->is_string()) {
    m_problems.add(path(key), "must be a string, got " + it->dump());
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool Fields::choice(const char* key, std::string& out, const std::vector<std::string>& choices, bool required) {
  std::string value;
  if (!string(key, value, required)) return false;
  if (!m_object.contains(key)) return true;
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    m_problems.add(path(key), "must be one of " + util::join(choices, ", ") + ", got '" + value + "'");
    return false;
  }
  out = value;
  return true;
}

bool Fields::number(const char* key, double& out) {
  const auto it = m_object.find(key);
  if (it == m_object.end()) return true;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    m_problems.add(path(key), "must be a number, got " + it->dump());
    return false;
  }
  out = it->get<double>();
  return true;
}

bool Fields::integer(const char* key, std::int64_t& out, std::int64_t min) {
  const auto it = m_object.find(key);
  if (it == m_object.end()) return true;
  const auto value = util::json_int64(*it);
  if (!value) {
    m_problems.add(path(key), "must be an integer, got " + it->dump());
    return false;
  }
  if (*value < min) {
    m_problems.add(path(key), "must be at least " + std::to_string(min) + ", got " + std::to_string(*value));
    return false;
  }
  out = *value;
  return true;
}

bool Fields::boolean(const char* key, bool& out) {
  const auto it = m_object.find(key);
  if (it == m_object.end()) return true;
  if (!it->is_boolean()) {
    m_problems.add(path(key), "must be true or false, got " + it->dump());
    return false;
  }
  out = it->get<bool>();
  return true;
}

}  // namespace choline::sweep
