#include <choline/spec/data_entry.hpp>

#include <choline/util/sha256.hpp>
#include <choline/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace choline::spec {

namespace {

using nlohmann::json;

const std::vector<std::string>& entry_keys() {
  static const std::vector<std::string> keys = {"path", "url", "sha256", "to", "extract", "headers"};
  return keys;
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// An HTTP header name: a token (RFC 9110).
bool is_header_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_http_url(std::string_view url) {
  const std::string lower = util::to_lower(url.substr(0, 8));
  return util::starts_with(lower, "http://") || util::starts_with(lower, "https://");
}

// A `to` path: relative, '/'-separated, no empty, "." or ".." parts, not under .choline/.
std::optional<std::string> to_path_problem(const std::string& to) {
  if (to.empty()) return "must not be empty";
  if (to.front() == '/') return "must be relative to the working directory, got \"" + to + "\"";
  if (has_control(to)) return "holds a control character";
  for (const auto& part : util::split(to, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return "must be a plain relative path (no \"..\", \".\" or empty parts), got \"" + to + "\"";
    }
  }
  if (to == ".choline" || util::starts_with(to, ".choline/"))
    return "must not be under .choline/ (choline's own records)";
  return std::nullopt;
}

std::string strip_trailing_slashes(std::string text) {
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// The last path segment of a URL, without query or fragment; with `extract`, without the
// archive suffix ("train.tar.zst" -> "train").
std::string url_file_name(std::string_view url, bool extract) {
  const auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return "";
  std::string name(rest.substr(rest.find_last_of('/') + 1));
  if (extract) {
    for (std::string_view suffix : {".tar.gz", ".tar.zst", ".tgz", ".tzst", ".tar", ".zip"}) {
      if (util::ends_with(util::to_lower(name), suffix) && name.size() > suffix.size()) {
        name.resize(name.size() - suffix.size());
        break;
      }
    }
  }
  if (name.find('%') != std::string::npos || name.find('$') != std::string::npos || name == "." || name == "..")
    return "";
  return name;
}

// A literal path as an ignore pattern: the glob characters escaped.
std::string glob_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == '\\' || c == '!' || c == '#') out += '\\';
    out += c;
  }
  return out;
}

class EntryParser {
 public:
  EntryParser(std::string key, std::vector<KeyProblem>& problems) : m_key(std::move(key)), m_problems(problems) {}

  void fail(const std::string& field, const std::string& message) {
    m_problems.push_back({field.empty() ? m_key : m_key + "." + field, message});
    m_valid = false;
  }

  std::optional<std::string> string(const std::string& field, const json& value) {
    if (!value.is_string()) {
      fail(field, "expected a string");
      return std::nullopt;
    }
    std::string text = value.get<std::string>();
    if (text.empty()) {
      fail(field, "must not be empty");
      return std::nullopt;
    }
    return text;
  }

