#pragma once
// Everything wrong with a sweep configuration, collected in one pass so the user fixes the file
// once instead of once per error. Each problem names the key path it is about
// ("parameters.lr.min", "early_terminate.eta", "-p lr=...").

#include <choline/error.hpp>

#include <string>
#include <vector>

namespace choline::sweep {

struct Problem {
  std::string path;     // where: a dotted key path, or the command-line flag
  std::string message;  // what is wrong and how to fix it
};

class Problems {
 public:
  void add(std::string path, std::string message);
  bool empty() const { return m_list.empty(); }
  const std::vector<Problem>& list() const { return m_list; }
  // One usage Error listing every problem, one per line:
  //   "<what>: 2 problems:\n  parameters.lr.min: ...\n  metric.goal: ..."
  // (a single problem stays on one line: "<what>: parameters.lr.min: ...").
  Error to_error(const std::string& what) const;

 private:
  std::vector<Problem> m_list;
};

// "a.b" + "c" -> "a.b.c"; an empty base gives "c".
std::string key_path(const std::string& base, const std::string& key);

}  // namespace choline::sweep
