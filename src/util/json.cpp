#include <choline/util/json.hpp>

#include <limits>

namespace choline::util {

std::size_t json_depth(std::string_view text, std::size_t limit, bool comments) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      // Skip the string; a backslash escapes the next character.
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const std::size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth, bool comments) {
  if (json_depth(text, max_depth, comments) > max_depth) {
    return make_error(ErrorKind::protocol, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, true, comments);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e999
    return make_error(ErrorKind::protocol, std::string("not valid JSON: ") + e.what());
  }
}

std::string dump_json(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::int64_t> json_int64(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto wide = value.get<std::uint64_t>();
    if (wide > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(wide);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

std::optional<int> json_int(const nlohmann::json& value) {
  const auto wide = json_int64(value);
  if (!wide || *wide < std::numeric_limits<int>::min() || *wide > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(*wide);
}

JsonReader::JsonReader(const nlohmann::json& object, std::string where) : m_object(object), m_where(std::move(where)) {
  if (!m_object.is_object()) m_error = make_error(ErrorKind::protocol, m_where + " is not an object");
}

const nlohmann::json* JsonReader::find(const char* key) {
  if (!m_object.is_object()) return nullptr;
  const auto it = m_object.find(key);
  if (it == m_object.end() || it->is_null()) return nullptr;
  return &*it;
}

void JsonReader::wrong(const char* key, const char* expected) {
  if (!m_error) m_error = make_error(ErrorKind::protocol, m_where + "." + key + " is not " + expected);
}

int JsonReader::integer(const char* key, int fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  const auto parsed = json_int(*value);
  if (!parsed) wrong(key, "an integer in range");
  return parsed.value_or(fallback);
}

std::int64_t JsonReader::int64(const char* key, std::int64_t fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  const auto parsed = json_int64(*value);
  if (!parsed) wrong(key, "a 64-bit integer");
  return parsed.value_or(fallback);
}

std::uint64_t JsonReader::uint64(const char* key, std::uint64_t fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer() && value->get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(value->get<std::int64_t>());
  wrong(key, "a non-negative integer");
  return fallback;
}

double JsonReader::number(const char* key, double fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  if (!value->is_number()) {
    wrong(key, "a number");
    return fallback;
  }
  return value->get<double>();
}

bool JsonReader::boolean(const char* key, bool fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) {
    wrong(key, "true or false");
    return fallback;
  }
  return value->get<bool>();
}

std::string JsonReader::string(const char* key, const std::string& fallback) {
  const auto* value = find(key);
  if (!value) return fallback;
  if (!value->is_string()) {
    wrong(key, "a string");
    return fallback;
  }
  return value->get<std::string>();
}

std::vector<std::string> JsonReader::strings(const char* key) {
  std::vector<std::string> out;
  const auto* value = find(key);
  if (!value) return out;
  if (!value->is_array()) {
    wrong(key, "an array of strings");
    return out;
  }
  for (const auto& item : *value) {
    if (!item.is_string()) {
      wrong(key, "an array of strings");
      return {};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

nlohmann::json JsonReader::object(const char* key) {
  const auto* value = find(key);
  if (!value) return nlohmann::json::object();
  if (!value->is_object()) {
    wrong(key, "an object");
    return nlohmann::json::object();
  }
  return *value;
}

nlohmann::json JsonReader::array(const char* key) {
  const auto* value = find(key);
  if (!value) return nlohmann::json::array();
  if (!value->is_array()) {
    wrong(key, "an array");
    return nlohmann::json::array();
  }
  return *value;
}

std::string json_text(const nlohmann::json& value, const char* key) {
  if (!value.is_object()) return {};
  const auto it = value.find(key);
  return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace choline::util
