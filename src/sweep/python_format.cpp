#include <choline/sweep/python_format.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

std::string repr_string(const std::string& text) {
  // Python prefers single quotes and switches to double ones only to avoid escaping a '.
  const bool has_single = text.find('\'') != std::string::npos;
  const bool has_double = text.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;  // UTF-8 text is printable in Python 3's repr
    }
  }
  out += quote;
  return out;
}

void append_repr(const json& value, std::string& out);

void append_items(const json& value, std::string& out) {
  if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      append_repr(item, out);
    }
    out += ']';
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [key, item] : value.items()) {
    if (!first) out += ", ";
    first = false;
    out += repr_string(key);
    out += ": ";
    append_repr(item, out);
  }
  out += '}';
}

void append_repr(const json& value, std::string& out) {
  switch (value.type()) {
    case json::value_t::null:
      out += "None";
      break;
    case json::value_t::boolean:
      out += value.get<bool>() ? "True" : "False";
      break;
    case json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    case json::value_t::number_float:
      out += python_float_repr(value.get<double>());
      break;
    case json::value_t::string:
      out += repr_string(value.get<std::string>());
      break;
    case json::value_t::array:
    case json::value_t::object:
      append_items(value, out);
      break;
    default:
      out += "None";  // binary and discarded values do not occur in parsed configs
      break;
  }
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest round-trip digits, then Python's layout: positional when the decimal exponent
  // is in (-4, 16], else d.ddde+XX with at least two exponent digits.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const auto e = text.find('e');
  std::string sign;
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c == '-')
      sign = "-";
    else if (c != '.')
      digits += c;
  }
  const int exponent = std::stoi(std::string(text.substr(e + 1)));
  const int point = exponent + 1;  // digits before the decimal point
  const int n = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) return sign + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    if (point < n)
      return sign + digits.substr(0, static_cast<std::size_t>(point)) + "." +
             digits.substr(static_cast<std::size_t>(point));
    return sign + digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
  }
  std::string mantissa = digits.substr(0, 1);
  if (n > 1) mantissa += "." + digits.substr(1);
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return sign + mantissa + exp_text;
}

std::string python_repr(const json& value) {
  std::string out;
  append_repr(value, out);
  return out;
}

std::string python_str(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return python_repr(value);
}

}  // namespace choline::sweep
