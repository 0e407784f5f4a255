#pragma once
// Typed reads of one object of a sweep configuration, each failure recorded as a problem under
// the key's path instead of stopping at the first: the user sees every mistake at once.

#include <choline/sweep/problems.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace choline::sweep {

class Fields {
 public:
  // `where` is the object's key path ("metric"; "" for the top level).
  Fields(const nlohmann::json& object, std::string where, Problems& problems);

  // Whether it is an object at all (recorded as a problem when not).
  bool object();
  // Records every key not in `keys` as unknown, with a suggestion when one is close.
  void allow(const std::vector<std::string>& keys);

  // Each returns true when the key is absent (keeping `out`, unless `required`) or read; false
  // (with a problem) for a value of the wrong type or range.
  bool string(const char* key, std::string& out, bool required = false);
  bool choice(const char* key, std::string& out, const std::vector<std::string>& choices, bool required = false);
  bool number(const char* key, double& out);
  bool integer(const char* key, std::int64_t& out, std::int64_t min);
  bool boolean(const char* key, bool& out);

  std::string path(const std::string& key) const;

 private:
  const nlohmann::json& m_object;
  std::string m_where;
  Problems& m_problems;
};

}  // namespace choline::sweep