  std::optional<DataEntry> parse(const json& value) {
    DataEntry entry;
    if (value.is_string()) {
      if (auto path = string("", value)) entry.path = strip_trailing_slashes(*path);
      return finish(entry);
    }
    if (!value.is_object()) {
      fail("",
           "expected a path or an object like {\"path\": \"~/datasets/x\", \"to\": \"data/x\"} or "
           "{\"url\": \"https://...\", \"sha256\": \"...\"}");
      return std::nullopt;
    }
    for (const auto& [field, item] : value.items()) {
      if (field == "path") {
        if (auto text = string(field, item)) entry.path = strip_trailing_slashes(*text);
      } else if (field == "url") {
        if (auto text = string(field, item)) {
          if (!is_http_url(*text))
            fail(field, "must start with http:// or https://, got \"" + util::printable(*text) + "\"");
          else if (has_control(*text) || text->find(' ') != std::string::npos)
            fail(field, "must not hold spaces or control characters");
          else if (auto refs = env_refs(*text); !refs)
            fail(field, refs.error().message);
          else
            entry.url = *text;
        }
      } else if (field == "sha256") {
        if (auto text = string(field, item)) {
          if (!util::is_sha256_hex(*text))
            fail(field, "expected 64 hex digits (the output of sha256sum FILE)");
          else
            entry.sha256 = util::to_lower(*text);
        }
      } else if (field == "to") {
        if (auto text = string(field, item)) {
          const std::string to = strip_trailing_slashes(*text);
          if (auto problem = to_path_problem(to))
            fail(field, *problem);
          else
            entry.to = to;
        }
      } else if (field == "extract") {
        if (!item.is_boolean())
          fail(field, "expected true or false");
        else
          entry.extract = item.get<bool>();
      } else if (field == "headers") {
        parse_headers(item, entry);
      } else {
        std::string message = "unknown key in a data entry";
        if (auto suggestion = util::closest_match(field, entry_keys()))
          message += " (did you mean \"" + *suggestion + "\"?)";
        fail(field, message + "; known keys: " + util::join(entry_keys(), ", "));
      }
    }
    if (!value.contains("path") && !value.contains("url"))
      fail("", "needs \"path\" (a local file or directory) or \"url\"");
    if (value.contains("path") && value.contains("url")) fail("", "has both \"path\" and \"url\"; give one");
    if (value.contains("url") && !value.contains("sha256")) {
      fail("sha256", "required for a url entry (the download is checked against it; sha256sum FILE prints it)");
    }
    if (value.contains("path")) {
      for (const char* url_only : {"sha256", "extract", "headers"}) {
        if (value.contains(url_only)) fail(url_only, "applies to url entries only");
      }
    }
    return finish(entry);
  }

 private:
  void parse_headers(const json& item, DataEntry& entry) {
    if (!item.is_object()) {
      fail("headers", "expected an object of header names and values, like {\"Authorization\": \"Bearer ${TOKEN}\"}");
      return;
    }
    for (const auto& [name, header] : item.items()) {
      const std::string field = "headers." + name;
      if (!is_header_name(name)) {
        fail(field, "not a valid header name");
        continue;
      }
      if (!header.is_string()) {
        fail(field, "expected a string");
        continue;
      }
      const std::string text = header.get<std::string>();
      if (has_control(text))
        fail(field, "must not hold control characters (line breaks included)");
      else if (auto refs = env_refs(text); !refs)
        fail(field, refs.error().message);
      else
        entry.headers[name] = text;
    }
  }

  std::optional<DataEntry> finish(const DataEntry& entry) {
    return m_valid ? std::optional<DataEntry>(entry) : std::nullopt;
  }

  std::string m_key;
  std::vector<KeyProblem>& m_problems;
  bool m_valid = true;
};

}  // namespace

std::optional<DataEntry> parse_data_entry(const json& value, std::size_t index, std::vector<KeyProblem>& problems) {
  return EntryParser("data[" + std::to_string(index) + "]", problems).parse(value);
}

json data_entry_to_json(const DataEntry& entry) {
  if (entry.url.empty() && entry.to.empty()) return entry.path;
  json object = json::object();
  if (!entry.path.empty()) object["path"] = entry.path;
  if (!entry.url.empty()) {
    object["url"] = entry.url;
    object["sha256"] = entry.sha256;
    if (entry.extract) object["extract"] = true;
    if (!entry.headers.empty()) object["headers"] = entry.headers;
  }
  if (!entry.to.empty()) object["to"] = entry.to;
  return object;
}

Result<std::vector<std::string>> env_refs(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", at)) {
    const auto close = text.find('}', at + 2);
    if (close == std::string_view::npos) return make_error(ErrorKind::usage, "\"${\" without a closing \"}\"");
    const std::string name(text.substr(at + 2, close - at - 2));
    if (!util::is_env_name(name))
      return make_error(ErrorKind::usage, "\"${" + util::printable(name) + "}\" is not a variable name");
    names.push_back(name);
    at = close + 1;
  }
  return names;
}

Result<std::string> expand_env_refs(std::string_view text, const std::map<std::string, std::string>& env) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", from)) {
    const auto close = text.find('}', at + 2);
    if (close == std::string_view::npos) return make_error(ErrorKind::usage, "\"${\" without a closing \"}\"");
    const std::string name(text.substr(at + 2, close - at - 2));
    const auto it = env.find(name);
    if (it == env.end()) return make_error(ErrorKind::usage, "${" + name + "} is not set in this environment");
    out.append(text.substr(from, at - from));
    out.append(it->second);
    from = close + 1;
  }
  out.append(text.substr(from));
  return out;
}

