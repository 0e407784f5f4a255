#include <choline/sweep/yaml_json.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

constexpr std::size_t k_max_depth = 64;
constexpr std::size_t k_max_nodes = 100000;

std::optional<json> parse_integer(std::string text) {
  std::string digits;
  for (const char c : text) {
    if (c != '_') digits += c;
  }
  bool negative = false;
  std::size_t pos = 0;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    pos = 1;
  }
  int base = 10;
  if (digits.compare(pos, 2, "0x") == 0)
    base = 16, pos += 2;
  else if (digits.compare(pos, 2, "0o") == 0)
    base = 8, pos += 2;
  else if (digits.compare(pos, 2, "0b") == 0)
    base = 2, pos += 2;
  else if (digits.size() > pos + 1 && digits[pos] == '0')
    base = 8, pos += 1;  // YAML 1.1 octal: 010 is 8
  if (pos >= digits.size()) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = pos; i < digits.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[i])));
    int d = -1;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    if (d < 0 || d >= base) return std::nullopt;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(d)) /
                    static_cast<std::uint64_t>(base)) {
      return std::nullopt;  // too large for an integer: let it be a float
    }
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
  }
  if (negative) {
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) return std::nullopt;
    return json(static_cast<std::int64_t>(0 - value));
  }
  if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return json(static_cast<std::int64_t>(value));
  }
  return json(value);
}

struct Converter {
  std::size_t nodes = 0;

  Result<json> convert(const YAML::Node& node, const std::string& where, std::size_t depth) {
    if (++nodes > k_max_nodes) {
      return make_error(ErrorKind::usage, "the document has more than " + std::to_string(k_max_nodes) + " nodes");
    }
    if (depth > k_max_depth) {
      return make_error(ErrorKind::usage,
                        util::printable(where, 60) + ": nested deeper than " + std::to_string(k_max_depth) + " levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        std::size_t index = 0;
        for (const auto& item : node) {
          auto value = convert(item, where + "[" + std::to_string(index++) + "]", depth + 1);
          if (!value) return value;
          out.push_back(std::move(*value));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto& pair : node) {
          if (!pair.first.IsScalar()) {
            return make_error(ErrorKind::usage,
                              (where.empty() ? std::string("the document") : where) + ": a key must be a plain name");
          }
          const auto key = pair.first.Scalar();
          const std::string here = where.empty() ? key : where + "." + key;
          if (out.contains(key)) return make_error(ErrorKind::usage, here + ": the key appears twice");
          auto value = convert(pair.second, here, depth + 1);
          if (!value) return value;
          out[key] = std::move(*value);
        }
        return out;
      }
    }
    return json(nullptr);
  }

  static json scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;  // quoted, or !!str
    return resolve_plain_scalar(text);
  }
};

}  // namespace

json resolve_plain_scalar(const std::string& text) {
  static const std::regex k_null("~|null|Null|NULL|");
  static const std::regex k_true("true|True|TRUE|yes|Yes|YES|on|On|ON");
  static const std::regex k_false("false|False|FALSE|no|No|NO|off|Off|OFF");
  static const std::regex k_int("[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[0-9][0-9_]*)");
  static const std::regex k_float("[-+]?(([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+)");
  static const std::regex k_inf("[-+]?\\.(inf|Inf|INF)");
  static const std::regex k_nan("\\.(nan|NaN|NAN)");
  if (std::regex_match(text, k_null)) return nullptr;
  if (std::regex_match(text, k_true)) return true;
  if (std::regex_match(text, k_false)) return false;
  if (std::regex_match(text, k_int)) {
    if (auto value = parse_integer(text)) return *value;
  }
  if (text.find_first_of("0123456789") != std::string::npos && std::regex_match(text, k_float)) {
    std::string digits;
    for (const char c : text) {
      if (c != '_') digits += c;
    }
    return std::strtod(digits.c_str(), nullptr);
  }
  if (std::regex_match(text, k_inf)) {
    return text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (std::regex_match(text, k_nan)) return std::numeric_limits<double>::quiet_NaN();
  return text;
}

Result<json> yaml_to_json(std::string_view text) {
  // yaml-cpp recurses once per level of [ and {: refuse deep flow nesting before it parses.
  if (util::json_depth(text, k_max_depth) > k_max_depth) {
    return make_error(ErrorKind::usage, "nested deeper than " + std::to_string(k_max_depth) + " levels");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::usage, "not valid YAML: line " + std::to_string(e.mark.line + 1) + ", column " +
                                            std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  try {
    Converter converter;
    return converter.convert(root, "", 0);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::usage, std::string("not valid YAML: ") + e.msg);
  }
}

}  // namespace choline::sweep