void check_data_env_refs(const std::vector<DataEntry>& entries, const std::vector<std::string>& env,
                         std::vector<KeyProblem>& problems) {
  const auto check = [&](const std::string& key, const std::string& text) {
    auto refs = env_refs(text);
    if (!refs) return;
    for (const auto& name : *refs) {
      if (std::find(env.begin(), env.end(), name) == env.end()) {
        problems.push_back({key, "${" + name + "} is not listed in \"env\"; add \"" + name +
                                     "\" there so its value is forwarded (it is never written to the host's disk)"});
      }
    }
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string key = "data[" + std::to_string(i) + "]";
    check(key + ".url", entries[i].url);
    for (const auto& [name, value] : entries[i].headers) check(key + ".headers." + name, value);
  }
}

Result<std::vector<ResolvedData>> resolve_data_entries(const std::vector<DataEntry>& entries,
                                                       const std::filesystem::path& project_dir,
                                                       const std::filesystem::path& home) {
  namespace fs = std::filesystem;
  std::vector<ResolvedData> resolved;
  std::vector<std::string> problems;
  const fs::path project = project_dir.lexically_normal();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const DataEntry& entry = entries[i];
    ResolvedData data;
    data.key = "data[" + std::to_string(i) + "]";
    std::string to = entry.to;
    if (!entry.url.empty()) {
      data.kind = ResolvedData::Kind::url;
      data.url = entry.url;
      data.sha256 = entry.sha256;
      data.extract = entry.extract;
      data.headers = entry.headers;
      if (to.empty()) to = url_file_name(entry.url, entry.extract);
      if (to.empty()) {
        problems.push_back(data.key + ".to: required: the URL names no usable file name to put the data at");
        continue;
      }
    } else {
      std::string path = entry.path;
      if (path == "~")
        path = home.string();
      else if (util::starts_with(path, "~/"))
        path = (home / path.substr(2)).string();
      const fs::path absolute = (fs::path(path).is_absolute() ? fs::path(path) : project / path).lexically_normal();
      data.source = fs::path(strip_trailing_slashes(absolute.string()));
      const fs::path relative = data.source.lexically_relative(project);
      data.inside_project = !relative.empty() && *relative.begin() != ".." && relative != ".";
      if (data.inside_project) data.project_relative = relative.generic_string();
      if (relative == ".") {
        problems.push_back(data.key + ": \"" + entry.path + "\" is the project itself, which is synced already");
        continue;
      }
      if (to.empty()) to = data.inside_project ? data.project_relative : data.source.filename().string();
      if (to.empty()) {
        problems.push_back(data.key + ".to: required: \"" + entry.path + "\" has no name to put the data at");
        continue;
      }
    }
    if (auto problem = to_path_problem(to)) {
      problems.push_back(data.key + ".to: " + *problem);
      continue;
    }
    data.to = to;
    resolved.push_back(std::move(data));
  }
  // One `to` inside another would link data into (read-only) data.
  for (std::size_t a = 0; a < resolved.size(); ++a) {
    for (std::size_t b = 0; b < resolved.size(); ++b) {
      if (a == b) continue;
      const std::string& x = resolved[a].to;
      const std::string& y = resolved[b].to;
      if ((x == y && a < b) || util::starts_with(y, x + "/")) {
        problems.push_back(resolved[b].key + ".to: \"" + y + "\" overlaps " + resolved[a].key + ".to \"" + x +
                           "\"; give each entry its own place");
      }
    }
  }
  if (!problems.empty()) return make_error(ErrorKind::usage, util::join(problems, "\n"));
  return resolved;
}

std::vector<std::string> project_push_ignores(const std::vector<ResolvedData>& entries) {
  std::vector<std::string> patterns;
  const auto add = [&](const std::string& pattern) {
    if (std::find(patterns.begin(), patterns.end(), pattern) == patterns.end()) patterns.push_back(pattern);
  };
  for (const auto& entry : entries) {
    if (entry.inside_project) add("/" + glob_escape(entry.project_relative));
    add("/" + glob_escape(entry.to));
  }
  return patterns;
}

}  // namespace choline::spec
